//! Operators and coercions shared by the evaluator and the builtins:
//! arithmetic, `+`/interpolation, equality, ordering, string coercion.

use std::cmp::Ordering;
use std::rc::Rc;

use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::eval::Machine;
use crate::ir::BinOp;
use crate::lower::canon_path;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, List, NixString, Value};

/// Formats a float like C's `%g` (6 significant digits), as Nix prints floats.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{f:.5e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let mant = strip_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (5 - exp).max(0) as usize;
        strip_zeros(&format!("{f:.decimals$}")).to_owned()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

impl Machine {
    /// Forces a value and requires a list.
    pub fn force_list(&mut self, v: &Value, span: Span) -> EvalResult<Rc<List>> {
        match self.force(v)? {
            Value::List(l) => Ok(l),
            other => Err(EvalError::type_error("a list", other.show_type(), span)),
        }
    }

    /// Forces a value and requires an attribute set.
    pub fn force_attrs(&mut self, v: &Value, span: Span) -> EvalResult<Rc<Attrs>> {
        match self.force(v)? {
            Value::Attrs(a) => Ok(a),
            other => Err(EvalError::type_error("a set", other.show_type(), span)),
        }
    }

    /// Forces a value and requires an integer.
    pub fn force_int(&mut self, v: &Value, span: Span) -> EvalResult<i64> {
        match self.force(v)? {
            Value::Int(i) => Ok(i),
            other => Err(EvalError::type_error("an integer", other.show_type(), span)),
        }
    }

    /// Forces a value and requires a Boolean.
    pub fn force_bool(&mut self, v: &Value, span: Span) -> EvalResult<bool> {
        match self.force(v)? {
            Value::Bool(b) => Ok(b),
            other => Err(EvalError::type_error("a Boolean", other.show_type(), span)),
        }
    }

    /// Forces a value and requires a string (context kept).
    pub fn force_string(&mut self, v: &Value, span: Span) -> EvalResult<Rc<NixString>> {
        match self.force(v)? {
            Value::String(s) => Ok(s),
            other => Err(EvalError::type_error("a string", other.show_type(), span)),
        }
    }

