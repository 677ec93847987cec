//! Runtime values: the lazily evaluated data of a Nix program.
//!
//! Values are cheap to clone (at most one reference-count bump). A
//! [`Value::Thunk`] is a shared, updatable cell: forcing it once replaces its
//! state with the result for every holder (see `docs/design.md`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::error::EvalError;
use crate::eval::Machine;
use crate::ir::{Expr, LambdaDef};
use crate::span::Span;
use crate::symbol::Symbol;

pub use crate::context::{Context, ContextElem};

/// A Nix string: text plus its (usually absent) store-path context.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NixString {
    /// The characters.
    pub text: String,
    /// Store paths this string refers to; `None` for most strings.
    pub context: Option<Rc<Context>>,
}

impl NixString {
    /// A string without context.
    pub fn plain(text: impl Into<String>) -> Self {
        NixString {
            text: text.into(),
            context: None,
        }
    }

    /// A string whose context is `context` (none when it is empty).
    pub fn with_context(text: impl Into<String>, context: Context) -> Self {
        NixString {
            text: text.into(),
            context: (!context.is_empty()).then(|| Rc::new(context)),
        }
    }

    /// Whether the string refers to any store object.
    pub fn has_context(&self) -> bool {
        self.context.as_ref().is_some_and(|c| !c.is_empty())
    }

    /// The context's elements (none for most strings).
    pub fn context_elems(&self) -> impl Iterator<Item = &ContextElem> {
        self.context.iter().flat_map(|c| c.iter())
    }

    /// Merges `other`'s context into this string's context.
    pub fn add_context(&mut self, other: &Option<Rc<Context>>) {
        if let Some(o) = other {
            match &mut self.context {
                None => self.context = Some(o.clone()),
                Some(c) => Rc::make_mut(c).extend(o.iter().cloned()),
            }
        }
    }
}

/// A Nix value, possibly not yet evaluated.
#[derive(Clone, Debug)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A 64-bit signed integer.
    Int(i64),
    /// A double.
    Float(f64),
    /// A string with context.
    String(Rc<NixString>),
    /// An absolute, canonical path.
    Path(Rc<String>),
    /// An attribute set.
    Attrs(Rc<Attrs>),
    /// A list.
    List(Rc<List>),
    /// A user function with its captured environment.
    Lambda(Rc<Closure>),
    /// A builtin function.
    PrimOp(Rc<PrimOp>),
    /// A builtin function applied to fewer arguments than it takes.
    PrimOpApp(Rc<PrimOpApp>),
    /// A suspended computation.
    Thunk(Thunk),
}

impl Value {
    /// A context-free string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(Rc::new(NixString::plain(s)))
    }

    /// A list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(List(items)))
    }

    /// The name `builtins.typeOf` gives this value's type (`"thunk"` for a thunk).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Path(_) => "path",
            Value::Attrs(_) => "set",
            Value::List(_) => "list",
            Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_) => "lambda",
            Value::Thunk(_) => "thunk",
        }
    }

    /// The article-prefixed type name used in Nix error messages ("an integer").
    pub fn show_type(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a Boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::String(_) => "a string",
            Value::Path(_) => "a path",
            Value::Attrs(_) => "a set",
            Value::List(_) => "a list",
            Value::Lambda(_) => "a function",
            Value::PrimOp(_) => "a built-in function",
            Value::PrimOpApp(_) => "a partially applied built-in function",
            Value::Thunk(_) => "a thunk",
        }
    }

    /// If this is an evaluated thunk, its value; otherwise `self`.
    pub fn resolved(&self) -> Value {
        if let Value::Thunk(t) = self
            && let ThunkState::Done(v) = &*t.0.borrow()
        {
            return v.clone();
        }
        self.clone()
    }
}

/// The elements of a list. Dropped iteratively (see [`deferred_drop`]).
#[derive(Clone, Debug, Default)]
pub struct List(Vec<Value>);

impl std::ops::Deref for List {
    type Target = [Value];
    fn deref(&self) -> &[Value] {
        &self.0
    }
}

impl Drop for List {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            deferred_drop(Garbage::Values(std::mem::take(&mut self.0)));
        }
    }
}

impl Drop for Attrs {
    fn drop(&mut self) {
        if !self.entries.is_empty() {
            deferred_drop(Garbage::Entries(std::mem::take(&mut self.entries)));
        }
    }
}

/// Contents of a list or set whose last reference went away.
enum Garbage {
    // The payloads are only ever dropped.
    #[allow(dead_code)]
    Values(Vec<Value>),
    #[allow(dead_code)]
    Entries(Vec<Entry>),
    #[allow(dead_code)]
    Slots(Slots),
}

