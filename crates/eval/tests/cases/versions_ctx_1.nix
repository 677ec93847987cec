map (builtins.splitVersion) [ "1.2.3" "1.2a" "2.3-pre1" "" "..a.-b1" "1..2" ]
