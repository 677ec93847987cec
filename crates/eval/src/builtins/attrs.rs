//! Attribute set builtins.

use std::rc::Rc;

use super::{Builtin, b, g};
use crate::error::{EvalError, EvalResult};
use crate::eval::{Machine, missing_attr};
use crate::ir::Param;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, Entry, PosId, Thunk, Value};

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
    // Entries stay in symbol order; the definition sites carry over.
    let out = set.retain_names(|k| !remove.contains(&k));
    Ok(Value::Attrs(Rc::new(out)))
}

fn intersect_attrs(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let x = m.force_attrs(&a[0], s)?;
    let y = m.force_attrs(&a[1], s)?;
    let out = y.retain_names(|k| x.get(k).is_some());
    Ok(Value::Attrs(Rc::new(out)))
}

fn map_attrs(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let set = m.force_attrs(&a[1], s)?;
    let f = a[0].clone();
    let known = m.evaluated(&f);
    let entries = set
        .iter()
        .map(|(k, v)| {
            let name = Value::string(k.as_str());
            let value = known
                .as_ref()
                .and_then(|g| m.eager_apply2(g, &name, v))
                .unwrap_or_else(|| Value::Thunk(Thunk::apply2(f.clone(), name, v.clone(), s)));
            (k, value)
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
                // Each attribute is placed where its formal is written.
                let positions = &c.def.formal_pos;
                let mut entries: Vec<Entry> = formals
                    .iter()
                    .map(|(name, default)| Entry {
                        name: *name,
                        pos: positions
                            .binary_search_by_key(name, |p| p.0)
                            .map_or(PosId::NONE, |i| positions[i].1),
                        value: Value::Bool(default.is_some()),
                    })
                    .collect();
                entries.sort_by_key(|e| e.name);
                Ok(Value::Attrs(Rc::new(Attrs::from_sorted_entries(entries))))
            }
        },
        Value::PrimOp(_) | Value::PrimOpApp(_) => Ok(attrs_value(Vec::new())),
        other => Err(EvalError::type_error("a function", other.show_type(), s)),
    }
}

fn list_to_attrs(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let l = m.force_list(&a[0], s)?;
    let (n_sym, v_sym) = (Symbol::intern("name"), Symbol::intern("value"));
    let mut entries: Vec<Entry> = Vec::new();
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
        entries.push(Entry {
            name: n,
            // Like Nix, where the item's `value` is.
            pos: item.pos_id(v_sym),
            value: v,
        });
    }
    // The first of equal names is kept (`seen`), so the names are unique.
    entries.sort_by_key(|e| e.name);
    Ok(Value::Attrs(Rc::new(Attrs::from_sorted_entries(entries))))
}

fn zip_attrs_with(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let l = m.force_list(&a[1], s)?;
    let mut groups: rustc_hash::FxHashMap<Symbol, Vec<Value>> = Default::default();
    for x in l.iter() {
        for (k, v) in m.force_attrs(x, s)?.iter() {
            groups.entry(k).or_default().push(v.clone());
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
