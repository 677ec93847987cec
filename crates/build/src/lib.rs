#![doc = include_str!("../README.md")]

mod child;
mod error;
mod etc;
mod plan;
mod run;
mod spec;

pub use error::SandboxError;
pub use run::run;
pub use spec::{
    BindPath, BuildOutcome, BuildStatus, HostIds, SANDBOX_GID, SANDBOX_UID, SandboxSpec,
};
