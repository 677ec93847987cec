//! Import from derivation: evaluation that reads a derivation's output
//! builds it first, as Nix does, unless `--no-allow-import-from-derivation`
//! says not to. Also: reading store files of a store kept under another
//! root reads them there, not at their logical path.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::Path;
use std::process::{Command, Output};

use cairn_testkit::{Oracle, workspace_binary};

fn cairn(store: &Path, args: &[&str]) -> Output {
    Command::new(workspace_binary("cairn"))
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap()
}

fn stdout_ok(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A derivation that writes a Nix file, and expressions that import it.
fn expressions(busybox: &str) -> (String, String) {
    let prelude = format!(
        r#"let
  bb = {busybox};
  gen = derivation {{
    name = "generated-expr";
    system = builtins.currentSystem;
    builder = "${{bb}}/bin/sh";
    args = [ "-c" "echo '{{ x = 6 * 7; files = [ \"a\" ]; }}' > $out" ];
  }};
  imported = import gen;
in"#
    );
    let value = format!("{prelude} {{ x = imported.x; text = builtins.readFile gen; }}");
    let user = format!(
        r#"{prelude} derivation {{
  name = "uses-generated";
  system = builtins.currentSystem;
  builder = "${{bb}}/bin/sh";
  args = [ "-c" "echo ${{toString imported.x}} > $out" ];
}}"#
    );
    (value, user)
}

#[test]
fn evaluation_builds_what_it_imports_as_nix_does() {
    let Some(nix) = Oracle::require("nix-instantiate") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (nix_store, cairn_store) = (dir.path().join("nix"), dir.path().join("cairn"));
    let busybox = nix.import_busybox(&nix_store);
    let (value, user) = expressions(&busybox.expression);

    let ours = cairn(
        &cairn_store,
        &[
            "eval",
            "--read-write-mode",
            "--strict",
            "--json",
            "-E",
            &value,
        ],
    );
    let ours = stdout_ok(&ours, "cairn eval");
    let theirs = nix.run_ok(
        nix.command("nix-instantiate")
            .arg("--store")
            .arg(&nix_store)
            .args([
                "--eval",
                "--read-write-mode",
                "--strict",
                "--json",
                "-E",
                &value,
            ]),
    );
    assert_eq!(ours, String::from_utf8(theirs).unwrap());
    assert!(ours.contains("42"), "{ours}");

    // The derivation's .drv depends on the imported value; both agree.
    let ours = stdout_ok(
        &cairn(&cairn_store, &["instantiate", "-E", &user]),
        "cairn instantiate",
    );
    let theirs = nix.run_ok(
        nix.command("nix-instantiate")
            .arg("--store")
            .arg(&nix_store)
            .args(["-E", &user]),
    );
    assert_eq!(ours, String::from_utf8(theirs).unwrap());
}

#[test]
fn import_from_derivation_can_be_refused() {
    let Some(nix) = Oracle::require("nix-instantiate") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (nix_store, cairn_store) = (dir.path().join("nix"), dir.path().join("cairn"));
    let busybox = nix.import_busybox(&nix_store);
    let (_, user) = expressions(&busybox.expression);

    let ours = cairn(
        &cairn_store,
        &[
            "instantiate",
            "--no-allow-import-from-derivation",
            "-E",
            &user,
        ],
    );
    assert_eq!(ours.status.code(), Some(1));
    let message = String::from_utf8_lossy(&ours.stderr);
    assert!(
        message.contains("generated-expr.drv^out")
            && message.contains("'allow-import-from-derivation' is disabled"),
        "{message}"
    );
    let theirs = nix.run(
        nix.command("nix-instantiate")
            .arg("--store")
            .arg(&nix_store)
            .args([
                "--option",
                "allow-import-from-derivation",
                "false",
                "-E",
                &user,
            ]),
    );
    assert!(!theirs.status.success());
    // Nothing was built.
    let built = std::fs::read_dir(cairn_store.join("nix/store"))
        .unwrap()
        .any(|e| {
            let name = e.unwrap().file_name();
            let name = name.to_string_lossy();
            name.ends_with("-generated-expr")
        });
    assert!(!built);
}

#[test]
fn evaluation_without_a_builder_refuses_to_build() {
    let Some(nix) = Oracle::require("nix-instantiate") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let busybox = nix.import_busybox(&dir.path().join("nix"));
    let (value, _) = expressions(&busybox.expression);
    // `cairn eval` without --read-write-mode only computes paths.
    let ours = cairn(
        &dir.path().join("cairn"),
        &["eval", "--strict", "-E", &value],
    );
    assert_eq!(ours.status.code(), Some(1));
    let message = String::from_utf8_lossy(&ours.stderr);
    assert!(message.contains("cannot build"), "{message}");
}

#[test]
fn store_files_are_read_under_the_store_root() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cairn");
    let expr = r#"let f = builtins.toFile "greeting" "hello"; in
      [ (builtins.readFile f) (builtins.pathExists f) (builtins.readFileType f)
        (builtins.hashFile "sha256" f) ]"#;
    let out = stdout_ok(
        &cairn(
            &store,
            &["eval", "--read-write-mode", "--strict", "-E", expr],
        ),
        "cairn eval",
    );
    assert_eq!(
        out.trim(),
        r#"[ "hello" true "regular" "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" ]"#
    );
    // The logical path does not exist on this machine.
    let logical = stdout_ok(
        &cairn(
            &store,
            &[
                "eval",
                "--read-write-mode",
                "-E",
                r#"builtins.toFile "greeting" "hello""#,
            ],
        ),
        "cairn eval",
    );
    assert!(!Path::new(logical.trim().trim_matches('"')).exists());
}
