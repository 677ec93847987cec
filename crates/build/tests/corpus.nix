# The differential build corpus: every derivation here is built by Nix 2.8
# (sandboxed) in one store and by cairn in another, and the output paths,
# NAR hashes, references and content addresses must agree.
# Only busybox is needed (see cairn-testkit's import_busybox).
{ busybox }:
let
  sh = "${busybox}/bin/sh";
  mk = name: script: attrs:
    derivation ({
      inherit name;
      system = builtins.currentSystem;
      builder = sh;
      args = [ "-c" ("export PATH=${busybox}/bin; set -e; " + script) ];
    } // attrs);
  # Structured attributes have no $out: find it in .attrs.json.
  outOf = output: ''$(sed 's/.*"outputs":{[^}]*"${output}":"\([^"]*\)".*/\1/' .attrs.json)'';

  hello = mk "hello" "echo hello > $out" { };
  chain = n: if n == 0 then mk "chain-0" "echo 0 > $out" { }
    else let prev = chain (n - 1); in
      mk "chain-${toString n}" "cat ${prev} > $out; echo ${toString n} >> $out" { };
  base = mk "diamond-base" "mkdir $out; echo base > $out/base" { };
  left = mk "diamond-left" "mkdir $out; ln -s ${base}/base $out/from-base; echo left > $out/left" { };
  right = mk "diamond-right" "mkdir $out; cat ${base}/base > $out/copy" { };
  top = mk "diamond-top" "mkdir $out; ln -s ${left} $out/left; ln -s ${right} $out/right" { };
  multi = mk "multi" ''
    mkdir -p $out/bin $dev/include $lib/lib
    echo "#!/bin/sh" > $out/bin/tool; chmod +x $out/bin/tool
    echo "lib at $lib" > $out/bin/tool.conf
    echo "headers for $out" > $dev/include/multi.h
    echo lib > $lib/lib/libmulti.so
  '' { outputs = [ "out" "dev" "lib" ]; };
  fodFlat = mk "fod-flat" "echo -n fixed content > $out" {
    outputHashMode = "flat"; outputHashAlgo = "sha256";
    outputHash = builtins.hashString "sha256" "fixed content";
  };
  fodSha512 = mk "fod-sha512" "echo -n fixed content > $out" {
    outputHashAlgo = "sha512"; outputHash = builtins.hashString "sha512" "fixed content";
  };
  fodRecursive = mk "fod-recursive" "mkdir $out; echo a > $out/a; ln -s a $out/link" {
    outputHashMode = "recursive"; outputHashAlgo = "sha256";
    outputHash = "sha256-qZPXhFk0T2/b8irOslWoXRf95a2kdtIhAlR2pEfTcEk=";
  };
in {
  inherit hello base left right top multi fodFlat fodSha512 fodRecursive;
  chain5 = chain 5;
  empty-file = mk "empty-file" "touch $out" { };
  empty-dir = mk "empty-dir" "mkdir $out" { };
  executable = mk "executable" "echo 'echo hi' > $out; chmod 755 $out" { };
  symlink-to-input = mk "symlink-to-input" "ln -s ${busybox}/bin/busybox $out" { };
  dangling-symlink = mk "dangling-symlink" "ln -s /nowhere/at/all $out" { };
  symlinks = mk "symlinks" ''
    mkdir -p $out/a/b; echo x > $out/a/b/file
    ln -s a/b/file $out/rel; ln -s $out/a $out/abs; ln -s ../.. $out/a/b/up
  '' { };
  self-ref = mk "self-ref" "mkdir -p $out/bin; echo \"I am $out\" > $out/bin/me" { };
  refers-to-hello = mk "refers-to-hello" "echo ${hello} > $out" { };
  copies-hello = mk "copies-hello" "cp ${hello} $out" { };
  uses-dev-only = mk "uses-dev-only" "cat ${multi.dev}/include/multi.h > $out" { };
  refers-lib = mk "refers-lib" "echo ${multi.lib} > $out" { };
  after-fod = mk "after-fod" "cat ${fodFlat} > $out; ls ${fodRecursive} >> $out" { };
  # Nix 2.8's seccomp filter refuses setuid/setgid bits (chmod fails), cairn
  # has no such filter yet and drops them when canonicalising: same result.
  modes = mk "modes" ''
    mkdir -p $out/d; echo s > $out/setuid; chmod 4644 $out/setuid || true
    echo g > $out/d/setgid; chmod 2644 $out/d/setgid || true
    echo w > $out/world; chmod 666 $out/world; chmod 1777 $out/d
  '' { };
  many-files = mk "many-files" "mkdir $out; for i in $(seq 1 200); do echo $i > $out/f$i; done" { };
  big-file = mk "big-file" "head -c 3000000 /dev/zero | tr '\\0' 'x' > $out" { };
  deep = mk "deep" "mkdir -p $out/1/2/3/4/5/6/7/8/9; echo deep > $out/1/2/3/4/5/6/7/8/9/bottom" { };
  odd-names = mk "odd-names" "mkdir $out; echo 1 > \"$out/with space\"; echo 2 > $out/-dash; echo 3 > \"$out/quote'\"" { };
  env-dump = mk "env-dump" "env | sort > $out; echo $$ >> $out; pwd >> $out; id >> $out" {
    custom = "value with spaces"; multiline = "a\nb";
  };
  build-dir = mk "build-dir" "ls -a /build > $out" { };
  placeholder = mk "placeholder" "echo $where > $out" { where = builtins.placeholder "out"; };
  placeholder-multi = mk "placeholder-multi" "mkdir $out; echo $devPath > $dev; echo $outPath2 > $out/x" {
    outputs = [ "out" "dev" ]; devPath = builtins.placeholder "dev"; outPath2 = builtins.placeholder "out";
  };
  pass-as-file = mk "pass-as-file" "mkdir $out; cat $bigPath > $out/big; echo $bigPath > $out/name; cat $otherPath > $out/other" {
    passAsFile = [ "big" "other" ]; big = "a long\nvalue ${hello}"; other = "x";
  };
  export-graph = mk "export-graph" "cp graph $out" {
    exportReferencesGraph = [ "graph" (mk "graph-root" "echo ${hello} ${base} > $out" { }) ];
  };
  # Nix 2.8 points NIX_ATTRS_*_FILE at the host's build directory (fixed
  # in later Nix); cairn names /build. Only the file names are compared.
  structured = mk "structured" "out=${outOf "out"}; mkdir $out; cp .attrs.json .attrs.sh $out/; env | grep -v ^NIX_ATTRS | sort > $out/env; echo \${NIX_ATTRS_JSON_FILE##*/} \${NIX_ATTRS_SH_FILE##*/} >> $out/env" {
    __structuredAttrs = true;
    number = 42; float = 2.5; flag = true; nothing = null; list = [ 1 "two" false ];
    set = { a = "x"; "b c" = 3; }; nested = { l = [ 1 ]; };
    "not-a-shell-name" = "skipped";
  };
  structured-multi = mk "structured-multi" "out=${outOf "out"}; dev=${outOf "dev"}; echo $dev > $out; echo dev > $dev" {
    __structuredAttrs = true; outputs = [ "out" "dev" ];
  };
  structured-graph = mk "structured-graph" "out=${outOf "out"}; cp .attrs.json $out" {
    __structuredAttrs = true;
    exportReferencesGraph = { closure = [ (mk "sg-root" "echo ${hello} > $out" { }) ]; };
  };
  allowed-refs = mk "allowed-refs" "echo ${hello} > $out" {
    allowedReferences = [ hello ]; allowedRequisites = [ hello ];
  };
  allowed-self = mk "allowed-self" "mkdir $out; echo $out > $out/self" { allowedReferences = [ "out" ]; };
  disallowed-refs = mk "disallowed-refs" "echo plain > $out" {
    disallowedReferences = [ hello ]; disallowedRequisites = [ busybox ];
  };
  drv-as-input = mk "drv-as-input" "echo ${builtins.unsafeDiscardOutputDependency hello.drvPath} > $out" { };
  to-file = mk "to-file" "cat ${builtins.toFile "note.txt" "a note\n"} > $out" { };
  out-refs-dev = mk "out-refs-dev" "mkdir $out $dev; echo $dev > $out/dev-path; echo dev > $dev/x" {
    outputs = [ "out" "dev" ];
  };
}
