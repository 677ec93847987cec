import ../import_helper.nix 5
