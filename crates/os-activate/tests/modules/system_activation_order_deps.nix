# expect: [ "a" "b" "c" ]
with import ./files/sys.nix; with lib;
let t = (config { system.activationScripts = { c.text = "echo c"; c.deps = [ "b" ]; b = { text = "echo b"; deps = [ "a" ]; }; a = "echo a"; }; }).system.build.activationScript; in map (l: removePrefix "#### Activation script snippet " (removeSuffix ":" l)) (filter (hasPrefix "#### ") (splitString "\n" t))
