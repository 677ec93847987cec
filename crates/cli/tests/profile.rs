//! `cairn profile` against `nix-env -p`: the same sequence of operations
//! gives the same messages, listings and exit codes.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::Path;
use std::process::Command;

/// Runs one step and returns (exit code, stdout with dates blanked, stderr
/// without cairn's extra naming of the profile).
fn step(mut command: Command) -> (i32, String, String) {
    let out = command.output().unwrap();
    let stdout = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            // "   1   2026-11-24 15:50:53   (current)": keep number and marker.
            let mut fields = line.split("   ").filter(|f| !f.is_empty());
            let number = fields.next().unwrap_or_default().trim().to_owned();
            let marker = if line.ends_with("(current)") {
                " (current)"
            } else {
                ""
            };
            format!("{number}{marker}\n")
        })
        .collect();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let stderr = match stderr.find(" (profile '") {
        Some(at) => format!("{}\n", &stderr[..at]),
        None => stderr,
    };
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

#[test]
fn cairn_profile_behaves_as_nix_env() {
    let Some(oracle) = cairn_testkit::Oracle::require("cli::cairn_profile_behaves_as_nix_env")
    else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let add = |name: &str| {
        let file = work.path().join(name);
        std::fs::write(&file, name).unwrap();
        let out = oracle.run_ok(
            oracle
                .command("nix-store")
                .arg("--store")
                .arg(&store)
                .arg("--add")
                .arg(&file),
        );
        String::from_utf8(out).unwrap().trim().to_owned()
    };
    let (a, b) = (add("a"), add("b"));
    let nix_profile = work.path().join("nix-profile");
    let cairn_profile = work.path().join("cairn-profile");
    let nix = |args: &[&str]| {
        let mut command = oracle.command("nix-env");
        command
            .arg("--store")
            .arg(&store)
            .arg("-p")
            .arg(&nix_profile)
            .args(args);
        command
    };
    let cairn = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
        command
            .arg("--store")
            .arg(&store)
            .args(["profile", "-p"])
            .arg(&cairn_profile)
            .args(args);
        command
    };
    let steps: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["--set", &a], vec!["set", &a]),
        (vec!["--set", &b], vec!["set", &b]),
        (vec!["--rollback"], vec!["rollback"]),
        (
            vec!["--switch-generation", "2"],
            vec!["switch-generation", "2"],
        ),
        (
            vec!["--switch-generation", "9"],
            vec!["switch-generation", "9"],
        ),
        (vec!["--list-generations"], vec!["list-generations"]),
        (
            vec!["--delete-generations", "old"],
            vec!["delete-generations", "old"],
        ),
        (vec!["--rollback"], vec!["rollback"]),
        (vec!["--list-generations"], vec!["list-generations"]),
    ];
    for (nix_args, cairn_args) in steps {
        let theirs = step(nix(&nix_args));
        let ours = step(cairn(&cairn_args));
        assert_eq!(ours, theirs, "after `{}`", cairn_args.join(" "));
    }
    assert_eq!(
        std::fs::read_link(&cairn_profile).unwrap(),
        Path::new("cairn-profile-2-link")
    );
}
