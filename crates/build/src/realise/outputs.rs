//! After a successful builder: turn what it left in the staging directory
//! into path infos ready to register, as Nix 2.8's `registerOutputs` and
//! `checkOutputs` do — or say why the build is rejected.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use bstr::ByteSlice;
use cairn_derivation::{ContentAddressMethod, Derivation, OutputName};
use cairn_store::content_address::ContentAddress;
use cairn_store::hash::{HashAlgo, Hasher};
use cairn_store::local::register::{StagedOutput, canonicalise_output};
use cairn_store::nar::{self, HashMode};
use cairn_store::path::{StoreDir, StorePath};
use cairn_store::path_info::PathInfo;
use cairn_store::references::RefScanner;
use serde_json::Value;

/// Everything output processing needs, all owned so it can run on a worker.
#[derive(Debug, Clone)]
pub struct OutputContext {
    /// The store directory.
    pub store_dir: StoreDir,
    /// The derivation's `.drv` path: the outputs' deriver.
    pub drv_path: StorePath,
    /// The derivation.
    pub drv: Derivation,
    /// Each output's path.
    pub outputs: Vec<(OutputName, StorePath)>,
    /// The input closure with each path's info: what outputs may refer to,
    /// and the graph requisite checks walk.
    pub inputs: BTreeMap<StorePath, PathInfo>,
}

/// Canonicalises, scans, hashes and checks every output in `staging`, and
/// returns them ready to register. Any error means the build is rejected.
pub fn process_outputs(cx: &OutputContext, staging: &Path) -> Result<Vec<StagedOutput>, String> {
    let display = |p: &StorePath| cx.store_dir.display_path(p);
    let mut candidates: Vec<StorePath> = cx.inputs.keys().cloned().collect();
    candidates.extend(cx.outputs.iter().map(|(_, p)| p.clone()));
    let now = now();
    let mut staged = Vec::with_capacity(cx.outputs.len());
    for (name, path) in &cx.outputs {
        let real = staging.join(path.to_string());
        let meta = fs::symlink_metadata(&real).map_err(|_| {
            format!(
                "builder for '{}' failed to produce output path for output '{name}' at '{}'",
                display(&cx.drv_path),
                display(path)
            )
        })?;
        // Someone else may have written into a group- or world-writable output.
        if !meta.file_type().is_symlink() && meta.permissions().mode() & 0o022 != 0 {
            return Err(format!(
                "suspicious ownership or permission on '{}'; rejecting this build output",
                display(path)
            ));
        }
        canonicalise_output(&real).map_err(|e| e.to_string())?;
        let (references, nar_hash, nar_size) = scan_and_hash(&real, &candidates)
            .map_err(|e| format!("reading output '{name}': {e}"))?;
        let mut ca = None;
        if let Some(wanted) = cx.drv.fixed_output() {
            ca = Some(check_fixed(
                cx,
                wanted,
                &real,
                &meta,
                nar_hash,
                &references,
            )?);
        }
        staged.push(StagedOutput {
            staged: real,
            info: PathInfo {
                path: path.clone(),
                nar_hash,
                nar_size,
                references,
                deriver: Some(cx.drv_path.clone()),
                registration_time: now,
                ultimate: true,
                signatures: BTreeSet::new(),
                ca,
            },
            flushed: false,
        });
    }
    check_no_cycles(cx, &staged)?;
    check_references(cx, &staged)?;
    Ok(staged)
}

/// One pass over the NAR serialisation: the references found and the
/// SHA-256 and size.
fn scan_and_hash(
    path: &Path,
    candidates: &[StorePath],
) -> Result<(BTreeSet<StorePath>, cairn_store::Hash, u64), nar::DumpError> {
    struct Tee<'a> {
        scanner: &'a mut RefScanner,
        hasher: &'a mut Hasher,
        size: u64,
    }
    impl Write for Tee<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.scanner.update(buf);
            self.hasher.update(buf);
            self.size += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut scanner = RefScanner::for_paths(candidates);
    let mut hasher = Hasher::new(HashAlgo::Sha256);
    let mut tee = Tee {
        scanner: &mut scanner,
        hasher: &mut hasher,
        size: 0,
    };
    nar::dump_path(path, &mut tee)?;
    let size = tee.size;
    let found = scanner
        .found_indices()
        .into_iter()
        .filter_map(|i| candidates.get(i).cloned())
        .collect();
    Ok((found, hasher.finalize(), size))
}

