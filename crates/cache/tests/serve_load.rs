//! `cairn cache serve` under many concurrent clients substituting one
//! closure: every client gets every path, checked and signed.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;
use std::path::Path;

use cairn_cache::serve::{CacheServer, ServeOptions};
use cairn_cache::{
    BinaryCache, HttpOptions, NoProgress, SecretKey, SubstituteOptions, Substituters, TrustedKeys,
};
use cairn_store::local::{LocalStore, LocalStoreConfig};
use cairn_store::path::{StoreDir, StorePath, StorePathName};

const PATHS: usize = 200;
const CLIENTS: usize = 24;

fn config(root: &Path) -> LocalStoreConfig {
    let mut config = LocalStoreConfig::chroot(root);
    config.fsync = false;
    config
}

#[test]
fn many_clients_substitute_one_closure_from_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let source_root = dir.path().join("source");
    let mut source = LocalStore::open(config(&source_root)).unwrap();
    // A chain where each path refers to the previous three.
    let mut paths: Vec<StorePath> = Vec::new();
    for i in 0..PATHS {
        let refs: BTreeSet<StorePath> = paths.iter().rev().take(3).cloned().collect();
        let text = format!("path {i} {}", "x".repeat(i * 37));
        let path = source
            .add_text(
                &StorePathName::new(&format!("p{i}")).unwrap(),
                text.as_bytes(),
                &refs,
            )
            .unwrap();
        paths.push(path);
    }
    let top = paths.last().unwrap().clone();
    drop(source);

    let key = SecretKey::from_seed("load-1", &[5; 32]).unwrap();
    let trusted: TrustedKeys = [key.to_public()].into_iter().collect();
    let server = CacheServer::bind(
        "127.0.0.1:0",
        config(&source_root),
        ServeOptions {
            secret_key: Some(key),
            ..ServeOptions::default()
        },
    )
    .unwrap();
    let url = format!("http://{}", server.local_addr().unwrap());
    let stopper = server.stopper();
    let running = std::thread::spawn(move || server.run());

    let results: Vec<usize> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (url, trusted, top, dir) = (&url, &trusted, &top, dir.path());
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
                    assert!(store.verify(true).unwrap().is_ok());
                    report.substituted.len()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    stopper.stop();
    running.join().unwrap();
    assert_eq!(results, vec![PATHS; CLIENTS]);
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
