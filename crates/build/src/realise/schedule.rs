//! Running the builds of a loaded graph: dependency order, `max_jobs` at
//! once on worker threads, registration on the calling thread.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bstr::{BString, ByteSlice};
use cairn_store::local::LocalStore;
use cairn_store::local::register::{self, OutputLocks, StagedOutput, StagingDir};
use cairn_store::path::StorePath;
use cairn_store::path_info::PathInfo;

use super::check;
use super::graph::{self, Graph, Node};
use super::log::{self, LogSink};
use super::outputs::{OutputContext, process_outputs};
use super::setup::{self, SetupContext};
use super::userpool::{self, UserLock};
use super::{
    BuildError, BuildFailure, BuildSettings, BuildTimings, FailureKind, OutputSelection, Progress,
    RealiseReport, Substituter, Target, unsandboxed,
};
use crate::{BindPath, HostIds, SandboxSpec};

/// Realises `targets` in `store`: makes their wanted outputs valid by
/// substitution or by building, and reports what happened.
pub fn realise(
    store: &mut LocalStore,
    targets: &[Target],
    settings: &BuildSettings,
    substituter: Option<&dyn Substituter>,
    progress: &dyn Progress,
) -> Result<RealiseReport, BuildError> {
    if !settings.sandbox && !store_is_at_root(store) {
        return Err(BuildError::UnsandboxedChroot);
    }
    let mut report = RealiseReport::default();
    let graph = graph::load(store, targets, settings.check, substituter, &mut report)?;
    progress.planned(graph.nodes.iter().filter(|n| n.build).count());
    let failed = run_builds(store, &graph, settings, progress, &mut report)?;
    for (target, &idx) in targets.iter().zip(&graph.targets) {
        let node = &graph.nodes[idx];
        let outputs = if failed.contains(&idx) {
            BTreeMap::new()
        } else {
            let all = graph::wanted_outputs(node);
            match &target.outputs {
                OutputSelection::All => all,
                OutputSelection::Names(names) => {
                    all.into_iter().filter(|(n, _)| names.contains(n)).collect()
                }
            }
        };
        report.outputs.push((target.drv.clone(), outputs));
    }
    Ok(report)
}

/// True when the store's files are where its paths say (the store at `/`),
/// which a builder outside the sandbox needs.
fn store_is_at_root(store: &LocalStore) -> bool {
    let probe = StorePath::from_base_name("00000000000000000000000000000000-probe");
    probe.is_ok_and(|p| {
        store.real_path(&p).as_os_str().as_bytes() == store.store_dir().display_path(&p).as_bytes()
    })
}

/// What a worker thread gets.
struct Job {
    idx: usize,
    drv: StorePath,
    spec: SandboxSpec,
    outputs: OutputContext,
    log_dir: PathBuf,
    /// With `--check`: the valid outputs to compare the results with.
    check: Option<Vec<check::Valid>>,
    /// Flush the outputs to disk here, in parallel, so that registering
    /// (one at a time, on the calling thread) finds them clean.
    flush: bool,
}

/// What the calling thread keeps while a job runs.
struct Held {
    dirs: Dirs,
    /// Whether `dirs` go back to the pool after the build.
    reuse: bool,
    locks: OutputLocks,
    /// The build user, locked against other processes until the build ends.
    user: Option<UserLock>,
    /// How long `prepare` took.
    prepared_in: Duration,
}

/// The directories of a sandboxed build, reused by the next (as the
/// sandbox would see them fresh): the staging directory keeps the inputs
/// linked in (see [`SandboxSpec::keep_inputs`]), and the build directory is
/// emptied. Making and removing both for every build cost more than the
/// trivial builds of a long chain themselves: on ext4 without a journal
/// each new inode is a search for one not recently freed.
struct Dirs {
    staging: StagingDir,
    build: tempfile::TempDir,
}

/// What a worker sends back.
struct Done {
    idx: usize,
    result: Result<Vec<StagedOutput>, (FailureKind, Vec<String>)>,
    log_path: Option<PathBuf>,
    /// The worker's phases, as [`BuildTimings`] names them.
    phases: Phases,
}

/// What a worker measured.
#[derive(Default)]
struct Phases {
    setup: Duration,
    builder: Duration,
    teardown: Duration,
    outputs: Duration,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done,
    Failed,
}

