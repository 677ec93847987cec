//! Tampering and faults: each is refused with a clear message, nothing is
//! registered, and the store still verifies.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cairn_cache::{
    BinaryCache, Compression, HttpOptions, NarInfo, NoProgress, SecretKey, SubstituteError,
    SubstituteOptions, Substituters, TrustedKeys, UploadOptions, upload,
};
use cairn_store::FileIngestionMethod;
use cairn_store::hash::{Hash, HashAlgo};
use cairn_store::local::{LocalStore, LocalStoreConfig};
use cairn_store::nar::NarNode;
use cairn_store::path::{StoreDir, StorePath, StorePathName};

fn open_store(root: &Path) -> LocalStore {
    let mut config = LocalStoreConfig::chroot(root);
    config.fsync = false;
    LocalStore::open(config).unwrap()
}

/// A source store with `dep` and `top` (which refers to `dep`), uploaded
/// uncompressed and signed to a file cache.
struct Setup {
    dir: tempfile::TempDir,
    key: SecretKey,
    dep: StorePath,
    top: StorePath,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let mut source = open_store(&dir.path().join("source"));
        let tree = dir.path().join("tree");
        fs::create_dir_all(&tree).unwrap();
        fs::write(tree.join("data"), vec![7u8; 5000]).unwrap();
        let dep = source
            .add_path(
                &tree,
                &StorePathName::new("dep").unwrap(),
                FileIngestionMethod::Recursive,
            )
            .unwrap();
        let top = source
            .add_text(
                &StorePathName::new("top").unwrap(),
                format!("uses {}", StoreDir::default().display_path(&dep)).as_bytes(),
                &[dep.clone()].into_iter().collect(),
            )
            .unwrap();
        let key = SecretKey::from_seed("test-1", &[3; 32]).unwrap();
        let setup = Setup { dir, key, dep, top };
        let cache = BinaryCache::open_for_upload(
            &setup.url(),
            &StoreDir::default(),
            &HttpOptions::default(),
        )
        .unwrap();
        let options = UploadOptions {
            compression: Compression::None,
            secret_key: Some(setup.key.clone()),
            jobs: 1,
        };
        upload(
            &source,
            &cache,
            std::slice::from_ref(&setup.top),
            &options,
            &NoProgress,
        )
        .unwrap();
        setup
    }

    fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn url(&self) -> String {
        format!("file://{}", self.cache_dir().display())
    }

    fn narinfo_file(&self, path: &StorePath) -> PathBuf {
        self.cache_dir()
            .join(format!("{}.narinfo", path.hash_part()))
    }

    fn narinfo(&self, path: &StorePath) -> NarInfo {
        let text = fs::read_to_string(self.narinfo_file(path)).unwrap();
        NarInfo::parse(&StoreDir::default(), &text).unwrap()
    }

    fn nar_file(&self, path: &StorePath) -> PathBuf {
        self.cache_dir().join(self.narinfo(path).url)
    }

    fn trusted(&self) -> String {
        self.key.to_public().to_string()
    }

    /// Substitutes `top` into a fresh store; returns the error and checks
    /// that nothing was registered and the store verifies.
    fn substitute_fails(&self, trusted: &str) -> SubstituteError {
        let root = tempfile::tempdir().unwrap();
        let mut store = open_store(root.path());
        let err = substituters(&self.url(), trusted, HttpOptions::default())
            .substitute(&mut store, std::slice::from_ref(&self.top), &NoProgress)
            .unwrap_err();
        assert!(!store.is_valid(&self.top).unwrap(), "{err}");
        assert!(store.verify(true).unwrap().is_ok());
        // No staging directory is left behind in the store.
        let leftovers: Vec<_> = fs::read_dir(root.path().join("nix/store"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        err
    }
}

fn substituters(url: &str, trusted: &str, http: HttpOptions) -> Substituters {
    let cache = BinaryCache::open(url, &StoreDir::default(), &http).unwrap();
    Substituters::new(
        vec![cache],
        SubstituteOptions {
            trusted_keys: TrustedKeys::parse_setting(trusted).unwrap(),
            retry_backoff: Duration::from_millis(1),
            ..SubstituteOptions::default()
        },
    )
}

#[test]
fn untampered_cache_substitutes() {
    let setup = Setup::new();
    let root = tempfile::tempdir().unwrap();
    let mut store = open_store(root.path());
    let report = substituters(&setup.url(), &setup.trusted(), HttpOptions::default())
        .substitute(&mut store, std::slice::from_ref(&setup.top), &NoProgress)
        .unwrap();
    assert_eq!(
        report.substituted,
        vec![setup.dep.clone(), setup.top.clone()]
    );
    let info = store.path_info(&setup.top).unwrap().unwrap();
    assert_eq!(info.references, [setup.dep.clone()].into_iter().collect());
    assert_eq!(info.signatures.len(), 1);
    assert!(!info.ultimate);
    assert!(store.verify(true).unwrap().is_ok());
}

#[test]
fn flipped_nar_byte_is_refused() {
    let setup = Setup::new();
    let nar = setup.nar_file(&setup.top);
    let mut bytes = fs::read(&nar).unwrap();
    let at = bytes.len() - 30;
    bytes[at] ^= 0x20;
    fs::write(&nar, bytes).unwrap();
    let err = setup.substitute_fails(&setup.trusted());
    let text = err.to_string();
    assert!(
        text.contains("has hash") && text.contains("was announced"),
        "{text}"
    );
}

#[test]
fn flipped_byte_in_a_dependency_stops_its_referrer() {
    let setup = Setup::new();
    let nar = setup.nar_file(&setup.dep);
    let mut bytes = fs::read(&nar).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 1;
    fs::write(&nar, bytes).unwrap();
    let err = setup.substitute_fails(&setup.trusted());
    assert!(err.to_string().contains("-dep"), "{err}");
}

#[test]
fn edited_narinfo_field_breaks_the_signature() {
    let setup = Setup::new();
    let file = setup.narinfo_file(&setup.top);
    let text = fs::read_to_string(&file).unwrap();
    let mut info = setup.narinfo(&setup.top);
    info.references = BTreeSet::new();
    let edited = info.to_string();
    assert_ne!(edited, text);
    fs::write(&file, edited).unwrap();
    let err = setup.substitute_fails(&setup.trusted());
    assert!(
        err.to_string().contains("none matches its contents"),
        "{err}"
    );
}

#[test]
fn missing_signature_is_refused() {
    let setup = Setup::new();
    let file = setup.narinfo_file(&setup.top);
    let text: String = fs::read_to_string(&file)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("Sig: "))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&file, text).unwrap();
    let err = setup.substitute_fails(&setup.trusted());
    assert!(err.to_string().contains("is not signed"), "{err}");
}

