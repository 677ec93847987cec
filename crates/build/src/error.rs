//! Errors of [`crate::run`].

use std::io;
use std::path::PathBuf;

/// Why a sandboxed run could not be started or followed to its end.
///
/// A builder that fails is not an error: it is a [`crate::BuildOutcome`].
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The spec is unusable as given.
    #[error("invalid sandbox spec: {0}")]
    InvalidSpec(String),
    /// The caller is root and gave no unprivileged build user.
    #[error(
        "refusing to run the builder as host root: set `build_user` to an unprivileged uid/gid (Nix's build users)"
    )]
    RootBuildUser,
    /// A host path the spec names cannot be used.
    #[error("cannot use {path}")]
    HostPath {
        /// The host path.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// Creating the namespaces failed.
    #[error(
        "cannot create the sandbox namespaces (are user namespaces enabled? see /proc/sys/user/max_user_namespaces)"
    )]
    Namespaces(#[source] io::Error),
    /// Setting up the sandbox from the host side failed.
    #[error("sandbox setup failed: {what}")]
    Host {
        /// The step.
        what: String,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// A step inside the new namespaces failed, before the builder ran.
    #[error("sandbox setup failed inside the namespaces: {step}")]
    Child {
        /// The step, with its paths.
        step: String,
        /// The errno the step returned.
        #[source]
        source: io::Error,
    },
    /// Writing the builder's log to the caller's sink failed; the builder
    /// was killed.
    #[error("cannot write the build log")]
    Log(#[source] io::Error),
}
