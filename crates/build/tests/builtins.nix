# `builtin:buildenv` cases, built by Nix 2.8 in one store and by cairn in
# another (tests/builtins.rs): outputs must be identical. `conflict` must
# fail in both. `tree` is cairn's own `builtin:cairn-tree` (Nix cannot
# build it); its output is checked directly.
{ busybox }:
let
  mk = name: script:
    derivation {
      inherit name;
      system = builtins.currentSystem;
      builder = "${busybox}/bin/sh";
      args = [ "-c" ("export PATH=${busybox}/bin; set -e; " + script) ];
    };
  manifest = builtins.toFile "manifest.nix" "[ ]";
  env = name: groups:
    derivation {
      inherit name manifest;
      system = builtins.currentSystem;
      builder = "builtin:buildenv";
      derivations = map (g: [ (if g.active or true then "true" else "false") (toString (g.priority or 5)) (toString (builtins.length g.paths)) ] ++ g.paths) groups;
    };

  a = mk "pkg-a" ''
    mkdir -p $out/bin $out/share/a $out/nix-support $out/lib
    echo a > $out/bin/tool; chmod +x $out/bin/tool
    echo a-only > $out/bin/a
    echo doc > $out/share/a/doc
    echo ignored > $out/nix-support/setup-hook
    echo hidden > $out/.hidden
    echo m > $out/manifest.nix
    echo p > $out/lib/perllocal.pod
    ln -s /nix/store/nothing-here $out/bin/dangling
  '';
  b = mk "pkg-b" ''
    mkdir -p $out/bin $out/share/b
    echo b > $out/bin/tool
    echo doc > $out/share/b/doc
  '';
  # `share` is a link to another package's directory.
  c = mk "pkg-c" ''
    mkdir -p $out
    ln -s ${b}/share $out/share
    echo c > $out/c
  '';
  prop = mk "pkg-prop" ''
    mkdir -p $out/nix-support $out/bin
    echo prop > $out/bin/prop
    echo -n "${b} ${c}" > $out/nix-support/propagated-user-env-packages
  '';
  file = mk "pkg-file" "echo just-a-file > $out";
  multi = derivation {
    name = "pkg-multi";
    system = builtins.currentSystem;
    builder = "${busybox}/bin/sh";
    outputs = [ "out" "dev" ];
    args = [ "-c" "export PATH=${busybox}/bin; mkdir -p $out/bin $dev/include; echo o > $out/bin/m; echo h > $dev/include/m.h" ];
  };
in
{
  single = env "env-single" [ { paths = [ a ]; } ];
  # Same file, different priorities: the lower number wins either order.
  priorities = env "env-priorities" [ { paths = [ b ]; priority = 3; } { paths = [ a ]; priority = 7; } ];
  prioritiesSwapped = env "env-priorities-swapped" [ { paths = [ a ]; priority = 2; } { paths = [ b ]; priority = 9; } ];
  # Directories linked whole, then split when a second package adds to them.
  split = env "env-split" [ { paths = [ c ]; priority = 1; } { paths = [ a ]; priority = 2; } ];
  inactive = env "env-inactive" [ { paths = [ a ]; active = false; } { paths = [ c ]; } ];
  propagated = env "env-propagated" [ { paths = [ prop ]; } ];
  notADirectory = env "env-not-a-directory" [ { paths = [ file ]; } { paths = [ c ]; } ];
  multipleOutputs = env "env-multi" [ { paths = [ multi.out multi.dev ]; } ];
  empty = env "env-empty" [ ];
}
