# environment.systemPackages, merged into the system's `sw` tree.
{ config, lib, pkgs, ... }:
with lib;
{
  options.environment.systemPackages = mkOption {
    type = types.listOf types.package;
    default = [ ];
    description = "Packages linked into /run/current-system/sw.";
  };
  options.system.path = mkOption {
    type = types.package;
    internal = true;
    description = "The `sw` tree: the union of the system packages.";
  };

  config.system.path = config.system.build.runCommand "system-path"
    { pkgs = config.environment.systemPackages; }
    ''
      mkdir -p $out
      # Later packages never replace files of earlier ones (NixOS's buildEnv
      # reports such collisions; we keep the first and say so).
      for pkg in $pkgs; do
        cd "$pkg"
        find . ! -type d ! -path './nix-support/*' | while read -r f; do
          f=''${f#./}
          if [ -e "$out/$f" ] || [ -L "$out/$f" ]; then
            echo "collision: $f from $pkg already provided" >&2
          else
            mkdir -p "$out/$(dirname "$f")"
            ln -s "$pkg/$f" "$out/$f"
          fi
        done
      done
    '';
}
