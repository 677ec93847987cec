# Building without nixpkgs: derivations whose builder is a busybox shell.
{ lib }:
{
  # `runCommandWith busybox name env script`: a derivation that runs
  # `script` with busybox's applets on PATH; `env` becomes its environment.
  runCommandWith = busybox: name: env: script:
    derivation (env // {
      inherit name;
      system = env.system or builtins.currentSystem;
      builder = "${busybox}/bin/sh";
      args = [ "-c" ". \"$scriptPath\"" ];
      PATH = "${busybox}/bin";
      passAsFile = [ "script" ] ++ env.passAsFile or [ ];
      script = "set -eu\n" + script;
    });
}
