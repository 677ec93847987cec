//! Behaviour that fixtures cannot show: deep recursion, limits, the API,
//! and places where cairn follows current Nix rather than the 2.8 oracle.

use std::path::Path;

use cairn_eval::{ErrorKind, EvalOptions, Evaluator, PrintOptions, Value, print_value};

fn eval_with(opts: EvalOptions, src: &str) -> Result<String, cairn_eval::EvalError> {
    let mut ev = Evaluator::new(EvalOptions {
        trace_to_stderr: false,
        ..opts
    });
    let v = ev.eval_str(src, Path::new("/"))?;
    ev.force_deep(&v)?;
    Ok(print_value(&v, PrintOptions::default()))
}

fn eval(src: &str) -> Result<String, cairn_eval::EvalError> {
    eval_with(EvalOptions::default(), src)
}

#[test]
fn deep_non_tail_recursion() {
    let src = "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 100000";
    assert_eq!(eval(src).unwrap(), "100000");
}

#[test]
fn foldl_over_a_million() {
    let src = "builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 1000000)";
    assert_eq!(eval(src).unwrap(), "499999500000");
}

#[test]
fn deep_lazy_list_chain() {
    // Forcing a long chain of thunks, each depending on the previous one.
    let src = "let l = builtins.genList (i: if i == 0 then 0 else builtins.elemAt l (i - 1) + 1) 50000; in builtins.elemAt l 49999";
    assert_eq!(eval(src).unwrap(), "49999");
}

#[test]
fn max_call_depth_gives_clean_error() {
    let opts = EvalOptions {
        max_call_depth: Some(100),
        ..EvalOptions::default()
    };
    let err = eval_with(
        opts,
        "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 1000",
    )
    .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::CallDepth);
}

#[test]
fn integer_overflow_is_an_error() {
    // Nix 2.8 wraps around; current Nix reports an error (DIFFERENCES.md).
    for src in [
        "9223372036854775807 + 1",
        "(-9223372036854775807 - 1) - 1",
        "4611686018427387904 * 2",
        "(-9223372036854775807 - 1) / (-1)",
    ] {
        let err = eval(src).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::IntOverflow(_)),
            "{src}: {err}"
        );
    }
}

#[test]
fn from_json_refuses_unsigned_integers_beyond_int() {
    // Nix 2.8 wraps 2^63 to a negative integer; current Nix refuses it
    // (DIFFERENCES.md). Beyond u64 both read a float.
    for src in [
        r#"builtins.fromJSON "9223372036854775808""#,
        r#"builtins.fromJSON "18446744073709551615""#,
        r#"builtins.tryEval (builtins.fromJSON "{\"a\": [1, 9223372036854775808]}")"#,
    ] {
        let err = eval(src).unwrap_err();
        assert!(
            err.to_string().contains("json number")
                && err.to_string().contains("outside of Nix integer range"),
            "{src}: {err}"
        );
    }
    for (src, want) in [
        (
            r#"builtins.fromJSON "9223372036854775807""#,
            "9223372036854775807",
        ),
        (
            r#"builtins.fromJSON "-9223372036854775808""#,
            "-9223372036854775808",
        ),
        (
            r#"builtins.typeOf (builtins.fromJSON "18446744073709551616")"#,
            r#""float""#,
        ),
        (
            r#"builtins.typeOf (builtins.fromJSON "-9223372036854775809")"#,
            r#""float""#,
        ),
    ] {
        assert_eq!(eval(src).unwrap(), want, "{src}");
    }
}

#[test]
fn infinite_recursion_has_a_position() {
    let mut ev = Evaluator::new(EvalOptions::default());
    let err = ev
        .eval_str("let x = { a = x.a; }; in x.a", Path::new("/"))
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InfiniteRecursion);
    let rendered = ev.render_error(&err);
    assert!(
        rendered.contains("infinite recursion encountered"),
        "{rendered}"
    );
    assert!(rendered.contains("1:"), "{rendered}");
}

#[test]
fn missing_attribute_suggests_names() {
    let err = eval("{ foo = 1; bar = 2; }.fo").unwrap_err();
    match err.kind() {
        ErrorKind::MissingAttr { suggestions, .. } => assert_eq!(suggestions, &["foo".to_owned()]),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("did you mean foo?"));
}

#[test]
fn thunks_print_as_code_without_strict() {
    let mut ev = Evaluator::new(EvalOptions::default());
    let v = ev
        .eval_str("{ a = 1 + 1; b = 2; }", Path::new("/"))
        .unwrap();
    assert_eq!(
        print_value(&v, PrintOptions::default()),
        "{ a = <CODE>; b = 2; }"
    );
}

