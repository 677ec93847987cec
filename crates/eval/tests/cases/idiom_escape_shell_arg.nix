let
  escapeShellArg = arg:
    let s = toString arg; in
    if builtins.match "[[:alnum:],._+:@%/-]+" s == null
    then "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] s}'"
    else s;
in map escapeShellArg [ "simple" "with space" "it's" "" "a/b-c.d" 42 "$HOME" ]
