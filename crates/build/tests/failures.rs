#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

//! Builds that fail: what is reported, what is built anyway, and that
//! nothing of a failed build is ever registered.

mod common;

use std::path::Path;
use std::time::Duration;

use cairn_build::{BuildStatus, FailureKind, Quiet, Target, realise};
use cairn_store::local::LocalStore;
use cairn_store::path::StorePath;
use common::Stores;

fn failures_nix() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/failures.nix")
}

/// Instantiates one attribute into store B and returns its `.drv`.
fn drv(stores: &Stores, attr: &str) -> String {
    stores.instantiate_b(&failures_nix(), Some(attr)).remove(0)
}

fn out_path(store: &LocalStore, drv: &str) -> StorePath {
    let target = Target::parse(store.store_dir(), drv).unwrap();
    let text = std::fs::read(store.real_path(&target.drv)).unwrap();
    let text = String::from_utf8(text).unwrap();
    // Derive([("out","/nix/store/…",…
    let start = text.find("\"/nix/store/").unwrap() + 1;
    let end = start + text[start..].find('"').unwrap();
    store.parse_path(&text[start..end]).unwrap()
}

#[test]
fn a_failure_stops_only_its_dependents_and_keep_going_builds_the_rest() {
    let Some(stores) = Stores::new("failure_stops_dependents") else {
        return;
    };
    let attrs = ["broken", "after-broken", "after-after", "after-ok1", "ok2"];
    let drvs: Vec<String> = attrs.iter().map(|a| drv(&stores, a)).collect();
    let mut store = stores.open_b();
    let targets = common::targets(&store, &drvs);
    let mut settings = common::settings(2);
    settings.keep_going = true;
    let report = realise(&mut store, &targets, &settings, None, &Quiet).unwrap();

    let broken = report
        .failures
        .iter()
        .find(|f| f.drv == drvs[0])
        .expect("broken is reported");
    assert_eq!(broken.kind, FailureKind::Builder(BuildStatus::Exited(3)));
    let tail: Vec<String> = (6..=15).map(|i| format!("line {i}")).collect();
    assert_eq!(broken.log_tail, tail);
    let text = broken.to_string();
    assert!(
        text.contains("failed with exit code 3") && text.contains("> line 15"),
        "{text}"
    );
    let log_path = broken.log_path.as_ref().unwrap();
    assert!(log_path.ends_with(format!("{}.bz2", &drvs[0]["/nix/store/".len() + 2..])));
    let target = Target::parse(store.store_dir(), &drvs[0]).unwrap();
    let log = realise::log::find_log(&store, &target.drv)
        .unwrap()
        .unwrap();
    assert!(log.starts_with(b"line 1\nline 2\n"));

    // Its dependents (direct and through `middle`) are not built…
    for dependent in [&drvs[1], &drvs[2]] {
        let failure = report
            .failures
            .iter()
            .find(|f| &f.drv == dependent)
            .unwrap();
        assert!(
            matches!(failure.kind, FailureKind::DependencyFailed(_)),
            "{failure}"
        );
        assert!(!store.is_valid(&out_path(&store, dependent)).unwrap());
    }
    // …everything else is.
    for built in [&drvs[3], &drvs[4]] {
        assert!(store.is_valid(&out_path(&store, built)).unwrap(), "{built}");
    }
    assert_eq!(
        report.failures.len(),
        4,
        "broken, middle, after-broken, after-after"
    );
}

#[test]
fn without_keep_going_nothing_new_starts_after_a_failure() {
    let Some(stores) = Stores::new("no_keep_going") else {
        return;
    };
    let drvs = vec![drv(&stores, "broken"), drv(&stores, "ok2")];
    let mut store = stores.open_b();
    let targets = common::targets(&store, &drvs);
    let report = realise(&mut store, &targets, &common::settings(1), None, &Quiet).unwrap();
    assert!(!report.success());
    assert!(!store.is_valid(&out_path(&store, &drvs[1])).unwrap());
    assert!(report.outputs[1].1.is_empty());
}

/// Builds reuse their sandbox's store directory with the inputs left in
/// it: what a builder writes there under the name of a later build's input
/// must not become that input.
#[test]
fn a_file_planted_under_a_later_input_name_is_not_what_the_later_build_sees() {
    let Some(stores) = Stores::new("planted_input") else {
        return;
    };
    let genuine = drv(&stores, "genuine");
    let after = drv(&stores, "after-planter");
    let mut store = stores.open_b();
    let settings = common::settings(1);
    let targets = common::targets(&store, std::slice::from_ref(&genuine));
    let report = realise(&mut store, &targets, &settings, None, &Quiet).unwrap();
    assert!(report.success(), "{:?}", report.failures);
    // One job: the planter and then its dependent run in the same
    // directories; `genuine` is valid already, so nothing else replaces
    // the planted file in between.
    let targets = common::targets(&store, std::slice::from_ref(&after));
    let report = realise(&mut store, &targets, &settings, None, &Quiet).unwrap();
    assert!(report.success(), "{:?}", report.failures);
    assert_eq!(report.built.len(), 2);
    let out = store.real_path(&out_path(&store, &after));
    assert_eq!(std::fs::read_to_string(out).unwrap(), "genuine\n");
    assert_no_staging_left(&stores.b);
}

