//! The only `unsafe` of the crate: creating the namespaces and everything the
//! child does between `clone` and `execve`.
//!
//! The child is a copy of a possibly multi-threaded parent, so until `execve`
//! it must not allocate, lock or unwind. It therefore only replays the
//! [`Plan`](crate::plan::Plan) prepared by the parent, one raw syscall per
//! step (rustix's `linux_raw` backend calls the kernel directly; the few
//! calls rustix does not wrap go through `libc`, all async-signal-safe).
//! A failing step is reported to the parent as `(step, errno)` over a
//! close-on-exec pipe, so a successful `execve` closes it with no data.

use std::convert::Infallible;
use std::ffi::CStr;
use std::os::fd::BorrowedFd;

use rustix::fs::{Mode, StatVfsMountFlags};
use rustix::io::Errno;
use rustix::mount::{MountFlags, MountPropagationFlags, UnmountFlags};
use rustix::process::{Pid, Signal};

use crate::plan::Op;

/// Fixed steps of the child, outside the plan. Plan step `i` is reported as
/// `PLAN_BASE + i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Step {
    DeathSignal = 0,
    Sync = 1,
    Hostname = 2,
    Domainname = 3,
    Loopback = 4,
    PivotRoot = 5,
    SetIds = 6,
    NoNewPrivs = 7,
    Chdir = 8,
    Stdio = 9,
    Setsid = 10,
    Exec = 11,
}

/// Step code of plan op 0.
pub(crate) const PLAN_BASE: u32 = 1000;

impl Step {
    /// A description for error messages.
    pub(crate) fn describe(code: u32) -> &'static str {
        match code {
            0 => "setting the parent-death signal",
            1 => "waiting for the uid/gid maps",
            2 => "setting the hostname",
            3 => "setting the domain name",
            4 => "bringing up the loopback interface",
            5 => "pivoting into the new root",
            6 => "switching to the build user",
            7 => "setting no_new_privs",
            8 => "changing to /build",
            9 => "redirecting stdin/stdout/stderr",
            10 => "creating a new session",
            11 => "executing the builder",
            _ => "an unknown step",
        }
    }
}

/// Everything the child reads. All of it is prepared (allocated) by the
/// parent before `clone`.
pub(crate) struct ChildCtx<'a> {
    /// File-system steps, run before pivoting.
    pub(crate) plan: &'a [Op],
    /// Host path of the new root (a tmpfs mount point after the plan).
    pub(crate) root: &'a CStr,
    /// `/build`.
    pub(crate) cwd: &'a CStr,
    /// Whether to keep the host network (no loopback setup then).
    pub(crate) network: bool,
    /// Uid and gid to switch to, inside the user namespace.
    pub(crate) uid: u32,
    /// See `uid`.
    pub(crate) gid: u32,
    /// The builder, a path inside the sandbox.
    pub(crate) builder: &'a CStr,
    /// NULL-terminated argv.
    pub(crate) argv: &'a [*const libc::c_char],
    /// NULL-terminated envp.
    pub(crate) envp: &'a [*const libc::c_char],
    /// Read end of the go-ahead pipe: one byte once the id maps are written.
    pub(crate) sync_read: BorrowedFd<'a>,
    /// Write end of the error pipe (close-on-exec).
    pub(crate) err_write: BorrowedFd<'a>,
    /// Write end of the log pipe: the builder's stdout and stderr.
    pub(crate) log_write: BorrowedFd<'a>,
    /// `/dev/null` opened read-only: the builder's stdin.
    pub(crate) null: BorrowedFd<'a>,
}

/// Clones a child into new user, mount, PID, IPC, UTS and (unless
/// `ctx.network`) network namespaces, and runs [`child_main`] in it.
///
/// The child blocks until the parent writes one byte to the sync pipe.
pub(crate) fn spawn(ctx: &ChildCtx<'_>) -> std::io::Result<Pid> {
    let mut flags = libc::CLONE_NEWUSER
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWUTS;
    if !ctx.network {
        flags |= libc::CLONE_NEWNET;
    }
    let flags = (flags | libc::SIGCHLD) as libc::c_ulong;
    // SAFETY: `clone` without CLONE_VM and with a NULL stack behaves as
    // `fork`: the child gets a copy of our address space and continues on a
    // copy of this stack. The child never returns from here: `child_main`
    // only performs async-signal-safe syscalls on memory the parent prepared,
    // then `execve`s or `_exit`s. The remaining arguments (parent/child tid
    // pointers, tls) are unused without the matching flags.
    let ret = unsafe { libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize) };
    if ret < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if ret == 0 {
        child_main(ctx);
    }
    let pid = i32::try_from(ret).ok().and_then(Pid::from_raw);
    pid.ok_or_else(|| std::io::Error::other("clone returned an invalid pid"))
}

