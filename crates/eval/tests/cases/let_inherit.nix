let x = 5; in let inherit x; y = x; in y