#[test]
fn a_fixed_output_hash_mismatch_registers_nothing() {
    let Some(stores) = Stores::new("fod_mismatch") else {
        return;
    };
    let d = drv(&stores, "fod-mismatch");
    let mut store = stores.open_b();
    let targets = common::targets(&store, std::slice::from_ref(&d));
    let report = realise(&mut store, &targets, &common::settings(1), None, &Quiet).unwrap();
    let failure = &report.failures[0];
    let FailureKind::Outputs(message) = &failure.kind else {
        panic!("{failure}")
    };
    let sri = |s: &str| cairn_store::Hash::of(cairn_store::HashAlgo::Sha256, s.as_bytes()).to_sri();
    assert!(
        message.contains(&format!("specified: {}", sri("expected")))
            && message.contains(&format!("got:    {}", sri("actual"))),
        "{message}"
    );
    let out = out_path(&store, &d);
    assert!(!store.is_valid(&out).unwrap());
    assert!(!store.real_path(&out).exists());
    assert_no_staging_left(&stores.b);
}

#[test]
fn rejected_outputs_are_not_registered() {
    let Some(stores) = Stores::new("rejected_outputs") else {
        return;
    };
    for (attr, expected) in [
        (
            "forbidden-ref",
            "is not allowed to refer to the following paths",
        ),
        (
            "no-output",
            "failed to produce output path for output 'out'",
        ),
    ] {
        let d = drv(&stores, attr);
        let mut store = stores.open_b();
        let targets = common::targets(&store, std::slice::from_ref(&d));
        let report = realise(&mut store, &targets, &common::settings(1), None, &Quiet).unwrap();
        let text = report.failures[0].to_string();
        assert!(text.contains(expected), "{text}");
        assert!(!store.is_valid(&out_path(&store, &d)).unwrap());
    }
    assert_no_staging_left(&stores.b);
}

#[test]
fn timeout_and_silence_kill_the_builder_and_are_reported() {
    let Some(stores) = Stores::new("timeout") else {
        return;
    };
    for (attr, status) in [
        ("sleeper", BuildStatus::TimedOut),
        ("silent", BuildStatus::SilentTooLong),
    ] {
        let d = drv(&stores, attr);
        let mut store = stores.open_b();
        let targets = common::targets(&store, std::slice::from_ref(&d));
        let mut settings = common::settings(1);
        if status == BuildStatus::TimedOut {
            settings.timeout = Some(Duration::from_secs(1));
        } else {
            settings.max_silent = Some(Duration::from_secs(1));
        }
        let report = realise(&mut store, &targets, &settings, None, &Quiet).unwrap();
        let failure = &report.failures[0];
        assert_eq!(failure.kind, FailureKind::Builder(status), "{failure}");
        if status == BuildStatus::TimedOut {
            assert_eq!(failure.log_tail, ["going to sleep"]);
            assert!(failure.to_string().contains("timed out"));
        }
    }
}

#[test]
fn killing_the_builder_process_registers_nothing_and_the_next_run_builds() {
    let Some(stores) = Stores::new("kill_9") else {
        return;
    };
    let d = drv(&stores, "slow");
    let helper = || {
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--exact",
                "realise_helper",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(HELPER_STORE, &stores.b)
            .env(HELPER_DRV, &d);
        command
    };
    let mut child = helper()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the builder has written part of its output in staging.
    let store_dir = stores.b.join("nix/store");
    let started = std::time::Instant::now();
    loop {
        let partial = std::fs::read_dir(&store_dir).unwrap().any(|e| {
            let e = e.unwrap();
            e.file_name().to_string_lossy().starts_with(".cairn-build-")
                && std::fs::read_dir(e.path())
                    .is_ok_and(|mut d| d.any(|o| o.unwrap().path().join("part").exists()))
        });
        if partial {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the build never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let store = stores.open_b();
    let out = out_path(&store, &d);
    assert!(!store.is_valid(&out).unwrap());
    assert!(!store.real_path(&out).exists());
    drop(store);

    let output = helper().output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let store = stores.open_b();
    assert!(store.is_valid(&out).unwrap());
    assert_eq!(
        std::fs::read_to_string(store.real_path(&out).join("done")).unwrap(),
        "done\n"
    );
}

const HELPER_STORE: &str = "CAIRN_TEST_REALISE_STORE";
const HELPER_DRV: &str = "CAIRN_TEST_REALISE_DRV";

/// Not a test of its own: the kill test runs this test binary again with
/// only this test selected, to have a process to kill in mid-build.
#[test]
fn realise_helper() {
    let (Some(root), Some(drv)) = (
        std::env::var_os(HELPER_STORE),
        std::env::var(HELPER_DRV).ok(),
    ) else {
        return;
    };
    let mut store = LocalStore::open(cairn_store::local::LocalStoreConfig::chroot(root)).unwrap();
    let targets = common::targets(&store, &[drv]);
    let report = realise(&mut store, &targets, &common::settings(1), None, &Quiet).unwrap();
    assert!(report.success(), "{:?}", report.failures);
}

/// Failed builds leave no staging directory behind.
fn assert_no_staging_left(root: &Path) {
    for entry in std::fs::read_dir(root.join("nix/store")).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(
            !name.to_string_lossy().starts_with(".cairn-build-"),
            "left behind: {name:?}"
        );
    }
}
