# expect: [ "nobody" "root" ]
with import ./files/sys.nix; with lib;
map (u: u.name) (accounts { }).users
