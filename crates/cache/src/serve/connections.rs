//! Connections between requests: who holds them, and when they end.
//!
//! A connection is in one of three places: parked in the [`Idle`] set
//! (watched by epoll, holding no thread), in the [`Ready`] queue (a request
//! has arrived; waiting for a worker), or with a worker (one request being
//! answered). Its epoll registration is one-shot, so exactly one of the
//! poller or a worker owns it at any moment: the poller moves it from
//! `Idle` to `Ready` when it becomes readable, and a worker puts it back
//! in `Idle` (re-arming it) once its answer is sent.
//!
//! The poller is the thread that calls `CacheServer::run`. It also accepts
//! connections (the listener is in the same epoll set), closes connections
//! idle for longer than the idle timeout, and keeps the number open under
//! its bound: at the bound, the idle connection used least recently makes
//! room for a new one, and with none idle the listener is left unwatched,
//! so new clients wait in the kernel's backlog until a connection closes.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rustix::event::epoll;

/// The epoll token of the listener.
const LISTENER: u64 = 0;
/// The epoll token of the wake-up eventfd.
const WAKE: u64 = 1;
/// Tokens of connections start here; each connection has its own, never
/// reused, so a late event for a closed connection finds nothing.
const FIRST_CONNECTION: u64 = 2;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An open connection. It holds no buffer of its own between requests:
/// a worker answers every request it has read before parking it.
pub(super) struct Conn {
    pub(super) stream: TcpStream,
    /// When it was accepted or its last request was taken up: the
    /// connection used least recently is the one closed to make room.
    last_used: Instant,
    token: u64,
    /// Gives the connection's place back when it closes.
    _slot: Slot,
}

/// A place among the open connections, returned when dropped.
struct Slot(Arc<Gate>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
        if self.0.listener_paused.load(Ordering::SeqCst) {
            self.0.wake();
        }
    }
}

/// What the poller and the connections share: the count of open
/// connections, and the eventfd that wakes the poller.
pub(super) struct Gate {
    open: AtomicUsize,
    listener_paused: AtomicBool,
    stopping: AtomicBool,
    wake: OwnedFd,
}

impl Gate {
    pub(super) fn new() -> io::Result<Gate> {
        use rustix::event::{EventfdFlags, eventfd};
        Ok(Gate {
            open: AtomicUsize::new(0),
            listener_paused: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            wake: eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?,
        })
    }

    fn wake(&self) {
        // Only fails when the counter is full, which wakes the poller
        // anyway.
        let _ = rustix::io::write(&self.wake, &1u64.to_ne_bytes());
    }

    /// Makes the poller return, and the workers end after their request.
    pub(super) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake();
    }

    pub(super) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

/// Connections waiting for a worker, and how many workers wait for one.
pub(super) struct Ready {
    state: Mutex<ReadyState>,
    arrived: Condvar,
}

struct ReadyState {
    conns: VecDeque<Conn>,
    idle_workers: usize,
    stopping: bool,
}

impl Ready {
    pub(super) fn new() -> Ready {
        Ready {
            state: Mutex::new(ReadyState {
                conns: VecDeque::new(),
                idle_workers: 0,
                stopping: false,
            }),
            arrived: Condvar::new(),
        }
    }

    /// Queues `conn`; true when more connections wait than workers do, so
    /// another worker would help.
    fn push(&self, conn: Conn) -> bool {
        let mut state = lock(&self.state);
        state.conns.push_back(conn);
        self.arrived.notify_one();
        state.conns.len() > state.idle_workers
    }

    /// The next connection with a request, or `None` once stopping.
    pub(super) fn take(&self) -> Option<Conn> {
        let mut state = lock(&self.state);
        loop {
            if state.stopping {
                return None;
            }
            if let Some(mut conn) = state.conns.pop_front() {
                conn.last_used = Instant::now();
                return Some(conn);
            }
            state.idle_workers += 1;
            state = self
                .arrived
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.idle_workers -= 1;
        }
    }

    /// Wakes every waiting worker to end; queued connections are closed.
    fn stop(&self) {
        let mut state = lock(&self.state);
        state.stopping = true;
        state.conns.clear();
        self.arrived.notify_all();
    }
}

/// A parked connection and since when (for the idle timeout: a long
/// answer does not count as idleness).
struct Parked {
    conn: Conn,
    since: Instant,
}

/// The connections parked between requests, in one epoll set with the
/// listener and the wake-up eventfd.
pub(super) struct Idle {
    epoll: OwnedFd,
    parked: Mutex<HashMap<u64, Parked>>,
}

/// What a connection is watched for: data (a request) or its end.
fn conn_events() -> epoll::EventFlags {
    epoll::EventFlags::IN | epoll::EventFlags::RDHUP | epoll::EventFlags::ONESHOT
}

impl Idle {
    pub(super) fn new(listener: &TcpListener, gate: &Gate) -> io::Result<Idle> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        listener.set_nonblocking(true)?;
        epoll::add(
            &epoll,
            listener,
            epoll::EventData::new_u64(LISTENER),
            epoll::EventFlags::IN | epoll::EventFlags::ONESHOT,
        )?;
        epoll::add(
            &epoll,
            &gate.wake,
            epoll::EventData::new_u64(WAKE),
            epoll::EventFlags::IN,
        )?;
        Ok(Idle {
            epoll,
            parked: Mutex::new(HashMap::new()),
        })
    }

    /// Parks `conn` until its next request (a worker has answered the
    /// last one). If it cannot be watched, it is closed.
    pub(super) fn park(&self, conn: Conn) {
        let token = conn.token;
        let mut parked = lock(&self.parked);
        // Re-armed under the lock, so the poller cannot see the event
        // before the connection is in the map.
        let armed = epoll::modify(
            &self.epoll,
            &conn.stream,
            epoll::EventData::new_u64(token),
            conn_events(),
        );
        if armed.is_ok() {
            parked.insert(
                token,
                Parked {
                    conn,
                    since: Instant::now(),
                },
            );
        }
    }

    /// Closes the parked connection used least recently, if any.
    fn evict_oldest(&self) {
        let mut parked = lock(&self.parked);
        let oldest = parked
            .iter()
            .min_by_key(|(_, p)| p.conn.last_used)
            .map(|(&token, _)| token);
        if let Some(token) = oldest {
            parked.remove(&token);
        }
    }
}

