# Shared helpers of the derivation corpus: a builder that is only a string,
# so instantiating needs no store contents.
rec {
  system = "x86_64-linux";
  mk = name: attrs: derivation ({ inherit name system; builder = "/bin/sh"; args = [ "-c" "echo ${name} > $out" ]; } // attrs);
}
