//! String-context builtins: `getContext`, `appendContext`, `hasContext`,
//! `unsafeDiscardStringContext`, `unsafeDiscardOutputDependency`,
//! `addDrvOutputDependencies`.

use std::collections::BTreeMap;
use std::rc::Rc;

use cairn_derivation::OutputName;
use cairn_store::path::StorePath;

use super::{Builtin, b};
use crate::context::{Context, ContextElem};
use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, NixString, Value};

pub(super) const BUILTINS: &[Builtin] = &[
    b("getContext", 1, get_context),
    b("appendContext", 2, append_context),
    b("hasContext", 1, |m, a, s| {
        Ok(Value::Bool(m.force_string(&a[0], s)?.has_context()))
    }),
    b("unsafeDiscardStringContext", 1, |m, a, s| {
        let st = m.force_string(&a[0], s)?;
        Ok(Value::string(st.text.clone()))
    }),
    b("unsafeDiscardOutputDependency", 1, |m, a, s| {
        let st = m.force_string(&a[0], s)?;
        let context = st
            .context_elems()
            .map(|elem| match elem {
                ContextElem::DrvDeep(drv) => ContextElem::Opaque(drv.clone()),
                other => other.clone(),
            })
            .collect();
        Ok(string(NixString::with_context(st.text.clone(), context)))
    }),
    b("addDrvOutputDependencies", 1, add_drv_output_dependencies),
];

fn string(s: NixString) -> Value {
    Value::String(Rc::new(s))
}

/// How a string refers to one store path, as `getContext` shows it.
#[derive(Default)]
struct PathUse {
    path: bool,
    all_outputs: bool,
    outputs: Vec<String>,
}

fn get_context(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    let st = m.force_string(&a[0], span)?;
    let mut uses: BTreeMap<&StorePath, PathUse> = BTreeMap::new();
    for elem in st.context_elems() {
        let entry = uses.entry(elem.path()).or_default();
        match elem {
            ContextElem::Opaque(_) => entry.path = true,
            ContextElem::DrvDeep(_) => entry.all_outputs = true,
            ContextElem::Built { output, .. } => entry.outputs.push(output.as_str().to_owned()),
        }
    }
    let store_dir = m.store_dir();
    let mut result = Vec::with_capacity(uses.len());
    for (path, info) in uses {
        let mut fields = Vec::new();
        if info.path {
            fields.push((Symbol::intern("path"), Value::Bool(true)));
        }
        if info.all_outputs {
            fields.push((Symbol::intern("allOutputs"), Value::Bool(true)));
        }
        if !info.outputs.is_empty() {
            let outputs = info.outputs.into_iter().map(Value::string).collect();
            fields.push((Symbol::intern("outputs"), Value::list(outputs)));
        }
        result.push((
            Symbol::intern(&store_dir.display_path(path)),
            Value::Attrs(Rc::new(Attrs::from_unsorted(fields))),
        ));
    }
    Ok(Value::Attrs(Rc::new(Attrs::from_unsorted(result))))
}

fn append_context(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    let st = m.force_string(&a[0], span)?;
    let attrs = m.force_attrs(&a[1], span)?;
    let store_dir = m.store_dir();
    let mut context: Context = st.context_elems().cloned().collect();
    for (key, info) in attrs.sorted_by_name() {
        let path = store_dir.parse_path(key.as_str()).map_err(|_| {
            EvalError::other(
                format!("context key '{}' is not a store path", key.as_str()),
                span,
            )
        })?;
        let info = m.force_attrs(info, span)?;
        if let Some(v) = info.get(Symbol::intern("path"))
            && m.force_bool(v, span)?
        {
            context.insert(ContextElem::Opaque(path.clone()));
        }
        if let Some(v) = info.get(Symbol::intern("allOutputs"))
            && m.force_bool(v, span)?
        {
            if !path.is_derivation() {
                return Err(EvalError::other(
                    format!(
                        "tried to add all-outputs context of {}, which is not a derivation, to a string",
                        key.as_str()
                    ),
                    span,
                ));
            }
            context.insert(ContextElem::DrvDeep(path.clone()));
        }
        if let Some(v) = info.get(Symbol::intern("outputs")) {
            let outputs = m.force_list(v, span)?;
            if !outputs.is_empty() && !path.is_derivation() {
                return Err(EvalError::other(
                    format!(
                        "tried to add derivation output context of {}, which is not a derivation, to a string",
                        key.as_str()
                    ),
                    span,
                ));
            }
            for output in outputs.iter() {
                let name = m.force_string(output, span)?;
                let output = OutputName::new(&name.text)
                    .map_err(|e| EvalError::other(e.to_string(), span))?;
                context.insert(ContextElem::Built {
                    drv: path.clone(),
                    output,
                });
            }
        }
    }
    Ok(string(NixString::with_context(st.text.clone(), context)))
}

fn add_drv_output_dependencies(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    let st = m.force_string(&a[0], span)?;
    let mut elems = st.context_elems();
    let (Some(elem), None) = (elems.next(), elems.next()) else {
        return Err(EvalError::other(
            "context of string passed to 'addDrvOutputDependencies' must have exactly one element",
            span,
        ));
    };
    let elem = match elem {
        ContextElem::Opaque(path) if path.is_derivation() => ContextElem::DrvDeep(path.clone()),
        ContextElem::Opaque(path) => {
            return Err(EvalError::other(
                format!(
                    "path '{}' is not a derivation",
                    m.store_dir().display_path(path)
                ),
                span,
            ));
        }
        ContextElem::Built { drv, output } => {
            return Err(EvalError::other(
                format!(
                    "'addDrvOutputDependencies' requires a derivation path, not the output '{}' of '{}'",
                    output.as_str(),
                    m.store_dir().display_path(drv)
                ),
                span,
            ));
        }
        deep @ ContextElem::DrvDeep(_) => deep.clone(),
    };
    Ok(string(NixString::with_context(
        st.text.clone(),
        Context::from([elem]),
    )))
}
