builtins.toJSON [ "\n\t\r\"\\" "é" "\u0001" ]
