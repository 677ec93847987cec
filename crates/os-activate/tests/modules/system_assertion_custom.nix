# expect: "ok"
with import ./files/sys.nix; with lib;
let r = builtins.tryEval (system { assertions = [ { assertion = false; message = "custom failure"; } ]; }).toplevel.drvPath; in if r.success then "wrong" else "ok"
