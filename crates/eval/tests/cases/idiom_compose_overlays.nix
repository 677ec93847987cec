let
  composeExtensions = f: g: final: prev:
    let fApplied = f final prev; prev' = prev // fApplied; in fApplied // g final prev';
  composeManyExtensions = builtins.foldl' (acc: o: composeExtensions acc o) (final: prev: { });
  fix = f: let x = f x; in x;
  pkgsFun = final: { hello = { name = "hello"; version = 1; }; greeting = "hi ${final.hello.name}"; };
  overlays = builtins.genList (i: final: prev: { hello = prev.hello // { version = prev.hello.version + i; }; }) 10;
  apply = final: let prev = pkgsFun final; in prev // (composeManyExtensions overlays) final prev;
in (fix apply).hello // { g = (fix apply).greeting; }
