# Derivations that Nix instantiates for the differential test in
# oracle_corpus.rs: each attribute exercises a corner of the .drv format,
# hashDerivationModulo or output-path computation. No nixpkgs: builders are
# plain strings, since these derivations are instantiated, never built.
let
  system = "x86_64-linux";
  mk = attrs: derivation ({ inherit system; builder = "/bin/sh"; } // attrs);
  fixed = name: mode: algo: hash: mk {
    inherit name;
    outputHashMode = mode;
    outputHashAlgo = algo;
    outputHash = hash;
  };
  zeros = n: builtins.concatStringsSep "" (builtins.genList (_: "0") n);

  # Fixed outputs of every mode and algorithm.
  fixedOutputs = {
    flat-md5 = fixed "flat-md5" "flat" "md5" (zeros 32);
    flat-sha1 = fixed "flat-sha1" "flat" "sha1" (zeros 40);
    flat-sha256 = fixed "flat-sha256" "flat" "sha256" (zeros 64);
    flat-sha512 = fixed "flat-sha512" "flat" "sha512" (zeros 128);
    rec-md5 = fixed "rec-md5" "recursive" "md5" (zeros 32);
    rec-sha1 = fixed "rec-sha1" "recursive" "sha1" (zeros 40);
    rec-sha256 = fixed "rec-sha256" "recursive" "sha256" "1111111111111111111111111111111111111111111111111111";
    rec-sha512 = fixed "rec-sha512" "recursive" "sha512" (zeros 128);
    sri = mk {
      name = "sri";
      outputHashMode = "recursive";
      outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    };
    flat-default-mode = mk {
      name = "flat-default-mode";
      outputHashAlgo = "sha256";
      outputHash = "0000000000000000000000000000000000000000000000000000";
    };
  };

  # A chain of fixed-output derivations, each fetching "with" the previous.
  fodChain = builtins.foldl'
    (prev: i: mk {
      name = "fod-chain-${toString i}";
      previous = prev;
      outputHashMode = "flat";
      outputHashAlgo = "sha256";
      outputHash = zeros 63 + toString i;
    })
    (fixedOutputs.flat-sha256)
    [ 1 2 3 ];

  multi = mk { name = "multi"; outputs = [ "out" "dev" "lib" "man" ]; };
  base = mk { name = "base"; };
  left = mk { name = "left"; dep = base; };
  right = mk { name = "right"; dep = base; };
in
fixedOutputs // {
  inherit fodChain multi base left right;

  escapes = mk {
    name = "escapes";
    args = [ "-c" "echo \"quoted\" \\ back\nslash\ttab\rreturn" "$out" "\${notInterpolated}" ];
    unicode = "ünïcødé ✓ 🎉";
    control = "bell:\x07? no: Nix has no \\x escapes, so this stays literal";
  };
  env-coercions = mk {
    name = "env-coercions";
    yes = true;
    no = false;
    nothing = null;
    int = 42;
    negative = -7;
    list = [ "a" 1 true null [ "nested" ] ];
    path = ./corpus-src/hello.txt;
    drvs = [ base left ];
  };
  ignore-nulls = mk { name = "ignore-nulls"; __ignoreNulls = true; gone = null; kept = "k"; };
  depends-on-outputs = mk {
    name = "depends-on-outputs";
    dev = multi.dev;
    lib = "${multi.lib}/lib";
    out = "ignored: out is set by derivation";
  };
  diamond = mk { name = "diamond"; inherit left right; };
  on-fod-chain = mk { name = "on-fod-chain"; src = fodChain; also = fixedOutputs.rec-sha1; };
  sources = mk {
    name = "sources";
    file = ./corpus-src/hello.txt;
    dir = ./corpus-src/dir;
    filtered = builtins.path {
      path = ./corpus-src/dir;
      name = "filtered";
      filter = path: type: baseNameOf path != "skip.me";
    };
    text = builtins.toFile "notes.txt" "refers to ${./corpus-src/hello.txt}";
  };
  pass-as-file = mk { name = "pass-as-file"; big = "lots of text\n"; passAsFile = [ "big" ]; };
  structured = mk {
    name = "structured";
    __structuredAttrs = true;
    outputs = [ "out" "doc" ];
    number = 1.5;
    nested = { list = [ 1 "two" { three = 3; } ]; flag = false; };
    dep = base;
  };
  references-checks = mk {
    name = "references-checks";
    allowedReferences = [ ];
    allowedRequisites = [ base ];
    disallowedReferences = [ left ];
    disallowedRequisites = [ right ];
    preferLocalBuild = true;
    allowSubstitutes = false;
  };
  many-args = mk { name = "many-args"; args = builtins.genList toString 40; };
  long-name = mk { name = "a-name-with-many-parts-1.2.3-rc4+build.5_x=y?z"; };
}
