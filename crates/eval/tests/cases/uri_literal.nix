[ http://example.org/foo https://nixos.org a:b ]
