# Sources: path literals, builtins.path, filterSource and toFile.
with import ./common.nix;
rec {
  file = mk "src-file" { src = ./src/hello.txt; };
  dir = mk "src-dir" { src = ./src/tree; };
  interp = mk "src-interp" { s = "${./src/tree}/sub/data"; };
  path-named = mk "src-path-named" { src = builtins.path { path = ./src/tree; name = "renamed-tree"; }; };
  path-flat = mk "src-path-flat" { src = builtins.path { path = ./src/hello.txt; recursive = false; name = "flat-hello"; }; };
  path-filtered = mk "src-path-filtered" {
    src = builtins.path { path = ./src/tree; filter = path: type: !(builtins.match ".*\\.tmp" path != null); };
  };
  path-filter-dirs = mk "src-path-filter-dirs" {
    src = builtins.path { path = ./src/tree; name = "no-sub"; filter = path: type: type != "directory"; };
  };
  path-filter-symlinks = mk "src-path-filter-symlinks" {
    src = builtins.path { path = ./src/tree; filter = path: type: type != "symlink"; };
  };
  filter-source = mk "src-filter-source" { src = builtins.filterSource (path: type: baseNameOf path != "run.sh") ./src/tree; };
  path-sha = mk "src-path-sha" {
    src = builtins.path { path = ./src/hello.txt; sha256 = "04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw"; };
  };
  text = builtins.toFile "greeting.txt" "hello from toFile\n";
  text-refs = builtins.toFile "refs.txt" "see ${./src/hello.txt} and ${text}\n";
  uses-text = mk "uses-text" { script = text-refs; other = text; };
  text-drv-file = builtins.toFile "drv-file.txt" "${builtins.unsafeDiscardOutputDependency file.drvPath}";
  uses-text-drv-file = mk "uses-text-drv-file" { f = text-drv-file; };
  mixed = mk "src-mixed" { srcs = [ ./src/hello.txt ./src/tree text (builtins.path { path = ./src; name = "all"; }) ]; };
  store-path = mk "src-store-path" { p = builtins.storePath "${text}"; };
}
