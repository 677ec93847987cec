# expect: [ "builtin:buildenv" true ]
with import ./files/sys.nix; with lib;
let p = (config { }).system.path; in [ p.builder (hasSuffix "-env-manifest.nix" p.manifest) ]
