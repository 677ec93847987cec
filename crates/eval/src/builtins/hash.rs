//! `hashString`: md5, sha1, sha256 and sha512 as lowercase hex.

use std::fmt::Write;

use sha2::Digest;

use super::{Builtin, b};
use crate::error::EvalError;
use crate::value::{NixString, Value};

pub(super) const BUILTINS: &[Builtin] = &[b("hashString", 2, |m, a, s| {
    let algo = m.force_string(&a[0], s)?;
    let text = m.force_string(&a[1], s)?;
    let data = text.text.as_bytes();
    let digest: Vec<u8> = match algo.text.as_str() {
        "md5" => md5::Md5::digest(data).to_vec(),
        "sha1" => sha1::Sha1::digest(data).to_vec(),
        "sha256" => sha2::Sha256::digest(data).to_vec(),
        "sha512" => sha2::Sha512::digest(data).to_vec(),
        other => {
            return Err(EvalError::other(
                format!("unknown hash algorithm '{other}'"),
                s,
            ));
        }
    };
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    Ok(Value::String(std::rc::Rc::new(NixString::plain(hex))))
})];
