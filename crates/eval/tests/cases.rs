//! Runs every fixture in `tests/cases` through cairn-eval.
//!
//! `<name>.nix` with `<name>.exp`: the output must equal the stdout of
//! `nix-instantiate --eval --strict <name>.nix` byte for byte.
//! Cases named `lazy_*` are compared with `nix-instantiate --eval` without
//! `--strict` (unevaluated thunks print as `<CODE>`).
//! `<name>.nix` with `<name>.err`: evaluation must fail with a message
//! containing the `.err` text. Fixtures come from real Nix (see
//! `tests/regen.sh`; `tests/oracle_cases.rs` re-checks them). All
//! mismatches are reported at once.

use std::path::{Path, PathBuf};

use cairn_eval::{EvalOptions, Evaluator, PrintOptions, print_value};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

fn run(path: &Path, strict: bool, eager: bool) -> Result<String, String> {
    let mut ev = Evaluator::new(EvalOptions {
        trace_to_stderr: false,
        compute_cheap_eagerly: eager,
        ..EvalOptions::default()
    });
    // Like nix-instantiate without `--arg`: a top-level function is not called.
    let r = ev.eval_file(path).and_then(|v| {
        if strict {
            ev.force_deep(&v)?;
        }
        Ok(v)
    });
    match r {
        Ok(v) => Ok(format!("{}\n", print_value(&v, PrintOptions::default()))),
        Err(e) => Err(format!("{e}\n{}", ev.render_error(&e))),
    }
}

#[test]
fn all_cases() {
    let mut names: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "nix"))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for nix in &names {
        let exp = nix.with_extension("exp");
        let err = nix.with_extension("err");
        let name = nix.file_stem().unwrap().to_string_lossy().into_owned();
        let strict = !name.starts_with("lazy_");
        let got = run(nix, strict, false);
        // Strict output may compute cheap expressions eagerly (as `cairn
        // eval --strict` does): the same output, the same errors.
        if strict {
            let eager = run(nix, strict, true);
            if eager != got {
                failures.push(format!(
                    "{name}: computing cheap expressions eagerly changed the result:\n  {eager:?}\nversus\n  {got:?}"
                ));
            }
        }
        if exp.exists() {
            count += 1;
            let want = std::fs::read_to_string(&exp).unwrap();
            match got {
                Ok(out) if out == want => {}
                Ok(out) => failures.push(format!("{name}: expected\n  {want}got\n  {out}")),
                Err(e) => failures.push(format!("{name}: expected\n  {want}got error\n  {e}")),
            }
        } else if err.exists() {
            count += 1;
            let want = std::fs::read_to_string(&err).unwrap();
            let want = want.trim_end_matches('\n');
            match got {
                Err(e) if e.contains(want) => {}
                Err(e) => failures.push(format!(
                    "{name}: expected error containing {want:?}, got\n  {e}"
                )),
                Ok(out) => failures.push(format!("{name}: expected error {want:?}, got {out}")),
            }
        } else {
            failures.push(format!("{name}: no .exp or .err file"));
        }
    }
    assert!(count > 0, "no cases found");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}
