# error: has an unsupported attribute `x'
with import ./files/t.nix; with lib;
eval [ { config = { }; x = 1; } ]