/// How deeply drops of nested lists, sets and frames may recurse before
/// the rest is queued; small enough for any stack the evaluator runs on.
const MAX_DROP_DEPTH: u32 = 64;

thread_local! {
    /// How many [`deferred_drop`] calls are on the stack.
    static DROP_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Garbage found too deep to drop right away.
    static GARBAGE: RefCell<Vec<Garbage>> = const { RefCell::new(Vec::new()) };
}

/// Drops nested lists and sets recursively up to [`MAX_DROP_DEPTH`] and
/// with a work list below that, so freeing a 200 000-deep structure cannot
/// overflow the stack while shallow garbage (the common case) is freed
/// without touching the queue.
fn deferred_drop(g: Garbage) {
    let Ok(depth) = DROP_DEPTH.try_with(Cell::get) else {
        // Thread teardown: nothing deep is freed this late.
        drop(g);
        return;
    };
    if depth >= MAX_DROP_DEPTH {
        // At thread teardown the queue is gone and the closure drops `g`.
        let _ = GARBAGE.try_with(|q| q.borrow_mut().push(g));
        return;
    }
    DROP_DEPTH.set(depth + 1);
    drop(g);
    if depth == 0 {
        // The outermost drop empties the queue; each item may recurse
        // (and queue more) afresh.
        while let Some(item) = GARBAGE.with(|q| q.borrow_mut().pop()) {
            drop(item);
        }
    }
    DROP_DEPTH.set(depth);
}

/// An attribute set: entries sorted by [`Symbol`] for binary-search lookup,
/// possibly over an older set they shadow.
///
/// `big // small` does not copy `big`: the result holds `small`'s entries
/// and shares `big` as its base (see [`Attrs::update`]). Lookups try each
/// layer, newest first; iteration merges the layers. The chain is at most
/// [`MAX_LAYERS`] deep: a longer one is flattened into one vector.
#[derive(Clone, Debug, Default)]
pub struct Attrs {
    /// This layer's attributes, sorted by symbol.
    entries: Vec<Entry>,
    /// Older attributes, shadowed by `entries`.
    base: Option<Rc<Attrs>>,
    /// Distinct names in the whole set.
    len: usize,
    /// How many bases are below this layer.
    depth: u8,
}

/// The deepest chain of shared bases a set may have.
const MAX_LAYERS: u8 = 6;

/// Smallest set that `//` shares as a base instead of copying.
const MIN_SHARED_BASE: usize = 64;

/// One attribute: its name, where it was defined, its value. 24 bytes:
/// the position is a 4-byte handle, so sets made by `//` carry their
/// attributes' positions without building any table.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The name.
    pub name: Symbol,
    /// Where it was defined (for `unsafeGetAttrPos`, `--xml`).
    pub pos: PosId,
    /// The value.
    pub value: Value,
}

/// Where an attribute was defined: a handle to a [`Span`] in a per-thread,
/// append-only table (spans are registered once per lowered definition
/// site, like interned names), or none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PosId(u32);

thread_local! {
    /// The spans behind [`PosId`]s; id `n` is entry `n - 1`.
    static POSITIONS: RefCell<Vec<Span>> = const { RefCell::new(Vec::new()) };
}

impl PosId {
    /// No known position (sets built by builtins).
    pub const NONE: PosId = PosId(0);

    /// Registers `span` and returns its handle.
    pub fn new(span: Span) -> PosId {
        POSITIONS.with(|t| {
            let mut t = t.borrow_mut();
            t.push(span);
            // Past 2^32 definition sites, positions are forgotten.
            u32::try_from(t.len()).map_or(PosId::NONE, PosId)
        })
    }

    /// The span this handle stands for.
    pub fn span(self) -> Option<Span> {
        let i = usize::try_from(self.0.checked_sub(1)?).ok()?;
        POSITIONS.with(|t| t.borrow().get(i).copied())
    }
}

impl Attrs {
    /// Builds a set from entries in any order; on duplicates the last wins.
    pub fn from_unsorted(mut entries: Vec<(Symbol, Value)>) -> Attrs {
        entries.reverse();
        entries.sort_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        Attrs::from_sorted(entries)
    }

    /// Builds a set from entries already sorted by symbol, without duplicates.
    pub fn from_sorted(entries: Vec<(Symbol, Value)>) -> Attrs {
        Attrs::from_sorted_entries(
            entries
                .into_iter()
                .map(|(name, value)| Entry {
                    name,
                    pos: PosId::NONE,
                    value,
                })
                .collect(),
        )
    }

