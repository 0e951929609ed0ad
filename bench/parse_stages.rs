//! Per-line parse cost of a ledger, old path against new (issue 18, row 2):
//! one thread, every whole line of LEDGER, each stage timed over the whole
//! file. Prints microseconds per entry.
//!
//!   parse_stages LEDGER [ROUNDS]
//!
//! "full" is what `verify` did for every line before: JSON to a `Value`,
//! RFC 8785 re-serialisation compared with the line, `Value` to `Entry`.
//! "bytes" is what it does now for a canonical line: the byte-level check
//! (custodian_format::jcs) and JSON straight to `Entry`.
use std::time::Instant;

use custodian_format::entry::{is_canonical_line, Entry};
use custodian_format::jcs::is_canonical_bytes;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).expect("usage: parse_stages LEDGER [ROUNDS]");
    let rounds: usize = args.get(2).map_or(3, |r| r.parse().expect("ROUNDS"));
    let bytes = std::fs::read(path).expect("read the ledger");
    let lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let n = lines.len() as f64;
    let time = |what: &str, f: &dyn Fn(&[u8]) -> bool| {
        let mut best = f64::MAX;
        for _ in 0..rounds {
            let start = Instant::now();
            let ok = lines.iter().filter(|l| f(l)).count();
            assert_eq!(ok, lines.len(), "{what}: every line must pass");
            best = best.min(start.elapsed().as_secs_f64());
        }
        println!("{what:<44} {:>7.2} µs/entry", best * 1e6 / n);
    };
    println!("{} lines, best of {rounds} rounds, one thread", lines.len());
    time("full: Value, re-serialise and compare, Entry", &|l| {
        let v: serde_json::Value = serde_json::from_slice(l).unwrap();
        is_canonical_line(&v, l) && serde_json::from_value::<Entry>(v).is_ok()
    });
    time("bytes: byte-level check, then Entry", &|l| {
        is_canonical_bytes(l) && serde_json::from_slice::<Entry>(l).is_ok()
    });
    time("  of which the byte-level check", &|l| {
        is_canonical_bytes(l)
    });
    time("Entry, then its signed bytes cut from the line", &|l| {
        let e: Entry = serde_json::from_slice(l).unwrap();
        !e.signed_bytes_from_line(l).is_empty()
    });
}
