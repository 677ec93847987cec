//! JSON conversion: `builtins.toJSON`, `builtins.fromJSON`, `--json`.

use std::fmt::Write;
use std::rc::Rc;

use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::ops::format_float;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, NixString, Value};

impl Machine {
    /// Serialises `v` (forcing it deeply) as Nix's `toJSON` does; the
    /// string contexts met are merged into `ctx`.
    pub fn to_json(&mut self, v: &Value, span: Span, ctx: &mut NixString) -> EvalResult<String> {
        let mut out = String::new();
        self.json_into(v, span, &mut out, ctx)?;
        Ok(out)
    }

    fn json_into(
        &mut self,
        v: &Value,
        span: Span,
        out: &mut String,
        ctx: &mut NixString,
    ) -> EvalResult<()> {
        let v = self.force(v)?;
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            match &v {
                Value::Null => out.push_str("null"),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Int(i) => {
                    let _ = write!(out, "{i}");
                }
                Value::Float(f) => out.push_str(&format_float(*f)),
                Value::String(s) => {
                    ctx.add_context(&s.context);
                    json_string(&s.text, out);
                }
                Value::Path(_) => {
                    let s = self.coerce_to_string(&v, false, true, span)?;
                    ctx.add_context(&s.context);
                    json_string(&s.text, out);
                }
                Value::Attrs(a) => {
                    if let Some(o) = a.get(Symbol::intern("outPath")) {
                        let o = o.clone();
                        return self.json_into(&o, span, out, ctx);
                    }
                    out.push('{');
                    self.writing(Rc::as_ptr(a) as usize, Some(span), |m| {
                        for (i, (k, val)) in a.sorted_by_name().into_iter().enumerate() {
                            if i > 0 {
                                out.push(',');
                            }
                            json_string(k.as_str(), out);
                            out.push(':');
                            m.json_into(val, span, out, ctx)?;
                        }
                        Ok(())
                    })?;
                    out.push('}');
                }
                Value::List(l) => {
                    out.push('[');
                    self.writing(l.as_ptr() as usize, Some(span), |m| {
                        for (i, item) in l.iter().enumerate() {
                            if i > 0 {
                                out.push(',');
                            }
                            m.json_into(item, span, out, ctx)?;
                        }
                        Ok(())
                    })?;
                    out.push(']');
                }
                Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_) | Value::Thunk(_) => {
                    return Err(EvalError::other(
                        format!("cannot convert {} to JSON", v.show_type()),
                        span,
                    ));
                }
            }
            Ok(())
        })
    }
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
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

/// Converts parsed JSON into a Nix value.
pub fn from_json(j: serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::string(s),
        serde_json::Value::Array(a) => Value::list(a.into_iter().map(from_json).collect()),
        serde_json::Value::Object(o) => Value::Attrs(Rc::new(Attrs::from_unsorted(
            o.into_iter()
                .map(|(k, v)| (Symbol::intern(&k), from_json(v)))
                .collect(),
        ))),
    }
}