/// The child: set up, exec, or report the failing step and exit.
fn child_main(ctx: &ChildCtx<'_>) -> ! {
    let Err((step, errno)) = setup_and_exec(ctx);
    let mut msg = [0u8; 8];
    msg[..4].copy_from_slice(&step.to_le_bytes());
    msg[4..].copy_from_slice(&errno.raw_os_error().to_le_bytes());
    let _ = rustix::io::write(ctx.err_write, &msg);
    // SAFETY: `_exit` is async-signal-safe and skips the parent's atexit
    // handlers and stdio buffers, which this copy must not run or flush.
    unsafe { libc::_exit(127) }
}

/// The errno of the last failed libc call.
fn last_errno() -> Errno {
    Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO)
}

type StepResult<T> = Result<T, (u32, Errno)>;

fn at(step: Step) -> impl Fn(Errno) -> (u32, Errno) {
    move |e| (step as u32, e)
}

fn setup_and_exec(ctx: &ChildCtx<'_>) -> StepResult<Infallible> {
    use rustix::process as p;
    // Die with the parent, and wait for it to write our uid/gid maps.
    p::set_parent_process_death_signal(Some(Signal::KILL)).map_err(at(Step::DeathSignal))?;
    let mut byte = [0u8; 1];
    match rustix::io::read(ctx.sync_read, &mut byte) {
        Ok(1) => {}
        Ok(_) => return Err((Step::Sync as u32, Errno::PIPE)),
        Err(e) => return Err((Step::Sync as u32, e)),
    }
    // Nothing the parent had open leaks into the builder (Nix's
    // closeMostFDs); the fds we need are dup2'ed onto 0, 1, 2 below.
    // SAFETY: close_range only changes fd flags; no memory is involved.
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
    }
    p::umask(Mode::from_raw_mode(0o022));

    rustix::system::sethostname(b"localhost").map_err(at(Step::Hostname))?;
    rustix::system::setdomainname(b"(none)").map_err(at(Step::Domainname))?;
    if !ctx.network {
        loopback_up().map_err(at(Step::Loopback))?;
    }

    for (i, op) in ctx.plan.iter().enumerate() {
        let code = PLAN_BASE.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
        run_op(op).map_err(|e| (code, e))?;
    }

    // Enter the new root and drop the old one (pivot_root(".", ".") stacks
    // the old root on top; detaching it leaves only the new one).
    p::chdir(ctx.root).map_err(at(Step::PivotRoot))?;
    p::pivot_root(c".", c".").map_err(at(Step::PivotRoot))?;
    rustix::mount::unmount(c".", UnmountFlags::DETACH).map_err(at(Step::PivotRoot))?;
    p::chdir(c"/").map_err(at(Step::PivotRoot))?;

    // Become nixbld. Exec then clears every capability: the builder is not
    // root in its user namespace.
    rustix::thread::set_thread_gid(rustix::process::Gid::from_raw(ctx.gid))
        .map_err(at(Step::SetIds))?;
    rustix::thread::set_thread_uid(rustix::process::Uid::from_raw(ctx.uid))
        .map_err(at(Step::SetIds))?;
    rustix::thread::set_no_new_privs(true).map_err(at(Step::NoNewPrivs))?;
    p::chdir(ctx.cwd).map_err(at(Step::Chdir))?;
    p::setsid().map_err(at(Step::Setsid))?;

    rustix::stdio::dup2_stdin(ctx.null).map_err(at(Step::Stdio))?;
    rustix::stdio::dup2_stdout(ctx.log_write).map_err(at(Step::Stdio))?;
    rustix::stdio::dup2_stderr(ctx.log_write).map_err(at(Step::Stdio))?;

    // SAFETY: `signal` and `sigprocmask` are async-signal-safe; the mask is
    // a local. Rust ignores SIGPIPE and exec keeps ignored signals, so the
    // builder would inherit that: restore defaults and unblock everything.
    unsafe {
        for sig in 1..32 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }

    // A builder written just before the run can be "busy" for a moment: a
    // sibling forked meanwhile (another build) may still hold it open for
    // writing until it execs. Retry briefly, as Go's os/exec does.
    let mut tries = 0;
    loop {
        // SAFETY: `builder` is a NUL-terminated string and `argv`/`envp` are
        // NULL-terminated arrays of pointers into CStrings the parent keeps
        // alive for the duration of `spawn` (our copy of its memory).
        unsafe {
            libc::execve(ctx.builder.as_ptr(), ctx.argv.as_ptr(), ctx.envp.as_ptr());
        }
        let errno = last_errno();
        tries += 1;
        if errno != Errno::TXTBSY || tries > 50 {
            return Err((Step::Exec as u32, errno));
        }
        let _ = rustix::thread::nanosleep(&rustix::thread::Timespec {
            tv_sec: 0,
            tv_nsec: 10_000_000,
        });
    }
}

