# expect: [ "console=ttyS0" "quiet" ]
with import ./files/sys.nix; with lib;
(config { imports = [ { boot.kernelParams = [ "quiet" ]; } ]; boot.kernelParams = [ "console=ttyS0" ]; }).boot.kernelParams
