//! `file://` caches: a directory.

use std::fs;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use super::{PutBody, SMALL_FILE_LIMIT, Transport, TransportError, check_relative};

/// A binary cache in a local directory.
#[derive(Debug)]
pub struct FileTransport {
    url: String,
    root: PathBuf,
}

impl FileTransport {
    /// The cache at `root`, known as `url`.
    pub fn new(url: &str, root: PathBuf) -> Self {
        FileTransport {
            url: url.to_owned(),
            root,
        }
    }

    fn local(&self, path: &str) -> Result<PathBuf, TransportError> {
        check_relative(path)?;
        Ok(self.root.join(path))
    }
}

impl Transport for FileTransport {
    fn url(&self) -> &str {
        &self.url
    }

    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, TransportError> {
        let Some(file) = self.open(path)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.take(SMALL_FILE_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| TransportError::io("reading", &self.root.join(path), e))?;
        if bytes.len() as u64 > SMALL_FILE_LIMIT {
            return Err(TransportError::TooLarge {
                url: format!("{}/{path}", self.url),
                limit: SMALL_FILE_LIMIT,
            });
        }
        Ok(Some(bytes))
    }

    fn open(&self, path: &str) -> Result<Option<Box<dyn Read + Send>>, TransportError> {
        let local = self.local(path)?;
        match fs::File::open(&local) {
            Ok(file) => Ok(Some(Box::new(file))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(TransportError::io("opening", &local, e)),
        }
    }

    fn exists(&self, path: &str) -> Result<bool, TransportError> {
        let local = self.local(path)?;
        match fs::symlink_metadata(&local) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(TransportError::io("inspecting", &local, e)),
        }
    }

    fn put(
        &self,
        path: &str,
        body: PutBody<'_>,
        _content_type: &str,
    ) -> Result<(), TransportError> {
        let local = self.local(path)?;
        let dir = local.parent().unwrap_or(&self.root).to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| TransportError::io("creating", &dir, e))?;
        // Written beside its final name and renamed, so a reader never sees
        // half a file (Nix's file:// store does the same).
        let mut staged = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&dir)
            .map_err(|e| TransportError::io("creating a temporary file in", &dir, e))?;
        let copied = match body {
            PutBody::Bytes(bytes) => staged.write_all(bytes),
            PutBody::File(source) => {
                fs::File::open(source).and_then(|mut f| io::copy(&mut f, &mut staged).map(drop))
            }
        };
        copied.map_err(|e| TransportError::io("writing", &local, e))?;
        // Readable by others, like the files Nix writes (tempfile makes 0600).
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(staged.path(), fs::Permissions::from_mode(0o644))
                .map_err(|e| TransportError::io("setting the mode of", &local, e))?;
        }
        staged
            .persist(&local)
            .map_err(|e| TransportError::io("moving into place", &local, e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_exists() {
        let dir = tempfile::tempdir().unwrap();
        let t = FileTransport::new("file://x", dir.path().to_path_buf());
        assert_eq!(t.get("a.narinfo").unwrap(), None);
        assert!(!t.exists("nar/x.nar").unwrap());
        t.put("nar/x.nar", PutBody::Bytes(b"abc"), "").unwrap();
        assert!(t.exists("nar/x.nar").unwrap());
        assert_eq!(t.get("nar/x.nar").unwrap().unwrap(), b"abc");
        let src = dir.path().join("src");
        fs::write(&src, b"from file").unwrap();
        t.put("nar/x.nar", PutBody::File(&src), "").unwrap();
        let mut s = String::new();
        t.open("nar/x.nar")
            .unwrap()
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "from file");
        assert!(t.get("../src").is_err());
    }
}
