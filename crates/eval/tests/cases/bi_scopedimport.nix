scopedImport { x = 2; } ../scoped_import_helper.nix
