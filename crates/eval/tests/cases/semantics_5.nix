with { z = 1; }; ({ a ? z }: a) { }
