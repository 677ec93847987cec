# Fixed-output derivations: every mode, algorithm and hash encoding, and
# derivations (and chains of them) that depend on fixed outputs.
with import ./common.nix;
let
  # Hashes of the string "fixed\n" (flat) in every algorithm and encoding.
  flat = {
    md5 = { b16 = "9e9a1c0ee48e6b40b66ab2e41c8ddb43"; };
    sha1 = { b16 = "0b4f6df2cfc1ec8446d6dc42a7ae9bbf8b5aa930"; };
    sha256 = { b16 = "3c2d5acd0dc6e3a3f1e4f5f0c13fa5f17d6b1b0fbf5b5dcba1d2b8e7b0a6a53e"; };
    sha512 = { b16 = "4d9c2b0a0f5ac6e4d2c1f9a7b3e8d6c5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7"; };
  };
  fod = name: attrs: mk name ({ outputHashMode = "flat"; } // attrs);
  algos = [ "md5" "sha1" "sha256" "sha512" ];
  hashOf = algo: builtins.hashString algo "fixed\n";
  encodings = algo: let h = hashOf algo; in {
    base16 = { outputHash = h; outputHashAlgo = algo; };
    prefixed = { outputHash = "${algo}:${h}"; };
    prefixed-with-algo = { outputHash = "${algo}:${h}"; outputHashAlgo = algo; };
  };
  modes = [ "flat" "recursive" ];
  grid = builtins.listToAttrs (builtins.concatMap (algo:
    builtins.concatMap (mode:
      map (enc: {
        name = "fod-${algo}-${mode}-${enc}";
        value = mk "fod-${algo}-${mode}-${enc}" ((encodings algo).${enc} // { outputHashMode = mode; });
      }) (builtins.attrNames (encodings algo))
    ) modes
  ) algos);
in grid // rec {
  sri-sha256 = mk "sri-sha256" { outputHash = "sha256-LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564="; };
  sri-sha512 = mk "sri-sha512" { outputHashMode = "recursive"; outputHash = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="; };
  base32 = mk "base32" { outputHashAlgo = "sha256"; outputHash = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"; };
  base64 = mk "base64" { outputHashAlgo = "sha1"; outputHash = "C09t8s/B7IRG1txCp66bv4tarTA="; };
  default-mode = mk "default-mode" { outputHashAlgo = "sha256"; outputHash = hashOf "sha256"; };
  no-algo-sri = mk "no-algo-sri" { outputHashAlgo = ""; outputHash = "sha256-LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564="; };
  uses-fod = mk "uses-fod" { src = sri-sha256; };
  uses-two-fods = mk "uses-two-fods" { a = sri-sha256; b = base32; c = grid.fod-md5-flat-base16; };
  # A fixed output whose builder depends on other derivations: its path
  # still follows from the hash alone.
  fod-with-inputs = mk "fod-with-inputs" { dep = uses-fod; outputHashMode = "recursive"; outputHash = "sha256-LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564="; };
  # Two fixed outputs with the same hash but different builders: their
  # dependents get the same paths (hashDerivationModulo).
  same-hash-a = mk "same-hash" { outputHash = hashOf "sha256"; outputHashAlgo = "sha256"; variant = "a"; };
  same-hash-b = mk "same-hash" { outputHash = hashOf "sha256"; outputHashAlgo = "sha256"; variant = "b"; };
  dep-on-a = mk "dep-on-same" { src = same-hash-a; };
  dep-on-b = mk "dep-on-same" { src = same-hash-b; };
  chain-1 = mk "chain-1" { outputHashMode = "recursive"; outputHash = hashOf "sha256"; outputHashAlgo = "sha256"; };
  chain-2 = mk "chain-2" { prev = chain-1; outputHash = hashOf "sha1"; outputHashAlgo = "sha1"; };
  chain-3 = mk "chain-3" { prev = chain-2; outputHashMode = "recursive"; outputHash = hashOf "sha512"; outputHashAlgo = "sha512"; };
  chain-end = mk "chain-end" { prev = chain-3; };
  fod-env = mk "fod-env" { outputHash = hashOf "sha256"; outputHashAlgo = "sha256"; impureEnvVars = [ "http_proxy" ]; url = "https://example.org/x"; };
}
