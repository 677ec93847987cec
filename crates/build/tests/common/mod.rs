//! Shared by the build tests: two chroot stores with busybox, the oracle
//! commands on them, and cairn's settings.

#![allow(dead_code)] // each test file uses a different part

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cairn_build::{BindPath, BuildSettings, Target};
use cairn_store::local::{LocalStore, LocalStoreConfig};
use cairn_store::path::StorePath;
use cairn_store::path_info::PathInfo;
use cairn_testkit::{Busybox, Oracle};

/// Store A is built by Nix, store B by cairn.
pub struct Stores {
    pub oracle: Oracle,
    pub dir: tempfile::TempDir,
    pub a: PathBuf,
    pub b: PathBuf,
    pub busybox_a: Busybox,
    pub busybox_b: Busybox,
}

impl Stores {
    /// `None` (after saying why) without the oracle or without root, which
    /// Nix's sandbox needs.
    pub fn new(test: &str) -> Option<Stores> {
        let oracle = Oracle::require(test)?;
        if !rustix::process::geteuid().is_root() {
            assert!(!cairn_testkit::in_ci(), "{test} needs root under CI");
            eprintln!("SKIP {test}: Nix's sandbox needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("A"), dir.path().join("B"));
        let busybox_a = oracle.import_busybox(&a);
        let busybox_b = oracle.import_busybox(&b);
        Some(Stores {
            oracle,
            dir,
            a,
            b,
            busybox_a,
            busybox_b,
        })
    }

    fn instantiate(
        &self,
        root: &Path,
        busybox: &Busybox,
        file: &Path,
        attr: Option<&str>,
    ) -> Vec<String> {
        let mut command = self.oracle.command("nix-instantiate");
        command
            .arg("--store")
            .arg(root)
            .arg(file)
            .args(["--arg", "busybox", &busybox.expression]);
        if let Some(attr) = attr {
            command.args(["-A", attr]);
        }
        let out = self.oracle.run_ok(&mut command);
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| l.split('!').next().unwrap().to_owned())
            .collect()
    }

    /// Instantiates `file` (or one attribute of it) into store A.
    pub fn instantiate_a(&self, file: &Path, attr: Option<&str>) -> Vec<String> {
        self.instantiate(&self.a, &self.busybox_a, file, attr)
    }

    /// Instantiates `file` (or one attribute of it) into store B.
    pub fn instantiate_b(&self, file: &Path, attr: Option<&str>) -> Vec<String> {
        self.instantiate(&self.b, &self.busybox_b, file, attr)
    }

    /// Builds `drvs` with Nix in store A.
    pub fn nix_realise(&self, drvs: &[String]) {
        self.oracle.run_ok(
            self.oracle
                .command("nix-store")
                .arg("--store")
                .arg(&self.a)
                .args(["--realise", "--cores", "2", "--max-jobs", "2"])
                .args(drvs),
        );
    }

    /// Runs a `nix-store` query on store A and returns its stdout.
    pub fn nix_query_a(&self, args: &[&str]) -> String {
        let out = self.oracle.run_ok(
            self.oracle
                .command("nix-store")
                .arg("--store")
                .arg(&self.a)
                .args(args),
        );
        String::from_utf8(out).unwrap()
    }

    /// Asserts that `path`, valid in cairn's `store`, has the NAR hash and
    /// references Nix gave it in store A; returns cairn's path info.
    pub fn assert_same_as_nix(&self, store: &LocalStore, path: &StorePath) -> PathInfo {
        let shown = store.store_dir().display_path(path);
        let info = store.path_info(path).unwrap().unwrap();
        let nix_hash = self.nix_query_a(&["-q", "--hash", &shown]);
        assert_eq!(
            info.nar_hash.to_string(),
            nix_hash.trim(),
            "NAR hash of {shown}"
        );
        let nix_refs: BTreeSet<String> = self
            .nix_query_a(&["-q", "--references", &shown])
            .lines()
            .map(str::to_owned)
            .collect();
        let our_refs: BTreeSet<String> = info
            .references
            .iter()
            .map(|r| store.store_dir().display_path(r))
            .collect();
        assert_eq!(our_refs, nix_refs, "references of {shown}");
        info
    }

    /// Opens store B for cairn.
    pub fn open_b(&self) -> LocalStore {
        LocalStore::open(LocalStoreConfig::chroot(&self.b)).unwrap()
    }
}

/// `tests/corpus.nix`.
pub fn corpus_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus.nix")
}

/// Every output of each `.drv`.
pub fn targets(store: &LocalStore, drvs: &[String]) -> Vec<Target> {
    drvs.iter()
        .map(|d| Target::parse(store.store_dir(), d).unwrap())
        .collect()
}

/// cairn's settings, matching the oracle's configuration.
pub fn settings(jobs: usize) -> BuildSettings {
    BuildSettings {
        max_jobs: jobs,
        cores: 2,
        sandbox_paths: vec![BindPath::new("/bin/sh", cairn_testkit::HOST_BUSYBOX)],
        build_users: BuildSettings::system_build_users(jobs),
        ..BuildSettings::default()
    }
}
