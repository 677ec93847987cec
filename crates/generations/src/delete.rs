//! Which generations a deletion removes: `nix-env --delete-generations`.
//!
//! Parsing and planning are pure; [`crate::Profile::delete`] does the IO.

use std::collections::BTreeSet;

use crate::{GenerationNumber, Generations, name::parse_unsigned};

const DAY: i64 = 24 * 3600;

/// What to delete, as the arguments of `nix-env --delete-generations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteSpec {
    /// These generations (`3 4 9`). Numbers without a link are ignored;
    /// naming the current generation is an error and deletes nothing.
    Numbers(BTreeSet<GenerationNumber>),
    /// Every generation except the current one (`old`).
    Old,
    /// `+N`: keep the current generation, every generation numbered above
    /// it, and the `N - 1` highest-numbered generations below it.
    KeepLast(GenerationNumber),
    /// `Nd`: delete generations created more than `N` days ago, except the
    /// newest of those (it was still live at the cutoff) and the current
    /// one.
    OlderThanDays(u32),
}

/// Why arguments of `--delete-generations` could not be understood.
///
/// The messages are `nix-env`'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseSpecError {
    /// An argument that should be a generation number is not one.
    #[error("invalid generation number '{0}'")]
    GenerationNumber(String),
    /// `+N` with a missing, zero or malformed `N`.
    #[error("invalid number of generations to keep '{0}'")]
    KeepCount(String),
    /// `Nd` with a malformed or non-positive `N`.
    #[error("invalid number of days specifier '{0}'")]
    Days(String),
    /// An argument containing `d` that does not end in `d`.
    #[error("invalid number of days specifier '{0}', expected something like '14d'")]
    DaysSuffix(String),
}

impl DeleteSpec {
    /// Parses `nix-env --delete-generations` arguments with Nix's rules: a
    /// single `old`, a single argument containing `d` (days), a single
    /// argument starting with `+` (keep count), otherwise numbers.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<DeleteSpec, ParseSpecError> {
        if let [only] = args {
            let arg = only.as_ref();
            if arg == "old" {
                return Ok(DeleteSpec::Old);
            }
            if arg.contains('d') {
                let Some(days) = arg.strip_suffix('d') else {
                    return Err(ParseSpecError::DaysSuffix(arg.to_owned()));
                };
                return parse_days(days)
                    .map(DeleteSpec::OlderThanDays)
                    .ok_or_else(|| ParseSpecError::Days(arg.to_owned()));
            }
            if let Some(count) = arg.strip_prefix('+') {
                return match parse_unsigned(count.as_bytes()) {
                    Some(n) if n > 0 => Ok(DeleteSpec::KeepLast(n)),
                    _ => Err(ParseSpecError::KeepCount(arg.to_owned())),
                };
            }
        }
        args.iter()
            .map(|a| {
                let a = a.as_ref();
                parse_unsigned(a.as_bytes())
                    .ok_or_else(|| ParseSpecError::GenerationNumber(a.to_owned()))
            })
            .collect::<Result<_, _>>()
            .map(DeleteSpec::Numbers)
    }
}

/// A positive `int`, as Nix's `string2Int<int>` followed by `days >= 1`.
fn parse_days(s: &str) -> Option<u32> {
    let n = parse_unsigned(s.as_bytes())?;
    i32::try_from(n)
        .ok()
        .filter(|&n| n >= 1)
        .map(|n| n.unsigned_abs())
}

/// Why a deletion cannot go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlanError {
    /// The numbers named the current generation.
    DeletesCurrent,
}

