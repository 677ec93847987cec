# error: depends on itself
with import ./files/sys.nix; with lib;
(config { system.activationScripts = { a = { text = ""; deps = [ "b" ]; }; b = { text = ""; deps = [ "a" ]; }; }; }).system.build.activationScript
