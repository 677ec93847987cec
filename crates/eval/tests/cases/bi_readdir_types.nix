builtins.readDir ../readdir_fixture
