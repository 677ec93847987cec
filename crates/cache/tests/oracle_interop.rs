//! Binary caches shared with real Nix, both ways: caches Nix writes are
//! substituted by cairn with signatures checked, caches cairn writes (to a
//! directory, or served over HTTP) are accepted by `nix copy --from` with
//! Nix checking cairn's signatures.
//!
//! Every store is a chroot store in a temporary directory.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use cairn_cache::serve::{CacheServer, ServeOptions};
use cairn_cache::{
    BinaryCache, Compression, HttpOptions, NoProgress, SecretKey, SubstituteError,
    SubstituteOptions, Substituters, TrustedKeys, UploadOptions, upload,
};
use cairn_store::local::{LocalStore, LocalStoreConfig};
use cairn_store::path::{StoreDir, StorePath};
use cairn_testkit::Oracle;

struct Fixture {
    oracle: Oracle,
    dir: tempfile::TempDir,
    /// The top paths built by Nix in `nix_store`; their closure has a
    /// directory, text files with references, and a self-reference.
    tops: Vec<String>,
}

impl Fixture {
    fn new(oracle: Oracle) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir_all(src.join("bin")).unwrap();
        fs::write(src.join("bin/tool"), "#!/bin/sh\necho tool\n").unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(src.join("bin/tool"), fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::os::unix::fs::symlink("bin/tool", src.join("link")).unwrap();
        fs::write(src.join("big"), vec![b'x'; 300_000]).unwrap();
        let mut fixture = Fixture {
            oracle,
            dir,
            tops: Vec::new(),
        };
        let root = fixture.nix_store();
        let added = fixture.run(
            fixture
                .oracle
                .command("nix-store")
                .arg("--store")
                .arg(&root)
                .arg("--add")
                .arg(&src),
        );
        let added = added.trim().to_owned();
        let expr = format!(
            r#"let a = builtins.storePath "{added}";
                   t = builtins.toFile "t" "ref ${{a}}";
               in {{
                 d = derivation {{ name = "d"; system = builtins.currentSystem; builder = "/bin/sh";
                                   args = ["-c" "echo ${{a}} ${{t}} > $out"]; }};
                 e = derivation {{ name = "e"; system = builtins.currentSystem; builder = "/bin/sh";
                                   args = ["-c" "echo $out > $out"]; }};
               }}"#
        );
        let out = fixture.run(
            fixture
                .oracle
                .command("nix-build")
                .arg("--store")
                .arg(&root)
                .args(["--no-out-link", "-E", &expr]),
        );
        fixture.tops = out.lines().map(str::to_owned).collect();
        assert_eq!(fixture.tops.len(), 2, "{out}");
        fixture
    }

    fn nix_store(&self) -> PathBuf {
        self.dir.path().join("nix-store")
    }

    fn run(&self, cmd: &mut Command) -> String {
        String::from_utf8(self.oracle.run_ok(cmd)).unwrap()
    }

    /// The closure of the tops in `root`, per Nix.
    fn closure(&self, root: &Path) -> Vec<String> {
        let out = self.run(
            self.oracle
                .command("nix-store")
                .arg("--store")
                .arg(root)
                .arg("-qR")
                .args(&self.tops),
        );
        out.lines().map(str::to_owned).collect()
    }

    fn nix_key(&self, name: &str) -> (PathBuf, String) {
        let secret = self.dir.path().join(format!("{name}.sec"));
        let public = self.dir.path().join(format!("{name}.pub"));
        self.run(
            self.oracle
                .command("nix-store")
                .args(["--generate-binary-cache-key", name])
                .arg(&secret)
                .arg(&public),
        );
        (
            secret,
            fs::read_to_string(&public).unwrap().trim().to_owned(),
        )
    }

    fn tops(&self) -> Vec<StorePath> {
        let dir = StoreDir::default();
        self.tops
            .iter()
            .map(|p| dir.parse_path(p).unwrap())
            .collect()
    }

    /// `nix store verify` on `root` for the tops' closures, trusting `key`.
    fn nix_verify(&self, root: &Path, key: &str) -> std::process::Output {
        self.oracle.run(
            self.oracle
                .command("nix")
                .args(["store", "verify", "--store"])
                .arg(root)
                .args(["-r", "--option", "trusted-public-keys", key])
                .args(&self.tops),
        )
    }
}

fn open_store(root: &Path) -> LocalStore {
    let mut config = LocalStoreConfig::chroot(root);
    config.fsync = false;
    LocalStore::open(config).unwrap()
}

