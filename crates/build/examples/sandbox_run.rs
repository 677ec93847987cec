//! Runs a shell command in the sandbox, with busybox as `/bin/sh`:
//! `cargo run -p cairn-build --example sandbox_run -- 'id; ls /'`.
//! With `--bench N` it runs `/bin/sh -c true` N times and prints the mean
//! wall-clock time per run (sandbox setup + teardown + a trivial builder);
//! `SANDBOX_SCRATCH=/dev/shm` puts the root skeleton on a tmpfs and
//! `SANDBOX_NETWORK=1` skips the network namespace.

use std::time::Instant;

use cairn_build::{BindPath, HostIds, SandboxSpec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = tempfile::tempdir()?;
    let build = dir.path().join("build");
    let out = dir.path().join("out");
    std::fs::create_dir(&build)?;
    std::fs::create_dir(&out)?;
    let mut spec = SandboxSpec::new("/bin/sh", &build, &out);
    spec.extra_paths
        .push(BindPath::new("/bin/sh", "/bin/busybox"));
    spec.env.push(("PATH".into(), "/path-not-set".into()));
    if rustix::process::geteuid().is_root() {
        spec.build_user = Some(HostIds {
            uid: 30999,
            gid: 30999,
        });
    }
    let mut stdout = std::io::stdout();
    if args.first().map(String::as_str) == Some("--bench") {
        let n: u32 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100);
        spec.args = vec!["-c".into(), "true".into()];
        spec.network = std::env::var_os("SANDBOX_NETWORK").is_some();
        spec.scratch_dir = std::env::var_os("SANDBOX_SCRATCH").map(Into::into);
        let start = Instant::now();
        for _ in 0..n {
            let outcome = cairn_build::run(&spec, &mut stdout)?;
            assert!(outcome.success(), "{outcome:?}");
        }
        let per = start.elapsed() / n;
        println!("{n} runs of /bin/sh -c true: {per:?} per run");
        return Ok(());
    }
    spec.args = vec!["-c".into(), args.join(" ").into()];
    let outcome = cairn_build::run(&spec, &mut stdout)?;
    println!("{outcome:?}");
    Ok(())
}
