//! Replays every committed fuzz corpus file (`fuzz/corpus/TARGET/*`) and
//! every input that once crashed a target (`fuzz/regressions/TARGET/*`)
//! through the same functions the fuzz targets call, so that the corpora
//! stay valid regression inputs on every `cargo test`, without a fuzzer.
//! The target functions are `fuzz/src/lib.rs`, compiled in here as is.

#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::path::PathBuf;

/// What a fuzz target does with one input.
type Target = fn(&[u8]);

/// (target, function): every target in `fuzz/Cargo.toml`.
const TARGETS: &[(&str, Target)] = &[
    ("ledger_line", targets::ledger_line),
    ("ledger", targets::ledger),
    ("manifest", targets::manifest),
    ("keys", targets::keys),
    ("hashlist", targets::hashlist),
    ("checkpoint", targets::checkpoint),
    ("proof", targets::proof),
    ("package", targets::package),
    ("hashset_import", targets::hashset_import),
    ("timestamp", targets::timestamp),
    ("blinded", targets::blinded),
    ("hashlist_roundtrip", targets::hashlist_roundtrip),
    ("import_log", targets::import_log),
    ("index_record", targets::index_record),
];

fn fuzz_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fuzz")
}

fn inputs(folder: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(folder).join(target);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_is_declared_and_has_a_seed_corpus() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let declared = manifest.matches("[[bin]]").count();
    assert_eq!(
        declared,
        TARGETS.len(),
        "fuzz/Cargo.toml and this list differ"
    );
    for (name, _) in TARGETS {
        assert!(
            manifest.contains(&format!("path = \"fuzz_targets/{name}.rs\"")),
            "{name} is not a [[bin]] of fuzz/Cargo.toml"
        );
        assert!(
            fuzz_dir().join(format!("fuzz_targets/{name}.rs")).is_file(),
            "fuzz/fuzz_targets/{name}.rs is missing"
        );
        let seeds = inputs("corpus", name);
        assert!(
            seeds.len() >= 2,
            "fuzz/corpus/{name} has {} seeds",
            seeds.len()
        );
    }
}

#[test]
fn committed_corpora_and_crash_inputs_replay_cleanly() {
    let mut total = 0;
    for (name, run) in TARGETS {
        for folder in ["corpus", "regressions"] {
            for path in inputs(folder, name) {
                let data = std::fs::read(&path).unwrap();
                assert!(
                    data.len() <= targets::MAX_LEN,
                    "{}: larger than the fuzzers' -max_len",
                    path.display()
                );
                let outcome = std::panic::catch_unwind(|| run(&data));
                assert!(
                    outcome.is_ok(),
                    "{}: target {name} panicked",
                    path.display()
                );
                total += 1;
            }
        }
    }
    assert!(total >= 30, "only {total} inputs replayed");
}

/// The seeds are meant to reach the parsers' success paths, not just their
/// first error: each format's sample parses.
#[test]
fn seeds_are_valid_samples_of_their_formats() {
    use custodian::hashlist::{HashList, ListFormat};
    let expect = [
        ("sha256sum.txt", ListFormat::Sum),
        ("md5sum-escaped.txt", ListFormat::Sum),
        ("sha1sum-binary.txt", ListFormat::Sum),
        ("bsd-tag.txt", ListFormat::BsdTag),
        ("openssl.txt", ListFormat::BsdTag),
        ("hashdeep.txt", ListFormat::Hashdeep),
        ("export.dfxml", ListFormat::Dfxml),
        ("manifest.jsonl", ListFormat::Manifest),
    ];
    for (file, format) in expect {
        let path = fuzz_dir().join("corpus/hashlist").join(file);
        let bytes = std::fs::read(&path).unwrap();
        let list = HashList::parse(&path, bytes.as_slice(), None)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(list.format, format, "{file}");
        assert!(!list.files.is_empty(), "{file}");
    }
    for path in inputs("corpus", "checkpoint") {
        let text = std::fs::read_to_string(&path).unwrap();
        custodian::checkpoint::SignedCheckpoint::parse(&text, "seed").unwrap();
    }
    for path in inputs("corpus", "proof") {
        let text = std::fs::read_to_string(&path).unwrap();
        let p = custodian::merkle::Proof::parse(&text, "seed").unwrap();
        p.verify("seed").unwrap();
    }
    for path in inputs("corpus", "package") {
        let lead = custodian::SignerKey::from_openssh(targets::LEAD_PUB.trim(), "lead").unwrap();
        let opts = custodian::package::verify::VerifyOptions {
            trust: vec![lead.fingerprint().clone()],
            ..Default::default()
        };
        let report = custodian::package::verify::verify(&path, &opts).unwrap();
        assert!(
            report.findings.is_empty()
                || report
                    .findings
                    .iter()
                    .all(|f| f.severity != custodian::package::verify::Level::Error),
            "{}: {:?}",
            path.display(),
            report.findings
        );
        assert!(report.package.is_some(), "{}", path.display());
    }
    for path in inputs("corpus", "blinded") {
        custodian::index::blinded::read(&path).unwrap();
    }
    let tsq = custodian::timestamp::Request::from_der(targets::TSQ, "tsq").unwrap();
    let tsr = std::fs::read(fuzz_dir().join("corpus/timestamp/reply.tsr")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), targets::TSA_CA).unwrap();
    let ca = custodian::timestamp::TrustAnchors::read(&dir.path().join("ca.pem")).unwrap();
    let levels =
        custodian::timestamp::check_response(&tsr, &tsq.imprint, &tsq.nonce, Some(&ca)).levels;
    for l in [
        levels.structure,
        levels.imprint,
        levels.signature,
        levels.chain,
    ] {
        assert!(matches!(l, custodian::timestamp::Level::Pass(_)), "{l:?}");
    }
    for path in inputs("corpus", "hashset_import") {
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(dir.path().join("src"), &bytes[1..]).unwrap();
        let opts = targets::import_options(bytes[0]);
        let read = custodian::hashset::read_source(&dir.path().join("src"), &opts)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(read.read > 0, "{}", path.display());
    }
    for path in inputs("corpus", "import_log") {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let format: custodian::import::LogFormat = name.split('-').next().unwrap().parse().unwrap();
        custodian::import::parse_log(format, &bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    for path in inputs("corpus", "manifest") {
        let bytes = std::fs::read(&path).unwrap();
        let reader = custodian::hashing::ManifestReader::new(bytes.as_slice(), &path).unwrap();
        for r in reader {
            r.unwrap();
        }
    }
}