fn run_builds(
    store: &mut LocalStore,
    graph: &Graph,
    settings: &BuildSettings,
    progress: &dyn Progress,
    report: &mut RealiseReport,
) -> Result<BTreeSet<usize>, BuildError> {
    let nodes = &graph.nodes;
    let mut state: Vec<State> = nodes
        .iter()
        .map(|n| if n.build { State::Waiting } else { State::Done })
        .collect();
    // Builds each node waits for, and who waits for each node.
    let mut waiting_for: Vec<usize> = vec![0; nodes.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (idx, node) in nodes.iter().enumerate() {
        if !node.build {
            continue;
        }
        let deps: BTreeSet<usize> = node
            .inputs
            .iter()
            .map(|(i, _)| *i)
            .filter(|&i| nodes[i].build)
            .collect();
        waiting_for[idx] = deps.len();
        for dep in deps {
            dependents[dep].push(idx);
        }
    }
    // Ready nodes, popped from the end: targets' subgraphs in order.
    let mut ready: Vec<usize> = (0..nodes.len())
        .rev()
        .filter(|&i| state[i] == State::Waiting && waiting_for[i] == 0)
        .collect();
    let mut failed: BTreeSet<usize> = BTreeSet::new();
    // Build users not in use by this run; each running build holds the
    // lock of its own (see `userpool`).
    let mut users: Vec<HostIds> = settings.build_users.iter().rev().copied().collect();
    let with_users = !users.is_empty();
    let log_dir = log::log_dir(store);
    let mut held: BTreeMap<usize, Held> = BTreeMap::new();
    let mut known = KnownPaths::default();
    // Staging directories of finished sandboxed builds, with their inputs
    // still linked in: the next build takes the last one returned, which
    // in a chain holds all its inputs but one.
    let mut pool: Vec<Dirs> = Vec::new();
    let mut stop = false;
    let (tx, rx) = mpsc::channel::<Done>();
    std::thread::scope(|scope| -> Result<(), BuildError> {
        loop {
            while !stop && held.len() < settings.max_jobs.max(1) && !ready.is_empty() {
                let lock = if with_users {
                    match userpool::take_free(&mut users) {
                        Some(lock) => Some(lock),
                        // All held by other processes: wait for one.
                        None if held.is_empty() => {
                            std::thread::sleep(USER_WAIT);
                            continue;
                        }
                        None => break,
                    }
                } else {
                    None
                };
                let Some(idx) = ready.pop() else { break };
                let node = &nodes[idx];
                let user = lock.as_ref().map(|l| l.user);
                let preparing = Instant::now();
                let cx = PrepareContext {
                    graph,
                    settings,
                    log_dir: &log_dir,
                };
                match prepare(store, &mut known, &mut pool, &cx, node, idx, user) {
                    Ok(Prepared::AlreadyValid) => {
                        users.extend(user);
                        state[idx] = State::Done;
                        release(idx, &dependents, &mut waiting_for, &state, &mut ready);
                    }
                    Ok(Prepared::Job(job, mut held_parts)) => {
                        held_parts.user = lock;
                        held_parts.prepared_in = preparing.elapsed();
                        held.insert(idx, held_parts);
                        state[idx] = State::Running;
                        let tx = tx.clone();
                        scope.spawn(move || {
                            let done = run_job(*job, settings, progress);
                            let _ = tx.send(done);
                        });
                    }
                    Err(failure) => {
                        users.extend(user);
                        progress.finished(&node.drv_path, Some(&failure));
                        report.failures.push(*failure);
                        fail(
                            idx,
                            nodes,
                            store,
                            &dependents,
                            &mut state,
                            &mut failed,
                            report,
                        );
                        stop |= !settings.keep_going;
                    }
                }
            }
            if held.is_empty() {
                break;
            }
            let Ok(done) = rx.recv() else { break };
            let idx = done.idx;
            let node = &nodes[idx];
            let Some(parts) = held.remove(&idx) else {
                continue;
            };
            users.extend(parts.user.as_ref().map(|lock| lock.user));
            let drv_display = store.store_dir().display_path(&node.drv_path);
            let registering = Instant::now();
            let result = match done.result {
                Ok(_) if node.check => Ok(()),
                Ok(staged) => store
                    .register_outputs(&staged, &parts.locks)
                    .map(|_| ())
                    .map_err(|e| (FailureKind::Outputs(e.to_string()), Vec::new())),
                Err(e) => Err(e),
            };
            let prepared_in = parts.prepared_in;
            if parts.reuse {
                pool.push(parts.dirs);
            } else {
                drop(parts.dirs);
            }
            drop((parts.locks, parts.user));
            match result {
                Ok(()) => {
                    report.timings.push(BuildTimings {
                        drv: node.drv_path.clone(),
                        prepare: prepared_in,
                        setup: done.phases.setup,
                        builder: done.phases.builder,
                        teardown: done.phases.teardown,
                        outputs: done.phases.outputs,
                        register: registering.elapsed(),
                    });
                    state[idx] = State::Done;
                    report.built.push(node.drv_path.clone());
                    progress.finished(&node.drv_path, None);
                    release(idx, &dependents, &mut waiting_for, &state, &mut ready);
                }
                Err((kind, log_tail)) => {
                    let failure = BuildFailure {
                        drv: drv_display,
                        kind,
                        log_tail,
                        log_path: done.log_path,
                    };
                    progress.finished(&node.drv_path, Some(&failure));
                    report.failures.push(failure);
                    fail(
                        idx,
                        nodes,
                        store,
                        &dependents,
                        &mut state,
                        &mut failed,
                        report,
                    );
                    stop |= !settings.keep_going;
                }
            }
        }
        Ok(())
    })?;
    // Not built because the run stopped early: they failed too.
    for (idx, s) in state.iter().enumerate() {
        if *s == State::Waiting {
            failed.insert(idx);
        }
    }
    Ok(failed)
}

/// How long to wait before looking again when other processes hold every
/// build user.
const USER_WAIT: Duration = Duration::from_millis(100);

fn release(
    idx: usize,
    dependents: &[Vec<usize>],
    waiting_for: &mut [usize],
    state: &[State],
    ready: &mut Vec<usize>,
) {
    for &dependent in &dependents[idx] {
        waiting_for[dependent] = waiting_for[dependent].saturating_sub(1);
        if waiting_for[dependent] == 0 && state[dependent] == State::Waiting {
            ready.push(dependent);
        }
    }
}

/// Marks `idx` failed and every build that depends on it, directly or not.
fn fail(
    idx: usize,
    nodes: &[Node],
    store: &LocalStore,
    dependents: &[Vec<usize>],
    state: &mut [State],
    failed: &mut BTreeSet<usize>,
    report: &mut RealiseReport,
) {
    state[idx] = State::Failed;
    failed.insert(idx);
    let mut todo: Vec<(usize, usize)> = dependents[idx].iter().map(|&d| (d, idx)).collect();
    while let Some((node, because)) = todo.pop() {
        if state[node] == State::Failed {
            continue;
        }
        state[node] = State::Failed;
        failed.insert(node);
        report.failures.push(BuildFailure {
            drv: store.store_dir().display_path(&nodes[node].drv_path),
            kind: FailureKind::DependencyFailed(nodes[because].drv_path.clone()),
            log_tail: Vec::new(),
            log_path: None,
        });
        todo.extend(dependents[node].iter().map(|&d| (d, node)));
    }
}

enum Prepared {
    AlreadyValid,
    Job(Box<Job>, Held),
}

/// Everything a build needs that touches the store, done on the calling
/// thread: locks, temporary roots, the input closure, the build directory
/// and its files, the sandbox spec.
/// What every build's preparation reads.
struct PrepareContext<'a> {
    graph: &'a Graph,
    settings: &'a BuildSettings,
    log_dir: &'a std::path::Path,
}

