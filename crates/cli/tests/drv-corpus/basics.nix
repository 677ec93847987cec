# Environment coercions, arguments, outputs and special attributes.
with import ./common.nix;
rec {
  plain = mk "plain" { };
  ints = mk "ints" { a = 1; b = -42; c = 9223372036854775807; };
  floats = mk "floats" { a = 1.5; b = 0.1; c = 100000000.0; d = 1.0e-5; };
  bools = mk "bools" { t = true; f = false; n = null; };
  lists = mk "lists" { l = [ 1 "two" [ 3 [ ] 4 ] null true false 2.5 ]; empty = [ ]; };
  nulls-ignored = mk "nulls-ignored" { __ignoreNulls = true; gone = null; kept = "k"; alsoGone = null; };
  nulls-kept = mk "nulls-kept" { __ignoreNulls = false; kept = null; };
  escapes = mk "escapes" { q = "a \"quoted\" \\ back"; nl = "line1\nline2\r\n"; tab = "a\tb"; dollar = "\${x} $y"; };
  unicode = mk "unicode" { u = "héllo wörld ✓ 日本語 🎉"; mixed = "ß\u{1F600}"; };
  control = mk "control" { c = builtins.fromJSON "\"\\u0001\\u001f\\u007f\""; };
  long = mk "long" { text = builtins.concatStringsSep "," (builtins.genList toString 2000); };
  multi = mk "multi" { outputs = [ "out" "dev" "lib" "doc" ]; };
  multi-first-dev = mk "multi-first-dev" { outputs = [ "dev" "out" ]; };
  use-out = mk "use-out" { dep = multi; };
  use-dev = mk "use-dev" { dep = multi.dev; lib = "${multi.lib}/lib"; };
  use-all = mk "use-all" { deps = [ multi.out multi.dev multi.lib multi.doc ]; };
  use-twice = mk "use-twice" { a = multi.dev; b = "${multi.dev}/include"; c = use-dev; };
  args-many = derivation { name = "args-many"; inherit system; builder = "/bin/sh"; args = [ "-e" 1 true null [ "x" "y" ] 2.5 ./src/hello.txt use-out ]; };
  builder-from-drv = derivation { name = "builder-from-drv"; inherit system; builder = "${plain}/bin/tool"; };
  special = mk "special" {
    preferLocalBuild = true;
    allowSubstitutes = false;
    allowedReferences = [ ];
    allowedRequisites = [ plain ];
    disallowedReferences = [ ints ];
    disallowedRequisites = [ floats.out ];
    exportReferencesGraph = [ "graph" plain ];
    impureEnvVars = [ "http_proxy" "HOME" ];
    requiredSystemFeatures = [ "kvm" ];
    passAsFile = [ "big" "other" ];
    big = "a big value";
    other = "x";
  };
  pass-as-file-dep = mk "pass-as-file-dep" { passAsFile = [ "dep" ]; dep = "${multi.dev}"; };
  placeholders = mk "placeholders" { outputs = [ "out" "bin" ]; p = builtins.placeholder "out"; q = "${builtins.placeholder "bin"}/bin"; r = builtins.placeholder "other"; };
  other-system = derivation { name = "other-system"; system = "aarch64-darwin"; builder = "/bin/sh"; };
  name-chars = mk "a-b_c.d+e?f=g" { };
  version-name = mk "hello-2.12.1" { pname = "hello"; version = "2.12.1"; };
  str-drv = mk "str-drv" { s = "prefix ${plain} suffix"; t = toString plain; };
  nested-interp = mk "nested-interp" { s = "${"${plain}"}${ints.outPath}"; };
  attr-order = mk "attr-order" { zz = "1"; AA = "2"; _under = "3"; "with space" = "4"; "dash-name" = "5"; "9digit" = "6"; };
  tostring-ctx = mk "tostring-ctx" { s = builtins.toString [ plain ints ]; };
  substr-ctx = mk "substr-ctx" { s = builtins.substring 0 20 "${plain}"; r = builtins.replaceStrings [ "nix" ] [ "xin" ] "${ints}"; };
  drvpath-ref = mk "drvpath-ref" { d = plain.drvPath; };
  drvpath-deep = mk "drvpath-deep" { d = use-twice.drvPath; };
  discard-output-dep = mk "discard-output-dep" { d = builtins.unsafeDiscardOutputDependency use-dev.drvPath; };
  discard-context = mk "discard-context" { d = builtins.unsafeDiscardStringContext "${plain}"; };
  append-context = mk "append-context" {
    d = builtins.appendContext "x" { "${builtins.unsafeDiscardStringContext multi.drvPath}" = { outputs = [ "lib" ]; }; };
  };
  json-env = mk "json-env" { j = builtins.toJSON { a = plain; b = [ 1 2 ]; c = "x"; }; };
  eq-test = mk "eq-test" { same = plain == plain; };
}
