//! The CLI's own contract: Nix's exit codes, `--version`, completions.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::process::{Command, Output};

fn cairn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn version_and_help_succeed() {
    let out = cairn(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("cairn {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(cairn(&["--help"]).status.code(), Some(0));
}

#[test]
fn usage_errors_exit_1_as_in_nix() {
    for args in [
        &["no-such-command"][..],
        &["profile"],
        &["completions", "tcsh"],
        &[],
    ] {
        let out = cairn(args);
        assert_eq!(out.status.code(), Some(1), "cairn {args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("error:") || stderr.contains("Usage:"),
            "cairn {args:?}: {stderr}"
        );
    }
}

#[test]
fn runtime_errors_exit_1_with_one_report() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("missing-dir/profile");
    let out = cairn(&["profile", "-p", profile.to_str().unwrap(), "rollback"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error: "), "{stderr}");
}

#[test]
fn completions_are_generated_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef cairn"),
        ("fish", "complete -c cairn"),
    ] {
        let out = cairn(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains(marker),
            "{shell} completion lacks `{marker}`"
        );
        assert!(
            script.contains("profile"),
            "{shell} completion lacks the subcommands"
        );
    }
}
