//! Arithmetic and bitwise builtins.

use super::{Builtin, b};
use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::ir::BinOp;
use crate::span::Span;
use crate::value::Value;

pub(super) const BUILTINS: &[Builtin] = &[
    b("add", 2, add),
    b("sub", 2, |m, a, s| m.arith(BinOp::Sub, &a[0], &a[1], s)),
    b("mul", 2, |m, a, s| m.arith(BinOp::Mul, &a[0], &a[1], s)),
    b("div", 2, |m, a, s| m.arith(BinOp::Div, &a[0], &a[1], s)),
    b("lessThan", 2, |m, a, s| {
        Ok(Value::Bool(m.less_than(&a[0], &a[1], s)?))
    }),
    b("bitAnd", 2, |m, a, s| {
        Ok(Value::Int(m.force_int(&a[0], s)? & m.force_int(&a[1], s)?))
    }),
    b("bitOr", 2, |m, a, s| {
        Ok(Value::Int(m.force_int(&a[0], s)? | m.force_int(&a[1], s)?))
    }),
    b("bitXor", 2, |m, a, s| {
        Ok(Value::Int(m.force_int(&a[0], s)? ^ m.force_int(&a[1], s)?))
    }),
    b("ceil", 1, |m, a, s| round(m, a, s, f64::ceil)),
    b("floor", 1, |m, a, s| round(m, a, s, f64::floor)),
];

fn add(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let x = m.force(&a[0])?;
    let y = m.force(&a[1])?;
    match (&x, &y) {
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            m.concat_strings(&[x, y], false, s)
        }
        (Value::Int(_) | Value::Float(_), other) | (other, _) => {
            Err(EvalError::type_error("an integer", other.show_type(), s))
        }
    }
}

fn round(m: &mut Machine, a: &[Value], s: Span, f: fn(f64) -> f64) -> EvalResult<Value> {
    match m.force(&a[0])? {
        Value::Int(i) => Ok(Value::Int(i)),
        Value::Float(x) => Ok(Value::Int(f(x) as i64)),
        other => Err(EvalError::type_error("a float", other.show_type(), s)),
    }
}
