# An integer literal -0 is the integer 0; with a fraction or exponent it
# stays a float. Strings that contain "-0" are left alone.
let j = builtins.fromJSON; in
{
  int = j "-0";
  isInt = builtins.isInt (j "-0");
  floats = map (s: builtins.isFloat (j s)) [ "-0.0" "-0e1" "-0E0" "-0.5" ];
  mixed = j ''{"a": [-0, 0, -1, -0.0], "b": "-0", "c": "x\"-0"}'';
  spaced = j " \t\n-0\n";
}
