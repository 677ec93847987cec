# expect: [ true false ]
# The nixpkgs module decides on `pkgs` from builtins.nixPath: it must list
# the -I entries (here `cairn`) and nothing named nixpkgs.
[ (builtins.any (e: e.prefix == "cairn") builtins.nixPath) (builtins.any (e: e.prefix == "nixpkgs") builtins.nixPath) ]
