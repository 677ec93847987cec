//! Test support for cairn: the reference Nix (the *oracle*) and shared fixtures.
//!
//! Real Nix is ground truth for cairn. Differential tests give cairn and Nix
//! the same input and compare the bytes, paths and hashes they produce. This
//! crate finds the oracle, runs it with a fixed configuration, and prepares the
//! busybox fixture that lets test derivations build in the sandbox without
//! nixpkgs.
//!
//! An oracle test starts with [`Oracle::require`]. Outside CI a missing oracle
//! skips the test loudly; under `CI=true` it fails the test, so CI can never go
//! green by skipping every comparison.
//!
//! ```no_run
//! let Some(oracle) = cairn_testkit::Oracle::require("example") else { return };
//! let out = oracle.run_ok(oracle.command("nix-instantiate").args(["--eval", "-E", "1 + 2"]));
//! assert_eq!(out, b"3\n");
//! ```

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// The configuration every oracle command runs with.
///
/// `substituters =` is empty because otherwise each call waits seconds for an
/// unreachable cache; the sandbox maps Debian's static busybox to `/bin/sh`.
pub const NIX_CONFIG: &str = "experimental-features = nix-command\n\
                              substituters =\n\
                              sandbox = true\n\
                              sandbox-paths = /bin/sh=/bin/busybox\n";

/// Where the static busybox that the fixture imports lives on Debian.
pub const HOST_BUSYBOX: &str = "/bin/busybox";

/// True when running under CI (`CI=true`), where a missing oracle is a failure.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true" || v == "1")
}

/// A handle on the reference Nix installation.
#[derive(Debug, Clone)]
pub struct Oracle {
    version: String,
}

impl Oracle {
    /// Finds the oracle, or says why a test cannot compare against it.
    ///
    /// Returns `None` (after printing a loud `SKIP` line naming the test) when
    /// Nix is not installed and CI is not set. Panics when CI is set and Nix
    /// is missing: oracle tests must fail, not skip, in CI.
    pub fn require(test_name: &str) -> Option<Oracle> {
        static FOUND: OnceLock<Result<Oracle, String>> = OnceLock::new();
        match FOUND.get_or_init(Oracle::locate) {
            Ok(oracle) => Some(oracle.clone()),
            Err(why) if in_ci() => {
                panic!("oracle test `{test_name}` cannot run under CI: {why}")
            }
            Err(why) => {
                eprintln!(
                    "SKIP {test_name}: {why} (install Debian's nix-bin; under CI=true this fails)"
                );
                None
            }
        }
    }

