{ a = [ (throw "deep") ]; }