    /// Builds a set from entries (with positions) already sorted by
    /// symbol, without duplicates.
    pub fn from_sorted_entries(entries: Vec<Entry>) -> Attrs {
        debug_assert!(entries.windows(2).all(|w| w[0].name < w[1].name));
        Attrs {
            len: entries.len(),
            entries,
            base: None,
            depth: 0,
        }
    }

    /// Where attribute `name` was defined, if known.
    pub fn position(&self, name: Symbol) -> Option<Span> {
        self.entry(name)?.pos.span()
    }

    /// The handle of where attribute `name` was defined ([`PosId::NONE`]
    /// when unknown or absent), to give another set's attribute the same.
    pub fn pos_id(&self, name: Symbol) -> PosId {
        self.entry(name).map_or(PosId::NONE, |e| e.pos)
    }

    fn entry(&self, name: Symbol) -> Option<&Entry> {
        let mut layer = self;
        loop {
            let es = &layer.entries[..];
            // Small sets (most of them) are scanned; large ones searched.
            let found = if es.len() <= 8 {
                es.iter().find(|e| e.name == name)
            } else {
                es.binary_search_by_key(&name, |e| e.name)
                    .ok()
                    .map(|i| &es[i])
            };
            if found.is_some() {
                return found;
            }
            layer = layer.base.as_deref()?;
        }
    }

    /// Looks an attribute up.
    pub fn get(&self, name: Symbol) -> Option<&Value> {
        self.entry(name).map(|e| &e.value)
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Names and values in symbol order (not name order).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Symbol, &Value)> {
        self.entries().map(|e| (e.name, &e.value))
    }

    /// The entries, with positions, in symbol order.
    pub fn entries(&self) -> Entries<'_> {
        let mut layers = Vec::new();
        if self.base.is_some() {
            let mut layer = Some(self);
            while let Some(l) = layer {
                layers.push(l.entries.iter().peekable());
                layer = l.base.as_deref();
            }
        }
        Entries {
            flat: self.entries.iter(),
            layers,
            left: self.len,
        }
    }

    /// Entries sorted by name, as Nix shows them.
    pub fn sorted_by_name(&self) -> Vec<(Symbol, &Value)> {
        let mut v: Vec<_> = self.iter().collect();
        v.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        v
    }

    /// The attributes whose name `keep` accepts, with their positions.
    pub fn retain_names(&self, mut keep: impl FnMut(Symbol) -> bool) -> Attrs {
        Attrs::from_sorted_entries(self.entries().filter(|e| keep(e.name)).cloned().collect())
    }

    /// `this // other`: attributes of `other` win. When `other` is small
    /// next to `this`, `this` is shared as the base of the result instead
    /// of copied (nixpkgs' overlays update a large set with a few
    /// attributes at a time).
    pub fn update(this: &Rc<Attrs>, other: &Attrs) -> Attrs {
        if this.len >= MIN_SHARED_BASE
            && other.len.saturating_mul(4) <= this.len
            && this.depth < MAX_LAYERS
        {
            let top: Vec<Entry> = other.entries().cloned().collect();
            let shadowed = top.iter().filter(|e| this.entry(e.name).is_some()).count();
            return Attrs {
                len: this.len + top.len() - shadowed,
                entries: top,
                base: Some(this.clone()),
                depth: this.depth + 1,
            };
        }
        let mut out = Vec::with_capacity(this.len + other.len);
        let mut a = this.entries().peekable();
        let mut b = other.entries().peekable();
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => match x.name.cmp(&y.name) {
                    std::cmp::Ordering::Less => a.next(),
                    std::cmp::Ordering::Greater => b.next(),
                    std::cmp::Ordering::Equal => {
                        a.next();
                        b.next()
                    }
                },
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            out.extend(next.cloned());
        }
        Attrs::from_sorted_entries(out)
    }
}

