{ lib, ... }: { imports = [ ./cycle-a.nix ]; options.a = lib.mkOption { type = lib.types.bool; }; }
