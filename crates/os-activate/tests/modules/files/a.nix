{ lib, ... }: {
  options.fromA = lib.mkOption { type = lib.types.int; default = 1; };
  config.shared = [ "a" ];
}