    /// Forces a value and requires a function.
    pub fn force_function(&mut self, v: &Value, span: Span) -> EvalResult<Value> {
        match self.force(v)? {
            f @ (Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_)) => Ok(f),
            Value::Attrs(a) if a.get(Symbol::intern("__functor")).is_some() => Ok(Value::Attrs(a)),
            other => Err(EvalError::type_error("a function", other.show_type(), span)),
        }
    }

    /// `-`, `*`, `/` with Nix's int/float promotion and overflow checks.
    pub(crate) fn arith(
        &mut self,
        op: BinOp,
        l: &Value,
        r: &Value,
        span: Span,
    ) -> EvalResult<Value> {
        let l = self.force(l)?;
        let r = self.force(r)?;
        let (name, sym) = match op {
            BinOp::Sub => ("subtraction", '-'),
            BinOp::Mul => ("multiplication", '*'),
            _ => ("division", '/'),
        };
        match (&l, &r) {
            (Value::Int(a), Value::Int(b)) => {
                let (a, b) = (*a, *b);
                if op == BinOp::Div && b == 0 {
                    return Err(EvalError::new(ErrorKind::DivByZero, Some(span)));
                }
                let res = match op {
                    BinOp::Sub => a.checked_sub(b),
                    BinOp::Mul => a.checked_mul(b),
                    _ => a.checked_div(b),
                };
                res.map(Value::Int).ok_or_else(|| {
                    EvalError::new(
                        ErrorKind::IntOverflow(format!("{name}: {a} {sym} {b}")),
                        Some(span),
                    )
                })
            }
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                let a = as_f64(&l);
                let b = as_f64(&r);
                Ok(Value::Float(match op {
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    _ => {
                        if b == 0.0 {
                            return Err(EvalError::new(ErrorKind::DivByZero, Some(span)));
                        }
                        a / b
                    }
                }))
            }
            (Value::Int(_) | Value::Float(_), other) | (other, _) => {
                Err(EvalError::type_error("an integer", other.show_type(), span))
            }
        }
    }

    /// Nix's `ExprConcatStrings`: `+` (`force_string == false`) and string
    /// interpolation (`force_string == true`). The first operand decides
    /// whether the result is a number, a path or a string.
    pub(crate) fn concat_strings(
        &mut self,
        parts: &[Value],
        force_string: bool,
        span: Span,
    ) -> EvalResult<Value> {
        #[derive(PartialEq)]
        enum Kind {
            Int,
            Float,
            Path,
            Str,
        }
        let mut kind = None;
        let (mut n, mut nf) = (0i64, 0f64);
        let mut out = NixString::default();
        for p in parts {
            let v = self.force(p)?;
            let k = kind.get_or_insert(match (&v, force_string) {
                (_, true) => Kind::Str,
                (Value::Int(_), _) => Kind::Int,
                (Value::Float(_), _) => Kind::Float,
                (Value::Path(_), _) => Kind::Path,
                _ => Kind::Str,
            });
            match k {
                Kind::Int => match v {
                    Value::Int(i) => {
                        n = n.checked_add(i).ok_or_else(|| {
                            EvalError::new(
                                ErrorKind::IntOverflow(format!("addition: {n} + {i}")),
                                Some(span),
                            )
                        })?;
                    }
                    Value::Float(f) => {
                        *k = Kind::Float;
                        nf = n as f64 + f;
                    }
                    other => {
                        return Err(EvalError::other(
                            format!("cannot add {} to an integer", other.show_type()),
                            span,
                        ));
                    }
                },
                Kind::Float => match v {
                    Value::Int(i) => nf += i as f64,
                    Value::Float(f) => nf += f,
                    other => {
                        return Err(EvalError::other(
                            format!("cannot add {} to a float", other.show_type()),
                            span,
                        ));
                    }
                },
                Kind::Path | Kind::Str => {
                    // A string is appended as it is, not copied first.
                    if let Value::String(s) = &v {
                        out.text.push_str(&s.text);
                        out.add_context(&s.context);
                        continue;
                    }
                    let copy = *k == Kind::Str;
                    let s = self.coerce_to_string(&v, false, copy, span)?;
                    out.text.push_str(&s.text);
                    out.add_context(&s.context);
                }
            }
        }
        Ok(match kind {
            Some(Kind::Int) => Value::Int(n),
            Some(Kind::Float) => Value::Float(nf),
            Some(Kind::Path) => {
                if out.context.is_some() {
                    return Err(EvalError::other(
                        "a string that refers to a store path cannot be appended to a path",
                        span,
                    ));
                }
                Value::Path(canon_path(&out.text).into())
            }
            _ => Value::String(Rc::new(out)),
        })
    }

    /// Nix's `coerceToString`. `coerce_more` is `toString`'s extra leniency
    /// (numbers, Booleans, null, lists); `copy_to_store` applies to paths.
    pub fn coerce_to_string(
        &mut self,
        v: &Value,
        coerce_more: bool,
        copy_to_store: bool,
        span: Span,
    ) -> EvalResult<NixString> {
        stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, || {
            self.coerce_inner(v, coerce_more, copy_to_store, span)
        })
    }

    fn coerce_inner(
        &mut self,
        v: &Value,
        coerce_more: bool,
        copy_to_store: bool,
        span: Span,
    ) -> EvalResult<NixString> {
        let v = self.force(v)?;
        Ok(match &v {
            Value::String(s) => (**s).clone(),
            Value::Path(p) => {
                if copy_to_store {
                    return self.copy_path_to_store(p, span);
                }
                NixString::plain(&**p)
            }
            Value::Attrs(a) => {
                if let Some(f) = a.get(Symbol::intern("__toString")) {
                    let f = f.clone();
                    let r = self.apply(f, v.clone(), span)?;
                    return self.coerce_to_string(&r, coerce_more, copy_to_store, span);
                }
                if let Some(o) = a.get(Symbol::intern("outPath")) {
                    let o = o.clone();
                    return self.coerce_to_string(&o, coerce_more, copy_to_store, span);
                }
                return Err(EvalError::other("cannot coerce a set to a string", span));
            }
            Value::Int(i) if coerce_more => NixString::plain(i.to_string()),
            Value::Float(f) if coerce_more => NixString::plain(format!("{f:.6}")),
            Value::Bool(b) if coerce_more => NixString::plain(if *b { "1" } else { "" }),
            Value::Null if coerce_more => NixString::default(),
            Value::List(l) if coerce_more => {
                let mut out = NixString::default();
                for (i, item) in l.iter().enumerate() {
                    let s = self.coerce_to_string(item, coerce_more, copy_to_store, span)?;
                    out.text.push_str(&s.text);
                    out.add_context(&s.context);
                    if i + 1 < l.len() {
                        let empty_list =
                            matches!(item.resolved(), Value::List(ref x) if x.is_empty());
                        if !empty_list {
                            out.text.push(' ');
                        }
                    }
                }
                out
            }
            other => {
                return Err(EvalError::other(
                    format!("cannot coerce {} to a string", other.show_type()),
                    span,
                ));
            }
        })
    }

    /// Nix's `==`: numbers across int/float, deep on lists and sets,
    /// derivations by `outPath`, functions never equal.
    // `span` is for errors raised while comparing (kept for forcing traces).
    #[allow(clippy::only_used_in_recursion)]
    pub fn eq_values(&mut self, a: &Value, b: &Value, span: Span) -> EvalResult<bool> {
        stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, || self.eq_inner(a, b, span))
    }

    #[allow(clippy::only_used_in_recursion)]
    fn eq_inner(&mut self, a: &Value, b: &Value, span: Span) -> EvalResult<bool> {
        if let (Value::Thunk(x), Value::Thunk(y)) = (a, b)
            && x.ptr_eq(y)
        {
            return Ok(true);
        }
        let a = self.force(a)?;
        let b = self.force(b)?;
        Ok(match (&a, &b) {
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                as_f64(&a) == as_f64(&b)
            }
            (Value::Null, Value::Null) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::String(x), Value::String(y)) => x.text == y.text,
            (Value::Path(x), Value::Path(y)) => x == y,
            (Value::List(x), Value::List(y)) => {
                if x.len() != y.len() {
                    return Ok(false);
                }
                for (p, q) in x.iter().zip(y.iter()) {
                    if !self.eq_values(p, q, span)? {
                        return Ok(false);
                    }
                }
                true
            }
            (Value::Attrs(x), Value::Attrs(y)) => {
                if Rc::ptr_eq(x, y) {
                    return Ok(true);
                }
                let is_drv = |m: &mut Machine, s: &Attrs| -> EvalResult<bool> {
                    match s.get(Symbol::intern("type")) {
                        Some(t) => Ok(
                            matches!(m.force(t)?, Value::String(ref t) if t.text == "derivation"),
                        ),
                        None => Ok(false),
                    }
                };
                if is_drv(self, x)? && is_drv(self, y)? {
                    let out = Symbol::intern("outPath");
                    if let (Some(p), Some(q)) = (x.get(out), y.get(out)) {
                        let (p, q) = (p.clone(), q.clone());
                        return self.eq_values(&p, &q, span);
                    }
                }
                if x.len() != y.len() {
                    return Ok(false);
                }
                for ((k1, v1), (k2, v2)) in x.iter().zip(y.iter()) {
                    if k1 != k2 || !self.eq_values(v1, v2, span)? {
                        return Ok(false);
                    }
                }
                true
            }
            _ => false,
        })
    }

    /// Nix's `<` (`builtins.lessThan`): numbers, strings, paths, lists.
    pub fn less_than(&mut self, a: &Value, b: &Value, span: Span) -> EvalResult<bool> {
        if let (Value::Int(x), Value::Int(y)) = (a, b) {
            return Ok(x < y);
        }
        Ok(self.compare(a, b, span)? == Ordering::Less)
    }

    /// Total order used by `<` and `sort`-like builtins.
    pub fn compare(&mut self, a: &Value, b: &Value, span: Span) -> EvalResult<Ordering> {
        stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, || {
            self.compare_inner(a, b, span)
        })
    }

    fn compare_inner(&mut self, a: &Value, b: &Value, span: Span) -> EvalResult<Ordering> {
        let a = self.force(a)?;
        let b = self.force(b)?;
        Ok(match (&a, &b) {
            (Value::Int(x), Value::Int(y)) => x.cmp(y),
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => as_f64(&a)
                .partial_cmp(&as_f64(&b))
                .unwrap_or(Ordering::Equal),
            (Value::String(x), Value::String(y)) => x.text.cmp(&y.text),
            (Value::Path(x), Value::Path(y)) => x.cmp(y),
            (Value::List(x), Value::List(y)) => {
                for (p, q) in x.iter().zip(y.iter()) {
                    if !self.eq_values(p, q, span)? {
                        return self.compare(p, q, span);
                    }
                }
                x.len().cmp(&y.len())
            }
            _ => {
                return Err(EvalError::other(
                    format!("cannot compare {} with {}", a.show_type(), b.show_type()),
                    span,
                ));
            }
        })
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::format_float;

    #[test]
    fn floats_print_like_printf_g() {
        let cases = [
            (1.0, "1"),
            (0.1, "0.1"),
            (1.23456789, "1.23457"),
            (123456789.0, "1.23457e+08"),
            (1.0e-5, "1e-05"),
            (0.0001, "0.0001"),
            (100000.0, "100000"),
            (1000000.0, "1e+06"),
            (1.5e300, "1.5e+300"),
            (-2.5, "-2.5"),
            (999999.5, "1e+06"),
        ];
        for (f, want) in cases {
            assert_eq!(format_float(f), want, "{f}");
        }
    }
}
