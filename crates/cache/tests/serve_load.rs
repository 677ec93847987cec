//! `cairn cache serve` under many concurrent clients substituting one
//! closure: every client gets every path, checked and signed, and the
//! server's memory stays bounded.
//!
//! The server runs in a child process (this test binary again, running
//! only `serve_child`, which does what `cairn cache serve` does), so that
//! its peak resident memory (`VmHWM`) is its own and not the clients'.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use cairn_cache::serve::{CacheServer, ServeOptions};
use cairn_cache::{
    BinaryCache, HttpOptions, NoProgress, SecretKey, SubstituteOptions, Substituters, TrustedKeys,
};
use cairn_store::hash::Hash;
use cairn_store::local::{LocalStore, LocalStoreConfig, TextFile};
use cairn_store::path::{StoreDir, StorePath, StorePathName};

/// The figures: 50 clients, each substituting a 1,000-path closure.
const PATHS: usize = 1000;
const CLIENTS: usize = 50;
/// Every `LARGE_EVERY`th path holds `LARGE_BYTES`, the others a few hundred
/// bytes: about 10 MiB of NAR per client, 500 MiB served in all.
const LARGE_EVERY: usize = 50;
const LARGE_BYTES: usize = 512 << 10;
/// The bound on the server's peak resident memory. It is fixed: it does not
/// grow with the paths served or the bytes moved. What the server holds is
/// per request in flight (a worker thread, a 64 KiB NAR buffer) up to
/// `ServeOptions::max_concurrent`, a bounded pool of store handles, and a
/// thread per open connection (tiny_http's model: up to 20 per client here,
/// each a few tens of KiB). Measured: 91 to 105 MiB (glibc malloc, debug
/// build). The bound is under a third of the 518 MiB served, so a server
/// that kept NARs or closures in memory fails it; the previous server, with
/// a thread per request and a store handle per concurrent request, peaked
/// at 208 MiB and failed it too.
const PEAK_RSS_BOUND_KIB: u64 = 160 << 10;
/// Where `serve_child` finds the store to serve; unset, it does nothing.
const SERVE_ROOT_ENV: &str = "CAIRN_TEST_SERVE_LOAD_ROOT";
const LISTENING: &str = "serve-load listening on ";

fn config(root: &Path) -> LocalStoreConfig {
    let mut config = LocalStoreConfig::chroot(root);
    config.fsync = false;
    config
}

fn server_key() -> SecretKey {
    SecretKey::from_seed("load-1", &[5; 32]).unwrap()
}

/// Printable pseudo-random bytes (xorshift), so nothing about the
/// contents is special.
fn filler(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            b'a' + (state % 26) as u8
        })
        .collect()
}

/// The closure: a chain where each path refers to the previous three, so
/// the top path's closure is all of them.
fn make_closure(root: &Path) -> Vec<StorePath> {
    let mut store = LocalStore::open(config(root)).unwrap();
    let mut files: Vec<TextFile> = Vec::with_capacity(PATHS);
    let mut paths: Vec<StorePath> = Vec::with_capacity(PATHS);
    for i in 0..PATHS {
        let len = if i % LARGE_EVERY == LARGE_EVERY - 1 {
            LARGE_BYTES
        } else {
            100 + i % 400
        };
        let file = TextFile {
            name: StorePathName::new(&format!("p{i}")).unwrap(),
            contents: filler(i as u64, len),
            references: paths.iter().rev().take(3).cloned().collect(),
        };
        paths.push(file.store_path(store.store_dir()).unwrap());
        files.push(file);
    }
    assert_eq!(store.add_texts(&files).unwrap(), paths);
    paths
}

/// The server process; killed when dropped, so a failing test leaves
/// nothing running.
struct ServerProcess(Child);

impl ServerProcess {
    fn start(root: &Path) -> (ServerProcess, String) {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["serve_child", "--exact", "--ignored", "--nocapture"])
            .env(SERVE_ROOT_ENV, root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines
            .find_map(|line| Some(line.unwrap().strip_prefix(LISTENING)?.to_owned()))
            .expect("the server child printed its address");
        // Whatever the child's test harness prints later must find a
        // reader, or the write fails and the harness dies.
        std::thread::spawn(move || lines.for_each(drop));
        (ServerProcess(child), url)
    }

