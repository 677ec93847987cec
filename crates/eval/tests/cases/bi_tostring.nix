map toString [ 1 "s" true false null [ 1 "a" [ 2 ] ] 1.5 [ ] { __toString = self: "custom"; } { outPath = "/out"; } ]
