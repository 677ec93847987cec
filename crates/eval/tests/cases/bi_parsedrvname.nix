map builtins.parseDrvName [ "hello-2.12" "foo-bar-1.0-rc1" "nodash" "trailing-" "a-b-c" "x-1" "firefox-unwrapped-119.0b3" "-1" "" ]
