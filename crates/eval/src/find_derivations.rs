//! Finding the derivations in a value, as `nix-instantiate` and `nix-build`
//! do: a derivation itself; in a set, every attribute that is a derivation
//! (entering nested sets only when they say `recurseForDerivations = true`);
//! in a list, every element (entering nested lists and sets).

use rustc_hash::FxHashSet;

use cairn_store::path::StorePath;

use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::symbol::Symbol;
use crate::value::{Attrs, Value};
use crate::{Evaluator, NixString};

/// A derivation found in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDerivation {
    /// Where it was found (`hello`, `pkgs.hello`, `0`); empty for the value itself.
    pub attr_path: String,
    /// Its `.drv` file.
    pub drv_path: StorePath,
    /// The output the value stands for (its `outputName`).
    pub output_name: String,
}

/// Attribute names a search enters; others (`foo bar`, `${x}`) are skipped,
/// as Nix skips them.
fn is_searchable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

impl Evaluator {
    /// The derivations in `v` (see the module docs), each once, in Nix's
    /// order. Functions met on the way are called with `auto_args` as
    /// [`Evaluator::auto_call`] does.
    pub fn find_derivations(
        &mut self,
        v: &Value,
        auto_args: &[(String, Value)],
    ) -> EvalResult<Vec<FoundDerivation>> {
        let mut found = Vec::new();
        let mut seen = FxHashSet::default();
        self.search(v, String::new(), auto_args, &mut found, &mut seen)?;
        Ok(found)
    }

    fn search(
        &mut self,
        v: &Value,
        prefix: String,
        auto_args: &[(String, Value)],
        found: &mut Vec<FoundDerivation>,
        seen: &mut FxHashSet<usize>,
    ) -> EvalResult<()> {
        let v = self.auto_call(v, auto_args)?;
        if self.take_if_derivation(&v, &prefix, found, seen)? {
            return Ok(());
        }
        match &v {
            Value::Attrs(attrs) => {
                for (name, item) in attrs.sorted_by_name() {
                    if !is_searchable_name(name.as_str()) {
                        continue;
                    }
                    let path = join(&prefix, name.as_str());
                    let item = self.machine.force(item)?;
                    if self.take_if_derivation(&item, &path, found, seen)? {
                        continue;
                    }
                    if let Value::Attrs(inner) = &item
                        && self.recurses(inner)?
                    {
                        self.search(&item, path, auto_args, found, seen)?;
                    }
                }
                Ok(())
            }
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = join(&prefix, &i.to_string());
                    let item = self.machine.force(item)?;
                    if !self.take_if_derivation(&item, &path, found, seen)? {
                        self.search(&item, path, auto_args, found, seen)?;
                    }
                }
                Ok(())
            }
            _ => Err(EvalError::new(
                ErrorKind::Other(
                    "expression does not evaluate to a derivation (or a set or list of those)"
                        .into(),
                ),
                None,
            )),
        }
    }

    fn recurses(&mut self, attrs: &Attrs) -> EvalResult<bool> {
        match attrs.get(Symbol::intern("recurseForDerivations")) {
            Some(flag) => match self.machine.force(flag)? {
                Value::Bool(b) => Ok(b),
                other => Err(EvalError::new(
                    ErrorKind::Type {
                        expected: "a Boolean",
                        found: other.show_type(),
                    },
                    None,
                )),
            },
            None => Ok(false),
        }
    }

    /// If `v` is a derivation, records it (once) and returns true.
    fn take_if_derivation(
        &mut self,
        v: &Value,
        attr_path: &str,
        found: &mut Vec<FoundDerivation>,
        seen: &mut FxHashSet<usize>,
    ) -> EvalResult<bool> {
        let v = self.machine.force(v)?;
        let Value::Attrs(attrs) = &v else {
            return Ok(false);
        };
        let is_derivation = match attrs.get(Symbol::intern("type")) {
            Some(t) => matches!(self.machine.force(t)?, Value::String(s) if s.text == "derivation"),
            None => false,
        };
        if !is_derivation {
            return Ok(false);
        }
        if !seen.insert(std::rc::Rc::as_ptr(attrs) as usize) {
            return Ok(true);
        }
        let drv_path = self.string_attr(attrs, "drvPath")?.ok_or_else(|| {
            EvalError::new(
                ErrorKind::Other(format!(
                    "derivation '{attr_path}' has no 'drvPath' attribute"
                )),
                None,
            )
        })?;
        let drv_path = self
            .machine
            .store_dir()
            .parse_path(&drv_path.text)
            .map_err(|e| {
                EvalError::new(
                    ErrorKind::Other(format!(
                        "the 'drvPath' of '{attr_path}' is not a store path: {e}"
                    )),
                    None,
                )
            })?;
        let output_name = self
            .string_attr(attrs, "outputName")?
            .map(|s| s.text)
            .unwrap_or_default();
        found.push(FoundDerivation {
            attr_path: attr_path.to_owned(),
            drv_path,
            output_name,
        });
        Ok(true)
    }

    fn string_attr(&mut self, attrs: &Attrs, name: &str) -> EvalResult<Option<NixString>> {
        let Some(v) = attrs.get(Symbol::intern(name)) else {
            return Ok(None);
        };
        let span = crate::span::Span {
            file: crate::span::FileId(0),
            start: 0,
            end: 0,
        };
        let s = self.machine.coerce_to_string(v, false, false, span)?;
        Ok(Some(s))
    }
}
