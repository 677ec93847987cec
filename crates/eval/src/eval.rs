//! The evaluation machine: forcing thunks, evaluating IR, applying functions.
//!
//! Recursion (eval → force → eval …) runs on the Rust stack, which
//! `stacker::maybe_grow` extends on demand, so deep non-tail recursion in Nix
//! code does not overflow. Calls in tail position (the body of a lambda, the
//! branches of `if`, `let`/`with`/`assert` bodies) loop instead of recursing.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use crate::EvalOptions;
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::ir::{AttrName, AttrsDef, BinOp, Expr, ExprRef, Param, StrPart};
use crate::span::{SourceMap, Span};
use crate::speculate::{evaluated, int_op};
use crate::symbol::Symbol;
use crate::value::{
    Attrs, Closure, Entry, Env, NixString, Pending, PrimOpApp, Thunk, ThunkState, Value,
};

/// Free stack below which we switch to a fresh segment.
const RED_ZONE: usize = 256 * 1024;
/// Size of each new stack segment.
const STACK_SEGMENT: usize = 8 * 1024 * 1024;

/// The evaluator's state. Builtins receive it to force and apply values.
pub struct Machine {
    pub(crate) opts: EvalOptions,
    pub(crate) sources: SourceMap,
    pub(crate) globals: FxHashMap<Symbol, u32>,
    pub(crate) base_env: Rc<Env>,
    pub(crate) imports: FxHashMap<String, Value>,
    /// Every lowered program, kept so that IR trees are freed in one place
    /// (see `Drop`), on a stack deep enough for their nesting.
    pub(crate) programs: Vec<ExprRef>,
    /// The frames of programs' top-level `let`s, kept as long as the
    /// evaluator: what they hold is freed when it is dropped, not the
    /// moment the program's value is known. A caller that exits once the
    /// value is printed (the CLI) can then skip freeing altogether.
    pub(crate) top_frames: Vec<Rc<Env>>,
    /// The store and what this evaluation put into it.
    pub(crate) store_state: crate::instantiate::StoreState,
    depth: usize,
    /// Steps left before `EvalOptions::max_steps` stops evaluation.
    steps_left: Option<u64>,
    /// The sets and lists being written out (JSON, XML), by address: one
    /// met again inside itself would make the output endless.
    writing: rustc_hash::FxHashSet<usize>,
}

impl Drop for Machine {
    fn drop(&mut self) {
        // `builtins.builtins` is the set itself, through a thunk: cut that
        // knot, or every evaluator's builtins would outlive it. (A value
        // kept past its evaluator then sees `builtins.builtins` as null.)
        let builtins = Symbol::intern("builtins");
        if let Some(&slot) = self.globals.get(&builtins)
            && let Some(Value::Attrs(set)) = self.base_env.slots.borrow().get(slot as usize)
            && let Some(Value::Thunk(knot)) = set.get(builtins)
        {
            *knot.0.borrow_mut() = ThunkState::Done(Value::Null);
        }
        let programs = std::mem::take(&mut self.programs);
        let imports = std::mem::take(&mut self.imports);
        let frames = std::mem::take(&mut self.top_frames);
        stacker::grow(64 << 20, move || drop((frames, programs, imports)));
    }
}

fn lookup(env: &Rc<Env>, depth: u32, slot: u32) -> Value {
    let mut e = env;
    for _ in 0..depth {
        e = e.parent.as_ref().expect("lowering resolved this depth");
    }
    e.slots.borrow()[slot as usize].clone()
}

/// `f` of variable `(depth, slot)` without cloning it; `None` if the slot
/// is not filled yet (a forward reference while a frame is being built).
pub(crate) fn lookup_ref(
    env: &Rc<Env>,
    depth: u32,
    slot: u32,
    f: impl FnOnce(&Value) -> Option<Value>,
) -> Option<Value> {
    let mut e = env;
    for _ in 0..depth {
        e = e.parent.as_ref()?;
    }
    f(e.slots.try_borrow().ok()?.get(slot as usize)?)
}

