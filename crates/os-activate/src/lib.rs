#![doc = include_str!("../README.md")]

pub mod activate;
pub mod boot;
pub mod etc;
pub mod ids;
pub mod library;
pub mod plan;
pub mod root;
pub mod system;
pub mod toplevel;
pub mod users;
