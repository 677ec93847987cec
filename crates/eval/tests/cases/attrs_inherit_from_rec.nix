rec { s = { p = 4; }; inherit (s) p; q = p + 1; }