/// The generations `spec` removes from `gens`, lowest first. `now` is the
/// current time in seconds since the epoch (used by `Nd`).
pub(crate) fn plan(
    gens: &Generations,
    spec: &DeleteSpec,
    now: i64,
) -> Result<Vec<GenerationNumber>, PlanError> {
    let current = gens.current;
    let is_current = |n: GenerationNumber| Some(n) == current;
    let mut out = Vec::new();
    match spec {
        DeleteSpec::Numbers(numbers) => {
            if current.is_some_and(|c| numbers.contains(&c)) {
                return Err(PlanError::DeletesCurrent);
            }
            out.extend(
                gens.list
                    .iter()
                    .map(|g| g.number)
                    .filter(|n| numbers.contains(n)),
            );
        }
        DeleteSpec::Old => {
            out.extend(
                gens.list
                    .iter()
                    .map(|g| g.number)
                    .filter(|&n| !is_current(n)),
            );
        }
        DeleteSpec::KeepLast(keep) => {
            // Nix's deleteGenerationsGreaterThan, newest first.
            let mut keep = *keep;
            let mut from_current = false;
            for g in gens.list.iter().rev() {
                if is_current(g.number) {
                    from_current = true;
                    keep = keep.saturating_sub(1);
                } else if from_current {
                    if keep > 0 {
                        keep -= 1;
                    } else {
                        out.push(g.number);
                    }
                }
            }
            out.reverse();
        }
        DeleteSpec::OlderThanDays(days) => {
            // Nix's deleteGenerationsOlderThan, newest (by number) first.
            let cutoff = now.saturating_sub(i64::from(*days).saturating_mul(DAY));
            let mut can_delete = false;
            for g in gens.list.iter().rev() {
                if can_delete {
                    // Nix asserts `created < cutoff` here (numbers and
                    // times usually grow together); we delete regardless.
                    if !is_current(g.number) {
                        out.push(g.number);
                    }
                } else if g.created < cutoff {
                    // Keep the generation that was live at the cutoff.
                    can_delete = true;
                }
            }
            out.reverse();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Generation;
    use std::path::PathBuf;

    fn gens(list: &[(u64, i64)], current: Option<u64>) -> Generations {
        Generations {
            list: list
                .iter()
                .map(|&(number, created)| Generation {
                    number,
                    path: PathBuf::from(format!("/p/prof-{number}-link")),
                    created,
                })
                .collect(),
            current,
        }
    }

    fn parse(args: &[&str]) -> Result<DeleteSpec, String> {
        DeleteSpec::parse(args).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_like_nix_env() {
        assert_eq!(parse(&["old"]), Ok(DeleteSpec::Old));
        assert_eq!(parse(&["14d"]), Ok(DeleteSpec::OlderThanDays(14)));
        assert_eq!(parse(&["+01"]), Ok(DeleteSpec::KeepLast(1)));
        assert_eq!(
            parse(&["+4294967297"]),
            Ok(DeleteSpec::KeepLast(4_294_967_297))
        );
        assert_eq!(
            parse(&["+1", "2"]),
            Ok(DeleteSpec::Numbers([1, 2].into_iter().collect()))
        );
        assert_eq!(parse(&[]), Ok(DeleteSpec::Numbers(BTreeSet::new())));
        // Messages as printed by nix-env 2.8.
        assert_eq!(parse(&["1x"]), Err("invalid generation number '1x'".into()));
        assert_eq!(
            parse(&["old", "1"]),
            Err("invalid generation number 'old'".into())
        );
        assert_eq!(
            parse(&["x", "d"]),
            Err("invalid generation number 'x'".into())
        );
        assert_eq!(
            parse(&["+0"]),
            Err("invalid number of generations to keep '+0'".into())
        );
        assert_eq!(
            parse(&["+x"]),
            Err("invalid number of generations to keep '+x'".into())
        );
        assert_eq!(
            parse(&["0d"]),
            Err("invalid number of days specifier '0d'".into())
        );
        assert_eq!(
            parse(&["00d"]),
            Err("invalid number of days specifier '00d'".into())
        );
        assert_eq!(
            parse(&["d"]),
            Err("invalid number of days specifier 'd'".into())
        );
        assert_eq!(
            parse(&["d1d"]),
            Err("invalid number of days specifier 'd1d'".into())
        );
        assert_eq!(
            parse(&["1d2"]),
            Err("invalid number of days specifier '1d2', expected something like '14d'".into())
        );
    }

    #[test]
    fn numbers_refuse_the_current_generation() {
        let g = gens(&[(1, 0), (2, 0), (3, 0)], Some(2));
        let spec = DeleteSpec::parse(&["1", "2"]).unwrap();
        assert_eq!(plan(&g, &spec, 0), Err(PlanError::DeletesCurrent));
        let spec = DeleteSpec::parse(&["1", "3", "99"]).unwrap();
        assert_eq!(plan(&g, &spec, 0), Ok(vec![1, 3]));
    }

    #[test]
    fn old_keeps_only_the_current_generation() {
        let g = gens(&[(1, 0), (2, 0), (3, 0)], Some(2));
        assert_eq!(plan(&g, &DeleteSpec::Old, 0), Ok(vec![1, 3]));
        let g = gens(&[(1, 0), (2, 0)], None);
        assert_eq!(plan(&g, &DeleteSpec::Old, 0), Ok(vec![1, 2]));
    }

    #[test]
    fn keep_last_counts_from_the_current_generation() {
        // Observed with nix-env 2.8: current 4 of 1..=6, `+2` removes 1 and 2.
        let g = gens(&[(1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0)], Some(4));
        assert_eq!(plan(&g, &DeleteSpec::KeepLast(2), 0), Ok(vec![1, 2]));
        assert_eq!(plan(&g, &DeleteSpec::KeepLast(1), 0), Ok(vec![1, 2, 3]));
        assert_eq!(plan(&g, &DeleteSpec::KeepLast(9), 0), Ok(vec![]));
        // No current generation: nothing counts as "from current".
        let g = gens(&[(1, 0), (2, 0)], None);
        assert_eq!(plan(&g, &DeleteSpec::KeepLast(1), 0), Ok(vec![]));
    }

    #[test]
    fn older_than_keeps_the_generation_live_at_the_cutoff() {
        let now = 100 * DAY;
        // Observed with nix-env 2.8: 4 at -10d, 5 at -5d, 6 now; `3d` removes 4.
        let g = gens(
            &[(4, now - 10 * DAY), (5, now - 5 * DAY), (6, now)],
            Some(6),
        );
        assert_eq!(plan(&g, &DeleteSpec::OlderThanDays(3), now), Ok(vec![4]));
        assert_eq!(plan(&g, &DeleteSpec::OlderThanDays(7), now), Ok(vec![]));
        // The current generation survives even when old.
        let g = gens(&[(1, 0), (2, DAY), (3, 2 * DAY), (4, now)], Some(1));
        assert_eq!(plan(&g, &DeleteSpec::OlderThanDays(1), now), Ok(vec![2]));
        // Exactly at the cutoff is not older.
        let g = gens(&[(1, 0), (2, now - DAY), (3, now)], Some(3));
        assert_eq!(plan(&g, &DeleteSpec::OlderThanDays(1), now), Ok(vec![]));
    }
}
