//! Signatures on the local store's paths: signing them with a key (`nix
//! store sign`) and checking them against trusted keys (`nix store verify`
//! with signature checks).

use std::collections::BTreeSet;

use cairn_store::local::{LocalStore, LocalStoreError};
use cairn_store::path::StorePath;
use cairn_store::path_info::PathInfo;

use crate::keys::SecretKey;
use crate::signature::{Signature, TrustedKeys, fingerprint};

/// The fingerprint a signature over `info` covers.
pub fn path_fingerprint(store: &LocalStore, info: &PathInfo) -> String {
    fingerprint(
        store.store_dir(),
        &info.path,
        &info.nar_hash,
        info.nar_size,
        &info.references,
    )
}

/// Signs each of `paths` with `key` and records the signature in the
/// store. Returns how many paths gained a signature (a path already
/// carrying this exact signature does not count).
pub fn sign_paths(
    store: &mut LocalStore,
    paths: &[StorePath],
    key: &SecretKey,
) -> Result<usize, LocalStoreError> {
    let mut added = 0;
    for path in paths {
        let info = store
            .path_info(path)?
            .ok_or_else(|| LocalStoreError::NotValid(store.store_dir().display_path(path)))?;
        let signature = key
            .sign(path_fingerprint(store, &info).as_bytes())
            .to_string();
        if info.signatures.contains(&signature) {
            continue;
        }
        store.add_signatures(path, &[signature].into_iter().collect())?;
        added += 1;
    }
    Ok(added)
}

/// How a path fares in a signature check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    /// Made by this store (built or added), so it needs no signature.
    Ultimate,
    /// Content-addressed: its path follows from its contents.
    ContentAddressed,
    /// This many signatures by trusted keys match.
    Signed(usize),
    /// No signature by a trusted key matches.
    Untrusted,
}

/// Checks `path`'s signatures against `trusted`, as `nix store verify`
/// does: ultimate and content-addressed paths pass without one.
pub fn check_signatures(
    store: &LocalStore,
    path: &StorePath,
    trusted: &TrustedKeys,
) -> Result<SignatureStatus, LocalStoreError> {
    let info = store
        .path_info(path)?
        .ok_or_else(|| LocalStoreError::NotValid(store.store_dir().display_path(path)))?;
    if info.ultimate {
        return Ok(SignatureStatus::Ultimate);
    }
    if let Some(ca) = &info.ca {
        let others: BTreeSet<StorePath> = info
            .references
            .iter()
            .filter(|r| **r != info.path)
            .cloned()
            .collect();
        let self_reference = info.references.contains(&info.path);
        if ca
            .store_path(store.store_dir(), info.path.name(), &others, self_reference)
            .is_ok_and(|p| p == info.path)
        {
            return Ok(SignatureStatus::ContentAddressed);
        }
    }
    let signatures: BTreeSet<Signature> = info
        .signatures
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let valid = trusted
        .valid_signatures(&path_fingerprint(store, &info), &signatures)
        .len();
    Ok(if valid > 0 {
        SignatureStatus::Signed(valid)
    } else {
        SignatureStatus::Untrusted
    })
}
