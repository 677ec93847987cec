//! The JSON form of a derivation, as `nix derivation show` prints it.
//!
//! This follows version 3 of Nix's (experimental) derivation JSON format:
//! store paths are base names, a content-addressed output names its
//! method (`flat`, `nar`, `text`) and hash algorithm in separate fields,
//! and each input derivation lists the outputs used. Strings that are not
//! UTF-8 are shown with replacement characters.

use serde_json::{Map, Value, json};

use crate::DerivationError;
use crate::model::{ContentAddressMethod, Derivation, Output};
use cairn_store::content_address::ContentAddress;
use cairn_store::hash::Hash;
use cairn_store::path::StoreDir;

/// The format version written in the `version` field.
pub const JSON_VERSION: u64 = 3;

fn method_name(method: ContentAddressMethod) -> &'static str {
    match method {
        ContentAddressMethod::Flat => "flat",
        ContentAddressMethod::Recursive => "nar",
        ContentAddressMethod::Text => "text",
    }
}

fn text(bytes: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(bytes).into_owned())
}

impl Derivation {
    /// This derivation as a JSON object (see the module documentation);
    /// `store_dir` gives fixed outputs their paths.
    pub fn to_json(&self, store_dir: &StoreDir) -> Result<Value, DerivationError> {
        let mut outputs = Map::new();
        for (name, output) in &self.outputs {
            let spec = match output {
                Output::InputAddressed(path) => json!({ "path": path.to_string() }),
                Output::Deferred => json!({}),
                Output::Fixed(ca) => {
                    let method = ContentAddressMethod::of(ca);
                    let hash: &Hash = match ca {
                        ContentAddress::Text(hash) | ContentAddress::Fixed { hash, .. } => hash,
                    };
                    let path = crate::paths::fixed_output_path(store_dir, &self.name, name, ca)?;
                    json!({
                        "path": path.to_string(),
                        "method": method_name(method),
                        "hashAlgo": hash.algo().to_string(),
                        "hash": hash.to_base16(),
                    })
                }
                Output::Floating { method, algo } => json!({
                    "method": method_name(*method),
                    "hashAlgo": algo.to_string(),
                }),
            };
            outputs.insert(name.as_str().to_owned(), spec);
        }
        let input_drvs: Map<String, Value> = self
            .input_derivations
            .iter()
            .map(|(path, outputs)| {
                let names: Vec<&str> = outputs.iter().map(|o| o.as_str()).collect();
                (
                    path.to_string(),
                    json!({ "outputs": names, "dynamicOutputs": {} }),
                )
            })
            .collect();
        let env: Map<String, Value> = self
            .env
            .iter()
            .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), text(v)))
            .collect();
        Ok(json!({
            "name": self.name.as_str(),
            "version": JSON_VERSION,
            "outputs": outputs,
            "inputSrcs": self.input_sources.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            "inputDrvs": input_drvs,
            "system": text(&self.system),
            "builder": text(&self.builder),
            "args": self.args.iter().map(|a| text(a)).collect::<Vec<_>>(),
            "env": env,
        }))
    }
}
