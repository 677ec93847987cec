# error: is not of type `string'
# error: In `f.nix': 5
with import ./files/t.nix; with lib;
opt types.str [ (def "f.nix" { x = 5; }) ]