/// The entries of a set in symbol order, merged across its layers.
pub struct Entries<'a> {
    /// The entries of a set without layers.
    flat: std::slice::Iter<'a, Entry>,
    /// Each layer's entries, newest first (empty without layers).
    layers: Vec<std::iter::Peekable<std::slice::Iter<'a, Entry>>>,
    /// Entries not yet returned.
    left: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = &'a Entry;

    fn next(&mut self) -> Option<&'a Entry> {
        if self.layers.is_empty() {
            let e = self.flat.next()?;
            self.left -= 1;
            return Some(e);
        }
        // The smallest name at the head of any layer; the newest layer
        // holding it wins (strict comparison keeps the first found).
        let mut best: Option<&'a Entry> = None;
        for layer in &mut self.layers {
            if let Some(&e) = layer.peek()
                && best.is_none_or(|b| e.name < b.name)
            {
                best = Some(e);
            }
        }
        let best = best?;
        for layer in &mut self.layers {
            if layer.peek().is_some_and(|e| e.name == best.name) {
                layer.next();
            }
        }
        self.left -= 1;
        Some(best)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Entries<'_> {}

/// A lambda closed over its defining environment.
#[derive(Debug)]
pub struct Closure {
    /// The lambda's code.
    pub def: Rc<LambdaDef>,
    /// The environment it was created in.
    pub env: Rc<Env>,
}

/// The signature of a builtin's implementation: its (unforced) arguments.
pub type PrimOpFn = fn(&mut Machine, &[Value], Span) -> Result<Value, EvalError>;

/// A builtin function.
pub struct PrimOp {
    /// Name as shown to users (`map`, `foldl'`).
    pub name: &'static str,
    /// How many arguments it takes before running.
    pub arity: usize,
    /// The implementation.
    pub func: PrimOpFn,
}

impl std::fmt::Debug for PrimOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<primop {}>", self.name)
    }
}

/// A partially applied builtin.
#[derive(Debug)]
pub struct PrimOpApp {
    /// The builtin.
    pub op: Rc<PrimOp>,
    /// Arguments so far (fewer than `op.arity`).
    pub args: Vec<Value>,
}

/// A runtime scope: one frame of slots plus its parent.
#[derive(Debug)]
pub struct Env {
    /// The slots, indexed by the slot numbers the lowering assigned.
    pub slots: RefCell<Slots>,
    /// The enclosing scope.
    pub parent: Option<Rc<Env>>,
}

impl Env {
    /// A new frame.
    pub fn new(slots: Vec<Value>, parent: Option<Rc<Env>>) -> Rc<Env> {
        Rc::new(Env {
            slots: RefCell::new(Slots(SlotsRepr::Heap(slots))),
            parent,
        })
    }

    /// A frame of one slot (a lambda's argument, a `with` namespace).
    pub fn one(v: Value, parent: Option<Rc<Env>>) -> Rc<Env> {
        Rc::new(Env {
            slots: RefCell::new(Slots(SlotsRepr::Inline(1, [v, Value::Null]))),
            parent,
        })
    }

    /// An empty frame that will receive `n` slots with [`Slots::push`].
    pub fn with_capacity(n: usize, parent: Option<Rc<Env>>) -> Rc<Env> {
        Rc::new(Env {
            slots: RefCell::new(Slots::with_capacity(n)),
            parent,
        })
    }
}

/// How many slots a frame keeps inside itself before spilling to the heap.
const INLINE_SLOTS: usize = 2;

/// The values of one frame. Most frames (a lambda's argument, a `with`,
/// a short `let`) hold one or two values; they are stored inline so that a
/// call allocates one block, not two.
#[derive(Debug)]
pub struct Slots(SlotsRepr);

#[derive(Debug)]
enum SlotsRepr {
    /// The first `.0` values are in use; the rest are `Null` filler.
    Inline(u8, [Value; INLINE_SLOTS]),
    Heap(Vec<Value>),
}

impl Default for Slots {
    fn default() -> Self {
        Slots(SlotsRepr::Inline(0, [Value::Null, Value::Null]))
    }
}

impl Slots {
    /// Empty slots with room for `n` values.
    pub fn with_capacity(n: usize) -> Slots {
        if n <= INLINE_SLOTS {
            Slots::default()
        } else {
            Slots(SlotsRepr::Heap(Vec::with_capacity(n)))
        }
    }

    /// Appends a value (the next slot number).
    pub fn push(&mut self, v: Value) {
        match &mut self.0 {
            SlotsRepr::Inline(len, vals) => {
                let n = usize::from(*len);
                if n < INLINE_SLOTS {
                    vals[n] = v;
                    *len += 1;
                } else {
                    let mut spilled = Vec::with_capacity(2 * INLINE_SLOTS);
                    spilled.extend(vals.iter_mut().map(|x| std::mem::replace(x, Value::Null)));
                    spilled.push(v);
                    self.0 = SlotsRepr::Heap(spilled);
                }
            }
            SlotsRepr::Heap(vals) => vals.push(v),
        }
    }
}

