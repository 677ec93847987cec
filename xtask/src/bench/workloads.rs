//! The named workloads: one entry per comparison. Later work adds its own
//! (store, evaluator, derivations, builds, caches, GC) here.

use std::path::Path;
use std::process::Child;

use super::copy_from;

/// One side-by-side comparison.
pub struct Workload {
    /// The name given on the command line.
    pub name: &'static str,
    /// One line on what is measured.
    pub about: &'static str,
    /// Prepares the inputs in the workload's directory, once, untimed.
    pub setup: fn(&Path) -> anyhow::Result<()>,
    /// Runs before every timed or warm-up run of either side, untimed
    /// (for example to empty a store that the previous run filled).
    pub reset: fn(&Path) -> anyhow::Result<()>,
    /// Runs once after `setup`, given the cairn binary: starts what the
    /// runs need while they last (a server) and names values for the
    /// arguments.
    pub start: fn(&Path, &Path) -> anyhow::Result<Started>,
    /// cairn's arguments; `{dir}` stands for the workload's directory, and
    /// the names `start` gives for their values.
    pub cairn: &'static [&'static str],
    /// Nix's program and arguments; `{dir}` and the names as above.
    pub nix: &'static [&'static str],
}

/// What a workload's `start` prepared for its runs.
#[derive(Default)]
pub struct Started {
    /// A process the runs need, stopped when this is dropped.
    #[allow(dead_code)] // held, never read: dropping it stops the process
    pub server: Option<Background>,
    /// Names (`{url}`) and their values, expanded in both sides' arguments.
    pub vars: Vec<(&'static str, String)>,
    /// What one run transfers, to report rates.
    pub volume: Option<Volume>,
}

/// The amount of data one run moves.
#[derive(Debug, Clone, Copy)]
pub struct Volume {
    /// NAR bytes.
    pub bytes: u64,
    /// Store paths.
    pub paths: usize,
}

/// A child process that lives as long as this value: killed and reaped on
/// drop, so an error in the middle of a workload leaves no server behind.
pub struct Background(Child);

impl Background {
    pub fn new(child: Child) -> Background {
        Background(child)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nothing(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

fn nothing_started(_: &Path, _: &Path) -> anyhow::Result<Started> {
    Ok(Started::default())
}

/// Every workload, in the order they run.
pub fn all() -> Vec<Workload> {
    vec![
        Workload {
            name: "startup",
            about: "start, print the version, exit: `cairn --version` vs `nix-instantiate --version`",
            setup: nothing,
            reset: nothing,
            start: nothing_started,
            cairn: &["--version"],
            nix: &["nix-instantiate", "--version"],
        },
        Workload {
            name: "hash-path",
            about: "SHA-256 of the NAR of a 500 MiB tree of 5,000 files: `cairn store hash-path` vs `nix-hash`",
            setup: large_tree,
            reset: nothing,
            start: nothing_started,
            cairn: &["store", "hash-path", "--type", "sha256", "{dir}/tree"],
            nix: &["nix-hash", "--type", "sha256", "{dir}/tree"],
        },
        Workload {
            name: "store-add",
            about: "add a 500 MiB tree of 5,000 files to a fresh store: `cairn store add` vs `nix-store --add`",
            setup: large_tree,
            reset: fresh_stores,
            start: nothing_started,
            cairn: &["--store", "{dir}/cairn-store", "store", "add", "{dir}/tree"],
            nix: &[
                "nix-store",
                "--store",
                "{dir}/nix-store",
                "--add",
                "{dir}/tree",
            ],
        },
        Workload {
            name: "instantiate-5000",
            about: "write the .drv files of 5,000 interdependent derivations to a fresh store: `cairn instantiate` vs `nix-instantiate`",
            setup: derivation_graph,
            reset: fresh_stores,
            start: nothing_started,
            cairn: &[
                "--store",
                "{dir}/cairn-store",
                "instantiate",
                "{dir}/graph.nix",
            ],
            nix: &[
                "nix-instantiate",
                "--store",
                "{dir}/nix-store",
                "{dir}/graph.nix",
            ],
        },
        Workload {
            name: "build-chain-500",
            about: "build 500 trivial derivations, each needing the previous: `cairn build -j 2` vs `nix-store -r -j 2`",
            setup: chain_500,
            reset: unbuilt_stores,
            start: nothing_started,
            cairn: &[
                "--store",
                "{dir}/cairn-store",
                "build",
                "--no-link",
                "-j",
                "2",
                "--sandbox-path",
                "/bin/sh=/bin/busybox",
                "{dir}/top.drv",
            ],
            nix: &[
                "nix-store",
                "--store",
                "{dir}/nix-store",
                "-r",
                "-j",
                "2",
                "{dir}/top.drv",
            ],
        },
        Workload {
            name: "build-wide-500",
            about: "build 500 independent trivial derivations and one that needs them all: `cairn build -j 2` vs `nix-store -r -j 2`",
            setup: wide_500,
            reset: unbuilt_stores,
            start: nothing_started,
            cairn: &[
                "--store",
                "{dir}/cairn-store",
                "build",
                "--no-link",
                "-j",
                "2",
                "--sandbox-path",
                "/bin/sh=/bin/busybox",
                "{dir}/top.drv",
            ],
            nix: &[
                "nix-store",
                "--store",
                "{dir}/nix-store",
                "-r",
                "-j",
                "2",
                "{dir}/top.drv",
            ],
        },
        Workload {
            name: "fib30",
            about: "evaluator: naive Fibonacci of 30 (1.6 million calls): `cairn eval --strict` vs `nix-instantiate --eval --strict`",
            setup: eval_fib30,
            reset: nothing,
            start: nothing_started,
            cairn: &["eval", "--strict", "{dir}/fib30.nix"],
            nix: &["nix-instantiate", "--eval", "--strict", "{dir}/fib30.nix"],
        },
        Workload {
            name: "attrs200k",
            about: "evaluator: build, update, map and sum a 200,000-attribute set: `cairn eval --strict` vs `nix-instantiate --eval --strict`",
            setup: eval_attrs200k,
            reset: nothing,
            start: nothing_started,
            cairn: &["eval", "--strict", "{dir}/attrs200k.nix"],
            nix: &[
                "nix-instantiate",
                "--eval",
                "--strict",
                "{dir}/attrs200k.nix",
            ],
        },
        Workload {
            name: "strings200k",
            about: "evaluator: replaceStrings, split, toJSON and fromJSON over 200,000 strings: `cairn eval --strict` vs `nix-instantiate --eval --strict`",
            setup: eval_strings200k,
            reset: nothing,
            start: nothing_started,
            cairn: &["eval", "--strict", "{dir}/strings200k.nix"],
            nix: &[
                "nix-instantiate",
                "--eval",
                "--strict",
                "{dir}/strings200k.nix",
            ],
        },
        Workload {
            name: "overlays60",
            about: "evaluator: a 60-overlay fixpoint over a 10,000-package set: `cairn eval --strict` vs `nix-instantiate --eval --strict`",
            setup: eval_overlays60,
            reset: nothing,
            start: nothing_started,
            cairn: &["eval", "--strict", "{dir}/overlays60.nix"],
            nix: &[
                "nix-instantiate",
                "--eval",
                "--strict",
                "{dir}/overlays60.nix",
            ],
        },
        Workload {
            name: "sort200k",
            about: "evaluator: sort 200,000 integers with a Nix comparator, then a 200,000-key genericClosure: `cairn eval --strict` vs `nix-instantiate --eval --strict`",
            setup: eval_sort200k,
            reset: nothing,
            start: nothing_started,
            cairn: &["eval", "--strict", "{dir}/sort200k.nix"],
            nix: &[
                "nix-instantiate",
                "--eval",
                "--strict",
                "{dir}/sort200k.nix",
            ],
        },
        Workload {
            name: "foldl1e6",
            about: "evaluator: foldl' (+) over a list of 10^6 integers: `cairn eval --strict` vs `nix-instantiate --eval --strict`",
            setup: eval_foldl1e6,
            reset: nothing,
            start: nothing_started,
            cairn: &["eval", "--strict", "{dir}/foldl1e6.nix"],
            nix: &[
                "nix-instantiate",
                "--eval",
                "--strict",
                "{dir}/foldl1e6.nix",
            ],
        },
        Workload {
            name: "system-noop",
            about: "re-evaluate and re-build the unchanged sample system (examples/system): `cairn system build` vs `nix-instantiate` of the same toplevel (Nix cannot build builtin:cairn-tree, so its side only evaluates)",
            setup: nothing,
            // The store is kept: the warm-up run builds, timed runs find
            // everything valid.
            reset: nothing,
            start: nothing_started,
            cairn: &[
                "--store",
                "{dir}/cairn-store",
                "system",
                "build",
                "-c",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../examples/system/configuration.nix"
                ),
                "--no-link",
                "--sandbox-path",
                "/bin/sh=/bin/busybox",
            ],
            nix: &[
                "nix-instantiate",
                "--store",
                "{dir}/nix-store",
                "-I",
                concat!("cairn=", env!("CARGO_MANIFEST_DIR"), "/../nix"),
                "-E",
                concat!(
                    "(import <cairn/system.nix> { configuration = ",
                    env!("CARGO_MANIFEST_DIR"),
                    "/../examples/system/configuration.nix; }).toplevel"
                ),
            ],
        },
        Workload {
            name: "gc-20000",
            about: "collect garbage in a store of 20,000 paths of which 10,000 are dead: `cairn store gc` vs `nix-store --gc`",
            setup: gc_store,
            reset: unbuilt_stores,
            start: nothing_started,
            cairn: &["--store", "{dir}/cairn-store", "store", "gc"],
            nix: &["nix-store", "--store", "{dir}/nix-store", "--gc"],
        },
        Workload {
            name: "copy-from-1000",
            about: "substitute a 1,000-path closure (64 MiB of NAR) from `cairn cache serve` on 127.0.0.1 into a fresh store, signatures checked: `cairn copy --from` vs `nix copy --from`",
            setup: copy_from::setup,
            reset: fresh_stores,
            start: copy_from::start,
            cairn: &[
                "--store",
                "{dir}/cairn-store",
                "copy",
                "--from",
                "{url}",
                "--trusted-public-keys",
                "{key}",
                "{top}",
            ],
            nix: &[
                "nix",
                "--store",
                "{dir}/nix-store",
                "copy",
                "--from",
                "{url}",
                "--option",
                "trusted-public-keys",
                "{key}",
                "{top}",
            ],
        },
    ]
}

/// The template store of `gc-20000`: 2,000 chains of 10 text paths, each
/// path referring to the one before; the last path of every other chain
/// is a root (`gcroots/live-N`), so 10,000 paths are live and 10,000 dead,
/// and the dead ones must go referrers first.
fn gc_store(dir: &Path) -> anyhow::Result<()> {
    use cairn_store::local::{LocalStore, LocalStoreConfig, TextFile};
    use cairn_store::path::{StorePath, StorePathName};
    use std::collections::BTreeSet;

    let root = dir.join("template");
    let mut store = LocalStore::open(LocalStoreConfig {
        fsync: false,
        ..LocalStoreConfig::chroot(&root)
    })?;
    let gcroots = root.join("nix/var/nix/gcroots");
    std::fs::create_dir_all(&gcroots)?;
    let mut files = Vec::with_capacity(20_000);
    let mut roots = Vec::new();
    for chain in 0..2_000 {
        let mut previous: Option<StorePath> = None;
        for link in 0..10 {
            let file = TextFile {
                name: StorePathName::new(&format!("chain-{chain}-{link}"))?,
                contents: format!("chain {chain} link {link}\n").into_bytes(),
                references: previous.iter().cloned().collect::<BTreeSet<_>>(),
            };
            let path = file.store_path(store.store_dir())?;
            files.push(file);
            previous = Some(path);
        }
        if chain % 2 == 0
            && let Some(last) = previous
        {
            roots.push((chain, last));
        }
    }
    store.add_texts(&files)?;
    for (chain, path) in roots {
        std::os::unix::fs::symlink(
            store.store_dir().display_path(&path),
            gcroots.join(format!("live-{chain}")),
        )?;
    }
    drop(store);
    let synced = std::process::Command::new("sync").status()?;
    anyhow::ensure!(synced.success(), "sync failed");
    Ok(())
}

/// The build workloads' derivations: `/bin/sh` (busybox, a sandbox path)
/// writes one line; `deps` of a derivation are named in its script, so they
/// are inputs and references.
fn build_graph(dir: &Path, expression: &str) -> anyhow::Result<()> {
    let file = dir.join("graph.nix");
    std::fs::write(
        &file,
        format!(
            "let\n  mk = name: deps: derivation {{ inherit name; system = builtins.currentSystem; builder = \"/bin/sh\"; args = [ \"-c\" \"echo ${{name}} ${{toString deps}} > $out\" ]; }};\nin {expression}\n"
        ),
    )?;
    // Instantiated once into a template store, which every run copies.
    let template = dir.join("template");
    let status = std::process::Command::new("nix-instantiate")
        .env("NIX_CONFIG", cairn_testkit::NIX_CONFIG)
        .arg("--store")
        .arg(&template)
        .arg("--add-root")
        .arg(dir.join("top.drv"))
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(
        status.success(),
        "nix-instantiate {} failed",
        file.display()
    );
    Ok(())
}

fn chain_500(dir: &Path) -> anyhow::Result<()> {
    build_graph(
        dir,
        "builtins.foldl' (prev: i: mk \"chain-${toString i}\" [ prev ]) (mk \"chain-0\" [ ]) (builtins.genList (i: i + 1) 499)",
    )
}

fn wide_500(dir: &Path) -> anyhow::Result<()> {
    build_graph(
        dir,
        "mk \"wide-top\" (builtins.genList (i: mk \"wide-${toString i}\" [ ]) 500)",
    )
}

/// Both stores become fresh copies of the template (for the build
/// workloads: the derivations written, nothing built).
fn unbuilt_stores(dir: &Path) -> anyhow::Result<()> {
    fresh_stores(dir)?;
    for store in ["cairn-store", "nix-store"] {
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(dir.join("template"))
            .arg(dir.join(store))
            .status()?;
        anyhow::ensure!(status.success(), "copying the template store failed");
    }
    Ok(())
}

/// 5,000 files of 100 KiB (500 MiB in all) in 50 directories, filled with
/// pseudo-random bytes so that nothing about the content is special.
fn large_tree(dir: &Path) -> anyhow::Result<()> {
    let root = dir.join("tree");
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut contents = vec![0u8; 100 * 1024];
    for i in 0..5000 {
        let sub = root.join(format!("dir{:02}", i % 50));
        std::fs::create_dir_all(&sub)?;
        for chunk in contents.chunks_mut(8) {
            // xorshift64: fast, deterministic, good enough to defeat any shortcut.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        std::fs::write(sub.join(format!("file{i:04}")), &contents)?;
    }
    Ok(())
}

/// Both sides start every run from an empty store, with nothing left for
/// the disk to write: a run that flushes its own writes (cairn does, before
/// registering) must not also pay for what the previous run left behind.
pub(super) fn fresh_stores(dir: &Path) -> anyhow::Result<()> {
    for store in ["cairn-store", "nix-store"] {
        let path = dir.join(store);
        if path.exists() {
            make_writable(&path)?;
            std::fs::remove_dir_all(&path)?;
        }
    }
    let synced = std::process::Command::new("sync").status()?;
    anyhow::ensure!(synced.success(), "sync failed");
    Ok(())
}

/// Store directories are read-only (0555); removing them needs write
/// permission back, which root has anyway but an ordinary user does not.
fn make_writable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
        for entry in std::fs::read_dir(path)? {
            make_writable(&entry?.path())?;
        }
    }
    Ok(())
}

/// Writes the expression of evaluator workload `name` to `{dir}/{name}.nix`.
fn write_expr(dir: &Path, name: &str, text: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(format!("{name}.nix")), text)?;
    Ok(())
}

fn eval_fib30(dir: &Path) -> anyhow::Result<()> {
    write_expr(
        dir,
        "fib30",
        "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 30\n",
    )
}

fn eval_attrs200k(dir: &Path) -> anyhow::Result<()> {
    write_expr(
        dir,
        "attrs200k",
        r#"let
  n = 200000;
  s = builtins.listToAttrs (builtins.genList (i: { name = "a${toString i}"; value = i; }) n);
  u = s // builtins.listToAttrs (builtins.genList (i: { name = "a${toString (i * 2)}"; value = 0; }) (n / 2));
  m = builtins.mapAttrs (k: v: v + 1) u;
in builtins.foldl' (a: b: a + b) 0 (builtins.attrValues m)
"#,
    )
}

fn eval_strings200k(dir: &Path) -> anyhow::Result<()> {
    write_expr(
        dir,
        "strings200k",
        r#"let
  n = 200000;
  items = builtins.genList (i: "item-${toString i}.value") n;
  replaced = map (builtins.replaceStrings [ "-" "." ] [ "_" "/" ]) items;
  pieces = map (s: builtins.length (builtins.split "[_/]" s)) replaced;
  json = builtins.toJSON replaced;
  back = builtins.fromJSON json;
in [ (builtins.length back) (builtins.foldl' (a: b: a + b) 0 pieces) (builtins.stringLength json) ]
"#,
    )
}

fn eval_overlays60(dir: &Path) -> anyhow::Result<()> {
    write_expr(
        dir,
        "overlays60",
        r#"let
  fix = f: let x = f x; in x;
  size = 10000;
  name = i: "pkg${toString i}";
  base = final: builtins.listToAttrs (builtins.genList (i: {
    name = name i;
    value = { pname = name i; version = i; deps = if i == 0 then [ ] else [ final.${name (i - 1)}.pname ]; };
  }) size);
  # Overlay j bumps every sixth package (those with index j mod 6).
  overlay = j: final: prev: let r = j - (j / 6) * 6; in builtins.listToAttrs (builtins.genList (i: let n = name (i * 6 + r); in {
    name = n;
    value = prev.${n} // { version = prev.${n}.version + 1; };
  }) ((size - r + 5) / 6));
  composed = builtins.foldl' (f: o: final: let prev = f final; in prev // o final prev) base (builtins.genList overlay 60);
  pkgs = fix composed;
in builtins.foldl' (acc: n: acc + pkgs.${n}.version + builtins.length pkgs.${n}.deps) 0 (builtins.attrNames pkgs)
"#,
    )
}

fn eval_sort200k(dir: &Path) -> anyhow::Result<()> {
    write_expr(
        dir,
        "sort200k",
        r#"let
  n = 200000;
  xs = builtins.genList (i: let x = i * 7919; in x - (x / 200003) * 200003) n;
  sorted = builtins.sort (a: b: a < b) xs;
  closure = builtins.genericClosure {
    startSet = [ { key = 1; } ];
    operator = item: if item.key >= n then [ ] else [ { key = item.key + 1; } { key = item.key * 2; } ];
  };
in [ (builtins.head sorted) (builtins.elemAt sorted 100000) (builtins.length closure) ]
"#,
    )
}

fn eval_foldl1e6(dir: &Path) -> anyhow::Result<()> {
    write_expr(
        dir,
        "foldl1e6",
        "builtins.foldl' (a: b: a + b) 0 (builtins.genList (i: i) 1000000)\n",
    )
}

/// 5,000 derivations, each depending on the one before it and on the one
/// at half its index: deep and shared, as a package set's graph is.
fn derivation_graph(dir: &Path) -> anyhow::Result<()> {
    write_expr(
        dir,
        "graph",
        r#"let
  mk = i: deps: derivation {
    name = "node-${toString i}";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo ${toString i} > $out" ];
    inherit deps;
  };
  nodes = builtins.genList (i: mk i (if i == 0 then [ ] else [ (builtins.elemAt nodes (i - 1)) (builtins.elemAt nodes (i / 2)) ])) 5000;
in builtins.elemAt nodes 4999
"#,
    )
}
