# error: Failed assertions:
# error: environment.etc."empty" needs `text` or `source`
with import ./files/sys.nix; with lib;
(system { environment.etc.empty = { }; }).toplevel.drvPath
