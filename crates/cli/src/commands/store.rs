//! `cairn store …`: the local store and the NAR format.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use cairn_store::FileIngestionMethod;
use cairn_store::hash::HashAlgo;
use cairn_store::local::{GcOptions, LocalStore, LocalStoreConfig, RootSource};
use cairn_store::nar::{self, HashMode};
use cairn_store::path::{StorePath, StorePathName};
use cairn_store::path_info::PathInfo;

use crate::output::write_stdout;
use crate::{Failure, GlobalOptions};

/// Work with the store and with NAR archives.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Copy a file or tree into the store and print its store path
    /// (as `nix-store --add`, or `nix store add-file` with --flat).
    Add {
        /// Hash the file's contents rather than its NAR serialisation
        /// (PATH must be a regular file).
        #[arg(long)]
        flat: bool,
        /// The store path's name (default: PATH's file name).
        #[arg(long)]
        name: Option<String>,
        /// What to add.
        path: PathBuf,
    },
    /// Write the NAR serialisation of PATH to stdout (as `nix-store --dump`).
    Dump {
        /// The file or tree to serialise.
        path: PathBuf,
    },
    /// Read a NAR from stdin and recreate it at DIR (as `nix-store --restore`).
    Restore {
        /// Where to create it; must not exist, or be an empty directory.
        dir: PathBuf,
    },
    /// Print the hash of each PATH's NAR serialisation, or with --flat of its
    /// contents (as `nix-hash`).
    HashPath {
        /// The hash algorithm.
        #[arg(long = "type", value_name = "TYPE", default_value = "sha256")]
        algo: HashAlgo,
        /// Print in base16 (the default).
        #[arg(long, group = "base")]
        base16: bool,
        /// Print in Nix's base32.
        #[arg(long, group = "base")]
        base32: bool,
        /// Print as an SRI hash (`sha256-…`).
        #[arg(long, group = "base")]
        sri: bool,
        /// Hash the file's contents, not its NAR serialisation.
        #[arg(long)]
        flat: bool,
        /// The files or trees to hash.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Show what the store knows about valid paths.
    PathInfo {
        /// Print JSON, with the field names of `nix path-info --json`.
        #[arg(long)]
        json: bool,
        /// Include every path the given ones refer to, directly or not.
        #[arg(short, long)]
        recursive: bool,
        /// Include the NAR size and the closure size.
        #[arg(short = 's', long)]
        size: bool,
        /// Store paths (or links to them).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Check that every valid path exists, and with --check-contents that its
    /// contents still match the recorded hash.
    Verify {
        /// Rehash every path.
        #[arg(long)]
        check_contents: bool,
        /// Also require each path to be signed by a trusted key (or be
        /// made locally, or be content-addressed).
        #[arg(long)]
        sigs: bool,
        /// Keys trusted for --sigs, separated by spaces; repeatable.
        #[arg(long, value_name = "KEYS", requires = "sigs")]
        trusted_public_keys: Vec<String>,
    },
    /// Sign store paths with a secret key and record the signatures
    /// (as `nix store sign`).
    Sign {
        /// The secret key file (`name:base64`).
        #[arg(long, value_name = "FILE")]
        key_file: PathBuf,
        /// Store paths (or links to them).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Replace identical files in the store by hard links to one copy
    /// (as `nix-store --optimise`).
    Optimise,
    /// Delete every valid path that no garbage-collector root reaches
    /// (as `nix-store --gc`).
    Gc {
        /// Print what would be deleted, and delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the roots and delete nothing.
        #[arg(long)]
        print_roots: bool,
        /// Print the paths that stay and delete nothing.
        #[arg(long)]
        print_live: bool,
        /// Print the paths that would go and delete nothing.
        #[arg(long)]
        print_dead: bool,
        /// Stop after freeing this many bytes.
        #[arg(long, value_name = "BYTES")]
        max_freed: Option<u64>,
        /// Do not treat paths in use by running processes as roots.
        #[arg(long)]
        no_runtime_roots: bool,
        /// First delete every old generation of every profile in
        /// ROOT/nix/var/nix/profiles (as `nix-collect-garbage -d`).
        #[arg(short = 'd', long)]
        delete_old: bool,
        /// First delete the generations older than AGE (`Nd`) of every
        /// profile in ROOT/nix/var/nix/profiles (as
        /// `nix-collect-garbage --delete-older-than`).
        #[arg(long, value_name = "AGE", conflicts_with = "delete_old")]
        delete_older_than: Option<String>,
    },
    /// Delete paths that no other valid path refers to.
    Delete {
        /// Store paths (or links to them).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

pub(crate) fn run(global: &GlobalOptions, args: Args) -> Result<(), Failure> {
    match args.action {
        Action::Add { flat, name, path } => {
            let name = match name {
                Some(name) => name,
                None => path
                    .file_name()
                    .with_context(|| format!("{} has no file name; give --name", path.display()))?
                    .to_str()
                    .with_context(|| format!("{} is not valid UTF-8; give --name", path.display()))?
                    .to_owned(),
            };
            let name = StorePathName::new(&name)?;
            let method = if flat {
                FileIngestionMethod::Flat
            } else {
                FileIngestionMethod::Recursive
            };
            let mut store = open_store(global)?;
            let added = store.add_path(&path, &name, method)?;
            println_path(&store, &added)
        }
        Action::Dump { path } => {
            let stdout = std::io::stdout().lock();
            let mut out = BufWriter::with_capacity(1 << 20, stdout);
            nar::dump_path(&path, &mut out)?;
            out.flush()?;
            Ok(())
        }
        Action::Restore { dir } => {
            let stdin = std::io::stdin().lock();
            nar::restore(std::io::BufReader::with_capacity(1 << 20, stdin), &dir)?;
            Ok(())
        }
        Action::HashPath {
            algo,
            base32,
            sri,
            flat,
            paths,
            ..
        } => {
            let mode = if flat {
                HashMode::Flat
            } else {
                HashMode::Recursive
            };
            let mut out = String::new();
            for path in paths {
                let (hash, _) = nar::hash_path(&path, algo, mode)?;
                let text = if sri {
                    hash.to_sri()
                } else if base32 {
                    hash.to_nix_base32()
                } else {
                    hash.to_base16()
                };
                out.push_str(&text);
                out.push('\n');
            }
            write_stdout(out.as_bytes())
        }
        Action::PathInfo {
            json,
            recursive,
            size,
            paths,
        } => path_info(global, json, recursive, size, &paths),
        Action::Sign { key_file, paths } => {
            let key = super::cache::read_secret_key(&key_file)?;
            let mut store = open_store(global)?;
            let paths = paths
                .iter()
                .map(|p| store.resolve(p))
                .collect::<Result<Vec<_>, _>>()?;
            let added = cairn_cache::local_sigs::sign_paths(&mut store, &paths, &key)?;
            if !global.quiet {
                eprintln!("added {added} signatures");
            }
            Ok(())
        }
        Action::Verify {
            check_contents,
            sigs,
            trusted_public_keys,
        } => {
            let store = open_store(global)?;
            if sigs {
                verify_sigs(&store, &trusted_public_keys)?;
            }
            let report = store.verify(check_contents)?;
            for path in &report.missing {
                eprintln!(
                    "path '{}' disappeared, but it is still valid",
                    store.store_dir().display_path(path)
                );
            }
            for (path, expected, actual) in &report.modified {
                eprintln!(
                    "path '{}' was modified! expected hash '{}', got '{}'",
                    store.store_dir().display_path(path),
                    expected.to_sri(),
                    actual.to_sri()
                );
            }
            if !report.is_ok() {
                return Err(anyhow::anyhow!(
                    "{} of {} valid paths failed verification",
                    report.missing.len() + report.modified.len(),
                    report.checked
                )
                .into());
            }
            if !global.quiet {
                eprintln!("checked {} valid paths", report.checked);
            }
            Ok(())
        }
        Action::Optimise => {
            let stats = open_store(global)?.optimise()?;
            if !global.quiet {
                eprintln!(
                    "{:.2} MiB freed by hard-linking {} files",
                    stats.bytes_freed as f64 / (1024.0 * 1024.0),
                    stats.files_linked
                );
            }
            Ok(())
        }
        Action::Gc {
            dry_run,
            print_roots,
            print_live,
            print_dead,
            max_freed,
            no_runtime_roots,
            delete_old,
            delete_older_than,
        } => {
            let mut store = open_store(global)?;
            if delete_old || delete_older_than.is_some() {
                let spec = super::profile::wipe_spec(delete_older_than.as_deref())?;
                let removed = cairn_generations::remove_old_generations(
                    &cairn_generations::profiles_dir(&global.store),
                    &spec,
                    super::profile::unix_now(),
                    dry_run,
                )?;
                for profile in removed {
                    if !global.quiet {
                        eprintln!(
                            "removing old generations of profile {}",
                            profile.profile.display()
                        );
                    }
                    super::profile::report_removed(global, &profile.generations, dry_run);
                }
            }
            let options = GcOptions {
                dry_run: dry_run || print_roots || print_live || print_dead,
                max_freed,
                runtime_roots: !no_runtime_roots,
                ..GcOptions::default()
            };
            let report = store.collect_garbage(&options)?;
            let dir = store.store_dir();
            let mut out = String::new();
            if print_roots {
                for (path, sources) in &report.roots {
                    for source in sources {
                        let from = match source {
                            RootSource::Link(link) => link.display().to_string(),
                            RootSource::Temporary => "{temp}".to_owned(),
                            RootSource::Runtime(pid) => format!("{{pid {pid}}}"),
                        };
                        out.push_str(&format!("{from} -> {}\n", dir.display_path(path)));
                    }
                }
            } else if print_live {
                report
                    .live
                    .iter()
                    .for_each(|p| out.push_str(&format!("{}\n", dir.display_path(p))));
            } else if print_dead || dry_run {
                report
                    .dead
                    .iter()
                    .for_each(|p| out.push_str(&format!("{}\n", dir.display_path(p))));
            } else if !global.quiet {
                eprintln!(
                    "{} store paths deleted, {:.2} MiB freed",
                    report.dead.len(),
                    report.bytes_freed as f64 / (1024.0 * 1024.0)
                );
            }
            write_stdout(out.as_bytes())
        }
        Action::Delete { paths } => {
            let mut store = open_store(global)?;
            let paths = paths
                .iter()
                .map(|p| store.resolve(p))
                .collect::<Result<Vec<_>, _>>()?;
            store.delete(&paths)?;
            if !global.quiet {
                eprintln!("{} store paths deleted", paths.len());
            }
            Ok(())
        }
    }
}

/// Fails unless every valid path is trusted: made here, content-addressed,
/// or signed by one of `keys`.
fn verify_sigs(store: &LocalStore, keys: &[String]) -> Result<(), Failure> {
    use cairn_cache::local_sigs::{SignatureStatus, check_signatures};
    let trusted = cairn_cache::TrustedKeys::parse(keys.iter().flat_map(|k| k.split_whitespace()))?;
    let mut untrusted = 0;
    let paths = store.valid_paths()?;
    for path in &paths {
        if check_signatures(store, path, &trusted)? == SignatureStatus::Untrusted {
            eprintln!(
                "path '{}' is untrusted: no signature by a trusted key",
                store.store_dir().display_path(path)
            );
            untrusted += 1;
        }
    }
    if untrusted > 0 {
        return Err(anyhow::anyhow!(
            "{untrusted} of {} valid paths lack a valid signature by a trusted key",
            paths.len()
        )
        .into());
    }
    Ok(())
}

fn open_store(global: &GlobalOptions) -> anyhow::Result<LocalStore> {
    LocalStore::open(LocalStoreConfig::chroot(&global.store))
        .with_context(|| format!("opening the store under {}", global.store.display()))
}

fn println_path(store: &LocalStore, path: &StorePath) -> Result<(), Failure> {
    write_stdout(format!("{}\n", store.store_dir().display_path(path)).as_bytes())
}

fn path_info(
    global: &GlobalOptions,
    json: bool,
    recursive: bool,
    size: bool,
    given: &[PathBuf],
) -> Result<(), Failure> {
    let store = open_store(global)?;
    let roots = given
        .iter()
        .map(|p| store.resolve(p))
        .collect::<Result<Vec<_>, _>>()?;
    let paths: Vec<StorePath> = if recursive {
        store.closure(&roots)?.into_iter().collect()
    } else {
        roots
    };
    let mut infos = Vec::with_capacity(paths.len());
    for path in &paths {
        let info = store.path_info(path)?.with_context(|| {
            format!(
                "path '{}' is not valid",
                store.store_dir().display_path(path)
            )
        })?;
        let closure_size = if size {
            Some(store.closure_size(path)?)
        } else {
            None
        };
        infos.push((info, closure_size));
    }
    let out = if json {
        let object: serde_json::Map<String, serde_json::Value> = infos
            .iter()
            .map(|(info, closure_size)| {
                (
                    store.store_dir().display_path(&info.path),
                    info_json(&store, info, *closure_size),
                )
            })
            .collect();
        let mut text = serde_json::to_string(&object)?;
        text.push('\n');
        text
    } else {
        let mut text = String::new();
        for (info, closure_size) in &infos {
            text.push_str(&store.store_dir().display_path(&info.path));
            if let Some(closure_size) = closure_size {
                text.push_str(&format!("\t{:>11}\t{:>11}", info.nar_size, closure_size));
            }
            text.push('\n');
        }
        text
    };
    write_stdout(out.as_bytes())
}

/// One path's entry in the JSON form of current Nix's `nix path-info --json`.
fn info_json(store: &LocalStore, info: &PathInfo, closure_size: Option<u64>) -> serde_json::Value {
    let dir = store.store_dir();
    let mut fields = serde_json::Map::new();
    fields.insert("narHash".into(), info.nar_hash.to_sri().into());
    fields.insert("narSize".into(), info.nar_size.into());
    fields.insert(
        "references".into(),
        info.references
            .iter()
            .map(|r| dir.display_path(r))
            .collect::<Vec<_>>()
            .into(),
    );
    fields.insert("registrationTime".into(), info.registration_time.into());
    fields.insert("ultimate".into(), info.ultimate.into());
    fields.insert(
        "signatures".into(),
        info.signatures.iter().cloned().collect::<Vec<_>>().into(),
    );
    fields.insert(
        "deriver".into(),
        info.deriver.as_ref().map(|d| dir.display_path(d)).into(),
    );
    fields.insert(
        "ca".into(),
        info.ca.as_ref().map(ToString::to_string).into(),
    );
    if let Some(closure_size) = closure_size {
        fields.insert("closureSize".into(), closure_size.into());
    }
    serde_json::Value::Object(fields)
}
