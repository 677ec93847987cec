//! `toJSON` and `fromJSON`.

use std::rc::Rc;

use super::{Builtin, b};
use crate::error::EvalError;
use crate::value::{NixString, Value};

pub(super) const BUILTINS: &[Builtin] = &[
    b("toJSON", 1, |m, a, s| {
        let mut ctx = NixString::default();
        let text = m.to_json(&a[0], s, &mut ctx)?;
        Ok(Value::String(Rc::new(NixString {
            text,
            context: ctx.context,
        })))
    }),
    b("fromJSON", 1, |m, a, s| {
        let text = m.force_string(&a[0], s)?;
        let j: serde_json::Value = serde_json::from_str(&integer_negative_zero_as_zero(&text.text))
            .map_err(|e| EvalError::other(format!("JSON parse error: {e}"), s))?;
        if let Some(u) = unsigned_beyond_int(&j) {
            return Err(EvalError::other(
                format!("unsigned json number {u} outside of Nix integer range"),
                s,
            ));
        }
        Ok(crate::json::from_json(j))
    }),
];

/// The first integer in `j` above `i64::MAX` that still fits in a `u64`.
///
/// Current Nix refuses such a number ("unsigned json number … outside of Nix
/// integer range"; Nix 2.8 wrapped it to a negative integer); integers
/// beyond `u64` become floats in both, as they do here.
fn unsigned_beyond_int(j: &serde_json::Value) -> Option<u64> {
    match j {
        serde_json::Value::Number(n) if n.as_i64().is_none() => n.as_u64(),
        serde_json::Value::Array(a) => a.iter().find_map(unsigned_beyond_int),
        serde_json::Value::Object(o) => o.values().find_map(unsigned_beyond_int),
        _ => None,
    }
}

/// Rewrites each integer literal `-0` outside strings to `0`.
///
/// Nix reads a JSON number without fraction or exponent as an integer, so
/// `-0` is the integer 0 (`lib.strings.toInt " -0 "` relies on it); serde_json
/// reads it as the float -0.0, the same value as `-0.0`, which must stay a
/// float. Integer -0 and integer 0 are the same value, so the rewrite
/// changes nothing else.
fn integer_negative_zero_as_zero(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("-0") {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'-' if bytes.get(i + 1) == Some(&b'0')
                && !matches!(bytes.get(i + 2), Some(b'.' | b'e' | b'E' | b'0'..=b'9'))
                // Only where a value may start, so malformed text (`1-0`, `--0`)
                // still fails to parse.
                && (i == 0 || matches!(bytes[i - 1], b'[' | b',' | b':' | b' ' | b'\t' | b'\n' | b'\r')) =>
            {
                out.push_str(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push_str(&text[start..]);
    std::borrow::Cow::Owned(out)
}
