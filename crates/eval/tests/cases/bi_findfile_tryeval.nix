(builtins.tryEval (builtins.findFile [ ] "nothing")).success
