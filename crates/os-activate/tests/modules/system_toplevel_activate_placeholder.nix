# expect: true
with import ./files/sys.nix; with lib;
let
  entries = builtins.fromJSON (builtins.unsafeDiscardStringContext (system { }).toplevel.entries);
  e = findFirst (e: e.path == "activate") null entries;
in
e.executable && hasInfix "systemConfig='${placeholder "out"}'" e.text
