# error: is not of type `integer between 0 and 65535
with import ./files/t.nix; with lib;
opt types.port [ { x = 70000; } ]
