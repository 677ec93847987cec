"abc" + toString 12
