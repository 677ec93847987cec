//! `cairn cache`, `cairn copy` and `cairn store sign/verify --sigs`
//! against real Nix: keys made by either are accepted by the other, and
//! caches written or served by either are read by the other.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cairn_testkit::{Oracle, workspace_binary};

fn cairn(store: &Path) -> Command {
    let mut cmd = Command::new(workspace_binary("cairn"));
    cmd.arg("--store").arg(store).stdin(Stdio::null());
    cmd
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "failed ({}):\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

struct Setup {
    oracle: Oracle,
    dir: tempfile::TempDir,
    /// A built output referring to a directory added with `nix-store --add`.
    top: String,
}

impl Setup {
    fn new(oracle: Oracle) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join("file"), "contents\n").unwrap();
        let setup = Setup {
            oracle,
            dir,
            top: String::new(),
        };
        let added = setup.nix_ok(
            setup
                .oracle
                .command("nix-store")
                .arg("--store")
                .arg(setup.path("nix"))
                .arg("--add")
                .arg(&src),
        );
        // Built, so input-addressed: only a signature can make it trusted.
        let top = setup.nix_ok(
            setup
                .oracle
                .command("nix-build")
                .arg("--store")
                .arg(setup.path("nix"))
                .args(["--no-out-link", "-E"])
                .arg(format!(
                    r#"derivation {{ name = "top"; system = builtins.currentSystem; builder = "/bin/sh";
                                     args = ["-c" "echo ${{builtins.storePath "{}"}} > $out"]; }}"#,
                    added.trim()
                )),
        );
        Setup {
            top: top.trim().trim_matches('"').to_owned(),
            ..setup
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn nix_ok(&self, cmd: &mut Command) -> String {
        String::from_utf8(self.oracle.run_ok(cmd)).unwrap()
    }

    fn nix(&self, store: &Path) -> Command {
        let mut cmd = self.oracle.command("nix");
        cmd.arg("--store").arg(store);
        cmd
    }

    fn nix_verify(&self, store: &Path, key: &str) -> Output {
        self.oracle.run(
            self.nix(store)
                .args([
                    "store",
                    "verify",
                    "-r",
                    "--option",
                    "trusted-public-keys",
                    key,
                ])
                .arg(&self.top),
        )
    }
}

