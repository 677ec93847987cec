//! The parent side of a run: prepare, spawn, map ids, follow the builder,
//! reap it and clean up.

use std::ffi::{CString, OsStr, OsString};
use std::fs;
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::pipe::PipeFlags;
use rustix::process::{Pid, PidfdFlags, Signal, WaitOptions};

use crate::child::{self, ChildCtx, PLAN_BASE, Step};
use crate::error::SandboxError;
use crate::plan::{BUILD_DIR_INSIDE, Plan, cstring};
use crate::spec::{BuildOutcome, BuildStatus, HostIds, SANDBOX_GID, SANDBOX_UID, SandboxSpec};

fn host(what: impl Into<String>) -> impl FnOnce(io::Error) -> SandboxError {
    let what = what.into();
    move |source| SandboxError::Host { what, source }
}

fn errno(what: &'static str) -> impl FnOnce(Errno) -> SandboxError {
    move |e| SandboxError::Host {
        what: what.to_owned(),
        source: e.into(),
    }
}

/// Runs `spec.builder` in a fresh sandbox and waits for it (and everything
/// it started) to end. The builder's stdout and stderr are copied to `log`
/// as they come.
///
/// Nothing outlives the call: the builder is PID 1 of its own PID namespace,
/// so when it exits (or is killed on timeout) the kernel kills every process
/// it left behind, and all mounts live in a mount namespace that dies with
/// them.
pub fn run(spec: &SandboxSpec, log: &mut dyn Write) -> Result<BuildOutcome, SandboxError> {
    let start = Instant::now();
    let ids = build_user(spec)?;
    let caller_is_root = rustix::process::geteuid().is_root();
    prepare_dirs(spec, ids, caller_is_root)?;
    if !spec.builder.is_absolute() {
        return Err(SandboxError::InvalidSpec(format!(
            "builder {} must be an absolute path",
            spec.builder.display()
        )));
    }

    let scratch = spec.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
    let root = tempfile::Builder::new()
        .prefix("cairn-sandbox-")
        .tempdir_in(&scratch)
        .map_err(host(format!(
            "creating the sandbox root directory in {}",
            scratch.display()
        )))?;
    let plan = Plan::build(spec, root.path())?;
    // Declared before the child guard, so the child is reaped (and its
    // mounts gone) before the mount points are removed.
    let _stubs = if spec.keep_inputs {
        Stubs(Vec::new(), Vec::new())
    } else {
        Stubs(plan.stubs.clone(), plan.links.clone())
    };
    // The skeleton, as Nix's chroot directory: 0750, group nixbld.
    if caller_is_root {
        std::os::unix::fs::chown(root.path(), Some(0), Some(ids.gid))
            .map_err(host("chown the sandbox root"))?;
    }
    fs::set_permissions(root.path(), fs::Permissions::from_mode(0o750))
        .map_err(host("chmod the sandbox root"))?;
    for op in &plan.host {
        op.apply()
            .map_err(host(format!("creating {}", op.path().display())))?;
    }

    let builder = cstring(spec.builder.as_os_str())?;
    // As Nix, argv[0] is the builder's base name.
    let argv0 = spec.builder.file_name().unwrap_or(spec.builder.as_os_str());
    let mut argv_c = vec![cstring(argv0)?];
    for arg in &spec.args {
        argv_c.push(cstring(arg)?);
    }
    let mut envp_c = Vec::with_capacity(spec.env.len());
    for (k, v) in &spec.env {
        if k.is_empty() || k.as_bytes().contains(&b'=') {
            return Err(SandboxError::InvalidSpec(format!(
                "invalid environment variable name {k:?}"
            )));
        }
        let mut kv = OsString::from(k);
        kv.push("=");
        kv.push(v);
        envp_c.push(cstring(&kv)?);
    }
    let argv = null_terminated(&argv_c);
    let envp = null_terminated(&envp_c);
    let root_c = cstring(root.path().as_os_str())?;
    let cwd = cstring(OsStr::new(BUILD_DIR_INSIDE))?;

    let (sync_read, sync_write) = pipe()?;
    let (err_read, err_write) = pipe()?;
    let (log_read, log_write) = pipe()?;
    let null = rustix::fs::open(
        c"/dev/null",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno("opening /dev/null"))?;

    let ctx = ChildCtx {
        plan: &plan.ops,
        root: &root_c,
        cwd: &cwd,
        network: spec.network,
        uid: SANDBOX_UID,
        gid: SANDBOX_GID,
        builder: &builder,
        argv: &argv,
        envp: &envp,
        sync_read: sync_read.as_fd(),
        err_write: err_write.as_fd(),
        log_write: log_write.as_fd(),
        null: null.as_fd(),
    };
    let pid = child::spawn(&ctx).map_err(SandboxError::Namespaces)?;
    let mut guard = ChildGuard { pid, reaped: false };
    drop((sync_read, err_write, log_write, null));

    write_id_maps(pid, ids)?;
    rustix::io::write(&sync_write, b"1").map_err(errno("starting the sandbox child"))?;
    drop(sync_write);

    if let Some((step, source)) = read_child_error(&err_read)? {
        guard.reap()?;
        let step = match step.checked_sub(PLAN_BASE) {
            Some(i) => plan
                .ops
                .get(i as usize)
                .map_or_else(|| "an unknown step".to_owned(), |op| op.describe()),
            None => Step::describe(step).to_owned(),
        };
        return Err(SandboxError::Child { step, source });
    }
    drop(err_read);
    // The error pipe closed without a report: the builder is exec'ed.
    let setup = start.elapsed();

    let status = follow(&mut guard, log_read, spec, log)?;
    Ok(BuildOutcome {
        status,
        duration: start.elapsed(),
        setup,
    })
}

