//! `cairn build` against `nix-build`: the same expressions, `-A` paths and
//! arguments, each side with its own chroot store and working directory,
//! must print the same output paths and leave the same result links. And
//! substitution: what a binary cache holds is fetched, not built.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cairn_testkit::{Busybox, Oracle};

/// Derivations built with the busybox fixture; `greeting` changes `a`.
const EXPRESSION: &str = r#"{ busybox, greeting ? "hello" }:
let
  mk = name: attrs: derivation ({
    inherit name;
    system = builtins.currentSystem;
    builder = "${busybox}/bin/sh";
  } // attrs);
  a = mk "a" { args = [ "-c" "echo ${greeting} > $out" ]; };
  b = mk "b" { args = [ "-c" "read x < ${a}; echo $x-b > $out" ]; };
  multi = mk "multi" {
    outputs = [ "out" "dev" "lib" ];
    args = [ "-c" "echo o > $out; echo d > $dev; echo l > $lib" ];
  };
  devFirst = mk "dev-first" {
    outputs = [ "dev" "out" ];
    args = [ "-c" "echo d > $dev; echo o > $out" ];
  };
in {
  inherit a b multi devFirst;
  list = [ a b a ];
  outputsOfOne = [ multi.dev multi a multi.lib ];
  nested = { x = a; y = { recurseForDerivations = true; z = b; }; skipped = { w = b; }; };
  fn = { n }: mk "fn-${toString n}" { args = [ "-c" "echo ${toString n} > $out" ]; };
}
"#;

fn cairn(store: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.arg("--store").arg(store);
    command
}

fn success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The symlinks in `dir`, with their targets.
fn links(dir: &Path) -> BTreeMap<String, PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_symlink())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read_link(&p).unwrap(),
            )
        })
        .collect()
}

struct Sides {
    oracle: Oracle,
    dir: tempfile::TempDir,
    nix_store: PathBuf,
    cairn_store: PathBuf,
    busybox: Busybox,
}

