//! `cairn derivation show` against Nix 2.8's `nix show-derivation`: cairn
//! prints format version 3 (base names, `method` and `hashAlgo` apart),
//! Nix 2.8 version 1; after translating ours to version 1 both must agree
//! on every derivation of the corpus.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::Path;
use std::process::Command;

use cairn_testkit::Oracle;
use serde_json::{Map, Value, json};

const STORE_DIR: &str = "/nix/store";

fn full(base: &str) -> String {
    format!("{STORE_DIR}/{base}")
}

/// Our version-3 derivation in Nix 2.8's version-1 shape.
fn as_version_1(drv: &Value) -> Value {
    let mut outputs = Map::new();
    for (name, spec) in drv["outputs"].as_object().unwrap() {
        let mut v1 = Map::new();
        if let Some(path) = spec.get("path") {
            v1.insert("path".into(), json!(full(path.as_str().unwrap())));
        }
        if let (Some(method), Some(algo), Some(hash)) =
            (spec.get("method"), spec.get("hashAlgo"), spec.get("hash"))
        {
            let prefix = match method.as_str().unwrap() {
                "nar" => "r:",
                "text" => "text:",
                _ => "",
            };
            v1.insert(
                "hashAlgo".into(),
                json!(format!("{prefix}{}", algo.as_str().unwrap())),
            );
            v1.insert("hash".into(), hash.clone());
        }
        outputs.insert(name.clone(), Value::Object(v1));
    }
    let input_drvs: Map<String, Value> = drv["inputDrvs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, used)| (full(path), used["outputs"].clone()))
        .collect();
    let srcs: Vec<Value> = drv["inputSrcs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!(full(p.as_str().unwrap())))
        .collect();
    json!({
        "outputs": outputs,
        "inputSrcs": srcs,
        "inputDrvs": input_drvs,
        "system": drv["system"],
        "builder": drv["builder"],
        "args": drv["args"],
        "env": drv["env"],
    })
}

#[test]
fn show_agrees_with_nix_show_derivation() {
    let Some(nix) = Oracle::require("show_agrees_with_nix_show_derivation") else {
        return;
    };
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/drv-corpus");
    let scratch = tempfile::tempdir().unwrap();
    let store = scratch.path().join("store");
    let mut compared = 0;
    for file in ["fixed.nix", "structured.nix", "basics.nix"] {
        let printed = nix.run_ok(
            nix.command("nix-instantiate")
                .arg("--store")
                .arg(&store)
                .arg(file)
                .current_dir(&corpus),
        );
        let drvs: Vec<String> = String::from_utf8(printed)
            .unwrap()
            .lines()
            .map(|l| l.split('!').next().unwrap().to_owned())
            .collect();
        let theirs = nix.run_ok(
            nix.command("nix")
                .args(["show-derivation", "-r", "--store"])
                .arg(&store)
                .args(&drvs),
        );
        let ours = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .arg("--store")
            .arg(&store)
            .args(["derivation", "show", "-r"])
            .args(&drvs)
            .output()
            .unwrap();
        assert!(
            ours.status.success(),
            "{}",
            String::from_utf8_lossy(&ours.stderr)
        );
        let theirs: Map<String, Value> = serde_json::from_slice(&theirs).unwrap();
        let ours: Map<String, Value> = serde_json::from_slice(&ours.stdout).unwrap();
        assert_eq!(
            theirs.keys().collect::<Vec<_>>(),
            ours.keys().collect::<Vec<_>>(),
            "{file}"
        );
        for (path, drv) in &ours {
            assert_eq!(drv["version"], json!(3));
            assert_eq!(as_version_1(drv), theirs[path], "{path}");
            compared += 1;
        }
    }
    assert!(compared >= 90, "only {compared} derivations compared");
}
