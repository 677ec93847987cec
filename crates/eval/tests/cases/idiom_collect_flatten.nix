let
  collect = pred: attrs:
    if pred attrs then [ attrs ]
    else if builtins.isAttrs attrs then builtins.concatMap (collect pred) (builtins.attrValues attrs)
    else [ ];
  flatten = x: if builtins.isList x then builtins.concatMap flatten x else [ x ];
in {
  collected = collect (x: x ? value) { a = { value = 1; }; b = { c = { value = 2; }; d = 3; }; };
  flat = flatten [ 1 [ 2 [ 3 [ ] [ [ 4 ] ] ] ] 5 ];
}