#[test]
fn keys_caches_and_signatures_interoperate_with_nix() {
    let Some(oracle) = Oracle::require("keys_caches_and_signatures_interoperate_with_nix") else {
        return;
    };
    let setup = Setup::new(oracle);
    // Nix's key signs a cache that cairn substitutes from.
    setup.nix_ok(
        setup
            .oracle
            .command("nix-store")
            .args(["--generate-binary-cache-key", "nix-1"])
            .arg(setup.path("nix.sec"))
            .arg(setup.path("nix.pub")),
    );
    let nix_pub = fs::read_to_string(setup.path("nix.pub")).unwrap();
    let nix_cache = format!(
        "file://{}?compression=zstd&secret-key={}",
        setup.path("nix-cache").display(),
        setup.path("nix.sec").display()
    );
    setup.nix_ok(
        setup
            .nix(&setup.path("nix"))
            .args(["copy", "--to", &nix_cache, &setup.top]),
    );
    let cairn_store = setup.path("cairn");
    let nix_cache_url = format!("file://{}", setup.path("nix-cache").display());

    // Without the key: refused, nothing registered.
    let refused = cairn(&cairn_store)
        .args(["copy", "--from", &nix_cache_url, &setup.top])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("signed only by untrusted keys (nix-1)"),
        "{stderr}"
    );

    ok(cairn(&cairn_store)
        .args([
            "copy",
            "--from",
            &nix_cache_url,
            "--trusted-public-keys",
            &nix_pub,
        ])
        .arg(&setup.top)
        .output()
        .unwrap());
    ok(cairn(&cairn_store)
        .args([
            "store",
            "verify",
            "--check-contents",
            "--sigs",
            "--trusted-public-keys",
            &nix_pub,
        ])
        .output()
        .unwrap());
    // Without trusted keys the built path is untrusted, for Nix and cairn.
    let unsigned = cairn(&cairn_store)
        .args(["store", "verify", "--sigs"])
        .output()
        .unwrap();
    assert_eq!(unsigned.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unsigned.stderr);
    assert!(stderr.contains("-top' is untrusted"), "{stderr}");
    assert!(!setup.nix_verify(&cairn_store, "").status.success());

    // cairn's key: Nix accepts a cache cairn uploads, and signatures cairn
    // adds to its store.
    ok(cairn(&cairn_store)
        .args(["cache", "keygen", "cairn-1"])
        .arg(setup.path("cairn.sec"))
        .arg(setup.path("cairn.pub"))
        .output()
        .unwrap());
    let cairn_pub = fs::read_to_string(setup.path("cairn.pub")).unwrap();
    let cairn_cache = format!("file://{}", setup.path("cairn-cache").display());
    ok(cairn(&cairn_store)
        .args([
            "copy",
            "--to",
            &cairn_cache,
            "--compression",
            "xz",
            "--key-file",
        ])
        .arg(setup.path("cairn.sec"))
        .arg(&setup.top)
        .output()
        .unwrap());
    let from_cairn = setup.path("nix-from-cairn");
    setup.nix_ok(
        setup
            .nix(&from_cairn)
            .args([
                "copy",
                "--from",
                &cairn_cache,
                "--option",
                "trusted-public-keys",
                &cairn_pub,
            ])
            .arg(&setup.top),
    );
    assert!(setup.nix_verify(&from_cairn, &cairn_pub).status.success());

    // `cairn store sign`: Nix then trusts the path by cairn's key alone.
    assert!(!setup.nix_verify(&cairn_store, &cairn_pub).status.success());
    ok(cairn(&cairn_store)
        .args(["store", "sign", "--key-file"])
        .arg(setup.path("cairn.sec"))
        .arg(&setup.top)
        .output()
        .unwrap());
    let verified = setup.nix_verify(&cairn_store, &cairn_pub);
    // The top is now signed by cairn-1; its reference (added with
    // `nix-store --add`) is content-addressed and needs no signature.
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
}

#[test]
fn nix_copies_from_cairn_cache_serve() {
    let Some(oracle) = Oracle::require("nix_copies_from_cairn_cache_serve") else {
        return;
    };
    let setup = Setup::new(oracle);
    let cairn_store = setup.path("cairn");
    ok(cairn(&cairn_store)
        .args(["cache", "keygen", "serve-1"])
        .arg(setup.path("s.sec"))
        .arg(setup.path("s.pub"))
        .output()
        .unwrap());
    let public = fs::read_to_string(setup.path("s.pub")).unwrap();
    // Fill cairn's store from an unsigned Nix cache, explicitly allowed.
    let seed = format!("file://{}", setup.path("seed").display());
    setup.nix_ok(
        setup
            .nix(&setup.path("nix"))
            .args(["copy", "--to", &seed, &setup.top]),
    );
    ok(cairn(&cairn_store)
        .args(["copy", "--no-check-sigs", "--from", &seed, &setup.top])
        .output()
        .unwrap());

    let mut server = cairn(&cairn_store)
        .args([
            "cache",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--priority",
            "20",
            "--key-file",
        ])
        .arg(setup.path("s.sec"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");

    let target = setup.path("nix-from-serve");
    let copied = setup.oracle.run(
        setup
            .nix(&target)
            .args([
                "copy",
                "--from",
                &url,
                "--option",
                "trusted-public-keys",
                &public,
            ])
            .arg(&setup.top),
    );
    let verified = setup.nix_verify(&target, &public);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    assert!(verified.status.success());
}
