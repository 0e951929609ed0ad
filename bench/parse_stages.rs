//! Per-line parse cost of a ledger, old path against new (issue 18, row 2):
//! one thread, every whole line of LEDGER, each stage timed over the whole
//! file. Prints microseconds per entry.
//!
//!   parse_stages LEDGER [ROUNDS] [SIGNER.pub]
//!
//! With SIGNER.pub (the key every entry but the first is signed with, as
//! bench/gen_ledger.rs makes them), also the signature stages: SSHSIG
//! decoding with the SHA-512 pre-hash, and Ed25519 batch verification in
//! batches of 64 as `verify` does. Their sum is the floor of `verify` on
//! this machine: what it costs with parsing free.
//!
//! "full" is what `verify` did for every line before: JSON to a `Value`,
//! RFC 8785 re-serialisation compared with the line, `Value` to `Entry`.
//! "bytes" is what it does now for a canonical line: the byte-level check
//! (custodian_format::jcs) and JSON straight to `Entry`.
use std::time::Instant;

use custodian_format::entry::{is_canonical_line, Entry};
use custodian_format::jcs::is_canonical_bytes;
use custodian_format::sshsig::{verify_batch, SignerKey};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .expect("usage: parse_stages LEDGER [ROUNDS] [SIGNER.pub]");
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
    let Some(pubkey) = args.get(3) else {
        return;
    };
    let text = std::fs::read_to_string(pubkey).expect("read SIGNER.pub");
    let key = SignerKey::from_openssh(text.trim(), pubkey).expect("an ssh-ed25519 public key");
    let entries: Vec<(Entry, &[u8])> = lines[1..]
        .iter()
        .map(|l| (serde_json::from_slice(l).unwrap(), *l))
        .collect();
    let prepare = || -> Vec<_> {
        entries
            .iter()
            .map(|(e, l)| {
                key.prepare(&e.signed_bytes_from_line(l), e.sig.as_deref().unwrap())
                    .expect("signature decodes")
            })
            .collect()
    };
    // BATCH=N: the batch size to time (verify uses SIGNATURE_BATCH).
    let batch_size: usize = std::env::var("BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(64);
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        let start = Instant::now();
        let prepared = prepare();
        let decoded = start.elapsed().as_secs_f64();
        let start = Instant::now();
        for batch in prepared.chunks(batch_size) {
            let refs: Vec<_> = batch.iter().collect();
            assert!(verify_batch(&refs).iter().all(Result::is_ok));
        }
        best = (
            best.0.min(decoded),
            best.1.min(start.elapsed().as_secs_f64()),
        );
    }
    let m = entries.len() as f64;
    println!(
        "{:<44} {:>7.2} µs/entry",
        "signature decode (cut, SSHSIG, SHA-512)",
        best.0 * 1e6 / m
    );
    println!(
        "{:<44} {:>7.2} µs/entry",
        format!("Ed25519 batch verification ({batch_size} a batch)"),
        best.1 * 1e6 / m
    );
}
