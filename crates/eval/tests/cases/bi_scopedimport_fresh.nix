# Each call evaluates the file with its own scope: no caching across scopes.
map (x: (builtins.scopedImport { inherit x; } ../scoped_import_helper.nix).sum) [ 1 2 3 ]
