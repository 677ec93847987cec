builtins.toXML { f = x: x; g = { a, b ? 1, ... }@args: a; h = { z }: z; p = builtins.map; q = builtins.map (x: x); }
