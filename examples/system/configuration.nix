# The sample machine: a small server with two users, a web server built
# from busybox httpd, a few /etc files and a nightly timer. It needs no
# nixpkgs: `nixpkgs.pkgs` is the tiny set in ./pkgs.nix.
{ config, lib, pkgs, ... }:
{
  nixpkgs.pkgs = import ./pkgs.nix;

  networking.hostName = "sample";
  time.timeZone = "Europe/Paris";
  boot.kernelParams = [ "console=ttyS0" "quiet" ];

  environment.systemPackages = [ pkgs.busybox ];

  environment.etc."motd".text = ''
    Welcome to ${config.networking.hostName}, a cairn machine.
  '';
  environment.etc."httpd/httpd.conf" = {
    text = "H:${pkgs.site}\n";
    mode = "0640";
    user = "www";
    group = "www";
  };

  users.users.alice = {
    isNormalUser = true;
    description = "Alice";
    extraGroups = [ "wheel" ];
    hashedPassword = "$6$salt$0123456789abcdef";
  };
  users.users.bob = {
    isNormalUser = true;
    description = "Bob";
  };
  users.users.www = {
    isSystemUser = true;
    group = "www";
    home = "/var/www";
  };
  users.groups.www = { };

  systemd.services.httpd = {
    description = "busybox web server";
    wantedBy = [ "multi-user.target" ];
    after = [ "network.target" ];
    restartTriggers = [ config.environment.etc."httpd/httpd.conf".text ];
    script = ''
      exec httpd -f -p 8080 -h ${pkgs.site} -c /etc/httpd/httpd.conf
    '';
    serviceConfig.User = "www";
    serviceConfig.Restart = "always";
  };

  systemd.services.cleanup = {
    description = "Nightly clean-up of /tmp";
    script = "find /tmp -mindepth 1 -mtime +7 -delete";
    startAt = "daily";
  };

  system.activationScripts.www = ''
    mkdir -p /var/www
  '';
}
