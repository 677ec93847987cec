let f = y: [ y ]; in [ (f 1) (f 1) ]
