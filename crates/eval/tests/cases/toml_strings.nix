builtins.fromTOML "a = \"\"\"\nmulti\nline\"\"\"\nb = 'lit\\n'\nc = '''\nraw\\t'''\nd = \"esc\\t\\u00e9\\\"\"\ne = \"\"\n"
