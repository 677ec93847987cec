//! Differential test: the same script in Nix 2.8's sandbox and in ours must
//! print the same thing. Skipped (with a message) when `nix-build` is not
//! installed or we are not root (Nix's sandbox needs its build users).

#![allow(clippy::unwrap_used)] // test helpers panic on failure by design

use std::process::Command;

use cairn_build::{BindPath, HostIds, SandboxSpec};

/// What both sandboxes print. `/dev/kvm` is left out: Nix binds it only
/// when the machine has the `kvm` system feature.
const SCRIPT: &str = r#"
cat /proc/1/environ | tr '\0' '\n' | sort
id; echo pid=$$; pwd; hostname; cat /proc/sys/kernel/domainname
cat /etc/passwd /etc/group /etc/hosts
ls / /dev /dev/pts /tmp /build /etc | grep -v '^kvm$'
stat -c '%a %U %G %n' / /tmp /build /nix/store /nix /etc /etc/passwd /dev /dev/null /dev/shm /dev/pts /proc
for l in /dev/fd /dev/stdin /dev/stdout /dev/stderr /dev/ptmx; do readlink $l; done
ip -o link | cut -d' ' -f2,3
grep -E '^(Cap(Inh|Prm|Eff|Amb)|NoNewPrivs|Uid|Gid|Groups)' /proc/self/status
umask; ulimit -n >/dev/null; echo end
"#;

fn nix_available() -> bool {
    rustix::process::geteuid().is_root()
        && Command::new("nix-build")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
}

#[test]
fn same_view_as_nix_2_8() {
    if !nix_available() {
        eprintln!("skipped: needs root and nix-build");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.sh");
    std::fs::write(&script, format!("exec > $out\n{SCRIPT}")).unwrap();
    let expr = format!(
        r#"derivation {{ name = "cairn-sandbox-probe"; system = builtins.currentSystem; builder = "/bin/sh"; args = ["-c" (builtins.readFile {})]; }}"#,
        script.display()
    );
    let store = dir.path().join("store");
    let output = Command::new("nix-build")
        .arg("--store")
        .arg(&store)
        .arg("--no-out-link")
        .arg("-E")
        .arg(&expr)
        .env(
            "NIX_CONFIG",
            "experimental-features = nix-command\nsubstituters =\nsandbox = true\nsandbox-paths = /bin/sh=/bin/busybox",
        )
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "nix-build failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out_path = String::from_utf8(output.stdout).unwrap();
    let out_path = out_path.trim();
    let nix = std::fs::read_to_string(format!("{}{}", store.display(), out_path)).unwrap();

    // Ours, with exactly the environment Nix gave its builder.
    let env_lines: Vec<&str> = nix.lines().take_while(|l| !l.starts_with("uid=")).collect();
    let build = dir.path().join("build");
    let outs = dir.path().join("outs");
    std::fs::create_dir(&build).unwrap();
    std::fs::create_dir(&outs).unwrap();
    let mut spec = SandboxSpec::new("/bin/sh", &build, &outs);
    spec.args = vec!["-c".into(), SCRIPT.into()];
    spec.extra_paths
        .push(BindPath::new("/bin/sh", "/bin/busybox"));
    spec.build_user = Some(HostIds {
        uid: 30999,
        gid: 30999,
    });
    // `cat /proc/1/environ | sort` printed them sorted; order does not
    // matter to the builder.
    for line in &env_lines {
        let (k, v) = line.split_once('=').unwrap();
        spec.env.push((k.into(), v.into()));
    }
    let mut log = Vec::new();
    let outcome = cairn_build::run(&spec, &mut log).unwrap();
    assert!(outcome.success(), "{outcome:?}");
    let ours = String::from_utf8(log).unwrap();
    assert_eq!(ours, nix, "ours (left) differs from Nix 2.8 (right)");
}
