# expect: "[Unit]\nAfter=network.target\nDescription=demo\n\n[Service]\nEnvironment=\"FOO=bar\"\nEnvironment=\"PATH=/nix/store/nfdapzhxsib1gsqynx0j31wlixyqqxdk-busybox/bin:/nix/store/nfdapzhxsib1gsqynx0j31wlixyqqxdk-busybox/sbin\"\nRestart=always\nUser=nobody\n"
with import ./files/sys.nix; with lib;
(config { systemd.services.demo = { description = "demo"; after = [ "network.target" ]; environment.FOO = "bar"; serviceConfig = { User = "nobody"; Restart = "always"; }; }; }).system.build.unitTexts."demo.service"
