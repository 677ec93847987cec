//! The builtins, one module per family, registered into a table.
//!
//! Each builtin is a [`Builtin`]: a name, an arity and a plain function that
//! receives its arguments unforced. [`install`] builds the `builtins` set and
//! the global scope from [`all`]; embedders can add their own entries to the
//! table before installing (see `docs/design.md`).

mod arith;
mod attrs;
mod context;
mod control;
mod derivation;
mod env;
mod extra;
mod fetch;
mod fetch_git;
#[cfg(feature = "network")]
mod fetch_http;
mod hash;
mod hashes;
mod json;
mod lists;
mod regex;
mod store_paths;
mod strings;
mod toml;
mod types;
mod versions;
mod xml;

use std::rc::Rc;

use crate::eval::Machine;
use crate::symbol::Symbol;
use crate::value::{Attrs, PrimOp, PrimOpFn, Thunk, ThunkState, Value};

/// What `builtins.nixVersion` reports: the Nix release whose language and
/// builtins cairn implements (nixpkgs refuses anything older than 2.18).
pub const NIX_VERSION: &str = "2.18.0";

/// A builtin function's registration.
#[derive(Clone, Copy)]
pub struct Builtin {
    /// Name inside `builtins`.
    pub name: &'static str,
    /// Number of arguments.
    pub arity: usize,
    /// Implementation.
    pub func: PrimOpFn,
    /// Also bound in the global scope (like `map`, `toString`, `throw`).
    pub global: bool,
}

/// Shorthand for table entries.
pub(crate) const fn b(name: &'static str, arity: usize, func: PrimOpFn) -> Builtin {
    Builtin {
        name,
        arity,
        func,
        global: false,
    }
}

/// Shorthand for table entries that are also globals.
pub(crate) const fn g(name: &'static str, arity: usize, func: PrimOpFn) -> Builtin {
    Builtin {
        name,
        arity,
        func,
        global: true,
    }
}

/// Every builtin function this crate implements.
pub fn all() -> Vec<Builtin> {
    let mut v = Vec::new();
    v.extend_from_slice(arith::BUILTINS);
    v.extend_from_slice(attrs::BUILTINS);
    v.extend_from_slice(context::BUILTINS);
    v.extend_from_slice(control::BUILTINS);
    v.extend_from_slice(derivation::BUILTINS);
    v.extend_from_slice(env::BUILTINS);
    v.extend_from_slice(extra::BUILTINS);
    v.extend_from_slice(fetch::BUILTINS);
    v.extend_from_slice(hash::BUILTINS);
    v.extend_from_slice(hashes::BUILTINS);
    v.extend_from_slice(json::BUILTINS);
    v.extend_from_slice(lists::BUILTINS);
    v.extend_from_slice(regex::BUILTINS);
    v.extend_from_slice(store_paths::BUILTINS);
    v.extend_from_slice(strings::BUILTINS);
    v.extend_from_slice(toml::BUILTINS);
    v.extend_from_slice(types::BUILTINS);
    v.extend_from_slice(versions::BUILTINS);
    v.extend_from_slice(xml::BUILTINS);
    v
}

/// Installs `builtins`, the constants and the global names into `m`.
pub fn install(m: &mut Machine) {
    install_table(m, &all());
}

/// Installs a custom table of builtins (replacing the global scope).
pub fn install_table(m: &mut Machine, table: &[Builtin]) {
    let mut entries: Vec<(Symbol, Value)> = Vec::new();
    let mut globals: Vec<(Symbol, Value)> = vec![
        (Symbol::intern("true"), Value::Bool(true)),
        (Symbol::intern("false"), Value::Bool(false)),
        (Symbol::intern("null"), Value::Null),
    ];
    for bi in table {
        let v = Value::PrimOp(Rc::new(PrimOp {
            name: bi.name,
            arity: bi.arity,
            func: bi.func,
        }));
        entries.push((Symbol::intern(bi.name), v.clone()));
        if bi.global {
            globals.push((Symbol::intern(bi.name), v));
        }
    }
    entries.push((Symbol::intern("true"), Value::Bool(true)));
    entries.push((Symbol::intern("false"), Value::Bool(false)));
    entries.push((Symbol::intern("null"), Value::Null));
    entries.push((Symbol::intern("nixVersion"), Value::string(NIX_VERSION)));
    entries.push((Symbol::intern("langVersion"), Value::Int(6)));
    entries.push((
        Symbol::intern("storeDir"),
        Value::string(m.store_dir().as_str()),
    ));
    if !m.opts.pure {
        entries.push((
            Symbol::intern("currentSystem"),
            Value::string(env::current_system()),
        ));
    }
    entries.extend(extra::constants(m));
    // `derivation` is Nix code around `derivationStrict`, evaluated on first use.
    let derivation = Value::Thunk(Thunk::native(Rc::new(|m: &mut Machine| {
        m.eval_source(
            "<nix/derivation.nix>".into(),
            derivation::DERIVATION_NIX.into(),
            std::path::Path::new("/"),
        )
    })));
    entries.push((Symbol::intern("derivation"), derivation.clone()));
    globals.push((Symbol::intern("derivation"), derivation));
    // `builtins.builtins` is the set itself: tie the knot through a thunk.
    let knot = Thunk(Rc::new(std::cell::RefCell::new(ThunkState::Blackhole)));
    entries.push((Symbol::intern("builtins"), Value::Thunk(knot.clone())));
    let set = Value::Attrs(Rc::new(Attrs::from_unsorted(entries)));
    *knot.0.borrow_mut() = ThunkState::Done(set.clone());
    globals.push((Symbol::intern("builtins"), set));

    m.globals.clear();
    let mut slots = Vec::new();
    for (sym, v) in globals {
        m.globals.insert(sym, slots.len() as u32);
        slots.push(v);
    }
    m.base_env = crate::value::Env::new(slots, None);
}
