let
  lib = {
    inherit (builtins) map;
    id = x: x;
  };
in
rec {
  a.b.c = 1;
  list = [ [ ] { } [ 1 [ 2 ] ] "s" ];
  inherit lib;
  fn = { z, a ? 1, m }: z;
  fn2 = args@{ ... }: args;
  thunk = 1 + 1;
  deep = { x = { y = { z = "deep"; }; }; };
  merged = { p = 1; } // { q = 2; };
  dyn = { ${"d" + "yn"} = true; };
  withDrv = {
    type = "derivation";
    drvPath = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x.drv";
    outPath = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-x";
    name = "x";
    extra = [ 1 ];
  };
  again = [ withDrv withDrv ];
  escapes = "<tag attr=\"v\"> & 'q'\nline2\ttab";
  floats = [ 0.1 1.0e-5 123456789.0 (-2.5) ];
  bools = [ true false null ];
}
