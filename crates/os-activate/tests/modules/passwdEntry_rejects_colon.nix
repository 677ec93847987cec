# error: not containing newlines or colons
with import ./files/t.nix; with lib;
opt (types.passwdEntry types.str) [ { x = "a:b"; } ]
