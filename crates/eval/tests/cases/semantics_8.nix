map toString [ 1.0e-7 1.0e20 (-0.5) ]
