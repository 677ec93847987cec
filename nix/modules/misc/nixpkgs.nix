# `nixpkgs.pkgs`: the package set modules receive as `pkgs`. It is nixpkgs
# when `<nixpkgs>` is on the search path; otherwise the configuration must
# name a set (for a system without nixpkgs, a small set with busybox).
{ config, lib, ... }:
with lib;
let
  hasNixpkgs = builtins.any (e: e.prefix == "nixpkgs") builtins.nixPath;
in
{
  options.nixpkgs.pkgs = mkOption {
    type = types.raw;
    defaultText = "import <nixpkgs> { } when <nixpkgs> is on the search path";
    description = "The package set passed to every module as `pkgs`.";
  } // optionalAttrs hasNixpkgs { default = import <nixpkgs> { }; };

  config._module.args.pkgs = config.nixpkgs.pkgs;
}
