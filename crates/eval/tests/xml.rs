//! `--xml` output. `tests/xml/<name>.xml` is the output of real
//! `nix-instantiate --eval --strict --xml --no-location <name>.nix`; with
//! the oracle present every flag combination (with locations, lazy) is
//! compared against Nix directly, since locations name the checkout path.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};

use cairn_eval::{EvalOptions, Evaluator};
use cairn_testkit::Oracle;

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xml");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "nix"))
        .collect();
    v.sort();
    v
}

fn ours(path: &Path, strict: bool, location: bool) -> String {
    let mut ev = Evaluator::new(EvalOptions::default());
    let v = ev.eval_file(path).unwrap();
    ev.to_xml(&v, strict, location).unwrap()
}

#[test]
fn xml_matches_recorded_nix_output() {
    let cases = cases();
    assert!(cases.len() >= 4);
    for nix in cases {
        let want = std::fs::read_to_string(nix.with_extension("xml")).unwrap();
        assert_eq!(ours(&nix, true, false), want, "{}", nix.display());
    }
}

#[test]
fn xml_matches_nix_with_every_flag() {
    let Some(oracle) = Oracle::require("xml_matches_nix_with_every_flag") else {
        return;
    };
    for nix in cases() {
        for (strict, location) in [(true, true), (true, false), (false, true), (false, false)] {
            let mut cmd = oracle.command("nix-instantiate");
            cmd.args(["--eval", "--xml"]);
            if strict {
                cmd.arg("--strict");
            }
            if !location {
                cmd.arg("--no-location");
            }
            let out = oracle.run(cmd.arg(&nix));
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                ours(&nix, strict, location),
                String::from_utf8_lossy(&out.stdout),
                "{} strict={strict} location={location}",
                nix.display()
            );
        }
    }
}
