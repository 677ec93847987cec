//! Differential tests against real Nix: narinfos, keys and signatures.
//!
//! Every test builds a small chroot store with the oracle, so the host's
//! `/nix/store` is never touched.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use cairn_cache::{NarInfo, NixCacheInfo, PublicKey, SecretKey, Signature, TrustedKeys};
use cairn_store::hash::Hash;
use cairn_store::path::{StoreDir, StorePath};
use cairn_testkit::Oracle;

/// A chroot store with a few paths covering every narinfo field Nix writes.
struct Fixture {
    oracle: Oracle,
    dir: tempfile::TempDir,
    /// `a.txt`, added with `nix-store --add`: CA, no references, no deriver.
    added: String,
    /// Built paths and their closure: a text file with a reference, a
    /// derivation output with references and a deriver, one with a
    /// self-reference, a flat fixed output.
    built: Vec<String>,
}

impl Fixture {
    fn new(oracle: Oracle) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        fs::write(&file, "hello\n").unwrap();
        let mut fixture = Fixture {
            oracle,
            dir,
            added: String::new(),
            built: Vec::new(),
        };
        let out = fixture.run(fixture.nix("nix-store").arg("--add").arg(&file));
        fixture.added = out.trim().to_owned();
        let expr = format!(
            r#"let a = builtins.storePath "{a}";
                   t = builtins.toFile "t" "ref ${{a}}";
               in {{
                 d = derivation {{ name = "d"; system = builtins.currentSystem; builder = "/bin/sh";
                                   args = ["-c" "echo ${{a}} ${{t}} > $out"]; }};
                 e = derivation {{ name = "e"; system = builtins.currentSystem; builder = "/bin/sh";
                                   args = ["-c" "echo $out > $out"]; }};
                 f = derivation {{ name = "f"; system = builtins.currentSystem; builder = "/bin/sh";
                                   outputHashMode = "flat"; outputHashAlgo = "sha256";
                                   outputHash = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
                                   args = ["-c" "echo hello > $out"]; }};
               }}"#,
            a = fixture.added
        );
        let out = fixture.run(
            fixture
                .nix("nix-build")
                .args(["--no-out-link", "-E", &expr]),
        );
        let outputs: Vec<&str> = out.lines().collect();
        assert_eq!(outputs.len(), 3, "{out}");
        // The closure adds `a.txt` and the text file `t` that `d` refers to.
        let closure = fixture.run(fixture.nix("nix-store").arg("-qR").args(&outputs));
        fixture.built = closure
            .lines()
            .filter(|p| *p != fixture.added)
            .map(str::to_owned)
            .collect();
        assert_eq!(fixture.built.len(), 4, "{closure}");
        fixture
    }

    /// The output `d`: input-addressed, so only a signature makes it trusted.
    fn input_addressed(&self) -> &str {
        self.built
            .iter()
            .find(|p| p.ends_with("-d"))
            .expect("the fixture builds d")
    }

    fn store_root(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn all_paths(&self) -> Vec<String> {
        let mut all = vec![self.added.clone()];
        all.extend(self.built.iter().cloned());
        all
    }

    /// An oracle command on the chroot store.
    fn nix(&self, program: &str) -> std::process::Command {
        let mut cmd = self.oracle.command(program);
        cmd.arg("--store").arg(self.store_root());
        cmd
    }

    fn run(&self, cmd: &mut std::process::Command) -> String {
        String::from_utf8(self.oracle.run_ok(cmd)).unwrap()
    }

    /// Writes a key to a file in the fixture directory.
    fn key_file(&self, name: &str, key: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        fs::write(&path, key).unwrap();
        path
    }

    /// `nix copy --to file://<dir>?compression=…&secret-key=…` for all paths.
    /// Without a key the narinfos are unsigned.
    fn copy_to_cache(&self, cache: &Path, compression: &str, key_file: Option<&Path>) {
        let mut url = format!("file://{}?compression={compression}", cache.display());
        if let Some(key_file) = key_file {
            url.push_str(&format!("&secret-key={}", key_file.display()));
        }
        self.run(
            self.nix("nix")
                .args(["copy", "--to", &url])
                .args(self.all_paths()),
        );
    }

    /// `nix path-info --json --sigs` for one path, as JSON.
    fn path_info(&self, path: &str) -> serde_json::Value {
        let out = self.run(
            self.nix("nix")
                .args(["path-info", "--json", "--sigs", path]),
        );
        let mut list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        assert_eq!(list.len(), 1);
        list.remove(0)
    }
}

