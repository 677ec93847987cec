//! What the server tests share: a store with one path served from a
//! thread, and a reader of raw HTTP responses.
// Each test binary uses some of these.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::{BufRead, Read};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use cairn_cache::serve::{CacheServer, ServeOptions, Stopper};
use cairn_store::local::{LocalStore, LocalStoreConfig};
use cairn_store::path::{StorePath, StorePathName};
use cairn_store::path_info::PathInfo;

pub fn config(root: &Path) -> LocalStoreConfig {
    let mut config = LocalStoreConfig::chroot(root);
    config.fsync = false;
    config
}

/// A store with one text path, and a server over it running in a thread
/// until the returned guard is dropped.
pub struct Running {
    _dir: tempfile::TempDir,
    addr: std::net::SocketAddr,
    pub path: StorePath,
    /// The served path's record (NAR hash and size).
    pub info: PathInfo,
    stopper: Stopper,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    pub fn start(options: ServeOptions) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("store");
        let mut store = LocalStore::open(config(&root)).unwrap();
        let path = store
            .add_text(
                &StorePathName::new("f").unwrap(),
                b"hello",
                &BTreeSet::new(),
            )
            .unwrap();
        let info = store.path_info(&path).unwrap().unwrap();
        drop(store);
        let server = CacheServer::bind("127.0.0.1:0", config(&root), options).unwrap();
        let addr = server.local_addr().unwrap();
        let stopper = server.stopper();
        let thread = Some(std::thread::spawn(move || server.run()));
        Running {
            _dir: dir,
            addr,
            path,
            info,
            stopper,
            thread,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).unwrap();
        // A hang fails the test rather than stalling it.
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream
    }

    pub fn narinfo_request(&self) -> String {
        format!(
            "GET /{}.narinfo HTTP/1.1\r\nHost: x\r\n\r\n",
            self.path.hash_part()
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stopper.stop();
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

/// Asks for `/nix-cache-info` on an open connection and expects it.
pub fn assert_still_serves(stream: &mut TcpStream) {
    use std::io::Write;
    stream
        .write_all(b"GET /nix-cache-info HTTP/1.1\r\n\r\n")
        .unwrap();
    let status = read_response(&mut std::io::BufReader::new(&*stream), false).status;
    assert_eq!(status, 200);
}

/// One response: status and headers (lower-cased names). Its body is
/// read by its `Content-Length` (none for a HEAD answer) and dropped.
pub struct Response {
    pub status: u16,
    headers: Vec<(String, String)>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub fn read_response(reader: &mut impl BufRead, head_only: bool) -> Response {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(": ").unwrap();
        headers.push((name.to_ascii_lowercase(), value.to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .unwrap()
        .1
        .parse()
        .unwrap();
    let mut body = vec![0; if head_only { 0 } else { len }];
    reader.read_exact(&mut body).unwrap();
    Response { status, headers }
}

/// True once the server has closed the connection (it reads end of file).
pub fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut byte = [0];
    matches!(stream.read(&mut byte), Ok(0) | Err(_))
}
