//! Generation link names: `<profile>-<N>-link`, parsed exactly as Nix does.
//!
//! Nix's `parseName` accepts more than it writes: the number may carry a
//! leading `+` or leading zeros, and anything may follow the first `-link`
//! (so `profile-7-link.bak` counts as generation 7). We accept the same
//! names so that listings and "highest generation" agree with Nix on any
//! directory, including odd ones.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use crate::GenerationNumber;

/// The file name of generation `number` of the profile named `profile_name`.
pub fn link_name(profile_name: &OsStr, number: GenerationNumber) -> OsString {
    let mut name = profile_name.as_bytes().to_vec();
    name.extend_from_slice(format!("-{number}-link").as_bytes());
    OsString::from_vec(name)
}

/// The generation number of directory entry `entry` if it is a generation
/// link of the profile named `profile_name` (Nix's `parseName`).
pub fn parse_link_name(profile_name: &OsStr, entry: &OsStr) -> Option<GenerationNumber> {
    let rest = entry
        .as_bytes()
        .strip_prefix(profile_name.as_bytes())?
        .strip_prefix(b"-")?;
    let end = rest.windows(5).position(|w| w == b"-link")?;
    // Nix parses link numbers as `unsigned int`.
    parse_unsigned(&rest[..end]).and_then(|n| u32::try_from(n).ok().map(u64::from))
}

/// Parses a generation number the way Nix's `string2Int<uint64_t>` does:
/// an optional leading `+`, then one or more ASCII digits, no other
/// characters, and no overflow.
pub fn parse_unsigned(s: &[u8]) -> Option<u64> {
    let digits = s.strip_prefix(b"+").unwrap_or(s);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(entry: &str) -> Option<u64> {
        parse_link_name(OsStr::new("prof"), OsStr::new(entry))
    }

    #[test]
    fn link_names_round_trip() {
        let name = link_name(OsStr::new("system"), 42);
        assert_eq!(name, "system-42-link");
        assert_eq!(parse_link_name(OsStr::new("system"), &name), Some(42));
    }

    #[test]
    fn accepts_what_nix_accepts() {
        // Each of these was checked against nix-env 2.8 --list-generations.
        assert_eq!(parse("prof-3-link"), Some(3));
        assert_eq!(parse("prof-03-link"), Some(3));
        assert_eq!(parse("prof-+7-link"), Some(7));
        assert_eq!(parse("prof-8-linkx"), Some(8));
        assert_eq!(parse("prof-9-link.bak"), Some(9));
        assert_eq!(parse("prof-4294967295-link"), Some(4_294_967_295));
    }

    #[test]
    fn rejects_what_nix_rejects() {
        assert_eq!(parse("prof"), None);
        assert_eq!(parse("prof.lock"), None);
        assert_eq!(parse("prof-link"), None);
        assert_eq!(parse("prof--link"), None);
        assert_eq!(parse("prof--1-link"), None);
        assert_eq!(parse("prof-+-link"), None);
        assert_eq!(parse("prof- 3-link"), None);
        assert_eq!(parse("prof-3x-link"), None);
        assert_eq!(parse("prof-4294967296-link"), None);
        assert_eq!(parse("other-1-link"), None);
        assert_eq!(parse("profile-1-link"), None);
        assert_eq!(parse(".0_prof"), None);
    }

    #[test]
    fn unsigned_parsing() {
        assert_eq!(parse_unsigned(b"0"), Some(0));
        assert_eq!(parse_unsigned(b"+01"), Some(1));
        assert_eq!(parse_unsigned(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_unsigned(b"18446744073709551616"), None);
        assert_eq!(parse_unsigned(b""), None);
        assert_eq!(parse_unsigned(b"+"), None);
        assert_eq!(parse_unsigned(b"-1"), None);
        assert_eq!(parse_unsigned(b"1e3"), None);
    }
}
