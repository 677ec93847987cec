//! End-to-end tests of the sandbox: busybox shell scripts run inside it and
//! report what they see. They need user namespaces (and run as root here, with
//! an unprivileged build user, as Nix does).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns panic on failure by design

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cairn_build::{BindPath, BuildOutcome, BuildStatus, HostIds, SandboxError, SandboxSpec};

/// The busybox store path the tests give as an input.
const BUSYBOX: &str = "/nix/store/0000000000000000000000000000busy-busybox";

/// Build user for runs as root (no passwd entry needed).
const BUILD_USER: HostIds = HostIds {
    uid: 30999,
    gid: 30999,
};

struct Fixture {
    dir: tempfile::TempDir,
    spec: SandboxSpec,
}

impl Fixture {
    fn new(script: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let build = dir.path().join("build");
        let out = dir.path().join("out");
        std::fs::create_dir(&build).unwrap();
        std::fs::create_dir(&out).unwrap();
        let mut spec = SandboxSpec::new("/bin/sh", &build, &out);
        spec.args = vec!["-c".into(), script.into()];
        spec.env = vec![
            ("PATH".into(), "/path-not-set".into()),
            (
                "out".into(),
                "/nix/store/1111111111111111111111111111outp-x".into(),
            ),
        ];
        spec.extra_paths
            .push(BindPath::new("/bin/sh", "/bin/busybox"));
        if rustix::process::geteuid().is_root() {
            spec.build_user = Some(BUILD_USER);
        }
        Fixture { dir, spec }
    }

    fn out_dir(&self) -> &Path {
        &self.spec.outputs_dir
    }

    /// Runs the spec, checks that no mount leaked, returns outcome and log.
    fn run(&self) -> (BuildOutcome, String) {
        let before = mounts();
        let mut log = Vec::new();
        let outcome = cairn_build::run(&self.spec, &mut log).unwrap();
        assert_eq!(mounts(), before, "mounts leaked onto the host");
        (outcome, String::from_utf8(log).unwrap())
    }

    /// Runs and expects exit 0.
    fn ok(&self) -> String {
        let (outcome, log) = self.run();
        assert_eq!(outcome.status, BuildStatus::Exited(0), "log:\n{log}");
        log
    }
}

fn sh(script: &str) -> String {
    Fixture::new(script).ok()
}

fn mounts() -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Pids of host processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(marker) {
                found.push(pid);
            }
        }
    }
    found
}

/// A number unlikely to appear in any other command line.
fn unique_seconds() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    100_000 + (nanos % 800_000) + std::process::id() % 1000
}

#[test]
fn builder_is_nixbld_pid_1_in_build_on_localhost() {
    let log = sh(
        "id; echo pid=$$; pwd; hostname; cat /proc/sys/kernel/domainname; \
                  grep -E '^(Cap(Prm|Eff)|NoNewPrivs)' /proc/self/status",
    );
    assert_eq!(
        log,
        "uid=1000(nixbld) gid=100(nixbld)\npid=1\n/build\nlocalhost\n(none)\n\
         CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\n"
    );
}

#[test]
fn etc_files_are_nixs() {
    let log = sh("ls /etc; cat /etc/passwd /etc/group /etc/hosts");
    assert_eq!(
        log,
        "group\nhosts\npasswd\n\
         root:x:0:0:Nix build user:/build:/noshell\n\
         nixbld:x:1000:100:Nix build user:/build:/noshell\n\
         nobody:x:65534:65534:Nobody:/:/noshell\n\
         root:x:0:\nnixbld:!:100:\nnogroup:x:65534:\n\
         127.0.0.1 localhost\n::1 localhost\n"
    );
}