fn prepare(
    store: &mut LocalStore,
    known: &mut KnownPaths,
    pool: &mut Vec<Dirs>,
    cx: &PrepareContext<'_>,
    node: &Node,
    idx: usize,
    user: Option<HostIds>,
) -> Result<Prepared, Box<BuildFailure>> {
    let PrepareContext {
        graph,
        settings,
        log_dir,
    } = *cx;
    let drv_display = store.store_dir().display_path(&node.drv_path);
    let setup_failure = |message: String| {
        Box::new(BuildFailure {
            drv: drv_display.clone(),
            kind: FailureKind::Setup(message),
            log_tail: Vec::new(),
            log_path: None,
        })
    };
    let fail = |e: &dyn std::error::Error| setup_failure(error_chain(e));
    let drv = &node.drv;
    let system = drv.system.to_str_lossy();
    if !settings.systems.iter().any(|s| *s == system) {
        return Err(setup_failure(format!(
            "a '{system}' is required to build it, but I am a '{}'",
            settings.systems.join("', '")
        )));
    }
    if drv.builder.starts_with(b"builtin:") && crate::builtins::Builtin::of(&drv.builder).is_none()
    {
        return Err(setup_failure(format!(
            "unsupported builtin builder '{}'",
            drv.builder
        )));
    }

    // The outputs: kept from collection, locked, and checked again (another
    // process may have built them meanwhile).
    let output_paths: Vec<StorePath> = node.outputs.iter().map(|(_, p)| p.clone()).collect();
    for path in &output_paths {
        drop(store.add_temp_root(path).map_err(|e| fail(&e))?);
    }
    let locks = store
        .lock_outputs(output_paths.iter().cloned())
        .map_err(|e| fail(&e))?;
    let mut all_valid = true;
    for name in &node.wanted {
        if let Some(path) = node.output_path(name) {
            all_valid &= store.is_valid(path).map_err(|e| fail(&e))?;
        }
    }
    if all_valid && !node.check {
        return Ok(Prepared::AlreadyValid);
    }
    let check = if node.check {
        if !settings.sandbox {
            return Err(setup_failure(
                "--check needs the sandbox (the rebuilt outputs must not replace the valid ones)"
                    .into(),
            ));
        }
        let mut valid = Vec::with_capacity(output_paths.len());
        for path in &output_paths {
            let info = store
                .path_info(path)
                .map_err(|e| fail(&e))?
                .ok_or_else(|| {
                    setup_failure(format!(
                        "output '{}' is not valid, so checking is not possible",
                        store.store_dir().display_path(path)
                    ))
                })?;
            valid.push(check::Valid {
                real: store.real_path(path),
                info,
            });
        }
        Some(valid)
    } else {
        None
    };

    // The input closure.
    let mut roots: BTreeSet<StorePath> = drv.input_sources.clone();
    for (input, outputs) in &node.inputs {
        for name in outputs {
            if let Some(path) = graph.nodes[*input].output_path(name) {
                roots.insert(path.clone());
            }
        }
    }
    for root in &roots {
        drop(store.add_temp_root(root).map_err(|e| fail(&e))?);
    }
    let infos = known.closure(store, &roots).map_err(|e| fail(&e))?;
    let closure: BTreeSet<StorePath> = infos.keys().cloned().collect();

    // The environment and the build directory's files.
    // A builtin writes its outputs itself, outside the sandbox: it gets a
    // fresh directory.
    let reuse = settings.sandbox && crate::builtins::Builtin::of(&drv.builder).is_none();
    let dirs = match if reuse { pool.pop() } else { None } {
        Some(dirs) => {
            empty_dir(dirs.build.path()).map_err(|e| fail(&e))?;
            dirs
        }
        None => {
            let parent = settings
                .build_dir_parent
                .clone()
                .unwrap_or_else(std::env::temp_dir);
            Dirs {
                staging: store.build_staging_dir().map_err(|e| fail(&e))?,
                build: tempfile::Builder::new()
                    .prefix(&format!("cairn-build-{}-", node.drv_path.name()))
                    .tempdir_in(&parent)
                    .map_err(|e| fail(&e))?,
            }
        }
    };
    let (staging, build_dir) = (&dirs.staging, &dirs.build);
    let build_top = if settings.sandbox {
        setup::BUILD_DIR.to_owned()
    } else {
        build_dir.path().to_string_lossy().into_owned()
    };
    let mut export = |paths: &BTreeSet<StorePath>| export_closure(store, paths);
    let caller_env =
        |name: &str| std::env::var_os(name).map(|v| BString::from(v.as_bytes().to_vec()));
    let store_dir = store.store_dir().clone();
    let builder_setup = {
        let mut cx = SetupContext {
            store_dir: &store_dir,
            drv_path: &node.drv_path,
            outputs: &node.outputs,
            cores: settings.cores,
            build_top: &build_top,
            inputs: &closure,
            export: &mut export,
            caller_env: &caller_env,
        };
        setup::builder_setup(drv, &mut cx).map_err(|e| fail(&e))?
    };
    for (name, contents, builders) in &builder_setup.files {
        let path = build_dir.path().join(name);
        std::fs::write(&path, contents).map_err(|e| fail(&e))?;
        if *builders && let Some(user) = user {
            std::os::unix::fs::chown(&path, Some(user.uid), Some(user.gid))
                .map_err(|e| fail(&e))?;
        }
    }

    let builder = PathBuf::from(std::ffi::OsStr::from_bytes(&drv.builder));
    let outputs_dir = if settings.sandbox {
        staging.path().to_path_buf()
    } else {
        store.real_path(&output_paths[0]).parent().map_or_else(
            || staging.path().to_path_buf(),
            std::path::Path::to_path_buf,
        )
    };
    let mut spec = SandboxSpec::new(builder, build_dir.path(), outputs_dir);
    spec.store_dir = PathBuf::from(store_dir.as_str());
    spec.args = builder_setup
        .args
        .iter()
        .map(|a| std::ffi::OsStr::from_bytes(a).to_owned())
        .collect();
    spec.env = builder_setup
        .env
        .iter()
        .map(|(k, v)| {
            (
                std::ffi::OsStr::from_bytes(k).to_owned(),
                std::ffi::OsStr::from_bytes(v).to_owned(),
            )
        })
        .collect();
    spec.inputs = closure
        .iter()
        .map(|p| BindPath::new(store_dir.display_path(p), store.real_path(p)))
        .collect();
    spec.extra_paths = settings.sandbox_paths.clone();
    spec.network = drv.fixed_output().is_some();
    spec.timeout = settings.timeout;
    spec.max_silent = settings.max_silent;
    spec.build_user = user;
    spec.scratch_dir = settings.scratch_dir.clone();
    spec.keep_inputs = reuse;

    if !settings.sandbox {
        // Without the sandbox the builder writes the outputs in place; what
        // an earlier, unregistered attempt left there goes first.
        for path in &output_paths {
            if !store.is_valid(path).map_err(|e| fail(&e))? {
                let real = store.real_path(path);
                unsandboxed::remove_leftover(&real).map_err(|e| fail(&e))?;
            }
        }
    }
    let job = Job {
        idx,
        drv: node.drv_path.clone(),
        spec,
        outputs: OutputContext {
            store_dir,
            drv_path: node.drv_path.clone(),
            drv: drv.clone(),
            outputs: node.outputs.clone(),
            inputs: infos,
        },
        log_dir: log_dir.to_path_buf(),
        flush: store.config().fsync && !node.check,
        check,
    };
    Ok(Prepared::Job(
        Box::new(job),
        Held {
            dirs,
            reuse,
            locks,
            user: None,
            prepared_in: Duration::ZERO,
        },
    ))
}

