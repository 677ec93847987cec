let d = { type = "derivation"; drvPath = "/d"; outPath = "/o"; name = "n"; }; in builtins.toXML [ d d { type = "derivation"; } ]
