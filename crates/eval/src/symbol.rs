//! Interned attribute and variable names.
//!
//! The interner is a per-thread, append-only table: a [`Symbol`] is a `u32`
//! that can be compared, hashed and copied for free, and resolved back to its
//! text anywhere with [`Symbol::as_str`]. Interned names are never freed; the
//! number of distinct names in a program is small (see `docs/design.md`).

use std::cell::RefCell;

use rustc_hash::FxHashMap;

/// An interned name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Symbol(u32);

struct Interner {
    map: FxHashMap<&'static str, Symbol>,
    names: Vec<&'static str>,
}

thread_local! {
    // Const-initialised: every access skips the lazy-initialisation check.
    static INTERNER: RefCell<Interner> = const {
        RefCell::new(Interner {
            map: FxHashMap::with_hasher(std::hash::BuildHasherDefault::new()),
            names: Vec::new(),
        })
    };
}

impl Symbol {
    /// Interns `name` and returns its symbol.
    pub fn intern(name: &str) -> Symbol {
        INTERNER.with(|i| {
            let mut i = i.borrow_mut();
            if let Some(&s) = i.map.get(name) {
                return s;
            }
            let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
            let sym = Symbol(i.names.len() as u32);
            i.names.push(leaked);
            i.map.insert(leaked, sym);
            sym
        })
    }

    /// The text of this symbol.
    pub fn as_str(self) -> &'static str {
        INTERNER.with(|i| i.borrow().names[self.0 as usize])
    }
}

impl std::fmt::Display for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
