map dirOf [ "/a/b/c" "/a" "abc" "a/b" "/a/b/" ]
