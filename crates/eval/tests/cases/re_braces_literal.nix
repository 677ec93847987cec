[ (builtins.match "a}" "a}") (builtins.match "}" "}") (builtins.match "]" "]") (builtins.match "a]" "a]") ]
