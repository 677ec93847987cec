{ imports = [ ./cycle-b.nix ]; a = true; }
