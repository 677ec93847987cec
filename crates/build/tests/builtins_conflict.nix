# Two packages provide bin/tool at the same priority: buildenv must fail.
{ busybox }:
let
  mk = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "${busybox}/bin/sh";
    args = [ "-c" ("export PATH=${busybox}/bin; mkdir -p $out/bin; " + script) ];
  };
  a = mk "conflict-a" "echo a > $out/bin/tool";
  b = mk "conflict-b" "echo b > $out/bin/tool";
in
derivation {
  name = "env-conflict";
  system = builtins.currentSystem;
  builder = "builtin:buildenv";
  manifest = builtins.toFile "manifest.nix" "[ ]";
  derivations = [ "true" "5" "1" a "true" "5" "1" b ];
}
