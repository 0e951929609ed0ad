//! Writes N distinct pseudo-random sha256 digests quickly, for the hash-set
//! import benchmark (bench/hashset.sh): 100,000,000 lines take about a
//! minute here, where hashing N numbers in Python takes many.
//!
//! Usage: gen_digests N plain|sum OUT
//!   plain: one digest a line;
//!   sum:   sha256sum lines (`DIGEST  files/dirK/fileI.bin`).
//! The digests come from a fixed splitmix64 stream (seed 42), so two runs
//! write the same file; bench/hashset_lookup.rs's misses (SHA-256 of
//! numbers) are absent from it with overwhelming probability.

use std::io::Write;

/// splitmix64: a fast deterministic stream of digest bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sum = match args.get(2).map(String::as_str) {
        Some("plain") => false,
        Some("sum") => true,
        _ => {
            eprintln!("usage: gen_digests N plain|sum OUT");
            std::process::exit(2);
        }
    };
    if args.len() != 4 {
        eprintln!("usage: gen_digests N plain|sum OUT");
        std::process::exit(2);
    }
    let n: u64 = args[1].parse().expect("N is a number");
    let file = std::fs::File::create(&args[3]).expect("create OUT");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut rng = Rng(42);
    let mut line = Vec::with_capacity(128);
    for i in 0..n {
        line.clear();
        for _ in 0..4 {
            line.extend_from_slice(hex::encode(rng.next().to_le_bytes()).as_bytes());
        }
        if sum {
            write!(line, "  files/dir{}/file{i}.bin", i % 1000).unwrap();
        }
        line.push(b'\n');
        out.write_all(&line).expect("write OUT");
    }
    out.flush().expect("write OUT");
}
