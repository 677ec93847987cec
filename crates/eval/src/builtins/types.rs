//! Type predicates: `typeOf`, `isInt`, `isNull`, ….

use super::{Builtin, b, g};
use crate::value::Value;

pub(super) const BUILTINS: &[Builtin] = &[
    b("typeOf", 1, |m, a, _| {
        Ok(Value::string(m.force(&a[0])?.type_name()))
    }),
    g("isNull", 1, |m, a, _| {
        Ok(Value::Bool(matches!(m.force(&a[0])?, Value::Null)))
    }),
    b("isInt", 1, |m, a, _| {
        Ok(Value::Bool(matches!(m.force(&a[0])?, Value::Int(_))))
    }),
    b("isFloat", 1, |m, a, _| {
        Ok(Value::Bool(matches!(m.force(&a[0])?, Value::Float(_))))
    }),
    b("isBool", 1, |m, a, _| {
        Ok(Value::Bool(matches!(m.force(&a[0])?, Value::Bool(_))))
    }),
    b("isString", 1, |m, a, _| {
        Ok(Value::Bool(matches!(m.force(&a[0])?, Value::String(_))))
    }),
    b("isPath", 1, |m, a, _| {
        Ok(Value::Bool(matches!(m.force(&a[0])?, Value::Path(_))))
    }),
    b("isList", 1, |m, a, _| {
        Ok(Value::Bool(matches!(m.force(&a[0])?, Value::List(_))))
    }),
    b("isAttrs", 1, |m, a, _| {
        Ok(Value::Bool(matches!(m.force(&a[0])?, Value::Attrs(_))))
    }),
    b("isFunction", 1, |m, a, _| {
        Ok(Value::Bool(matches!(
            m.force(&a[0])?,
            Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_)
        )))
    }),
];
