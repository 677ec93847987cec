//! `__structuredAttrs`: the `.attrs.json` and `.attrs.sh` files a builder
//! gets instead of environment variables, printed as Nix prints them.
//!
//! Nix parses the derivation's `__json` with nlohmann::json and prints it
//! back compactly: object keys sorted, strings escaped the nlohmann way,
//! floats in nlohmann's shortest form (`1.5`, `100.0`, `1e+100`). The shell
//! file declares every top-level attribute that is a valid shell name and a
//! string, number, boolean or null, or a flat list or object of those.

use std::fmt::Write as _;

use serde_json::Value;

/// `value` printed as nlohmann's `dump()` prints it (no indentation).
pub fn dump_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                out.push_str(&format_float(n.as_f64().unwrap_or(f64::NAN)));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted whatever order the map keeps (serde_json's
            // `preserve_order` may be on through another crate).
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_json(v, out);
                }
            }
            out.push('}');
        }
    }
}

/// A JSON string escaped as nlohmann's library does, which is how Nix
/// writes `.attrs.json`. It differs from `builtins.toJSON` (cairn-eval's
/// `json` module), which spells backspace and form feed `\u0008` and
/// `\u000c`.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A float as nlohmann prints it: the shortest digits that read back to
/// the same value, fixed notation for decimal exponents from -4 to 15
/// (always with a `.`), scientific otherwise with a signed exponent of at
/// least two digits.
pub fn format_float(f: f64) -> String {
    if !f.is_finite() {
        return "null".to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `d.ddde±x`.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    // Position of the decimal point relative to the start of the digits.
    let n = exponent + 1;
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 15 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
        out.push_str(".0");
    } else if 0 < n && n <= 15 {
        let (int, frac) = digits.split_at(n as usize);
        let _ = write!(out, "{int}.{frac}");
    } else if -4 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            let _ = write!(out, ".{rest}");
        }
        let e = n - 1;
        let _ = write!(out, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    out
}

/// The `.attrs.sh` file for the (rewritten) structured attributes.
pub fn shell_file(attrs: &serde_json::Map<String, Value>) -> String {
    let mut keys: Vec<&String> = attrs.keys().collect();
    keys.sort();
    let mut out = String::new();
    for key in keys {
        let Some(value) = attrs.get(key) else {
            continue;
        };
        if !is_shell_name(key) {
            continue;
        }
        if let Some(simple) = simple_value(value) {
            let _ = writeln!(out, "declare {key}={simple}");
        } else if let Value::Array(items) = value {
            let parts: Option<Vec<String>> = items.iter().map(simple_value).collect();
            if let Some(parts) = parts {
                let mut joined = String::new();
                for part in parts {
                    joined.push_str(&part);
                    joined.push(' ');
                }
                let _ = writeln!(out, "declare -a {key}=({joined})");
            }
        } else if let Value::Object(map) = value {
            let mut inner: Vec<&String> = map.keys().collect();
            inner.sort();
            let parts: Option<Vec<String>> = inner
                .iter()
                .map(|k| {
                    map.get(*k)
                        .and_then(simple_value)
                        .map(|v| format!("[{}]={v} ", shell_escape(k)))
                })
                .collect();
            if let Some(parts) = parts {
                let _ = writeln!(out, "declare -A {key}=({})", parts.concat());
            }
        }
    }
    out
}

fn is_shell_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A scalar as Nix writes it in `.attrs.sh`, or `None` for anything else.
/// Numbers are written only when integral, truncated to a C `int` as Nix's
/// `get<int>()` does.
fn simple_value(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(shell_escape(s)),
        Value::Null => Some("''".to_owned()),
        Value::Bool(b) => Some(if *b { "1" } else { "" }.to_owned()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some((i as i32).to_string())
            } else if let Some(u) = n.as_u64() {
                Some((u as i32).to_string())
            } else {
                // Nix checks integrality in single precision.
                let f = n.as_f64()? as f32;
                if f.ceil() != f {
                    return None;
                }
                let as_double = f64::from(f);
                let int = if as_double >= f64::from(i32::MIN) && as_double <= f64::from(i32::MAX) {
                    as_double as i32
                } else {
                    // x86's conversion of an out-of-range double.
                    i32::MIN
                };
                Some(int.to_string())
            }
        }
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn shell_escape(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn floats_print_as_nlohmann() {
        for (f, s) in [
            (1.5, "1.5"),
            (100.0, "100.0"),
            (1e100, "1e+100"),
            (1e-5, "1e-05"),
            (0.001, "0.001"),
            (-2.25, "-2.25"),
            (1e14, "100000000000000.0"),
            (1e15, "1e+15"),
            (1e16, "1e+16"),
            (1.25e16, "1.25e+16"),
            (0.0, "0.0"),
        ] {
            assert_eq!(format_float(f), s, "{f}");
        }
    }

    /// The files Nix 2.8 wrote for the same attributes (see the probe in
    /// tests/corpus.nix).
    #[test]
    fn matches_nix_2_8_output() {
        let json: Value = serde_json::from_str(
            r#"{"n":3,"f":1.5,"b":true,"nul":null,"l":[1,"a",true],"a":{"x":1,"y z":"q'r"},"nested":{"a":[1]},"bad-name":1,"foo":"bar"}"#,
        )
        .unwrap();
        assert_eq!(
            dump_json(&json),
            r#"{"a":{"x":1,"y z":"q'r"},"b":true,"bad-name":1,"f":1.5,"foo":"bar","l":[1,"a",true],"n":3,"nested":{"a":[1]},"nul":null}"#
        );
        let Value::Object(map) = json else { panic!() };
        assert_eq!(
            shell_file(&map),
            "declare -A a=(['x']=1 ['y z']='q'\\''r' )\ndeclare b=1\ndeclare foo='bar'\n\
             declare -a l=(1 'a' 1 )\ndeclare n=3\ndeclare nul=''\n"
        );
    }
}
