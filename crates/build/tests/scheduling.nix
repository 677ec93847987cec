# Derivations for tests/scheduling.rs: a wide diamond of 200 builds whose
# builders stamp when they start and end, a build that runs while the
# garbage collector does, and builds to --check.
{ busybox }:
let
  mk = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "${busybox}/bin/sh";
    args = [ "-c" script ];
  };
  # The host's boot clock (/proc is the sandbox's own, the clock is not):
  # monotonic, so a build that ends before another starts never appears
  # to overlap it, whatever the clock's resolution.
  now = var: "read ${var} idle < /proc/uptime";
  base = mk "base" "echo base > $out";
  mid = i: mk "mid-${toString i}"
    "${now "start"}; read b < ${base}; sleep 0.2; ${now "end"}; echo $start $end > $out";
  mids = builtins.genList mid 198;
  gcDep = mk "gc-dep" "echo dep > $out";
  # The same shape with one failing mid.
  fbase = mk "fbase" "echo fbase > $out";
  fmid = i: mk "fmid-${toString i}"
    (if i == 100 then "echo failing; exit 1" else "read b < ${fbase}; echo ${toString i} > $out");
  fmids = builtins.genList fmid 198;
  others = builtins.filter (m: m.name != "fmid-100") fmids;
in {
  # 200 derivations: base -> 198 mids -> top.
  graph = mk "top" "for m in ${toString mids}; do read l < $m; echo $m $l; done > $out";
  failingGraph = mk "ftop" "for m in ${toString fmids}; do read l < $m; echo $l; done > $out";
  besideFailing = mk "fbeside" "for m in ${toString others}; do read l < $m; echo $l; done > $out";
  brokenMid = fmid 100;
  garbage = mk "garbage" "echo garbage > $out";
  # Says "running", then waits long enough for a collection to run.
  gcUser = mk "gc-user" "echo running; sleep 1; read d < ${gcDep}; echo $d-user > $out";
  deterministic = mk "deterministic" "mkdir -p $out/bin; echo same > $out/bin/x; ln -s bin/x $out/link";
  nondeterministic = mk "nondeterministic"
    "mkdir $out; echo same > $out/a; read u < /proc/sys/kernel/random/uuid; echo prefix-$u > $out/b";
}
