//! The cairn command line.
