//! Builtins that put things into the store or name store paths:
//! `toFile`, `path`, `filterSource`, `storePath`, `placeholder`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use cairn_store::content_address::{ContentAddress, FileIngestionMethod};
use cairn_store::hash::{Hash, HashAlgo};
use cairn_store::nar::{HashMode, hash_path_filtered};
use cairn_store::nixbase32;
use cairn_store::path::StorePathName;
use rustc_hash::FxHashSet;

use super::{Builtin, b, g};
use crate::context::ContextElem;
use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::span::Span;
use crate::value::Value;

pub(super) const BUILTINS: &[Builtin] = &[
    b("toFile", 2, to_file),
    b("path", 1, path),
    b("filterSource", 2, filter_source),
    b("storePath", 1, store_path),
    // Global in Nix too: `placeholder "out"` needs no `builtins.`.
    g("placeholder", 1, placeholder),
];

fn to_file(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    let name = m.force_string(&a[0], span)?;
    let contents = m.coerce_to_string(&a[1], false, true, span)?;
    let mut references = BTreeSet::new();
    for elem in contents.context_elems() {
        match elem {
            ContextElem::Opaque(path) => {
                references.insert(path.clone());
            }
            ContextElem::DrvDeep(_) | ContextElem::Built { .. } => {
                return Err(EvalError::other(
                    format!(
                        "in 'toFile': the file named '{}' must not contain a reference to a \
                         derivation but contains one to '{}'",
                        name.text,
                        m.store_dir().display_path(elem.path())
                    ),
                    span,
                ));
            }
        }
    }
    let store_name = StorePathName::new(&name.text)
        .map_err(|e| EvalError::other(format!("in 'toFile': {e}"), span))?;
    let path = m.add_text_to_store(&store_name, contents.text.as_bytes(), references, span)?;
    Ok(Value::String(Rc::new(m.store_path_string(&path))))
}

/// The arguments of `builtins.path`.
struct AddPath {
    source: String,
    name: Option<String>,
    filter: Option<Value>,
    recursive: bool,
    sha256: Option<Hash>,
}

fn path(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    let attrs = m.force_attrs(&a[0], span)?;
    let mut args = AddPath {
        source: String::new(),
        name: None,
        filter: None,
        recursive: true,
        sha256: None,
    };
    let mut has_path = false;
    for (key, value) in attrs.sorted_by_name() {
        match key.as_str() {
            "path" => {
                args.source = local_path(m, value, span)?;
                has_path = true;
            }
            "name" => args.name = Some(m.force_string(value, span)?.text.clone()),
            "filter" => args.filter = Some(m.force_function(value, span)?),
            "recursive" => args.recursive = m.force_bool(value, span)?,
            "sha256" => {
                let text = m.force_string(value, span)?.text.clone();
                let hash = Hash::parse(&text, Some(HashAlgo::Sha256)).map_err(|e| {
                    EvalError::other(format!("invalid 'sha256' '{text}': {e}"), span)
                })?;
                args.sha256 = Some(hash);
            }
            other => {
                return Err(EvalError::other(
                    format!("unsupported argument '{other}' to 'addPath'"),
                    span,
                ));
            }
        }
    }
    if !has_path {
        return Err(EvalError::other(
            "missing required 'path' attribute in the first argument to builtins.path",
            span,
        ));
    }
    add_path(m, args, span)
}

fn filter_source(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    let filter = m.force_function(&a[0], span)?;
    let source = local_path(m, &a[1], span)?;
    add_path(
        m,
        AddPath {
            source,
            name: None,
            filter: Some(filter),
            recursive: true,
            sha256: None,
        },
        span,
    )
}

/// A path value (or an absolute path string without context) as the local
/// path it names.
fn local_path(m: &mut Machine, v: &Value, span: Span) -> EvalResult<String> {
    let s = m.coerce_to_string(v, false, false, span)?;
    if s.has_context() {
        return Err(EvalError::other(
            format!("string '{}' cannot refer to other paths", s.text),
            span,
        ));
    }
    if !s.text.starts_with('/') {
        return Err(EvalError::other(
            format!("string '{}' doesn't represent an absolute path", s.text),
            span,
        ));
    }
    Ok(s.text.clone())
}

