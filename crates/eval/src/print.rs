//! Printing values exactly as `nix-instantiate --eval` does (Nix 2.8 format).
//!
//! The printer never forces anything: unevaluated thunks print as `<CODE>`.
//! Call [`crate::Evaluator::force_deep`] first for `--strict` output.

use std::fmt::Write;

use rustc_hash::FxHashSet;

use crate::ops::format_float;
use crate::value::Value;

/// Options for [`print_value`].
#[derive(Clone, Copy, Debug)]
pub struct PrintOptions {
    /// Print a set or list already printed once as `«repeated»` (as Nix does).
    pub mark_repeated: bool,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions {
            mark_repeated: true,
        }
    }
}

/// Renders `v` like `nix-instantiate --eval` (without the trailing newline).
pub fn print_value(v: &Value, opts: PrintOptions) -> String {
    let mut out = String::new();
    let mut seen = FxHashSet::default();
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || go(v, &mut out, &mut seen, opts));
    out
}

fn go(v: &Value, out: &mut String, seen: &mut FxHashSet<usize>, opts: PrintOptions) {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || match v.resolved() {
        Value::Thunk(_) => out.push_str("<CODE>"),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float(f)),
        Value::String(s) => quote_string(&s.text, out),
        Value::Path(p) => out.push_str(&p),
        Value::Attrs(a) => {
            if opts.mark_repeated && !a.is_empty() && !seen.insert(std::rc::Rc::as_ptr(&a) as usize)
            {
                out.push_str("«repeated»");
                return;
            }
            out.push_str("{ ");
            for (k, val) in a.sorted_by_name() {
                print_attr_name(k.as_str(), out);
                out.push_str(" = ");
                go(val, out, seen, opts);
                out.push_str("; ");
            }
            out.push('}');
        }
        Value::List(l) => {
            // Nix 2.8 stores lists of one or two elements inline in the value,
            // so those only repeat when the very same value (thunk) recurs.
            let key = match v {
                _ if l.len() > 2 => Some(l.as_ptr() as usize),
                Value::Thunk(t) => Some(std::rc::Rc::as_ptr(&t.0) as usize),
                _ => None,
            };
            if opts.mark_repeated && !l.is_empty() && key.is_some_and(|k| !seen.insert(k)) {
                out.push_str("«repeated»");
                return;
            }
            out.push_str("[ ");
            for item in l.iter() {
                go(item, out, seen, opts);
                out.push(' ');
            }
            out.push(']');
        }
        Value::Lambda(_) => out.push_str("<LAMBDA>"),
        Value::PrimOp(_) => out.push_str("<PRIMOP>"),
        Value::PrimOpApp(_) => out.push_str("<PRIMOP-APP>"),
    })
}

/// Whether `s` can be printed as a bare attribute name (Nix 2.8 rules).
pub fn is_plain_attr_name(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '_') {
        return false;
    }
    s != "if" && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '\''))
}

fn print_attr_name(s: &str, out: &mut String) {
    if is_plain_attr_name(s) {
        out.push_str(s);
    } else {
        quote_string(s, out);
    }
}

/// Appends `s` as a Nix string literal.
pub fn quote_string(s: &str, out: &mut String) {
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
}
