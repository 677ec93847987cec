# expect: [ "w1" "w2" ]
with import ./files/sys.nix; with lib;
(config { warnings = [ "w1" ]; imports = [ { warnings = [ "w2" ]; } ]; }).warnings
