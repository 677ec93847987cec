//! Cheap expressions computed without thunks or frames.
//!
//! Most calls in numeric code evaluate something like `n - 1` or `a + b`
//! over values that are already integers. Such an expression is *cheap and
//! total once its operands are known*: it forces nothing, calls nothing,
//! and either yields a value or would fail (overflow, division by zero).
//! Computing it on the spot, when it succeeds, gives the very value a thunk
//! would later give, without allocating the thunk, or the frame of a call
//! whose body is such an expression. When it would fail, or an operand is
//! not yet evaluated, the caller takes the ordinary lazy path, so errors,
//! their positions and their order are Nix's.
//!
//! Two uses differ in what they may show:
//! - inside a call whose result is needed now ([`Machine::cheap_call`]),
//!   nothing is observable: the frame is never seen by anyone;
//! - in place of a thunk that is stored (a function argument, a list
//!   element), the value is visible to a printer that does not force:
//!   `nix-instantiate --eval` without `--strict` prints `<CODE>` for an
//!   unforced thunk. Those uses are behind `EvalOptions::compute_cheap_eagerly`,
//!   which callers turn on only when every printed value is forced first.

use std::rc::Rc;

use crate::eval::{Machine, lookup_ref};
use crate::ir::{BinOp, Expr, LambdaDef, Param};
use crate::value::{Closure, Env, ThunkState, Value};

/// `a op b` on two integers, when it is defined (no overflow, no division
/// by zero) and the operator is arithmetic or a comparison.
pub(crate) fn int_op(op: BinOp, a: i64, b: i64) -> Option<Value> {
    Some(match op {
        BinOp::Add => Value::Int(a.checked_add(b)?),
        BinOp::Sub => Value::Int(a.checked_sub(b)?),
        BinOp::Mul => Value::Int(a.checked_mul(b)?),
        // `checked_div` is `None` for zero and for `MIN / -1`.
        BinOp::Div => Value::Int(a.checked_div(b)?),
        BinOp::Eq => Value::Bool(a == b),
        BinOp::NotEq => Value::Bool(a != b),
        BinOp::Lt => Value::Bool(a < b),
        BinOp::LtEq => Value::Bool(a <= b),
        BinOp::Gt => Value::Bool(a > b),
        BinOp::GtEq => Value::Bool(a >= b),
        BinOp::Concat | BinOp::Update | BinOp::And | BinOp::Or | BinOp::Impl => return None,
    })
}

/// `v` if it is evaluated (a value, or a thunk already forced), without
/// forcing anything.
pub(crate) fn evaluated(v: &Value) -> Option<Value> {
    match v {
        Value::Thunk(t) => match &*t.0.try_borrow().ok()? {
            ThunkState::Done(x) => Some(x.clone()),
            _ => None,
        },
        other => Some(other.clone()),
    }
}

/// Where a cheap expression's variables live: `args` are the innermost
/// frames (one argument each, innermost first), not allocated; `env` is
/// what encloses them.
struct Scope<'a> {
    args: &'a [&'a Value],
    env: &'a Rc<Env>,
}

impl Scope<'_> {
    /// The evaluated value of variable `(depth, slot)`, if it is evaluated.
    fn var(&self, depth: u32, slot: u32) -> Option<Value> {
        let d = depth as usize;
        if let Some(arg) = self.args.get(d) {
            // A one-argument frame has exactly one slot.
            return (slot == 0).then(|| evaluated(arg)).flatten();
        }
        let depth = u32::try_from(d - self.args.len()).ok()?;
        lookup_ref(self.env, depth, slot, evaluated)
    }

    /// The value of a leaf (constant or variable), if known without forcing.
    fn leaf(&self, e: &Expr) -> Option<Value> {
        match e {
            Expr::Const(v) => Some(v.clone()),
            Expr::Var { depth, slot, .. } => self.var(*depth, *slot),
            _ => None,
        }
    }

    /// The value of `e` if it is cheap and total for the known operands.
    fn value(&self, e: &Expr) -> Option<Value> {
        match e {
            Expr::Const(_) | Expr::Var { .. } => self.leaf(e),
            Expr::BinOp { op, lhs, rhs, .. } => {
                let (Value::Int(a), Value::Int(b)) = (self.leaf(lhs)?, self.leaf(rhs)?) else {
                    return None;
                };
                int_op(*op, a, b)
            }
            _ => None,
        }
    }
}

