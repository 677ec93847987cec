let
  deps = { a = [ "b" "c" ]; b = [ "d" ]; c = [ "d" ]; d = [ ]; e = [ "a" ]; };
  closure = root: map (x: x.key) (builtins.genericClosure {
    startSet = [ { key = root; } ];
    operator = item: map (k: { key = k; }) deps.${item.key};
  });
in { a = closure "a"; e = closure "e"; d = closure "d"; }
