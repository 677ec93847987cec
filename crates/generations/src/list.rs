//! The `nix-env --list-generations` text.

use std::fmt::Write;

use crate::{Error, Generations};

/// Formats `gens` exactly as `nix-env --list-generations` does: one line per
/// generation, `%4d   %Y-%m-%d %H:%M:%S   (current)` in local time, with the
/// marker left empty (but the three spaces kept) for other generations.
pub fn format_listing(gens: &Generations) -> Result<String, Error> {
    let mut out = String::new();
    for g in &gens.list {
        let t = local_time(g.created).ok_or_else(|| Error::Time {
            path: g.path.clone(),
            seconds: g.created,
        })?;
        let marker = if gens.current == Some(g.number) {
            "(current)"
        } else {
            ""
        };
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "{:4}   {:4}-{:02}-{:02} {:02}:{:02}:{:02}   {marker}",
            g.number,
            i64::from(t.tm_year) + 1900,
            t.tm_mon + 1,
            t.tm_mday,
            t.tm_hour,
            t.tm_min,
            t.tm_sec,
        );
    }
    Ok(out)
}

/// `localtime_r`, honouring `TZ` like Nix.
fn local_time(seconds: i64) -> Option<libc::tm> {
    let t = libc::time_t::try_from(seconds).ok()?;
    // SAFETY: `tm` is plain old data, so all-zero is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals of the right types;
    // localtime_r is the reentrant variant and keeps no reference.
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    (!r.is_null()).then_some(tm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Generation;
    use std::path::PathBuf;

    #[test]
    fn matches_nix_env_layout() {
        let g = |number, created| Generation {
            number,
            path: PathBuf::from(format!("/p/prof-{number}-link")),
            created,
        };
        let gens = Generations {
            list: vec![g(1, 0), g(12, 86_399), g(12345, 1_700_000_000)],
            current: Some(12),
        };
        let text = format_listing(&gens).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        // Dates depend on the local time zone; the shape does not.
        for line in &lines[..2] {
            let b = line.as_bytes();
            assert_eq!(&line[4..7], "   ");
            assert_eq!(
                (b[11], b[14], b[17], b[20], b[23]),
                (b'-', b'-', b' ', b':', b':')
            );
            assert_eq!(&line[26..29], "   ");
        }
        assert!(lines[0].starts_with("   1   "));
        assert!(lines[0].ends_with("   "));
        assert!(lines[1].starts_with("  12   "));
        assert!(lines[1].ends_with("   (current)"));
        assert!(lines[2].starts_with("12345   "));
        assert_eq!(lines[2].len(), 5 + 3 + 19 + 3);
        assert!(text.ends_with('\n'));
        assert_eq!(format_listing(&Generations::default()).unwrap(), "");
    }
}
