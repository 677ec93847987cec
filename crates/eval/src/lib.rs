#![doc = include_str!("../README.md")]

pub mod builtins;
pub mod context;
pub mod diagnostics;
pub mod error;
pub mod eval;
mod find_derivations;
pub mod indent;
mod instantiate;
pub mod ir;
pub mod json;
pub mod lower;
pub mod ops;
pub mod pos;
pub mod print;
mod realise;
pub mod span;
mod speculate;
pub mod store;
pub mod symbol;
pub mod value;
pub mod xml;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::symbol::Symbol;

pub use error::{ErrorKind, EvalError, EvalResult, TraceFrame};
pub use eval::Machine;
pub use find_derivations::FoundDerivation;
pub use print::{PrintOptions, print_value};
pub use span::{FileId, SourceMap, Span};
pub use value::{NixString, Value};

/// One entry of the search path used by `<name>` lookups (`-I prefix=path`).
#[derive(Clone, Debug)]
pub struct SearchPathEntry {
    /// `nixpkgs` in `nixpkgs=/path`; `None` for a bare directory.
    pub prefix: Option<String>,
    /// The directory.
    pub path: PathBuf,
}

impl SearchPathEntry {
    /// Parses one `-I`/`NIX_PATH` element: `prefix=path` or `path`.
    pub fn parse(s: &str) -> SearchPathEntry {
        match s.split_once('=') {
            Some((prefix, path)) => SearchPathEntry {
                prefix: Some(prefix.to_owned()),
                path: PathBuf::from(path),
            },
            None => SearchPathEntry {
                prefix: None,
                path: PathBuf::from(s),
            },
        }
    }

    /// Parses a colon-separated `NIX_PATH`.
    pub fn parse_nix_path(s: &str) -> Vec<SearchPathEntry> {
        s.split(':')
            .filter(|e| !e.is_empty())
            .map(SearchPathEntry::parse)
            .collect()
    }
}

/// Evaluator settings, passed explicitly (no global state).
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// Entries for `<name>` lookups.
    pub search_path: Vec<SearchPathEntry>,
    /// Maximum nesting of function calls; `None` for no limit (the stack
    /// grows on the heap, so only memory bounds it).
    pub max_call_depth: Option<usize>,
    /// Stop with an error after this many evaluation steps (expressions
    /// entered and builtin list elements made); `None` for no limit. For
    /// fuzzing and untrusted input: it bounds time, not memory.
    pub max_steps: Option<u64>,
    /// Pure evaluation (no `currentTime`, `getEnv` …; reserved for now).
    pub pure: bool,
    /// Home directory for `~/…` paths.
    pub home: Option<String>,
    /// Write `builtins.trace` messages to stderr.
    pub trace_to_stderr: bool,
    /// Build derivation outputs that evaluation reads (`import`,
    /// `readFile` … of a path inside an output), as Nix's
    /// `allow-import-from-derivation` (on by default, as in Nix). Building
    /// needs a store with a builder ([`store::LocalEvalStore::with_builder`]).
    pub allow_import_from_derivation: bool,
    /// Compute cheap, total expressions (integer arithmetic and comparisons
    /// over integers already evaluated, and calls of functions whose body
    /// is one) when they are built instead of suspending them in a thunk.
    /// The results are Nix's; what differs is that such a value is never
    /// an unevaluated thunk, which a printer that does not force (output
    /// without `--strict`, `builtins.trace`) would show as `<CODE>`. Off by
    /// default; turn it on when everything printed is forced first.
    pub compute_cheap_eagerly: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            search_path: Vec::new(),
            max_call_depth: Some(1_000_000),
            max_steps: None,
            pure: false,
            home: std::env::var("HOME").ok(),
            trace_to_stderr: true,
            allow_import_from_derivation: true,
            compute_cheap_eagerly: false,
        }
    }
}

/// A Nix evaluator: parses, lowers and lazily evaluates Nix code.
///
/// Values it returns hold reference-counted pointers and must not outlive
/// the thread; they stay valid after the evaluator is dropped.
pub struct Evaluator {
    machine: Machine,
}

impl Evaluator {
    /// Creates an evaluator with the standard builtins.
    pub fn new(opts: EvalOptions) -> Self {
        let mut machine = Machine::new(opts);
        builtins::install(&mut machine);
        Evaluator { machine }
    }

    /// Creates an evaluator that copies paths into `store` and writes
    /// derivations there (see [`store::LocalEvalStore`]).
    pub fn with_store(opts: EvalOptions, store: Box<dyn store::EvalStore>) -> Self {
        let mut machine = Machine::new(opts);
        machine.store_state.store = Some(store);
        builtins::install(&mut machine);
        Evaluator { machine }
    }

    /// Evaluates Nix source text to weak head normal form. Relative paths
    /// in it resolve against `base_dir`.
    pub fn eval_str(&mut self, source: &str, base_dir: &Path) -> EvalResult<Value> {
        self.machine
            .eval_source("«string»".into(), source.into(), base_dir)
    }

