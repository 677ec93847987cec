# expect: false
with import ./files/sys.nix; with lib;
(config { }).environment.etc ? localtime
