# error: Failed assertions:
# error: - custom failure
with import ./files/sys.nix; with lib;
(system { assertions = [ { assertion = false; message = "custom failure"; } ]; }).toplevel.drvPath