fn add_path(m: &mut Machine, args: AddPath, span: Span) -> EvalResult<Value> {
    let name_text = match &args.name {
        Some(n) => n.clone(),
        None => args
            .source
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    let name = StorePathName::new(&name_text)
        .map_err(|e| EvalError::other(format!("invalid name for '{}': {e}", args.source), span))?;
    let method = if args.recursive {
        FileIngestionMethod::Recursive
    } else {
        FileIngestionMethod::Flat
    };
    // With a hash given, what is already in the store is used as it is.
    let expected = match &args.sha256 {
        Some(hash) => {
            let ca = ContentAddress::Fixed {
                method,
                hash: *hash,
            };
            let path = ca
                .store_path(&m.store_dir(), &name, &BTreeSet::new(), false)
                .map_err(|e| EvalError::other(e.to_string(), span))?;
            if m.is_valid_path(&path, span)? {
                return Ok(Value::String(Rc::new(m.store_path_string(&path))));
            }
            Some(path)
        }
        None => None,
    };
    let source = PathBuf::from(&args.source);
    let kept = match &args.filter {
        Some(filter) => Some(kept_entries(m, &source, filter, span)?),
        None => None,
    };
    let mut filter = |p: &Path| kept.as_ref().is_none_or(|k| k.contains(p));
    // A wrong hash is found before anything is written.
    if let (Some(expected), Some(hash)) = (&expected, &args.sha256) {
        let mode = match method {
            FileIngestionMethod::Recursive => HashMode::Recursive,
            FileIngestionMethod::Flat => HashMode::Flat,
        };
        let (actual, _) = hash_path_filtered(&source, HashAlgo::Sha256, mode, &mut filter)
            .map_err(|e| EvalError::other(e.to_string(), span))?;
        if actual != *hash {
            return Err(EvalError::other(
                format!(
                    "store path mismatch in (possibly filtered) path added from '{}': \
                     expected '{}' (hash {}), but the contents hash to {}",
                    args.source,
                    m.store_dir().display_path(expected),
                    hash.to_sri(),
                    actual.to_sri()
                ),
                span,
            ));
        }
    }
    let added = m.add_path_to_store(&source, &name, method, &mut filter, span)?;
    Ok(Value::String(Rc::new(m.store_path_string(&added))))
}

/// Walks `root` in the order a NAR lists it, asking `filter` about each
/// entry below it (`filter "/abs/path" "regular"`), and returns the entries
/// it keeps. A refused directory is not entered, as in Nix.
fn kept_entries(
    m: &mut Machine,
    root: &Path,
    filter: &Value,
    span: Span,
) -> EvalResult<FxHashSet<PathBuf>> {
    let mut kept = FxHashSet::default();
    let mut todo = vec![root.to_path_buf()];
    let read_err = |p: &Path, e: std::io::Error| {
        EvalError::other(
            format!("cannot read directory '{}': {e}", p.display()),
            span,
        )
    };
    while let Some(dir) = todo.pop() {
        let meta = std::fs::symlink_metadata(&dir).map_err(|e| read_err(&dir, e))?;
        if !meta.is_dir() {
            continue;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| read_err(&dir, e))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(|e| read_err(&dir, e))?;
        entries.sort_unstable_by(|a, b| {
            use std::os::unix::ffi::OsStrExt;
            a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes())
        });
        let mut subdirs = Vec::new();
        for entry in entries {
            let ty = std::fs::symlink_metadata(&entry).map_err(|e| read_err(&entry, e))?;
            let ty = ty.file_type();
            let type_name = if ty.is_file() {
                "regular"
            } else if ty.is_dir() {
                "directory"
            } else if ty.is_symlink() {
                "symlink"
            } else {
                "unknown"
            };
            let f = m.apply(
                filter.clone(),
                Value::string(entry.to_string_lossy().into_owned()),
                span,
            )?;
            let verdict = m.apply(f, Value::string(type_name), span)?;
            let keep = m.force_bool(&verdict, span).map_err(|e| {
                e.with_frame(
                    || format!("while evaluating the filter of '{}'", entry.display()),
                    Some(span),
                )
            })?;
            if keep {
                if ty.is_dir() {
                    subdirs.push(entry.clone());
                }
                kept.insert(entry);
            }
        }
        // Visit subdirectories in order: the stack pops the last first.
        todo.extend(subdirs.into_iter().rev());
    }
    Ok(kept)
}

fn store_path(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    // Unlike `path`, a string that already refers to store paths is fine.
    let text = m.coerce_to_string(&a[0], false, false, span)?.text.clone();
    if !text.starts_with('/') {
        return Err(EvalError::other(
            format!("string '{text}' doesn't represent an absolute path"),
            span,
        ));
    }
    let store_dir = m.store_dir();
    let path = store_dir
        .store_path_of(&text)
        .map_err(|_| EvalError::other(format!("path '{text}' is not in the Nix store"), span))?;
    if !m.is_valid_path(&path, span)? {
        return Err(EvalError::other(
            format!("path '{}' is not valid", store_dir.display_path(&path)),
            span,
        ));
    }
    let mut s = m.store_path_string(&path);
    // A path inside a store object keeps its subpath.
    s.text = text;
    Ok(Value::String(Rc::new(s)))
}

fn placeholder(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    let output = m.force_string(&a[0], span)?;
    let hash = Hash::of(
        HashAlgo::Sha256,
        format!("nix-output:{}", output.text).as_bytes(),
    );
    Ok(Value::string(format!(
        "/{}",
        nixbase32::encode(hash.digest())
    )))
}
