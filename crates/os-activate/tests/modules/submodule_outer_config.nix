# expect: { sub = { v = 10; }; top = 10; }
with import ./files/t.nix; with lib;
clean (eval [ ({ config, ... }: { options.top = mkOption { default = 10; }; options.sub = mkOption { type = types.submodule { options.v = mkOption { default = config.top; }; }; default = { }; }; }) ])
