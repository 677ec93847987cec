//! `builtins.toXML`.

use std::rc::Rc;

use super::{Builtin, b};
use crate::error::EvalResult;
use crate::eval::Machine;
use crate::span::Span;
use crate::value::{NixString, Value};
use crate::xml::XmlOptions;

pub(super) const BUILTINS: &[Builtin] = &[b("toXML", 1, to_xml)];

fn to_xml(m: &mut Machine, a: &[Value], _s: Span) -> EvalResult<Value> {
    let mut out = NixString::default();
    let opts = XmlOptions {
        strict: true,
        location: false,
    };
    out.text = m.to_xml(&a[0], opts, &mut out)?;
    Ok(Value::String(Rc::new(out)))
}
