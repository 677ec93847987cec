{ config, lib, ... }: {
  imports = [ ./a.nix ];
  options.shared = lib.mkOption { type = lib.types.listOf lib.types.str; default = [ ]; };
  config.shared = [ "b${toString config.fromA}" ];
}