fn check_fixed(
    cx: &OutputContext,
    wanted: &ContentAddress,
    real: &Path,
    meta: &fs::Metadata,
    nar_hash: cairn_store::Hash,
    references: &BTreeSet<StorePath>,
) -> Result<ContentAddress, String> {
    let drv = cx.store_dir.display_path(&cx.drv_path);
    let method = ContentAddressMethod::of(wanted);
    let wanted_hash = match wanted {
        ContentAddress::Text(h) | ContentAddress::Fixed { hash: h, .. } => *h,
    };
    if !references.is_empty() {
        let list: Vec<String> = references
            .iter()
            .map(|r| cx.store_dir.display_path(r))
            .collect();
        return Err(format!(
            "the fixed-output derivation '{drv}' must not refer to store paths, but its output refers to {}",
            list.join(", ")
        ));
    }
    let got = match method {
        ContentAddressMethod::Recursive if wanted_hash.algo() == HashAlgo::Sha256 => nar_hash,
        ContentAddressMethod::Recursive => {
            nar::hash_path(real, wanted_hash.algo(), HashMode::Recursive)
                .map_err(|e| e.to_string())?
                .0
        }
        ContentAddressMethod::Flat | ContentAddressMethod::Text => {
            if !meta.is_file() || meta.permissions().mode() & 0o100 != 0 {
                return Err(format!(
                    "output path '{}' should be a non-executable regular file since recursive hashing is not enabled (outputHashMode=flat)",
                    real.display()
                ));
            }
            nar::hash_path(real, wanted_hash.algo(), HashMode::Flat)
                .map_err(|e| e.to_string())?
                .0
        }
    };
    if got != wanted_hash {
        return Err(format!(
            "hash mismatch in fixed-output derivation '{drv}':\n  specified: {}\n     got:    {}",
            wanted_hash.to_sri(),
            got.to_sri()
        ));
    }
    Ok(method.with_hash(got))
}

/// Outputs may refer to each other, but not in a cycle (Nix could not
/// order them).
fn check_no_cycles(cx: &OutputContext, staged: &[StagedOutput]) -> Result<(), String> {
    let ours: BTreeSet<&StorePath> = staged.iter().map(|s| &s.info.path).collect();
    let refs: BTreeMap<&StorePath, Vec<&StorePath>> = staged
        .iter()
        .map(|s| {
            let others = s
                .info
                .references
                .iter()
                .filter(|r| *r != &s.info.path && ours.contains(r))
                .collect();
            (&s.info.path, others)
        })
        .collect();
    // Depth-first search with colours: 1 = on the stack, 2 = done.
    let mut colour: BTreeMap<&StorePath, u8> = BTreeMap::new();
    for start in refs.keys() {
        let mut stack = vec![(*start, 0usize)];
        while let Some((node, i)) = stack.pop() {
            if i == 0 {
                match colour.get(node) {
                    Some(2) => continue,
                    _ => {
                        colour.insert(node, 1);
                    }
                }
            }
            let next = refs.get(node).and_then(|r| r.get(i));
            match next {
                Some(child) => {
                    stack.push((node, i + 1));
                    match colour.get(child) {
                        Some(1) => {
                            return Err(format!(
                                "cycle detected in the references of '{}' from '{}'",
                                cx.store_dir.display_path(child),
                                cx.store_dir.display_path(node)
                            ));
                        }
                        Some(_) => {}
                        None => stack.push((child, 0)),
                    }
                }
                None => {
                    colour.insert(node, 2);
                }
            }
        }
    }
    Ok(())
}

/// A set of reference checks for one output (Nix's `Checks`).
#[derive(Default)]
struct Checks {
    ignore_self_refs: bool,
    max_size: Option<u64>,
    max_closure_size: Option<u64>,
    allowed_references: Option<Vec<String>>,
    allowed_requisites: Option<Vec<String>>,
    disallowed_references: Option<Vec<String>>,
    disallowed_requisites: Option<Vec<String>>,
}