#[test]
fn environment_is_exactly_the_given_one() {
    let mut f = Fixture::new("cat /proc/1/environ | tr '\\0' '\\n'");
    f.spec.env.push(("WEIRD VALUE".into(), "a b\tc=d".into()));
    let log = f.ok();
    assert_eq!(
        log,
        "PATH=/path-not-set\nout=/nix/store/1111111111111111111111111111outp-x\nWEIRD VALUE=a b\tc=d\n"
    );
    // The host's environment (HOME, CARGO_*, ...) is not inherited.
    assert!(std::env::var_os("HOME").is_some() || std::env::var_os("PATH").is_some());
}

#[test]
fn root_holds_only_the_sandbox_layout() {
    let log = sh("ls / /dev /tmp /build; stat -c '%a %U %G %n' / /tmp /build /nix/store");
    assert_eq!(
        log,
        "/:\nbin\nbuild\ndev\netc\nnix\nproc\ntmp\n\n\
         /build:\n\n\
         /dev:\nfd\nfull\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n\n\
         /tmp:\n\
         750 nobody nixbld /\n1777 nobody nogroup /tmp\n700 nixbld nixbld /build\n1775 nobody nixbld /nix/store\n"
    );
}

#[test]
fn host_secrets_and_unlisted_store_paths_are_invisible() {
    // A decoy "store" on the host: one path is an input, the other is not.
    let f0 = Fixture::new("");
    let host_store = f0.dir.path().join("host-store");
    let given = host_store.join("2222222222222222222222222222give-given");
    let decoy = host_store.join("3333333333333333333333333333deco-decoy");
    std::fs::create_dir_all(&given).unwrap();
    std::fs::create_dir_all(&decoy).unwrap();
    std::fs::write(given.join("file"), "given\n").unwrap();
    std::fs::write(decoy.join("file"), "decoy\n").unwrap();
    let script = "cat /nix/store/*-given/file; ls /nix/store; \
                  for p in /etc/shadow /root /home /usr /nix/store/*-decoy \"$DECOY\"; do \
                    if [ -e \"$p\" ]; then echo \"VISIBLE $p\"; fi; done";
    let mut f = Fixture::new(script);
    f.spec.env.push(("DECOY".into(), decoy.clone().into()));
    f.spec.inputs.push(BindPath::new(
        "/nix/store/2222222222222222222222222222give-given",
        &given,
    ));
    let log = f.ok();
    assert_eq!(log, "given\n2222222222222222222222222222give-given\n");
    // The mount point made for the input is gone from outputs_dir again.
    assert_eq!(std::fs::read_dir(f.out_dir()).unwrap().count(), 0);
}

#[test]
fn inputs_are_read_only_and_outputs_land_in_outputs_dir() {
    let mut f = Fixture::new(
        "touch $BB/x 2>/dev/null && echo WROTE-INPUT; \
         (echo > /bin/sh) 2>/dev/null && echo WROTE-SH; \
         mkdir $out && echo hello > $out/greeting && echo made-output",
    );
    f.spec.inputs.push(BindPath::new(BUSYBOX, "/bin/busybox"));
    f.spec.env.push(("BB".into(), BUSYBOX.into()));
    let log = f.ok();
    assert_eq!(log, "made-output\n");
    let made = f
        .out_dir()
        .join("1111111111111111111111111111outp-x/greeting");
    assert_eq!(std::fs::read_to_string(made).unwrap(), "hello\n");
    // Only the output is left: the input's mount point was removed.
    let names: Vec<_> = std::fs::read_dir(f.out_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["1111111111111111111111111111outp-x"]);
}

#[test]
fn busybox_as_a_store_input_can_be_the_builder() {
    let mut f = Fixture::new("echo from-store-busybox; echo $0");
    // A store path holding busybox as bin/sh, like a real closure member.
    let host = f.dir.path().join(BUSYBOX.trim_start_matches("/nix/store/"));
    std::fs::create_dir_all(host.join("bin")).unwrap();
    std::fs::copy("/bin/busybox", host.join("bin/sh")).unwrap();
    f.spec.extra_paths.clear();
    f.spec.inputs.push(BindPath::new(BUSYBOX, &host));
    f.spec.builder = PathBuf::from(format!("{BUSYBOX}/bin/sh"));
    assert_eq!(f.ok(), "from-store-busybox\nsh\n");
}

