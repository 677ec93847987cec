# sort forces every element first, as Nix does, even when the comparator ignores them.
builtins.length (builtins.sort (a: b: false) [ 1 (throw "unsorted element") ])
