//! `--no-sandbox`: the builder as a plain child process of ours, in its
//! own process group, with exactly the environment given and the build
//! directory as its cwd. It sees the whole host and writes its outputs
//! straight to their final paths, as Nix's builds without a sandbox do.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::pipe::PipeFlags;
use rustix::process::{Pid, Signal};

use crate::{BuildOutcome, BuildStatus, SandboxSpec};

/// How often we look whether the builder has exited while it is silent.
const TICK: Duration = Duration::from_millis(50);

/// Runs `spec.builder` without isolation (only `builder`, `args`, `env`,
/// `build_dir`, `timeout` and `max_silent` are used), copying its output
/// to `log`. When it ends, its whole process group is killed.
pub fn run(spec: &SandboxSpec, log: &mut dyn Write) -> io::Result<BuildOutcome> {
    let start = Instant::now();
    let (read, write) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC)?;
    let write2 = write.try_clone()?;
    let mut command = Command::new(&spec.builder);
    command
        .args(&spec.args)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&spec.build_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(write))
        .stderr(Stdio::from(write2))
        .process_group(0);
    if let Some(name) = spec.builder.file_name() {
        command.arg0(name);
    }
    let mut child = command.spawn()?;
    // Our copies of the pipe's write end go, so EOF means every writer left.
    drop(command);
    let group = Pid::from_raw(i32::try_from(child.id()).unwrap_or(0));
    let kill_group = || {
        if let Some(group) = group {
            let _ = rustix::process::kill_process_group(group, Signal::KILL);
        }
    };
    let mut pipe = File::from(read);
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_output = Instant::now();
    let mut verdict: Option<BuildStatus> = None;
    let mut eof = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        let now = Instant::now();
        if spec.timeout.is_some_and(|t| now - start >= t) {
            verdict = Some(BuildStatus::TimedOut);
        } else if spec.max_silent.is_some_and(|t| now - last_output >= t) {
            verdict = Some(BuildStatus::SilentTooLong);
        }
        if verdict.is_some() {
            kill_group();
            break child.wait()?;
        }
        if eof {
            std::thread::sleep(TICK);
            continue;
        }
        let mut fds = [PollFd::new(&pipe, PollFlags::IN)];
        let tick = Timespec::try_from(TICK).unwrap_or(Timespec {
            tv_sec: 0,
            tv_nsec: 50_000_000,
        });
        match rustix::event::poll(&mut fds, Some(&tick)) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
        match pipe.read(&mut buf) {
            Ok(0) => eof = true,
            Ok(n) => {
                last_output = Instant::now();
                log.write_all(&buf[..n])?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    };
    // Whatever it left running goes now, then the rest of its output.
    kill_group();
    if !eof {
        loop {
            let mut fds = [PollFd::new(&pipe, PollFlags::IN)];
            let zero = Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            if rustix::event::poll(&mut fds, Some(&zero)).unwrap_or(0) == 0 {
                break;
            }
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => log.write_all(&buf[..n])?,
            }
        }
    }
    let status = verdict.unwrap_or_else(|| match (status.code(), status.signal()) {
        (Some(code), _) => BuildStatus::Exited(code),
        (None, Some(signal)) => BuildStatus::Signaled(signal),
        (None, None) => BuildStatus::Exited(-1),
    });
    Ok(BuildOutcome {
        status,
        duration: start.elapsed(),
        setup: Duration::ZERO,
    })
}

/// Removes what an unregistered earlier attempt left at an output's path.
pub fn remove_leftover(path: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if meta.is_dir() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
        for entry in std::fs::read_dir(path)? {
            remove_leftover(&entry?.path())?;
        }
        std::fs::remove_dir(path)
    } else {
        std::fs::remove_file(path)
    }
}
