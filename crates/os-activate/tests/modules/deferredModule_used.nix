# expect: { v = 3; }
with import ./files/t.nix; with lib;
let m = opt types.deferredModule [ { x = { v = 1; }; } { x = { v = mkForce 3; }; } ]; in removeAttrs (evalModules { modules = [ { options.v = mkOption { }; } m ]; }).config [ "_module" ]