/// The host ids to map, refusing host root.
fn build_user(spec: &SandboxSpec) -> Result<HostIds, SandboxError> {
    let ids = spec.build_user.unwrap_or_else(|| HostIds {
        uid: rustix::process::geteuid().as_raw(),
        gid: rustix::process::getegid().as_raw(),
    });
    if ids.uid == 0 {
        return Err(SandboxError::RootBuildUser);
    }
    Ok(ids)
}

/// Gives the build user its directories, as Nix chowns the build's tmp dir
/// and its chroot store.
fn prepare_dirs(spec: &SandboxSpec, ids: HostIds, as_root: bool) -> Result<(), SandboxError> {
    for dir in [&spec.build_dir, &spec.outputs_dir] {
        let meta = fs::metadata(dir).map_err(|source| SandboxError::HostPath {
            path: dir.clone(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(SandboxError::HostPath {
                path: dir.clone(),
                source: io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
            });
        }
    }
    if as_root {
        std::os::unix::fs::chown(&spec.build_dir, Some(ids.uid), Some(ids.gid))
            .map_err(host(format!("chown {}", spec.build_dir.display())))?;
        std::os::unix::fs::chown(&spec.outputs_dir, Some(0), Some(ids.gid))
            .map_err(host(format!("chown {}", spec.outputs_dir.display())))?;
    }
    fs::set_permissions(&spec.build_dir, fs::Permissions::from_mode(0o700))
        .map_err(host(format!("chmod {}", spec.build_dir.display())))?;
    fs::set_permissions(&spec.outputs_dir, fs::Permissions::from_mode(0o1775))
        .map_err(host(format!("chmod {}", spec.outputs_dir.display())))?;
    Ok(())
}

fn null_terminated(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

fn pipe() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(errno("creating a pipe"))
}

/// Maps the build user to nixbld (1000:100) in the child's user namespace.
fn write_id_maps(pid: Pid, ids: HostIds) -> Result<(), SandboxError> {
    let proc = PathBuf::from(format!("/proc/{}", pid.as_raw_nonzero()));
    let write = |file: &str, contents: String| {
        let path = proc.join(file);
        fs::write(&path, contents).map_err(host(format!("writing {}", path.display())))
    };
    write("setgroups", "deny".to_owned())?;
    write("uid_map", format!("{SANDBOX_UID} {} 1", ids.uid))?;
    write("gid_map", format!("{SANDBOX_GID} {} 1", ids.gid))
}

/// Reads the child's `(step, errno)` report; `None` when it exec'ed.
fn read_child_error(fd: &OwnedFd) -> Result<Option<(u32, io::Error)>, SandboxError> {
    let mut msg = [0u8; 8];
    let mut len = 0;
    while len < msg.len() {
        match rustix::io::read(fd, &mut msg[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(errno("reading the sandbox child's status")(e)),
        }
    }
    if len == 0 {
        return Ok(None);
    }
    let (step, code) = msg.split_at(4);
    let step = u32::from_le_bytes(step.try_into().unwrap_or_default());
    let code = i32::from_le_bytes(code.try_into().unwrap_or_default());
    Ok(Some((step, io::Error::from_raw_os_error(code))))
}

/// Forwards the log until the builder exits, enforcing the time limits.
fn follow(
    guard: &mut ChildGuard,
    log_read: OwnedFd,
    spec: &SandboxSpec,
    log: &mut dyn Write,
) -> Result<BuildStatus, SandboxError> {
    let started = Instant::now();
    let pidfd = rustix::process::pidfd_open(guard.pid, PidfdFlags::empty())
        .map_err(errno("opening a pidfd for the builder"))?;
    let mut log_fd = Some(log_read);
    let mut last_output = started;
    let mut killed: Option<BuildStatus> = None;
    let mut log_error: Option<io::Error> = None;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // Which limit is next, and in how long.
        let now = Instant::now();
        let mut wait: Option<(Duration, BuildStatus)> = None;
        if killed.is_none() {
            let limits = [
                spec.timeout.map(|t| (started + t, BuildStatus::TimedOut)),
                spec.max_silent
                    .map(|t| (last_output + t, BuildStatus::SilentTooLong)),
            ];
            for (deadline, why) in limits.into_iter().flatten() {
                let left = deadline.saturating_duration_since(now);
                if wait.is_none_or(|(w, _)| left < w) {
                    wait = Some((left, why));
                }
            }
        }
        if let Some((left, why)) = wait
            && left.is_zero()
        {
            guard.kill();
            killed = Some(why);
            continue;
        }
        let timeout = wait.map(|(d, _)| Timespec {
            tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(d.subsec_nanos()),
        });
        let mut fds = vec![PollFd::new(&pidfd, PollFlags::IN)];
        if let Some(fd) = &log_fd {
            fds.push(PollFd::new(fd, PollFlags::IN));
        }
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(errno("waiting for the builder")(e)),
        }
        let exited = !fds[0].revents().is_empty();
        let log_ready = fds.get(1).is_some_and(|f| !f.revents().is_empty());
        drop(fds);
        if log_ready && let Some(fd) = &log_fd {
            match rustix::io::read(fd, &mut buf) {
                Ok(0) => log_fd = None,
                Ok(n) => {
                    last_output = Instant::now();
                    if let Err(e) = log.write_all(&buf[..n]) {
                        log_error = Some(e);
                        guard.kill();
                        log_fd = None;
                    }
                }
                Err(Errno::INTR | Errno::AGAIN) => {}
                Err(e) => return Err(errno("reading the build log")(e)),
            }
        }
        if exited {
            break;
        }
    }
    // The builder was PID 1: everything else in its namespace is dead by
    // now, so the log ends soon.
    if let Some(fd) = log_fd {
        loop {
            match rustix::io::read(&fd, &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if let Err(e) = log.write_all(&buf[..n]) {
                        log_error.get_or_insert(e);
                        break;
                    }
                }
                Err(Errno::INTR) => {}
                Err(e) => return Err(errno("reading the build log")(e)),
            }
        }
    }
    let status = guard.reap()?;
    let _ = log.flush();
    if let Some(e) = log_error {
        return Err(SandboxError::Log(e));
    }
    Ok(killed.unwrap_or(status))
}

