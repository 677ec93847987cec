# expect: { enable = true; gid = 0; group = "+0"; mode = "symlink"; source = null; target = "motd"; text = "hi"; uid = 0; user = "+0"; }
with import ./files/sys.nix; with lib;
removeAttrs (config { environment.etc.motd.text = "hi"; }).environment.etc.motd [ "_module" ]
