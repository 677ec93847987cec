//! Importing a NAR that comes from elsewhere (a binary cache, another
//! store) with the metadata that came with it.
//!
//! Nothing received is trusted until it is checked: the NAR is unpacked
//! into a staging directory inside the store while its SHA-256 and size
//! are computed from the very bytes being unpacked; only when both match
//! what the caller expects does the tree move into place and get
//! registered, with its references, deriver, signatures and content
//! address, in one transaction. A NAR that is malformed, truncated, too
//! long, escapes its root, or hashes differently leaves nothing behind.
//!
//! Staging needs no database, so it is split from registering:
//! [`NarStager`] is `Send` and can unpack several downloads on worker
//! threads while one thread registers the results in reference order with
//! [`LocalStore::import_staged`].

use std::collections::BTreeSet;
use std::io::{self, Read};
use std::path::PathBuf;

use super::{LocalStore, LocalStoreError};
use crate::hash::{Hash, Hasher};
use crate::nar::{self, RestoreError};
use crate::path::StorePath;
use crate::path_info::PathInfo;

/// Why a NAR could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The NAR is malformed, truncated, or could not be read or unpacked.
    #[error("unpacking the NAR of {path}: {source}")]
    Nar {
        /// The store path being imported.
        path: String,
        /// What went wrong.
        #[source]
        source: RestoreError,
    },
    /// The NAR is longer than announced; reading stopped there.
    #[error("the NAR of {path} is longer than its announced size of {expected} bytes")]
    TooLong {
        /// The store path being imported.
        path: String,
        /// The announced size.
        expected: u64,
    },
    /// The NAR's size differs from the announced one.
    #[error("the NAR of {path} is {actual} bytes long, but {expected} were announced")]
    SizeMismatch {
        /// The store path being imported.
        path: String,
        /// The announced size.
        expected: u64,
        /// The size received.
        actual: u64,
    },
    /// The NAR's hash differs from the announced one.
    #[error(
        "the NAR of {path} has hash {actual}, but {expected} was announced (corrupt or altered)"
    )]
    HashMismatch {
        /// The store path being imported.
        path: String,
        /// The announced hash.
        expected: Box<Hash>,
        /// The hash of what was received.
        actual: Box<Hash>,
    },
    /// A staged NAR is registered under metadata other than the one it was
    /// checked against.
    #[error("the NAR staged for {staged} cannot be registered as {path} with other hash or size")]
    StagedMismatch {
        /// The path the NAR was staged for.
        staged: String,
        /// The path it was to be registered as.
        path: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] LocalStoreError),
}

/// Unpacks and checks NARs in a store's staging area. Cheap to clone and
/// `Send`, so downloads can be unpacked on worker threads.
#[derive(Debug, Clone)]
pub struct NarStager {
    real_store_dir: PathBuf,
    store_dir: crate::path::StoreDir,
}

/// A NAR unpacked into the store's staging area and checked against its
/// announced hash and size, waiting to be registered. Dropping it removes
/// the staged files.
#[derive(Debug)]
pub struct StagedNar {
    dir: super::Staging,
    path: StorePath,
    nar_hash: Hash,
    nar_size: u64,
}

impl StagedNar {
    /// The path the NAR was staged for.
    pub fn path(&self) -> &StorePath {
        &self.path
    }

    /// The (checked) hash of the NAR.
    pub fn nar_hash(&self) -> &Hash {
        &self.nar_hash
    }

    /// The (checked) size of the NAR.
    pub fn nar_size(&self) -> u64 {
        self.nar_size
    }

    fn contents(&self) -> PathBuf {
        self.dir.contents()
    }
}

impl NarStager {
    /// Unpacks the NAR read from `source` for `path`, checking as it goes
    /// that it is no longer than `nar_size` and, at the end, that its hash
    /// is `nar_hash` and its size `nar_size`. Nothing is registered.
    pub fn stage(
        &self,
        path: &StorePath,
        nar_hash: &Hash,
        nar_size: u64,
        source: impl Read,
    ) -> Result<StagedNar, ImportError> {
        let shown = || self.store_dir.display_path(path);
        let dir = super::Staging::new(&self.real_store_dir, ".cairn-import-")?;
        let contents = dir.contents();
        let mut reader = CheckingReader {
            inner: source,
            hasher: Hasher::new(nar_hash.algo()),
            size: 0,
            limit: nar_size,
            over_limit: false,
        };
        let restored = nar::restore(&mut reader, &contents);
        if reader.over_limit {
            return Err(ImportError::TooLong {
                path: shown(),
                expected: nar_size,
            });
        }
        restored.map_err(|source| ImportError::Nar {
            path: shown(),
            source,
        })?;
        if reader.size != nar_size {
            return Err(ImportError::SizeMismatch {
                path: shown(),
                expected: nar_size,
                actual: reader.size,
            });
        }
        let actual = reader.hasher.finalize();
        if actual != *nar_hash {
            return Err(ImportError::HashMismatch {
                path: shown(),
                expected: Box::new(*nar_hash),
                actual: Box::new(actual),
            });
        }
        // Here, on the caller's thread (a download worker's), not on the
        // one that registers.
        super::canonical::canonicalise_tree(&contents)?;
        Ok(StagedNar {
            dir,
            path: path.clone(),
            nar_hash: actual,
            nar_size,
        })
    }
}

