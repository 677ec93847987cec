//! List builtins.

use std::rc::Rc;

use super::{Builtin, b, g};
use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, Callee, Thunk, Value};

pub(super) const BUILTINS: &[Builtin] = &[
    b("length", 1, |m, a, s| {
        Ok(Value::Int(m.force_list(&a[0], s)?.len() as i64))
    }),
    b("head", 1, |m, a, s| elem_at(m, &a[0], 0, s)),
    b("tail", 1, tail),
    b("elemAt", 2, |m, a, s| {
        let i = m.force_int(&a[1], s)?;
        elem_at(m, &a[0], i, s)
    }),
    g("map", 2, map),
    b("filter", 2, filter),
    b("foldl'", 3, foldl),
    b("genList", 2, gen_list),
    b("elem", 2, elem),
    b("concatLists", 1, concat_lists),
    b("concatMap", 2, concat_map),
    b("all", 2, |m, a, s| any_all(m, a, s, false)),
    b("any", 2, |m, a, s| any_all(m, a, s, true)),
    b("sort", 2, sort),
    b("partition", 2, partition),
    b("groupBy", 2, group_by),
    b("genericClosure", 1, generic_closure),
];

fn elem_at(m: &mut Machine, list: &Value, i: i64, s: Span) -> EvalResult<Value> {
    let l = m.force_list(list, s)?;
    if i < 0 || i as usize >= l.len() {
        return Err(EvalError::other(
            format!("list index {i} is out of bounds"),
            s,
        ));
    }
    m.force(&l[i as usize])
}

fn tail(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let l = m.force_list(&a[0], s)?;
    if l.is_empty() {
        return Err(EvalError::other("'tail' called on an empty list", s));
    }
    Ok(Value::list(l[1..].to_vec()))
}

fn map(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let l = m.force_list(&a[1], s)?;
    let f = &a[0];
    // The function is not forced (as in Nix); if it already is, cheap
    // applications may be computed now (`EvalOptions::compute_cheap_eagerly`).
    let known = m.evaluated(f);
    let callee = Rc::new(Callee {
        f: f.clone(),
        span: s,
    });
    Ok(Value::list(
        l.iter()
            .map(|x| {
                known
                    .as_ref()
                    .and_then(|g| m.eager_apply(g, x))
                    .unwrap_or_else(|| Value::Thunk(Thunk::apply_shared(&callee, x.clone())))
            })
            .collect::<Vec<_>>(),
    ))
}

fn call_bool(m: &mut Machine, f: &Value, x: &Value, s: Span) -> EvalResult<bool> {
    let r = m.apply(f.clone(), x.clone(), s)?;
    m.force_bool(&r, s)
}

fn filter(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let l = m.force_list(&a[1], s)?;
    let f = m.force_function(&a[0], s)?;
    let mut out = Vec::new();
    for x in l.iter() {
        if call_bool(m, &f, x, s)? {
            out.push(x.clone());
        }
    }
    if out.len() == l.len() {
        return Ok(Value::List(l));
    }
    Ok(Value::list(out))
}

fn foldl(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let f = m.force_function(&a[0], s)?;
    let l = m.force_list(&a[2], s)?;
    let mut acc = m.force(&a[1])?;
    for x in l.iter() {
        acc = m.call2(&f, acc, x.clone(), s)?;
    }
    Ok(acc)
}

fn gen_list(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let n = m.force_int(&a[1], s)?;
    if n < 0 {
        return Err(EvalError::other(
            format!("cannot create list of size {n}"),
            s,
        ));
    }
    let f = m.force_function(&a[0], s)?;
    m.charge(n as u64)?;
    let callee = Rc::new(Callee { f, span: s });
    Ok(Value::list(
        (0..n)
            .map(|i| {
                m.eager_apply(&callee.f, &Value::Int(i))
                    .unwrap_or_else(|| Value::Thunk(Thunk::apply_shared(&callee, Value::Int(i))))
            })
            .collect::<Vec<_>>(),
    ))
}

fn elem(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let l = m.force_list(&a[1], s)?;
    for x in l.iter() {
        if m.eq_values(&a[0], x, s)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn concat_lists(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let l = m.force_list(&a[0], s)?;
    let mut out = Vec::new();
    for x in l.iter() {
        out.extend(m.force_list(x, s)?.iter().cloned());
    }
    Ok(Value::list(out))
}

fn concat_map(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let f = m.force_function(&a[0], s)?;
    let l = m.force_list(&a[1], s)?;
    let mut out = Vec::new();
    for x in l.iter() {
        let r = m.apply(f.clone(), x.clone(), s)?;
        out.extend(m.force_list(&r, s)?.iter().cloned());
    }
    Ok(Value::list(out))
}

fn any_all(m: &mut Machine, a: &[Value], s: Span, any: bool) -> EvalResult<Value> {
    let f = m.force_function(&a[0], s)?;
    let l = m.force_list(&a[1], s)?;
    for x in l.iter() {
        if call_bool(m, &f, x, s)? == any {
            return Ok(Value::Bool(any));
        }
    }
    Ok(Value::Bool(!any))
}

/// Stable merge sort with a fallible "less than" comparator.
fn sort(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let f = m.force_function(&a[0], s)?;
    let l = m.force_list(&a[1], s)?;
    // Nix forces every element before sorting; the comparator then gets
    // the values themselves, not the thunks that held them.
    let mut v: Vec<Value> = Vec::with_capacity(l.len());
    for x in l.iter() {
        v.push(m.force(x)?);
    }
    let less = |m: &mut Machine, x: &Value, y: &Value| -> EvalResult<bool> {
        let r = m.call2(&f, x.clone(), y.clone(), s)?;
        m.force_bool(&r, s)
    };
    // Merge passes move indices, not values: no reference-count traffic.
    let n = v.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut buf: Vec<usize> = Vec::with_capacity(n);
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            buf.clear();
            while i < mid && j < end {
                // Take from the right only if it is strictly less: stability.
                if less(m, &v[order[j]], &v[order[i]])? {
                    buf.push(order[j]);
                    j += 1;
                } else {
                    buf.push(order[i]);
                    i += 1;
                }
            }
            buf.extend_from_slice(&order[i..mid]);
            buf.extend_from_slice(&order[j..end]);
            order[start..end].copy_from_slice(&buf);
            start = end;
        }
        width *= 2;
    }
    Ok(Value::list(
        order.into_iter().map(|i| v[i].clone()).collect(),
    ))
}

