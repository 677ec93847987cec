//! The cache server's HTTP and connection handling: answers, keep-alive
//! and pipelining, refusals, and the bounds on threads and connections.
//! The bound on threads is in `tests/serve_threads.rs`, a process of its
//! own. The load test with 50 `cairn copy` clients is
//! `crates/cli/tests/cache_serve_load.rs`, since it measures the `cairn`
//! binary with its allocator.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod serve_support;

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use cairn_cache::serve::ServeOptions;
use serve_support::{Running, assert_still_serves, closed_by_server, read_response};

#[test]
fn keep_alive_and_pipelined_requests_are_answered_in_order_on_one_connection() {
    let server = Running::start(ServeOptions::default());
    let mut stream = server.connect();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    for _ in 0..3 {
        stream
            .write_all(server.narinfo_request().as_bytes())
            .unwrap();
        let response = read_response(&mut reader, false);
        assert_eq!(response.status, 200);
        assert_eq!(response.header("connection"), Some("keep-alive"));
    }
    // Three requests in one write: three answers, in order, then the
    // connection closes as the last asked.
    let pipelined = format!(
        "{}GET /nix-cache-info HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\nConnection: close\r\n\r\n",
        server.narinfo_request()
    );
    stream.write_all(pipelined.as_bytes()).unwrap();
    let statuses: Vec<u16> = (0..3)
        .map(|_| read_response(&mut reader, false).status)
        .collect();
    assert_eq!(statuses, [200, 200, 404]);
    assert!(closed_by_server(&mut stream));
}

#[test]
fn malformed_and_unsupported_requests_are_refused() {
    let server = Running::start(ServeOptions::default());
    for (request, status, closes) in [
        ("\x16\x03\x01\x02\x00\r\n\r\n", 400, true),
        (
            &format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(20_000)) as &str,
            431,
            true,
        ),
        ("DELETE /nix-cache-info HTTP/1.1\r\n\r\n", 405, false),
        ("POST /x HTTP/1.1\r\nContent-Length: 2\r\n\r\nab", 405, true),
        ("GET /nix-cache-info HTTP/1.0\r\n\r\n", 200, true),
    ] {
        let mut stream = server.connect();
        stream.write_all(request.as_bytes()).unwrap();
        let response = read_response(&mut BufReader::new(stream.try_clone().unwrap()), false);
        assert_eq!(response.status, status, "{request:.40}");
        assert_eq!(
            response.header("connection"),
            Some(if closes { "close" } else { "keep-alive" }),
            "{request:.40}"
        );
        if closes {
            assert!(closed_by_server(&mut stream), "{request:.40}");
        }
    }
}

#[test]
fn idle_connections_are_closed_after_the_idle_timeout() {
    let server = Running::start(ServeOptions {
        idle_timeout: Duration::from_millis(100),
        ..ServeOptions::default()
    });
    // One that never sent a request, one that sent one and went quiet.
    let mut silent = server.connect();
    let mut quiet = server.connect();
    quiet
        .write_all(server.narinfo_request().as_bytes())
        .unwrap();
    let response = read_response(&mut BufReader::new(&quiet), false);
    assert_eq!(response.status, 200);
    assert!(closed_by_server(&mut silent));
    assert!(closed_by_server(&mut quiet));
}

#[test]
fn at_the_connection_bound_the_idle_connection_used_least_recently_makes_room() {
    let server = Running::start(ServeOptions {
        max_connections: 3,
        ..ServeOptions::default()
    });
    // Accepted first and silent since: used least recently, whatever the
    // order in which the others are parked after their answers.
    let mut first = server.connect();
    let mut others: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(server.narinfo_request().as_bytes())
                .unwrap();
            assert_eq!(
                read_response(&mut BufReader::new(&stream), false).status,
                200
            );
            stream
        })
        .collect();
    // A fourth client is served, and the first is closed for it.
    let mut fourth = server.connect();
    fourth
        .write_all(server.narinfo_request().as_bytes())
        .unwrap();
    assert_eq!(
        read_response(&mut BufReader::new(&fourth), false).status,
        200
    );
    assert!(closed_by_server(&mut first));
    for stream in &mut others {
        assert_still_serves(stream);
    }
}

#[test]
fn server_answers_head_and_404() {
    let server = Running::start(ServeOptions::default());
    let (base, path, info) = (server.base_url(), &server.path, &server.info);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();

    let narinfo = agent
        .get(format!("{base}/{}.narinfo", path.hash_part()))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(narinfo.contains("Compression: none\n"), "{narinfo}");
    assert!(
        !narinfo.contains("Sig:"),
        "unsigned without a key: {narinfo}"
    );
    let nar_url = narinfo
        .lines()
        .find_map(|l| l.strip_prefix("URL: "))
        .unwrap()
        .to_owned();
    let head = agent.head(format!("{base}/{nar_url}")).call().unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"].to_str().unwrap(),
        info.nar_size.to_string()
    );
    let nar = agent
        .get(format!("{base}/{nar_url}"))
        .call()
        .unwrap()
        .into_body()
        .read_to_vec()
        .unwrap();
    assert_eq!(nar.len() as u64, info.nar_size);
    for missing in [
        "/00000000000000000000000000000000.narinfo".to_owned(),
        format!("/nar/{}-0000.nar", path.hash_part()),
        "/nar/../../etc/passwd".to_owned(),
        "/other".to_owned(),
    ] {
        let status = agent
            .get(format!("{base}{missing}"))
            .call()
            .unwrap()
            .status();
        assert_eq!(status, 404, "{missing}");
    }
}
