scopedImport { } ../scoped_import_helper.nix
