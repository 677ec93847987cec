# expect: true
with import ./files/sys.nix; with lib;
hasSuffix ".drv" (system { assertions = [ { assertion = true; message = "never"; } ]; }).toplevel.drvPath
