# Scope names go in front of the globals, even `true`, `toString` and `import`.
(scopedImport {
  x = 1;
  true = "yes";
  toString = n: "n${builtins.toString n}";
  import = p: arg: "imported ${baseNameOf p} with ${builtins.toString arg}";
} ../scoped_import_helper.nix)
