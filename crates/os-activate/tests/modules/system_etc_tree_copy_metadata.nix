# expect: [ { path = "etc/a"; text = "x"; type = "regular"; } { path = "etc/a.mode"; text = "0640"; type = "regular"; } { path = "etc/a.uid"; text = "www"; type = "regular"; } { path = "etc/a.gid"; text = "+0"; type = "regular"; } ]
with import ./files/sys.nix; with lib;
filter (e: hasPrefix "etc/a" e.path) (builtins.fromJSON (builtins.unsafeDiscardStringContext (config { environment.etc.a = { text = "x"; mode = "0640"; user = "www"; }; }).system.build.etc.entries))
