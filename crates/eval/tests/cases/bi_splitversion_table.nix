map builtins.splitVersion [ "1.2.3" "1.2-rc3" "2.3pre1" "" "a.b.c" "1__2" "x86_64" ]
