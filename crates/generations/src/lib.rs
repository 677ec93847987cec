#![doc = include_str!("../README.md")]

mod defaults;
mod delete;
pub mod env;
mod error;
mod link;
mod list;
mod lock;
mod name;
mod profile;
mod roots;

pub use defaults::{Removed, default_profile, profiles_dir, remove_old_generations};
pub use delete::{DeleteSpec, ParseSpecError};
pub use error::Error;
pub use link::replace_symlink;
pub use list::format_listing;
pub use lock::{ProfileLock, lock_path};
pub use name::{link_name, parse_link_name, parse_unsigned as parse_generation_number};
pub use profile::{Generation, Generations, Profile, SetOutcome, Switch};

/// A generation number, as Nix's `GenerationNumber` (`uint64_t`).
///
/// Link names only ever carry numbers that fit in 32 bits: Nix parses them
/// as `unsigned int`, and [`Profile::set`] never makes a larger one.
pub type GenerationNumber = u64;
