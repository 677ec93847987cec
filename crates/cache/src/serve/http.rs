//! The part of HTTP/1.1 a binary cache needs: reading a request head (the
//! request line and headers, parsed by `httparse`) and writing a response
//! head with a known length. No request bodies, no chunking: a cache
//! answers `GET` and `HEAD`, and every answer's length is known before it
//! is sent, so a client can tell a truncated NAR from a whole one.

use std::io::{self, Read, Write};

/// The longest request head read; a longer one is refused (431). Nix and
/// curl send a few hundred bytes.
pub(super) const MAX_HEAD: usize = 16 << 10;
/// The most header lines in a request head.
const MAX_HEADERS: usize = 64;

/// The request methods a cache tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Get,
    Head,
    Other,
}

/// What a request head asks for.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct RequestHead {
    pub(super) method: Method,
    /// The path of the target, without its query.
    pub(super) path: String,
    /// The client wants the connection kept for another request.
    pub(super) keep_alive: bool,
    /// A body follows, which the server does not read: it answers and
    /// closes the connection.
    pub(super) has_body: bool,
}

/// What reading a request head came to.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ReadHead {
    Request(RequestHead),
    /// The client closed the connection (between requests, or in the
    /// middle of one).
    Closed,
    /// Not HTTP/1.x: answered with 400 and the connection closed.
    Malformed,
    /// Longer than [`MAX_HEAD`] or with too many headers: answered with
    /// 431 and the connection closed.
    TooLarge,
}

/// Reads one request head from `stream` into `buf`, which may already hold
/// bytes read before (a pipelined request). On success the head is removed
/// from `buf` and whatever followed it stays there. `buf` never grows past
/// [`MAX_HEAD`].
pub(super) fn read_head(stream: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<ReadHead> {
    loop {
        if !buf.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut request = httparse::Request::new(&mut headers);
            match request.parse(buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let head = request_head(&request);
                    buf.drain(..len);
                    return Ok(head);
                }
                Ok(httparse::Status::Partial) => {}
                Err(httparse::Error::TooManyHeaders) => return Ok(ReadHead::TooLarge),
                Err(_) => return Ok(ReadHead::Malformed),
            }
        }
        let start = buf.len();
        if start >= MAX_HEAD {
            return Ok(ReadHead::TooLarge);
        }
        buf.resize(MAX_HEAD, 0);
        let read = stream.read(&mut buf[start..]);
        buf.truncate(start + *read.as_ref().unwrap_or(&0));
        match read {
            Ok(0) => return Ok(ReadHead::Closed),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn request_head(request: &httparse::Request<'_, '_>) -> ReadHead {
    let (Some(method), Some(target), Some(version)) =
        (request.method, request.path, request.version)
    else {
        return ReadHead::Malformed;
    };
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        _ => Method::Other,
    };
    let headers = &*request.headers;
    let header = |name: &'static str| {
        headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    let connection_has = |token: &'static str| {
        header("connection").any(|value| {
            value
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
        })
    };
    // HTTP/1.1 keeps connections unless told otherwise; HTTP/1.0 closes
    // them unless asked to keep them.
    let keep_alive = if version == 1 {
        !connection_has("close")
    } else {
        connection_has("keep-alive")
    };
    let has_body = header("transfer-encoding").next().is_some()
        || header("content-length").any(|v| v.trim_ascii() != b"0");
    ReadHead::Request(RequestHead {
        method,
        path: target.split('?').next().unwrap_or_default().to_owned(),
        keep_alive,
        has_body,
    })
}

/// Writes a response head: status line, `Content-Type`, `Content-Length`
/// and `Connection`.
pub(super) fn write_head(
    out: &mut impl Write,
    status: u16,
    content_type: &str,
    content_length: u64,
    keep_alive: bool,
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    };
    let connection = if keep_alive { "keep-alive" } else { "close" };
    write!(
        out,
        "HTTP/1.1 {status} {reason}\r\n\
         Content-Type: {content_type}\r\n\
         Content-Length: {content_length}\r\n\
         Connection: {connection}\r\n\r\n"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is the failure report
    use super::*;

    /// A stream that yields its bytes a few at a time, as a slow client
    /// sends them.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn read_all(input: &[u8], step: usize) -> Vec<ReadHead> {
        let mut stream = Trickle(input, step);
        let mut buf = Vec::new();
        let mut heads = Vec::new();
        loop {
            let head = read_head(&mut stream, &mut buf).unwrap();
            let done = !matches!(head, ReadHead::Request(_));
            heads.push(head);
            if done {
                return heads;
            }
        }
    }

    fn get(path: &str, keep_alive: bool) -> ReadHead {
        ReadHead::Request(RequestHead {
            method: Method::Get,
            path: path.into(),
            keep_alive,
            has_body: false,
        })
    }

    #[test]
    fn pipelined_requests_are_read_one_by_one_however_the_bytes_arrive() {
        let input = b"GET /nix-cache-info HTTP/1.1\r\nHost: x\r\n\r\n\
                      GET /abc.narinfo?x=1 HTTP/1.1\r\nConnection: Close\r\n\r\n\
                      HEAD /nar/a.nar HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        for step in [1, 7, MAX_HEAD] {
            let heads = read_all(input, step);
            assert_eq!(
                heads,
                [
                    get("/nix-cache-info", true),
                    get("/abc.narinfo", false),
                    ReadHead::Request(RequestHead {
                        method: Method::Head,
                        path: "/nar/a.nar".into(),
                        keep_alive: true,
                        has_body: false,
                    }),
                    ReadHead::Closed,
                ],
                "step {step}"
            );
        }
    }

    #[test]
    fn http_1_0_closes_and_bodies_are_noticed() {
        let heads = read_all(
            b"GET / HTTP/1.0\r\n\r\nPUT /x HTTP/1.1\r\nContent-Length: 3\r\n\r\n",
            64,
        );
        assert_eq!(heads[0], get("/", false));
        assert_eq!(
            heads[1],
            ReadHead::Request(RequestHead {
                method: Method::Other,
                path: "/x".into(),
                keep_alive: true,
                has_body: true,
            })
        );
    }

    #[test]
    fn garbage_and_oversized_heads_are_refused() {
        assert_eq!(
            read_all(b"\x16\x03\x01 hello\r\n\r\n", 64)[0],
            ReadHead::Malformed
        );
        let long = format!("GET /{} HTTP/1.1\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(read_all(long.as_bytes(), 4096)[0], ReadHead::TooLarge);
        let many = format!(
            "GET / HTTP/1.1\r\n{}\r\n",
            "X: y\r\n".repeat(MAX_HEADERS + 1)
        );
        assert_eq!(read_all(many.as_bytes(), 4096)[0], ReadHead::TooLarge);
    }

    #[test]
    fn response_heads_carry_length_and_connection() {
        let mut out = Vec::new();
        write_head(&mut out, 404, "text/plain", 10, false).unwrap();
        assert_eq!(
            out,
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n\
              Content-Length: 10\r\nConnection: close\r\n\r\n"
        );
    }
}
