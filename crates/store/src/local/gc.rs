//! The garbage collector: deletes the valid paths that no root reaches.
//!
//! Roots, as Nix finds them:
//! - symlinks under `gcroots/` and `profiles/` that point into the store
//!   (anywhere inside a store path);
//! - symlinks there that point at a symlink elsewhere which points into the
//!   store (*indirect* roots, such as `gcroots/auto/…` → `./result`); stale
//!   ones under `gcroots/auto` are removed;
//! - temporary roots of running processes (`temproots/`);
//! - optionally, runtime roots: store paths that running processes have
//!   open, mapped, as their executable or working directory, or in their
//!   environment (from `/proc`).
//!
//! The reference graph is loaded from the database in three queries, the
//! live set computed in memory, and the dead paths deleted referrers first,
//! in batches each made invalid (in one transaction) before their files
//! go, so the database stays consistent at every moment and a crash leaves
//! only unregistered files behind, which the next collection removes. The
//! whole collection holds `gc.lock` exclusively; adding paths holds it
//! shared while registering a temporary root, as Nix does, so a path added
//! meanwhile is never collected.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{LocalStore, LocalStoreError, canonical, temproots};
use crate::path::StorePath;

/// How many dead paths one transaction invalidates: one transaction per
/// path would make the database (its write-ahead log and checkpoints, each
/// with an fsync) the bottleneck of a large collection, and a crash loses
/// at most one batch's work (its files stay, unregistered).
const DELETE_BATCH: usize = 4096;

/// What a collection should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcOptions {
    /// Only report what would be deleted.
    pub dry_run: bool,
    /// Stop once this many bytes (of NAR size) are freed.
    pub max_freed: Option<u64>,
    /// Keep the derivations that live paths were built from (Nix's
    /// `keep-derivations`, on by default).
    pub keep_derivations: bool,
    /// Keep the outputs of live derivations (Nix's `keep-outputs`).
    pub keep_outputs: bool,
    /// Look for runtime roots in `/proc`.
    pub runtime_roots: bool,
}

impl Default for GcOptions {
    fn default() -> GcOptions {
        GcOptions {
            dry_run: false,
            max_freed: None,
            keep_derivations: true,
            keep_outputs: false,
            runtime_roots: true,
        }
    }
}

/// Where a root comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RootSource {
    /// A link (file) that points into the store.
    Link(PathBuf),
    /// A running process's temporary root.
    Temporary,
    /// A running process (its pid) uses the path.
    Runtime(u32),
}

/// The outcome of a collection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Every root, with what made it one.
    pub roots: BTreeMap<StorePath, BTreeSet<RootSource>>,
    /// The paths that stay.
    pub live: BTreeSet<StorePath>,
    /// The paths deleted (or, in a dry run, that would be).
    pub dead: Vec<StorePath>,
    /// Bytes freed (NAR sizes of deleted paths).
    pub bytes_freed: u64,
}

impl LocalStore {
    /// Makes `link` a symlink to `path` and registers it as an indirect
    /// root, as `nix-build -o` and `nix-instantiate --add-root` do: the
    /// path lives for as long as the link points at it. An existing link
    /// is replaced atomically. Returns the absolute path of the link.
    pub fn add_indirect_root(
        &mut self,
        path: &StorePath,
        link: &Path,
    ) -> Result<PathBuf, LocalStoreError> {
        let link =
            std::path::absolute(link).map_err(|e| LocalStoreError::io("resolving", link, e))?;
        let target = self.store_dir().display_path(path);
        replace_symlink(Path::new(&target), &link)?;
        self.register_indirect_root(&link)
    }

    /// Registers the existing symlink `link` as an indirect root (Nix's
    /// `addIndirectRoot`): `gcroots/auto/<name>` points at it, so whatever
    /// store path `link` points at stays alive until `link` is removed or
    /// changed. Nix does this for every profile generation link it makes.
    /// Returns the absolute path of the link.
    pub fn register_indirect_root(&self, link: &Path) -> Result<PathBuf, LocalStoreError> {
        let link =
            std::path::absolute(link).map_err(|e| LocalStoreError::io("resolving", link, e))?;
        let auto_dir = self.state_dir.join("gcroots/auto");
        fs::create_dir_all(&auto_dir).map_err(|e| LocalStoreError::io("creating", &auto_dir, e))?;
        replace_symlink(&link, &auto_dir.join(indirect_root_name(&link)))?;
        Ok(link)
    }

