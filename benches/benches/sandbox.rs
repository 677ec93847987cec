//! The per-build cost of cairn-build's sandbox: from the start of
//! `cairn_build::run` to the builder's `execve` (skeleton, inputs in the
//! store directory, namespaces, mounts), as `BuildOutcome::setup` reports
//! it, for a trivial builder with 0 and 250 store inputs, each input set
//! fresh or kept from the previous run (`SandboxSpec::keep_inputs`, what
//! the scheduler does between builds). `whole run` adds the builder and
//! the teardown.
//!
//! Needs user namespaces and a static busybox at /bin/busybox (the
//! benchmark is skipped without them). Run with
//! `cargo bench -p cairn-benches --bench sandbox`.
#![allow(clippy::unwrap_used, missing_docs)] // benchmark code: a panic is the report

use std::path::Path;
use std::time::{Duration, Instant};

use cairn_build::{BindPath, HostIds, SandboxSpec};
use criterion::{Criterion, criterion_group, criterion_main};

/// An unprivileged user to build as when running as root.
const BUILD_USER: HostIds = HostIds {
    uid: 30998,
    gid: 30998,
};

/// A spec running `true` with `inputs` small regular files as store
/// inputs, all inside `dir` (one file system, so inputs are hard-linked).
fn spec(dir: &Path, inputs: usize) -> SandboxSpec {
    let (build, out, store) = (dir.join("build"), dir.join("out"), dir.join("store"));
    for d in [&build, &out, &store] {
        std::fs::create_dir_all(d).unwrap();
    }
    let mut spec = SandboxSpec::new("/bin/sh", &build, &out);
    spec.args = vec!["-c".into(), "true".into()];
    spec.env = vec![("PATH".into(), "/path-not-set".into())];
    spec.extra_paths
        .push(BindPath::new("/bin/sh", "/bin/busybox"));
    spec.scratch_dir = Some(if Path::new("/dev/shm").is_dir() {
        "/dev/shm".into()
    } else {
        std::env::temp_dir()
    });
    if rustix::process::geteuid().is_root() {
        spec.build_user = Some(BUILD_USER);
    }
    for i in 0..inputs {
        let name = format!("{i:032}-input-{i}");
        let host = store.join(&name);
        std::fs::write(&host, format!("input {i}\n")).unwrap();
        spec.inputs
            .push(BindPath::new(format!("/nix/store/{name}"), host));
    }
    spec
}

fn usable() -> bool {
    let dir = tempfile::tempdir().unwrap();
    Path::new("/bin/busybox").exists()
        && cairn_build::run(&spec(dir.path(), 0), &mut std::io::sink())
            .is_ok_and(|outcome| outcome.success())
}

fn sandbox(c: &mut Criterion) {
    if !usable() {
        eprintln!("sandbox benchmark skipped: no user namespaces or no /bin/busybox");
        return;
    }
    let mut group = c.benchmark_group("sandbox");
    group.sample_size(30);
    for (inputs, keep) in [(0, false), (250, false), (250, true)] {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = spec(dir.path(), inputs);
        spec.keep_inputs = keep;
        let what = if keep { "kept" } else { "fresh" };
        group.bench_function(format!("setup, {inputs} inputs {what}"), |b| {
            b.iter_custom(|runs| {
                let mut setup = Duration::ZERO;
                for _ in 0..runs {
                    let outcome = cairn_build::run(&spec, &mut std::io::sink()).unwrap();
                    assert!(outcome.success());
                    setup += outcome.setup;
                }
                setup
            });
        });
        group.bench_function(format!("whole run, {inputs} inputs {what}"), |b| {
            b.iter_custom(|runs| {
                let start = Instant::now();
                for _ in 0..runs {
                    assert!(
                        cairn_build::run(&spec, &mut std::io::sink())
                            .unwrap()
                            .success()
                    );
                }
                start.elapsed()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, sandbox);
criterion_main!(benches);
