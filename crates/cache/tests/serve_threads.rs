//! Idle connections hold no thread: 200 connections kept open on a server
//! with 4 workers leave at most 4 worker threads besides the server's own
//! and the harness's. A test binary of its own,
//! so the threads counted are this server's alone.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod serve_support;

use std::io::{BufReader, Write};
use std::net::TcpStream;

use cairn_cache::serve::ServeOptions;
use serve_support::{Running, assert_still_serves, read_response};

/// The threads of this process: the harness's (main and this test's),
/// the server's `run` thread (which accepts and watches idle
/// connections) and the server's workers.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn idle_connections_hold_no_thread() {
    let server = Running::start(ServeOptions {
        max_concurrent: 4,
        ..ServeOptions::default()
    });
    // 200 connections, each with an answered request and kept open.
    let mut streams: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(server.narinfo_request().as_bytes())
                .unwrap();
            stream
        })
        .collect();
    for stream in &mut streams {
        let response = read_response(&mut BufReader::new(&*stream), false);
        assert_eq!(response.status, 200);
    }
    let threads = threads();
    assert!(
        threads <= 3 + 4,
        "{threads} threads with 4 workers and 200 connections"
    );
    // Every one of them still serves another request.
    for stream in &mut streams {
        assert_still_serves(stream);
    }
}
