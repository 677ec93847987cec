{ zeta = 1; alpha = 2; Beta = 3; _x = 4; "-a" = 5; a1 = 6; "a b" = 7; }
