# Read by `scopedImport` fixtures: `x` comes from the scope; `import` and
# the global names can be replaced by it too.
{
  sum = x + 1;
  truth = true;
  shown = toString 5;
  doubled = map (y: y * 2) [ x ];
  viaBuiltins = builtins.length [ x x ];
  nested = import ./import_helper.nix 4;
}
