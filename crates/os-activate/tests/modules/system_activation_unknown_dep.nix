# error: unknown dependency `nope'
with import ./files/sys.nix; with lib;
(config { system.activationScripts.a = { text = ""; deps = [ "nope" ]; }; }).system.build.activationScript
