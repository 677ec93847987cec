//! `derivationStrict` and `derivation`: turning an attribute set into a
//! `.drv` file in the store.
//!
//! `derivationStrict` does the work: it coerces every attribute into the
//! environment (or, with `__structuredAttrs`, into one JSON document),
//! collects the string contexts into input derivations and sources, computes
//! the output paths and writes the `.drv`. `derivation` is a Nix function
//! around it (as in Nix), so that `drvPath` and `outPath` stay lazy and each
//! output is an attribute set of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use bstr::BString;
use cairn_derivation::{ContentAddressMethod, Derivation, Output, OutputName};
use cairn_store::hash::{Hash, HashAlgo};
use cairn_store::path::{StorePath, StorePathName};

use super::{Builtin, g};
use crate::context::{Context, ContextElem};
use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, NixString, Value};

pub(super) const BUILTINS: &[Builtin] = &[g("derivationStrict", 1, derivation_strict)];

/// The `derivation` function, in Nix: calls `derivationStrict` once, lazily,
/// and returns the first output's attribute set. Every output's set holds
/// the original attributes, all outputs by name, `all`, `drvAttrs`,
/// `drvPath`, `outPath`, `outputName` and `type = "derivation"`.
pub(crate) const DERIVATION_NIX: &str = r#"
drvAttrs@{ outputs ? [ "out" ], ... }:
let
  strict = derivationStrict drvAttrs;
  forOutput = outputName: {
    name = outputName;
    value = shared // {
      outPath = builtins.getAttr outputName strict;
      drvPath = strict.drvPath;
      type = "derivation";
      inherit outputName;
    };
  };
  byOutput = map forOutput outputs;
  shared = drvAttrs // builtins.listToAttrs byOutput // {
    all = map (output: output.value) byOutput;
    inherit drvAttrs;
  };
in (builtins.head byOutput).value
"#;

/// Attributes that choose how outputs are fixed.
#[derive(Default)]
struct FixedOutputAttrs {
    hash: Option<String>,
    algo: Option<String>,
    mode: Option<String>,
}

fn derivation_strict(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    let attrs = m.force_attrs(&a[0], span)?;
    let name_value = attrs.get(Symbol::intern("name")).cloned().ok_or_else(|| {
        EvalError::other(
            "attribute 'name' missing for call to 'derivationStrict'",
            span,
        )
    })?;
    let name = m.force_string(&name_value, span).map_err(|e| {
        e.with_frame(
            || "while evaluating the derivation attribute 'name'".to_owned(),
            Some(span),
        )
    })?;
    if name.has_context() {
        return Err(EvalError::other(
            format!(
                "the derivation name '{}' is not allowed to refer to a store path",
                name.text
            ),
            span,
        ));
    }
    let name = name.text.clone();
    build_derivation(m, &attrs, &name, span).map_err(|e| {
        e.with_frame(
            || format!("while evaluating the derivation '{name}'"),
            Some(span),
        )
    })
}