impl Sides {
    fn new(test: &str) -> Option<Sides> {
        let oracle = Oracle::require(test)?;
        if !rustix::process::geteuid().is_root() {
            assert!(!cairn_testkit::in_ci(), "{test} needs root under CI");
            eprintln!("SKIP {test}: Nix's sandbox needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let (nix_store, cairn_store) = (dir.path().join("nix"), dir.path().join("cairn"));
        let busybox = oracle.import_busybox(&nix_store);
        let same = oracle.import_busybox(&cairn_store);
        assert_eq!(busybox.expression, same.expression);
        fs::write(dir.path().join("build.nix"), EXPRESSION).unwrap();
        Some(Sides {
            oracle,
            dir,
            nix_store,
            cairn_store,
            busybox,
        })
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("build.nix")
    }

    /// A fresh working directory.
    fn cwd(&self, name: &str) -> PathBuf {
        let cwd = self.dir.path().join(name);
        fs::create_dir(&cwd).unwrap();
        cwd
    }

    /// Runs nix-build and cairn build with `args` (`{file}` and
    /// `{busybox}` replaced) in fresh directories and compares what they
    /// print and link.
    fn compare(&self, case: &str, args: &[&str]) -> Vec<String> {
        let file = self.file().to_string_lossy().into_owned();
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                a.replace("{file}", &file)
                    .replace("{busybox}", &self.busybox.expression)
            })
            .collect();
        let (nix_cwd, cairn_cwd) = (self.cwd(&format!("{case}-nix")), self.cwd(case));
        let nix = self.oracle.run(
            self.oracle
                .command("nix-build")
                .arg("--store")
                .arg(&self.nix_store)
                .args(&args)
                .current_dir(&nix_cwd),
        );
        success(&nix, &format!("{case}: nix-build"));
        let ours = cairn(&self.cairn_store)
            .arg("build")
            .args(["--sandbox-path", "/bin/sh=/bin/busybox"])
            .args(&args)
            .current_dir(&cairn_cwd)
            .output()
            .unwrap();
        success(&ours, &format!("{case}: cairn build"));
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&nix.stdout),
            "{case}: printed paths"
        );
        let (theirs, mine) = (links(&nix_cwd), links(&cairn_cwd));
        assert_eq!(mine, theirs, "{case}: result links");
        assert!(!theirs.is_empty() || args.iter().any(|a| a == "--no-out-link"));
        String::from_utf8(nix.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

#[test]
fn build_prints_and_links_like_nix_build() {
    let Some(sides) = Sides::new("build_prints_and_links_like_nix_build") else {
        return;
    };
    let bb = ["--arg", "busybox", "{busybox}"];
    let with = |rest: &[&'static str]| -> Vec<&str> {
        let mut args = vec!["{file}"];
        args.extend(bb);
        args.extend(rest);
        args
    };
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("one", with(&["-A", "a"])),
        ("dependency", with(&["-A", "b"])),
        ("multi", with(&["-A", "multi"])),
        ("multi-dev", with(&["-A", "multi.dev"])),
        ("dev-first", with(&["-A", "devFirst"])),
        (
            "outputs",
            with(&["-A", "multi.dev", "-A", "multi.lib", "-A", "a"]),
        ),
        ("list", with(&["-A", "list"])),
        ("outputs-of-one", with(&["-A", "outputsOfOne"])),
        ("everything", with(&[])),
        ("nested", with(&["-A", "nested"])),
        ("function", with(&["-A", "fn", "--arg", "n", "7"])),
        (
            "argstr",
            with(&["-A", "b", "--argstr", "greeting", "bye", "-o", "out"]),
        ),
        ("no-link", with(&["-A", "list", "--no-out-link"])),
        (
            "expr",
            vec![
                "-E",
                "(import {file} { busybox = {busybox}; }).multi.lib",
                "-o",
                "lib",
            ],
        ),
    ];
    let mut printed = 0;
    for (case, args) in &cases {
        printed += sides.compare(case, args).len();
    }
    assert!(printed >= 20, "only {printed} paths compared");

    // `.drv` arguments: nix-build builds their `out` (or `!output`).
    let drvs = sides.oracle.run_ok(
        sides
            .oracle
            .command("nix-instantiate")
            .arg("--store")
            .arg(&sides.nix_store)
            .arg(sides.file())
            .args(["--arg", "busybox", &sides.busybox.expression])
            .args(["-A", "multi", "-A", "b"]),
    );
    let drvs = String::from_utf8(drvs).unwrap();
    let drvs: Vec<&str> = drvs.lines().collect();
    let dev = format!("{}!dev", drvs[0]);
    sides.compare("drvs", &[drvs[0], &dev, drvs[1]]);
}

/// Derivations whose builders need `/marker`, a sandbox path given only
/// where they may be built: elsewhere they can only be substituted.
const NEEDS_MARKER: &str = r#"{ busybox }:
let
  mk = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "${busybox}/bin/sh";
    args = [ "-c" "set -e; ${script}" ];
  };
  a = mk "marked-a" "read m < /marker; echo $m-a > $out";
in {
  b = mk "marked-b" "read m < /marker; read x < ${a}; echo $m $x ${a} > $out";
  multi = derivation {
    name = "marked-multi";
    system = builtins.currentSystem;
    builder = "${busybox}/bin/sh";
    outputs = [ "out" "dev" ];
    args = [ "-c" "set -e; read m < /marker; echo $m > $out; echo ${a} > $dev" ];
  };
}
"#;

