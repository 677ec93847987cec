let
  fix = f: let x = f x; in x;
  extends = overlay: f: final: let prev = f final; in prev // overlay final prev;
  base = final: { a = 1; b = final.a + 1; c = final.b * 10; };
  over1 = final: prev: { a = 5; };
  over2 = final: prev: { c = prev.c + 1; d = final.c; };
in fix (extends over2 (extends over1 base))
