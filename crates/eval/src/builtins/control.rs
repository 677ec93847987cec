//! Control builtins: `seq`, `deepSeq`, `throw`, `abort`, `tryEval`,
//! `trace`, `import`, `scopedImport` and file access.

use std::rc::Rc;

use super::{Builtin, b, g};
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::eval::Machine;
use crate::print::{PrintOptions, print_value};
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, Value};

pub(super) const BUILTINS: &[Builtin] = &[
    b("seq", 2, |m, a, _| {
        m.force(&a[0])?;
        m.force(&a[1])
    }),
    b("deepSeq", 2, |m, a, _| {
        m.force_deep(&a[0], &mut Default::default())?;
        m.force(&a[1])
    }),
    g("throw", 1, |m, a, s| {
        let msg = m.coerce_to_string(&a[0], false, true, s)?;
        Err(EvalError::new(ErrorKind::Throw(msg.text), Some(s)))
    }),
    g("abort", 1, |m, a, s| {
        let msg = m.coerce_to_string(&a[0], false, true, s)?;
        Err(EvalError::new(ErrorKind::Abort(msg.text), Some(s)))
    }),
    b("tryEval", 1, try_eval),
    b("trace", 2, trace),
    g("import", 1, |m, a, s| {
        let p = m.path_for_reading(&a[0], s)?;
        m.import_path(&p, Some(s))
    }),
    g("scopedImport", 2, |m, a, s| {
        let scope = m.force_attrs(&a[0], s)?;
        let p = m.path_for_reading(&a[1], s)?;
        m.scoped_import(&scope, &p, Some(s))
    }),
    b("pathExists", 1, |m, a, s| {
        let p = m.path_for_reading(&a[0], s)?;
        Ok(Value::Bool(std::path::Path::new(&p).exists()))
    }),
    b("readFile", 1, |m, a, s| {
        let p = m.path_for_reading(&a[0], s)?;
        std::fs::read_to_string(&p)
            .map(Value::string)
            .map_err(|e| EvalError::new(ErrorKind::Io(format!("opening file '{p}': {e}")), Some(s)))
    }),
    b("readDir", 1, read_dir),
];

fn read_dir(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let p = m.path_for_reading(&a[0], s)?;
    let io = |e: std::io::Error| {
        EvalError::new(
            ErrorKind::Io(format!("reading directory '{p}': {e}")),
            Some(s),
        )
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(&p).map_err(io)? {
        let entry = entry.map_err(io)?;
        let ft = entry.file_type().map_err(io)?;
        let kind = if ft.is_symlink() {
            "symlink"
        } else if ft.is_dir() {
            "directory"
        } else if ft.is_file() {
            "regular"
        } else {
            "unknown"
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        entries.push((Symbol::intern(&name), Value::string(kind)));
    }
    Ok(Value::Attrs(Rc::new(Attrs::from_unsorted(entries))))
}

fn try_eval(m: &mut Machine, a: &[Value], _: Span) -> EvalResult<Value> {
    let (ok, v) = match m.force(&a[0]) {
        Ok(v) => (true, v),
        Err(e) if e.is_catchable() => (false, Value::Bool(false)),
        Err(e) => return Err(e),
    };
    Ok(Value::Attrs(Rc::new(Attrs::from_unsorted(vec![
        (Symbol::intern("success"), Value::Bool(ok)),
        (Symbol::intern("value"), v),
    ]))))
}

fn trace(m: &mut Machine, a: &[Value], _: Span) -> EvalResult<Value> {
    let msg = m.force(&a[0])?;
    if m.opts.trace_to_stderr {
        match &msg {
            Value::String(s) => eprintln!("trace: {}", s.text),
            other => eprintln!("trace: {}", print_value(other, PrintOptions::default())),
        }
    }
    m.force(&a[1])
}
