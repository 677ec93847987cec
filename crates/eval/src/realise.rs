//! Reading files that are store paths, and import from derivation.
//!
//! A string such as `"${drv}/default.nix"` names a file inside a build
//! output. Before `import`, `readFile` and the other file builtins read it,
//! the store objects in the string's context must exist: sources and `.drv`
//! files must be valid, and missing derivation outputs are built (Nix's
//! `realiseContext`). Building during evaluation is "import from
//! derivation"; [`EvalOptions::allow_import_from_derivation`] turns it off.
//!
//! The path read is then the file's real location, which differs from the
//! logical one in a store kept under another root (`--store /tmp/s`).
//!
//! [`EvalOptions::allow_import_from_derivation`]: crate::EvalOptions::allow_import_from_derivation

use std::collections::{BTreeMap, BTreeSet};

use cairn_derivation::OutputName;
use cairn_store::path::StorePath;

use crate::context::ContextElem;
use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::instantiate::store_error;
use crate::span::Span;
use crate::value::{NixString, Value};

impl Machine {
    /// The local file an absolute-path argument of a file builtin names:
    /// its context made valid (building outputs if need be), a store path
    /// mapped to where the store keeps it.
    pub(crate) fn path_for_reading(&mut self, v: &Value, span: Span) -> EvalResult<String> {
        let st = self.coerce_to_string(v, false, false, span)?;
        if !st.text.starts_with('/') {
            return Err(EvalError::other(
                format!("string '{}' doesn't represent an absolute path", st.text),
                span,
            ));
        }
        self.realise_context(&st, span)?;
        if let Some(store) = self.store_state.store.as_deref_mut()
            && st.text.starts_with(store.store_dir().as_str())
        {
            // Files added a moment ago may still be being written.
            store.wait_written().map_err(|e| store_error(e, span))?;
        }
        Ok(self.real_location(&st.text))
    }

    /// Makes every store object `s` refers to valid: sources and `.drv`
    /// files must be there already; missing outputs are built.
    fn realise_context(&mut self, s: &NixString, span: Span) -> EvalResult<()> {
        let Some(context) = s.context.as_deref() else {
            return Ok(());
        };
        let mut missing: BTreeMap<StorePath, BTreeSet<OutputName>> = BTreeMap::new();
        for elem in context {
            match elem {
                ContextElem::Opaque(path) | ContextElem::DrvDeep(path) => {
                    if !self.is_valid_path(path, span)? {
                        return Err(EvalError::other(
                            format!(
                                "path '{}' is not valid",
                                self.store_dir().display_path(path)
                            ),
                            span,
                        ));
                    }
                }
                ContextElem::Built { drv, output } => {
                    let derivation = self.read_derivation(drv, span)?;
                    let paths = derivation
                        .output_paths(&self.store_dir())
                        .map_err(|e| EvalError::other(e.to_string(), span))?;
                    let path = paths.iter().find(|(name, _)| name == output);
                    let built = match path {
                        Some((_, path)) => self.is_valid_path(path, span)?,
                        None => false,
                    };
                    if !built {
                        missing
                            .entry(drv.clone())
                            .or_default()
                            .insert(output.clone());
                    }
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        if !self.opts.allow_import_from_derivation
            && let Some((drv, outputs)) = missing.first_key_value()
        {
            let outputs: Vec<&str> = outputs.iter().map(|o| o.as_str()).collect();
            return Err(EvalError::other(
                format!(
                    "cannot build '{}^{}' during evaluation because the option \
                     'allow-import-from-derivation' is disabled",
                    self.store_dir().display_path(drv),
                    outputs.join(",")
                ),
                span,
            ));
        }
        let store = self.store(span)?;
        store.build(&missing).map_err(|e| store_error(e, span))
    }

    /// Where the file at the logical path `path` is on this machine.
    fn real_location(&self, path: &str) -> String {
        let Some(store) = self.store_state.store.as_deref() else {
            return path.to_owned();
        };
        let store_dir = store.store_dir().as_str();
        let Some(rest) = path
            .strip_prefix(store_dir)
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            return path.to_owned();
        };
        let (base, inside) = rest.split_once('/').unwrap_or((rest, ""));
        let Ok(store_path) = StorePath::from_base_name(base) else {
            return path.to_owned();
        };
        let mut real = store.real_path(&store_path).to_string_lossy().into_owned();
        if !inside.is_empty() {
            real.push('/');
            real.push_str(inside);
        }
        real
    }
}
