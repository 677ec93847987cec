let s = "x"; in { "${s}" = 1; "${s}y" = 2; }
