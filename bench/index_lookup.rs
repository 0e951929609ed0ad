//! Latency of single-digest lookups in a cross-case index, for
//! bench/index.sh: `index_lookup LOCATION DIGESTS_FILE` opens the index (a
//! SQLite file or a postgres:// URL) once, then looks every digest of the
//! file up on its own, through the same `index::search` the `index search`
//! command calls, and prints the count, hits, p50, p99 and the largest
//! latency in milliseconds (one line, `key=value`).

use std::time::Instant;

use custodian::index::{self, NoKnownGood};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: index_lookup LOCATION DIGESTS_FILE");
        std::process::exit(2);
    }
    let text = std::fs::read_to_string(&args[2]).expect("read DIGESTS_FILE");
    let mut ix = index::open(&args[1]).expect("index opens");
    let mut ms = Vec::new();
    let mut hits = 0usize;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let wanted = index::parse_digest(line.trim()).expect("a digest");
        let t = Instant::now();
        let r = index::search(ix.as_mut(), &wanted, &NoKnownGood).expect("lookup");
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        hits += usize::from(!r.hits.is_empty());
    }
    if ms.is_empty() {
        eprintln!("index_lookup: no digests in {}", args[2]);
        std::process::exit(2);
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    println!(
        "lookups={} hits={hits} p50_ms={:.3} p99_ms={:.3} max_ms={:.3}",
        ms.len(),
        at(0.50),
        at(0.99),
        ms[ms.len() - 1]
    );
}
