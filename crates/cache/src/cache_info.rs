//! `nix-cache-info`: the file at the root of a binary cache.
//!
//! ```text
//! StoreDir: /nix/store
//! WantMassQuery: 1
//! Priority: 40
//! ```
//!
//! Nix (2.8) reads the three keys and ignores others; `nix copy --to file://…`
//! writes only `StoreDir`. A client must refuse a cache whose `StoreDir`
//! differs from its own store directory, since every path would differ.

use std::fmt;

use cairn_store::path::{PathError, StoreDir};
use thiserror::Error;

/// The contents of `nix-cache-info`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NixCacheInfo {
    /// `StoreDir`: the store directory the cache's paths belong to.
    pub store_dir: Option<StoreDir>,
    /// `WantMassQuery`: whether clients may query many paths at once
    /// (`1` or `0`).
    pub want_mass_query: Option<bool>,
    /// `Priority`: lower is preferred (cache.nixos.org uses 40).
    pub priority: Option<i32>,
}

/// Why a `nix-cache-info` could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CacheInfoError {
    /// A non-empty line has no `:`.
    #[error("nix-cache-info line {line}: expected 'Key: value', found '{text}'")]
    MissingColon {
        /// The line number, starting at 1.
        line: usize,
        /// The line.
        text: String,
    },
    /// `StoreDir` is not a valid store directory.
    #[error("nix-cache-info line {line}: bad StoreDir: {source}")]
    BadStoreDir {
        /// The line number.
        line: usize,
        /// Why.
        source: PathError,
    },
    /// `WantMassQuery` is not `0` or `1`.
    #[error("nix-cache-info line {line}: bad WantMassQuery '{value}' (expected 0 or 1)")]
    BadWantMassQuery {
        /// The line number.
        line: usize,
        /// The value found.
        value: String,
    },
    /// `Priority` is not an integer.
    #[error("nix-cache-info line {line}: bad Priority '{value}' (expected an integer)")]
    BadPriority {
        /// The line number.
        line: usize,
        /// The value found.
        value: String,
    },
    /// A key appears twice.
    #[error("nix-cache-info line {line}: duplicate field '{field}'")]
    Duplicate {
        /// The line number.
        line: usize,
        /// The field.
        field: &'static str,
    },
}

impl NixCacheInfo {
    /// Parses `nix-cache-info`. As in Nix, values are trimmed, blank lines
    /// and unknown keys are skipped.
    pub fn parse(text: &str) -> Result<Self, CacheInfoError> {
        let mut info = Self::default();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            if raw.trim().is_empty() {
                continue;
            }
            let (key, value) = raw
                .split_once(':')
                .ok_or_else(|| CacheInfoError::MissingColon {
                    line,
                    text: raw.to_owned(),
                })?;
            let value = value.trim();
            let duplicate = |field| CacheInfoError::Duplicate { line, field };
            match key {
                "StoreDir" => {
                    let dir = StoreDir::new(value)
                        .map_err(|source| CacheInfoError::BadStoreDir { line, source })?;
                    if info.store_dir.replace(dir).is_some() {
                        return Err(duplicate("StoreDir"));
                    }
                }
                "WantMassQuery" => {
                    let want = match value {
                        "1" => true,
                        "0" => false,
                        _ => {
                            return Err(CacheInfoError::BadWantMassQuery {
                                line,
                                value: value.to_owned(),
                            });
                        }
                    };
                    if info.want_mass_query.replace(want).is_some() {
                        return Err(duplicate("WantMassQuery"));
                    }
                }
                "Priority" => {
                    let priority = value.parse().map_err(|_| CacheInfoError::BadPriority {
                        line,
                        value: value.to_owned(),
                    })?;
                    if info.priority.replace(priority).is_some() {
                        return Err(duplicate("Priority"));
                    }
                }
                _ => {}
            }
        }
        Ok(info)
    }
}

/// Writes the present fields in the order `StoreDir`, `WantMassQuery`,
/// `Priority`, each on its own line.
impl fmt::Display for NixCacheInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(dir) = &self.store_dir {
            writeln!(f, "StoreDir: {dir}")?;
        }
        if let Some(want) = self.want_mass_query {
            writeln!(f, "WantMassQuery: {}", u8::from(want))?;
        }
        if let Some(priority) = self.priority {
            writeln!(f, "Priority: {priority}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nix_copy_file_cache_info_round_trips() {
        // `nix copy --to file://…` (Nix 2.8) writes exactly this.
        let text = "StoreDir: /nix/store\n";
        let info = NixCacheInfo::parse(text).unwrap();
        assert_eq!(info.store_dir, Some(StoreDir::default()));
        assert_eq!(info.want_mass_query, None);
        assert_eq!(info.to_string(), text);
    }

    #[test]
    fn full_cache_info_round_trips() {
        let text = "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n";
        let info = NixCacheInfo::parse(text).unwrap();
        assert_eq!(
            info,
            NixCacheInfo {
                store_dir: Some(StoreDir::default()),
                want_mass_query: Some(true),
                priority: Some(40),
            }
        );
        assert_eq!(info.to_string(), text);
    }

    #[test]
    fn lenient_like_nix() {
        let info = NixCacheInfo::parse("\nPriority:30  \r\nFoo: bar\nWantMassQuery: 0\n").unwrap();
        assert_eq!(info.priority, Some(30));
        assert_eq!(info.want_mass_query, Some(false));
        assert_eq!(info.store_dir, None);
    }

    #[test]
    fn errors() {
        assert_eq!(
            NixCacheInfo::parse("StoreDir: /nix/store\nPriority: high\n"),
            Err(CacheInfoError::BadPriority {
                line: 2,
                value: "high".into()
            })
        );
        assert!(matches!(
            NixCacheInfo::parse("StoreDir: nix/store\n"),
            Err(CacheInfoError::BadStoreDir { line: 1, .. })
        ));
        assert!(matches!(
            NixCacheInfo::parse("WantMassQuery: yes\n"),
            Err(CacheInfoError::BadWantMassQuery { line: 1, .. })
        ));
        assert!(matches!(
            NixCacheInfo::parse("<html>\n"),
            Err(CacheInfoError::MissingColon { line: 1, .. })
        ));
        assert_eq!(
            NixCacheInfo::parse("Priority: 1\nPriority: 2\n"),
            Err(CacheInfoError::Duplicate {
                line: 2,
                field: "Priority"
            })
        );
    }
}
