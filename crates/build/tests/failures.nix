# Derivations that fail in various ways, for tests/failures.rs.
{ busybox }:
let
  mk = name: script: attrs:
    derivation ({
      inherit name;
      system = builtins.currentSystem;
      builder = "${busybox}/bin/sh";
      args = [ "-c" ("export PATH=${busybox}/bin; set -e; " + script) ];
    } // attrs);
  broken = mk "broken" "for i in $(seq 1 15); do echo line $i; done; exit 3" { };
  ok1 = mk "ok1" "echo ok1 > $out" { };
  genuine = mk "genuine" "echo genuine > $out" { };
  # Writes a file where `genuine` will be in the store directory of its
  # sandbox (which the next build reuses), without depending on it.
  planter = mk "planter"
    "echo planted > ${builtins.unsafeDiscardStringContext (toString genuine)}; echo > $out" { };
in {
  inherit genuine;
  after-planter = mk "after-planter" "cat ${planter} > /dev/null; cat ${genuine} > $out" { };
  inherit broken ok1;
  after-broken = mk "after-broken" "cat ${broken} > $out" { };
  after-after = mk "after-after" "cat ${mk "middle" "cat ${broken} > $out" { }} > $out" { };
  after-ok1 = mk "after-ok1" "cat ${ok1} > $out" { };
  ok2 = mk "ok2" "echo ok2 > $out" { };
  fod-mismatch = mk "fod-mismatch" "echo -n actual > $out" {
    outputHashAlgo = "sha256"; outputHash = builtins.hashString "sha256" "expected";
  };
  sleeper = mk "sleeper" "echo going to sleep; sleep 1000" { };
  silent = mk "silent" "sleep 1000" { };
  forbidden-ref = mk "forbidden-ref" "echo ${ok1} > $out" { allowedReferences = [ ]; };
  no-output = mk "no-output" "echo forgot" { };
  slow = mk "slow" "mkdir $out; echo partial > $out/part; sleep 4; echo done > $out/done" { };
}
