let f = args@{ a ? 1, ... }: args; in f { b = 2; }
