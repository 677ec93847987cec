# expect: [ { path = "s.service"; type = "regular"; } { path = "multi-user.target.wants/s.service"; target = "../s.service"; type = "symlink"; } { path = "t.target.requires/s.service"; target = "../s.service"; type = "symlink"; } ]
with import ./files/sys.nix; with lib;
let
  c = config { systemd.services.s = { wantedBy = [ "multi-user.target" ]; requiredBy = [ "t.target" ]; }; };
in
map (e: removeAttrs e [ "text" ]) (builtins.fromJSON (builtins.unsafeDiscardStringContext c.system.build.units.entries))
