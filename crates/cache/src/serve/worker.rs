//! A worker's job on one connection that has a request: read it, answer
//! it, and say whether the connection stays open.

use std::io::{self, BufWriter, Write};
use std::net::TcpStream;

use super::answer::{Answer, Answerer, Body};
use super::http::{self, Method, ReadHead};

/// The buffer between a NAR's serialisation and the socket.
const NAR_BUFFER: usize = 64 << 10;

/// Answers the requests that have arrived on `stream` — one, or several
/// when the client pipelines them — and says whether to keep the
/// connection. `buf` is the worker's, reused for every request head; the
/// connection keeps nothing between requests, so once the worker is done
/// every byte read has been answered.
pub(super) fn answer_requests(stream: &TcpStream, answerer: &Answerer, buf: &mut Vec<u8>) -> bool {
    buf.clear();
    loop {
        let request = match http::read_head(&mut &*stream, buf) {
            Ok(ReadHead::Request(request)) => request,
            // Closed, timed out or failed: nothing to answer.
            Ok(ReadHead::Closed) | Err(_) => return false,
            // Answered, then the connection is closed: what follows a bad
            // head cannot be parsed.
            Ok(bad @ (ReadHead::Malformed | ReadHead::TooLarge)) => {
                let answer = match bad {
                    ReadHead::TooLarge => Answer::text(431, "request head too large\n"),
                    _ => Answer::text(400, "malformed request\n"),
                };
                let _ = send(stream, &answer, false, false);
                return false;
            }
        };
        // A request body is not read, so nothing after it could be parsed.
        let keep_alive = request.keep_alive && !request.has_body;
        let answer = match request.method {
            Method::Get | Method::Head => answerer.answer(&request.path),
            Method::Other => Answer::text(405, "only GET and HEAD\n"),
        };
        let sent = send(stream, &answer, request.method == Method::Head, keep_alive);
        if sent.is_err() || !keep_alive {
            return false;
        }
        if buf.is_empty() {
            return true;
        }
    }
}

/// Writes `answer` (only its head if `head_only`). A NAR is serialised
/// straight into the socket through a fixed buffer; if it comes out at
/// another length than the `Content-Length` sent, this fails, and the
/// connection is closed so the client sees a short answer.
fn send(stream: &TcpStream, answer: &Answer, head_only: bool, keep_alive: bool) -> io::Result<()> {
    let len = answer.body.len();
    match &answer.body {
        Body::Bytes(bytes) => {
            let mut message = Vec::with_capacity(256 + bytes.len());
            http::write_head(
                &mut message,
                answer.status,
                answer.content_type,
                len,
                keep_alive,
            )?;
            if !head_only {
                message.extend_from_slice(bytes);
            }
            (&mut &*stream).write_all(&message)
        }
        Body::Nar { real_path, size } => {
            let mut out = BufWriter::with_capacity(NAR_BUFFER, stream);
            http::write_head(
                &mut out,
                answer.status,
                answer.content_type,
                len,
                keep_alive,
            )?;
            if !head_only {
                let mut exact = AtMost {
                    out: &mut out,
                    left: *size,
                };
                let written =
                    cairn_store::nar::dump_path(real_path, &mut exact).map_err(io::Error::other)?;
                if written != *size {
                    return Err(io::Error::other("the NAR is shorter than its record"));
                }
            }
            out.flush()
        }
    }
}

/// A writer that refuses to write more than `left` bytes: a path changed
/// on disk since it was registered must not send more than announced.
struct AtMost<W> {
    out: W,
    left: u64,
}

impl<W: Write> Write for AtMost<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() as u64 > self.left {
            return Err(io::Error::other("the NAR is longer than its record"));
        }
        let n = self.out.write(buf)?;
        self.left -= n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
