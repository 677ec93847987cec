builtins.match "/nix/store/([a-z0-9]{32})-(.*)" "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-hello-2.12"
