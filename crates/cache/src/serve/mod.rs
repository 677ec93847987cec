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
//! Memory and threads are bounded by the options, not by the clients:
//!
//! - a fixed bound of worker threads ([`ServeOptions::max_concurrent`],
//!   started as requests need them) answers requests, each borrowing a
//!   store handle from a smaller bounded pool (a handle is needed only for
//!   the database lookup);
//! - a connection holds a thread only while a request on it is answered.
//!   Between requests it is parked in an epoll set watched by one thread
//!   (the one that calls [`CacheServer::run`], which also accepts), costing
//!   a socket and a few bytes; parked connections are closed after
//!   [`ServeOptions::idle_timeout`], and at most
//!   [`ServeOptions::max_connections`] are open (the idle one used least
//!   recently makes room for a new one);
//! - a request head is read into the worker's buffer of at most 16 KiB; a
//!   NAR is serialised straight from the store into the socket through a
//!   64 KiB buffer, whatever its size. Its length is known from the
//!   store's record, so the client gets a `Content-Length` and can tell a
//!   truncated answer;
//! - reads and writes on a connection time out
//!   ([`ServeOptions::io_timeout`]), so a silent or stalled client holds a
//!   worker for a bounded time.
//!
//! The HTTP side is ours, not a framework's: a cache needs `GET` and
//! `HEAD` with known lengths and keep-alive, and owning the connections is
//! what lets them be parked without a thread (tiny_http, used before, kept
//! a thread per open connection: 566 threads and 583 MiB under 50
//! clients). Request heads are parsed by `httparse`.

mod answer;
mod connections;
mod http;
mod worker;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cairn_store::local::{LocalStoreConfig, LocalStoreError};
use thiserror::Error;

use crate::keys::SecretKey;
use answer::Answerer;
use connections::{Gate, Idle, Limits, Ready};

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Signs every narinfo served with this key.
    pub secret_key: Option<SecretKey>,
    /// The priority announced in `nix-cache-info` (lower is preferred).
    pub priority: Option<i32>,
    /// The most requests answered at once (worker threads, started as
    /// needed); further requests wait for a worker.
    pub max_concurrent: usize,
    /// The most store handles (database connections) open at once; a
    /// request waits for one. Each caches database pages, so this bounds
    /// the memory the database takes.
    pub max_store_handles: usize,
    /// The most connections open at once, lowered to what the limit on
    /// open files leaves room for. At the bound the idle connection used
    /// least recently is closed to make room; with none idle, new clients
    /// wait in the listen backlog.
    pub max_connections: usize,
    /// A connection without a request for this long is closed.
    pub idle_timeout: Duration,
    /// The longest a read of a request or a write of an answer may block
    /// before the connection is closed.
    pub io_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            secret_key: None,
            priority: None,
            // Each worker costs about 3.4 MiB at its peak under `cairn`'s
            // allocator (mimalloc): a thread's heap, the NAR serialiser's
            // 1 MiB read buffer and the 64 KiB socket buffer. 16 keep two
            // cores, the disk and the network busy: under 50 clients the
            // server peaked at 77 MiB with 16 and 242 MiB with 64.
            max_concurrent: 16,
            max_store_handles: 8,
            max_connections: 1024,
            idle_timeout: Duration::from_secs(60),
            io_timeout: Duration::from_secs(60),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The server's event loop could not be set up.
    #[error("setting up the server's event loop")]
    Setup(#[source] std::io::Error),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] LocalStoreError),
}

/// A binary-cache server over one local store.
pub struct CacheServer {
    listener: TcpListener,
    answerer: Answerer,
    gate: Arc<Gate>,
    idle: Idle,
    ready: Ready,
    limits: Limits,
    max_workers: usize,
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
        let max_workers = options.max_concurrent.max(1);
        let limits = Limits {
            max_connections: connection_bound(&options),
            idle_timeout: options.idle_timeout,
            io_timeout: options.io_timeout,
        };
        let answerer = Answerer::new(config, options)?;
        let listener = TcpListener::bind(addr).map_err(|source| ServeError::Bind {
            addr: addr.to_owned(),
            source,
        })?;
        let gate = Arc::new(Gate::new().map_err(ServeError::Setup)?);
        let idle = Idle::new(&listener, &gate).map_err(ServeError::Setup)?;
        Ok(CacheServer {
            listener,
            answerer,
            gate,
            idle,
            ready: Ready::new(),
            limits,
            max_workers,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// A handle that stops [`CacheServer::run`] from another thread.
    pub fn stopper(&self) -> Stopper {
        Stopper {
            gate: Arc::clone(&self.gate),
        }
    }

    /// Answers requests until stopped. The calling thread accepts
    /// connections and watches the idle ones; worker threads answer
    /// requests, one more whenever requests wait and no worker is free, up
    /// to [`ServeOptions::max_concurrent`]. Workers stay for the next
    /// request rather than a thread being made for each.
    pub fn run(&self) {
        let workers = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let add_worker = || {
                if workers.fetch_add(1, Ordering::SeqCst) >= self.max_workers {
                    workers.fetch_sub(1, Ordering::SeqCst);
                    return;
                }
                let spawned = std::thread::Builder::new()
                    .name("cairn-serve".into())
                    .spawn_scoped(scope, || self.work());
                if spawned.is_err() {
                    // No thread: the workers there are carry on.
                    workers.fetch_sub(1, Ordering::SeqCst);
                }
            };
            add_worker();
            connections::poll(
                &self.listener,
                &self.idle,
                &self.ready,
                &self.gate,
                &self.limits,
                add_worker,
            );
        });
    }

    /// One worker: answers connections with a request until stopped.
    fn work(&self) {
        let mut buf = Vec::with_capacity(http::MAX_HEAD);
        while let Some(conn) = self.ready.take() {
            if worker::answer_requests(&conn.stream, &self.answerer, &mut buf)
                && !self.gate.stopping()
            {
                self.idle.park(conn);
            }
        }
    }
}

/// `max_connections`, lowered so that connections, the store's files and
/// the files workers read cannot run out of file descriptors.
fn connection_bound(options: &ServeOptions) -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    let reserve = 64 + options.max_concurrent + 4 * options.max_store_handles;
    let room = limit.map_or(usize::MAX, |l| {
        usize::try_from(l)
            .unwrap_or(usize::MAX)
            .saturating_sub(reserve)
    });
    options.max_connections.min(room).max(1)
}

/// Stops a running [`CacheServer`].
#[derive(Clone)]
pub struct Stopper {
    gate: Arc<Gate>,
}

impl Stopper {
    /// Makes `run` return once the requests under way are answered.
    pub fn stop(&self) {
        self.gate.stop();
    }
}
