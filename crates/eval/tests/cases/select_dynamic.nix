let k = "b"; in { a = { b = 7; }; }.a.${k}