fn substituters(url: &str, trusted: &str) -> Substituters {
    let cache = BinaryCache::open(url, &StoreDir::default(), &HttpOptions::default()).unwrap();
    Substituters::new(
        vec![cache],
        SubstituteOptions {
            trusted_keys: TrustedKeys::parse_setting(trusted).unwrap(),
            ..SubstituteOptions::default()
        },
    )
}

#[test]
fn cairn_substitutes_signed_caches_written_by_nix() {
    let Some(oracle) = Oracle::require("cairn_substitutes_signed_caches_written_by_nix") else {
        return;
    };
    let fixture = Fixture::new(oracle);
    let (secret, public) = fixture.nix_key("nix-test-1");
    let expected = fixture.closure(&fixture.nix_store());
    for compression in ["xz", "zstd", "none", "bzip2"] {
        let cache = fixture.dir.path().join(format!("cache-{compression}"));
        let url = format!(
            "file://{}?compression={compression}&secret-key={}",
            cache.display(),
            secret.display()
        );
        fixture.run(
            fixture
                .oracle
                .command("nix")
                .arg("--store")
                .arg(fixture.nix_store())
                .args(["copy", "--to", &url])
                .args(&fixture.tops),
        );
        let root = fixture.dir.path().join(format!("cairn-{compression}"));
        let mut store = open_store(&root);
        let subs = substituters(&format!("file://{}", cache.display()), &public);
        let report = subs
            .substitute(&mut store, &fixture.tops(), &NoProgress)
            .unwrap();
        assert_eq!(report.substituted.len(), expected.len(), "{compression}");
        assert_eq!(fixture.closure(&root), expected);
        // Nix finds the same contents, references and signatures.
        let verified = fixture.nix_verify(&root, &public);
        assert!(
            verified.status.success(),
            "{compression}: {}",
            String::from_utf8_lossy(&verified.stderr)
        );
        assert!(store.verify(true).unwrap().is_ok());
        // Substituting again fetches nothing.
        let again = subs
            .substitute(&mut store, &fixture.tops(), &NoProgress)
            .unwrap();
        assert!(again.substituted.is_empty());
    }
}

#[test]
fn caches_signed_by_an_untrusted_key_are_refused() {
    let Some(oracle) = Oracle::require("caches_signed_by_an_untrusted_key_are_refused") else {
        return;
    };
    let fixture = Fixture::new(oracle);
    let (secret, _) = fixture.nix_key("nix-test-1");
    let (_, other_public) = fixture.nix_key("other-1");
    let cache = fixture.dir.path().join("cache");
    let url = format!("file://{}?secret-key={}", cache.display(), secret.display());
    fixture.run(
        fixture
            .oracle
            .command("nix")
            .arg("--store")
            .arg(fixture.nix_store())
            .args(["copy", "--to", &url])
            .args(&fixture.tops),
    );
    let root = fixture.dir.path().join("cairn");
    let mut store = open_store(&root);
    // A key of the same name but other bytes: the signature does not match.
    let impostor = format!("nix-test-1:{}", other_public.split_once(':').unwrap().1);
    for (trusted, expect) in [
        (
            other_public.as_str(),
            "signed only by untrusted keys (nix-test-1)",
        ),
        (impostor.as_str(), "none matches its contents"),
        ("", "signed only by untrusted keys"),
    ] {
        let subs = substituters(&format!("file://{}", cache.display()), trusted);
        let err = subs
            .substitute(&mut store, &fixture.tops(), &NoProgress)
            .unwrap_err();
        assert!(matches!(err, SubstituteError::NotAvailable { .. }), "{err}");
        assert!(err.to_string().contains(expect), "{err}");
        assert!(store.valid_paths().unwrap().is_empty());
    }
    // Explicitly allowed: unsigned trust.
    let cache = BinaryCache::open(
        &format!("file://{}", cache.display()),
        &StoreDir::default(),
        &HttpOptions::default(),
    )
    .unwrap();
    let lax = Substituters::new(
        vec![cache],
        SubstituteOptions {
            require_sigs: false,
            ..SubstituteOptions::default()
        },
    );
    lax.substitute(&mut store, &fixture.tops(), &NoProgress)
        .unwrap();
    assert!(store.verify(true).unwrap().is_ok());
}

/// Copies the fixture's closure into a cairn store (through a Nix cache).
fn cairn_store_with_closure(fixture: &Fixture, name: &str) -> (PathBuf, LocalStore) {
    let cache = fixture.dir.path().join(format!("seed-{name}"));
    fixture.run(
        fixture
            .oracle
            .command("nix")
            .arg("--store")
            .arg(fixture.nix_store())
            .args(["copy", "--to"])
            .arg(format!("file://{}?compression=none", cache.display()))
            .args(&fixture.tops),
    );
    let root = fixture.dir.path().join(name);
    let mut store = open_store(&root);
    let cache = BinaryCache::open(
        &format!("file://{}", cache.display()),
        &StoreDir::default(),
        &HttpOptions::default(),
    )
    .unwrap();
    let lax = Substituters::new(
        vec![cache],
        SubstituteOptions {
            require_sigs: false,
            ..SubstituteOptions::default()
        },
    );
    lax.substitute(&mut store, &fixture.tops(), &NoProgress)
        .unwrap();
    (root, store)
}