/// The poller's bounds.
pub(super) struct Limits {
    pub(super) max_connections: usize,
    pub(super) idle_timeout: Duration,
    pub(super) io_timeout: Duration,
}

/// The poller: accepts connections, hands those with a request to the
/// workers (calling `more_workers` when the queue outgrows the idle
/// workers), closes idle ones, until the gate says stop.
pub(super) fn poll(
    listener: &TcpListener,
    idle: &Idle,
    ready: &Ready,
    gate: &Arc<Gate>,
    limits: &Limits,
    mut more_workers: impl FnMut(),
) {
    let mut events: Vec<epoll::Event> = Vec::with_capacity(256);
    let mut next_token = FIRST_CONNECTION;
    let mut last_sweep = Instant::now();
    // Often enough that a connection outlives the idle timeout by at most
    // a second; when nothing happens the poller wakes once a second.
    let tick = rustix::event::Timespec {
        tv_sec: 1,
        tv_nsec: 0,
    };
    while !gate.stopping() {
        events.clear();
        match epoll::wait(
            &idle.epoll,
            rustix::buffer::spare_capacity(&mut events),
            Some(&tick),
        ) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            // Cannot happen with a valid epoll fd and buffer; ending is
            // better than spinning.
            Err(_) => break,
        }
        let mut accept = false;
        for event in &events {
            match event.data.u64() {
                LISTENER => accept = true,
                WAKE => {
                    let mut counter = [0u8; 8];
                    let _ = rustix::io::read(&gate.wake, &mut counter);
                }
                token => {
                    let conn = lock(&idle.parked).remove(&token);
                    if let Some(Parked { conn, .. }) = conn
                        && ready.push(conn)
                    {
                        more_workers();
                    }
                }
            }
        }
        if accept || gate.listener_paused.load(Ordering::SeqCst) {
            accept_all(listener, idle, gate, limits, &mut next_token);
        }
        if last_sweep.elapsed() >= Duration::from_secs(1) {
            last_sweep = Instant::now();
            lock(&idle.parked).retain(|_, p| p.since.elapsed() < limits.idle_timeout);
        }
    }
    ready.stop();
    lock(&idle.parked).clear();
}

/// Accepts every waiting connection while there is room (making room by
/// closing the idle connection used least recently if need be) and parks
/// each until its first request. Re-arms the listener unless out of room,
/// in which case it is retried when a connection closes or at the next
/// tick.
fn accept_all(
    listener: &TcpListener,
    idle: &Idle,
    gate: &Arc<Gate>,
    limits: &Limits,
    next_token: &mut u64,
) {
    let max = limits.max_connections.max(1);
    let paused = loop {
        // Only the poller takes connections out of the idle set, so one
        // seen here is still there to close once a new one is accepted.
        if gate.open.load(Ordering::SeqCst) >= max && lock(&idle.parked).is_empty() {
            break true;
        }
        match listener.accept() {
            Ok((stream, _)) => {
                if gate.open.fetch_add(1, Ordering::SeqCst) >= max {
                    idle.evict_oldest();
                }
                let conn = Conn {
                    stream,
                    last_used: Instant::now(),
                    token: *next_token,
                    _slot: Slot(Arc::clone(gate)),
                };
                *next_token += 1;
                if configure(&conn.stream, limits).is_ok() {
                    register(idle, conn);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
            Err(e) if is_out_of_resources(&e) => break true,
            // The connection failed before it was accepted: next one.
            Err(_) => {}
        }
    };
    gate.listener_paused.store(paused, Ordering::SeqCst);
    if !paused {
        // Fails only if the listener is gone, which ends serving anyway.
        let _ = epoll::modify(
            &idle.epoll,
            listener,
            epoll::EventData::new_u64(LISTENER),
            epoll::EventFlags::IN | epoll::EventFlags::ONESHOT,
        );
    }
}

fn configure(stream: &TcpStream, limits: &Limits) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_nodelay(true)?;
    // Workers block on the socket; these bound how long a silent or
    // stalled client holds one.
    stream.set_read_timeout(Some(limits.io_timeout))?;
    stream.set_write_timeout(Some(limits.io_timeout))
}

/// Adds a new connection to the epoll set, parked; closed if it cannot be.
fn register(idle: &Idle, conn: Conn) {
    let mut parked = lock(&idle.parked);
    let added = epoll::add(
        &idle.epoll,
        &conn.stream,
        epoll::EventData::new_u64(conn.token),
        conn_events(),
    );
    if added.is_ok() {
        parked.insert(
            conn.token,
            Parked {
                conn,
                since: Instant::now(),
            },
        );
    }
}

/// Accept errors that last until something is closed: retrying at once
/// would spin.
fn is_out_of_resources(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error().map(rustix::io::Errno::from_raw_os_error),
        Some(
            rustix::io::Errno::MFILE
                | rustix::io::Errno::NFILE
                | rustix::io::Errno::NOBUFS
                | rustix::io::Errno::NOMEM
        )
    )
}