    /// Evaluates a file (`default.nix` inside it if it is a directory).
    pub fn eval_file(&mut self, path: &Path) -> EvalResult<Value> {
        self.machine.import_path(&path.to_string_lossy(), None)
    }

    /// Calls a function with formals the way `nix-instantiate` does when
    /// given `--arg`/`--argstr` (without them it does not call at all): each formal takes its value from `args` or its
    /// default (an error if it has neither); `...` passes all of `args`.
    /// Anything else is returned unchanged (after forcing).
    pub fn auto_call(&mut self, v: &Value, args: &[(String, Value)]) -> EvalResult<Value> {
        let f = self.machine.force(v)?;
        let Value::Lambda(c) = &f else { return Ok(f) };
        let ir::Param::Formals {
            formals, ellipsis, ..
        } = &c.def.param
        else {
            return Ok(f);
        };
        let mut entries = Vec::new();
        if *ellipsis {
            for (k, a) in args {
                entries.push((Symbol::intern(k), a.clone()));
            }
        } else {
            for (sym, default) in formals {
                match args.iter().find(|(k, _)| k == sym.as_str()) {
                    Some((_, a)) => entries.push((*sym, a.clone())),
                    None if default.is_some() => {}
                    None => {
                        return Err(EvalError::new(
                            ErrorKind::Other(format!(
                                "cannot evaluate a function that has an argument without a value ('{sym}')"
                            )),
                            Some(c.def.span),
                        ));
                    }
                }
            }
        }
        let arg = Value::Attrs(Rc::new(value::Attrs::from_unsorted(entries)));
        let span = c.def.span;
        self.machine.apply(f, arg, span)
    }

    /// Selects an attribute path as `nix-instantiate -A` does: names
    /// separated by `.` (a name in double quotes may contain dots), where a
    /// number indexes a list. Before each step a function is called with
    /// `auto_args` ([`Evaluator::auto_call`]), so `-A` reaches into a file
    /// that is a function. The empty path selects `v` itself.
    pub fn select_attr_path(
        &mut self,
        v: &Value,
        path: &str,
        auto_args: &[(String, Value)],
    ) -> EvalResult<Value> {
        let fail = |message: String| EvalError::new(ErrorKind::Other(message), None);
        let mut current = self.machine.force(v)?;
        for part in split_attr_path(path) {
            current = self.auto_call(&current, auto_args)?;
            let next = match (&current, part.parse::<usize>()) {
                (Value::List(items), Ok(index)) => items.get(index).cloned().ok_or_else(|| {
                    fail(format!(
                        "list index {index} in selection path '{path}' is out of range"
                    ))
                })?,
                (Value::Attrs(attrs), _) => {
                    attrs.get(Symbol::intern(&part)).cloned().ok_or_else(|| {
                        fail(format!(
                            "attribute '{part}' in selection path '{path}' not found"
                        ))
                    })?
                }
                (other, _) => {
                    return Err(fail(format!(
                        "the expression selected by the selection path '{path}' should be a set but is {}",
                        other.show_type()
                    )));
                }
            };
            current = self.machine.force(&next)?;
        }
        Ok(current)
    }

    /// Forces `v` completely (like `--strict`), stopping at cycles.
    pub fn force_deep(&mut self, v: &Value) -> EvalResult<()> {
        let mut seen = FxHashSet::default();
        self.machine.force_deep(v, &mut seen)
    }

    /// Serialises `v` like `nix-instantiate --eval --json`.
    pub fn to_json(&mut self, v: &Value) -> EvalResult<String> {
        let span = Span {
            file: FileId(0),
            start: 0,
            end: 0,
        };
        let mut ctx = NixString::default();
        self.machine.to_json(v, span, &mut ctx)
    }

    /// Renders `v` like `nix-instantiate --eval --xml` (with `strict`,
    /// forcing as it goes; `location` adds source positions).
    pub fn to_xml(&mut self, v: &Value, strict: bool, location: bool) -> EvalResult<String> {
        let mut ctx = NixString::default();
        self.machine
            .to_xml(v, xml::XmlOptions { strict, location }, &mut ctx)
    }

    /// Makes every path this evaluation added valid in the store (see
    /// [`store::EvalStore::flush`]). Call it once evaluation is done, to
    /// learn of errors; dropping the store does it too, silently.
    pub fn flush_store(&mut self) -> Result<(), store::EvalStoreError> {
        match self.machine.store_state.store.as_deref_mut() {
            Some(store) => store.flush(),
            None => Ok(()),
        }
    }

    /// Renders an error from this evaluator with source excerpts.
    pub fn render_error(&self, err: &EvalError) -> String {
        diagnostics::render(err, &self.machine.sources)
    }

    /// The source texts seen so far (for custom diagnostics).
    pub fn sources(&self) -> &SourceMap {
        &self.machine.sources
    }

    /// The underlying machine, to force or apply values directly.
    pub fn machine(&mut self) -> &mut Machine {
        &mut self.machine
    }
}

/// A Nix file named by `import` or `scopedImport`: a directory means its
/// `default.nix`.
struct ImportedFile {
    /// The canonical absolute file name, also the key of the import cache.
    key: String,
    /// The directory relative paths in it start from.
    dir: PathBuf,
}

