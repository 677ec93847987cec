//! `compareVersions` and `splitVersion`, with Nix's component rules.

use std::cmp::Ordering;

use super::{Builtin, b};
use crate::value::Value;

pub(super) const BUILTINS: &[Builtin] = &[
    b("compareVersions", 2, |m, a, s| {
        let x = m.force_string(&a[0], s)?;
        let y = m.force_string(&a[1], s)?;
        Ok(Value::Int(match compare_versions(&x.text, &y.text) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }))
    }),
    b("splitVersion", 1, |m, a, s| {
        let v = m.force_string(&a[0], s)?;
        Ok(Value::list(
            split_version(&v.text)
                .into_iter()
                .map(Value::string)
                .collect::<Vec<_>>(),
        ))
    }),
];

/// The next version component starting at `*p`; "" at the end.
fn next_component<'a>(v: &'a str, p: &mut usize) -> &'a str {
    let b = v.as_bytes();
    while *p < b.len() && (b[*p] == b'.' || b[*p] == b'-') {
        *p += 1;
    }
    let start = *p;
    if *p < b.len() && b[*p].is_ascii_digit() {
        while *p < b.len() && b[*p].is_ascii_digit() {
            *p += 1;
        }
    } else {
        while *p < b.len() && !b[*p].is_ascii_digit() && b[*p] != b'.' && b[*p] != b'-' {
            *p += 1;
        }
    }
    &v[start..*p]
}

fn component_lt(c1: &str, c2: &str) -> bool {
    let n1 = c1
        .parse::<i32>()
        .ok()
        .filter(|_| !c1.starts_with(['+', '-']));
    let n2 = c2
        .parse::<i32>()
        .ok()
        .filter(|_| !c2.starts_with(['+', '-']));
    match (n1, n2) {
        (Some(a), Some(b)) => a < b,
        _ if c1.is_empty() && n2.is_some() => true,
        _ if c1 == "pre" && c2 != "pre" => true,
        _ if c2 == "pre" => false,
        (_, Some(_)) => true,
        (Some(_), _) => false,
        _ => c1 < c2,
    }
}

/// Nix's `compareVersions`.
pub fn compare_versions(v1: &str, v2: &str) -> Ordering {
    let (mut p1, mut p2) = (0, 0);
    while p1 < v1.len() || p2 < v2.len() {
        let c1 = next_component(v1, &mut p1);
        let c2 = next_component(v2, &mut p2);
        if component_lt(c1, c2) {
            return Ordering::Less;
        }
        if component_lt(c2, c1) {
            return Ordering::Greater;
        }
    }
    Ordering::Equal
}

/// Nix's `splitVersion`.
pub fn split_version(v: &str) -> Vec<String> {
    let mut p = 0;
    let mut out = Vec::new();
    while p < v.len() {
        let c = next_component(v, &mut p);
        if c.is_empty() {
            break;
        }
        out.push(c.to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_like_nix() {
        assert_eq!(compare_versions("1.0", "2.3"), Ordering::Less);
        assert_eq!(compare_versions("2.3.1", "2.3a"), Ordering::Greater);
        assert_eq!(compare_versions("2.3pre1", "2.3"), Ordering::Less);
        assert_eq!(compare_versions("2.3", "2.3"), Ordering::Equal);
        assert_eq!(split_version("1.2-pre3"), ["1", "2", "pre", "3"]);
    }
}
