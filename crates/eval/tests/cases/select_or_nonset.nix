(1).a or "x"
