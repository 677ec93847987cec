//! From a derivation to what its builder sees: the environment, the files
//! in `/build` (`passAsFile`, `exportReferencesGraph`, structured
//! attributes) and the arguments, all as Nix 2.8's `initEnv`,
//! `initTmpDir`, `writeStructuredAttrs` and `startBuilder` make them.

use std::collections::{BTreeMap, BTreeSet};

use bstr::{BString, ByteSlice};
use cairn_derivation::{Derivation, OutputName};
use cairn_store::hash::{Hash, HashAlgo};
use cairn_store::nixbase32;
use cairn_store::path::{StoreDir, StorePath};
use cairn_store::path_info::PathInfo;
use serde_json::Value;

use super::BuildError;
use super::attrs;

/// The build directory as the builder sees it (Nix's `sandbox-build-dir`).
pub const BUILD_DIR: &str = "/build";
/// `HOME` in every build: a path that does not exist.
pub const HOMELESS: &str = "/homeless-shelter";

/// Nix's `hashPlaceholder`: the string `builtins.placeholder` gives for an
/// output, replaced by the output's path wherever the builder sees it.
pub fn placeholder(output: &OutputName) -> String {
    let hash = Hash::of(HashAlgo::Sha256, format!("nix-output:{output}").as_bytes());
    format!("/{}", nixbase32::encode(hash.digest()))
}

/// The name of the file a `passAsFile` attribute is written to.
pub fn pass_as_file_name(attribute: &[u8]) -> String {
    let hash = Hash::of(HashAlgo::Sha256, attribute);
    format!(".attr-{}", nixbase32::encode(hash.digest()))
}

/// What the builder gets, apart from its inputs.
#[derive(Debug, Default)]
pub struct BuilderSetup {
    /// The complete environment.
    pub env: BTreeMap<BString, BString>,
    /// The arguments, placeholders replaced.
    pub args: Vec<BString>,
    /// Files to create in the build directory: (name, contents, owned by
    /// the builder).
    pub files: Vec<(String, Vec<u8>, bool)>,
}

/// Gives the closure `exportReferencesGraph` exports for a set of paths
/// (with the outputs of derivations in it), each path with its info.
pub type ExportFn<'a> = dyn FnMut(&BTreeSet<StorePath>) -> Result<Vec<PathInfo>, BuildError> + 'a;

/// What setup needs to know beyond the derivation.
pub struct SetupContext<'a> {
    /// The store directory.
    pub store_dir: &'a StoreDir,
    /// The derivation's `.drv` path (for messages).
    pub drv_path: &'a StorePath,
    /// Each output's path.
    pub outputs: &'a [(OutputName, StorePath)],
    /// `NIX_BUILD_CORES`.
    pub cores: usize,
    /// The build directory as the builder sees it: [`BUILD_DIR`] in the
    /// sandbox, its real path outside.
    pub build_top: &'a str,
    /// The input closure: what `exportReferencesGraph` may name.
    pub inputs: &'a BTreeSet<StorePath>,
    /// The closure `exportReferencesGraph` exports for a set of paths (with
    /// the outputs of derivations in it), each path with its info.
    pub export: &'a mut ExportFn<'a>,
    /// Reads the caller's environment (for `impureEnvVars`).
    pub caller_env: &'a dyn Fn(&str) -> Option<BString>,
}