impl Machine {
    pub(crate) fn new(opts: EvalOptions) -> Self {
        Machine {
            sources: SourceMap::default(),
            globals: FxHashMap::default(),
            base_env: Env::new(Vec::new(), None),
            imports: FxHashMap::default(),
            steps_left: opts.max_steps,
            opts,
            programs: Vec::new(),
            top_frames: Vec::new(),
            store_state: Default::default(),
            depth: 0,
            writing: Default::default(),
        }
    }

    /// Whether no step budget is kept (`EvalOptions::max_steps` unset).
    pub(crate) fn steps_left_is_none(&self) -> bool {
        self.steps_left.is_none()
    }

    /// How many calls are in progress.
    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    /// Evaluates `v` to weak head normal form.
    pub fn force(&mut self, v: &Value) -> EvalResult<Value> {
        match v {
            Value::Thunk(t) => self.force_thunk(t),
            _ => Ok(v.clone()),
        }
    }

    fn force_thunk(&mut self, t: &Thunk) -> EvalResult<Value> {
        let pending = {
            let mut st = t.0.borrow_mut();
            match &*st {
                ThunkState::Done(v) => return Ok(v.clone()),
                ThunkState::Blackhole => {
                    return Err(EvalError::new(ErrorKind::InfiniteRecursion, None));
                }
                ThunkState::Pending(_) => {}
            }
            let ThunkState::Pending(p) = std::mem::replace(&mut *st, ThunkState::Blackhole) else {
                unreachable!("checked above")
            };
            p
        };
        let r = stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || match &pending {
            Pending::Expr(e, env) => self.eval(e, env).map_err(|err| match e.span() {
                Some(s) => err.or_span(s),
                None => err,
            }),
            Pending::Apply(c, x) => self.apply(c.f.clone(), x.clone(), c.span),
            Pending::Apply2(app) => self.call2(&app.0, app.1.clone(), app.2.clone(), app.3),
            Pending::Native(f) => f(self),
        });
        match r {
            Ok(v) => {
                *t.0.borrow_mut() = ThunkState::Done(v.clone());
                Ok(v)
            }
            Err(e) => {
                *t.0.borrow_mut() = ThunkState::Pending(pending);
                Err(e)
            }
        }
    }

    /// A lazily evaluated value for `expr` in `env` (constants and variables
    /// are not wrapped in a new thunk).
    pub(crate) fn thunk(&self, expr: &ExprRef, env: &Rc<Env>) -> Value {
        match &**expr {
            Expr::Const(v) => v.clone(),
            Expr::Var { depth, slot, .. } => lookup(env, *depth, *slot),
            e @ Expr::BinOp { .. } => self
                .eager_value(e, env)
                .unwrap_or_else(|| Value::Thunk(Thunk::new(expr.clone(), env.clone()))),
            _ => Value::Thunk(Thunk::new(expr.clone(), env.clone())),
        }
    }

    /// The frame of `let bindings in …` inside `env`.
    pub(crate) fn let_frame(&self, bindings: &[ExprRef], env: &Rc<Env>) -> Rc<Env> {
        let new = Env::with_capacity(bindings.len(), Some(env.clone()));
        for b in bindings {
            let v = self.thunk_rec(b, &new);
            new.slots.borrow_mut().push(v);
        }
        new
    }

    /// Like [`Self::thunk`] while `env`'s own slots are still being filled.
    fn thunk_rec(&self, expr: &ExprRef, env: &Rc<Env>) -> Value {
        match &**expr {
            // Share an already filled slot (as Nix's `maybeThunk` does);
            // a forward reference needs a real thunk.
            Expr::Var { depth: 0, slot, .. } => match env.slots.borrow().get(*slot as usize) {
                Some(v) => v.clone(),
                None => Value::Thunk(Thunk::new(expr.clone(), env.clone())),
            },
            _ => self.thunk(expr, env),
        }
    }

    /// Forces `expr` exactly as forcing `self.thunk(expr, env)` would,
    /// without allocating the thunk (nothing else can hold it).
    fn eval_operand(&mut self, expr: &ExprRef, env: &Rc<Env>) -> EvalResult<Value> {
        match &**expr {
            Expr::Const(v) => Ok(v.clone()),
            Expr::Var { depth, slot, .. } => {
                let v = lookup(env, *depth, *slot);
                self.force(&v)
            }
            _ => self.eval(expr, env).map_err(|err| match expr.span() {
                Some(s) => err.or_span(s),
                None => err,
            }),
        }
    }

    /// Spends `n` steps of the budget (`EvalOptions::max_steps`).
    pub fn charge(&mut self, n: u64) -> EvalResult<()> {
        if let Some(left) = &mut self.steps_left {
            if *left < n {
                *left = 0;
                return Err(EvalError::new(ErrorKind::StepBudget, None));
            }
            *left -= n;
        }
        Ok(())
    }

    fn enter_call(&mut self, span: Span) -> EvalResult<()> {
        self.depth += 1;
        if let Some(max) = self.opts.max_call_depth
            && self.depth > max
        {
            self.depth -= 1;
            return Err(EvalError::new(ErrorKind::CallDepth, Some(span)));
        }
        Ok(())
    }

    /// Runs `f` one level deeper into a nested value (deep forcing, JSON,
    /// XML), counted as a call: an infinitely nested value then ends with
    /// the call-depth error instead of exhausting memory.
    pub(crate) fn nested<T>(
        &mut self,
        span: Option<Span>,
        f: impl FnOnce(&mut Machine) -> EvalResult<T>,
    ) -> EvalResult<T> {
        self.depth += 1;
        let result = if self.opts.max_call_depth.is_some_and(|max| self.depth > max) {
            Err(EvalError::new(ErrorKind::CallDepth, span))
        } else {
            f(self)
        };
        self.depth -= 1;
        result
    }

    /// Writes out the set or list at address `container` with `f` (JSON,
    /// XML): one level deeper as [`nested`](Self::nested) counts, and an
    /// error if the container is inside itself, whose output never ends.
    pub(crate) fn writing<T>(
        &mut self,
        container: usize,
        span: Option<Span>,
        f: impl FnOnce(&mut Machine) -> EvalResult<T>,
    ) -> EvalResult<T> {
        if !self.writing.insert(container) {
            return Err(
                EvalError::new(ErrorKind::InfiniteRecursion, span).with_frame(
                    || "while writing out a value that contains itself".to_owned(),
                    None,
                ),
            );
        }
        let result = self.nested(span, f);
        self.writing.remove(&container);
        result
    }

    /// Evaluates `expr` in `env` to weak head normal form.
    pub fn eval(&mut self, expr: &ExprRef, env: &Rc<Env>) -> EvalResult<Value> {
        // Leaves need neither a new stack segment nor the loop (what the
        // loop would do for them, minus the step it charges).
        if self.steps_left.is_none() {
            match &**expr {
                Expr::Const(v) => return Ok(v.clone()),
                Expr::Var { depth, slot, span } => {
                    if let Some(v) = lookup_ref(env, *depth, *slot, evaluated) {
                        return Ok(v);
                    }
                    let v = lookup(env, *depth, *slot);
                    return self.force(&v).map_err(|e| e.or_span(*span));
                }
                // Operands that are leaves cannot nest evaluation deeper
                // (forcing a thunk checks the stack itself).
                Expr::BinOp { op, lhs, rhs, span } if is_leaf(lhs) && is_leaf(rhs) => {
                    return self.binop(*op, lhs, rhs, env, *span);
                }
                _ => {}
            }
        }
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
            let mut calls = 0;
            let r = self.eval_loop(expr, env, &mut calls);
            self.depth -= calls;
            r
        })
    }

    fn eval_loop(
        &mut self,
        first_expr: &ExprRef,
        first_env: &Rc<Env>,
        calls: &mut usize,
    ) -> EvalResult<Value> {
        // What tail calls moved to; the caller's expression and frame are
        // only borrowed, which saves two reference counts per evaluation.
        let mut own_expr: ExprRef;
        let mut own_env: Rc<Env>;
        let mut expr: &ExprRef = first_expr;
        let mut env: &Rc<Env> = first_env;
        loop {
            if self.steps_left.is_some() {
                self.charge(1)?;
            }
            let (next, next_env) = match &**expr {
                Expr::Const(v) => return Ok(v.clone()),
                Expr::Var { depth, slot, span } => {
                    let v = lookup(env, *depth, *slot);
                    return self.force(&v).map_err(|e| e.or_span(*span));
                }
                Expr::If {
                    cond,
                    then,
                    else_,
                    span,
                } => {
                    let c = self.eval(cond, env)?;
                    match c {
                        Value::Bool(true) => (then.clone(), None),
                        Value::Bool(false) => (else_.clone(), None),
                        other => {
                            return Err(EvalError::type_error(
                                "a Boolean",
                                other.show_type(),
                                *span,
                            ));
                        }
                    }
                }
                Expr::Assert {
                    cond,
                    body,
                    text,
                    span,
                } => match self.eval(cond, env)? {
                    Value::Bool(true) => (body.clone(), None),
                    Value::Bool(false) => {
                        return Err(EvalError::new(ErrorKind::Assert(text.clone()), Some(*span)));
                    }
                    other => {
                        return Err(EvalError::type_error("a Boolean", other.show_type(), *span));
                    }
                },
                Expr::Let { bindings, body } => (body.clone(), Some(self.let_frame(bindings, env))),
                Expr::With { ns, body } => {
                    let v = self.thunk(ns, env);
                    (body.clone(), Some(Env::one(v, Some(env.clone()))))
                }
                Expr::Apply { func, arg, span } => {
                    let f = self.eval(func, env)?;
                    let a = self.thunk(arg, env);
                    match f {
                        Value::Lambda(c) => {
                            if let Some(v) = self.cheap_call(&c, &a) {
                                return Ok(v);
                            }
                            self.enter_call(*span)?;
                            *calls += 1;
                            let new = self.bind_args(&c, a, *span)?;
                            (c.def.body.clone(), Some(new))
                        }
                        f => return self.apply(f, a, *span),
                    }
                }
                other => return self.eval_simple(other, env),
            };
            own_expr = next;
            expr = &own_expr;
            if let Some(e) = next_env {
                own_env = e;
                env = &own_env;
            }
        }
    }

    fn eval_simple(&mut self, expr: &Expr, env: &Rc<Env>) -> EvalResult<Value> {
        match expr {
            Expr::WithVar { name, withs, span } => {
                for &d in withs.iter() {
                    let ns = lookup(env, d, 0);
                    let ns = self.force(&ns)?;
                    let Value::Attrs(a) = ns else {
                        return Err(EvalError::type_error("a set", ns.show_type(), *span));
                    };
                    if let Some(v) = a.get(*name) {
                        return self.force(v);
                    }
                }
                Err(EvalError::new(
                    ErrorKind::UndefinedVar(name.as_str().into()),
                    Some(*span),
                ))
            }
            Expr::Str(parts, span) => self.interpolate(parts, env, *span),
            Expr::Path(parts, span) => {
                let vals = self.str_parts(parts, env);
                self.concat_strings(&vals, false, *span)
            }
            Expr::SearchPath(name, span) => self.find_search_path(name, *span),
            Expr::Attrs(def) => self.eval_attrs(def, env),
            Expr::List(items) => Ok(Value::list(
                items.iter().map(|i| self.thunk(i, env)).collect::<Vec<_>>(),
            )),
            Expr::Select {
                expr,
                path,
                default,
                span,
            } => {
                let mut v = self.eval(expr, env)?;
                for name in path {
                    let sym = self.attr_sym(name, env)?;
                    let found = match &v {
                        Value::Attrs(a) => a.get(sym).cloned(),
                        _ => None,
                    };
                    match found {
                        Some(x) => {
                            v = self.force(&x).map_err(|e| {
                                e.with_frame(
                                    || format!("while evaluating the attribute '{sym}'"),
                                    Some(*span),
                                )
                            })?;
                        }
                        None => {
                            if let Some(d) = default {
                                return self.eval(d, env);
                            }
                            return Err(match &v {
                                Value::Attrs(a) => missing_attr(sym, a, *span),
                                other => EvalError::type_error("a set", other.show_type(), *span),
                            });
                        }
                    }
                }
                Ok(v)
            }
            Expr::HasAttr { expr, path, .. } => {
                let mut v = self.eval(expr, env)?;
                for (i, name) in path.iter().enumerate() {
                    // Only the sets along the path are forced, never the
                    // value found last: `x ? a` inside `x.a` itself (as in
                    // `fix (x: { a = x ? a; })`) must not recurse.
                    if i > 0 {
                        v = self.force(&v)?;
                    }
                    let sym = self.attr_sym(name, env)?;
                    let Value::Attrs(a) = &v else {
                        return Ok(Value::Bool(false));
                    };
                    match a.get(sym).cloned() {
                        Some(x) => v = x,
                        None => return Ok(Value::Bool(false)),
                    }
                }
                Ok(Value::Bool(true))
            }
            Expr::Lambda(def) => Ok(Value::Lambda(Rc::new(Closure {
                def: def.clone(),
                env: env.clone(),
            }))),
            Expr::BinOp { op, lhs, rhs, span } => self.binop(*op, lhs, rhs, env, *span),
            Expr::Not(e, span) => match self.eval(e, env)? {
                Value::Bool(b) => Ok(Value::Bool(!b)),
                other => Err(EvalError::type_error("a Boolean", other.show_type(), *span)),
            },
            Expr::Const(_)
            | Expr::Var { .. }
            | Expr::If { .. }
            | Expr::Assert { .. }
            | Expr::Let { .. }
            | Expr::With { .. }
            | Expr::Apply { .. } => unreachable!("handled by eval_loop"),
        }
    }

    /// `"…${e}…"`: what `concat_strings` does with the parts as thunks
    /// (forced left to right, each coerced as interpolation coerces),
    /// written straight into one buffer.
    fn interpolate(&mut self, parts: &[StrPart], env: &Rc<Env>, span: Span) -> EvalResult<Value> {
        let mut out = NixString::default();
        for p in parts {
            match p {
                StrPart::Lit(s) => out.text.push_str(s),
                StrPart::Interp(e) => {
                    let v = self.eval_operand(e, env)?;
                    if let Value::String(s) = &v {
                        out.text.push_str(&s.text);
                        out.add_context(&s.context);
                    } else {
                        let s = self.coerce_to_string(&v, false, true, span)?;
                        out.text.push_str(&s.text);
                        out.add_context(&s.context);
                    }
                }
            }
        }
        Ok(Value::String(Rc::new(out)))
    }

    fn str_parts(&self, parts: &[StrPart], env: &Rc<Env>) -> Vec<Value> {
        parts
            .iter()
            .map(|p| match p {
                StrPart::Lit(s) => Value::string(s.clone()),
                StrPart::Interp(e) => self.thunk(e, env),
            })
            .collect()
    }

    /// The symbol an attribute name evaluates to.
    fn attr_sym(&mut self, name: &AttrName, env: &Rc<Env>) -> EvalResult<Symbol> {
        match name {
            AttrName::Static(s) => Ok(*s),
            AttrName::Dynamic(e) => {
                let span = e.span();
                let v = self.eval(e, env)?;
                match v {
                    Value::String(s) => Ok(Symbol::intern(&s.text)),
                    other => Err(EvalError::new(
                        ErrorKind::Type {
                            expected: "a string",
                            found: other.show_type(),
                        },
                        span,
                    )),
                }
            }
        }
    }

    fn eval_attrs(&mut self, def: &AttrsDef, env: &Rc<Env>) -> EvalResult<Value> {
        let (scope, mut entries) = if def.rec {
            let new = Env::with_capacity(def.statics.len(), Some(env.clone()));
            let mut entries = Vec::with_capacity(def.statics.len() + def.dynamics.len());
            for (name, pos, e) in &def.statics {
                let value = self.thunk_rec(e, &new);
                new.slots.borrow_mut().push(value.clone());
                entries.push(Entry {
                    name: *name,
                    pos: *pos,
                    value,
                });
            }
            (new, entries)
        } else {
            let entries = def
                .statics
                .iter()
                .map(|(name, pos, e)| Entry {
                    name: *name,
                    pos: *pos,
                    value: self.thunk(e, env),
                })
                .collect();
            (env.clone(), entries)
        };
        if def.dynamics.is_empty() {
            // Plain sets were sorted at lowering; `rec` frames keep
            // definition order.
            if def.rec {
                entries.sort_by_key(|e| e.name);
            }
            return Ok(Value::Attrs(Rc::new(Attrs::from_sorted_entries(entries))));
        }
        let mut spans = Vec::new();
        for (name, value, span, pos) in &def.dynamics {
            let n = self.eval(name, &scope)?;
            let sym = match n {
                Value::Null => continue,
                Value::String(s) => Symbol::intern(&s.text),
                other => return Err(EvalError::type_error("a string", other.show_type(), *span)),
            };
            entries.push(Entry {
                name: sym,
                pos: *pos,
                value: self.thunk(value, &scope),
            });
            spans.push((sym, *span));
        }
        entries.sort_by_key(|e| e.name);
        if let Some(w) = entries.windows(2).find(|w| w[0].name == w[1].name) {
            let sym = w[0].name;
            let span = spans.iter().find(|s| s.0 == sym).map(|s| s.1);
            return Err(EvalError::new(
                ErrorKind::Other(format!("dynamic attribute '{sym}' already defined")),
                span,
            ));
        }
        Ok(Value::Attrs(Rc::new(Attrs::from_sorted_entries(entries))))
    }

    /// Builds the frame for calling closure `c` with `arg`.
    fn bind_args(&mut self, c: &Closure, arg: Value, span: Span) -> EvalResult<Rc<Env>> {
        let def = &c.def;
        match &def.param {
            Param::Ident => Ok(Env::one(arg, Some(c.env.clone()))),
            Param::Formals {
                formals,
                ellipsis,
                at,
            } => {
                let argv = self.force(&arg)?;
                let Value::Attrs(attrs) = &argv else {
                    return Err(EvalError::type_error("a set", argv.show_type(), span));
                };
                let fname = || {
                    def.name
                        .map_or_else(|| "anonymous lambda".to_owned(), |n| n.as_str().to_owned())
                };
                if !ellipsis {
                    for (k, _) in attrs.iter() {
                        if !formals.iter().any(|f| f.0 == k) {
                            return Err(EvalError::new(
                                ErrorKind::UnexpectedArgument {
                                    function: fname(),
                                    name: k.as_str().into(),
                                },
                                Some(span),
                            ));
                        }
                    }
                }
                let env = Env::with_capacity(def.slots, Some(c.env.clone()));
                for (sym, default) in formals {
                    let v = match (attrs.get(*sym), default) {
                        (Some(v), _) => v.clone(),
                        (None, Some(d)) => self.thunk_rec(d, &env),
                        (None, None) => {
                            return Err(EvalError::new(
                                ErrorKind::MissingArgument {
                                    function: fname(),
                                    name: sym.as_str().into(),
                                },
                                Some(span),
                            ));
                        }
                    };
                    env.slots.borrow_mut().push(v);
                }
                if *at {
                    env.slots.borrow_mut().push(argv.clone());
                }
                Ok(env)
            }
        }
    }

    /// Calls closure `c` with `arg` and evaluates the result.
    fn call_closure(&mut self, c: &Closure, arg: Value, span: Span) -> EvalResult<Value> {
        self.enter_call(span)?;
        let r = self
            .bind_args(c, arg, span)
            .and_then(|env| self.eval(&c.def.body, &env))
            .map_err(|e| e.with_frame(|| call_frame(c), Some(span)));
        self.depth -= 1;
        r
    }

    /// `f x y`, evaluated. A curried lambda `x: y: …` is entered without
    /// allocating the intermediate closure `f x`.
    pub fn call2(&mut self, f: &Value, x: Value, y: Value, span: Span) -> EvalResult<Value> {
        let f = self.force(f)?;
        if let Value::Lambda(c) = &f
            && let Some(v) = self.cheap_call2(c, &x, &y)
        {
            return Ok(v);
        }
        if let Value::Lambda(c) = &f
            && let Param::Ident = c.def.param
            && let Expr::Lambda(inner) = &*c.def.body
        {
            // What `apply(f, x)` does: count the call, spend the step of
            // evaluating the body, which yields `inner` closed over `x`.
            self.enter_call(span)?;
            let charged = self.charge(1);
            self.depth -= 1;
            charged.map_err(|e| e.with_frame(|| call_frame(c), Some(span)))?;
            let g = Closure {
                def: inner.clone(),
                env: Env::one(x, Some(c.env.clone())),
            };
            return self.call_closure(&g, y, span);
        }
        let g = self.apply(f, x, span)?;
        self.apply(g, y, span)
    }

    /// Applies function `f` to `arg` and evaluates the result.
    pub fn apply(&mut self, f: Value, arg: Value, span: Span) -> EvalResult<Value> {
        let f = self.force(&f)?;
        match f {
            Value::Lambda(c) => match self.cheap_call(&c, &arg) {
                Some(v) => Ok(v),
                None => self.call_closure(&c, arg, span),
            },
            Value::PrimOp(op) => {
                if op.arity == 1 {
                    self.call_primop(&op, &[arg], span)
                } else {
                    Ok(Value::PrimOpApp(Rc::new(PrimOpApp {
                        op,
                        args: vec![arg],
                    })))
                }
            }
            Value::PrimOpApp(app) => {
                let mut args = Vec::with_capacity(app.args.len() + 1);
                args.extend(app.args.iter().cloned());
                args.push(arg);
                if args.len() == app.op.arity {
                    self.call_primop(&app.op, &args, span)
                } else {
                    Ok(Value::PrimOpApp(Rc::new(PrimOpApp {
                        op: app.op.clone(),
                        args,
                    })))
                }
            }
            Value::Attrs(a) if a.get(Symbol::intern("__functor")).is_some() => {
                let functor = a
                    .get(Symbol::intern("__functor"))
                    .cloned()
                    .unwrap_or(Value::Null);
                let g = self.apply(functor, Value::Attrs(a), span)?;
                self.apply(g, arg, span)
            }
            other => Err(EvalError::new(
                ErrorKind::NotAFunction(other.show_type()),
                Some(span),
            )),
        }
    }

    fn call_primop(
        &mut self,
        op: &crate::value::PrimOp,
        args: &[Value],
        span: Span,
    ) -> EvalResult<Value> {
        (op.func)(self, args, span).map_err(|e| {
            e.or_span(span).with_frame(
                || format!("while calling the '{}' builtin", op.name),
                Some(span),
            )
        })
    }

    fn binop(
        &mut self,
        op: BinOp,
        lhs: &ExprRef,
        rhs: &ExprRef,
        env: &Rc<Env>,
        span: Span,
    ) -> EvalResult<Value> {
        match op {
            BinOp::And | BinOp::Or | BinOp::Impl => {
                let l = self.eval(lhs, env)?;
                let Value::Bool(l) = l else {
                    return Err(EvalError::type_error("a Boolean", l.show_type(), span));
                };
                let short = match op {
                    BinOp::And => (!l).then_some(false),
                    BinOp::Or => l.then_some(true),
                    _ => (!l).then_some(true),
                };
                if let Some(b) = short {
                    return Ok(Value::Bool(b));
                }
                match self.eval(rhs, env)? {
                    Value::Bool(r) => Ok(Value::Bool(r)),
                    other => Err(EvalError::type_error("a Boolean", other.show_type(), span)),
                }
            }
            BinOp::Add => {
                // The operands are forced left to right, as the thunks
                // `concat_strings` would force; numbers skip the thunks.
                let l = self.eval_operand(lhs, env)?;
                if let Value::Int(a) = l {
                    let r = self.eval_operand(rhs, env)?;
                    if let Value::Int(b) = r {
                        return a.checked_add(b).map(Value::Int).ok_or_else(|| {
                            EvalError::new(
                                ErrorKind::IntOverflow(format!("addition: {a} + {b}")),
                                Some(span),
                            )
                        });
                    }
                    return self.concat_strings(&[l, r], false, span);
                }
                let r = self.thunk(rhs, env);
                self.concat_strings(&[l, r], false, span)
            }
            _ => {
                let l = self.eval(lhs, env)?;
                let r = self.eval(rhs, env)?;
                // Integers take the short way when the result is defined;
                // the general path reports overflow and division by zero.
                if let (Value::Int(a), Value::Int(b)) = (&l, &r)
                    && let Some(v) = int_op(op, *a, *b)
                {
                    return Ok(v);
                }
                self.binop_values(op, l, r, span)
            }
        }
    }

    /// Applies a strict binary operator to two values.
    pub fn binop_values(&mut self, op: BinOp, l: Value, r: Value, span: Span) -> EvalResult<Value> {
        match op {
            BinOp::Sub | BinOp::Mul | BinOp::Div => self.arith(op, &l, &r, span),
            BinOp::Add => self.concat_strings(&[l, r], false, span),
            BinOp::Concat => {
                let l = self.force_list(&l, span)?;
                let r = self.force_list(&r, span)?;
                if l.is_empty() {
                    return Ok(Value::List(r));
                }
                if r.is_empty() {
                    return Ok(Value::List(l));
                }
                Ok(Value::list(
                    l.iter().chain(r.iter()).cloned().collect::<Vec<_>>(),
                ))
            }
            BinOp::Update => {
                let l = self.force_attrs(&l, span)?;
                let r = self.force_attrs(&r, span)?;
                if r.is_empty() {
                    return Ok(Value::Attrs(l));
                }
                if l.is_empty() {
                    return Ok(Value::Attrs(r));
                }
                Ok(Value::Attrs(Rc::new(Attrs::update(&l, &r))))
            }
            BinOp::Eq => Ok(Value::Bool(self.eq_values(&l, &r, span)?)),
            BinOp::NotEq => Ok(Value::Bool(!self.eq_values(&l, &r, span)?)),
            BinOp::Lt => Ok(Value::Bool(self.less_than(&l, &r, span)?)),
            BinOp::Gt => Ok(Value::Bool(self.less_than(&r, &l, span)?)),
            BinOp::LtEq => Ok(Value::Bool(!self.less_than(&r, &l, span)?)),
            BinOp::GtEq => Ok(Value::Bool(!self.less_than(&l, &r, span)?)),
            BinOp::And | BinOp::Or | BinOp::Impl => Err(EvalError::other(
                "internal error: lazy operator applied strictly",
                span,
            )),
        }
    }

    fn find_search_path(&mut self, name: &str, span: Span) -> EvalResult<Value> {
        let (first, rest) = match name.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (name, None),
        };
        for entry in &self.opts.search_path {
            let candidate = match &entry.prefix {
                Some(p) if p == first => match rest {
                    Some(r) => entry.path.join(r),
                    None => entry.path.clone(),
                },
                Some(_) => continue,
                None => entry.path.join(name),
            };
            if candidate.exists() {
                let s = candidate.to_string_lossy();
                return Ok(Value::Path(crate::lower::canon_path(&s).into()));
            }
        }
        Err(EvalError::other(
            format!(
                "file '{name}' was not found in the Nix search path (add it using $NIX_PATH or -I)"
            ),
            span,
        ))
    }
}

/// Whether `e` is a constant or a variable.
fn is_leaf(e: &Expr) -> bool {
    matches!(e, Expr::Const(_) | Expr::Var { .. })
}

/// The trace frame of a call to `c`.
fn call_frame(c: &Closure) -> String {
    match c.def.name {
        Some(n) => format!("while calling the function '{n}'"),
        None => "while calling an anonymous function".to_owned(),
    }
}

/// The "attribute missing" error with close names suggested.
pub(crate) fn missing_attr(sym: Symbol, attrs: &Attrs, span: Span) -> EvalError {
    let name = sym.as_str();
    let mut scored: Vec<(usize, &str)> = attrs
        .iter()
        .map(|(k, _)| (levenshtein(name, k.as_str()), k.as_str()))
        .filter(|(d, _)| *d <= 2.max(name.len() / 3))
        .collect();
    scored.sort();
    let suggestions = scored
        .into_iter()
        .take(3)
        .map(|(_, k)| k.to_owned())
        .collect();
    EvalError::new(
        ErrorKind::MissingAttr {
            name: name.to_owned(),
            suggestions,
        },
        Some(span),
    )
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
