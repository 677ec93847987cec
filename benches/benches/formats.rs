//! Throughput of the pure formats: NAR serialisation and hashing of a file
//! tree, Nix base32, and `.drv` ATerm parsing and printing.
//!
//! Run with `cargo bench -p cairn-benches`. The whole-program comparison
//! with Nix is `cargo xtask bench-vs-nix`.
#![allow(clippy::unwrap_used, missing_docs)] // benchmark code: a panic is the report

use std::hint::black_box;
use std::path::Path;

use cairn_derivation::aterm;
use cairn_store::hash::HashAlgo;
use cairn_store::nar::{self, HashMode};
use cairn_store::nixbase32;
use cairn_store::path::{StoreDir, StorePathName};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// 200 files of 64 KiB in 10 directories: 12.5 MiB of pseudo-random bytes.
fn tree(dir: &Path) -> u64 {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut contents = vec![0u8; 64 * 1024];
    for i in 0..200 {
        let sub = dir.join(format!("d{}", i % 10));
        std::fs::create_dir_all(&sub).unwrap();
        for chunk in contents.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        std::fs::write(sub.join(format!("f{i}")), &contents).unwrap();
    }
    200 * 64 * 1024
}

fn nar(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = tree(dir.path());
    let mut group = c.benchmark_group("nar");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("dump 12.5 MiB tree", |b| {
        b.iter(|| nar::dump_path(dir.path(), std::io::sink()).unwrap())
    });
    group.bench_function("hash-path sha256 12.5 MiB tree", |b| {
        b.iter(|| nar::hash_path(dir.path(), HashAlgo::Sha256, HashMode::Recursive).unwrap())
    });
    group.finish();
}

fn base32(c: &mut Criterion) {
    let digest = [0xa5u8; 32];
    let encoded = nixbase32::encode(&digest);
    c.bench_function("nixbase32 encode 32 bytes", |b| {
        b.iter(|| nixbase32::encode(black_box(&digest)))
    });
    c.bench_function("nixbase32 decode 52 chars", |b| {
        b.iter(|| nixbase32::decode(black_box(encoded.as_bytes())).unwrap())
    });
}

fn derivation(c: &mut Criterion) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/derivation/tests/fixtures/irva9wc2j6qig8kzkdx02p3m4bbbnavq-ab.drv");
    let text = std::fs::read(fixture).unwrap();
    let store_dir = StoreDir::default();
    let name = StorePathName::new("ab").unwrap();
    let parsed = aterm::parse(&text, &store_dir, name.clone()).unwrap();
    c.bench_function("aterm parse", |b| {
        b.iter(|| aterm::parse(black_box(&text), &store_dir, name.clone()).unwrap())
    });
    c.bench_function("aterm print", |b| {
        b.iter(|| aterm::print(black_box(&parsed), &store_dir).unwrap())
    });
}

criterion_group!(benches, nar, base32, derivation);
criterion_main!(benches);
