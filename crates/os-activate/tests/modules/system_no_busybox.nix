# error: nixpkgs.pkgs has no `busybox'
with import ./files/sys.nix; with lib;
(import <cairn/system.nix> { configuration = { nixpkgs.pkgs = { }; }; }).toplevel.drvPath