/// The infos of valid paths this run has looked up. A valid path's info
/// does not change (but for signatures, which builds do not look at) and
/// the paths a build uses are kept from collection by temporary roots, so
/// each is read from the database once per run, not once per build that
/// needs it: in a chain of builds every build's closure holds all those
/// before it.
#[derive(Default)]
struct KnownPaths(HashMap<StorePath, PathInfo>);

impl KnownPaths {
    /// The closure of `roots` with each member's info.
    fn closure(
        &mut self,
        store: &LocalStore,
        roots: &BTreeSet<StorePath>,
    ) -> Result<BTreeMap<StorePath, PathInfo>, cairn_store::local::LocalStoreError> {
        let mut closure: BTreeMap<StorePath, PathInfo> = BTreeMap::new();
        let mut todo: Vec<StorePath> = roots.iter().cloned().collect();
        while let Some(path) = todo.pop() {
            if closure.contains_key(&path) {
                continue;
            }
            let info = match self.0.get(&path) {
                Some(info) => info.clone(),
                None => {
                    let info = store.path_info(&path)?.ok_or_else(|| {
                        cairn_store::local::LocalStoreError::NotValid(
                            store.store_dir().display_path(&path),
                        )
                    })?;
                    self.0.insert(path.clone(), info.clone());
                    info
                }
            };
            todo.extend(
                info.references
                    .iter()
                    .filter(|r| !closure.contains_key(*r))
                    .cloned(),
            );
            closure.insert(path, info);
        }
        Ok(closure)
    }
}