#[test]
fn devices_work() {
    let log = sh(
        "echo discard > /dev/null && head -c 16 /dev/urandom | wc -c && \
                  head -c 4 /dev/zero | wc -c && echo > /dev/full 2>/dev/null || echo full-is-full; \
                  ls /dev/pts; echo shm > /dev/shm/x && cat /dev/shm/x",
    );
    assert_eq!(log, "16\n4\nfull-is-full\nptmx\nshm\n");
}

fn tcp_probe(network: bool) -> (String, bool) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Answer one connection, if any comes, then hang up.
    listener.set_nonblocking(true).unwrap();
    let server = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok((mut stream, _)) = listener.accept() {
                stream.set_nonblocking(false).unwrap();
                let mut line = [0u8; 5];
                let _ = stream.read_exact(&mut line);
                return &line == b"ping\n";
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    });
    let mut f = Fixture::new(&format!(
        "if echo ping | nc -w 2 127.0.0.1 {port}; then echo connected; else echo refused; fi; \
         ip link show lo | grep -c UP"
    ));
    f.spec.network = network;
    f.spec.timeout = Some(Duration::from_secs(30));
    let log = f.ok();
    let reached = if network {
        server.join().unwrap()
    } else {
        false
    };
    (log, reached)
}

#[test]
fn no_network_without_the_flag() {
    let (log, reached) = tcp_probe(false);
    assert_eq!(
        log,
        "nc: can't connect to remote host (127.0.0.1): Connection refused\nrefused\n1\n"
    );
    assert!(!reached);
}

#[test]
fn network_with_the_flag() {
    let (log, reached) = tcp_probe(true);
    assert!(log.starts_with("connected\n"), "{log}");
    assert!(reached);
    let log = {
        let mut f = Fixture::new("ls /etc");
        f.spec.network = true;
        f.ok()
    };
    for file in ["hosts", "passwd", "group"] {
        assert!(log.lines().any(|l| l == file), "{log}");
    }
}

#[test]
fn daemonised_children_die_with_the_builder() {
    let secs = unique_seconds();
    let marker = format!("sleep {secs}");
    let f = Fixture::new(&format!(
        "(sleep {secs} &) ; (sleep {secs} </dev/null >/dev/null 2>&1 &); \
         sleep 0.2; ps | grep -c '{marker}$'; exit 0"
    ));
    let (outcome, log) = f.run();
    assert_eq!(outcome.status, BuildStatus::Exited(0));
    // Both sleeps were running inside...
    assert_eq!(log, "2\n");
    // ...and none survives on the host.
    assert_eq!(processes_with(&marker), Vec::<u32>::new());
}

#[test]
fn timeout_kills_the_whole_namespace() {
    let secs = unique_seconds();
    let marker = format!("sleep {secs}");
    let mut f = Fixture::new(&format!("(sleep {secs} &); echo started; sleep {secs}"));
    f.spec.timeout = Some(Duration::from_millis(500));
    let started = Instant::now();
    let (outcome, log) = f.run();
    assert_eq!(outcome.status, BuildStatus::TimedOut);
    assert_eq!(log, "started\n");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(outcome.duration >= Duration::from_millis(500));
    assert_eq!(processes_with(&marker), Vec::<u32>::new());
}

#[test]
fn silence_is_limited_but_output_resets_the_clock() {
    let mut f = Fixture::new("for i in 1 2 3 4 5; do echo tick; sleep 0.2; done; sleep 100");
    f.spec.max_silent = Some(Duration::from_millis(700));
    let (outcome, log) = f.run();
    assert_eq!(outcome.status, BuildStatus::SilentTooLong);
    assert_eq!(log, "tick\n".repeat(5));
    assert!(
        outcome.duration >= Duration::from_millis(1000),
        "{outcome:?}"
    );
}

