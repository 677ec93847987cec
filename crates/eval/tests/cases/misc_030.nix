toString 0.1