#[test]
fn build_substitutes_from_a_cache_instead_of_building() {
    let Some(sides) = Sides::new("build_substitutes_from_a_cache_instead_of_building") else {
        return;
    };
    let file = sides.dir.path().join("marked.nix");
    fs::write(&file, NEEDS_MARKER).unwrap();
    let marker = sides.dir.path().join("marker");
    fs::write(&marker, "marked\n").unwrap();
    let marker_arg = format!("/marker={}", marker.display());
    // `cairn build` of both attributes into `store`; `buildable` gives the
    // builders their marker.
    let build = |store: &Path, buildable: bool| {
        let mut command = cairn(store);
        command
            .arg("build")
            .arg(&file)
            .args(["--arg", "busybox", &sides.busybox.expression])
            .args(["-A", "b", "-A", "multi", "--no-link"]);
        if buildable {
            command.args(["--sandbox-path", &marker_arg]);
        }
        command
    };
    let log_dir = |store: &Path| store.join("nix/var/log/nix/drvs");
    let logs = |store: &Path| {
        log_dir(store)
            .read_dir()
            .map_or(0, |entries| entries.count())
    };

    // Without the marker the builders fail: building is not an option.
    let unbuildable = sides.dir.path().join("unbuildable");
    sides.oracle.import_busybox(&unbuildable);
    let failed = build(&unbuildable, false).output().unwrap();
    assert!(!failed.status.success(), "built without the marker");

    let built = build(&sides.cairn_store, true).output().unwrap();
    success(&built, "first build");
    let paths = String::from_utf8(built.stdout.clone()).unwrap();
    assert_eq!(paths.lines().count(), 2);
    assert!(logs(&sides.cairn_store) > 0);
    // The closure: b, multi (all outputs built) and a, which b and
    // multi.dev refer to.
    let listed = cairn(&sides.cairn_store)
        .args(["store", "path-info", "--recursive"])
        .args(paths.lines())
        .output()
        .unwrap();
    success(&listed, "path-info");
    let closure: Vec<String> = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect();
    assert_eq!(closure.len(), 3, "{closure:?}");

    let key = |name: &str| sides.dir.path().join(name);
    success(
        &cairn(&sides.cairn_store)
            .args(["cache", "keygen", "test-1"])
            .arg(key("test.sec"))
            .arg(key("test.pub"))
            .output()
            .unwrap(),
        "keygen",
    );
    let public = fs::read_to_string(key("test.pub")).unwrap();
    let cache = format!("file://{}", sides.dir.path().join("cache").display());
    success(
        &cairn(&sides.cairn_store)
            .args(["copy", "--to", &cache, "--key-file"])
            .arg(key("test.sec"))
            .args(paths.lines())
            .output()
            .unwrap(),
        "copy --to",
    );

    // A fresh store with the cache and its key: everything substituted,
    // nothing built (a build would fail).
    let fresh = sides.dir.path().join("fresh");
    sides.oracle.import_busybox(&fresh);
    let substituted = build(&fresh, false)
        .args([
            "--substituters",
            &cache,
            "--trusted-public-keys",
            public.trim(),
        ])
        .output()
        .unwrap();
    success(&substituted, "build with the cache");
    assert_eq!(String::from_utf8(substituted.stdout).unwrap(), paths);
    assert_eq!(logs(&fresh), 0, "something was built");
    let stderr = String::from_utf8_lossy(&substituted.stderr);
    assert!(!stderr.contains("building '"), "{stderr}");
    for path in &closure {
        let real = fresh.join(path.trim_start_matches('/'));
        assert!(real.exists(), "{path} of the closure was not substituted");
    }

    // Without a trusted key the cache is refused and everything is built.
    let untrusted = sides.dir.path().join("untrusted");
    sides.oracle.import_busybox(&untrusted);
    let refused = build(&untrusted, false)
        .args(["--substituters", &cache])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "an unsigned substitute was used");
    let built_anyway = build(&untrusted, true)
        .args(["--substituters", &cache])
        .output()
        .unwrap();
    success(&built_anyway, "build with an untrusted cache");
    assert_eq!(String::from_utf8(built_anyway.stdout).unwrap(), paths);
    assert!(logs(&untrusted) > 0);

    // A cache whose NARs are damaged: a warning, then the build.
    for entry in fs::read_dir(sides.dir.path().join("cache/nar")).unwrap() {
        fs::write(entry.unwrap().path(), b"not a NAR").unwrap();
    }
    let damaged = sides.dir.path().join("damaged");
    sides.oracle.import_busybox(&damaged);
    let fallback = build(&damaged, true)
        .args([
            "--substituters",
            &cache,
            "--trusted-public-keys",
            public.trim(),
        ])
        .output()
        .unwrap();
    success(&fallback, "build with a damaged cache");
    assert_eq!(String::from_utf8(fallback.stdout).unwrap(), paths);
    let stderr = String::from_utf8_lossy(&fallback.stderr);
    assert!(stderr.contains("warning: substituting"), "{stderr}");
    assert!(logs(&damaged) > 0);
}
