# expect: "busybox"
with import ./files/t.nix; with lib;
(removeAttrs (evalModules { modules = [ { _module.args.pkgs = { busybox = { name = "busybox"; }; }; } ({ pkgs, ... }: { options.p = mkOption { default = pkgs.busybox.name; }; }) ]; }).config [ "_module" ]).p
