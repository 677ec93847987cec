let or = 1; in { or = 2; }.or
