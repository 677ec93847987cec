[ 1 "a" null (1) (x: x) builtins.head ]