    /// The peak resident set of the server so far, from the kernel.
    fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .map(|v| v.trim().parse().unwrap())
            .expect("VmHWM in /proc/<pid>/status")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Not a test of its own: the server process of
/// `many_clients_substitute_one_closure_from_the_server`. Serves the store
/// named by the environment until its standard input closes (the parent
/// ended), signing with the test key, with `cairn cache serve`'s options.
#[test]
#[ignore = "the server process of the load test, started by it"]
fn serve_child() {
    let Some(root) = std::env::var_os(SERVE_ROOT_ENV) else {
        return;
    };
    let server = CacheServer::bind(
        "127.0.0.1:0",
        config(Path::new(&root)),
        ServeOptions {
            secret_key: Some(server_key()),
            ..ServeOptions::default()
        },
    )
    .unwrap();
    println!("{LISTENING}http://{}", server.local_addr().unwrap());
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    server.run();
}

#[test]
fn many_clients_substitute_one_closure_from_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let source_root = dir.path().join("source");
    let paths = make_closure(&source_root);
    let top = paths.last().unwrap().clone();
    let expected: BTreeMap<StorePath, (Hash, u64)> = {
        let source = LocalStore::open(config(&source_root)).unwrap();
        paths
            .iter()
            .map(|p| {
                let info = source.path_info(p).unwrap().unwrap();
                (p.clone(), (info.nar_hash, info.nar_size))
            })
            .collect()
    };
    let closure_bytes: u64 = expected.values().map(|(_, size)| size).sum();
    let (server, url) = ServerProcess::start(&source_root);
    let trusted: TrustedKeys = [server_key().to_public()].into_iter().collect();

    let reports: Vec<(usize, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (url, trusted, top, dir, expected) =
                    (&url, &trusted, &top, dir.path(), &expected);
                scope.spawn(move || {
                    let root = dir.join(format!("client-{client}"));
                    let mut store = LocalStore::open(config(&root)).unwrap();
                    let cache =
                        BinaryCache::open(url, &StoreDir::default(), &HttpOptions::default())
                            .unwrap();
                    let subs = Substituters::new(
                        vec![cache],
                        SubstituteOptions {
                            trusted_keys: trusted.clone(),
                            ..SubstituteOptions::default()
                        },
                    );
                    let report = subs
                        .substitute(&mut store, std::slice::from_ref(top), &NoProgress)
                        .unwrap();
                    // Every path valid, recorded with the source's NAR hash
                    // and size, and its files hashing to that.
                    let valid: BTreeSet<StorePath> =
                        store.valid_paths().unwrap().into_iter().collect();
                    assert_eq!(valid.len(), PATHS, "client {client}");
                    for (path, (nar_hash, nar_size)) in expected {
                        let info = store.path_info(path).unwrap().unwrap();
                        assert_eq!(
                            (&info.nar_hash, info.nar_size),
                            (nar_hash, *nar_size),
                            "client {client}: {path}"
                        );
                    }
                    let verified = store.verify(true).unwrap();
                    assert!(verified.is_ok(), "client {client}: {verified:?}");
                    assert_eq!(verified.checked, PATHS);
                    (report.substituted.len(), report.nar_bytes)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let peak_kib = server.peak_rss_kib();
    drop(server);
    // Store directories are read-only: let the temporary directory go.
    make_writable(dir.path());
    assert_eq!(reports, vec![(PATHS, closure_bytes); CLIENTS]);
    let served_kib = closure_bytes * CLIENTS as u64 / 1024;
    eprintln!(
        "served {served_kib} KiB of NAR to {CLIENTS} clients; server peak RSS {peak_kib} KiB"
    );
    assert!(
        peak_kib < PEAK_RSS_BOUND_KIB,
        "the server's peak RSS was {peak_kib} KiB (bound {PEAK_RSS_BOUND_KIB} KiB, {served_kib} KiB served)"
    );
}

/// Store directories are read-only; removing one needs write permission.
fn make_writable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path).unwrap();
    if meta.is_dir() {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        for entry in std::fs::read_dir(path).unwrap() {
            make_writable(&entry.unwrap().path());
        }
    }
}

#[test]
fn server_answers_head_and_404() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let mut store = LocalStore::open(config(&root)).unwrap();
    let path = store
        .add_text(
            &StorePathName::new("f").unwrap(),
            b"hello",
            &BTreeSet::new(),
        )
        .unwrap();
    let info = store.path_info(&path).unwrap().unwrap();
    drop(store);
    let server = CacheServer::bind("127.0.0.1:0", config(&root), ServeOptions::default()).unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let stopper = server.stopper();
    let running = std::thread::spawn(move || server.run());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();

    let narinfo = agent
        .get(format!("{base}/{}.narinfo", path.hash_part()))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(narinfo.contains("Compression: none\n"), "{narinfo}");
    assert!(
        !narinfo.contains("Sig:"),
        "unsigned without a key: {narinfo}"
    );
    let nar_url = narinfo
        .lines()
        .find_map(|l| l.strip_prefix("URL: "))
        .unwrap()
        .to_owned();
    let head = agent.head(format!("{base}/{nar_url}")).call().unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"].to_str().unwrap(),
        info.nar_size.to_string()
    );
    let nar = agent
        .get(format!("{base}/{nar_url}"))
        .call()
        .unwrap()
        .into_body()
        .read_to_vec()
        .unwrap();
    assert_eq!(nar.len() as u64, info.nar_size);
    for missing in [
        "/00000000000000000000000000000000.narinfo".to_owned(),
        format!("/nar/{}-0000.nar", path.hash_part()),
        "/nar/../../etc/passwd".to_owned(),
        "/other".to_owned(),
    ] {
        let status = agent
            .get(format!("{base}{missing}"))
            .call()
            .unwrap()
            .status();
        assert_eq!(status, 404, "{missing}");
    }
    stopper.stop();
    running.join().unwrap();
}
