builtins.readFile ../readdir_fixture/file.txt
