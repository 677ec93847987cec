[ (builtins.pathExists ../readdir_fixture/file.txt) (builtins.pathExists ../readdir_fixture/nope) (builtins.readFile ../readdir_fixture/file.txt) ]
