//! Attribute set builtins.

use std::rc::Rc;

use super::{Builtin, b, g};
use crate::error::{EvalError, EvalResult};
use crate::eval::{Machine, missing_attr};
use crate::ir::Param;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{AttrPos, Attrs, Thunk, Value};

pub(super) const BUILTINS: &[Builtin] = &[
    b("attrNames", 1, attr_names),
    b("attrValues", 1, attr_values),
    b("hasAttr", 2, |m, a, s| {
        let n = name(m, &a[0], s)?;
        Ok(Value::Bool(m.force_attrs(&a[1], s)?.get(n).is_some()))
    }),
    b("getAttr", 2, |m, a, s| {
        let n = name(m, &a[0], s)?;
        let set = m.force_attrs(&a[1], s)?;
        match set.get(n) {
            Some(v) => m.force(v),
            None => Err(missing_attr(n, &set, s)),
        }
    }),
    g("removeAttrs", 2, remove_attrs),
    b("intersectAttrs", 2, intersect_attrs),
    b("mapAttrs", 2, map_attrs),
    b("catAttrs", 2, cat_attrs),
    b("functionArgs", 1, function_args),
    b("listToAttrs", 1, list_to_attrs),
    b("zipAttrsWith", 2, zip_attrs_with),
];

fn name(m: &mut Machine, v: &Value, s: Span) -> EvalResult<Symbol> {
    Ok(Symbol::intern(&m.force_string(v, s)?.text))
}

fn attrs_value(entries: Vec<(Symbol, Value)>) -> Value {
    Value::Attrs(Rc::new(Attrs::from_unsorted(entries)))
}

fn attr_names(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let set = m.force_attrs(&a[0], s)?;
    Ok(Value::list(
        set.sorted_by_name()
            .into_iter()
            .map(|(k, _)| Value::string(k.as_str()))
            .collect::<Vec<_>>(),
    ))
}

fn attr_values(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let set = m.force_attrs(&a[0], s)?;
    Ok(Value::list(
        set.sorted_by_name()
            .into_iter()
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>(),
    ))
}

fn remove_attrs(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let set = m.force_attrs(&a[0], s)?;
    let names = m.force_list(&a[1], s)?;
    let mut remove = Vec::new();
    for n in names.iter() {
        remove.push(name(m, n, s)?);
    }
    let kept = set
        .iter()
        .filter(|(k, _)| !remove.contains(k))
        .cloned()
        .collect();
    // Entries stay in symbol order; the definition sites carry over.
    let out = Attrs::from_sorted(kept).with_positions(set.positions().clone());
    Ok(Value::Attrs(Rc::new(out)))
}

fn intersect_attrs(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let x = m.force_attrs(&a[0], s)?;
    let y = m.force_attrs(&a[1], s)?;
    let kept = y
        .iter()
        .filter(|(k, _)| x.get(*k).is_some())
        .cloned()
        .collect();
    let out = Attrs::from_sorted(kept).with_positions(y.positions().clone());
    Ok(Value::Attrs(Rc::new(out)))
}

fn map_attrs(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let set = m.force_attrs(&a[1], s)?;
    let f = a[0].clone();
    let entries = set
        .iter()
        .map(|(k, v)| {
            let g = Value::Thunk(Thunk::apply(f.clone(), Value::string(k.as_str()), s));
            (*k, Value::Thunk(Thunk::apply(g, v.clone(), s)))
        })
        .collect();
    Ok(Value::Attrs(Rc::new(Attrs::from_sorted(entries))))
}

fn cat_attrs(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let n = name(m, &a[0], s)?;
    let l = m.force_list(&a[1], s)?;
    let mut out = Vec::new();
    for x in l.iter() {
        if let Some(v) = m.force_attrs(x, s)?.get(n) {
            out.push(v.clone());
        }
    }
    Ok(Value::list(out))
}

fn function_args(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    match m.force(&a[0])? {
        Value::Lambda(c) => match &c.def.param {
            Param::Ident => Ok(attrs_value(Vec::new())),
            Param::Formals { formals, .. } => {
                let args = formals
                    .iter()
                    .map(|(k, d)| (*k, Value::Bool(d.is_some())))
                    .collect();
                let pos = AttrPos::One(c.def.formal_pos.clone());
                Ok(Value::Attrs(Rc::new(
                    Attrs::from_unsorted(args).with_positions(pos),
                )))
            }
        },
        Value::PrimOp(_) | Value::PrimOpApp(_) => Ok(attrs_value(Vec::new())),
        other => Err(EvalError::type_error("a function", other.show_type(), s)),
    }
}

fn list_to_attrs(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let l = m.force_list(&a[0], s)?;
    let (n_sym, v_sym) = (Symbol::intern("name"), Symbol::intern("value"));
    let mut entries: Vec<(Symbol, Value)> = Vec::new();
    // Like Nix, each attribute is placed where its item's `value` is.
    let mut positions: Vec<(Symbol, Span)> = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    for x in l.iter() {
        let item = m.force_attrs(x, s)?;
        let nv = item
            .get(n_sym)
            .cloned()
            .ok_or_else(|| missing_attr(n_sym, &item, s))?;
        let n = name(m, &nv, s)?;
        if !seen.insert(n) {
            continue;
        }
        let v = item
            .get(v_sym)
            .cloned()
            .ok_or_else(|| missing_attr(v_sym, &item, s))?;
        if let Some(at) = item.position(v_sym) {
            positions.push((n, at));
        }
        entries.push((n, v));
    }
    positions.sort_by_key(|e| e.0);
    let set = Attrs::from_unsorted(entries);
    Ok(Value::Attrs(Rc::new(if positions.is_empty() {
        set
    } else {
        set.with_positions(AttrPos::One(positions.into()))
    })))
}

fn zip_attrs_with(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let l = m.force_list(&a[1], s)?;
    let mut groups: rustc_hash::FxHashMap<Symbol, Vec<Value>> = Default::default();
    for x in l.iter() {
        for (k, v) in m.force_attrs(x, s)?.iter() {
            groups.entry(*k).or_default().push(v.clone());
        }
    }
    let f = a[0].clone();
    let entries = groups
        .into_iter()
        .map(|(k, vs)| {
            let g = Value::Thunk(Thunk::apply(f.clone(), Value::string(k.as_str()), s));
            (k, Value::Thunk(Thunk::apply(g, Value::list(vs), s)))
        })
        .collect();
    Ok(attrs_value(entries))
}
