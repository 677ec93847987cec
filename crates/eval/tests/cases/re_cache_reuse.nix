map (s: builtins.match "([a-c]+)([0-9]*)" s) [ "abc1" "cab" "xyz" "a99" "" ]
