//! `hashFile` and `convertHash`, and the hash text formats Nix uses:
//! base16, nix32 (Nix's own base-32), base64 and SRI (`sha256-…`).

use std::fmt::Write as _;
use std::rc::Rc;

use data_encoding::BASE64;
use sha2::Digest;

use super::{Builtin, b};
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::eval::Machine;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::Value;

pub(super) const BUILTINS: &[Builtin] = &[
    b("hashFile", 2, hash_file),
    b("convertHash", 1, convert_hash),
];

/// The hash algorithms Nix knows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Algo {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Algo {
    pub(crate) fn parse(name: &str) -> Option<Algo> {
        Some(match name {
            "md5" => Algo::Md5,
            "sha1" => Algo::Sha1,
            "sha256" => Algo::Sha256,
            "sha512" => Algo::Sha512,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Algo::Md5 => "md5",
            Algo::Sha1 => "sha1",
            Algo::Sha256 => "sha256",
            Algo::Sha512 => "sha512",
        }
    }

    fn size(self) -> usize {
        match self {
            Algo::Md5 => 16,
            Algo::Sha1 => 20,
            Algo::Sha256 => 32,
            Algo::Sha512 => 64,
        }
    }

    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Algo::Md5 => md5::Md5::digest(data).to_vec(),
            Algo::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Algo::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Algo::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

fn algo_arg(m: &mut Machine, v: &Value, s: Span) -> EvalResult<Algo> {
    let name = m.force_string(v, s)?;
    Algo::parse(&name.text)
        .ok_or_else(|| EvalError::other(format!("unknown hash algorithm '{}'", name.text), s))
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

const NIX32: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";

fn nix32_encode(bytes: &[u8]) -> String {
    let len = (bytes.len() * 8).div_ceil(5);
    let mut out = String::with_capacity(len);
    for n in (0..len).rev() {
        let b = n * 5;
        let (i, j) = (b / 8, b % 8);
        let lo = bytes.get(i).map_or(0, |&x| u16::from(x) >> j);
        let hi = bytes.get(i + 1).map_or(0, |&x| u16::from(x) << (8 - j));
        out.push(char::from(NIX32[usize::from((lo | hi) & 0x1f)]));
    }
    out
}

fn nix32_decode(s: &str, size: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; size];
    for (n, c) in s.bytes().rev().enumerate() {
        let digit = NIX32.iter().position(|&x| x == c)? as u16;
        let b = n * 5;
        let (i, j) = (b / 8, b % 8);
        let v = digit << j;
        *out.get_mut(i)? |= (v & 0xff) as u8;
        let carry = (v >> 8) as u8;
        match out.get_mut(i + 1) {
            Some(x) => *x |= carry,
            None if carry != 0 => return None,
            None => {}
        }
    }
    Some(out)
}

/// Decodes a hash given in any of Nix's formats; `algo` is needed when the
/// text does not name one.
pub(crate) fn parse_hash(text: &str, algo: Option<Algo>) -> Result<(Algo, Vec<u8>), String> {
    let (named, body, sri) = if let Some((a, rest)) = text.split_once(':') {
        (Some(a), rest, false)
    } else if let Some((a, rest)) = text.split_once('-') {
        (Some(a), rest, true)
    } else {
        (None, text, false)
    };
    let algo = match (named, algo) {
        (Some(n), _) => Algo::parse(n).ok_or_else(|| format!("unknown hash algorithm '{n}'"))?,
        (None, Some(a)) => a,
        (None, None) => {
            return Err(format!(
                "hash '{text}' does not include a type, nor is the type otherwise known from context"
            ));
        }
    };
    let size = algo.size();
    let bad = || {
        format!(
            "hash '{text}' has wrong length for hash algorithm '{}'",
            algo.name()
        )
    };
    let bytes = if sri {
        BASE64.decode(body.as_bytes()).map_err(|_| bad())?
    } else if body.len() == size * 2 {
        (0..size)
            .map(|i| u8::from_str_radix(body.get(2 * i..2 * i + 2).unwrap_or("zz"), 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| format!("invalid base-16 hash '{text}'"))?
    } else if body.len() == (size * 8).div_ceil(5) {
        nix32_decode(body, size).ok_or_else(|| format!("invalid base-32 hash '{text}'"))?
    } else if body.len() == size.div_ceil(3) * 4 {
        BASE64
            .decode(body.as_bytes())
            .map_err(|_| format!("invalid base-64 hash '{text}'"))?
    } else {
        return Err(bad());
    };
    if bytes.len() != size {
        return Err(bad());
    }
    Ok((algo, bytes))
}

fn hash_file(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let algo = algo_arg(m, &a[0], s)?;
    let path = m.path_for_reading(&a[1], s)?;
    let data = std::fs::read(&path).map_err(|e| {
        EvalError::new(
            ErrorKind::Io(format!("opening file '{path}': {e}")),
            Some(s),
        )
    })?;
    Ok(Value::string(hex(&algo.digest(&data))))
}

fn convert_hash(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let args = m.force_attrs(&a[0], s)?;
    let get = |name: &str| args.get(Symbol::intern(name)).cloned();
    let hash = get("hash")
        .ok_or_else(|| EvalError::other("attribute 'hash' missing in call to 'convertHash'", s))?;
    let hash = m.force_string(&hash, s)?;
    let algo = match get("hashAlgo") {
        Some(v) => Some(algo_arg(m, &v, s)?),
        None => None,
    };
    let format = get("toHashFormat").ok_or_else(|| {
        EvalError::other(
            "attribute 'toHashFormat' missing in call to 'convertHash'",
            s,
        )
    })?;
    let format = m.force_string(&format, s)?;
    let (algo, bytes) = parse_hash(&hash.text, algo).map_err(|e| EvalError::other(e, s))?;
    let out = match format.text.as_str() {
        "base16" => hex(&bytes),
        "nix32" | "base32" => nix32_encode(&bytes),
        "base64" => BASE64.encode(&bytes),
        "sri" => format!("{}-{}", algo.name(), BASE64.encode(&bytes)),
        other => {
            return Err(EvalError::other(
                format!(
                    "unknown hash format '{other}', expect 'base16', 'base32', 'base64', or 'sri'"
                ),
                s,
            ));
        }
    };
    Ok(Value::String(Rc::new(crate::value::NixString::plain(out))))
}

#[cfg(test)]
mod tests {
    use super::{Algo, nix32_decode, nix32_encode, parse_hash};

    #[test]
    fn nix32_round_trips_a_known_hash() {
        // `nix-hash --type sha256 --to-base32` of sha256("") in Nix 2.8.
        let d = Algo::Sha256.digest(b"");
        let e = nix32_encode(&d);
        assert_eq!(e, "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73");
        assert_eq!(nix32_decode(&e, 32).as_deref(), Some(&d[..]));
        assert_eq!(parse_hash(&format!("sha256:{e}"), None).map(|x| x.1), Ok(d));
    }
}
