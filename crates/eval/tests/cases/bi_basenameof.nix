map baseNameOf [ "/a/b/c" "/a/b/" "abc" "" "/" "a/b" ]
