builtins.match "([^@]+)@([^.]+)\\.(.+)" "user@example.co.uk"
