//! `builtins.fromTOML`.
//!
//! Tables become attribute sets, arrays lists, integers and floats numbers.
//! Dates and times are rejected, as in Nix without the experimental
//! `parse-toml-timestamps` feature.

use std::rc::Rc;

use super::{Builtin, b};
use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, Value};

pub(super) const BUILTINS: &[Builtin] = &[b("fromTOML", 1, from_toml)];

fn from_toml(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let src = m.force_string(&a[0], s)?;
    let fail = |msg: String| EvalError::other(format!("while parsing a TOML string: {msg}"), s);
    let table: ::toml::Table =
        ::toml::from_str(&src.text).map_err(|e| fail(e.message().to_owned()))?;
    convert_table(table).map_err(fail)
}

fn convert_table(t: ::toml::Table) -> Result<Value, String> {
    let mut entries = Vec::with_capacity(t.len());
    for (k, v) in t {
        entries.push((Symbol::intern(&k), convert(v)?));
    }
    Ok(Value::Attrs(Rc::new(Attrs::from_unsorted(entries))))
}

fn convert(v: ::toml::Value) -> Result<Value, String> {
    Ok(match v {
        ::toml::Value::String(s) => Value::string(s),
        ::toml::Value::Integer(i) => Value::Int(i),
        ::toml::Value::Float(f) => Value::Float(f),
        ::toml::Value::Boolean(b) => Value::Bool(b),
        ::toml::Value::Datetime(_) => return Err("Dates and times are not supported".to_owned()),
        ::toml::Value::Array(items) => Value::list(
            items
                .into_iter()
                .map(convert)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        ::toml::Value::Table(t) => convert_table(t)?,
    })
}
