# cairn's library: the subset of helpers the module system and the system
# modules need, with the names NixOS users know from nixpkgs' `lib`.
#
# Every part is a function of the finished library (`lib`), so parts may use
# one another; the fixed point below ties them together lazily.
let
  parts = [
    ./trivial.nix
    ./attrsets.nix
    ./lists.nix
    ./strings.nix
    ./pretty.nix
    ./options.nix
    ./modules.nix
    ./types.nix
    ./derivations.nix
  ];
  lib = builtins.foldl' (acc: part: acc // import part { inherit lib; }) { } parts;
in
lib