/// `allowedReferences`, `allowedRequisites`, `disallowedReferences`,
/// `disallowedRequisites` (and, with structured attributes,
/// `outputChecks.<output>` with `maxSize` and `maxClosureSize`).
fn check_references(cx: &OutputContext, staged: &[StagedOutput]) -> Result<(), String> {
    let structured: Option<serde_json::Map<String, Value>> = cx
        .drv
        .env
        .get(b"__json".as_bstr())
        .and_then(|j| serde_json::from_slice(j).ok());
    let by_name: BTreeMap<&str, &PathInfo> = cx
        .outputs
        .iter()
        .zip(staged)
        .map(|((name, _), s)| (name.as_str(), &s.info))
        .collect();
    let by_path: BTreeMap<&StorePath, &PathInfo> = staged
        .iter()
        .map(|s| (&s.info.path, &s.info))
        .chain(cx.inputs.iter())
        .collect();
    let closure = |start: &StorePath| -> (BTreeSet<StorePath>, u64) {
        let mut done = BTreeSet::new();
        let mut size = 0;
        let mut todo = vec![start.clone()];
        while let Some(path) = todo.pop() {
            if !done.insert(path.clone()) {
                continue;
            }
            if let Some(info) = by_path.get(&path) {
                size += info.nar_size;
                todo.extend(info.references.iter().cloned());
            }
        }
        (done, size)
    };
    for ((name, _), output) in cx.outputs.iter().zip(staged) {
        let info = &output.info;
        let checks = match &structured {
            Some(attrs) => {
                let Some(Value::Object(spec)) =
                    attrs.get("outputChecks").and_then(|c| c.get(name.as_str()))
                else {
                    continue;
                };
                let list = |key: &str| -> Option<Vec<String>> {
                    spec.get(key).map(|v| match v {
                        Value::Array(items) => items
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_owned))
                            .collect(),
                        _ => Vec::new(),
                    })
                };
                Checks {
                    ignore_self_refs: spec
                        .get("ignoreSelfRefs")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    max_size: spec.get("maxSize").and_then(Value::as_u64),
                    max_closure_size: spec.get("maxClosureSize").and_then(Value::as_u64),
                    allowed_references: list("allowedReferences"),
                    allowed_requisites: list("allowedRequisites"),
                    disallowed_references: list("disallowedReferences"),
                    disallowed_requisites: list("disallowedRequisites"),
                }
            }
            None => {
                let list = |key: &str| -> Option<Vec<String>> {
                    cx.drv
                        .env
                        .get(key.as_bytes().as_bstr())
                        .map(|v| v.fields().map(|f| f.to_str_lossy().into_owned()).collect())
                };
                Checks {
                    ignore_self_refs: true,
                    allowed_references: list("allowedReferences"),
                    allowed_requisites: list("allowedRequisites"),
                    disallowed_references: list("disallowedReferences"),
                    disallowed_requisites: list("disallowedRequisites"),
                    ..Checks::default()
                }
            }
        };
        let shown = cx.store_dir.display_path(&info.path);
        if let Some(max) = checks.max_size
            && info.nar_size > max
        {
            return Err(format!(
                "path '{shown}' is too large at {} bytes; limit is {max} bytes",
                info.nar_size
            ));
        }
        if let Some(max) = checks.max_closure_size {
            let size = closure(&info.path).1;
            if size > max {
                return Err(format!(
                    "closure of path '{shown}' is too large at {size} bytes; limit is {max} bytes"
                ));
            }
        }
        let check =
            |value: &Option<Vec<String>>, allowed: bool, recursive: bool| -> Result<(), String> {
                let Some(value) = value else { return Ok(()) };
                let mut spec = BTreeSet::new();
                for item in value {
                    if let Ok(path) = cx.store_dir.parse_path(item) {
                        spec.insert(path);
                    } else if let Some(output) = by_name.get(item.as_str()) {
                        spec.insert(output.path.clone());
                    } else {
                        return Err(format!(
                            "derivation contains an illegal reference specifier '{item}'"
                        ));
                    }
                }
                let mut used = if recursive {
                    closure(&info.path).0
                } else {
                    info.references.clone()
                };
                if recursive && checks.ignore_self_refs {
                    used.remove(&info.path);
                }
                let bad: Vec<String> = used
                    .iter()
                    .filter(|p| spec.contains(*p) != allowed)
                    .map(|p| format!("\n  {}", cx.store_dir.display_path(p)))
                    .collect();
                if bad.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "output '{shown}' is not allowed to refer to the following paths:{}",
                        bad.concat()
                    ))
                }
            };
        check(&checks.allowed_references, true, false)?;
        check(&checks.allowed_requisites, true, true)?;
        check(&checks.disallowed_references, false, false)?;
        check(&checks.disallowed_requisites, false, true)?;
    }
    Ok(())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
