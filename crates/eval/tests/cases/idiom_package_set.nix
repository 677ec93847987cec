let
  callPackageWith = autoArgs: fn: args:
    let f = if builtins.isFunction fn then fn else import fn;
        fargs = builtins.functionArgs f;
    in f (builtins.intersectAttrs fargs autoArgs // args);
  pkgs = rec {
    callPackage = callPackageWith pkgs;
    zlib = callPackage ({ stdenv }: { name = "zlib"; cc = stdenv; }) { };
    openssl = callPackage ({ zlib, stdenv, perl ? null }: { name = "openssl"; deps = [ zlib.name ]; hasPerl = perl != null; }) { };
    curl = callPackage ({ openssl, zlib }: { name = "curl"; deps = [ openssl.name zlib.name ]; }) { zlib = { name = "zlib-ng"; }; };
    stdenv = "gcc";
  };
in { inherit (pkgs) zlib openssl curl; }
