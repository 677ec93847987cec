//! Substitution: fetching store paths from binary caches instead of
//! building them.
//!
//! For a set of wanted paths, [`Substituters::substitute`]
//! 1. looks up the narinfos of every missing path of their closures, many
//!    at once (bounded by [`SubstituteOptions::query_jobs`]), in each cache
//!    by priority; a narinfo is taken only if a trusted key signed it (or
//!    its content address proves the path), otherwise the next cache is
//!    asked, and if none qualifies nothing at all is downloaded;
//! 2. downloads, decompresses and unpacks NARs on
//!    [`SubstituteOptions::download_jobs`] threads into the store's staging
//!    area, checking NarHash and NarSize on the bytes unpacked;
//! 3. registers the paths, with references, deriver, signatures and
//!    content address, in batches of up to 256 paths (one flush
//!    and one transaction each), each path in the same batch as its
//!    references or a later one, so the store holds only complete closures
//!    at every moment.
//!
//! Anything that fails a check is refused with a message naming the path,
//! the cache and the reason; it is never registered.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use cairn_store::local::import::{ImportError, StagedNar};
use cairn_store::local::{LocalStore, LocalStoreError};
use cairn_store::path::StorePath;
use cairn_store::path_info::PathInfo;
use thiserror::Error;

use crate::binary_cache::{BinaryCache, CacheError};
use crate::narinfo::NarInfo;
use crate::signature::TrustedKeys;

/// Paths registered together (one flush, one transaction). Each holds
/// its lock file open until its batch is registered.
const REGISTER_BATCH: usize = 256;

/// How substitution behaves.
#[derive(Debug, Clone)]
pub struct SubstituteOptions {
    /// The keys whose signatures make a narinfo trusted.
    pub trusted_keys: TrustedKeys,
    /// Refuse paths no trusted key signed (Nix's `require-sigs`, on by
    /// default). Turning it off trusts whatever the caches say.
    pub require_sigs: bool,
    /// How many narinfos are looked up at once.
    pub query_jobs: usize,
    /// How many NARs are downloaded at once.
    pub download_jobs: usize,
    /// How many times a NAR download is tried before giving up on it.
    pub attempts: u32,
    /// The wait before the second attempt; it doubles after each one.
    pub retry_backoff: Duration,
}

impl Default for SubstituteOptions {
    fn default() -> Self {
        SubstituteOptions {
            trusted_keys: TrustedKeys::new(),
            require_sigs: true,
            query_jobs: 16,
            download_jobs: 4,
            attempts: 3,
            retry_backoff: Duration::from_millis(500),
        }
    }
}

/// Reports what substitution (or upload) is doing. Every method has an
/// empty default; calls come from several threads.
pub trait Progress: Sync {
    /// The closure has been looked up: `paths` will be transferred,
    /// `nar_bytes` in total (uncompressed).
    fn planned(&self, _paths: usize, _nar_bytes: u64) {}
    /// A path's transfer starts.
    fn started(&self, _path: &StorePath, _cache_url: &str) {}
    /// `n` more (uncompressed) bytes were transferred.
    fn bytes(&self, _n: u64) {}
    /// A path is done (registered, or uploaded with its narinfo).
    fn finished(&self, _path: &StorePath) {}
    /// An attempt failed and will be retried.
    fn retrying(&self, _path: &StorePath, _error: &dyn std::error::Error) {}
}

/// A [`Progress`] that reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Why substitution failed.
#[derive(Debug, Error)]
pub enum SubstituteError {
    /// No cache offers the path (with an acceptable narinfo).
    #[error("{path} is not valid and no substituter can provide it{}", reasons(.rejections))]
    NotAvailable {
        /// The path.
        path: String,
        /// Why each cache that has it was refused (`<url>: <reason>`).
        rejections: Vec<String>,
    },
    /// Downloading or importing a path failed (after retries).
    #[error("substituting {path} from {cache}: {source}")]
    Transfer {
        /// The path.
        path: String,
        /// The cache.
        cache: String,
        /// What went wrong.
        #[source]
        source: Box<TransferError>,
    },
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] LocalStoreError),
    /// Registering a checked path failed.
    #[error(transparent)]
    Import(#[from] ImportError),
}

fn reasons(rejections: &[String]) -> String {
    if rejections.is_empty() {
        String::new()
    } else {
        format!(": {}", rejections.join("; "))
    }
}

