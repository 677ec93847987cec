//! Prints the NAR hash of a path like `nix-hash --type sha256 --base32 PATH`,
//! with the throughput on stderr.
//!
//! ```text
//! cargo run --release -p cairn-store --example hash_path -- PATH [ALGO] [--flat]
//! ```

use std::time::Instant;

use cairn_store::HashAlgo;
use cairn_store::nar::{HashMode, hash_path};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        return Err("usage: hash_path PATH [md5|sha1|sha256|sha512] [--flat]".into());
    };
    let algo: HashAlgo = match args.get(1).filter(|a| !a.starts_with("--")) {
        Some(a) => a.parse()?,
        None => HashAlgo::Sha256,
    };
    let mode = if args.iter().any(|a| a == "--flat") {
        HashMode::Flat
    } else {
        HashMode::Recursive
    };
    let start = Instant::now();
    let (hash, size) = hash_path(path.as_ref(), algo, mode)?;
    let secs = start.elapsed().as_secs_f64();
    println!("{}", hash.to_nix_base32());
    eprintln!(
        "{size} bytes in {secs:.3} s = {:.0} MB/s",
        size as f64 / secs / 1e6
    );
    Ok(())
}
