# error: A definition for option `environment.systemPackages."[definition 1-entry 1]"' is not of type `package'
with import ./files/sys.nix; with lib;
(config { environment.systemPackages = [ "hello" ]; }).environment.systemPackages
