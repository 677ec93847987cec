//! Builtins of current Nix that Nix 2.8 lacks or that cairn added late:
//! `parseDrvName`, `toPath`, `readFileType`, `findFile`, `warn`,
//! `traceVerbose`, `break`, and the `nixPath`/`currentTime` constants.

use std::rc::Rc;

use super::{Builtin, b};
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::eval::Machine;
use crate::lower::canon_path;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, NixString, Value};

pub(super) const BUILTINS: &[Builtin] = &[
    b("parseDrvName", 1, parse_drv_name),
    b("toPath", 1, to_path),
    b("readFileType", 1, read_file_type),
    b("findFile", 2, find_file),
    b("warn", 2, warn),
    // Tracing is only shown with `--trace-verbose`, which cairn does not
    // enable from here: the value passes through.
    b("traceVerbose", 2, |m, a, _| m.force(&a[1])),
    // Without a debugger `break` is the identity.
    b("break", 1, |m, a, _| m.force(&a[0])),
];

/// Constants: `nixPath` always, `currentTime` outside pure mode.
pub(super) fn constants(m: &Machine) -> Vec<(Symbol, Value)> {
    let nix_path = m
        .opts
        .search_path
        .iter()
        .map(|e| {
            attrs(vec![
                ("path", Value::string(e.path.to_string_lossy().into_owned())),
                (
                    "prefix",
                    Value::string(e.prefix.clone().unwrap_or_default()),
                ),
            ])
        })
        .collect();
    let mut out = vec![(Symbol::intern("nixPath"), Value::list(nix_path))];
    if !m.opts.pure {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        out.push((Symbol::intern("currentTime"), Value::Int(now)));
    }
    out
}

fn attrs(entries: Vec<(&str, Value)>) -> Value {
    Value::Attrs(Rc::new(Attrs::from_unsorted(
        entries
            .into_iter()
            .map(|(k, v)| (Symbol::intern(k), v))
            .collect(),
    )))
}

/// Splits `name-1.2` at the first `-` not followed by a letter.
pub(crate) fn split_drv_name(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'-' && i + 1 < b.len() && !b[i + 1].is_ascii_alphabetic() {
            return (&s[..i], &s[i + 1..]);
        }
    }
    (s, "")
}

fn parse_drv_name(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let full = m.force_string(&a[0], s)?;
    let (name, version) = split_drv_name(&full.text);
    Ok(attrs(vec![
        ("name", Value::string(name)),
        ("version", Value::string(version)),
    ]))
}

fn to_path(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let st = m.coerce_to_string(&a[0], false, false, s)?;
    if !st.text.starts_with('/') {
        return Err(EvalError::other(
            format!("string '{}' doesn't represent an absolute path", st.text),
            s,
        ));
    }
    Ok(Value::String(Rc::new(NixString {
        text: canon_path(&st.text),
        context: st.context.clone(),
    })))
}

fn read_file_type(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let p = m.path_for_reading(&a[0], s)?;
    let meta = std::fs::symlink_metadata(&p).map_err(|e| {
        EvalError::new(
            ErrorKind::Io(format!("getting status of '{p}': {e}")),
            Some(s),
        )
    })?;
    let ft = meta.file_type();
    Ok(Value::string(if ft.is_symlink() {
        "symlink"
    } else if ft.is_dir() {
        "directory"
    } else if ft.is_file() {
        "regular"
    } else {
        "unknown"
    }))
}

fn find_file(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let list = m.force_list(&a[0], s)?;
    let wanted = m.force_string(&a[1], s)?;
    let wanted = wanted.text.as_str();
    for item in list.iter() {
        let set = m.force_attrs(item, s)?;
        let prefix = match set.get(Symbol::intern("prefix")).cloned() {
            Some(p) => m.force_string(&p, s)?.text.clone(),
            None => String::new(),
        };
        let path = set
            .get(Symbol::intern("path"))
            .cloned()
            .ok_or_else(|| EvalError::other("attribute 'path' missing", s))?;
        let path = m.coerce_to_string(&path, false, false, s)?;
        let suffix = if prefix.is_empty() {
            format!("/{wanted}")
        } else {
            match wanted.strip_prefix(prefix.as_str()) {
                Some("") => String::new(),
                Some(rest) if rest.starts_with('/') => rest.to_owned(),
                _ => continue,
            }
        };
        let candidate = format!("{}{suffix}", path.text);
        if std::path::Path::new(&candidate).exists() {
            return Ok(Value::Path(canon_path(&candidate).into()));
        }
    }
    Err(EvalError::new(
        ErrorKind::Throw(format!(
            "file '{wanted}' was not found in the Nix search path (add it using $NIX_PATH or -I)"
        )),
        Some(s),
    ))
}

fn warn(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let msg = m.force(&a[0])?;
    let Value::String(text) = &msg else {
        return Err(EvalError::type_error("a string", msg.show_type(), s));
    };
    if m.opts.trace_to_stderr {
        eprintln!("evaluation warning: {}", text.text);
    }
    m.force(&a[1])
}

#[cfg(test)]
mod tests {
    use super::split_drv_name;

    #[test]
    fn drv_names_split_before_the_version() {
        assert_eq!(split_drv_name("hello-2.12"), ("hello", "2.12"));
        assert_eq!(split_drv_name("foo-bar-1.0-rc"), ("foo-bar", "1.0-rc"));
        assert_eq!(split_drv_name("nodash"), ("nodash", ""));
        assert_eq!(split_drv_name("trailing-"), ("trailing-", ""));
    }
}
