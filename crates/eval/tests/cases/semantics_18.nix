let f = { a, b ? a + 1 }@args: args // { inherit b; }; in f { a = 1; }
