# Splitting a string character by character on a predicate over
# (previous, current), keeping or dropping the split character, then
# camel-casing the parts.
let
  splitBy = pred: keep: s:
    let
      n = builtins.stringLength s;
      ch = i: builtins.substring i 1 s;
      go = i: cur: acc:
        if i == n then acc ++ [ cur ]
        else
          let c = ch i; p = if i > 0 then ch (i - 1) else ""; in
          if pred p c then go (i + 1) (if keep then c else "") (acc ++ [ cur ])
          else go (i + 1) (cur + c) acc;
    in if n == 0 then [ "" ] else go 0 "" [ ];
  upper = builtins.replaceStrings [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ]
    [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];
  lower = builtins.replaceStrings [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ]
    [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
  cap = s: upper (builtins.substring 0 1 s) + lower (builtins.substring 1 (-1) s);
  camel = s:
    let
      words = splitBy (p: c: builtins.elem c [ "-" "_" " " ]) false s;
      parts = builtins.concatMap (splitBy (p: c: builtins.match "[a-z]" p != null && builtins.match "[A-Z]" c != null) true) words;
    in if parts == [ ] then "" else lower (builtins.head parts) + builtins.concatStringsSep "" (map cap (builtins.tail parts));
in
{
  dots = splitBy (p: c: c == ".") false "a.b..c.";
  keepUpper = splitBy (p: c: builtins.match "[A-Z]" c != null) true "fooBarBaz";
  empty = splitBy (p: c: true) false "";
  camels = map camel [ "hello-world" "hello_world" "hello world" "HelloWorld" "fooBar-baz_QUX" "" ];
}
