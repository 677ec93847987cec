//! The error type of profile operations.

use std::io;
use std::path::PathBuf;

use crate::GenerationNumber;

/// What went wrong while reading or changing a profile.
///
/// Messages follow `nix-env`'s wording where Nix has one, so that users of
/// both tools see the same text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A filesystem operation failed.
    #[error("{action} '{path}'")]
    Io {
        /// What we were doing, e.g. "opening directory".
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// `switch_to` was asked for a generation that has no link.
    #[error("profile version {number} does not exist (profile '{profile}')")]
    NoSuchGeneration {
        /// The profile.
        profile: PathBuf,
        /// The generation asked for.
        number: GenerationNumber,
    },
    /// `rollback` found no generation numbered below the current one.
    ///
    /// `current` is 0 when the profile has no current generation, as in Nix.
    #[error("no profile version older than the current ({current}) exists (profile '{profile}')")]
    NoOlderGeneration {
        /// The profile.
        profile: PathBuf,
        /// The current generation number, or 0 if there is none.
        current: GenerationNumber,
    },
    /// A deletion named the current generation; nothing was deleted.
    #[error("cannot delete current version of profile '{profile}'")]
    DeleteCurrent {
        /// The profile.
        profile: PathBuf,
    },
    /// A generation target must be an absolute store path.
    #[error("generation target '{path}' is not an absolute path")]
    RelativeTarget {
        /// The target given.
        path: PathBuf,
    },
    /// The profile path has no file name (e.g. `/` or `..`).
    #[error("profile path '{path}' has no file name")]
    BadProfilePath {
        /// The path given.
        path: PathBuf,
    },
    /// The next generation number would not fit in a link name Nix can read.
    #[error("profile '{profile}' has run out of generation numbers")]
    NumbersExhausted {
        /// The profile.
        profile: PathBuf,
    },
    /// The store refused or failed (a target that is not valid, a GC root
    /// that could not be registered, …).
    #[error(transparent)]
    Store(#[from] cairn_store::local::LocalStoreError),
    /// Packages could not be merged into a user environment.
    #[error(transparent)]
    Merge(#[from] crate::env::merge::MergeError),
    /// A user environment's manifest could not be read.
    #[error("reading manifest '{file}'")]
    Manifest {
        /// The manifest file.
        file: PathBuf,
        /// Why it could not be read.
        #[source]
        source: crate::env::manifest::ManifestError,
    },
    /// The user running cairn has no name (no `passwd` entry, no `$USER`),
    /// so no per-user profile directory can be named.
    #[error("cannot determine the name of user {uid}")]
    UnknownUser {
        /// The effective user id.
        uid: u32,
    },
    /// A time stamp could not be converted to local time for the listing.
    #[error("cannot convert time {seconds} of generation link '{path}' to local time")]
    Time {
        /// The generation link.
        path: PathBuf,
        /// Seconds since the epoch.
        seconds: i64,
    },
}

impl Error {
    /// Builds an [`Error::Io`]: `err(action, path)(source)`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}
