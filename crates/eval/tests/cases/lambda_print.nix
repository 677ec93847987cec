[ (x: x) map (map (x: x)) builtins.add ]
