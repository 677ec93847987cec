//! `cairn eval` as a stand-in for `nix-instantiate --eval`: every fixture
//! of cairn-eval (expected output made by real Nix) goes through the
//! binary, and the flags that select and call values agree with the oracle.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::Path;
use std::process::{Command, Output};

fn cairn_eval(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("eval")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_fixture_prints_what_nix_printed() {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("../eval/tests/cases");
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&cases).unwrap() {
        let nix = entry.unwrap().path();
        let (Some(stem), Some("nix")) = (
            nix.file_stem().and_then(|s| s.to_str()),
            nix.extension().and_then(|e| e.to_str()),
        ) else {
            continue;
        };
        let strict = !stem.starts_with("lazy_");
        let mut args = vec![nix.to_str().unwrap()];
        if strict {
            args.push("--strict");
        }
        let out = cairn_eval(&args);
        let expected = nix.with_extension("exp");
        let failed_as_expected = nix.with_extension("err");
        if expected.exists() {
            let want = std::fs::read(&expected).unwrap();
            if !out.status.success() || out.stdout != want {
                failures.push(format!("{stem}: {}", String::from_utf8_lossy(&out.stderr)));
            }
        } else if failed_as_expected.exists() && out.status.code() != Some(1) {
            failures.push(format!(
                "{stem}: should fail with exit code 1, got {:?}",
                out.status.code()
            ));
        }
        checked += 1;
    }
    assert!(checked >= 300, "only {checked} fixtures");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn attribute_paths_and_arguments_behave_as_in_nix_instantiate() {
    let Some(oracle) = cairn_testkit::Oracle::require("cli::eval::attribute_paths_and_arguments")
    else {
        return;
    };
    let cases: &[&[&str]] = &[
        &["-E", "{x ? 1}: x"],
        &["-E", "{x ? 1}: { a = x; }", "-A", "a"],
        &["-E", "{ a.b = [ 1 { c = 2; } ]; }", "-A", "a.b.1.c"],
        &["-E", "{ \"x.y\" = 3; }", "-A", "\"x.y\""],
        &["-E", "{ a = 1; b = 2; }", "-A", "a", "-A", "b"],
        &["--strict", "-E", "{ a = [ 1 2 ]; b = \"x\"; }"],
        &[
            "--json",
            "--strict",
            "-E",
            "{ a = [ 1 2.5 ]; b = null; c = \"q\\\"\"; }",
        ],
        &["-E", "{ x }: x", "--argstr", "x", "hi"],
        &["-E", "{ x }: x * 2", "--arg", "x", "1 + 2"],
        &["-E", "{ a = { x }: x; }", "-A", "a", "--arg", "x", "5"],
        &["-E", "{ a.b = 1; }", "-A", "a.x"],
        &["-E", "{ a.b = 1; }", "-A", "a.b.c"],
        &["-E", "{ a = [ 1 ]; }", "-A", "a.5"],
        &["-E", "{ x }: x"],
        &["-E", "{ x }: x", "--arg", "y", "1"],
        &["-E", "1 +"],
        &["-E", "throw \"boom\""],
    ];
    for args in cases {
        let ours = cairn_eval(args);
        let theirs = oracle.run(oracle.command("nix-instantiate").arg("--eval").args(*args));
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "exit code of {args:?}: {}",
            String::from_utf8_lossy(&ours.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "stdout of {args:?}"
        );
    }
}

#[test]
fn json_forces_the_value_as_current_nix_does() {
    // Nix 2.8 fails here with "cannot convert a thunk to JSON" unless given
    // --strict; current Nix forces (see crates/cli/DIFFERENCES.md).
    let out = cairn_eval(&["--json", "-E", "{ a = [ 1 2.5 ]; b = null; }"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"a\":[1,2.5],\"b\":null}"
    );
}

#[test]
fn errors_show_the_location_and_the_source_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.nix");
    std::fs::write(&file, "let\n  a = 1;\nin a + \"x\"\n").unwrap();
    let out = cairn_eval(&[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("bad.nix:3"), "no file:line in\n{stderr}");
    assert!(
        stderr.contains("in a + \"x\""),
        "no source line in\n{stderr}"
    );
}

#[test]
fn xml_output_is_what_nix_printed() {
    // `tests/xml/<name>.xml` is `nix-instantiate --eval --strict --xml
    // --no-location <name>.nix` from real Nix.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../eval/tests/xml");
    let nix = dir.join("nested.nix");
    let out = cairn_eval(&["--strict", "--xml", "--no-location", nix.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = std::fs::read_to_string(dir.join("nested.xml")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
}

#[test]
fn infinitely_nested_values_end_with_an_error_not_a_crash() {
    // A value that contains itself has endless JSON and XML; one that
    // nests for ever without repeating stops at the call depth, in deep
    // forcing too.
    let cyclic = "let x = { y = [ x ]; }; in x";
    let endless = "let f = n: { a = f (n + 1); l = [ (f (n + 1)) ]; }; in f 0";
    for (expr, output, message) in [
        (cyclic, Some("--json"), "infinite recursion"),
        (cyclic, Some("--xml"), "infinite recursion"),
        (endless, Some("--json"), "max-call-depth"),
        (endless, Some("--xml"), "max-call-depth"),
        (endless, None, "max-call-depth"),
    ] {
        let mut args = vec!["--strict", "--max-call-depth", "5000", "-E", expr];
        args.extend(output);
        let out = cairn_eval(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{expr} {output:?}: {stderr}");
        assert!(stderr.contains(message), "{expr} {output:?}: {stderr}");
    }
    // The same set twice, side by side, is no cycle.
    let out = cairn_eval(&[
        "--json",
        "--strict",
        "-E",
        "let a = { x = [ 1 ]; }; in [ a a { b = a; } ]",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "[{\"x\":[1]},{\"x\":[1]},{\"b\":{\"x\":[1]}}]"
    );
}
