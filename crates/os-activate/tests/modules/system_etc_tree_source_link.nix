# expect: [ "symlink" true ]
with import ./files/sys.nix; with lib;
let e = findFirst (e: e.path == "etc/b") null (builtins.fromJSON (builtins.unsafeDiscardStringContext (config { environment.etc.b.source = ./files/one.nix; }).system.build.etc.entries)); in
[ e.type (hasPrefix builtins.storeDir e.target && hasSuffix "-one.nix" e.target) ]
