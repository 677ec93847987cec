with { true = 5; map = 1; }; [ true (map (x: x) [ 1 ]) ]
