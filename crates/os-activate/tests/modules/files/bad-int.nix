{ x = "not a number"; }
