# expect: "ssh/sshd_config"
with import ./files/sys.nix; with lib;
(config { environment.etc.sshd.target = "ssh/sshd_config"; environment.etc.sshd.text = ""; }).environment.etc.sshd.target
