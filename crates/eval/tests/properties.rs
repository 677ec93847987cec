//! Property tests: printing round-trips through the parser, `sort` is a
//! stable sort, JSON round-trips, integer arithmetic matches Rust's.

use std::path::Path;

use cairn_eval::{EvalOptions, Evaluator, PrintOptions, print_value};
use proptest::prelude::*;

fn eval(src: &str) -> String {
    let mut ev = Evaluator::new(EvalOptions::default());
    let v = ev.eval_str(src, Path::new("/")).expect("evaluates");
    ev.force_deep(&v).expect("forces");
    print_value(&v, PrintOptions::default())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn printed_strings_parse_back(s in "[ -~\n\t\r$\\\\{}\"é]{0,40}") {
        let mut ev = Evaluator::new(EvalOptions::default());
        let v = cairn_eval::Value::string(s.clone());
        let printed = print_value(&v, PrintOptions::default());
        let back = ev.eval_str(&printed, Path::new("/")).unwrap();
        match back {
            cairn_eval::Value::String(t) => prop_assert_eq!(&t.text, &s),
            other => prop_assert!(false, "not a string: {other:?}"),
        }
    }

    #[test]
    fn sort_is_stable(keys in proptest::collection::vec(0i64..5, 0..40)) {
        let items: Vec<String> = keys.iter().enumerate().map(|(i, k)| format!("{{ k = {k}; i = {i}; }}")).collect();
        let src = format!("map (x: x.i) (builtins.sort (a: b: a.k < b.k) [ {} ])", items.join(" "));
        let mut want: Vec<(i64, usize)> = keys.iter().copied().zip(0..).collect();
        want.sort_by_key(|p| p.0);
        let want: Vec<String> = want.iter().map(|p| p.1.to_string()).collect();
        prop_assert_eq!(eval(&src), format!("[ {}]", want.iter().map(|s| format!("{s} ")).collect::<String>()));
    }

    #[test]
    fn int_arithmetic_matches_rust(a in -1_000_000i64..1_000_000, b in -1_000_000i64..1_000_000) {
        prop_assume!(b != 0);
        let src = format!("[ ({a} + {b}) ({a} - {b}) ({a} * {b}) ({a} / {b}) ]");
        let src = src.replace("- -", "+ ").replace("+ -", "- ");
        let want = format!("[ {} {} {} {} ]", a + b, a - b, a * b, a / b);
        prop_assert_eq!(eval(&src), want);
    }

    #[test]
    fn json_round_trips(v in json_value()) {
        let src = format!("let v = builtins.fromJSON {}; in builtins.fromJSON (builtins.toJSON v) == v", nix_string(&v));
        prop_assert_eq!(eval(&src), "true");
    }
}

fn nix_string(s: &str) -> String {
    let mut out = String::new();
    cairn_eval::print::quote_string(s, &mut out);
    out
}

fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i32>().prop_map(|i| i.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("null".to_owned()),
        "[a-z]{0,6}".prop_map(|s| format!("\"{s}\"")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|v| format!("[{}]", v.join(","))),
            proptest::collection::vec(("[a-z]{1,4}", inner), 0..4).prop_map(|v| {
                let fields: Vec<String> =
                    v.into_iter().map(|(k, x)| format!("\"{k}\":{x}")).collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}
