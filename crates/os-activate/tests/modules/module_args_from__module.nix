# expect: { x = "from args"; }
with import ./files/t.nix; with lib;
eval [ { _module.args.greeting = "from args"; } ({ greeting, ... }: { options.x = mkOption { default = greeting; }; }) ]
