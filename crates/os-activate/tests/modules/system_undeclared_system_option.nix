# error: The option `services' does not exist
with import ./files/sys.nix; with lib;
(system { services.nginx.enable = true; }).toplevel.drvPath
