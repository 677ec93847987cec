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
        let j: serde_json::Value = serde_json::from_str(&text.text)
            .map_err(|e| EvalError::other(format!("JSON parse error: {e}"), s))?;
        Ok(crate::json::from_json(j))
    }),
];
