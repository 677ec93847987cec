builtins.getAttr "x" { x = null; }
