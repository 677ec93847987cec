//! Nix's base-32 encoding ("nixbase32").
//!
//! Nix uses its own base-32 variant for hashes in store paths and in
//! `nix-hash --base32` output. It differs from RFC 4648 in two ways:
//!
//! - the alphabet is `0123456789abcdfghijklmnpqrsvwxyz` (no `e`, `o`, `u`, `t`);
//! - bits are read from the *end* of the byte string: the leftmost character
//!   encodes the most significant (last) bits, so the encoding is not a
//!   prefix-preserving stream encoding.
//!
//! The encoded length of `n` bytes is `ceil(n * 8 / 5)`.

use thiserror::Error;

/// The 32 characters of the nixbase32 alphabet, in digit order.
pub const ALPHABET: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";

/// Maps an ASCII byte to its digit value, or `0xff` if it is not in the alphabet.
const DECODE: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 32 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Why a nixbase32 string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// A character outside the nixbase32 alphabet.
    #[error("invalid nixbase32 character {:?} at position {position}", char::from(*byte))]
    InvalidChar {
        /// The offending byte.
        byte: u8,
        /// Its index in the input, from the left.
        position: usize,
    },
    /// The input length is not the encoded length of any byte string.
    #[error("{len} is not a valid nixbase32 length")]
    InvalidLength {
        /// The input length in characters.
        len: usize,
    },
    /// The leftmost character carries bits beyond the decoded length.
    #[error("nixbase32 string has non-zero excess bits (leftmost character {:?})", char::from(*byte))]
    NonZeroExcessBits {
        /// The leftmost character.
        byte: u8,
    },
}

/// Returns `true` if `c` is a nixbase32 character.
#[inline]
pub fn is_valid_char(c: u8) -> bool {
    DECODE[c as usize] != 0xff
}

/// The length in characters of the encoding of `len` bytes: `ceil(len * 8 / 5)`.
pub const fn encoded_len(len: usize) -> usize {
    (len * 8).div_ceil(5)
}

/// The number of bytes `len` characters decode to: `floor(len * 5 / 8)`.
///
/// Only lengths for which `encoded_len(decoded_len(len)) == len` are valid
/// encodings; [`decode`] rejects the others.
pub const fn decoded_len(len: usize) -> usize {
    len * 5 / 8
}

/// Encodes `input` into `out`, which must be exactly `encoded_len(input.len())` long.
///
/// # Panics
/// If `out` has the wrong length (a programming error, not an input error).
pub fn encode_into(input: &[u8], out: &mut [u8]) {
    let len = encoded_len(input.len());
    assert_eq!(
        out.len(),
        len,
        "nixbase32 output buffer has the wrong length"
    );
    for (i, slot) in out.iter_mut().enumerate() {
        let b = (len - 1 - i) * 5;
        let byte = b / 8;
        let bit = b % 8;
        let lo = u16::from(input[byte]) >> bit;
        let hi = match input.get(byte + 1) {
            Some(&next) => u16::from(next) << (8 - bit),
            None => 0,
        };
        *slot = ALPHABET[usize::from((lo | hi) & 0x1f)];
    }
}

/// Encodes `input` as a nixbase32 string.
///
/// ```
/// assert_eq!(cairn_store::nixbase32::encode(&[0xff]), "7z");
/// ```
pub fn encode(input: &[u8]) -> String {
    let mut out = vec![0u8; encoded_len(input.len())];
    encode_into(input, &mut out);
    // Every byte comes from ALPHABET, which is ASCII.
    out.into_iter().map(char::from).collect()
}

/// Decodes a nixbase32 string into `out`, which must be `decoded_len(input.len())` long.
///
/// # Panics
/// If `out` has the wrong length (a programming error, not an input error).
pub fn decode_into(input: &[u8], out: &mut [u8]) -> Result<(), DecodeError> {
    let n = decoded_len(input.len());
    assert_eq!(out.len(), n, "nixbase32 output buffer has the wrong length");
    if encoded_len(n) != input.len() {
        return Err(DecodeError::InvalidLength { len: input.len() });
    }
    out.fill(0);
    for (k, &c) in input.iter().rev().enumerate() {
        let digit = DECODE[usize::from(c)];
        if digit == 0xff {
            return Err(DecodeError::InvalidChar {
                byte: c,
                position: input.len() - 1 - k,
            });
        }
        let b = k * 5;
        let i = b / 8;
        let j = b % 8;
        out[i] |= digit << j;
        let carry = u16::from(digit) >> (8 - j);
        if i + 1 < n {
            out[i + 1] |= carry as u8;
        } else if carry != 0 {
            return Err(DecodeError::NonZeroExcessBits { byte: c });
        }
    }
    Ok(())
}

/// Decodes a nixbase32 string.
///
/// ```
/// assert_eq!(cairn_store::nixbase32::decode(b"7z").unwrap(), vec![0xff]);
/// assert!(cairn_store::nixbase32::decode(b"8z").is_err()); // excess bit set
/// ```
pub fn decode(input: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = vec![0u8; decoded_len(input.len())];
    decode_into(input, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_vectors() {
        // sha256("") as printed by `nix-hash --type sha256 --to-base32`.
        let digest = data_encoding::HEXLOWER
            .decode(b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            .unwrap();
        assert_eq!(
            encode(&digest),
            "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"
        );
        assert_eq!(encode(&[]), "");
        assert_eq!(encode(&[0x1f]), "0z");
        assert_eq!(encode(&[0x00, 0x01]), "0080");
        assert_eq!(decode(b"0080").unwrap(), vec![0, 1]);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            decode(b"0e"),
            Err(DecodeError::InvalidChar {
                byte: b'e',
                position: 1
            })
        );
        assert_eq!(decode(b"000"), Err(DecodeError::InvalidLength { len: 3 }));
        assert_eq!(decode(b"0"), Err(DecodeError::InvalidLength { len: 1 }));
        // 1 byte = 8 bits in 10 bit slots: the leftmost char may only use 3 bits.
        assert_eq!(decode(b"7z").unwrap(), vec![0xff]);
        assert_eq!(
            decode(b"8z"),
            Err(DecodeError::NonZeroExcessBits { byte: b'8' })
        );
        // 20 bytes = 160 bits = exactly 32 chars: no excess bits possible.
        assert_eq!(decode(&[b'z'; 32]).unwrap(), vec![0xff; 20]);
    }

    proptest! {
        #[test]
        fn roundtrip(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            let s = encode(&bytes);
            prop_assert_eq!(s.len(), encoded_len(bytes.len()));
            prop_assert_eq!(decode(s.as_bytes()).unwrap(), bytes);
        }
    }
}
