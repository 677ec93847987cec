# expect: "b\na"
with import ./files/sys.nix; with lib;
(config { imports = [ { environment.etc.x.text = "a"; } ]; environment.etc.x.text = "b"; }).environment.etc.x.text