/// Removes everything in `dir` (what the last builder left in its build
/// directory), making directories writable first.
fn empty_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
            empty_dir(&path)?;
            std::fs::remove_dir(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// The closure `exportReferencesGraph` exports: the paths' closure, plus
/// the closures of the outputs of derivations in it.
fn export_closure(
    store: &LocalStore,
    paths: &BTreeSet<StorePath>,
) -> Result<Vec<PathInfo>, BuildError> {
    let roots: Vec<StorePath> = paths.iter().cloned().collect();
    let mut closure = store.closure(&roots)?;
    let drvs: Vec<StorePath> = closure
        .iter()
        .filter(|p| p.name().as_str().ends_with(".drv"))
        .cloned()
        .collect();
    for drv_path in drvs {
        let drv = graph::read_derivation(store, &drv_path)?;
        let outputs =
            drv.output_paths(store.store_dir())
                .map_err(|source| BuildError::Derivation {
                    path: store.store_dir().display_path(&drv_path),
                    source,
                })?;
        let outputs: Vec<StorePath> = outputs.into_iter().map(|(_, p)| p).collect();
        closure.extend(store.closure(&outputs)?);
    }
    let mut infos = Vec::with_capacity(closure.len());
    for path in closure {
        if let Some(info) = store.path_info(&path)? {
            infos.push(info);
        }
    }
    Ok(infos)
}

/// Runs one build on a worker thread: the builder, then its outputs.
fn run_job(job: Job, settings: &BuildSettings, progress: &dyn Progress) -> Done {
    let drv = job.drv.clone();
    let mut live = |chunk: &[u8]| progress.log(&drv, chunk);
    let mut sink = match LogSink::create(&job.log_dir, &job.drv, settings.compress_logs, &mut live)
    {
        Ok(sink) => sink,
        Err(e) => {
            return Done {
                idx: job.idx,
                result: Err((
                    FailureKind::Setup(format!("cannot create the build log: {e}")),
                    Vec::new(),
                )),
                log_path: None,
                phases: Phases::default(),
            };
        }
    };
    let log_path = sink.path().to_path_buf();
    progress.started(&job.drv, &log_path);
    let drv = &job.outputs.drv;
    let mut phases = Phases::default();
    let running = Instant::now();
    let outcome = if let Some(builtin) = crate::builtins::Builtin::of(&drv.builder) {
        // Run here rather than in the sandbox; the output checks below are
        // the same as for any builder.
        Ok(crate::builtins::run_for_job(
            builtin,
            drv,
            &job.outputs.store_dir,
            &job.outputs.outputs,
            &job.spec.inputs,
            &job.spec.outputs_dir,
            &mut sink,
        ))
    } else if settings.sandbox {
        crate::run(&job.spec, &mut sink).map_err(|e| error_chain(&e))
    } else {
        unsandboxed::run(&job.spec, &mut sink).map_err(|e| error_chain(&e))
    };
    let (tail, _) = sink.finish();
    if let Ok(outcome) = &outcome {
        phases.setup = outcome.setup;
        phases.builder = outcome.duration.saturating_sub(outcome.setup);
        phases.teardown = running.elapsed().saturating_sub(outcome.duration);
    }
    let processing = Instant::now();
    let result = match outcome {
        Err(message) => Err((FailureKind::Setup(message), tail)),
        Ok(outcome) if !outcome.success() => Err((FailureKind::Builder(outcome.status), tail)),
        Ok(_) => match process_outputs(&job.outputs, &job.spec.outputs_dir) {
            Err(message) => Err((FailureKind::Outputs(message), tail)),
            Ok(staged) => match &job.check {
                None if job.flush => flush(staged).map_err(|e| (FailureKind::Outputs(e), tail)),
                None => Ok(staged),
                Some(valid) => match check::compare(&job.outputs.store_dir, &staged, valid) {
                    Ok(None) => Ok(Vec::new()),
                    Ok(Some(difference)) => Err((FailureKind::NotDeterministic(difference), tail)),
                    Err(e) => Err((FailureKind::Outputs(e), tail)),
                },
            },
        },
    };
    phases.outputs = processing.elapsed();
    Done {
        idx: job.idx,
        result,
        log_path: Some(log_path),
        phases,
    }
}

/// Flushes the staged outputs' files to disk.
fn flush(mut staged: Vec<StagedOutput>) -> Result<Vec<StagedOutput>, String> {
    for output in &mut staged {
        register::sync_tree(&output.staged).map_err(|e| e.to_string())?;
        output.flushed = true;
    }
    Ok(staged)
}

/// An error with its causes, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
