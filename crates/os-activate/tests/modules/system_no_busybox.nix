# expect: [ "builtin:cairn-tree" "builtin:cairn-tree" "builtin:buildenv" "builtin:cairn-tree" ]
with import ./files/sys.nix; with lib;
let s = import <cairn/system.nix> { configuration = { nixpkgs.pkgs = { }; }; }; b = s.config.system.build; in
[ s.toplevel.builder b.etc.builder s.config.system.path.builder b.units.builder ]