#[test]
fn json_output() {
    let mut ev = Evaluator::new(EvalOptions::default());
    let v = ev
        .eval_str("{ b = [ 1 2.5 \"x\" ]; a = null; }", Path::new("/"))
        .unwrap();
    assert_eq!(ev.to_json(&v).unwrap(), r#"{"a":null,"b":[1,2.5,"x"]}"#);
}

#[test]
fn failed_thunk_can_be_forced_again() {
    let mut ev = Evaluator::new(EvalOptions::default());
    let v = ev
        .eval_str(
            "let x = throw \"t\"; in [ (builtins.tryEval x).success (builtins.tryEval x).success ]",
            Path::new("/"),
        )
        .unwrap();
    ev.force_deep(&v).unwrap();
    assert_eq!(print_value(&v, PrintOptions::default()), "[ false false ]");
}

#[test]
fn values_are_cheap_handles() {
    assert_eq!(size_of::<Value>(), 16);
}

#[test]
fn errors_render_like_nix() {
    let mut ev = Evaluator::new(EvalOptions::default());
    let err = ev
        .eval_str("let f = x: x.foo; in f { fo = 1; }", Path::new("/"))
        .unwrap_err();
    let text = ev.render_error(&err);
    assert!(
        text.starts_with("error: attribute 'foo' missing; did you mean fo?"),
        "{text}"
    );
    assert!(text.contains("«string»:1:12"), "{text}");
    assert!(text.contains("let f = x: x.foo;"), "{text}");
}

#[test]
fn deep_structures_are_freed_without_recursion() {
    let src = "let l = builtins.genList (x: x) 200000; \
               deep = builtins.foldl' (acc: x: [ acc ]) [ ] l; \
               deepSet = builtins.foldl' (acc: x: { a = acc; }) { } l; \
               in builtins.seq deep (builtins.seq deepSet (deep == deep))";
    assert_eq!(eval(src).unwrap(), "true");
}

#[test]
fn absurd_nesting_is_an_error_not_a_crash() {
    let src = vec!["1"; 100_000].join(" + ");
    let err = eval(&src).unwrap_err();
    assert!(err.to_string().contains("nested more than"), "{err}");
    let ok = vec!["1"; 20_000].join(" + ");
    assert_eq!(eval(&ok).unwrap(), "20000");
}

#[test]
fn auto_call_like_nix_instantiate() {
    let mut ev = Evaluator::new(EvalOptions::default());
    let f = ev.eval_str("{ a, b ? 2 }: a * b", Path::new("/")).unwrap();
    let v = ev
        .auto_call(&f, &[("a".to_owned(), Value::Int(21))])
        .unwrap();
    assert_eq!(print_value(&v, PrintOptions::default()), "42");
    let err = ev.auto_call(&f, &[]).unwrap_err();
    assert!(err.to_string().contains("without a value ('a')"), "{err}");
    let g = ev.eval_str("x: x", Path::new("/")).unwrap();
    let same = ev.auto_call(&g, &[]).unwrap();
    assert_eq!(print_value(&same, PrintOptions::default()), "<LAMBDA>");
}

#[test]
fn search_path_entries_parse() {
    let e = cairn_eval::SearchPathEntry::parse_nix_path("nixpkgs=/a/b:/c");
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].prefix.as_deref(), Some("nixpkgs"));
    assert_eq!(e[1].prefix, None);
}

#[test]
fn dropping_an_evaluator_frees_its_builtins() {
    let mut ev = Evaluator::new(EvalOptions::default());
    let Ok(Value::Attrs(set)) = ev.eval_str("builtins", Path::new("/")) else {
        panic!("builtins is not a set");
    };
    let weak = std::rc::Rc::downgrade(&set);
    drop(set);
    assert!(weak.upgrade().is_some(), "the evaluator keeps builtins");
    drop(ev);
    assert!(weak.upgrade().is_none(), "builtins outlived its evaluator");
}

#[test]
fn fetchers_touch_nothing_without_a_store() {
    // An evaluator without a store (pure evaluation, fuzzing) must not read,
    // download or run anything for a fetcher: it fails first.
    for src in [
        r#"builtins.fetchurl "file:///etc/hostname""#,
        r#"fetchTarball "http://127.0.0.1:1/x.tar.gz""#,
        r#"fetchGit /nonexistent-repo"#,
        r#"fetchTree { type = "path"; path = "/etc"; }"#,
    ] {
        let err = eval(src).unwrap_err().to_string();
        assert!(err.contains("has no store"), "{src}: {err}");
    }
}