fn build_derivation(m: &mut Machine, attrs: &Attrs, name: &str, span: Span) -> EvalResult<Value> {
    let is_true = |m: &mut Machine, attr: &str| -> EvalResult<bool> {
        match attrs.get(Symbol::intern(attr)) {
            Some(v) => m.force_bool(v, span),
            None => Ok(false),
        }
    };
    let structured = is_true(m, "__structuredAttrs")?;
    let ignore_nulls = is_true(m, "__ignoreNulls")?;

    let mut env: BTreeMap<BString, BString> = BTreeMap::new();
    let mut json: Vec<(String, String)> = Vec::new();
    let mut context = NixString::default();
    let mut args: Vec<BString> = Vec::new();
    let mut builder: Option<String> = None;
    let mut system: Option<String> = None;
    let mut outputs: Option<Vec<String>> = None;
    let mut fixed = FixedOutputAttrs::default();

    for (sym, value) in attrs.sorted_by_name() {
        let key = sym.as_str();
        // Errors point at the attribute's definition when it is known.
        let span = attrs.position(sym).unwrap_or(span);
        if key == "__ignoreNulls" {
            continue;
        }
        let in_attr = |e: EvalError| {
            e.with_frame(
                || format!("while evaluating the attribute '{key}' of the derivation '{name}'"),
                Some(span),
            )
        };
        let value = m.force(value).map_err(in_attr)?;
        if ignore_nulls && matches!(value, Value::Null) {
            continue;
        }
        if key == "__contentAddressed" || key == "__impure" {
            return Err(in_attr(EvalError::other(
                format!("'{key}' needs an experimental Nix feature that cairn does not implement"),
                span,
            )));
        }
        if key == "args" {
            let list = m.force_list(&value, span).map_err(in_attr)?;
            for item in list.iter() {
                let s = m
                    .coerce_to_string(item, true, true, span)
                    .map_err(in_attr)?;
                context.add_context(&s.context);
                args.push(s.text.into());
            }
            continue;
        }
        if structured {
            if key == "__structuredAttrs" {
                continue;
            }
            let mut json_context = NixString::default();
            let text = m
                .to_json(&value, span, &mut json_context)
                .map_err(in_attr)?;
            context.add_context(&json_context.context);
            json.push((key.to_owned(), text));
            match key {
                "builder" | "system" | "outputHash" | "outputHashAlgo" | "outputHashMode" => {
                    let s = m.force_string(&value, span).map_err(in_attr)?;
                    record_special(key, s.text.clone(), &mut builder, &mut system, &mut fixed);
                }
                "outputs" => {
                    let list = m.force_list(&value, span).map_err(in_attr)?;
                    let mut names = Vec::with_capacity(list.len());
                    for item in list.iter() {
                        let s = m.force_string(item, span).map_err(in_attr)?;
                        names.push(s.text.clone());
                    }
                    outputs = Some(names);
                }
                _ => {}
            }
        } else {
            let s = m
                .coerce_to_string(&value, true, true, span)
                .map_err(in_attr)?;
            context.add_context(&s.context);
            match key {
                "builder" | "system" | "outputHash" | "outputHashAlgo" | "outputHashMode" => {
                    record_special(key, s.text.clone(), &mut builder, &mut system, &mut fixed);
                }
                "outputs" => {
                    outputs = Some(s.text.split_ascii_whitespace().map(str::to_owned).collect());
                }
                _ => {}
            }
            env.insert(key.into(), s.text.into());
        }
    }
    if structured {
        let mut doc = String::from("{");
        for (i, (key, value)) in json.iter().enumerate() {
            if i > 0 {
                doc.push(',');
            }
            doc.push_str(&serde_json::Value::String(key.clone()).to_string());
            doc.push(':');
            doc.push_str(value);
        }
        doc.push('}');
        env.insert("__json".into(), doc.into());
    }

    let builder =
        builder.ok_or_else(|| EvalError::other("required attribute 'builder' missing", span))?;
    let system =
        system.ok_or_else(|| EvalError::other("required attribute 'system' missing", span))?;
    if name.ends_with(".drv") {
        return Err(EvalError::other(
            "derivation names are not allowed to end in '.drv'",
            span,
        ));
    }
    let drv_name = StorePathName::new(name)
        .map_err(|e| EvalError::other(format!("invalid derivation name: {e}"), span))?;
    let output_names = check_outputs(outputs.unwrap_or_else(|| vec!["out".to_owned()]), span)?;

    let (input_derivations, input_sources) = inputs_from_context(m, &context, span)?;
    let mut drv = Derivation {
        name: drv_name,
        outputs: BTreeMap::new(),
        input_derivations,
        input_sources,
        system: system.into(),
        builder: builder.into(),
        args,
        env,
    };
    match fixed.hash {
        Some(hash) => {
            if output_names.len() != 1 || !output_names[0].is_out() {
                return Err(EvalError::other(
                    "multiple outputs are not supported in fixed-output derivations",
                    span,
                ));
            }
            let ca = fixed_output(&hash, fixed.algo.as_deref(), fixed.mode.as_deref(), span)?;
            let path = cairn_derivation::paths::fixed_output_path(
                &m.store_dir(),
                &drv.name,
                &OutputName::out(),
                &ca,
            )
            .map_err(|e| EvalError::other(e.to_string(), span))?;
            drv.env
                .insert("out".into(), m.store_dir().display_path(&path).into());
            drv.outputs.insert(OutputName::out(), Output::Fixed(ca));
        }
        None => {
            for output in output_names {
                drv.outputs.insert(output, Output::Deferred);
            }
        }
    }

    let drv_path = m.write_derivation(drv, span)?;
    let drv = m
        .derivation(&drv_path)
        .ok_or_else(|| EvalError::other("the derivation just written is gone", span))?;
    let store_dir = m.store_dir();
    let mut result = vec![(
        Symbol::intern("drvPath"),
        Value::String(Rc::new(NixString::with_context(
            store_dir.display_path(&drv_path),
            Context::from([ContextElem::DrvDeep(drv_path.clone())]),
        ))),
    )];
    let paths = drv
        .output_paths(&store_dir)
        .map_err(|e| EvalError::other(e.to_string(), span))?;
    for (output, path) in paths {
        let elem = ContextElem::Built {
            drv: drv_path.clone(),
            output: output.clone(),
        };
        result.push((
            Symbol::intern(output.as_str()),
            Value::String(Rc::new(NixString::with_context(
                store_dir.display_path(&path),
                Context::from([elem]),
            ))),
        ));
    }
    Ok(Value::Attrs(Rc::new(Attrs::from_unsorted(result))))
}