    /// Finds every root (see the module documentation).
    pub fn find_roots(
        &self,
        runtime_roots: bool,
    ) -> Result<BTreeMap<StorePath, BTreeSet<RootSource>>, LocalStoreError> {
        let mut roots: BTreeMap<StorePath, BTreeSet<RootSource>> = BTreeMap::new();
        let auto_dir = self.state_dir.join("gcroots/auto");
        for dir in [
            self.state_dir.join("gcroots"),
            self.state_dir.join("profiles"),
        ] {
            self.find_link_roots(&dir, &auto_dir, &mut roots)?;
        }
        for absolute in temproots::read_all(&self.state_dir.join("temproots"))? {
            if let Some(path) = self.store_path_within(&absolute)? {
                roots.entry(path).or_default().insert(RootSource::Temporary);
            }
        }
        if runtime_roots {
            for (pid, absolute) in runtime_references(self.store_dir().as_str()) {
                if let Some(path) = self.store_path_within(&absolute)? {
                    roots
                        .entry(path)
                        .or_default()
                        .insert(RootSource::Runtime(pid));
                }
            }
        }
        Ok(roots)
    }

    /// The valid store path that `absolute` is (or is inside), if any.
    fn store_path_within(&self, absolute: &str) -> Result<Option<StorePath>, LocalStoreError> {
        match self.store_dir().store_path_of(absolute) {
            Ok(path) if self.is_valid(&path)? => Ok(Some(path)),
            _ => Ok(None),
        }
    }

