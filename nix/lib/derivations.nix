# Building without nixpkgs: derivations whose builders are cairn's own
# `builtin:` builders, so that assembling a system needs no shell, no
# coreutils, nothing in the store but what the system itself holds.
{ lib }:
rec {
  # A tree written by `builtin:cairn-tree`: `entries` is a list made with
  # `treeFile`, `treeExecutable`, `treeSymlink` and `treeDirectory`
  # (paths relative to the output). Texts and link targets keep their
  # string context, so the tree depends on, and refers to, what they name.
  mkTree = name: entries:
    derivation {
      inherit name;
      system = builtins.currentSystem;
      builder = "builtin:cairn-tree";
      entries = builtins.toJSON entries;
    };
  treeFile = path: text: { inherit path text; type = "regular"; };
  treeExecutable = path: text: { inherit path text; type = "regular"; executable = true; };
  treeSymlink = path: target: { inherit path; type = "symlink"; target = toString target; };
  treeDirectory = path: { inherit path; type = "directory"; };

  # The union of `paths` as symlinks, built by Nix's own
  # `builtin:buildenv` (as `nix-env` builds profiles). Each element is a
  # package, or `{ package; priority; }` (lower numbers win a collision;
  # the default is 5, and equal priorities colliding are an error).
  buildEnv = { name, paths }:
    let
      entry = p:
        if builtins.isAttrs p && p ? package
        then { path = p.package; priority = p.priority; }
        else { path = p; priority = 5; };
    in
    derivation {
      inherit name;
      system = builtins.currentSystem;
      builder = "builtin:buildenv";
      # `builtin:buildenv` links manifest.nix to it; our trees describe
      # nothing there.
      manifest = builtins.toFile "env-manifest.nix" "[ ]";
      derivations = builtins.concatMap (p: let e = entry p; in [ "true" (toString e.priority) "1" e.path ]) paths;
    };
}
