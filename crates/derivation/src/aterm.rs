//! The ATerm text form of `.drv` files, byte for byte as Nix writes it:
//!
//! ```text
//! Derive([outputs],[input derivations],[input sources],"system","builder",[args],[env])
//! ```
//!
//! Outputs are `("name","path","hashAlgo","hash")`, input derivations
//! `("path",["output",…])`, env entries `("name","value")`; every list is in
//! byte order. Strings escape `"`, `\`, newline, carriage return and tab with
//! a backslash and carry every other byte as it is.

use std::collections::{BTreeMap, BTreeSet};

use bstr::BString;
use cairn_store::content_address::ContentAddress;
use cairn_store::hash::Hash;
use cairn_store::path::{StoreDir, StorePathName};

use crate::model::{ContentAddressMethod, Derivation, Output, OutputName};
use crate::{DerivationError, ParseError};

/// Writes `drv` as Nix writes it into a `.drv` file.
pub fn print(drv: &Derivation, store_dir: &StoreDir) -> Result<Vec<u8>, DerivationError> {
    let inputs: BTreeMap<String, &BTreeSet<OutputName>> = drv
        .input_derivations
        .iter()
        .map(|(path, outputs)| (store_dir.display_path(path), outputs))
        .collect();
    print_with_inputs(drv, store_dir, &inputs)
}

/// Writes `drv` with its input derivations given as `inputs`: keys in place
/// of the `.drv` paths. `hashDerivationModulo` uses this to put each input's
/// own modulo hash where its path would stand.
pub(crate) fn print_with_inputs(
    drv: &Derivation,
    store_dir: &StoreDir,
    inputs: &BTreeMap<String, &BTreeSet<OutputName>>,
) -> Result<Vec<u8>, DerivationError> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"Derive([");
    for (i, (name, output)) in drv.outputs.iter().enumerate() {
        comma(&mut out, i);
        let (path, hash_algo, hash) = output_fields(drv, store_dir, name, output)?;
        out.push(b'(');
        string(&mut out, name.as_str().as_bytes());
        out.push(b',');
        string(&mut out, path.as_bytes());
        out.push(b',');
        string(&mut out, hash_algo.as_bytes());
        out.push(b',');
        string(&mut out, hash.as_bytes());
        out.push(b')');
    }
    out.extend_from_slice(b"],[");
    for (i, (key, outputs)) in inputs.iter().enumerate() {
        comma(&mut out, i);
        out.push(b'(');
        string(&mut out, key.as_bytes());
        out.extend_from_slice(b",[");
        for (j, output) in outputs.iter().enumerate() {
            comma(&mut out, j);
            string(&mut out, output.as_str().as_bytes());
        }
        out.extend_from_slice(b"])");
    }
    out.extend_from_slice(b"],[");
    let sources: BTreeSet<String> = drv
        .input_sources
        .iter()
        .map(|p| store_dir.display_path(p))
        .collect();
    for (i, source) in sources.iter().enumerate() {
        comma(&mut out, i);
        string(&mut out, source.as_bytes());
    }
    out.extend_from_slice(b"],");
    string(&mut out, &drv.system);
    out.push(b',');
    string(&mut out, &drv.builder);
    out.extend_from_slice(b",[");
    for (i, arg) in drv.args.iter().enumerate() {
        comma(&mut out, i);
        string(&mut out, arg);
    }
    out.extend_from_slice(b"],[");
    for (i, (key, value)) in drv.env.iter().enumerate() {
        comma(&mut out, i);
        out.push(b'(');
        string(&mut out, key);
        out.push(b',');
        string(&mut out, value);
        out.push(b')');
    }
    out.extend_from_slice(b"])");
    Ok(out)
}