fn partition(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let f = m.force_function(&a[0], s)?;
    let l = m.force_list(&a[1], s)?;
    let (mut right, mut wrong) = (Vec::new(), Vec::new());
    for x in l.iter() {
        if call_bool(m, &f, x, s)? {
            right.push(x.clone());
        } else {
            wrong.push(x.clone());
        }
    }
    Ok(Value::Attrs(Rc::new(Attrs::from_unsorted(vec![
        (Symbol::intern("right"), Value::list(right)),
        (Symbol::intern("wrong"), Value::list(wrong)),
    ]))))
}

fn group_by(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let f = m.force_function(&a[0], s)?;
    let l = m.force_list(&a[1], s)?;
    let mut groups: Vec<(Symbol, Vec<Value>)> = Vec::new();
    let mut index = rustc_hash::FxHashMap::default();
    for x in l.iter() {
        let k = m.apply(f.clone(), x.clone(), s)?;
        let k = Symbol::intern(&m.force_string(&k, s)?.text);
        let i = *index.entry(k).or_insert_with(|| {
            groups.push((k, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(x.clone());
    }
    Ok(Value::Attrs(Rc::new(Attrs::from_unsorted(
        groups
            .into_iter()
            .map(|(k, v)| (k, Value::list(v)))
            .collect(),
    ))))
}

fn generic_closure(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let args = m.force_attrs(&a[0], s)?;
    let get = |name: &str| {
        args.get(Symbol::intern(name))
            .cloned()
            .ok_or_else(|| EvalError::other(format!("attribute '{name}' missing"), s))
    };
    let start = get("startSet")?;
    let op = get("operator")?;
    let mut work: Vec<Value> = m.force_list(&start, s)?.iter().rev().cloned().collect();
    let mut keys = KeySet::default();
    let mut out = Vec::new();
    let key_sym = Symbol::intern("key");
    // Work list in order (Nix uses a deque from the front).
    let mut queue: std::collections::VecDeque<Value> = work.drain(..).rev().collect();
    while let Some(e) = queue.pop_front() {
        let attrs = m.force_attrs(&e, s)?;
        let key = attrs
            .get(key_sym)
            .cloned()
            .ok_or_else(|| EvalError::other("attribute 'key' required", s))?;
        let key = m.force(&key)?;
        if !keys.insert(m, key, s)? {
            continue;
        }
        out.push(e.clone());
        let next = m.apply(op.clone(), e, s)?;
        queue.extend(m.force_list(&next, s)?.iter().cloned());
    }
    Ok(Value::list(out))
}

/// The keys `genericClosure` has seen. Nix keeps them in a `std::set`
/// ordered by value comparison; when every key is an integer, or every key
/// a string, a hash set gives the same answers in constant time. Other keys
/// (floats, lists, or a mix, which may need an error from comparing) use a
/// sorted vector and real comparisons.
#[derive(Default)]
struct KeySet {
    ints: rustc_hash::FxHashSet<i64>,
    strings: rustc_hash::FxHashSet<String>,
    /// Every key in insertion order while a hash set is in use.
    seen: Vec<Value>,
    /// Set once keys stop being all integers or all strings: sorted.
    sorted: Option<Vec<Value>>,
}

impl KeySet {
    /// Adds `key`; false when an equal key was already there.
    fn insert(&mut self, m: &mut Machine, key: Value, s: Span) -> EvalResult<bool> {
        if self.sorted.is_none() {
            let fast = match (&key, self.seen.first()) {
                (Value::Int(i), None | Some(Value::Int(_))) => Some(self.ints.insert(*i)),
                (Value::String(t), None | Some(Value::String(_))) => {
                    Some(self.strings.insert(t.text.clone()))
                }
                _ => None,
            };
            if let Some(new) = fast {
                if new {
                    self.seen.push(key);
                }
                return Ok(new);
            }
            let mut all = std::mem::take(&mut self.seen);
            self.ints.clear();
            self.strings.clear();
            // All of one kind, so sorting them cannot fail.
            let mut err = None;
            all.sort_by(|a, b| {
                m.compare(a, b, s).unwrap_or_else(|e| {
                    err = Some(e);
                    std::cmp::Ordering::Equal
                })
            });
            if let Some(e) = err {
                return Err(e);
            }
            self.sorted = Some(all);
        }
        let keys = self.sorted.get_or_insert_with(Vec::new);
        let (mut lo, mut hi) = (0, keys.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match m.compare(&keys[mid], &key, s)? {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(false),
            }
        }
        keys.insert(lo, key);
        Ok(true)
    }
}