#[test]
fn nix_substitutes_caches_written_by_cairn() {
    let Some(oracle) = Oracle::require("nix_substitutes_caches_written_by_cairn") else {
        return;
    };
    let fixture = Fixture::new(oracle);
    let (_root, store) = cairn_store_with_closure(&fixture, "cairn");
    let key = SecretKey::generate("cairn-test-1").unwrap();
    let public = key.to_public().to_string();
    for compression in [Compression::Xz, Compression::Zstd, Compression::None] {
        let dir = fixture
            .dir
            .path()
            .join(format!("cairn-cache-{compression}"));
        let url = format!("file://{}", dir.display());
        let cache =
            BinaryCache::open_for_upload(&url, &StoreDir::default(), &HttpOptions::default())
                .unwrap();
        let options = UploadOptions {
            compression,
            secret_key: Some(key.clone()),
            jobs: 2,
        };
        let report = upload(&store, &cache, &fixture.tops(), &options, &NoProgress).unwrap();
        assert_eq!(
            report.uploaded.len(),
            fixture.closure(&fixture.nix_store()).len()
        );
        // A second upload skips everything.
        let again = upload(&store, &cache, &fixture.tops(), &options, &NoProgress).unwrap();
        assert!(again.uploaded.is_empty());

        let target = fixture
            .dir
            .path()
            .join(format!("nix-from-cairn-{compression}"));
        fixture.run(
            fixture
                .oracle
                .command("nix")
                .arg("--store")
                .arg(&target)
                .args([
                    "copy",
                    "--from",
                    &url,
                    "--option",
                    "trusted-public-keys",
                    &public,
                ])
                .args(&fixture.tops),
        );
        let verified = fixture.nix_verify(&target, &public);
        assert!(
            verified.status.success(),
            "{}",
            String::from_utf8_lossy(&verified.stderr)
        );
        // Nix does check: with another key it refuses cairn's cache.
        let other = SecretKey::generate("cairn-test-1")
            .unwrap()
            .to_public()
            .to_string();
        let refused = fixture.oracle.run(
            fixture
                .oracle
                .command("nix")
                .arg("--store")
                .arg(fixture.dir.path().join(format!("refused-{compression}")))
                .args([
                    "copy",
                    "--from",
                    &url,
                    "--option",
                    "trusted-public-keys",
                    &other,
                ])
                .args(&fixture.tops),
        );
        assert!(!refused.status.success());
    }
}

#[test]
fn nix_substitutes_from_cairn_cache_serve() {
    let Some(oracle) = Oracle::require("nix_substitutes_from_cairn_cache_serve") else {
        return;
    };
    let fixture = Fixture::new(oracle);
    let (root, _store) = cairn_store_with_closure(&fixture, "served");
    let key = SecretKey::generate("serve-test-1").unwrap();
    let public = key.to_public().to_string();
    let mut config = LocalStoreConfig::chroot(&root);
    config.fsync = false;
    let server = CacheServer::bind(
        "127.0.0.1:0",
        config,
        ServeOptions {
            secret_key: Some(key),
            priority: Some(30),
            ..ServeOptions::default()
        },
    )
    .unwrap();
    let url = format!("http://{}", server.local_addr().unwrap());
    let stopper = server.stopper();
    let running = std::thread::spawn(move || server.run());

    let target = fixture.dir.path().join("nix-from-serve");
    fixture.run(
        fixture
            .oracle
            .command("nix")
            .arg("--store")
            .arg(&target)
            .args([
                "copy",
                "--from",
                &url,
                "--option",
                "trusted-public-keys",
                &public,
            ])
            .args(&fixture.tops),
    );
    let verified = fixture.nix_verify(&target, &public);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );

    // cairn substitutes from its own server too, signatures checked.
    let cairn_root = fixture.dir.path().join("cairn-from-serve");
    let mut store = open_store(&cairn_root);
    let subs = substituters(&url, &public);
    assert_eq!(subs.caches()[0].priority(), 30);
    subs.substitute(&mut store, &fixture.tops(), &NoProgress)
        .unwrap();
    assert_eq!(fixture.closure(&cairn_root), fixture.closure(&root));

    stopper.stop();
    running.join().unwrap();
}