/// What failed while transferring one path.
#[derive(Debug, Error)]
pub enum TransferError {
    /// The cache failed.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The NAR failed a check or could not be unpacked.
    #[error(transparent)]
    Import(#[from] ImportError),
}

impl TransferError {
    /// True for failures another attempt may cure (network trouble, a
    /// truncated stream); false for content that is simply wrong.
    fn is_transient(&self) -> bool {
        match self {
            TransferError::Cache(CacheError::Transport(_)) => true,
            TransferError::Cache(_) => false,
            TransferError::Import(ImportError::Nar { .. }) => true,
            TransferError::Import(_) => false,
        }
    }
}

/// What a substitution did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SubstituteReport {
    /// The paths fetched and registered, references first.
    pub substituted: Vec<StorePath>,
    /// Total NAR bytes fetched (uncompressed).
    pub nar_bytes: u64,
}

/// A narinfo chosen for a path, and the cache it came from.
#[derive(Debug, Clone)]
struct Choice {
    cache: usize,
    info: Arc<NarInfo>,
}

/// A list of caches, asked in priority order, with the trust policy.
#[derive(Debug)]
pub struct Substituters {
    caches: Vec<BinaryCache>,
    options: SubstituteOptions,
}

impl Substituters {
    /// Substitutes from `caches`, asking lower priority numbers first (ties
    /// keep the given order, as in Nix).
    pub fn new(mut caches: Vec<BinaryCache>, options: SubstituteOptions) -> Self {
        caches.sort_by_key(BinaryCache::priority);
        Substituters { caches, options }
    }

    /// The caches, in the order they are asked.
    pub fn caches(&self) -> &[BinaryCache] {
        &self.caches
    }