impl ImportedFile {
    fn resolve(path: &str) -> ImportedFile {
        let mut p = PathBuf::from(lower::canon_path(&absolute(Path::new(path))));
        if p.is_dir() {
            p.push("default.nix");
        }
        let dir = p
            .parent()
            .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        ImportedFile {
            key: p.to_string_lossy().into_owned(),
            dir,
        }
    }

    fn read(&self, span: Option<Span>) -> EvalResult<Rc<str>> {
        std::fs::read_to_string(&self.key)
            .map(Rc::from)
            .map_err(|e| {
                EvalError::new(
                    ErrorKind::Io(format!("opening file '{}': {e}", self.key)),
                    span,
                )
            })
    }
}

impl Machine {
    pub(crate) fn eval_source(
        &mut self,
        name: String,
        text: Rc<str>,
        base_dir: &Path,
    ) -> EvalResult<Value> {
        // Evaluating may import other files, which need the globals too;
        // the lowering copies them anyway.
        let globals = self.globals.clone();
        let env = self.base_env.clone();
        self.eval_source_in(name, text, base_dir, &globals, &env)
    }

    /// Evaluates `text` with `globals` (names to slots of `env`) as its
    /// outermost scope.
    fn eval_source_in(
        &mut self,
        name: String,
        text: Rc<str>,
        base_dir: &Path,
        globals: &FxHashMap<Symbol, u32>,
        env: &Rc<value::Env>,
    ) -> EvalResult<Value> {
        let file = self.sources.add(name.clone(), text.clone());
        let base = lower::canon_path(&absolute(base_dir));
        let expr = lower::lower_source(
            &text,
            file,
            &name,
            &base,
            self.opts.home.as_deref(),
            globals,
        )?;
        self.programs.push(expr.clone());
        if let ir::Expr::Let { bindings, body } = &*expr {
            // What evaluating the `let` does, with its frame kept (see
            // `Machine::top_frames`).
            self.charge(1)?;
            let frame = self.let_frame(bindings, env);
            self.top_frames.push(frame.clone());
            return self.eval(body, &frame);
        }
        self.eval(&expr, env)
    }

    /// `import path`: parses and evaluates a file once, then caches it.
    pub(crate) fn import_path(&mut self, path: &str, span: Option<Span>) -> EvalResult<Value> {
        let file = ImportedFile::resolve(path);
        if let Some(v) = self.imports.get(&file.key) {
            return Ok(v.clone());
        }
        let text = file.read(span)?;
        let v = self.eval_source(file.key.clone(), text, &file.dir)?;
        self.imports.insert(file.key, v.clone());
        Ok(v)
    }

    /// `scopedImport scope path`: evaluates a file with the names of
    /// `scope` bound around it, in front of the global names (so it can
    /// replace `import` or `toString`). Each call parses the file anew, as
    /// in Nix: the result depends on the scope.
    pub(crate) fn scoped_import(
        &mut self,
        scope: &value::Attrs,
        path: &str,
        span: Option<Span>,
    ) -> EvalResult<Value> {
        let file = ImportedFile::resolve(path);
        let text = file.read(span)?;
        let mut globals = self.globals.clone();
        let mut slots: Vec<Value> = self.base_env.slots.borrow().to_vec();
        for (name, value) in scope.iter() {
            match globals.get(&name) {
                Some(&slot) => slots[slot as usize] = value.clone(),
                None => {
                    globals.insert(name, slots.len() as u32);
                    slots.push(value.clone());
                }
            }
        }
        let env = value::Env::new(slots, None);
        self.eval_source_in(file.key, text, &file.dir, &globals, &env)
    }

    /// Forces `v` deeply; `seen` holds sets and lists already visited.
    pub fn force_deep(&mut self, v: &Value, seen: &mut FxHashSet<usize>) -> EvalResult<()> {
        let v = self.force(v)?;
        stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, || {
            match &v {
                Value::Attrs(a) => {
                    if !seen.insert(Rc::as_ptr(a) as usize) {
                        return Ok(());
                    }
                    for (k, val) in a.iter() {
                        self.nested(None, |m| m.force_deep(val, seen))
                            .map_err(|e| {
                                e.with_frame(
                                    || format!("while evaluating the attribute '{k}'"),
                                    None,
                                )
                            })?;
                    }
                }
                Value::List(l) => {
                    if !seen.insert(l.as_ptr() as usize) {
                        return Ok(());
                    }
                    for item in l.iter() {
                        self.nested(None, |m| m.force_deep(item, seen))?;
                    }
                }
                _ => {}
            }
            Ok(())
        })
    }
}

fn absolute(p: &Path) -> String {
    if p.is_absolute() {
        p.to_string_lossy().into_owned()
    } else {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        cwd.join(p).to_string_lossy().into_owned()
    }
}

/// Splits an attribute path at the dots that are not inside double quotes.
fn split_attr_path(path: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in path.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    if !path.is_empty() {
        parts.push(current);
    }
    parts
}