/// Computes the builder's environment, arguments and build-directory files.
pub fn builder_setup(
    drv: &Derivation,
    cx: &mut SetupContext<'_>,
) -> Result<BuilderSetup, BuildError> {
    let rewrites: Vec<(String, String)> = cx
        .outputs
        .iter()
        .map(|(name, path)| (placeholder(name), cx.store_dir.display_path(path)))
        .collect();
    let rewrite = |s: &[u8]| -> BString {
        let mut s = BString::from(s);
        for (from, to) in &rewrites {
            if s.find(from.as_bytes()).is_some() {
                s = BString::from(s.replace(from.as_bytes(), to.as_bytes()));
            }
        }
        s
    };
    let structured = match drv.env.get(b"__json".as_bstr()) {
        Some(json) => Some(parse_structured(json, cx.drv_path, cx.store_dir)?),
        None => None,
    };

    let mut setup = BuilderSetup::default();
    let env = &mut setup.env;
    let set = |env: &mut BTreeMap<BString, BString>, k: &str, v: &str| {
        env.insert(k.into(), v.into());
    };
    // initEnv, in its order: later settings win.
    set(env, "PATH", "/path-not-set");
    set(env, "HOME", HOMELESS);
    set(env, "NIX_STORE", cx.store_dir.as_str());
    set(env, "NIX_BUILD_CORES", &cx.cores.to_string());
    // initTmpDir
    if structured.is_none() {
        let pass_as_file: BTreeSet<&[u8]> = drv
            .env
            .get(b"passAsFile".as_bstr())
            .map(|v| v.fields().collect())
            .unwrap_or_default();
        for (key, value) in &drv.env {
            if pass_as_file.contains(key.as_bytes()) {
                let file = pass_as_file_name(key);
                setup
                    .files
                    .push((file.clone(), rewrite(value).into(), true));
                let mut name = key.clone();
                name.extend_from_slice(b"Path");
                env.insert(name, format!("{}/{file}", cx.build_top).into());
            } else {
                env.insert(key.clone(), value.clone());
            }
        }
    }
    for key in ["NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD"] {
        set(env, key, cx.build_top);
    }
    let fixed = drv.fixed_output().is_some();
    if fixed {
        set(env, "NIX_OUTPUT_CHECKED", "1");
        let impure: Vec<String> = match &structured {
            Some(attrs) => string_list(attrs.get("impureEnvVars")),
            None => drv
                .env
                .get(b"impureEnvVars".as_bstr())
                .map(|v| v.fields().map(|f| f.to_str_lossy().into_owned()).collect())
                .unwrap_or_default(),
        };
        for name in impure {
            let value = (cx.caller_env)(&name).unwrap_or_default();
            env.insert(name.into(), value);
        }
    }
    set(env, "NIX_LOG_FD", "2");
    set(env, "TERM", "xterm-256color");

    match structured {
        Some(mut attrs) => {
            let mut outputs = serde_json::Map::new();
            for (name, path) in cx.outputs {
                outputs.insert(
                    name.to_string(),
                    Value::String(cx.store_dir.display_path(path)),
                );
            }
            attrs.insert("outputs".into(), Value::Object(outputs));
            if let Some(Value::Object(graphs)) = attrs.get("exportReferencesGraph").cloned() {
                for (key, paths) in graphs {
                    let names = match &paths {
                        Value::Array(items) => items.iter().collect(),
                        other => vec![other],
                    };
                    let mut wanted = BTreeSet::new();
                    for name in names {
                        let Value::String(text) = name else {
                            return Err(BuildError::invalid(
                                cx.drv_path,
                                cx.store_dir,
                                format!("'exportReferencesGraph.{key}' must hold store paths"),
                            ));
                        };
                        wanted.insert(export_path(cx, text, false)?);
                    }
                    let infos = (cx.export)(&wanted)?;
                    let json = infos
                        .iter()
                        .map(|info| path_info_json(info, &infos, cx.store_dir))
                        .collect();
                    attrs.insert(key, Value::Array(json));
                }
            }
            let shell = attrs::shell_file(&attrs);
            setup
                .files
                .push((".attrs.sh".into(), rewrite(shell.as_bytes()).into(), true));
            let json = attrs::dump_json(&Value::Object(attrs));
            setup
                .files
                .push((".attrs.json".into(), rewrite(json.as_bytes()).into(), true));
            // Nix 2.8 names host paths here (a bug, fixed later); current Nix
            // names the files where the builder can open them.
            set(
                env,
                "NIX_ATTRS_SH_FILE",
                &format!("{}/.attrs.sh", cx.build_top),
            );
            set(
                env,
                "NIX_ATTRS_JSON_FILE",
                &format!("{}/.attrs.json", cx.build_top),
            );
        }
        None => {
            if let Some(spec) = drv.env.get(b"exportReferencesGraph".as_bstr()) {
                let tokens: Vec<&[u8]> = spec.fields().collect();
                if !tokens.len().is_multiple_of(2) {
                    return Err(BuildError::invalid(
                        cx.drv_path,
                        cx.store_dir,
                        format!("odd number of tokens in 'exportReferencesGraph': '{spec}'"),
                    ));
                }
                for pair in tokens.chunks(2) {
                    let (file, path) = (pair[0].to_str_lossy(), pair[1].to_str_lossy());
                    if !is_export_file_name(&file) {
                        return Err(BuildError::invalid(
                            cx.drv_path,
                            cx.store_dir,
                            format!("invalid file name '{file}' in 'exportReferencesGraph'"),
                        ));
                    }
                    let path = export_path(cx, &path, true)?;
                    let infos = (cx.export)(&BTreeSet::from([path]))?;
                    setup.files.push((
                        file.into_owned(),
                        validity_registration(&infos, cx.store_dir),
                        false,
                    ));
                }
            }
        }
    }
    for (key, value) in setup.env.iter_mut() {
        let _ = key;
        *value = rewrite(value);
    }
    setup.args = drv.args.iter().map(|a| rewrite(a)).collect();
    Ok(setup)
}