    fn find_link_roots(
        &self,
        path: &Path,
        auto_dir: &Path,
        roots: &mut BTreeMap<StorePath, BTreeSet<RootSource>>,
    ) -> Result<(), LocalStoreError> {
        let meta = match fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(LocalStoreError::io("inspecting", path, e)),
        };
        if meta.is_dir() {
            for entry in fs::read_dir(path).map_err(|e| LocalStoreError::io("reading", path, e))? {
                let entry = entry.map_err(|e| LocalStoreError::io("reading", path, e))?;
                self.find_link_roots(&entry.path(), auto_dir, roots)?;
            }
            return Ok(());
        }
        if !meta.file_type().is_symlink() {
            return Ok(());
        }
        let target = fs::read_link(path).map_err(|e| LocalStoreError::io("reading", path, e))?;
        if let Some(found) = self.store_path_within(&target.to_string_lossy())? {
            roots
                .entry(found)
                .or_default()
                .insert(RootSource::Link(path.to_path_buf()));
            return Ok(());
        }
        // An indirect root: a link to a link (elsewhere) into the store.
        let indirect = path
            .parent()
            .map_or_else(|| target.clone(), |dir| dir.join(&target));
        match fs::symlink_metadata(&indirect) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if path.starts_with(auto_dir) {
                    // The link it stood for is gone: so is the root.
                    let _ = fs::remove_file(path);
                }
            }
            Err(e) => return Err(LocalStoreError::io("inspecting", &indirect, e)),
            Ok(meta) if meta.file_type().is_symlink() => {
                let second = fs::read_link(&indirect)
                    .map_err(|e| LocalStoreError::io("reading", &indirect, e))?;
                if let Some(found) = self.store_path_within(&second.to_string_lossy())? {
                    roots
                        .entry(found)
                        .or_default()
                        .insert(RootSource::Link(indirect));
                }
            }
            Ok(_) => {}
        }
        Ok(())
    }

    /// Collects garbage: every valid path that no root reaches, directly or
    /// through references (and derivers and outputs, per `options`).
    pub fn collect_garbage(&mut self, options: &GcOptions) -> Result<GcReport, LocalStoreError> {
        let _gc = self.gc_lock(true)?;

        let roots = self.find_roots(options.runtime_roots)?;
        let graph = self.db.load_graph()?;
        let live = graph.live_set(roots.keys(), options);
        let mut dead: Vec<StorePath> = graph
            .paths
            .iter()
            .filter(|(path, _)| !live.contains(*path))
            .map(|(path, _)| path.clone())
            .collect();
        graph.order_referrers_first(&mut dead);

        let mut report = GcReport {
            roots,
            live,
            dead: Vec::new(),
            bytes_freed: 0,
        };
        let mut batch: Vec<StorePath> = Vec::with_capacity(DELETE_BATCH);
        for path in dead {
            if options
                .max_freed
                .is_some_and(|max| report.bytes_freed >= max)
            {
                break;
            }
            let size = graph.paths.get(&path).map_or(0, |node| node.nar_size);
            if !options.dry_run {
                batch.push(path.clone());
                if batch.len() == DELETE_BATCH {
                    self.delete_batch(&batch)?;
                    batch.clear();
                }
            }
            report.bytes_freed += size;
            report.dead.push(path);
        }
        if !batch.is_empty() {
            self.delete_batch(&batch)?;
        }
        if !options.dry_run {
            // Valid: what the graph had, less what went. A path registered
            // since the graph was loaded had its temporary root taken
            // before this collection began (taking one waits for the GC
            // lock), so the sweep spares it as in use.
            let deleted: HashSet<&StorePath> = report.dead.iter().collect();
            let valid: HashSet<&StorePath> = graph
                .paths
                .keys()
                .filter(|path| !deleted.contains(path))
                .collect();
            self.remove_invalid_entries(&valid)?;
            self.remove_unreferenced_links()?;
        }
        Ok(report)
    }

    /// Deletes dead `paths`, given referrers first: all made invalid in one
    /// transaction, then their files removed. A crash at any moment leaves
    /// at worst unregistered files.
    ///
    /// No path locks are taken (Nix's collector takes none either): a
    /// process that (re)creates a path registers a temporary root for it
    /// first, which it cannot do while the collection holds `gc.lock`; had
    /// it done so before, the path would be live. So nobody is writing a
    /// dead path while it is removed.
    fn delete_batch(&mut self, paths: &[StorePath]) -> Result<(), LocalStoreError> {
        self.db.invalidate_all(paths)?;
        let targets: Vec<PathBuf> = paths.iter().map(|p| self.real_path(p)).collect();
        remove_trees(&targets)
    }

    /// Refuses when a garbage-collector root keeps one of `paths`, naming
    /// the root. Called under the GC lock.
    pub(super) fn check_not_live(
        &self,
        paths: &[StorePath],
        runtime_roots: bool,
    ) -> Result<(), LocalStoreError> {
        let roots = self.find_roots(runtime_roots)?;
        let graph = self.db.load_graph()?;
        let kept = graph.kept_by(roots.keys(), &GcOptions::default());
        for path in paths {
            if let Some(root) = kept.get(path) {
                let source = roots.get(root).and_then(|s| s.iter().next());
                let how = match source {
                    Some(RootSource::Link(link)) => format!("the root {}", link.display()),
                    Some(RootSource::Temporary) => {
                        "a temporary root of a running process".to_owned()
                    }
                    Some(RootSource::Runtime(pid)) => format!("process {pid}, which uses it"),
                    None => "a root".to_owned(),
                };
                let dir = self.store_dir();
                return Err(LocalStoreError::Live {
                    path: dir.display_path(path),
                    root: dir.display_path(root),
                    how,
                });
            }
        }
        Ok(())
    }

    /// Removes what lies in the store directory without being valid: left
    /// by a crash (an add or a collection killed half-way) and garbage, as
    /// Nix's collector treats it, and build staging directories whose build
    /// is gone. Spared: other names that are no store path (dot files, lock
    /// files), paths some process holds a temporary root on, and paths
    /// whose lock someone holds (being built or added).
    /// Called under the exclusive GC lock, with the paths known valid.
    fn remove_invalid_entries(
        &mut self,
        valid: &HashSet<&StorePath>,
    ) -> Result<(), LocalStoreError> {
        let in_use: HashSet<String> = temproots::read_all(&self.state_dir.join("temproots"))?
            .into_iter()
            .collect();
        let dir = self.real_store_dir.clone();
        let entries = fs::read_dir(&dir).map_err(|e| LocalStoreError::io("reading", &dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| LocalStoreError::io("reading", &dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(super::register::STAGING_PREFIX) {
                remove_if_abandoned(&entry.path())?;
                continue;
            }
            if name.starts_with('.') || name.ends_with(".lock") {
                continue;
            }
            let Ok(path) = self
                .store_dir()
                .store_path_of(&format!("{}/{name}", self.store_dir().as_str()))
            else {
                continue;
            };
            if valid.contains(&path) || in_use.contains(&self.store_dir().display_path(&path)) {
                continue;
            }
            let target = entry.path();
            let Some(_lock) = super::PathLock::try_acquire(&super::lock_path(&target))? else {
                continue;
            };
            // Made valid while we waited for nothing? Not under our lock.
            if self.is_valid(&path)? {
                continue;
            }
            canonical::remove_tree(&target)?;
        }
        Ok(())
    }

    /// Removes `.links` entries no store file shares any more.
    fn remove_unreferenced_links(&self) -> Result<(), LocalStoreError> {
        let links = self.real_store_dir.join(".links");
        let entries = match fs::read_dir(&links) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(LocalStoreError::io("reading", &links, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| LocalStoreError::io("reading", &links, e))?;
            let meta = entry
                .metadata()
                .map_err(|e| LocalStoreError::io("inspecting", &entry.path(), e))?;
            if meta.nlink() == 1 {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }
}

/// Removes the build staging directory `dir` unless its build still runs
/// (holds its lock): a killed build leaves its partial outputs there.
fn remove_if_abandoned(dir: &Path) -> Result<(), LocalStoreError> {
    let Ok(handle) = fs::File::open(dir) else {
        return Ok(()); // gone meanwhile
    };
    match handle.try_lock() {
        Ok(()) => canonical::remove_tree(dir),
        Err(_) => Ok(()),
    }
}

/// How many threads remove dead paths' files. Unlinking is mostly waiting
/// for the filesystem (its journal, online discard), so several unlinks in
/// flight overlap that waiting even on few cores.
const REMOVERS: usize = 4;

/// Removes every tree of `targets` (all invalid already, so the order does
/// not matter), spread over [`REMOVERS`] threads; the first error wins.
fn remove_trees(targets: &[PathBuf]) -> Result<(), LocalStoreError> {
    if targets.len() < 2 * REMOVERS {
        return targets.iter().try_for_each(|t| canonical::remove_tree(t));
    }
    let chunk = targets.len().div_ceil(REMOVERS);
    std::thread::scope(|scope| {
        let workers: Vec<_> = targets
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().try_for_each(|t| canonical::remove_tree(t)))
            })
            .collect();
        let mut outcome = Ok(());
        for worker in workers {
            let result = worker.join().unwrap_or_else(|_| {
                Err(LocalStoreError::Corrupt {
                    what: "a thread removing dead paths panicked".to_owned(),
                })
            });
            if outcome.is_ok() {
                outcome = result;
            }
        }
        outcome
    })
}

