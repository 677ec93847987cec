(rec { f = n: if n == 0 then [ ] else [ n ] ++ f (n - 1); }).f 5
