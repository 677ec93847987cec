# expect: [ "true" "5" "1" "/nix/store/nfdapzhxsib1gsqynx0j31wlixyqqxdk-busybox" "true" "3" "1" "/nix/store/nfdapzhxsib1gsqynx0j31wlixyqqxdk-busybox" ]
with import ./files/sys.nix; with lib;
let p = buildEnv { name = "e"; paths = [ pkgs.busybox { package = pkgs.busybox; priority = 3; } ]; }; in
map toString p.drvAttrs.derivations
