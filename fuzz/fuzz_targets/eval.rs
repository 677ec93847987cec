//! Parses and evaluates arbitrary text with a step budget: cairn-eval must
//! never panic, whatever the input, and must stop (the budget bounds time;
//! run with `-rss_limit_mb` to bound memory). What evaluates is forced
//! deeply and printed, as `cairn eval --strict` does, and also converted to
//! JSON and XML.
#![no_main]

use std::path::Path;

use cairn_eval::{EvalOptions, Evaluator, PrintOptions, print_value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.len() > 4096 {
        return;
    }
    let mut ev = Evaluator::new(EvalOptions {
        max_steps: Some(200_000),
        max_call_depth: Some(10_000),
        pure: true,
        trace_to_stderr: false,
        search_path: Vec::new(),
        home: None,
        ..EvalOptions::default()
    });
    let Ok(v) = ev.eval_str(text, Path::new("/nonexistent-fuzz-dir")) else {
        return;
    };
    let _ = print_value(&v, PrintOptions::default());
    if ev.force_deep(&v).is_ok() {
        let _ = print_value(&v, PrintOptions::default());
        let _ = ev.to_json(&v);
        let _ = ev.to_xml(&v, true, true);
    }
});
