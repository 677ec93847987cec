let
  data = { name = "x"; list = [ 1 2.5 "s" null true { nested = [ ]; } ]; empty = { }; unicode = "é\n\t\"q\""; };
in [ (builtins.fromJSON (builtins.toJSON data) == data) (builtins.toJSON data) ]