/// The reference graph of a whole store, loaded once.
pub(super) struct Graph {
    pub paths: HashMap<StorePath, Node>,
}

pub(super) struct Node {
    pub references: Vec<StorePath>,
    pub deriver: Option<StorePath>,
    pub outputs: Vec<StorePath>,
    pub nar_size: u64,
}

impl Graph {
    fn live_set<'a>(
        &self,
        roots: impl Iterator<Item = &'a StorePath>,
        options: &GcOptions,
    ) -> BTreeSet<StorePath> {
        self.kept_by(roots, options).into_keys().collect()
    }

    /// Every live path, with the root that keeps it (the first found).
    fn kept_by<'a>(
        &self,
        roots: impl Iterator<Item = &'a StorePath>,
        options: &GcOptions,
    ) -> HashMap<StorePath, StorePath> {
        let mut kept: HashMap<StorePath, StorePath> = HashMap::new();
        let mut todo: Vec<(StorePath, StorePath)> = roots.map(|r| (r.clone(), r.clone())).collect();
        while let Some((path, root)) = todo.pop() {
            let Some(node) = self.paths.get(&path) else {
                continue;
            };
            if kept.contains_key(&path) {
                continue;
            }
            kept.insert(path, root.clone());
            let mut next: Vec<StorePath> = node.references.clone();
            if options.keep_derivations
                && let Some(deriver) = &node.deriver
            {
                next.push(deriver.clone());
            }
            if options.keep_outputs {
                next.extend(node.outputs.iter().cloned());
            }
            todo.extend(
                next.into_iter()
                    .filter(|p| !kept.contains_key(p))
                    .map(|p| (p, root.clone())),
            );
        }
        kept
    }

    /// Sorts `paths` so that every path comes before those it refers to.
    fn order_referrers_first(&self, paths: &mut Vec<StorePath>) {
        let members: BTreeSet<&StorePath> = paths.iter().collect();
        let mut referrer_count: HashMap<&StorePath, usize> =
            members.iter().map(|p| (*p, 0)).collect();
        for path in &members {
            if let Some(node) = self.paths.get(*path) {
                for reference in node.references.iter().filter(|r| *r != *path) {
                    if let Some(count) = referrer_count.get_mut(reference) {
                        *count += 1;
                    }
                }
            }
        }
        // Kahn's algorithm from the paths nothing else (among them) refers to.
        let mut ready: Vec<&StorePath> = referrer_count
            .iter()
            .filter(|(_, c)| **c == 0)
            .map(|(p, _)| *p)
            .collect();
        ready.sort();
        let mut ordered = Vec::with_capacity(paths.len());
        while let Some(path) = ready.pop() {
            ordered.push(path.clone());
            if let Some(node) = self.paths.get(path) {
                for reference in node.references.iter().filter(|r| *r != path) {
                    if let Some(count) = referrer_count.get_mut(reference) {
                        *count -= 1;
                        if *count == 0 {
                            ready.push(reference);
                        }
                    }
                }
            }
        }
        // Paths in a reference cycle (impossible for content hashes, but a
        // database may say anything) come last, in any order.
        let placed: BTreeSet<StorePath> = ordered.iter().cloned().collect();
        ordered.extend(paths.iter().filter(|p| !placed.contains(*p)).cloned());
        *paths = ordered;
    }
}

