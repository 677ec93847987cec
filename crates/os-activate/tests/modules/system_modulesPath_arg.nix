# expect: true
with import ./files/sys.nix; with lib;
hasSuffix "/modules" (config ({ modulesPath, ... }: { environment.etc.p.text = modulesPath; })).environment.etc.p.text
