//! Builtins and options that Nix 2.8 (the oracle) lacks, checked against
//! values taken from current Nix's documentation or computed with 2.8's
//! tools (`nix-hash`), plus the step budget that bounds fuzzing.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::Path;

use cairn_eval::{ErrorKind, EvalOptions, Evaluator, PrintOptions, print_value};

fn eval_with(opts: EvalOptions, src: &str) -> Result<String, cairn_eval::EvalError> {
    let mut ev = Evaluator::new(EvalOptions {
        trace_to_stderr: false,
        ..opts
    });
    let v = ev.eval_str(src, Path::new("/"))?;
    ev.force_deep(&v)?;
    Ok(print_value(&v, PrintOptions::default()))
}

fn eval(src: &str) -> String {
    eval_with(EvalOptions::default(), src).unwrap()
}

// sha256("") in every format (base32 from `nix-hash --to-base32`).
const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const NIX32: &str = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73";
const B64: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

#[test]
fn convert_hash_between_every_format() {
    for input in [
        format!("sha256:{HEX}"),
        format!("sha256:{NIX32}"),
        format!("sha256-{B64}"),
    ] {
        for (format, want) in [
            ("base16", HEX.to_owned()),
            ("nix32", NIX32.to_owned()),
            ("base32", NIX32.to_owned()),
            ("base64", B64.to_owned()),
            ("sri", format!("sha256-{B64}")),
        ] {
            let src = format!(
                r#"builtins.convertHash {{ hash = "{input}"; toHashFormat = "{format}"; }}"#
            );
            assert_eq!(eval(&src), format!("\"{want}\""), "{input} to {format}");
        }
    }
    let bare = format!(
        r#"builtins.convertHash {{ hash = "{HEX}"; hashAlgo = "sha256"; toHashFormat = "sri"; }}"#
    );
    assert_eq!(eval(&bare), format!("\"sha256-{B64}\""));
}

#[test]
fn convert_hash_rejects_what_it_cannot_read() {
    for src in [
        format!(r#"builtins.convertHash {{ hash = "{HEX}"; toHashFormat = "sri"; }}"#),
        r#"builtins.convertHash { hash = "sha256:abc"; toHashFormat = "sri"; }"#.to_owned(),
        format!(r#"builtins.convertHash {{ hash = "sha256:{HEX}"; toHashFormat = "hex"; }}"#),
        format!(r#"builtins.convertHash {{ hash = "sha3:{HEX}"; toHashFormat = "sri"; }}"#),
    ] {
        assert!(eval_with(EvalOptions::default(), &src).is_err(), "{src}");
    }
}

#[test]
fn read_file_type_names_each_kind() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readdir_fixture");
    let src = format!(
        r#"map builtins.readFileType [ {d} {d}/file.txt {d}/link "{d}/sub" ]"#,
        d = dir.display()
    );
    assert_eq!(
        eval(&src),
        r#"[ "directory" "regular" "symlink" "directory" ]"#
    );
    assert!(
        eval_with(
            EvalOptions::default(),
            "builtins.readFileType /nonexistent-x"
        )
        .is_err()
    );
}

#[test]
fn warn_trace_verbose_and_break_pass_values_through() {
    assert_eq!(eval(r#"builtins.warn "careful" 42"#), "42");
    assert!(eval_with(EvalOptions::default(), "builtins.warn 1 2").is_err());
    assert_eq!(eval(r#"builtins.traceVerbose "hidden" [ 1 ]"#), "[ 1 ]");
    assert_eq!(eval(r#"builtins.break { a = 1; }"#), "{ a = 1; }");
}

#[test]
fn nix_version_satisfies_nixpkgs() {
    // nixpkgs' lib/minver.nix refuses Nix older than 2.18.
    assert_eq!(
        eval(r#"builtins.compareVersions builtins.nixVersion "2.18" >= 0"#),
        "true"
    );
}

#[test]
fn current_time_is_an_integer_outside_pure_mode() {
    assert_eq!(eval("builtins.isInt builtins.currentTime"), "true");
    let pure = EvalOptions {
        pure: true,
        ..EvalOptions::default()
    };
    assert_eq!(
        eval_with(pure, r#"builtins ? currentTime"#).unwrap(),
        "false"
    );
}

#[test]
fn nix_path_lists_the_search_path() {
    let opts = EvalOptions {
        search_path: cairn_eval::SearchPathEntry::parse_nix_path("nixpkgs=/a:/b"),
        ..EvalOptions::default()
    };
    assert_eq!(
        eval_with(opts, "builtins.nixPath").unwrap(),
        r#"[ { path = "/a"; prefix = "nixpkgs"; } { path = "/b"; prefix = ""; } ]"#
    );
}

#[test]
fn step_budget_stops_endless_loops() {
    let opts = || EvalOptions {
        max_steps: Some(10_000),
        ..EvalOptions::default()
    };
    for src in [
        "let f = x: f x; in f 1",
        "let f = n: f (n + 1); in f 0",
        "builtins.genList (x: x) 1000000000",
        "builtins.tryEval (let f = x: f x; in f 1)",
    ] {
        let err = eval_with(opts(), src).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::StepBudget, "{src}");
    }
    assert_eq!(eval_with(opts(), "1 + 2").unwrap(), "3");
}

#[test]
fn regex_cache_serves_repeated_patterns() {
    let src = r#"builtins.length (builtins.filter (x: x != null) (builtins.genList (i: builtins.match "([0-9]+)" (toString i)) 5000))"#;
    assert_eq!(eval(src), "5000");
}
