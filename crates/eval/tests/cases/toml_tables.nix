builtins.fromTOML "[t]\nx.y = 1\n[t.u]\nz = \"q\"\n[other]\n"
