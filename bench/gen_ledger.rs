//! Writes a valid ledger of N notes quickly (building the chain in memory
//! rather than through N locked appends), for the verify benchmark.
//! Usage: gen_ledger CASE_DIR N KEYFILE

use std::io::Write;
use std::path::PathBuf;

use custodian::ledger::{entry_hash, kind, Entry, Note, Stamp, FORMAT_VERSION};
use custodian::{Case, CaseInit, SigningKey};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: gen_ledger CASE_DIR N KEYFILE");
        std::process::exit(2);
    }
    let dir = PathBuf::from(&args[1]);
    let n: u64 = args[2].parse().expect("N is a number");
    let key = SigningKey::load(&PathBuf::from(&args[3]), || Ok(None)).expect("unencrypted key");
    let init = CaseInit {
        case_id: "BENCH-1".into(),
        title: "verify benchmark".into(),
        authority: None,
        authority_details: None,
        jurisdiction: None,
        examiner: None,
        principal: None,
        role: custodian::ledger::Role::Supervisor,
        qualifications: None,
        policy: None,
    };
    let stamp = Stamp::now();
    let (case, first) = Case::create(&dir, &init, &key, &stamp).expect("create case");
    let mut prev = first.hash;
    let mut out = std::io::BufWriter::new(
        std::fs::OpenOptions::new()
            .append(true)
            .open(case.ledger().path())
            .expect("open ledger"),
    );
    for seq in 1..n {
        let mut e = Entry {
            v: FORMAT_VERSION,
            seq,
            prev: prev.to_hex(),
            time: custodian::time::format(custodian::time::now()),
            kind: kind::NOTE.into(),
            signer: key.fingerprint().clone(),
            tool: stamp.tool.clone(),
            body: serde_json::to_value(Note {
                text: format!("benchmark note {seq}: bag 17 resealed, seal number 00{seq}"),
            })
            .unwrap(),
            sig: None,
        };
        e.sign(&key).expect("sign");
        let line = e.line();
        prev = entry_hash(&line);
        out.write_all(&line).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
}
