[ (builtins.length []) (builtins.head [ [ ] ]) ]
