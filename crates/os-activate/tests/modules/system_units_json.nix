# expect: { "s.service" = { requiredBy = [ ]; wantedBy = [ "multi-user.target" ]; }; }
with import ./files/sys.nix; with lib;
builtins.fromJSON (config { systemd.services.s.wantedBy = [ "multi-user.target" ]; }).system.build.unitsJson
