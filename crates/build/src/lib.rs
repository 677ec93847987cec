#![doc = include_str!("../README.md")]

pub mod builtins;
mod child;
mod error;
mod etc;
mod plan;
pub mod realise;
mod run;
mod spec;

pub use error::SandboxError;
pub use realise::request::{Request, RequestResult};
pub use realise::{
    BuildError, BuildFailure, BuildSettings, BuildTimings, FailureKind, OutputSelection, Progress,
    Quiet, RealiseReport, Substituter, Target, TimingSummary, realise,
};
pub use run::run;
pub use spec::{
    BindPath, BuildOutcome, BuildStatus, HostIds, SANDBOX_GID, SANDBOX_UID, SandboxSpec,
};
