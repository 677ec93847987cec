//! Finding store path references in a byte stream.
//!
//! A store path's hash part (32 nixbase32 characters) is what Nix looks for
//! when it decides which paths an output refers to. [`RefScanner`] does this in
//! one pass over data fed in arbitrary chunks, like Nix's `RefScanSink`: it
//! looks at each run of 32 nixbase32 characters and keeps a 31-byte tail
//! between chunks so that matches straddling a boundary are found.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use crate::nar::{DumpError, dump_path};
use crate::nixbase32;
use crate::path::{HASH_PART_LEN, StorePath};

/// Scans bytes for a set of candidate hash parts.
#[derive(Debug, Clone)]
pub struct RefScanner {
    /// Candidates not found yet, each with its index in the original list.
    pending: HashMap<[u8; HASH_PART_LEN], usize>,
    found: Vec<([u8; HASH_PART_LEN], usize)>,
    tail: Vec<u8>,
}

impl RefScanner {
    /// Creates a scanner for the given hash parts (32-byte nixbase32 strings).
    /// Candidates of any other length can never match and are ignored.
    pub fn new<I, S>(candidates: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut pending = HashMap::new();
        for (i, c) in candidates.into_iter().enumerate() {
            if let Ok(key) = <[u8; HASH_PART_LEN]>::try_from(c.as_ref()) {
                pending.entry(key).or_insert(i);
            }
        }
        Self {
            pending,
            found: Vec::new(),
            tail: Vec::with_capacity(2 * HASH_PART_LEN),
        }
    }

    /// A scanner for the hash parts of `paths`.
    pub fn for_paths<'a>(paths: impl IntoIterator<Item = &'a StorePath>) -> Self {
        Self::new(paths.into_iter().map(|p| p.hash_part().as_bytes().to_vec()))
    }

    /// Feeds the next chunk of data.
    pub fn update(&mut self, data: &[u8]) {
        // Search the previous tail joined with the start of this chunk.
        let head = data.len().min(HASH_PART_LEN);
        self.tail.extend_from_slice(&data[..head]);
        let mut joined = std::mem::take(&mut self.tail);
        self.search(&joined);
        self.search(data);
        // Keep the last (HASH_PART_LEN - 1) bytes of everything seen so far.
        let keep = HASH_PART_LEN - 1;
        if data.len() >= keep {
            joined.clear();
            joined.extend_from_slice(&data[data.len() - keep..]);
        } else {
            let start = joined.len().saturating_sub(keep);
            joined.drain(..start);
        }
        self.tail = joined;
    }

    fn search(&mut self, s: &[u8]) {
        if self.pending.is_empty() {
            return;
        }
        let mut i = 0;
        while i + HASH_PART_LEN <= s.len() {
            // Check from the end so a bad character lets us skip past it.
            match s[i..i + HASH_PART_LEN]
                .iter()
                .rposition(|&c| !nixbase32::is_valid_char(c))
            {
                Some(j) => i += j + 1,
                None => {
                    let mut key = [0u8; HASH_PART_LEN];
                    key.copy_from_slice(&s[i..i + HASH_PART_LEN]);
                    if let Some(idx) = self.pending.remove(&key) {
                        self.found.push((key, idx));
                    }
                    i += 1;
                }
            }
        }
    }

    /// Indices (into the candidate list given to [`Self::new`]) of the
    /// candidates seen so far, sorted. A candidate listed twice is reported
    /// at its first index.
    pub fn found_indices(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.found.iter().map(|&(_, i)| i).collect();
        v.sort_unstable();
        v
    }

    /// The hash parts seen so far, sorted.
    pub fn found_hash_parts(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .found
            .iter()
            .map(|(k, _)| k.iter().copied().map(char::from).collect())
            .collect();
        v.sort_unstable();
        v
    }
}

impl Write for RefScanner {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Returns the subset of `candidates` whose hash parts occur in the NAR
/// serialisation of `path` (contents, names and symlink targets), like Nix's
/// `scanForReferences`.
pub fn scan_nar_of_path<'a>(
    path: &Path,
    candidates: impl IntoIterator<Item = &'a StorePath>,
) -> Result<Vec<StorePath>, DumpError> {
    let candidates: Vec<&StorePath> = candidates.into_iter().collect();
    let mut scanner = RefScanner::for_paths(candidates.iter().copied());
    dump_path(path, &mut scanner)?;
    Ok(scanner
        .found_indices()
        .into_iter()
        .filter_map(|i| candidates.get(i).map(|p| (*p).clone()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const A: &[u8; 32] = b"vxjiwkjkn7x4079qvh1jkl5pn05j2aw0";
    const B: &[u8; 32] = b"lpg73p3x49mjkxrdj3vxhhzslln67blr";
    const C: &[u8; 32] = b"0mdqa9w1p6cmli6976v4wi0sw9r4p5pr";

    fn haystack() -> Vec<u8> {
        let mut v = b"prefix /nix/store/".to_vec();
        v.extend_from_slice(A);
        v.extend_from_slice(b"-foo\0 and ");
        // B preceded by base32 characters: still found (sliding window).
        v.extend_from_slice(b"abc");
        v.extend_from_slice(B);
        v.extend_from_slice(b" end");
        v
    }

    #[test]
    fn finds_in_one_chunk() {
        let mut s = RefScanner::new([&A[..], &B[..], &C[..]]);
        s.update(&haystack());
        assert_eq!(s.found_indices(), vec![0, 1]);
        assert_eq!(
            s.found_hash_parts(),
            vec![
                String::from_utf8(B.to_vec()).unwrap(),
                String::from_utf8(A.to_vec()).unwrap()
            ]
        );
    }

    #[test]
    fn ignores_partial_matches() {
        let mut s = RefScanner::new([&A[..]]);
        s.update(&A[..31]);
        s.update(b"-");
        s.update(&A[1..]);
        assert!(s.found_indices().is_empty());
    }

    proptest! {
        #[test]
        fn any_chunking_finds_the_same(cuts in proptest::collection::vec(0usize..200, 0..20)) {
            let data = haystack();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (data.len() + 1)).collect();
            cuts.sort_unstable();
            let mut s = RefScanner::new([&A[..], &B[..], &C[..]]);
            let mut last = 0;
            for c in cuts.into_iter().chain([data.len()]) {
                s.update(&data[last..c]);
                last = c;
            }
            prop_assert_eq!(s.found_indices(), vec![0, 1]);
        }
    }

    #[test]
    fn scans_a_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("out");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("f"), haystack()).unwrap();
        let name = format!("{}-x", std::str::from_utf8(C).unwrap());
        std::os::unix::fs::symlink(&name, root.join("l")).unwrap();
        let paths: Vec<StorePath> = [A, B, C, b"0000000000000000000000000000000z"]
            .iter()
            .map(|h| {
                StorePath::from_base_name(&format!("{}-p", std::str::from_utf8(&h[..]).unwrap()))
                    .unwrap()
            })
            .collect();
        let found = scan_nar_of_path(&root, &paths).unwrap();
        assert_eq!(found, paths[..3].to_vec());
    }
}