#[test]
fn wrong_key_is_refused() {
    let setup = Setup::new();
    let other = SecretKey::from_seed("other-1", &[9; 32])
        .unwrap()
        .to_public();
    let err = setup.substitute_fails(&other.to_string());
    assert!(
        err.to_string()
            .contains("signed only by untrusted keys (test-1)"),
        "{err}"
    );
}

#[test]
fn truncated_nar_is_refused() {
    let setup = Setup::new();
    let nar = setup.nar_file(&setup.dep);
    let bytes = fs::read(&nar).unwrap();
    fs::write(&nar, &bytes[..bytes.len() / 2]).unwrap();
    let err = setup.substitute_fails(&setup.trusted());
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn missing_nar_is_refused() {
    let setup = Setup::new();
    fs::remove_file(setup.nar_file(&setup.dep)).unwrap();
    let err = setup.substitute_fails(&setup.trusted());
    assert!(
        err.to_string().contains("is missing from the cache"),
        "{err}"
    );
}

#[test]
fn narinfo_for_another_path_is_refused() {
    let setup = Setup::new();
    fs::copy(
        setup.narinfo_file(&setup.dep),
        setup.narinfo_file(&setup.top),
    )
    .unwrap();
    let err = setup.substitute_fails(&setup.trusted());
    assert!(err.to_string().contains("not the path asked for"), "{err}");
}

#[test]
fn signed_nar_with_path_traversal_is_refused() {
    // A trusted key signed it, but the archive tries to leave its root.
    let setup = Setup::new();
    let evil = NarNode::Directory(
        [(
            b"..".to_vec(),
            NarNode::Regular {
                executable: false,
                contents: b"owned".to_vec(),
            },
        )]
        .into_iter()
        .collect(),
    );
    let mut nar = Vec::new();
    evil.write_nar(&mut nar).unwrap();
    let mut info = setup.narinfo(&setup.dep);
    fs::write(setup.nar_file(&setup.dep), &nar).unwrap();
    info.nar_hash = Hash::of(HashAlgo::Sha256, &nar);
    info.nar_size = nar.len() as u64;
    info.file_hash = None;
    info.file_size = None;
    info.ca = None;
    info.signatures.clear();
    info.sign(&setup.key);
    fs::write(setup.narinfo_file(&setup.dep), info.to_string()).unwrap();
    let err = setup.substitute_fails(&setup.trusted());
    assert!(err.to_string().contains("invalid entry name"), "{err:?}");
    assert!(!setup.dir.path().join("source/nix/owned").exists());
}

#[test]
fn server_that_hangs_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts connections and never answers; ends when the test does.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(8) {
            held.push(stream);
        }
    });
    let http = HttpOptions {
        read_timeout: Duration::from_millis(300),
        retries: 1,
        initial_backoff: Duration::from_millis(1),
        ..HttpOptions::default()
    };
    let err =
        BinaryCache::open(&format!("http://{addr}"), &StoreDir::default(), &http).unwrap_err();
    assert!(err.to_string().contains("after 2 attempts"), "{err}");
    assert!(err.to_string().to_lowercase().contains("timeout"), "{err}");
}