/// The `(path, hashAlgo, hash)` fields of one output.
fn output_fields(
    drv: &Derivation,
    store_dir: &StoreDir,
    name: &OutputName,
    output: &Output,
) -> Result<(String, String, String), DerivationError> {
    Ok(match output {
        Output::InputAddressed(path) => {
            (store_dir.display_path(path), String::new(), String::new())
        }
        Output::Deferred => Default::default(),
        Output::Fixed(ca) => {
            let path = crate::paths::fixed_output_path(store_dir, &drv.name, name, ca)?;
            let (algo, hash) = method_algo_and_hash(ca);
            (store_dir.display_path(&path), algo, hash.to_base16())
        }
        Output::Floating { method, algo } => (
            String::new(),
            format!("{}{algo}", method.prefix()),
            String::new(),
        ),
    })
}

/// The `hashAlgo` field (`r:sha256`, …) and the hash of a content address.
pub(crate) fn method_algo_and_hash(ca: &ContentAddress) -> (String, &Hash) {
    let hash = match ca {
        ContentAddress::Text(hash) | ContentAddress::Fixed { hash, .. } => hash,
    };
    let method = ContentAddressMethod::of(ca);
    (format!("{}{}", method.prefix(), hash.algo()), hash)
}

fn comma(out: &mut Vec<u8>, index: usize) {
    if index > 0 {
        out.push(b',');
    }
}

fn string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    let mut start = 0;
    for (i, &byte) in s.iter().enumerate() {
        let escaped: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            _ => continue,
        };
        out.extend_from_slice(&s[start..i]);
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

/// Parses a `.drv` file's contents. `name` is the derivation's name (the
/// `.drv` path's name without `.drv`), which the file does not contain.
pub fn parse(
    bytes: &[u8],
    store_dir: &StoreDir,
    name: StorePathName,
) -> Result<Derivation, DerivationError> {
    let mut p = Parser { bytes, pos: 0 };
    p.literal(b"Derive([")?;

    let mut outputs = BTreeMap::new();
    let mut raw_outputs = Vec::new();
    p.list_items(|p| {
        let start = p.pos;
        p.literal(b"(")?;
        let output_name = p.text()?;
        p.literal(b",")?;
        let path = p.text()?;
        p.literal(b",")?;
        let hash_algo = p.text()?;
        p.literal(b",")?;
        let hash = p.text()?;
        p.literal(b")")?;
        raw_outputs.push((start, output_name, path, hash_algo, hash));
        Ok(())
    })?;
    p.literal(b",[")?;

    let mut input_derivations = BTreeMap::new();
    p.list_items(|p| {
        let start = p.pos;
        p.literal(b"(")?;
        let path = p.text()?;
        let path = store_dir
            .parse_path(&path)
            .map_err(|e| p.error_at(start, e.to_string()))?;
        p.literal(b",[")?;
        let mut wanted = BTreeSet::new();
        p.list_items(|p| {
            let at = p.pos;
            let output = p.text()?;
            let output = OutputName::new(&output).map_err(|e| p.error_at(at, e.to_string()))?;
            if !wanted.insert(output) {
                return Err(p.error_at(at, "output named twice".to_owned()));
            }
            Ok(())
        })?;
        p.literal(b")")?;
        if input_derivations.insert(path, wanted).is_some() {
            return Err(p.error_at(start, "input derivation listed twice".to_owned()));
        }
        Ok(())
    })?;
    p.literal(b",[")?;

    let mut input_sources = BTreeSet::new();
    p.list_items(|p| {
        let at = p.pos;
        let path = p.text()?;
        let path = store_dir
            .parse_path(&path)
            .map_err(|e| p.error_at(at, e.to_string()))?;
        if !input_sources.insert(path) {
            return Err(p.error_at(at, "input source listed twice".to_owned()));
        }
        Ok(())
    })?;
    p.literal(b",")?;
    let system = p.bytes_string()?;
    p.literal(b",")?;
    let builder = p.bytes_string()?;
    p.literal(b",[")?;
    let mut args = Vec::new();
    p.list_items(|p| {
        args.push(p.bytes_string()?);
        Ok(())
    })?;
    p.literal(b",[")?;
    let mut env = BTreeMap::new();
    p.list_items(|p| {
        let at = p.pos;
        p.literal(b"(")?;
        let key = p.bytes_string()?;
        p.literal(b",")?;
        let value = p.bytes_string()?;
        p.literal(b")")?;
        if env.insert(key, value).is_some() {
            return Err(p.error_at(at, "environment variable set twice".to_owned()));
        }
        Ok(())
    })?;
    p.literal(b")")?;
    if p.pos != bytes.len() {
        return Err(p
            .error_at(p.pos, "trailing bytes after the derivation".to_owned())
            .into());
    }

    let mut drv = Derivation {
        name,
        outputs: BTreeMap::new(),
        input_derivations,
        input_sources,
        system,
        builder,
        args,
        env,
    };
    for (at, output_name, path, hash_algo, hash) in raw_outputs {
        let output_name =
            OutputName::new(&output_name).map_err(|e| p.error_at(at, e.to_string()))?;
        let output = parse_output(&drv, store_dir, &output_name, &path, &hash_algo, &hash)
            .map_err(|e| p.error_at(at, format!("output `{output_name}`: {e}")))?;
        if outputs.insert(output_name, output).is_some() {
            return Err(p.error_at(at, "output listed twice".to_owned()).into());
        }
    }
    if outputs.is_empty() {
        return Err(DerivationError::NoOutputs);
    }
    drv.outputs = outputs;
    Ok(drv)
}

