//! The `copy-from-1000` workload: substituting a 1,000-path closure from a
//! local HTTP binary cache into a fresh store.
//!
//! Both sides substitute from the same server, `cairn cache serve` over the
//! store built at setup, signing with a key made for the run; each side
//! checks the signatures against the public key. The server runs for as
//! long as the workload's runs, on the same machine, so its work (reading
//! and serialising NARs) weighs on both sides alike.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cairn_store::local::{LocalStore, LocalStoreConfig, TextFile};
use cairn_store::path::{StorePath, StorePathName};

use super::workloads::{Background, Started, Volume};

/// How many paths the closure has.
const PATHS: usize = 1000;
/// Every tenth path is a large file, the others a few KiB: MB/s and paths/s
/// both mean something (about 64 MiB of NAR in all).
const LARGE_EVERY: usize = 10;
const LARGE_BYTES: usize = 640 << 10;
/// Paths added to the store at once at setup.
const BATCH: usize = 50;

/// Builds the closure in `{dir}/source` and writes its top path to
/// `{dir}/top`. Path `i` refers to paths `i - 1` and `i / 2`, so the top
/// path's closure is all of them, deep and shared.
pub fn setup(dir: &Path) -> anyhow::Result<()> {
    let root = dir.join("source");
    let mut store = LocalStore::open(LocalStoreConfig {
        fsync: false,
        ..LocalStoreConfig::chroot(&root)
    })?;
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut files: Vec<TextFile> = Vec::with_capacity(BATCH);
    let mut paths: Vec<StorePath> = Vec::with_capacity(PATHS);
    for i in 0..PATHS {
        let len = if i % LARGE_EVERY == LARGE_EVERY - 1 {
            LARGE_BYTES
        } else {
            1024 + (i * 37) % 3072
        };
        // Printable pseudo-random bytes (xorshift64): nothing special about
        // the contents, so no side can take a shortcut.
        let contents = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                b'!' + (state % 90) as u8
            })
            .collect();
        let references: BTreeSet<StorePath> = if i == 0 {
            BTreeSet::new()
        } else {
            [paths[i - 1].clone(), paths[i / 2].clone()].into()
        };
        let file = TextFile {
            name: StorePathName::new(&format!("closure-{i}"))?,
            contents,
            references,
        };
        paths.push(file.store_path(store.store_dir())?);
        files.push(file);
        // Added in batches, so this process never holds the whole 64 MiB:
        // the peak RSS of a timed child includes ours (see `runner`).
        if files.len() == BATCH || i == PATHS - 1 {
            store.add_texts(&files)?;
            files.clear();
        }
    }
    let top = paths.last().context("an empty closure")?;
    std::fs::write(dir.join("top"), store.store_dir().display_path(top))?;
    drop(store);
    let synced = Command::new("sync").status()?;
    anyhow::ensure!(synced.success(), "sync failed");
    Ok(())
}

/// Makes a signing key and starts `cairn cache serve` on the source store.
/// Names `{url}`, `{key}` (the public key) and `{top}` for the commands.
pub fn start(dir: &Path, cairn: &Path) -> anyhow::Result<Started> {
    let top = std::fs::read_to_string(dir.join("top"))?;
    let volume = closure_volume(&dir.join("source"), &top)?;

    let (secret, public) = (dir.join("key.sec"), dir.join("key.pub"));
    for file in [&secret, &public] {
        if file.exists() {
            std::fs::remove_file(file)?;
        }
    }
    let made = Command::new(cairn)
        .args(["cache", "keygen", "cairn-bench-1"])
        .arg(&secret)
        .arg(&public)
        .status()?;
    anyhow::ensure!(made.success(), "cairn cache keygen failed");
    let key = std::fs::read_to_string(&public)?.trim().to_owned();

    // The server's stderr goes to a file (a pipe nobody reads could fill
    // and stall it); its first line says where it listens.
    let log = dir.join("serve-stderr");
    let child = Command::new(cairn)
        .arg("--store")
        .arg(dir.join("source"))
        .args(["cache", "serve", "--listen", "127.0.0.1:0", "--key-file"])
        .arg(&secret)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .context("starting cairn cache serve")?;
    let server = Background::new(child);
    let url = wait_for_address(&log)?;
    Ok(Started {
        server: Some(server),
        vars: vec![("{url}", url), ("{key}", key), ("{top}", top)],
        volume: Some(volume),
    })
}

/// The NAR bytes and path count of the closure of `top` in the store at
/// `root`: what each run transfers.
fn closure_volume(root: &Path, top: &str) -> anyhow::Result<Volume> {
    let store = LocalStore::open(LocalStoreConfig::chroot(root))?;
    let top = store.store_dir().parse_path(top)?;
    let closure = store.closure(std::slice::from_ref(&top))?;
    let mut bytes = 0;
    for path in &closure {
        bytes += store
            .path_info(path)?
            .with_context(|| format!("{path} is not valid"))?
            .nar_size;
    }
    Ok(Volume {
        bytes,
        paths: closure.len(),
    })
}

/// Waits for the line `serving … on http://ADDR` in the server's log.
fn wait_for_address(log: &Path) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(log)?;
        if let Some(url) = text
            .lines()
            .next()
            .filter(|_| text.contains('\n'))
            .and_then(|line| line.rsplit(' ').next())
        {
            anyhow::ensure!(url.starts_with("http://"), "cairn cache serve said: {text}");
            return Ok(url.to_owned());
        }
        if Instant::now() > deadline {
            bail!("cairn cache serve did not start: {text}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
