# expect: [ "nogroup" "root" "users" "wheel" ]
with import ./files/sys.nix; with lib;
map (g: g.name) (accounts { }).groups