fn parse_output(
    drv: &Derivation,
    store_dir: &StoreDir,
    name: &OutputName,
    path: &str,
    hash_algo: &str,
    hash: &str,
) -> Result<Output, DerivationError> {
    if hash_algo.is_empty() {
        if !hash.is_empty() {
            return Err(DerivationError::Invalid(
                "a hash without an algorithm".to_owned(),
            ));
        }
        return Ok(if path.is_empty() {
            Output::Deferred
        } else {
            Output::InputAddressed(store_dir.parse_path(path)?)
        });
    }
    let (method, algo) = ContentAddressMethod::parse_with_algo(hash_algo)?;
    if hash.is_empty() {
        return Ok(Output::Floating { method, algo });
    }
    let hash = Hash::parse(hash, Some(algo))?;
    let ca = method.with_hash(hash);
    // The path of a fixed output follows from its hash: a file that says
    // otherwise is corrupt, and keeping only the hash makes that state
    // unrepresentable.
    let expected = crate::paths::fixed_output_path(store_dir, &drv.name, name, &ca)?;
    if store_dir.parse_path(path)? != expected {
        return Err(DerivationError::Invalid(format!(
            "its path {path} is not the one its hash gives, {}",
            store_dir.display_path(&expected)
        )));
    }
    Ok(Output::Fixed(ca))
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error_at(&self, offset: usize, message: String) -> ParseError {
        ParseError { offset, message }
    }

    fn literal(&mut self, expected: &[u8]) -> Result<(), ParseError> {
        if self.bytes[self.pos..].starts_with(expected) {
            self.pos += expected.len();
            Ok(())
        } else {
            Err(self.error_at(
                self.pos,
                format!("expected `{}`", String::from_utf8_lossy(expected)),
            ))
        }
    }

    /// Items of a list whose `[` was consumed, up to and including `]`.
    fn list_items(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error_at(self.pos, "expected `,` or `]`".to_owned())),
            }
        }
    }

    fn bytes_string(&mut self) -> Result<BString, ParseError> {
        let start = self.pos;
        self.literal(b"\"")?;
        let mut out = Vec::new();
        loop {
            let Some(&byte) = self.bytes.get(self.pos) else {
                return Err(self.error_at(start, "unterminated string".to_owned()));
            };
            self.pos += 1;
            match byte {
                b'"' => return Ok(BString::from(out)),
                b'\\' => {
                    let Some(&escaped) = self.bytes.get(self.pos) else {
                        return Err(self.error_at(start, "unterminated string".to_owned()));
                    };
                    self.pos += 1;
                    out.push(match escaped {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        other => other,
                    });
                }
                other => out.push(other),
            }
        }
    }

    /// A string that must be UTF-8 (paths, output names, hashes).
    fn text(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        String::from_utf8(self.bytes_string()?.into())
            .map_err(|_| self.error_at(start, "expected UTF-8 text".to_owned()))
    }
}