/// Counts and hashes what passes through, and fails once more than `limit`
/// bytes arrive, so a NAR longer than announced is never read to its end.
struct CheckingReader<R> {
    inner: R,
    hasher: Hasher,
    size: u64,
    limit: u64,
    over_limit: bool,
}

impl<R: Read> Read for CheckingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.size += n as u64;
        if self.size > self.limit {
            self.over_limit = true;
            return Err(io::Error::other("the NAR is longer than announced"));
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl LocalStore {
    /// A stager for this store, for unpacking NARs on other threads.
    pub fn nar_stager(&self) -> NarStager {
        NarStager {
            real_store_dir: self.real_store_dir.clone(),
            store_dir: self.store_dir().clone(),
        }
    }

    /// Registers a staged NAR as `info.path`, which must be the path it was
    /// staged for, with its checked hash and size. `info`'s references must
    /// be valid already (or be the path itself). A registration time of 0
    /// means now. Returns the path; if it became valid meanwhile, the staged
    /// copy is dropped.
    pub fn import_staged(
        &mut self,
        staged: StagedNar,
        info: PathInfo,
    ) -> Result<StorePath, ImportError> {
        let path = info.path.clone();
        self.import_staged_all(vec![(staged, info)])?;
        Ok(path)
    }

    /// Registers staged NARs together, as [`import_staged`] does one: all
    /// are moved into place (those valid meanwhile are left as they are),
    /// flushed to disk with one flush, and registered in one transaction,
    /// so a batch costs one disk barrier, not one per path. References must
    /// be valid already or among the batch. On failure nothing of the batch
    /// is registered. Returns the paths newly made valid.
    ///
    /// Each path's lock is held until the batch is registered: keep
    /// batches to a few hundred paths (one open file each).
    ///
    /// [`import_staged`]: LocalStore::import_staged
    pub fn import_staged_all(
        &mut self,
        batch: Vec<(StagedNar, PathInfo)>,
    ) -> Result<Vec<StorePath>, ImportError> {
        for (staged, info) in &batch {
            if staged.path != info.path
                || staged.nar_hash != info.nar_hash
                || staged.nar_size != info.nar_size
            {
                return Err(ImportError::StagedMismatch {
                    staged: self.store_dir().display_path(&staged.path),
                    path: self.store_dir().display_path(&info.path),
                });
            }
        }
        // Kept from collection for as long as this process lives.
        let mut gc_guard = None;
        for (_, info) in &batch {
            gc_guard = Some(self.add_temp_root(&info.path)?);
        }
        let locks = self.lock_outputs(batch.iter().map(|(_, info)| info.path.clone()))?;
        let now = super::now();
        let mut infos = Vec::with_capacity(batch.len());
        let mut moved = Vec::with_capacity(batch.len());
        let result = (|| {
            for (staged, mut info) in batch {
                if self.is_valid(&info.path)? {
                    continue;
                }
                if info.registration_time == 0 {
                    info.registration_time = now;
                }
                let target = self.real_path(&info.path);
                // Left over from an import that crashed before registering:
                // never valid, so nothing can be using it.
                super::remove_tree(&target)?;
                std::fs::rename(staged.contents(), &target)
                    .map_err(|e| LocalStoreError::io("moving into place", &target, e))?;
                moved.push(target.clone());
                // Moving a directory rewrites its `..` entry, which touches its mtime.
                super::canonical::canonicalise_entry(&target)?;
                infos.push(info);
            }
            if infos.is_empty() {
                return Ok(());
            }
            // Contents and renames reach the disk before the registration does.
            if self.config.fsync {
                super::canonical::sync_filesystem(&self.real_store_dir)?;
            }
            self.db.register_all(&infos)
        })();
        drop(locks);
        drop(gc_guard);
        match result {
            Ok(()) => Ok(infos.into_iter().map(|info| info.path).collect()),
            Err(e) => {
                // Nothing was registered: what was moved is garbage.
                for target in moved {
                    let _ = super::remove_tree(&target);
                }
                Err(e.into())
            }
        }
    }

    /// Imports the NAR read from `source` as `info.path`, with `info`'s
    /// references, deriver, signatures and content address, after checking
    /// its hash and size against `info`. Importing a valid path reads
    /// nothing and changes nothing.
    pub fn import_nar(
        &mut self,
        info: PathInfo,
        source: impl Read,
    ) -> Result<StorePath, ImportError> {
        if self.is_valid(&info.path)? {
            let _gc = self.add_temp_root(&info.path)?;
            return Ok(info.path);
        }
        let staged = self
            .nar_stager()
            .stage(&info.path, &info.nar_hash, info.nar_size, source)?;
        self.import_staged(staged, info)
    }

    /// Adds signatures to a valid path's record (Nix's `ValidPaths.sigs`),
    /// keeping those it has; duplicates collapse.
    pub fn add_signatures(
        &mut self,
        path: &StorePath,
        signatures: &BTreeSet<String>,
    ) -> Result<(), LocalStoreError> {
        if !self.db.add_signatures(path, signatures)? {
            return Err(LocalStoreError::NotValid(
                self.store_dir().display_path(path),
            ));
        }
        Ok(())
    }

    /// The valid path whose hash part is `hash_part` (the 32 characters
    /// before the first `-`), as binary caches look paths up.
    pub fn path_from_hash_part(
        &self,
        hash_part: &str,
    ) -> Result<Option<StorePath>, LocalStoreError> {
        self.db.path_from_hash_part(hash_part)
    }
}

/// Something that can make a path valid by fetching it (and its closure)
/// from elsewhere, such as binary caches. The builder asks this before
/// building; it lives here so that crates below the cache crate can take
/// one without depending on it.
pub trait Substitute {
    /// Makes `path` valid in `store` with its closure. Returns `Ok(false)`,
    /// having changed nothing, when no source can provide it; an error
    /// when a source has it but fetching or checking failed.
    fn substitute(
        &self,
        store: &mut LocalStore,
        path: &StorePath,
    ) -> Result<bool, Box<dyn std::error::Error + Send + Sync>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::HashAlgo;
    use crate::local::LocalStoreConfig;
    use crate::nar::NarNode;
    use std::collections::BTreeMap;
    use std::path::Path;

    fn store(root: &Path) -> LocalStore {
        let mut config = LocalStoreConfig::chroot(root);
        config.fsync = false;
        LocalStore::open(config).unwrap()
    }

    fn nar_of(node: &NarNode) -> Vec<u8> {
        let mut nar = Vec::new();
        node.write_nar(&mut nar).unwrap();
        nar
    }

    fn info(path: &str, nar: &[u8], references: &[&StorePath]) -> PathInfo {
        PathInfo {
            path: StorePath::from_base_name(path).unwrap(),
            nar_hash: Hash::of(HashAlgo::Sha256, nar),
            nar_size: nar.len() as u64,
            references: references.iter().map(|r| (*r).clone()).collect(),
            deriver: Some(
                StorePath::from_base_name("7gl2hzqwm7zpvhsqi0mmcwi4r1xl1jk8-d.drv").unwrap(),
            ),
            registration_time: 0,
            ultimate: false,
            signatures: ["k:c2ln".to_owned()].into_iter().collect(),
            ca: None,
        }
    }

    fn file(contents: &[u8]) -> NarNode {
        NarNode::Regular {
            executable: false,
            contents: contents.to_vec(),
        }
    }

    #[test]
    fn imports_with_metadata_and_dumps_back() {
        let root = tempfile::tempdir().unwrap();
        let mut store = store(root.path());
        let dep_nar = nar_of(&file(b"dep"));
        let dep = info("0c7rz0rrcgy6zv3lrp9xq43d6dhz5x9w-dep", &dep_nar, &[]);
        store.import_nar(dep.clone(), &dep_nar[..]).unwrap();
        let tree = NarNode::Directory(BTreeMap::from([(b"f".to_vec(), file(b"x"))]));
        let top_nar = nar_of(&tree);
        let top = info(
            "1c7rz0rrcgy6zv3lrp9xq43d6dhz5x9w-top",
            &top_nar,
            &[&dep.path],
        );
        store.import_nar(top.clone(), &top_nar[..]).unwrap();
        let got = store.path_info(&top.path).unwrap().unwrap();
        assert_eq!(got.references, top.references);
        assert_eq!(got.deriver, top.deriver);
        assert_eq!(got.signatures, top.signatures);
        let mut dumped = Vec::new();
        nar::dump_path(&store.real_path(&top.path), &mut dumped).unwrap();
        assert_eq!(dumped, top_nar);
        assert!(store.verify(true).unwrap().is_ok());
        // Signatures add up.
        store
            .add_signatures(&top.path, &["a:YQ==".to_owned()].into_iter().collect())
            .unwrap();
        let sigs = store.path_info(&top.path).unwrap().unwrap().signatures;
        assert_eq!(sigs.len(), 2);
        assert_eq!(
            store.path_from_hash_part(top.path.hash_part()).unwrap(),
            Some(top.path.clone())
        );
        assert_eq!(
            store
                .path_from_hash_part("2c7rz0rrcgy6zv3lrp9xq43d6dhz5x9w")
                .unwrap(),
            None
        );
    }

    fn assert_nothing_left(store: &LocalStore, root: &Path, path: &StorePath) {
        assert!(!store.is_valid(path).unwrap());
        let entries: Vec<_> = std::fs::read_dir(root.join("nix/store"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(entries.is_empty(), "left behind: {entries:?}");
    }

    #[test]
    fn refuses_corrupt_nars_and_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let mut store = store(root.path());
        let nar = nar_of(&file(b"hello world"));
        let good = info("0c7rz0rrcgy6zv3lrp9xq43d6dhz5x9w-f", &nar, &[]);

        let mut flipped = nar.clone();
        let at = nar.windows(5).position(|w| w == b"hello").unwrap();
        flipped[at] ^= 1;
        let err = store.import_nar(good.clone(), &flipped[..]).unwrap_err();
        assert!(matches!(err, ImportError::HashMismatch { .. }), "{err}");

        let err = store
            .import_nar(good.clone(), &nar[..nar.len() - 8])
            .unwrap_err();
        assert!(matches!(err, ImportError::Nar { .. }), "{err}");

        let mut longer = nar.clone();
        longer.extend_from_slice(&[0; 8]);
        let err = store.import_nar(good.clone(), &longer[..]).unwrap_err();
        assert!(matches!(err, ImportError::TooLong { .. }), "{err}");

        let mut short_claim = good.clone();
        short_claim.nar_size += 8;
        let err = store.import_nar(short_claim, &nar[..]).unwrap_err();
        assert!(matches!(err, ImportError::SizeMismatch { .. }), "{err}");

        let evil = NarNode::Directory(BTreeMap::from([(b"..".to_vec(), file(b"x"))]));
        let evil_nar = nar_of(&evil);
        let evil_info = info("0c7rz0rrcgy6zv3lrp9xq43d6dhz5x9w-f", &evil_nar, &[]);
        let err = store.import_nar(evil_info, &evil_nar[..]).unwrap_err();
        assert!(matches!(err, ImportError::Nar { .. }), "{err}");

        assert_nothing_left(&store, root.path(), &good.path);
        store.import_nar(good.clone(), &nar[..]).unwrap();
        assert!(store.is_valid(&good.path).unwrap());
    }

    #[test]
    fn missing_reference_registers_nothing() {
        let root = tempfile::tempdir().unwrap();
        let mut store = store(root.path());
        let nar = nar_of(&file(b"x"));
        let missing = StorePath::from_base_name("3c7rz0rrcgy6zv3lrp9xq43d6dhz5x9w-m").unwrap();
        let top = info("0c7rz0rrcgy6zv3lrp9xq43d6dhz5x9w-f", &nar, &[&missing]);
        assert!(store.import_nar(top.clone(), &nar[..]).is_err());
        assert!(!store.is_valid(&top.path).unwrap());
    }

    #[test]
    fn staged_nars_register_only_as_themselves() {
        let root = tempfile::tempdir().unwrap();
        let mut store = store(root.path());
        let nar = nar_of(&file(b"x"));
        let a = info("0c7rz0rrcgy6zv3lrp9xq43d6dhz5x9w-a", &nar, &[]);
        let b = info("1c7rz0rrcgy6zv3lrp9xq43d6dhz5x9w-b", &nar, &[]);
        let staged = store
            .nar_stager()
            .stage(&a.path, &a.nar_hash, a.nar_size, &nar[..])
            .unwrap();
        assert!(matches!(
            store.import_staged(staged, b),
            Err(ImportError::StagedMismatch { .. })
        ));
        let staged = std::thread::spawn({
            let stager = store.nar_stager();
            let a = a.clone();
            move || stager.stage(&a.path, &a.nar_hash, a.nar_size, &nar[..])
        })
        .join()
        .unwrap()
        .unwrap();
        store.import_staged(staged, a.clone()).unwrap();
        assert!(store.is_valid(&a.path).unwrap());
    }
}
