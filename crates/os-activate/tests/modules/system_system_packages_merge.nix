# expect: [ "b" "a" ]
with import ./files/sys.nix; with lib;
map (p: p.name) (config { imports = [ { environment.systemPackages = [ (derivation { name = "a"; system = "x"; builder = "x"; }) ]; } ]; environment.systemPackages = [ (derivation { name = "b"; system = "x"; builder = "x"; }) ]; }).environment.systemPackages
