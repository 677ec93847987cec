# error: A definition for option `networking.hostName' is not of type
with import ./files/sys.nix; with lib;
(config { networking.hostName = "bad name"; }).networking.hostName
