//! Serving a local store as a binary cache over HTTP, as `nix-serve` does.
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /nix-cache-info` | `StoreDir`, `WantMassQuery: 1`, `Priority` |
//! | `GET /<hash>.narinfo` | the path's narinfo, signed on the fly with the server's key |
//! | `GET /nar/<hash>-<nar hash>.nar` | the path's NAR, uncompressed, streamed |
//! | `HEAD` of any of these | the same headers, no body |
//! | anything else, or a path not in the store | 404 |
//!
//! Requests are answered by a pool of worker threads, grown on demand up to
//! a bound, each borrowing a store handle from a smaller bounded pool
//! (a handle is needed only for the database lookup). A NAR is serialised
//! straight from the store into the connection through a pipe, so memory
//! stays bounded whatever its size; its length is known from the store's
//! record, so the client gets a `Content-Length` and can tell a truncated
//! answer. Memory thus grows with the bounds, not with the number of
//! clients or the size of what is served.

use std::collections::BTreeSet;
use std::io::{BufWriter, Cursor, Read};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::Scope;

use cairn_store::local::{LocalStore, LocalStoreConfig, LocalStoreError};
use cairn_store::path::StorePath;
use thiserror::Error;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

use crate::cache_info::NixCacheInfo;
use crate::keys::SecretKey;
use crate::narinfo::{Compression, NarInfo};
use crate::signature::Signature;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Signs every narinfo served with this key.
    pub secret_key: Option<SecretKey>,
    /// The priority announced in `nix-cache-info` (lower is preferred).
    pub priority: Option<i32>,
    /// The most requests answered at once (worker threads); more wait.
    pub max_concurrent: usize,
    /// The most store handles (database connections) open at once; a
    /// request waits for one. Each caches database pages, so this bounds
    /// the memory the database takes.
    pub max_store_handles: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            secret_key: None,
            priority: None,
            // Each worker is a thread with its own stack and allocator
            // state; 64 keep the local disk and network busy, and more
            // showed only as memory (1.6 to 1.7 times the peak with 256 in
            // `tests/serve_load.rs`).
            max_concurrent: 64,
            max_store_handles: 8,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] LocalStoreError),
}

/// A binary-cache server over one local store.
pub struct CacheServer {
    server: Arc<Server>,
    shared: Arc<Shared>,
}

struct Shared {
    config: LocalStoreConfig,
    options: ServeOptions,
    stores: Mutex<StorePool>,
    store_free: Condvar,
    /// Worker threads started, and those waiting for a request.
    workers: AtomicUsize,
    idle: AtomicUsize,
    stopping: AtomicBool,
}

/// Idle store handles, and how many are open in all.
struct StorePool {
    idle: Vec<LocalStore>,
    open: usize,
}

impl CacheServer {
    /// Listens on `addr` (`127.0.0.1:8080`; port 0 picks a free one) for
    /// the store described by `config`, which is opened once here to fail
    /// early when it cannot be.
    pub fn bind(
        addr: &str,
        config: LocalStoreConfig,
        options: ServeOptions,
    ) -> Result<Self, ServeError> {
        let first = LocalStore::open(config.clone())?;
        let server = Server::http(addr).map_err(|e| ServeError::Bind {
            addr: addr.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(CacheServer {
            server: Arc::new(server),
            shared: Arc::new(Shared {
                config,
                options,
                stores: Mutex::new(StorePool {
                    idle: vec![first],
                    open: 1,
                }),
                store_free: Condvar::new(),
                workers: AtomicUsize::new(0),
                idle: AtomicUsize::new(0),
                stopping: AtomicBool::new(false),
            }),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.server_addr().to_ip()
    }

    /// A handle that stops [`CacheServer::run`] from another thread.
    pub fn stopper(&self) -> Stopper {
        Stopper {
            server: Arc::clone(&self.server),
            shared: Arc::clone(&self.shared),
        }
    }

    /// Answers requests until stopped. Starts with one worker thread and
    /// adds one whenever every worker is busy, up to
    /// [`ServeOptions::max_concurrent`]; workers stay for the next request
    /// rather than a thread being made for each.
    pub fn run(&self) {
        std::thread::scope(|scope| {
            self.add_worker(scope);
        });
    }

    fn add_worker<'scope>(&'scope self, scope: &'scope Scope<'scope, '_>) {
        let shared = &self.shared;
        if shared.workers.fetch_add(1, Ordering::SeqCst) >= shared.options.max_concurrent.max(1) {
            shared.workers.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("cairn-serve".into())
            .spawn_scoped(scope, move || self.work(scope));
        if spawned.is_err() {
            // No thread: the workers there are carry on.
            shared.workers.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// One worker: takes requests from the server until it is stopped.
    fn work<'scope>(&'scope self, scope: &'scope Scope<'scope, '_>) {
        let shared = &self.shared;
        while !shared.stopping.load(Ordering::SeqCst) {
            shared.idle.fetch_add(1, Ordering::SeqCst);
            let received = self.server.recv();
            let idle_before = shared.idle.fetch_sub(1, Ordering::SeqCst);
            let Ok(request) = received else {
                break;
            };
            if idle_before == 1 {
                // This was the last idle worker: the next request would
                // wait for a busy one to finish.
                self.add_worker(scope);
            }
            shared.handle(request);
        }
        // `Server::unblock` wakes one waiting worker; each passes it on,
        // so all of them end.
        shared.stopping.store(true, Ordering::SeqCst);
        self.server.unblock();
    }
}

/// Stops a running [`CacheServer`].
#[derive(Clone)]
pub struct Stopper {
    server: Arc<Server>,
    shared: Arc<Shared>,
}

impl Stopper {
    /// Makes `run` return once the requests under way are answered.
    pub fn stop(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.server.unblock();
    }
}

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

type Reply = Response<Box<dyn Read + Send>>;

fn reply(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
    let len = body.len();
    let mut response = Response::new(
        StatusCode(status),
        Vec::new(),
        Box::new(Cursor::new(body)) as Box<dyn Read + Send>,
        Some(len),
        None,
    );
    if let Some(h) = header("Content-Type", content_type) {
        response.add_header(h);
    }
    response
}

fn not_found() -> Reply {
    reply(404, "text/plain", b"not found\n".to_vec())
}

impl Shared {
    fn handle(&self, request: Request) {
        let head = *request.method() == Method::Head;
        let response = if matches!(request.method(), Method::Get | Method::Head) {
            let url = request
                .url()
                .split('?')
                .next()
                .unwrap_or_default()
                .to_owned();
            self.answer(&url, head)
                .unwrap_or_else(|error| reply(500, "text/plain", format!("{error}\n").into_bytes()))
        } else {
            reply(405, "text/plain", b"only GET and HEAD\n".to_vec())
        };
        // The client may have gone; nothing to do about it.
        let _ = request.respond(response);
    }

    /// Runs `f` with a store handle from the pool, opening one if none is
    /// idle and fewer than the bound are open, else waiting for one.
    fn with_store<T>(
        &self,
        f: impl FnOnce(&LocalStore) -> Result<T, LocalStoreError>,
    ) -> Result<T, LocalStoreError> {
        fn lock(m: &Mutex<StorePool>) -> std::sync::MutexGuard<'_, StorePool> {
            m.lock().unwrap_or_else(PoisonError::into_inner)
        }
        let store = {
            let mut pool = lock(&self.stores);
            loop {
                if let Some(store) = pool.idle.pop() {
                    break Some(store);
                }
                if pool.open < self.options.max_store_handles.max(1) {
                    pool.open += 1;
                    break None;
                }
                pool = self
                    .store_free
                    .wait(pool)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let store = match store {
            Some(store) => store,
            // Opened outside the lock: it touches the disk.
            None => LocalStore::open(self.config.clone()).inspect_err(|_| {
                lock(&self.stores).open -= 1;
                self.store_free.notify_one();
            })?,
        };
        let result = f(&store);
        lock(&self.stores).idle.push(store);
        self.store_free.notify_one();
        result
    }

    fn answer(&self, url: &str, head: bool) -> Result<Reply, LocalStoreError> {
        if url == "/nix-cache-info" {
            let info = NixCacheInfo {
                store_dir: Some(self.config.store_dir.clone()),
                want_mass_query: Some(true),
                priority: self.options.priority,
            };
            return Ok(reply(
                200,
                "text/x-nix-cache-info",
                info.to_string().into_bytes(),
            ));
        }
        if let Some(hash_part) = url
            .strip_prefix('/')
            .and_then(|u| u.strip_suffix(".narinfo"))
        {
            return self.narinfo(hash_part);
        }
        if let Some(name) = url
            .strip_prefix("/nar/")
            .and_then(|u| u.strip_suffix(".nar"))
        {
            return self.nar(name, head);
        }
        Ok(not_found())
    }

    fn narinfo(&self, hash_part: &str) -> Result<Reply, LocalStoreError> {
        if !is_hash_part(hash_part) {
            return Ok(not_found());
        }
        let found = self.with_store(|store| match store.path_from_hash_part(hash_part)? {
            Some(path) => store.path_info(&path),
            None => Ok(None),
        })?;
        let Some(info) = found else {
            return Ok(not_found());
        };
        let signatures: BTreeSet<Signature> = info
            .signatures
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        let mut narinfo = NarInfo {
            store_dir: self.config.store_dir.clone(),
            url: format!(
                "nar/{}-{}.nar",
                info.path.hash_part(),
                info.nar_hash.to_nix_base32()
            ),
            store_path: info.path,
            compression: Compression::None,
            file_hash: None,
            file_size: None,
            nar_hash: info.nar_hash,
            nar_size: info.nar_size,
            references: info.references,
            deriver: info.deriver,
            system: None,
            signatures,
            ca: info.ca,
        };
        if let Some(key) = &self.options.secret_key {
            narinfo.sign(key);
        }
        Ok(reply(
            200,
            "text/x-nix-narinfo",
            narinfo.to_string().into_bytes(),
        ))
    }

    fn nar(&self, name: &str, head: bool) -> Result<Reply, LocalStoreError> {
        let Some((hash_part, nar_hash)) = name.split_once('-') else {
            return Ok(not_found());
        };
        if !is_hash_part(hash_part) {
            return Ok(not_found());
        }
        let found = self.with_store(|store| match store.path_from_hash_part(hash_part)? {
            Some(path) => Ok(store
                .path_info(&path)?
                .map(|info| (store.real_path(&path), info))),
            None => Ok(None),
        })?;
        // The NAR hash in the URL pins the contents: a path deleted and
        // re-added differently meanwhile is not served under the old URL.
        let Some((real_path, info)) =
            found.filter(|(_, info)| info.nar_hash.to_nix_base32() == nar_hash)
        else {
            return Ok(not_found());
        };
        let Ok(len) = usize::try_from(info.nar_size) else {
            return Ok(not_found());
        };
        let body: Box<dyn Read + Send> = if head {
            Box::new(std::io::empty())
        } else {
            stream_nar(real_path, &info.path)?
        };
        // Never chunked (tiny_http chunks bodies of 32 KiB and more by
        // default): the length is known, and with `Content-Length` a
        // client tells a truncated NAR from a whole one before hashing.
        let mut response = Response::new(StatusCode(200), Vec::new(), body, Some(len), None)
            .with_chunked_threshold(usize::MAX);
        if let Some(h) = header("Content-Type", "application/x-nix-nar") {
            response.add_header(h);
        }
        Ok(response)
    }
}

/// A reader of the NAR of `real_path`, written by a helper thread into a
/// pipe: memory use is the pipe's buffer, whatever the NAR's size. If the
/// client goes away, the writer fails and the thread ends.
fn stream_nar(
    real_path: std::path::PathBuf,
    path: &StorePath,
) -> Result<Box<dyn Read + Send>, LocalStoreError> {
    let (reader, writer) = std::io::pipe().map_err(|e| LocalStoreError::Io {
        action: "creating a pipe for",
        path: real_path.clone(),
        source: e,
    })?;
    let name = format!("cairn-nar-{}", path.hash_part());
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            // An error ends the stream early; the client sees fewer bytes
            // than Content-Length and refuses the NAR.
            let _ =
                cairn_store::nar::dump_path(&real_path, BufWriter::with_capacity(64 << 10, writer));
        })
        .map_err(|e| LocalStoreError::Io {
            action: "starting a thread to serialise",
            path: std::path::PathBuf::from(path.to_string()),
            source: e,
        })?;
    Ok(Box::new(reader))
}

/// 32 characters of Nix's base32 alphabet.
fn is_hash_part(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b"0123456789abcdfghijklmnpqrsvwxyz".contains(&b))
}
