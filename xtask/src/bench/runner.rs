//! Running one command many times and summarising wall time and peak memory.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::expand;
use super::workloads::Workload;

/// A command ready to run, with the workload's reset step.
pub struct Invocation {
    program: PathBuf,
    args: Vec<OsString>,
    dir: PathBuf,
    reset: fn(&Path) -> anyhow::Result<()>,
    nix_side: bool,
}

impl Invocation {
    pub fn cairn(
        cairn: &Path,
        workload: &Workload,
        dir: &Path,
        vars: &[(&str, String)],
    ) -> Invocation {
        Invocation {
            program: cairn.to_path_buf(),
            args: workload
                .cairn
                .iter()
                .map(|a| expand(a, dir, vars).into())
                .collect(),
            dir: dir.to_path_buf(),
            reset: workload.reset,
            nix_side: false,
        }
    }

    pub fn nix(workload: &Workload, dir: &Path, vars: &[(&str, String)]) -> Invocation {
        let (program, args) = workload
            .nix
            .split_first()
            .map_or(("nix", &[][..]), |(p, a)| (*p, a));
        Invocation {
            program: PathBuf::from(program),
            args: args.iter().map(|a| expand(a, dir, vars).into()).collect(),
            dir: dir.to_path_buf(),
            reset: workload.reset,
            nix_side: true,
        }
    }

    fn run_once(&self) -> anyhow::Result<Sample> {
        (self.reset)(&self.dir).context("resetting the workload")?;
        // To a file, not a pipe: a program that writes more than a pipe
        // holds (`nix-store --gc` prints a line per deleted path) would
        // block, since the pipe is read only after the program ends.
        let stderr_file = self.dir.join("last-stderr");
        let stderr_sink =
            std::fs::File::create(&stderr_file).context("creating the stderr file")?;
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr_sink);
        if self.nix_side {
            command.env("NIX_CONFIG", cairn_testkit::NIX_CONFIG);
        }
        let started = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", self.program.display()))?;
        let (status, peak_kib) = wait_with_rusage(child.id())?;
        let wall = started.elapsed();
        if status != 0 {
            let stderr = std::fs::read_to_string(&stderr_file).unwrap_or_default();
            bail!(
                "{} {:?} failed (wait status {status}):\n{stderr}",
                self.program.display(),
                self.args
            );
        }
        Ok(Sample { wall, peak_kib })
    }
}

struct Sample {
    wall: Duration,
    peak_kib: u64,
}

/// Medians over the timed runs of one side.
pub struct Summary {
    pub median_wall: Duration,
    pub median_peak_kib: u64,
}

/// Runs both sides `warmup` times untimed, then `runs` times each,
/// alternating which goes first, and summarises each side.
pub fn compare(
    cairn: &Invocation,
    nix: &Invocation,
    warmup: usize,
    runs: usize,
) -> anyhow::Result<(Summary, Summary)> {
    for _ in 0..warmup {
        cairn.run_once()?;
        nix.run_once()?;
    }
    let mut ours = Vec::with_capacity(runs);
    let mut theirs = Vec::with_capacity(runs);
    for round in 0..runs {
        if round % 2 == 0 {
            ours.push(cairn.run_once()?);
            theirs.push(nix.run_once()?);
        } else {
            theirs.push(nix.run_once()?);
            ours.push(cairn.run_once()?);
        }
    }
    Ok((summarise(ours), summarise(theirs)))
}

fn summarise(samples: Vec<Sample>) -> Summary {
    let mut walls: Vec<_> = samples.iter().map(|s| s.wall).collect();
    let mut peaks: Vec<_> = samples.iter().map(|s| s.peak_kib).collect();
    Summary {
        median_wall: median(&mut walls),
        median_peak_kib: median(&mut peaks),
    }
}

fn median<T: Ord + Copy + Default>(values: &mut [T]) -> T {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Waits for the child `pid` and returns its wait status and peak RSS in KiB.
fn wait_with_rusage(pid: u32) -> anyhow::Result<(i32, u64)> {
    let pid = libc::pid_t::try_from(pid).context("child pid out of range")?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data, valid when zeroed.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers refer to live, writable locals for the call.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error).context("waiting for the timed process");
        }
    }
    // ru_maxrss is in KiB on Linux. It includes this process's own peak:
    // the child is spawned sharing our memory until it execs, and exec
    // folds the old memory's high-water mark into the child's. Setups keep
    // this process small (`copy_from` adds its store in batches).
    Ok((status, u64::try_from(usage.ru_maxrss).unwrap_or(0)))
}

pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.2} s")
    } else {
        format!("{:.1} ms", secs * 1000.0)
    }
}

pub fn format_kib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
