let inherit ({ a = 1; }) a; in a
