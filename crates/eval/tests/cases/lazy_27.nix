builtins.concatLists [ [ (1 + 1) ] ]