/// Kills and reaps the child unless it was reaped.
struct ChildGuard {
    pid: Pid,
    reaped: bool,
}

impl ChildGuard {
    fn kill(&self) {
        // Killing PID 1 of the namespace kills the whole namespace.
        let _ = rustix::process::kill_process(self.pid, Signal::KILL);
    }

    fn reap(&mut self) -> Result<BuildStatus, SandboxError> {
        loop {
            match rustix::process::waitpid(Some(self.pid), WaitOptions::empty()) {
                Ok(Some((_, status))) => {
                    self.reaped = true;
                    return Ok(match (status.exit_status(), status.terminating_signal()) {
                        (Some(code), _) => BuildStatus::Exited(code),
                        (None, Some(sig)) => BuildStatus::Signaled(sig),
                        (None, None) => BuildStatus::Signaled(0),
                    });
                }
                Ok(None) | Err(Errno::INTR) => continue,
                Err(e) => {
                    self.reaped = true;
                    return Err(errno("waiting for the builder")(e));
                }
            }
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
            let _ = self.reap();
        }
    }
}

/// Removes the mount points the child created in `outputs_dir`: empty
/// directories, empty files and symlinks, nothing else; and the hard links
/// to inputs made there.
struct Stubs(Vec<PathBuf>, Vec<PathBuf>);

impl Drop for Stubs {
    fn drop(&mut self) {
        for link in &self.1 {
            let _ = fs::remove_file(link);
        }
        for stub in &self.0 {
            remove_stub(stub);
        }
    }
}

fn remove_stub(path: &Path) {
    let Ok(meta) = path.symlink_metadata() else {
        return;
    };
    let _ = if meta.is_dir() {
        fs::remove_dir(path)
    } else if meta.file_type().is_symlink() || (meta.is_file() && meta.len() == 0) {
        fs::remove_file(path)
    } else {
        Ok(())
    };
}
