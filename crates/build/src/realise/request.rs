//! What `nix-build` asks for and what it leaves behind: one derivation
//! output per value found (its `outputName`), grouped into [`Target`]s, and
//! after the build one printed path and one result link per request.
//!
//! nix-build numbers the derivations in the order they are first requested:
//! the first one's links are `result`, `result-dev`, …, the second's
//! `result-2`, `result-2-dev`, …; an output named `out` gets no suffix. The
//! same output requested twice is printed (and linked) twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bstr::ByteSlice;
use cairn_derivation::OutputName;
use cairn_store::local::LocalStore;
use cairn_store::path::StorePath;

use super::{BuildError, OutputSelection, RealiseReport, Target, graph};

/// One derivation output asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The `.drv` store path.
    pub drv: StorePath,
    /// The output wanted of it.
    pub output: OutputName,
}

impl Request {
    /// The requests a `.drv` argument stands for, as nix-build reads one:
    /// `PATH.drv` (or a link to it) is the output named by the derivation's
    /// `outputName` variable, else `out`; `PATH.drv!dev` names one output.
    /// cairn also takes `!a,b` and `!*` (every output), one request each.
    pub fn from_drv_arg(store: &LocalStore, text: &str) -> Result<Vec<Request>, BuildError> {
        let explicit = text.rsplit_once('!').is_some();
        let target = Target::resolve(store, text)?;
        let drv = graph::read_derivation(store, &target.drv)?;
        let shown = || store.store_dir().display_path(&target.drv);
        let names: Vec<OutputName> = match target.outputs {
            OutputSelection::Names(names) => names.into_iter().collect(),
            OutputSelection::All if explicit => drv.outputs.keys().cloned().collect(),
            OutputSelection::All => {
                let name = drv
                    .env
                    .get(b"outputName".as_bstr())
                    .map_or_else(|| "out".to_owned(), |v| v.to_str_lossy().into_owned());
                vec![
                    OutputName::new(&name).map_err(|source| BuildError::Derivation {
                        path: shown(),
                        source,
                    })?,
                ]
            }
        };
        for name in &names {
            if !drv.outputs.contains_key(name) {
                return Err(BuildError::NoSuchOutput {
                    drv: shown(),
                    output: name.to_string(),
                });
            }
        }
        Ok(names
            .into_iter()
            .map(|output| Request {
                drv: target.drv.clone(),
                output,
            })
            .collect())
    }
}

/// The targets to realise for `requests`: one per derivation, in the order
/// first requested, with every output requested of it.
pub fn targets(requests: &[Request]) -> Vec<Target> {
    let mut order: Vec<&StorePath> = Vec::new();
    let mut wanted: BTreeMap<&StorePath, std::collections::BTreeSet<OutputName>> = BTreeMap::new();
    for request in requests {
        let outputs = wanted.entry(&request.drv).or_insert_with(|| {
            order.push(&request.drv);
            Default::default()
        });
        outputs.insert(request.output.clone());
    }
    order
        .into_iter()
        .map(|drv| Target {
            drv: drv.clone(),
            outputs: OutputSelection::Names(wanted.remove(drv).unwrap_or_default()),
        })
        .collect()
}

/// One request's result: the output path and the link nix-build names
/// after `prefix` for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestResult {
    /// The output's store path.
    pub path: StorePath,
    /// `prefix`, `prefix-dev`, `prefix-2`, `prefix-2-dev`, …
    pub link: PathBuf,
}

/// The result of each request, in order, once `report` (of realising
/// [`targets`]`(requests)`) succeeded; `None` for a request whose output
/// is not in the report.
pub fn results(
    prefix: &Path,
    requests: &[Request],
    report: &RealiseReport,
) -> Vec<Option<RequestResult>> {
    let paths: BTreeMap<(&StorePath, &OutputName), &StorePath> = report
        .outputs
        .iter()
        .flat_map(|(drv, outputs)| outputs.iter().map(move |(name, path)| ((drv, name), path)))
        .collect();
    let mut numbers: BTreeMap<&StorePath, usize> = BTreeMap::new();
    requests
        .iter()
        .map(|request| {
            let count = numbers.len();
            let number = *numbers.entry(&request.drv).or_insert(count);
            let path = paths.get(&(&request.drv, &request.output))?;
            Some(RequestResult {
                path: (*path).clone(),
                link: link_name(prefix, number, &request.output),
            })
        })
        .collect()
}

/// nix-build's link for output `output` of the `number`th (from 0)
/// derivation requested.
pub fn link_name(prefix: &Path, number: usize, output: &OutputName) -> PathBuf {
    let mut link = prefix.as_os_str().to_owned();
    if number > 0 {
        link.push(format!("-{}", number + 1));
    }
    if !output.is_out() {
        link.push("-");
        link.push(output.as_str());
    }
    PathBuf::from(link)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is the failure report

    use super::*;

    fn path(name: &str) -> StorePath {
        StorePath::from_base_name(name).unwrap()
    }

    fn request(drv: &StorePath, output: &str) -> Request {
        Request {
            drv: drv.clone(),
            output: OutputName::new(output).unwrap(),
        }
    }

    #[test]
    fn links_are_numbered_per_derivation_in_request_order() {
        let a = path("7gl2hzqwm7zpvhsqi0mmcwi4r1xl1jk8-a.drv");
        let b = path("1p9q0bz6f22dyxh4lw8xs08p4201vyq4-b.drv");
        let requests = vec![
            request(&b, "out"),
            request(&a, "dev"),
            request(&b, "lib"),
            request(&a, "out"),
            request(&b, "out"),
        ];
        let found = targets(&requests);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].drv, b);
        assert_eq!(
            found[0].outputs,
            OutputSelection::Names(
                ["out", "lib"]
                    .iter()
                    .map(|n| OutputName::new(n).unwrap())
                    .collect()
            )
        );
        let out = |name: &str| path(&format!("x0sj6ynccvc1a8kxr8fifnlf7qlxw6hd-{name}"));
        let named = |names: &[(&str, &str)]| {
            names
                .iter()
                .map(|(o, p)| (OutputName::new(o).unwrap(), out(p)))
                .collect()
        };
        let report = RealiseReport {
            outputs: vec![
                (b.clone(), named(&[("out", "b"), ("lib", "b-lib")])),
                (a.clone(), named(&[("out", "a"), ("dev", "a-dev")])),
            ],
            ..RealiseReport::default()
        };
        let links: Vec<(String, String)> = results(Path::new("dir/result"), &requests, &report)
            .into_iter()
            .map(|r| {
                let r = r.unwrap();
                (
                    r.link.to_string_lossy().into_owned(),
                    r.path.name().as_str().to_owned(),
                )
            })
            .collect();
        let want = [
            ("dir/result", "b"),
            ("dir/result-2-dev", "a-dev"),
            ("dir/result-lib", "b-lib"),
            ("dir/result-2", "a"),
            ("dir/result", "b"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(l, p)| ((*l).to_owned(), (*p).to_owned()))
            .collect();
        assert_eq!(links, want);
    }
}