/// The body of `def` if it is a plain one-argument lambda (`x: …`).
fn ident_body(def: &LambdaDef) -> Option<&Expr> {
    matches!(def.param, Param::Ident).then_some(&*def.body)
}

impl Machine {
    /// `v` if it is evaluated, without forcing anything (a builtin that
    /// must not force its function may still look at it).
    pub(crate) fn evaluated(&self, v: &Value) -> Option<Value> {
        evaluated(v)
    }

    /// Whether a call may be run without being counted: the call-depth
    /// limit is not reached (entering would fail) and no step budget is
    /// kept (every expression entered is charged).
    fn may_skip_call(&self) -> bool {
        self.steps_left_is_none()
            && self
                .opts
                .max_call_depth
                .is_none_or(|max| self.depth() < max)
    }

    /// The result of calling `c` with `arg` if its body is cheap and total
    /// for it; `None` to make the call in full.
    pub(crate) fn cheap_call(&self, c: &Closure, arg: &Value) -> Option<Value> {
        let body = ident_body(&c.def)?;
        if !self.may_skip_call() {
            return None;
        }
        Scope {
            args: &[arg],
            env: &c.env,
        }
        .value(body)
    }

    /// The result of `c x y` for a curried `x: y: …` whose inner body is
    /// cheap and total for them; `None` to make the calls in full.
    pub(crate) fn cheap_call2(&self, c: &Closure, x: &Value, y: &Value) -> Option<Value> {
        let Expr::Lambda(inner) = ident_body(&c.def)? else {
            return None;
        };
        let body = ident_body(inner)?;
        if !self.may_skip_call() {
            return None;
        }
        Scope {
            args: &[y, x],
            env: &c.env,
        }
        .value(body)
    }

    /// The value of `expr` in `env` in place of a thunk for it, when
    /// computing it now is allowed (`compute_cheap_eagerly`), cheap and
    /// total.
    pub(crate) fn eager_value(&self, expr: &Expr, env: &Rc<Env>) -> Option<Value> {
        if !self.opts.compute_cheap_eagerly || !self.steps_left_is_none() {
            return None;
        }
        if !matches!(expr, Expr::BinOp { .. }) {
            return None;
        }
        Scope { args: &[], env }.value(expr)
    }

    /// `f x` in place of a thunk for it, when computing it now is allowed,
    /// cheap and total (see [`Self::eager_value`]).
    pub(crate) fn eager_apply(&self, f: &Value, x: &Value) -> Option<Value> {
        if !self.opts.compute_cheap_eagerly {
            return None;
        }
        let Value::Lambda(c) = f else { return None };
        self.cheap_call(c, x)
    }

    /// `f x y` in place of a thunk for it (see [`Self::eager_apply`]).
    pub(crate) fn eager_apply2(&self, f: &Value, x: &Value, y: &Value) -> Option<Value> {
        if !self.opts.compute_cheap_eagerly {
            return None;
        }
        let Value::Lambda(c) = f else { return None };
        self.cheap_call2(c, x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_op_refuses_what_would_fail() {
        assert!(int_op(BinOp::Add, i64::MAX, 1).is_none());
        assert!(int_op(BinOp::Div, 1, 0).is_none());
        assert!(int_op(BinOp::Div, i64::MIN, -1).is_none());
        assert!(int_op(BinOp::Concat, 1, 2).is_none());
        assert!(matches!(int_op(BinOp::Div, -7, 2), Some(Value::Int(-3))));
        assert!(matches!(int_op(BinOp::LtEq, 2, 2), Some(Value::Bool(true))));
    }
}