impl std::ops::Deref for Slots {
    type Target = [Value];
    fn deref(&self) -> &[Value] {
        match &self.0 {
            SlotsRepr::Inline(len, vals) => &vals[..usize::from(*len)],
            SlotsRepr::Heap(vals) => vals,
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // A chain of thunks, each holding the frame of the previous one
        // (`f (n + 1)` looping), would otherwise be freed recursively.
        // Only a thunk or closure freed together with this frame can start
        // such a chain; shared ones just lose a reference.
        let slots = self.slots.get_mut();
        let chains = slots.iter().any(|v| match v {
            // A thunk evaluated to a scalar holds nothing that could chain.
            Value::Thunk(t) => Rc::strong_count(&t.0) == 1 && !t.holds_scalar(),
            Value::Lambda(c) => Rc::strong_count(c) == 1,
            _ => false,
        });
        if chains {
            deferred_drop(Garbage::Slots(std::mem::take(slots)));
        }
    }
}

/// A shared, updatable suspended computation.
#[derive(Clone, Debug)]
pub struct Thunk(pub(crate) Rc<RefCell<ThunkState>>);

impl Thunk {
    /// A thunk that evaluates `expr` in `env`.
    pub fn new(expr: Rc<Expr>, env: Rc<Env>) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Pending(Pending::Expr(
            expr, env,
        )))))
    }

    /// A thunk that applies `f` to `arg`.
    pub fn apply(f: Value, arg: Value, span: Span) -> Thunk {
        Thunk::apply_shared(&Rc::new(Callee { f, span }), arg)
    }

    /// A thunk that applies a function shared with other thunks (every
    /// element of a `map` or `genList`) to `arg`: no allocation but the
    /// thunk's own.
    pub fn apply_shared(callee: &Rc<Callee>, arg: Value) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Pending(Pending::Apply(
            callee.clone(),
            arg,
        )))))
    }

    /// A thunk that applies `f` to `x`, then the result to `y` (see
    /// [`Machine::call2`]): one thunk where two would do.
    pub fn apply2(f: Value, x: Value, y: Value, span: Span) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Pending(Pending::Apply2(
            Box::new((f, x, y, span)),
        )))))
    }

    /// A thunk running native code.
    pub fn native(f: Rc<NativeFn>) -> Thunk {
        Thunk(Rc::new(RefCell::new(ThunkState::Pending(Pending::Native(
            f,
        )))))
    }

    /// Whether the thunk is evaluated to a value that owns no other values.
    fn holds_scalar(&self) -> bool {
        matches!(
            self.0.try_borrow().as_deref(),
            Ok(ThunkState::Done(
                Value::Null
                    | Value::Bool(_)
                    | Value::Int(_)
                    | Value::Float(_)
                    | Value::String(_)
                    | Value::Path(_)
            ))
        )
    }

    /// Whether two handles are the same thunk.
    pub fn ptr_eq(&self, other: &Thunk) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// A function to be applied, and the call site that applies it.
#[derive(Debug)]
pub struct Callee {
    /// The function.
    pub f: Value,
    /// Where it is called.
    pub span: Span,
}

/// Native code run by a thunk when forced.
pub type NativeFn = dyn Fn(&mut Machine) -> Result<Value, EvalError>;

/// The state of a thunk.
pub enum ThunkState {
    /// Not yet forced.
    Pending(Pending),
    /// Being forced right now: forcing it again is infinite recursion.
    Blackhole,
    /// Forced; holds a value in weak head normal form.
    Done(Value),
}

impl std::fmt::Debug for ThunkState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ThunkState::Pending(_) => f.write_str("<pending>"),
            ThunkState::Blackhole => f.write_str("<blackhole>"),
            ThunkState::Done(v) => v.fmt(f),
        }
    }
}

/// What a pending thunk will compute.
pub enum Pending {
    /// Evaluate an expression in an environment.
    Expr(Rc<Expr>, Rc<Env>),
    /// Apply a function (often shared by many thunks) to an argument.
    Apply(Rc<Callee>, Value),
    /// Apply a function to two arguments, one after the other.
    Apply2(Box<(Value, Value, Value, Span)>),
    /// Run native code (re-runnable, so the thunk can be restored after an error).
    Native(Rc<NativeFn>),
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn entries_and_thunks_stay_small() {
        // An entry is (name, position, value) in the space of (name, value).
        assert_eq!(size_of::<Entry>(), 24);
        // A thunk's cell is 48 bytes with its counts and borrow flag.
        assert_eq!(size_of::<ThunkState>(), 24);
    }
}
