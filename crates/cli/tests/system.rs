//! `cairn system` end to end on the sample configuration: build, switch
//! into an empty `--root`, a bad configuration that fails before anything
//! changes, and rollback.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cairn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .output()
        .unwrap()
}

fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/system/configuration.nix")
        .display()
        .to_string()
}

/// The host's busybox as the sandbox's /bin/sh, which the sample's
/// packages are built with.
const SANDBOX_PATH: &str = "/bin/sh=/bin/busybox";

/// `cairn system switch -c CONFIGURATION --root ROOT`, which must succeed;
/// gives its stderr.
fn switch(configuration: &str, root: &str) -> String {
    let out = cairn(&[
        "system",
        "switch",
        "-c",
        configuration,
        "--root",
        root,
        "--sandbox-path",
        SANDBOX_PATH,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

fn profile_link(root: &Path) -> PathBuf {
    std::fs::read_link(root.join("nix/var/nix/profiles/system")).unwrap()
}

#[test]
fn build_switch_refuse_bad_and_roll_back() {
    // /proc/self belongs to the process's effective user.
    let is_root =
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap()) == 0;
    if !is_root {
        assert!(
            !cairn_testkit::in_ci(),
            "cairn system needs root (the build sandbox) under CI"
        );
        eprintln!("SKIP build_switch_refuse_bad_and_roll_back: needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("machine");
    let root_s = root.to_str().unwrap();

    let link = dir.path().join("result");
    let out = cairn(&[
        "system",
        "build",
        "-c",
        &sample(),
        "--root",
        root_s,
        "--sandbox-path",
        SANDBOX_PATH,
        "-o",
        link.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let toplevel = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(toplevel.ends_with("-cairn-system-sample-0.1"), "{toplevel}");
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new(&toplevel));

    let stderr = switch(&sample(), root_s);
    assert!(
        stderr.contains("starting the following units: cleanup.timer, httpd.service"),
        "{stderr}"
    );
    assert_eq!(profile_link(&root), Path::new("system-1-link"));
    assert!(
        std::fs::read_to_string(root.join("etc/passwd"))
            .unwrap()
            .contains("alice:x:1000:")
    );

    // A type error, a failing assertion and an evaluation error: each is
    // reported (the errors with the file at fault; an assertion, as in
    // NixOS, by its message) and nothing is switched.
    let etc_before = std::fs::read_link(root.join("etc/static")).unwrap();
    let bad_configurations = [
        (
            "type-error",
            "networking.hostName = 42;",
            &["networking.hostName", "type-error.nix"][..],
        ),
        (
            "assertion",
            "assertions = [ { assertion = false; message = \"the disk is too small\"; } ];",
            &["Failed assertions", "the disk is too small"],
        ),
        (
            "eval-error",
            "environment.etc.broken.text = throw \"no text today\";",
            &["no text today", "eval-error.nix"],
        ),
    ];
    for (name, definition, expected) in bad_configurations {
        let bad = dir.path().join(format!("{name}.nix"));
        std::fs::write(
            &bad,
            format!("{{ ... }}: {{ imports = [ {} ]; {definition} }}", sample()),
        )
        .unwrap();
        let out = cairn(&[
            "system",
            "switch",
            "-c",
            bad.to_str().unwrap(),
            "--root",
            root_s,
        ]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for text in expected {
            assert!(stderr.contains(text), "{name}: no {text:?} in {stderr}");
        }
        assert_eq!(profile_link(&root), Path::new("system-1-link"), "{name}");
        assert_eq!(
            std::fs::read_link(root.join("etc/static")).unwrap(),
            etc_before,
            "{name}"
        );
    }

    // A second generation, then back to the first.
    let changed = dir.path().join("changed.nix");
    std::fs::write(
        &changed,
        format!(
            "{{ ... }}: {{ imports = [ {} ]; users.users.carol.isNormalUser = true; }}",
            sample()
        ),
    )
    .unwrap();
    switch(changed.to_str().unwrap(), root_s);
    assert_eq!(profile_link(&root), Path::new("system-2-link"));
    let listing =
        String::from_utf8(cairn(&["system", "list-generations", "--root", root_s]).stdout).unwrap();
    assert_eq!(listing.lines().count(), 2, "{listing}");
    assert!(
        listing.lines().nth(1).unwrap().ends_with("(current)"),
        "{listing}"
    );

    let out = cairn(&["system", "rollback", "--root", root_s]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(profile_link(&root), Path::new("system-1-link"));
    assert_eq!(
        std::fs::read_link(root.join("etc/static")).unwrap(),
        etc_before
    );
    assert!(
        !std::fs::read_to_string(root.join("etc/passwd"))
            .unwrap()
            .contains("carol")
    );
    assert!(
        std::fs::read_to_string(root.join("boot/loader/loader.conf"))
            .unwrap()
            .contains("default cairn-generation-1.conf")
    );
}
