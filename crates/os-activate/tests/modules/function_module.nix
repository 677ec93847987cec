# expect: { x = 4; }
with import ./files/t.nix; with lib;
eval [ ({ lib, ... }: { options.x = lib.mkOption { type = lib.types.int; }; }) ({ ... }: { x = 4; }) ]