    /// Makes `path` valid by substituting it and whatever of its closure is
    /// missing. Returns `Ok(false)`, having changed nothing, when the
    /// caches cannot provide the closure; the builder then builds instead.
    pub fn substitute_path(
        &self,
        store: &mut LocalStore,
        path: &StorePath,
        progress: &dyn Progress,
    ) -> Result<bool, SubstituteError> {
        match self.substitute(store, std::slice::from_ref(path), progress) {
            Ok(_) => Ok(true),
            Err(SubstituteError::NotAvailable { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Makes `paths` and their closures valid, fetching what is missing.
    pub fn substitute(
        &self,
        store: &mut LocalStore,
        paths: &[StorePath],
        progress: &dyn Progress,
    ) -> Result<SubstituteReport, SubstituteError> {
        let valid: HashSet<StorePath> = store.valid_paths()?.into_iter().collect();
        let wanted: Vec<StorePath> = paths
            .iter()
            .filter(|p| !valid.contains(*p))
            .cloned()
            .collect();
        let plan = self.plan(&valid, wanted, store)?;
        let order = crate::graph::references_first(&plan, |c| &c.info.references);
        progress.planned(
            order.len(),
            order.iter().map(|p| plan[p].info.nar_size).sum(),
        );
        self.transfer(store, &plan, &order, progress)
    }

    /// The narinfo to use for `path`: the first cache by priority that has
    /// one we trust. Refusals are collected for the error message.
    fn lookup(&self, path: &StorePath, store_dir: &str) -> Result<Choice, SubstituteError> {
        let mut rejections = Vec::new();
        for (index, cache) in self.caches.iter().enumerate() {
            match cache.narinfo(path) {
                Ok(None) => {}
                Ok(Some(info)) => match self.check_trust(&info) {
                    Ok(()) => return Ok(Choice { cache: index, info }),
                    Err(reason) => rejections.push(format!("{}: {reason}", cache.url())),
                },
                // A broken cache is skipped, as Nix skips it, but named.
                Err(error) => rejections.push(format!("{}: {error}", cache.url())),
            }
        }
        Err(SubstituteError::NotAvailable {
            path: format!("{store_dir}/{path}"),
            rejections,
        })
    }

    /// Nix's rule: a narinfo is trusted if signatures are not required, if
    /// a trusted key signed it, or if its content address yields its path.
    fn check_trust(&self, info: &NarInfo) -> Result<(), String> {
        if !self.options.require_sigs || proves_own_path(info) {
            return Ok(());
        }
        self.options
            .trusted_keys
            .verify_narinfo(info)
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Looks up every missing path of the closures of `wanted`, in parallel.
    fn plan(
        &self,
        valid: &HashSet<StorePath>,
        wanted: Vec<StorePath>,
        store: &LocalStore,
    ) -> Result<HashMap<StorePath, Choice>, SubstituteError> {
        struct State {
            todo: Vec<StorePath>,
            seen: HashSet<StorePath>,
            in_flight: usize,
            found: HashMap<StorePath, Choice>,
            failure: Option<SubstituteError>,
        }
        let store_dir = store.store_dir().to_string();
        let state = Mutex::new(State {
            seen: wanted.iter().cloned().collect(),
            todo: wanted,
            in_flight: 0,
            found: HashMap::new(),
            failure: None,
        });
        let wake = Condvar::new();
        let lock = || {
            state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let worker = || {
            loop {
                let path = {
                    let mut s = lock();
                    loop {
                        if s.failure.is_some() {
                            return;
                        }
                        if let Some(path) = s.todo.pop() {
                            s.in_flight += 1;
                            break path;
                        }
                        if s.in_flight == 0 {
                            return;
                        }
                        s = wake
                            .wait(s)
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                    }
                };
                let result = self.lookup(&path, &store_dir);
                let mut s = lock();
                s.in_flight -= 1;
                let mut new = 0;
                match result {
                    Ok(choice) => {
                        for reference in &choice.info.references {
                            if !valid.contains(reference) && s.seen.insert(reference.clone()) {
                                s.todo.push(reference.clone());
                                new += 1;
                            }
                        }
                        s.found.insert(path, choice);
                    }
                    Err(error) => {
                        s.failure.get_or_insert(error);
                    }
                }
                let finished = s.failure.is_some() || (s.todo.is_empty() && s.in_flight == 0);
                drop(s);
                // Wake one waiter per new path (this worker takes one
                // itself), or all of them to end; waking every waiter
                // after each lookup costs a context switch per idle worker.
                if finished {
                    wake.notify_all();
                } else {
                    for _ in 1..new {
                        wake.notify_one();
                    }
                }
            }
        };
        std::thread::scope(|scope| {
            for _ in 0..self.options.query_jobs.max(1) {
                scope.spawn(worker);
            }
        });
        let state = state
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match state.failure {
            Some(error) => Err(error),
            None => Ok(state.found),
        }
    }

    /// Downloads and unpacks on worker threads; registers here, each path
    /// once its references are valid.
    fn transfer(
        &self,
        store: &mut LocalStore,
        plan: &HashMap<StorePath, Choice>,
        order: &[StorePath],
        progress: &dyn Progress,
    ) -> Result<SubstituteReport, SubstituteError> {
        let stager = store.nar_stager();
        let next = Mutex::new(order.iter());
        let stop = AtomicBool::new(false);
        let (done_tx, done_rx) = mpsc::channel::<Result<StagedNar, SubstituteError>>();
        let store_dir = store.store_dir().clone();
        let mut report = SubstituteReport::default();
        let mut first_error = None;
        std::thread::scope(|scope| {
            for _ in 0..self.options.download_jobs.max(1) {
                let done_tx = done_tx.clone();
                let (next, stop, stager) = (&next, &stop, stager.clone());
                let store_dir = &store_dir;
                scope.spawn(move || {
                    loop {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let path = {
                            let mut it = next
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            it.next().cloned()
                        };
                        let Some(path) = path else { return };
                        let choice = &plan[&path];
                        let cache = &self.caches[choice.cache];
                        progress.started(&path, cache.url());
                        let result = self
                            .fetch_with_retries(cache, &choice.info, &stager, progress)
                            .map_err(|source| SubstituteError::Transfer {
                                path: store_dir.display_path(&path),
                                cache: cache.url().to_owned(),
                                source: Box::new(source),
                            });
                        if done_tx.send(result).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(done_tx);
            // Register in arrival order, holding back paths whose
            // references are not valid yet.
            let mut waiting: BTreeMap<StorePath, StagedNar> = BTreeMap::new();
            let mut registered: HashSet<StorePath> = HashSet::new();
            let mut all_in = false;
            while !all_in {
                match done_rx.recv() {
                    // It and whatever else has arrived meanwhile.
                    Ok(first) => {
                        for result in std::iter::once(first).chain(done_rx.try_iter()) {
                            match result {
                                Ok(staged) if first_error.is_none() => {
                                    waiting.insert(staged.path().clone(), staged);
                                }
                                Ok(_) => {}
                                Err(error) => {
                                    stop.store(true, Ordering::Relaxed);
                                    first_error.get_or_insert(error);
                                }
                            }
                        }
                    }
                    // Every download is in (or stopped).
                    Err(_) => all_in = true,
                }
                // Registered in batches as large as the lock budget allows
                // (each batch costs one flush of the filesystem), and what
                // is left at the end.
                if first_error.is_some() || (!all_in && waiting.len() < REGISTER_BATCH) {
                    continue;
                }
                if let Err(error) = self.register_ready(
                    store,
                    plan,
                    &mut waiting,
                    &mut registered,
                    &mut report,
                    progress,
                ) {
                    stop.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(error);
                }
            }
        });
        match first_error {
            Some(error) => Err(error),
            None => Ok(report),
        }
    }

    /// Registers every waiting path whose references are valid or go in
    /// with it: all that can go, in batches of up to [`REGISTER_BATCH`]
    /// paths, each flushed once and registered in one transaction.
    fn register_ready(
        &self,
        store: &mut LocalStore,
        plan: &HashMap<StorePath, Choice>,
        waiting: &mut BTreeMap<StorePath, StagedNar>,
        registered: &mut HashSet<StorePath>,
        report: &mut SubstituteReport,
        progress: &dyn Progress,
    ) -> Result<(), SubstituteError> {
        // Taken in rounds, so a path follows its references within a batch.
        let mut ready: Vec<StorePath> = Vec::new();
        let mut going: HashSet<StorePath> = HashSet::new();
        loop {
            let round: Vec<StorePath> = waiting
                .keys()
                .filter(|path| !going.contains(*path))
                .filter(|path| {
                    let refs = &plan[*path].info.references;
                    crate::graph::references_done(path, refs, plan, |r| {
                        registered.contains(r) || going.contains(r)
                    })
                })
                .cloned()
                .collect();
            if round.is_empty() {
                break;
            }
            going.extend(round.iter().cloned());
            ready.extend(round);
        }
        for chunk in ready.chunks(REGISTER_BATCH) {
            let batch: Vec<(StagedNar, PathInfo)> = chunk
                .iter()
                .filter_map(|path| waiting.remove(path))
                .map(|staged| {
                    let info = path_info(&plan[staged.path()].info);
                    (staged, info)
                })
                .collect();
            store.import_staged_all(batch)?;
            for path in chunk {
                report.nar_bytes += plan[path].info.nar_size;
                report.substituted.push(path.clone());
                progress.finished(path);
                registered.insert(path.clone());
            }
        }
        Ok(())
    }

    fn fetch_with_retries(
        &self,
        cache: &BinaryCache,
        info: &NarInfo,
        stager: &cairn_store::local::import::NarStager,
        progress: &dyn Progress,
    ) -> Result<StagedNar, TransferError> {
        let mut backoff = self.options.retry_backoff;
        let mut attempt = 1;
        loop {
            let result = cache
                .nar(info)
                .map_err(TransferError::from)
                .and_then(|nar| {
                    let counted = Counted {
                        inner: nar,
                        progress,
                    };
                    Ok(stager.stage(&info.store_path, &info.nar_hash, info.nar_size, counted)?)
                });
            match result {
                Err(error) if error.is_transient() && attempt < self.options.attempts => {
                    progress.retrying(&info.store_path, &error);
                    std::thread::sleep(backoff);
                    backoff = backoff.saturating_mul(2);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// Reports bytes as they are read.
struct Counted<'a, R> {
    inner: R,
    progress: &'a dyn Progress,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes(n as u64);
        Ok(n)
    }
}

/// The local store's record for a substituted path: not ultimate (it was
/// received, not made here), signatures as the cache gave them.
fn path_info(info: &NarInfo) -> PathInfo {
    PathInfo {
        path: info.store_path.clone(),
        nar_hash: info.nar_hash,
        nar_size: info.nar_size,
        references: info.references.clone(),
        deriver: info.deriver.clone(),
        registration_time: 0,
        ultimate: false,
        signatures: info.signatures.iter().map(ToString::to_string).collect(),
        ca: info.ca,
    }
}

/// True when `info`'s content address, name and references compute to its
/// own store path: then the contents (checked against NarHash, which the
/// content address pins for recursive hashes) are what the path names,
/// whoever signed it. Nix makes the same exemption.
fn proves_own_path(info: &NarInfo) -> bool {
    let Some(ca) = &info.ca else { return false };
    let self_reference = info.references.contains(&info.store_path);
    let others: BTreeSet<StorePath> = info
        .references
        .iter()
        .filter(|r| **r != info.store_path)
        .cloned()
        .collect();
    let computed = ca.store_path(
        &info.store_dir,
        info.store_path.name(),
        &others,
        self_reference,
    );
    if computed.ok().as_ref() != Some(&info.store_path) {
        return false;
    }
    // A flat or text address hashes the file, not the NAR, and nothing
    // checks the file against it after download; only when the address is
    // the recursive hash that NarHash also is are the contents pinned by
    // the path itself. Otherwise a signature is needed (Nix is laxer here).
    matches!(
        ca,
        cairn_store::ContentAddress::Fixed {
            method: cairn_store::FileIngestionMethod::Recursive,
            hash,
        } if *hash == info.nar_hash
    )
}

/// Lets the builder substitute through [`cairn_store`]'s trait, without
/// depending on this crate.
impl cairn_store::local::import::Substitute for Substituters {
    fn substitute(
        &self,
        store: &mut LocalStore,
        path: &StorePath,
    ) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.substitute_path(store, path, &NoProgress)?)
    }
}