#[test]
fn server_that_resets_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            // Dropped: the connection closes without an answer.
        }
    });
    let http = HttpOptions {
        retries: 2,
        initial_backoff: Duration::from_millis(1),
        ..HttpOptions::default()
    };
    let err =
        BinaryCache::open(&format!("http://{addr}"), &StoreDir::default(), &http).unwrap_err();
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
}

#[test]
fn cache_for_another_store_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("nix-cache-info"), "StoreDir: /gnu/store\n").unwrap();
    let err = BinaryCache::open(
        &format!("file://{}", dir.path().display()),
        &StoreDir::default(),
        &HttpOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("is for store directory /gnu/store"),
        "{err}"
    );
}

#[test]
fn substitute_path_says_false_when_nobody_has_it() {
    let setup = Setup::new();
    let root = tempfile::tempdir().unwrap();
    let mut store = open_store(root.path());
    let subs = substituters(&setup.url(), &setup.trusted(), HttpOptions::default());
    let absent = StorePath::from_base_name("00000000000000000000000000000000-absent").unwrap();
    assert!(
        !subs
            .substitute_path(&mut store, &absent, &NoProgress)
            .unwrap()
    );
    assert!(
        subs.substitute_path(&mut store, &setup.top, &NoProgress)
            .unwrap()
    );
    assert!(store.is_valid(&setup.dep).unwrap());
}

#[test]
fn a_refused_cache_falls_back_to_the_next_by_priority() {
    let good = Setup::new();
    // A copy of the cache, preferred (priority 10), whose narinfo for `top`
    // lost its signature.
    let bad_dir = good.dir.path().join("bad-cache");
    fs::create_dir_all(bad_dir.join("nar")).unwrap();
    for entry in fs::read_dir(good.cache_dir()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            fs::copy(entry.path(), bad_dir.join(entry.file_name())).unwrap();
        }
    }
    for entry in fs::read_dir(good.cache_dir().join("nar")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), bad_dir.join("nar").join(entry.file_name())).unwrap();
    }
    fs::write(
        bad_dir.join("nix-cache-info"),
        "StoreDir: /nix/store\nPriority: 10\n",
    )
    .unwrap();
    let narinfo = bad_dir.join(format!("{}.narinfo", good.top.hash_part()));
    let unsigned: String = fs::read_to_string(&narinfo)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("Sig: "))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&narinfo, unsigned).unwrap();

    let open = |dir: &Path| {
        BinaryCache::open(
            &format!("file://{}", dir.display()),
            &StoreDir::default(),
            &HttpOptions::default(),
        )
        .unwrap()
    };
    let trusted = TrustedKeys::parse_setting(&good.trusted()).unwrap();
    // Given in the "wrong" order: priority decides.
    let subs = Substituters::new(
        vec![open(&good.cache_dir()), open(&bad_dir)],
        SubstituteOptions {
            trusted_keys: trusted,
            ..SubstituteOptions::default()
        },
    );
    assert_eq!(subs.caches()[0].priority(), 10);
    let root = tempfile::tempdir().unwrap();
    let mut store = open_store(root.path());
    subs.substitute(&mut store, std::slice::from_ref(&good.top), &NoProgress)
        .unwrap();
    assert!(store.is_valid(&good.top).unwrap());
    // The preferred cache alone fails, naming its reason.
    let bad_only = Substituters::new(
        vec![open(&bad_dir)],
        SubstituteOptions {
            trusted_keys: TrustedKeys::parse_setting(&good.trusted()).unwrap(),
            ..SubstituteOptions::default()
        },
    );
    let root = tempfile::tempdir().unwrap();
    let mut store = open_store(root.path());
    let err = bad_only
        .substitute(&mut store, std::slice::from_ref(&good.top), &NoProgress)
        .unwrap_err();
    assert!(err.to_string().contains("is not signed"), "{err}");
}
