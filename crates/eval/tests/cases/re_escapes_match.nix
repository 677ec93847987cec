[ (builtins.match "\\(" "(") (builtins.match "\\*" "*") (builtins.match "\\." ".") (builtins.match "\\\\" "\\") (builtins.match "\\$\\{([^}]*)}" "\${foo}") (builtins.match "a\\|b" "a|b") ]
