rec { a = "n"; ${a} = 1; }
