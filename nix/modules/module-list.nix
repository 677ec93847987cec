# Every module of a cairn system, in the order they are evaluated.
[
  ./misc/assertions.nix
  ./misc/nixpkgs.nix
  ./misc/version.nix
  ./config/networking.nix
  ./config/time.nix
  ./config/system-path.nix
  ./config/users-groups.nix
  ./system/etc.nix
  ./system/systemd.nix
  ./system/activation.nix
  ./system/boot.nix
  ./system/top-level.nix
]