    fn locate() -> Result<Oracle, String> {
        let output = Command::new("nix-instantiate")
            .arg("--version")
            .env("NIX_CONFIG", NIX_CONFIG)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("the oracle `nix-instantiate` cannot be run: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "`nix-instantiate --version` failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        Ok(Oracle { version })
    }

    /// The oracle's version line, e.g. `nix-instantiate (Nix) 2.8.0`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// A command for one of the oracle's programs (`nix-store`, `nix`, …)
    /// with the fixed configuration and no inherited `NIX_*` settings that
    /// could change its behaviour.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        for (key, _) in std::env::vars_os() {
            let is_nix_setting = key
                .to_str()
                .is_some_and(|k| k.starts_with("NIX_") && k != "NIX_CONFIG" || k == "NIX_PATH");
            if is_nix_setting {
                command.env_remove(key);
            }
        }
        command.env("NIX_CONFIG", NIX_CONFIG).stdin(Stdio::null());
        command
    }

    /// Runs a command that must succeed and returns its stdout. Panics with
    /// the command line and its stderr otherwise.
    pub fn run_ok(&self, command: &mut Command) -> Vec<u8> {
        let output = run(command);
        assert!(
            output.status.success(),
            "oracle command failed ({}): {command:?}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// Runs a command and returns its full output, successful or not.
    pub fn run(&self, command: &mut Command) -> Output {
        run(command)
    }

    /// Imports the busybox fixture into the chroot store at `store_root`
    /// with the oracle, and returns it.
    ///
    /// The fixture is a directory `{bin/busybox, bin/sh -> busybox}` made from
    /// Debian's static busybox and brought in with
    /// `builtins.path { recursive = true; sha256 = …; }`, so derivations can
    /// use `${busybox}/bin/sh` as their builder without nixpkgs.
    pub fn import_busybox(&self, store_root: &Path) -> Busybox {
        let fixture = BusyboxFixture::get(self);
        let expression = fixture.expression();
        let out = self.run_ok(
            self.command("nix-instantiate")
                .arg("--store")
                .arg(store_root)
                .args([
                    "--read-write-mode",
                    "--eval",
                    "-E",
                    &format!("toString ({expression})"),
                ]),
        );
        let printed = String::from_utf8_lossy(&out);
        let store_path = printed.trim().trim_matches('"').to_owned();
        Busybox {
            expression,
            store_path,
        }
    }
}

/// The busybox fixture after import into a store.
#[derive(Debug, Clone)]
pub struct Busybox {
    /// A Nix expression that evaluates to the fixture's store path, for use
    /// inside test derivations (`builder = "${busybox}/bin/sh";`).
    pub expression: String,
    /// The store path, e.g. `/nix/store/…-busybox-static`.
    pub store_path: String,
}

/// The fixture directory, made once per test process.
struct BusyboxFixture {
    dir: PathBuf,
    sha256: String,
}

impl BusyboxFixture {
    fn get(oracle: &Oracle) -> &'static BusyboxFixture {
        static FIXTURE: OnceLock<BusyboxFixture> = OnceLock::new();
        FIXTURE.get_or_init(|| BusyboxFixture::create(oracle))
    }

    fn create(oracle: &Oracle) -> BusyboxFixture {
        // Kept for the whole test process: other tests import it later.
        let root = tempfile::Builder::new()
            .prefix("cairn-busybox-")
            .tempdir()
            .expect("create the busybox fixture directory")
            .keep();
        let dir = root.join("busybox-static");
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).expect("create bin/");
        std::fs::copy(HOST_BUSYBOX, bin.join("busybox"))
            .unwrap_or_else(|e| panic!("copy {HOST_BUSYBOX} (install busybox-static): {e}"));
        std::os::unix::fs::symlink("busybox", bin.join("sh")).expect("link bin/sh");
        let epoch_plus_one = SystemTime::UNIX_EPOCH + Duration::from_secs(1);
        for path in [bin.join("busybox"), bin.clone(), dir.clone()] {
            std::fs::File::open(&path)
                .and_then(|f| f.set_modified(epoch_plus_one))
                .unwrap_or_else(|e| panic!("set the mtime of {}: {e}", path.display()));
        }
        let out = oracle.run_ok(
            oracle
                .command("nix-hash")
                .args(["--type", "sha256", "--base32"])
                .arg(&dir),
        );
        let sha256 = String::from_utf8_lossy(&out).trim().to_owned();
        BusyboxFixture { dir, sha256 }
    }

    fn expression(&self) -> String {
        format!(
            "builtins.path {{ path = {}; name = \"busybox-static\"; recursive = true; sha256 = \"{}\"; }}",
            self.dir.display(),
            self.sha256
        )
    }
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// The path of a binary built from this workspace (for CLI tests), found next
/// to the test executable's `deps/` directory.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let target_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binaries live in target/<profile>/deps");
    target_dir.join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oracle_evaluates_and_busybox_builds_in_its_sandbox() {
        let Some(oracle) = Oracle::require("testkit::oracle_evaluates") else {
            return;
        };
        assert!(oracle.version().contains("Nix"), "{}", oracle.version());
        let out = oracle.run_ok(
            oracle
                .command("nix-instantiate")
                .args(["--eval", "-E", "1 + 2"]),
        );
        assert_eq!(out, b"3\n");

        let store = tempfile::tempdir().unwrap();
        let busybox = oracle.import_busybox(store.path());
        assert!(
            busybox.store_path.starts_with("/nix/store/")
                && busybox.store_path.ends_with("-busybox-static"),
            "{}",
            busybox.store_path
        );
        assert!(
            store
                .path()
                .join(busybox.store_path.trim_start_matches('/'))
                .join("bin/busybox")
                .is_file()
        );

        // A derivation built in the oracle's sandbox with the fixture as builder.
        let expression = format!(
            "derivation {{ name = \"hello\"; system = builtins.currentSystem; \
             builder = \"${{{}}}/bin/sh\"; args = [ \"-c\" \"echo hello > $out\" ]; }}",
            busybox.expression
        );
        let out = oracle.run_ok(
            oracle
                .command("nix-build")
                .arg("--store")
                .arg(store.path())
                .args(["--no-out-link", "-E", &expression]),
        );
        let out_path = String::from_utf8_lossy(&out).trim().to_owned();
        let built = store.path().join(out_path.trim_start_matches('/'));
        assert_eq!(std::fs::read_to_string(built).unwrap(), "hello\n");
    }
}
