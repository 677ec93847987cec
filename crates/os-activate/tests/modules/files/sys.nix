# Helpers for the system-module fixtures: a system evaluated with a stub
# package set (a busybox derivation that is never built).
rec {
  lib = import <cairn/lib>;
  pkgs = {
    busybox = derivation { name = "busybox"; system = "x86_64-linux"; builder = "/bin/sh"; };
  };
  system = configuration: import <cairn/system.nix> {
    configuration = { imports = [ configuration ]; nixpkgs.pkgs = pkgs; };
  };
  config = configuration: (system configuration).config;
  # The text of a generated unit file.
  unit = configuration: name:
    let c = config configuration; in
    if lib.hasSuffix ".timer" name
    then c.systemd.timers.${lib.removeSuffix ".timer" name}
    else c.systemd.services.${lib.removeSuffix ".service" name};
  # The accounts as activation sees them.
  accounts = configuration: builtins.fromJSON (builtins.unsafeDiscardStringContext (config configuration).system.build.usersGroupsJson);
  user = configuration: name: lib.findFirst (u: u.name == name) null (accounts configuration).users;
  group = configuration: name: lib.findFirst (g: g.name == name) null (accounts configuration).groups;
}
