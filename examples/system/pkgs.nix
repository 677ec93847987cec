# A package set small enough to need no nixpkgs: busybox, taken from the
# host's static busybox that the build sandbox shows at /bin/sh
# (`--sandbox-path /bin/sh=/bin/busybox`), with a link for every applet.
let
  busybox = derivation {
    name = "busybox";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" ''
      set -e
      mkdir -p $out/bin
      cp /bin/sh $out/bin/busybox
      for applet in $($out/bin/busybox --list); do
        [ -e $out/bin/$applet ] || $out/bin/busybox ln -s busybox $out/bin/$applet
      done
    '' ];
  };
in
{
  inherit busybox;
  # A web site for the sample's httpd.
  site = derivation {
    name = "sample-site";
    system = builtins.currentSystem;
    builder = "${busybox}/bin/sh";
    args = [ "-c" "${busybox}/bin/mkdir -p $out && echo '<h1>served by cairn</h1>' > $out/index.html" ];
  };
}
