builtins.fromTOML "a = 1e3\nb = inf\nc = -inf\nd = -0.0\ne = 0x1F\nf = 0o17\ng = 0b11\nh = 1_000\ni = +7\nj = 3.0\nk = 1e100\nl = 0.1\nm = 9223372036854775807\nn = -9223372036854775808\n"
