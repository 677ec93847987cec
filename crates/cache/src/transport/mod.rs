//! Moving files to and from a binary cache: the one thing that differs
//! between `file://` and `http(s)://` caches. Everything above works on
//! cache-relative paths (`nix-cache-info`, `<hash>.narinfo`,
//! `nar/<hash>.nar.xz`) through the [`Transport`] trait.

mod file;
mod http;

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;

pub use file::FileTransport;
pub use http::HttpTransport;

/// Why a transfer failed.
#[derive(Debug, Error)]
pub enum TransportError {
    /// The URL's scheme is not `file`, `http` or `https`.
    #[error("unsupported binary cache URL '{0}' (expected file://, http:// or https://)")]
    UnsupportedUrl(String),
    /// A cache-relative path from the cache itself (a narinfo's `URL`)
    /// would leave the cache.
    #[error("refusing cache path '{0}': it must be relative and stay inside the cache")]
    BadPath(String),
    /// A local file operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The server answered with an unexpected status.
    #[error("{method} {url}: the server answered HTTP {status}")]
    Status {
        /// `GET`, `HEAD` or `PUT`.
        method: &'static str,
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The request failed on the network (after retries).
    #[error("{method} {url}: {source} (after {attempts} attempts)")]
    Network {
        /// `GET`, `HEAD` or `PUT`.
        method: &'static str,
        /// The URL.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last error.
        #[source]
        source: Box<ureq::Error>,
    },
    /// A small file (narinfo, nix-cache-info) is larger than allowed.
    #[error("{url} is larger than {limit} bytes; refusing it")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: u64,
    },
}

impl TransportError {
    pub(crate) fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        TransportError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What to upload.
#[derive(Debug, Clone, Copy)]
pub enum PutBody<'a> {
    /// Bytes in memory (narinfos, `nix-cache-info`).
    Bytes(&'a [u8]),
    /// A local file (compressed NARs), read again on each attempt.
    File(&'a Path),
}

/// Network behaviour of HTTP caches.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Longest wait to connect.
    pub connect_timeout: Duration,
    /// Longest silence on a connection before giving up on it, so that a
    /// server that hangs mid-transfer fails the transfer.
    pub read_timeout: Duration,
    /// How many times a failed request is retried (connection errors,
    /// HTTP 5xx and 429).
    pub retries: u32,
    /// The wait before the first retry; it doubles on each further one.
    pub initial_backoff: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            retries: 4,
            initial_backoff: Duration::from_millis(250),
        }
    }
}

/// The largest narinfo or `nix-cache-info` accepted.
pub const SMALL_FILE_LIMIT: u64 = 16 << 20;

/// A binary cache's file space.
pub trait Transport: Send + Sync {
    /// The cache's URL, for messages.
    fn url(&self) -> &str;

    /// Reads a small file whole; `None` when the cache does not have it.
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, TransportError>;

    /// Opens a file for streaming; `None` when the cache does not have it.
    fn open(&self, path: &str) -> Result<Option<Box<dyn Read + Send>>, TransportError>;

    /// True when the cache has the file.
    fn exists(&self, path: &str) -> Result<bool, TransportError>;

    /// Writes a file, replacing it atomically where the cache allows.
    fn put(&self, path: &str, body: PutBody<'_>, content_type: &str) -> Result<(), TransportError>;
}

/// Opens the transport for `url`: `file:///dir`, `http://…` or `https://…`.
pub fn open_transport(url: &str, http: &HttpOptions) -> Result<Box<dyn Transport>, TransportError> {
    let url = url.trim_end_matches('/');
    if let Some(dir) = url.strip_prefix("file://") {
        if !dir.starts_with('/') {
            return Err(TransportError::UnsupportedUrl(url.to_owned()));
        }
        Ok(Box::new(FileTransport::new(url, PathBuf::from(dir))))
    } else if url.starts_with("http://") || url.starts_with("https://") {
        Ok(Box::new(HttpTransport::new(url, http)))
    } else {
        Err(TransportError::UnsupportedUrl(url.to_owned()))
    }
}

/// Checks that `path` (which may come from an untrusted narinfo) is a
/// relative path of plain components, so it cannot leave the cache.
pub(crate) fn check_relative(path: &str) -> Result<(), TransportError> {
    let ok = !path.is_empty()
        && path.split('/').all(|c| {
            !c.is_empty()
                && c != "."
                && c != ".."
                && c.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'\\' && b != b'?' && b != b'#')
        });
    if ok {
        Ok(())
    } else {
        Err(TransportError::BadPath(path.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_paths_stay_inside() {
        for good in ["nix-cache-info", "nar/abc.nar.xz", "abc.narinfo"] {
            check_relative(good).unwrap();
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "nar/../../x",
            "nar//x",
            "./x",
            "a b",
            "x?y",
            "nar/x\n",
        ] {
            assert!(check_relative(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls() {
        let http = HttpOptions::default();
        assert!(open_transport("file:///tmp/c", &http).is_ok());
        assert!(open_transport("http://127.0.0.1:1/", &http).is_ok());
        assert!(matches!(
            open_transport("s3://bucket", &http),
            Err(TransportError::UnsupportedUrl(_))
        ));
        assert!(open_transport("file://relative", &http).is_err());
    }
}