/// Records one of the attributes that shape the derivation itself.
fn record_special(
    key: &str,
    text: String,
    builder: &mut Option<String>,
    system: &mut Option<String>,
    fixed: &mut FixedOutputAttrs,
) {
    let slot = match key {
        "builder" => builder,
        "system" => system,
        "outputHash" => &mut fixed.hash,
        "outputHashAlgo" => &mut fixed.algo,
        _ => &mut fixed.mode,
    };
    *slot = Some(text);
}

/// Checks the `outputs` list: not empty, no duplicates, valid names.
fn check_outputs(names: Vec<String>, span: Span) -> EvalResult<Vec<OutputName>> {
    if names.is_empty() {
        return Err(EvalError::other(
            "derivation cannot have an empty set of outputs",
            span,
        ));
    }
    let mut seen = BTreeSet::new();
    let mut outputs = Vec::with_capacity(names.len());
    for name in names {
        if !seen.insert(name.clone()) {
            return Err(EvalError::other(
                format!("duplicate derivation output '{name}'"),
                span,
            ));
        }
        let output = OutputName::new(&name).map_err(|_| {
            EvalError::other(format!("invalid derivation output name '{name}'"), span)
        })?;
        outputs.push(output);
    }
    Ok(outputs)
}

/// The content address `outputHash`, `outputHashAlgo` and `outputHashMode`
/// declare.
fn fixed_output(
    hash: &str,
    algo: Option<&str>,
    mode: Option<&str>,
    span: Span,
) -> EvalResult<cairn_store::content_address::ContentAddress> {
    let algo = match algo {
        None | Some("") => None,
        Some(a) => Some(
            a.parse::<HashAlgo>()
                .map_err(|e| EvalError::other(e.to_string(), span))?,
        ),
    };
    let hash = if hash.is_empty() {
        // As Nix: an empty hash stands for the all-zero one, so that a first
        // build reports the real hash in its mismatch error.
        let algo = algo.unwrap_or(HashAlgo::Sha256);
        Hash::from_digest(algo, &vec![0; algo.size()])
    } else {
        Hash::parse(hash, algo)
    }
    .map_err(|e| EvalError::other(format!("invalid 'outputHash' '{hash}': {e}"), span))?;
    let method = match mode {
        None | Some("flat") => ContentAddressMethod::Flat,
        Some("recursive") => ContentAddressMethod::Recursive,
        Some("text") => ContentAddressMethod::Text,
        Some(other) => {
            return Err(EvalError::other(
                format!("invalid value '{other}' for 'outputHashMode' attribute"),
                span,
            ));
        }
    };
    if method == ContentAddressMethod::Text && hash.algo() != HashAlgo::Sha256 {
        return Err(EvalError::other(
            "a text-hashed output must use SHA-256",
            span,
        ));
    }
    Ok(method.with_hash(hash))
}

/// Input derivations with the outputs used of each.
type InputDerivations = BTreeMap<StorePath, BTreeSet<OutputName>>;

/// Splits a context into input derivations (with the outputs used) and
/// input sources, as Nix does: a `drvPath` reference brings in the
/// derivation's whole closure, every derivation in it with all outputs.
fn inputs_from_context(
    m: &mut Machine,
    context: &NixString,
    span: Span,
) -> EvalResult<(InputDerivations, BTreeSet<StorePath>)> {
    let mut derivations = InputDerivations::new();
    let mut sources = BTreeSet::new();
    for elem in context.context_elems() {
        match elem {
            ContextElem::Opaque(path) => {
                sources.insert(path.clone());
            }
            ContextElem::Built { drv, output } => {
                derivations
                    .entry(drv.clone())
                    .or_default()
                    .insert(output.clone());
            }
            ContextElem::DrvDeep(drv) => {
                for path in m.closure([drv.clone()], span)? {
                    if path.is_derivation() {
                        let outputs = m
                            .read_derivation(&path, span)?
                            .outputs
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>();
                        derivations.entry(path.clone()).or_default().extend(outputs);
                    }
                    sources.insert(path);
                }
            }
        }
    }
    Ok((derivations, sources))
}
