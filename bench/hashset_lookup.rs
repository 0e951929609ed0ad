//! Lookup rate of a hash set through the library matcher, for
//! bench/hashset.sh: `hashset_lookup STORE NAME N` opens the set (checking
//! its data files), then looks up N sha256 digests, every other one taken
//! from the set itself (a hit) and the rest digests of numbers the bench
//! never hashed (a miss), and prints the rates.

use std::time::Instant;

use custodian::hashing::Algorithm;
use custodian::hashset::Store;
use sha2::{Digest, Sha256};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: hashset_lookup STORE NAME N");
        std::process::exit(2);
    }
    let n: usize = args[3].parse().expect("N is a number");
    let store = Store::open(std::path::Path::new(&args[1])).expect("store opens");
    let t = Instant::now();
    let matcher = store.matcher_for(&[args[2].clone()]).expect("set opens");
    let open = t.elapsed();
    let data = std::fs::read(
        std::path::Path::new(&args[1])
            .join(&args[2])
            .join("sha256.bin"),
    )
    .expect("sha256.bin");
    let count = data.len() / 32;
    let keys: Vec<[u8; 32]> = (0..n)
        .map(|i| {
            if i % 2 == 0 {
                let j = (i.wrapping_mul(2_654_435_761)) % count;
                data[j * 32..(j + 1) * 32].try_into().unwrap()
            } else {
                // bench/hashset.sh hashes 0..LINES; these are far above.
                Sha256::digest(((1u64 << 40) + i as u64).to_le_bytes()).into()
            }
        })
        .collect();
    drop(data);
    let t = Instant::now();
    let mut hits = 0usize;
    for k in &keys {
        if matcher.contains(Algorithm::Sha256, k).expect("lookup") {
            hits += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "set of {count} sha256 digests: opened and checked in {:.3} s; {n} lookups ({hits} hits) in {secs:.3} s = {:.0} lookups/s ({:.2} µs each)",
        open.as_secs_f64(),
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}