fn parse_structured(
    json: &BString,
    drv_path: &StorePath,
    store_dir: &StoreDir,
) -> Result<serde_json::Map<String, Value>, BuildError> {
    match serde_json::from_slice::<Value>(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BuildError::invalid(
            drv_path,
            store_dir,
            "'__json' is not a JSON object".into(),
        )),
        Err(e) => Err(BuildError::invalid(
            drv_path,
            store_dir,
            format!("'__json' is not valid JSON: {e}"),
        )),
    }
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn is_export_file_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The store path `text` names; with `inside`, a path inside a store path
/// names that store path (as Nix's `toStorePath`). It must be an input.
fn export_path(cx: &SetupContext<'_>, text: &str, inside: bool) -> Result<StorePath, BuildError> {
    let parsed = if inside {
        cx.store_dir.store_path_of(text)
    } else {
        cx.store_dir.parse_path(text)
    };
    let path = parsed.map_err(|_| {
        BuildError::invalid(
            cx.drv_path,
            cx.store_dir,
            format!("'exportReferencesGraph' contains a non-store path '{text}'"),
        )
    })?;
    if !cx.inputs.contains(&path) {
        return Err(BuildError::invalid(
            cx.drv_path,
            cx.store_dir,
            format!(
                "cannot export references of path '{}' because it is not in the input closure of the derivation",
                cx.store_dir.display_path(&path)
            ),
        ));
    }
    Ok(path)
}

/// `nix-store --dump-db`-style registration text without hashes or
/// derivers, as Nix writes for `exportReferencesGraph`.
fn validity_registration(infos: &[PathInfo], store_dir: &StoreDir) -> Vec<u8> {
    let mut out = String::new();
    for info in infos {
        out.push_str(&store_dir.display_path(&info.path));
        out.push_str("\n\n");
        out.push_str(&format!("{}\n", info.references.len()));
        for reference in &info.references {
            out.push_str(&store_dir.display_path(reference));
            out.push('\n');
        }
    }
    out.into_bytes()
}

/// A path's info as Nix's `pathInfoToJSON` without impure fields and with
/// the closure size.
fn path_info_json(info: &PathInfo, all: &[PathInfo], store_dir: &StoreDir) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(
        "path".into(),
        Value::String(store_dir.display_path(&info.path)),
    );
    map.insert("narHash".into(), Value::String(info.nar_hash.to_string()));
    map.insert("narSize".into(), Value::from(info.nar_size));
    map.insert(
        "references".into(),
        Value::Array(
            info.references
                .iter()
                .map(|r| Value::String(store_dir.display_path(r)))
                .collect(),
        ),
    );
    if let Some(ca) = &info.ca {
        map.insert("ca".into(), Value::String(ca.to_string()));
    }
    let by_path: BTreeMap<&StorePath, &PathInfo> = all.iter().map(|i| (&i.path, i)).collect();
    let mut seen = BTreeSet::new();
    let mut todo = vec![&info.path];
    let mut size = 0u64;
    while let Some(path) = todo.pop() {
        if !seen.insert(path) {
            continue;
        }
        if let Some(i) = by_path.get(path) {
            size += i.nar_size;
            todo.extend(i.references.iter());
        }
    }
    map.insert("closureSize".into(), Value::from(size));
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Names Nix 2.8 gave these attributes in a probe build.
    #[test]
    fn pass_as_file_names_match_nix() {
        assert_eq!(
            pass_as_file_name(b"big"),
            ".attr-1lak0mvllw8rv9i9ygkglvhqsq19qi9ynl4bi7gbf69ab5nzw89a"
        );
        assert_eq!(
            pass_as_file_name(b"other"),
            ".attr-1yng5xdkybsglm9mszm44zpkq3qvcjn5vn2bvhvmhwxhs488lafr"
        );
    }

    #[test]
    fn placeholder_of_out_is_nixs() {
        // `builtins.placeholder "out"` in Nix.
        assert_eq!(
            placeholder(&OutputName::out()),
            "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"
        );
    }
}