#[test]
fn exit_codes_are_reported() {
    for code in [0, 1, 3, 255] {
        let (outcome, _) = Fixture::new(&format!("exit {code}")).run();
        assert_eq!(outcome.status, BuildStatus::Exited(code));
    }
    let (outcome, _) = Fixture::new("exit 1").run();
    assert!(!outcome.success());
}

#[test]
fn signals_are_reported() {
    // The builder is PID 1 of its namespace, so only SIGKILL (or SIGSTOP)
    // from outside reaches it: send one from the host.
    let secs = unique_seconds();
    let marker = format!("sleep {secs}");
    let f = Fixture::new(&format!("exec sleep {secs}"));
    let killer = std::thread::spawn(move || {
        for _ in 0..500 {
            if let Some(pid) = processes_with(&marker).first() {
                let pid = rustix::process::Pid::from_raw(*pid as i32).unwrap();
                rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    });
    let (outcome, _) = f.run();
    assert!(killer.join().unwrap());
    assert_eq!(outcome.status, BuildStatus::Signaled(libc_sigkill()));
}

fn libc_sigkill() -> i32 {
    9
}

#[test]
fn log_is_forwarded_in_order_and_large_output_is_complete() {
    let log = sh("echo out; echo err >&2; seq 1 20000");
    let expected: String = ["out\nerr\n".to_owned()]
        .into_iter()
        .chain((1..=20000).map(|i| format!("{i}\n")))
        .collect();
    assert_eq!(log, expected);
}

#[test]
fn build_dir_is_shared_with_the_host() {
    let f = Fixture::new("cat input; echo made > made");
    std::fs::write(f.spec.build_dir.join("input"), "from-host\n").unwrap();
    let log = f.ok();
    assert_eq!(log, "from-host\n");
    assert_eq!(
        std::fs::read_to_string(f.spec.build_dir.join("made")).unwrap(),
        "made\n"
    );
}

#[test]
fn missing_builder_is_an_error_naming_the_step() {
    let mut f = Fixture::new("");
    f.spec.builder = PathBuf::from("/no/such/builder");
    let err = cairn_build::run(&f.spec, &mut std::io::sink()).unwrap_err();
    match err {
        SandboxError::Child { step, source } => {
            assert_eq!(step, "executing the builder");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn host_root_is_never_the_build_user() {
    let mut f = Fixture::new("true");
    f.spec.build_user = Some(HostIds { uid: 0, gid: 0 });
    let err = cairn_build::run(&f.spec, &mut std::io::sink()).unwrap_err();
    assert!(matches!(err, SandboxError::RootBuildUser), "{err:?}");
}

#[test]
fn log_sink_errors_kill_the_builder() {
    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let f = Fixture::new("echo hi; sleep 100");
    let started = Instant::now();
    let err = cairn_build::run(&f.spec, &mut Broken).unwrap_err();
    assert!(matches!(err, SandboxError::Log(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// Per-run cost of the sandbox (setup, exec of a trivial builder, teardown),
/// with the root skeleton on the default temp dir and on a tmpfs.
/// Run with `cargo test -p cairn-build --test sandbox -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn measure_setup_cost() {
    for scratch in [None, Some(PathBuf::from("/dev/shm"))] {
        let mut f = Fixture::new("true");
        f.spec.scratch_dir = scratch.clone();
        let n = 100;
        let start = Instant::now();
        for _ in 0..n {
            assert!(
                cairn_build::run(&f.spec, &mut std::io::sink())
                    .unwrap()
                    .success()
            );
        }
        println!(
            "{n} runs of /bin/sh -c true, scratch {scratch:?}: {:?} per run",
            start.elapsed() / n
        );
    }
}

#[test]
fn scratch_dir_is_used_and_left_clean() {
    let scratch = tempfile::tempdir().unwrap();
    let mut f = Fixture::new("echo hi > /tmp/x; ls /tmp");
    f.spec.scratch_dir = Some(scratch.path().to_owned());
    assert_eq!(f.ok(), "x\n");
    assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0);
}
