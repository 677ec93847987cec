{ foo = 1; }.fo
