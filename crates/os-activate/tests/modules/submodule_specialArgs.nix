# expect: { a = 42; }
with import ./files/t.nix; with lib;
clean (opt (types.submoduleWith { specialArgs.answer = 42; modules = [ ({ answer, ... }: { options.a = mkOption { default = answer; }; }) ]; }) [ { x = { }; } ])