/// Store paths mentioned by running processes: their executables, working
/// directories, open files, memory maps and environments. Best effort:
/// processes come and go while we look, and some are not ours to read.
fn runtime_references(store_dir: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    let Ok(processes) = fs::read_dir("/proc") else {
        return found;
    };
    for process in processes.flatten() {
        let Some(pid) = process
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let dir = process.path();
        let mut links: Vec<PathBuf> = vec![dir.join("exe"), dir.join("cwd")];
        if let Ok(fds) = fs::read_dir(dir.join("fd")) {
            links.extend(fds.flatten().map(|fd| fd.path()));
        }
        for link in links {
            if let Ok(target) = fs::read_link(&link) {
                let target = target.to_string_lossy();
                if target.starts_with(store_dir) {
                    found.push((pid, target.into_owned()));
                }
            }
        }
        for file in ["maps", "environ"] {
            if let Ok(contents) = fs::read(dir.join(file)) {
                found.extend(
                    store_paths_in(&contents, store_dir)
                        .into_iter()
                        .map(|p| (pid, p)),
                );
            }
        }
    }
    found
}

/// Every `<store dir>/<hash>-<name>` that occurs in `bytes`.
fn store_paths_in(bytes: &[u8], store_dir: &str) -> Vec<String> {
    let prefix = format!("{store_dir}/");
    let mut found = Vec::new();
    let mut rest = bytes;
    while let Some(at) = find(rest, prefix.as_bytes()) {
        let after = &rest[at + prefix.len()..];
        let len = after
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b"+-._?=".contains(&b))
            .count();
        if len > 33 {
            found.push(format!(
                "{prefix}{}",
                String::from_utf8_lossy(&after[..len])
            ));
        }
        rest = &after[len..];
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The name of `link`'s entry in `gcroots/auto`: as Nix names it, the
/// SHA-1 of the link's absolute path, in Nix's base 32.
pub fn indirect_root_name(link: &Path) -> String {
    crate::hash::Hash::of(
        crate::hash::HashAlgo::Sha1,
        link.as_os_str().as_encoded_bytes(),
    )
    .to_nix_base32()
}

/// Points `link` at `target`, replacing what `link` was in one rename.
fn replace_symlink(target: &Path, link: &Path) -> Result<(), LocalStoreError> {
    let parent = link.parent().unwrap_or(Path::new("/"));
    let name = link.file_name().unwrap_or_default().to_string_lossy();
    let temp = parent.join(format!(".{name}.cairn-tmp-{}", std::process::id()));
    let _ = fs::remove_file(&temp);
    std::os::unix::fs::symlink(target, &temp)
        .map_err(|e| LocalStoreError::io("creating the link", &temp, e))?;
    fs::rename(&temp, link).map_err(|e| LocalStoreError::io("replacing", link, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_paths_are_found_in_environments_and_maps() {
        let text = b"PATH=/nix/store/0c0ly0q9l8z0w9b0pgvy3zyb8bbmx5bg-bash-5.2/bin:/usr/bin\0\
                     7f00-7f01 r-xp 0 08:01 1 /nix/store/1111111111111111111111111111111z-glibc/lib/libc.so\n\
                     /nix/store/short\0";
        assert_eq!(
            store_paths_in(text, "/nix/store"),
            [
                "/nix/store/0c0ly0q9l8z0w9b0pgvy3zyb8bbmx5bg-bash-5.2",
                "/nix/store/1111111111111111111111111111111z-glibc"
            ]
        );
    }
}
