//! Proves the fixtures in `tests/cases` true by re-running real Nix on each:
//! `.exp` must equal `nix-instantiate --eval --strict` stdout, and for
//! `.err` Nix must fail with a message containing the same text.

use std::path::{Path, PathBuf};

use cairn_testkit::Oracle;

#[test]
fn fixtures_match_real_nix() {
    let Some(oracle) = Oracle::require("fixtures_match_real_nix") else {
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "nix"))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    for nix in &names {
        let name = nix.file_stem().unwrap().to_string_lossy().into_owned();
        let mut cmd = oracle.command("nix-instantiate");
        cmd.arg("--eval");
        if !name.starts_with("lazy_") {
            cmd.arg("--strict");
        }
        let out = oracle.run(cmd.arg(nix));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let exp = nix.with_extension("exp");
        let err = nix.with_extension("err");
        if exp.exists() {
            let want = std::fs::read_to_string(&exp).unwrap();
            if !out.status.success() || stdout != want {
                failures.push(format!(
                    "{name}: fixture says\n  {want}Nix says\n  {stdout}{stderr}"
                ));
            }
        } else if err.exists() {
            let want = std::fs::read_to_string(&err).unwrap();
            let want = want.trim_end_matches('\n');
            if out.status.success() || !stderr.contains(want) {
                failures.push(format!(
                    "{name}: fixture expects error {want:?}, Nix says\n  {stdout}{stderr}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixtures disagree with {}:\n\n{}",
        failures.len(),
        oracle.version(),
        failures.join("\n")
    );
}