/// `ip link set lo up`, as Nix does with `SIOCSIFFLAGS`.
fn loopback_up() -> Result<(), Errno> {
    // SAFETY: plain socket(2); the fd is closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(last_errno());
    }
    // SAFETY: `ifreq` is plain old data, valid when zeroed.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    ifr.ifr_ifru.ifru_flags =
        (libc::IFF_UP | libc::IFF_LOOPBACK | libc::IFF_RUNNING) as libc::c_short;
    // SAFETY: SIOCSIFFLAGS reads an `ifreq`, which lives on our stack.
    let ret = unsafe { libc::ioctl(fd, libc::SIOCSIFFLAGS, &ifr) };
    let result = if ret < 0 { Err(last_errno()) } else { Ok(()) };
    // SAFETY: `fd` is ours and closed once.
    unsafe { libc::close(fd) };
    result
}

/// Makes one mount.
fn run_op(op: &Op) -> Result<(), Errno> {
    use rustix::mount;
    match op {
        Op::MakePrivate => mount::mount_change(
            c"/",
            MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
        ),
        Op::Mount {
            fstype,
            target,
            data,
        } => mount::mount(
            c"none",
            target.as_c_str(),
            fstype.as_c_str(),
            MountFlags::empty(),
            Some(data.as_c_str()),
        ),
        Op::Bind {
            source,
            target,
            read_only,
        } => {
            mount::mount_bind_recursive(source.as_c_str(), target.as_c_str())?;
            if *read_only {
                // A remount in a user namespace must keep the flags the
                // host mount was locked with (nosuid, nodev, ...).
                let locked = locked_flags(rustix::fs::statvfs(target.as_c_str())?.f_flag);
                mount::mount_remount(
                    target.as_c_str(),
                    MountFlags::BIND | MountFlags::RDONLY | locked,
                    c"",
                )?;
            }
            Ok(())
        }
    }
}

/// The `MS_*` flags matching a mount's `ST_*` flags.
fn locked_flags(st: StatVfsMountFlags) -> MountFlags {
    let pairs = [
        (StatVfsMountFlags::NOSUID, MountFlags::NOSUID),
        (StatVfsMountFlags::NODEV, MountFlags::NODEV),
        (StatVfsMountFlags::NOEXEC, MountFlags::NOEXEC),
        (StatVfsMountFlags::NOATIME, MountFlags::NOATIME),
        (StatVfsMountFlags::NODIRATIME, MountFlags::NODIRATIME),
        (StatVfsMountFlags::RELATIME, MountFlags::RELATIME),
    ];
    pairs
        .into_iter()
        .filter(|(s, _)| st.contains(*s))
        .fold(MountFlags::empty(), |acc, (_, m)| acc | m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_flags_keep_what_the_host_mount_has() {
        let st = StatVfsMountFlags::NOSUID | StatVfsMountFlags::NODEV | StatVfsMountFlags::RELATIME;
        assert_eq!(
            locked_flags(st),
            MountFlags::NOSUID | MountFlags::NODEV | MountFlags::RELATIME
        );
        assert_eq!(locked_flags(StatVfsMountFlags::RDONLY), MountFlags::empty());
    }
}
