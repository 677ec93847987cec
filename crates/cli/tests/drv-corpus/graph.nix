# Generated graphs: a chain, a diamond lattice and a wide fan-in.
with import ./common.nix;
let
  chain = builtins.foldl' (prev: i: mk "chain-${toString i}" { inherit prev; }) (mk "chain-0" { }) (builtins.genList (i: i + 1) 30);
  layer = n: prev: builtins.genList (i: mk "diamond-${toString n}-${toString i}" { deps = prev; }) 3;
  lattice = builtins.foldl' (prev: n: layer n prev) [ ] (builtins.genList (n: n) 8);
  leaves = builtins.genList (i: mk "leaf-${toString i}" { index = i; outputs = if i / 2 * 2 == i then [ "out" ] else [ "out" "dev" ]; }) 30;
  fanin = mk "fan-in" { deps = map (l: l.${builtins.head (builtins.attrNames (builtins.intersectAttrs { dev = 1; } l) ++ [ "out" ])}) leaves; };
in {
  inherit chain fanin;
  lattice = builtins.listToAttrs (builtins.genList (i: { name = "node${toString i}"; value = builtins.elemAt lattice i; }) 3) // { recurseForDerivations = true; };
  leaves = leaves;
  top = mk "top" { inherit chain fanin; lattice = builtins.head lattice; };
}
