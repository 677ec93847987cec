# __structuredAttrs: the whole attribute set as one JSON document.
with import ./common.nix;
rec {
  base = mk "base" { };
  simple = mk "structured-simple" { __structuredAttrs = true; a = 1; b = "two"; c = [ 1 2 3 ]; d = { x = 1; y = [ true false null ]; }; };
  floats = mk "structured-floats" { __structuredAttrs = true; f = 1.5; g = 0.1; h = 1.0e20; i = -2.25; };
  refs = mk "structured-refs" { __structuredAttrs = true; dep = base; deps = [ base.outPath ]; nested.inner = "${base}/bin"; drv = base.drvPath; };
  paths = mk "structured-paths" { __structuredAttrs = true; src = ./src/hello.txt; tree = ./src/tree; };
  outputs = mk "structured-outputs" { __structuredAttrs = true; outputs = [ "out" "dev" "man" ]; };
  uses-outputs = mk "uses-structured-outputs" { __structuredAttrs = true; dev = outputs.dev; man = "${outputs.man}/share"; };
  fixed = mk "structured-fixed" { __structuredAttrs = true; outputHash = builtins.hashString "sha256" "x"; outputHashAlgo = "sha256"; outputHashMode = "recursive"; };
  escapes = mk "structured-escapes" { __structuredAttrs = true; s = "quote \" backslash \\ newline \n tab \t unicode é ✓ 🎉"; ctl = builtins.fromJSON "\"\\u0001\""; };
  checks = mk "structured-checks" {
    __structuredAttrs = true;
    outputChecks.out = { allowedReferences = [ base ]; maxSize = 4096; };
    exportReferencesGraph.graph = [ base ];
  };
  nulls = mk "structured-nulls" { __structuredAttrs = true; __ignoreNulls = true; n = null; m = 1; };
  disabled = mk "structured-false" { __structuredAttrs = false; a = [ 1 2 ]; };
  big = mk "structured-big" { __structuredAttrs = true; list = builtins.genList (i: { inherit i; s = toString i; }) 200; };
}
