#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
//! The module system (`nix/lib`), fixture by fixture.
//!
//! Each `tests/modules/<name>.nix` starts with comment lines saying what
//! it must do:
//! - `# expect: VALUE`: evaluates (strictly) and prints as VALUE, the way
//!   `nix-instantiate --eval --strict` prints;
//! - `# error: TEXT` (one or more): fails, and every TEXT is in the message.
//!
//! Fixtures reach the library as `<cairn/lib>`. When Nix is installed, the
//! same fixtures also run through `nix-instantiate` (the library is plain
//! Nix, so both evaluators must agree); all mismatches are reported at once.

use std::path::{Path, PathBuf};

use cairn_eval::store::LocalEvalStore;
use cairn_eval::{EvalOptions, Evaluator, PrintOptions, SearchPathEntry, print_value};
use cairn_store::local::LocalStoreConfig;
use cairn_testkit::Oracle;

fn nix_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../nix")
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/modules");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "nix"))
        .collect();
    files.sort();
    files
}

/// What a fixture must do, read from its leading comments.
enum Expect {
    Value(String),
    Error(Vec<String>),
}

fn expectation(path: &Path) -> Expect {
    let text = std::fs::read_to_string(path).unwrap();
    let mut errors = Vec::new();
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        if let Some(v) = line.strip_prefix("# expect: ") {
            return Expect::Value(v.to_owned());
        }
        if let Some(e) = line.strip_prefix("# error: ") {
            errors.push(e.to_owned());
        }
    }
    assert!(
        !errors.is_empty(),
        "{}: no `# expect:` or `# error:` line",
        path.display()
    );
    Expect::Error(errors)
}

fn eval_cairn(path: &Path) -> Result<String, String> {
    // As `nix-instantiate --eval` does, compute store paths (derivations,
    // `toFile`) without writing them: a dry-run store under an empty root.
    let root = tempfile::tempdir().unwrap();
    let store = LocalEvalStore::dry_run(LocalStoreConfig::chroot(root.path()));
    let mut ev = Evaluator::with_store(
        EvalOptions {
            trace_to_stderr: false,
            search_path: vec![SearchPathEntry {
                prefix: Some("cairn".into()),
                path: nix_dir(),
            }],
            ..EvalOptions::default()
        },
        Box::new(store),
    );
    let r = ev.eval_file(path).and_then(|v| {
        ev.force_deep(&v)?;
        Ok(v)
    });
    match r {
        Ok(v) => Ok(print_value(&v, PrintOptions::default())),
        Err(e) => Err(format!("{e}\n{}", ev.render_error(&e))),
    }
}

fn eval_nix(oracle: &Oracle, path: &Path) -> Result<String, String> {
    let out = oracle.run(
        oracle
            .command("nix-instantiate")
            .args(["--eval", "--strict", "-I"])
            .arg(format!("cairn={}", nix_dir().display()))
            .arg(path),
    );
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn check(name: &str, want: &Expect, got: Result<String, String>) -> Option<String> {
    match (want, got) {
        (Expect::Value(v), Ok(out)) if *v == out => None,
        (Expect::Value(v), Ok(out)) => Some(format!("{name}: expected\n  {v}\ngot\n  {out}")),
        (Expect::Value(v), Err(e)) => Some(format!("{name}: expected\n  {v}\ngot error\n{e}")),
        (Expect::Error(es), Err(e)) => {
            let missing: Vec<&String> = es.iter().filter(|x| !e.contains(x.as_str())).collect();
            (!missing.is_empty()).then(|| format!("{name}: error lacks {missing:?}:\n{e}"))
        }
        (Expect::Error(es), Ok(out)) => {
            Some(format!("{name}: expected an error {es:?}, got {out}"))
        }
    }
}

#[test]
fn module_fixtures_under_cairn() {
    let files = fixtures();
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let name = f.file_stem().unwrap().to_string_lossy().into_owned();
            check(&name, &expectation(f), eval_cairn(f))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
    eprintln!("{} module fixtures passed", files.len());
}

#[test]
fn module_fixtures_under_nix() {
    let Some(oracle) = Oracle::require("os-activate::module_fixtures_under_nix") else {
        return;
    };
    let files = fixtures();
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let name = f.file_stem().unwrap().to_string_lossy().into_owned();
            check(&name, &expectation(f), eval_nix(&oracle, f))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed under Nix:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}