/// The fingerprint cairn computes from Nix's own `path-info --json`.
fn fingerprint_from_path_info(info: &serde_json::Value) -> String {
    let dir = StoreDir::default();
    let path = dir.parse_path(info["path"].as_str().unwrap()).unwrap();
    let nar_hash: Hash = info["narHash"].as_str().unwrap().parse().unwrap();
    let references: BTreeSet<StorePath> = info["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| dir.parse_path(r.as_str().unwrap()).unwrap())
        .collect();
    cairn_cache::fingerprint(
        &dir,
        &path,
        &nar_hash,
        info["narSize"].as_u64().unwrap(),
        &references,
    )
}

fn sigs_of(info: &serde_json::Value) -> BTreeSet<String> {
    info["signatures"]
        .as_array()
        .map(|sigs| {
            sigs.iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn nix_generated_key(fixture: &Fixture, name: &str) -> (SecretKey, PublicKey, PathBuf) {
    let secret = fixture.run(fixture.oracle.command("nix").args([
        "key",
        "generate-secret",
        "--key-name",
        name,
    ]));
    let file = fixture.key_file(&format!("{name}.sec"), &secret);
    let public = fixture.run(
        fixture
            .oracle
            .command("nix")
            .args(["key", "convert-secret-to-public"])
            .stdin(fs::File::open(&file).unwrap()),
    );
    let sk: SecretKey = secret.parse().unwrap();
    let pk: PublicKey = public.parse().unwrap();
    assert_eq!(
        sk.to_string(),
        secret.trim(),
        "secret key re-prints identically"
    );
    assert_eq!(
        pk.to_string(),
        public.trim(),
        "public key re-prints identically"
    );
    assert_eq!(
        sk.to_public(),
        pk,
        "cairn converts secret to public like Nix"
    );
    (sk, pk, file)
}

fn narinfos_in(cache: &Path) -> Vec<(PathBuf, String)> {
    let mut found: Vec<_> = fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "narinfo"))
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    found.sort();
    found
}

#[test]
fn narinfos_written_by_nix_parse_and_reserialise_identically() {
    let Some(oracle) = Oracle::require("narinfos_written_by_nix_parse_and_reserialise_identically")
    else {
        return;
    };
    let fixture = Fixture::new(oracle);
    let (sk, pk, key_file) = nix_generated_key(&fixture, "oracle-test-1");
    let trusted: TrustedKeys = [pk].into_iter().collect();
    let dir = StoreDir::default();
    let (mut saw_refs, mut saw_deriver, mut saw_ca, mut saw_self_ref) =
        (false, false, false, false);
    for compression in ["none", "xz", "bzip2", "zstd", "br", "gzip"] {
        let cache = fixture.dir.path().join(format!("cache-{compression}"));
        fixture.copy_to_cache(&cache, compression, Some(&key_file));
        let cache_info = fs::read_to_string(cache.join("nix-cache-info")).unwrap();
        let parsed = NixCacheInfo::parse(&cache_info).unwrap();
        assert_eq!(parsed.store_dir, Some(dir.clone()));
        assert_eq!(parsed.to_string(), cache_info);

        let narinfos = narinfos_in(&cache);
        assert_eq!(narinfos.len(), 5, "{compression}");
        for (file, text) in narinfos {
            let info = NarInfo::parse(&dir, &text)
                .unwrap_or_else(|e| panic!("{}: {e}\n{text}", file.display()));
            assert_eq!(info.to_string(), text, "{}", file.display());
            assert_eq!(info.compression.as_str(), compression);
            // Nix's signature verifies with cairn …
            trusted.verify_narinfo(&info).unwrap();
            // … and cairn's signature with the same key is identical.
            let mut resigned = info.clone();
            resigned.signatures.clear();
            resigned.sign(&sk);
            assert_eq!(resigned.signatures, info.signatures);
            assert_eq!(resigned.to_string(), text);

            saw_refs |= !info.references.is_empty();
            saw_self_ref |= info.references.contains(&info.store_path);
            saw_deriver |= info.deriver.is_some();
            saw_ca |= info.ca.is_some();
        }
    }
    assert!(saw_refs && saw_self_ref && saw_deriver && saw_ca);
}

#[test]
fn cairn_signatures_with_a_nix_key_equal_nix_store_sign() {
    let Some(oracle) = Oracle::require("cairn_signatures_with_a_nix_key_equal_nix_store_sign")
    else {
        return;
    };
    let fixture = Fixture::new(oracle);
    let (sk, pk, key_file) = nix_generated_key(&fixture, "oracle-test-2");
    for path in fixture.all_paths() {
        fixture.run(
            fixture
                .nix("nix")
                .args(["store", "sign", "--key-file"])
                .arg(&key_file)
                .arg(&path),
        );
        let info = fixture.path_info(&path);
        let fingerprint = fingerprint_from_path_info(&info);
        let ours = sk.sign(fingerprint.as_bytes());
        let sigs = sigs_of(&info);
        assert!(
            sigs.contains(&ours.to_string()),
            "{path}: cairn signed {ours}, Nix has {sigs:?}"
        );
        for sig in &sigs {
            let sig: Signature = sig.parse().unwrap();
            pk.verify(fingerprint.as_bytes(), &sig).unwrap();
        }
    }
}

#[test]
fn keys_generated_by_cairn_are_accepted_by_nix() {
    let Some(oracle) = Oracle::require("keys_generated_by_cairn_are_accepted_by_nix") else {
        return;
    };
    let fixture = Fixture::new(oracle);
    let sk = SecretKey::generate("cairn-oracle-1").unwrap();
    let pk = sk.to_public();
    let key_file = fixture.key_file("cairn.sec", &sk.to_string());
    // Nix derives the same public key from cairn's secret key.
    let public = fixture.run(
        fixture
            .oracle
            .command("nix")
            .args(["key", "convert-secret-to-public"])
            .stdin(fs::File::open(&key_file).unwrap()),
    );
    assert_eq!(public.trim(), pk.to_string());

    // Copied before the local paths get signatures, which `nix copy` carries over.
    let cache = fixture.dir.path().join("cache");
    fixture.copy_to_cache(&cache, "none", None);
    for path in fixture.all_paths() {
        // Nix signs with cairn's key, and the signature is cairn's.
        fixture.run(
            fixture
                .nix("nix")
                .args(["store", "sign", "--key-file"])
                .arg(&key_file)
                .arg(&path),
        );
        let info = fixture.path_info(&path);
        let ours = sk.sign(fingerprint_from_path_info(&info).as_bytes());
        assert!(sigs_of(&info).contains(&ours.to_string()));
    }

    // In a binary cache (where nothing is trusted by origin), Nix refuses an
    // unsigned input-addressed path and accepts it once cairn signs it.
    let verify = |path: &str| {
        let mut cmd = fixture.oracle.command("nix");
        cmd.args(["store", "verify", "--no-contents", "--sigs-needed", "1"])
            .args(["--store", &format!("file://{}", cache.display())])
            .args(["--trusted-public-keys", &pk.to_string(), path]);
        fixture.oracle.run(&mut cmd)
    };
    assert!(!verify(fixture.input_addressed()).status.success());
    resign_cache(&cache, &sk);
    for path in fixture.all_paths() {
        let out = verify(&path);
        assert!(
            out.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Replaces every narinfo's signatures with one by `key`, made by cairn.
fn resign_cache(cache: &Path, key: &SecretKey) {
    let dir = StoreDir::default();
    for (file, text) in narinfos_in(cache) {
        let mut info = NarInfo::parse(&dir, &text).unwrap();
        info.signatures.clear();
        info.sign(key);
        fs::write(&file, info.to_string()).unwrap();
    }
}

#[test]
fn nix_substitutes_from_a_cache_signed_by_cairn() {
    let Some(oracle) = Oracle::require("nix_substitutes_from_a_cache_signed_by_cairn") else {
        return;
    };
    let fixture = Fixture::new(oracle);
    let (_, _, nix_key) = nix_generated_key(&fixture, "unused-1");
    let cache = fixture.dir.path().join("cache");
    fixture.copy_to_cache(&cache, "xz", Some(&nix_key));
    // Replace every signature with one cairn makes with its own key.
    let sk = SecretKey::generate("cairn-cache-1").unwrap();
    resign_cache(&cache, &sk);
    let fresh = fixture.dir.path().join("fresh");
    let mut copy = fixture.oracle.command("nix");
    copy.arg("--store")
        .arg(&fresh)
        .args(["copy", "--from", &format!("file://{}", cache.display())])
        .args([
            "--option",
            "trusted-public-keys",
            &sk.to_public().to_string(),
        ])
        .args(fixture.all_paths());
    fixture.run(&mut copy);
    // A key Nix does not trust is refused (for an input-addressed path:
    // content-addressed ones need no signature).
    let other = SecretKey::generate("cairn-cache-1").unwrap();
    let refused = fixture.dir.path().join("refused");
    let mut copy = fixture.oracle.command("nix");
    copy.arg("--store")
        .arg(&refused)
        .args(["copy", "--from", &format!("file://{}", cache.display())])
        .args([
            "--option",
            "trusted-public-keys",
            &other.to_public().to_string(),
        ])
        .arg(fixture.input_addressed());
    assert!(!fixture.oracle.run(&mut copy).status.success());
}
