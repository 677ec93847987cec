[ (baseNameOf "/a/b/") (baseNameOf "a") (baseNameOf "") (dirOf "/a/b") (dirOf "a/b") (dirOf "a") (dirOf "/") (baseNameOf ./bi_typeof_all.nix) ]
