//! What each fuzz target does with its input: one public function per
//! target, calling the custodian library's own parsers exactly as the
//! command-line tool does, then checking a few properties that must hold
//! for every input (a parsed value re-encodes to something that parses to
//! the same value). A panic here is a bug.
//!
//! The same file is compiled into the main crate's test suite
//! (`tests/fuzz_corpus.rs`, by `#[path]`), which replays every committed
//! corpus file through these functions on each `cargo test`, so the
//! corpora stay valid regression inputs without a fuzzer.
//!
//! The targets whose library entry point reads a file (`package`,
//! `hashset_import`, `blinded`) are given the input through a scratch
//! file in the temporary folder, one per process and thread, rewritten
//! for every input: the same path the command-line tool takes.

use std::path::Path;

use custodian::checkpoint::{NoteVerifier, SignedCheckpoint};
use custodian::hashing::ManifestReader;
use custodian::hashlist::HashList;
use custodian::keys::{parse_allowed_signers, SignerKey};
use custodian::ledger::verify::{line_problems, verify_raw};
use custodian::ledger::{RawLedger, VerifyOptions};
use custodian::merkle::proof::Proof;

/// The fixture case's allowed_signers file: the keys the committed
/// ledgers, checkpoints and proofs are signed with, so mutated inputs
/// still reach signature checking.
pub const ALLOWED_SIGNERS: &str = include_str!("../../fixtures/ledger/allowed_signers");

/// The lead investigator's public key (the fixture ledger's root of trust).
pub const LEAD_PUB: &str = include_str!("../../fixtures/keys/lead.pub");

/// Longest input worth trying (larger inputs only cost time; the resource
/// bounds have their own tests in `tests/hostile.rs`).
pub const MAX_LEN: usize = 64 << 10;

/// One ledger line: JSON, canonical form, version, fields, timestamp, body.
pub fn ledger_line(data: &[u8]) {
    let problems = line_problems(data);
    // A line that passes every check must be canonical JSON: re-encoding
    // what it parses to gives the same bytes.
    if problems.is_empty() {
        let v: serde_json::Value = serde_json::from_slice(data).expect("a clean line is JSON");
        assert_eq!(
            custodian::ledger::canonical(&v),
            data,
            "clean line is not canonical"
        );
    }
}

/// A whole ledger, verified with the lead key as the trusted root.
pub fn ledger(data: &[u8]) {
    let lead = SignerKey::from_openssh(LEAD_PUB.trim(), "lead.pub").expect("fixture key");
    let opts = VerifyOptions {
        trusted_roots: vec![lead.fingerprint().clone().into()],
        ..VerifyOptions::default()
    };
    let raw = RawLedger::parse(data.to_vec());
    let report = verify_raw(&raw, &opts);
    assert_eq!(report.entries as usize, raw.lines.len());
    assert_eq!(report.bytes as usize, data.len());
    if report.is_valid() {
        assert!(raw.torn.is_none(), "a torn tail was accepted");
        assert!(!raw.lines.is_empty(), "an empty ledger was accepted");
    }
}

/// A manifest: header, then every record line.
pub fn manifest(data: &[u8]) {
    if let Ok(reader) = ManifestReader::new(data, Path::new("fuzz.jsonl")) {
        for record in reader {
            if record.is_err() {
                break;
            }
        }
    }
}

/// An OpenSSH public key line, and the same text as an allowed_signers file.
pub fn keys(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = SignerKey::from_openssh(text, "fuzz.pub") {
        // What we accepted re-encodes to a line we accept as the same key.
        let again = SignerKey::from_openssh(&key.to_openssh(), "again").expect("re-encoded key");
        assert_eq!(again.fingerprint(), key.fingerprint());
    }
    if let Ok(signers) = parse_allowed_signers(text, "fuzz") {
        for s in signers {
            assert!(!s.principals.is_empty());
        }
    }
    let _ = NoteVerifier::from_allowed_signers(text, "fuzz");
}

/// Any hash list `diff` reads: sha256sum-style (GNU, escaped), BSD and
/// OpenSSL tags, hashdeep, DFXML, custodian manifests.
pub fn hashlist(data: &[u8]) {
    if let Ok(list) = HashList::parse(Path::new("fuzz.txt"), data, None) {
        for f in &list.files {
            // Paths are relative to the stripped prefix, never empty
            // unless the list named an empty path.
            let _ = f.display();
        }
    }
}

/// A signed checkpoint (C2SP signed note), checked against the fixture
/// case's signers.
pub fn checkpoint(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(signed) = SignedCheckpoint::parse(text, "fuzz.txt") {
        let verifiers = NoteVerifier::from_allowed_signers(ALLOWED_SIGNERS, "allowed_signers")
            .expect("fixture");
        let _ = signed.verify_signatures(&verifiers).describe();
        // What we accepted writes back out to a note that parses the same.
        let again = SignedCheckpoint::parse(&signed.to_text(), "again").expect("re-encoded note");
        assert_eq!(again.checkpoint, signed.checkpoint);
    }
}

/// A Merkle proof file (`verify-proof` input): parsed, then verified.
pub fn proof(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Proof::parse(text, "fuzz.json") {
        let verdict = p.verify("fuzz.json");
        let again = Proof::parse(&p.to_json(), "again").expect("re-encoded proof");
        assert_eq!(again, p);
        assert_eq!(p.verify("again").is_ok(), verdict.is_ok());
    }
}

/// Writes `data` to this process's and thread's scratch file for `name`
/// and returns its path (overwritten by the next input).
fn scratch(name: &str, data: &[u8]) -> std::path::PathBuf {
    let tid = format!("{:?}", std::thread::current().id());
    let tid: String = tid.chars().filter(char::is_ascii_digit).collect();
    let path = std::env::temp_dir().join(format!(
        "custodian-fuzz-{}-{tid}-{name}",
        std::process::id()
    ));
    std::fs::write(&path, data).expect("write the scratch file");
    path
}

/// An evidence package as a tar archive, given to `verify-package`'s
/// library function with the lead key as the trusted root: the tar
/// reader, package.json and its signature, the ledger excerpt, proofs,
/// checkpoint and manifests. An archive that verifies has no error
/// finding; one that cannot be read at all is an error, never a panic.
pub fn package(data: &[u8]) {
    use custodian::package::verify::{verify, Level, VerifyOptions};
    let lead = SignerKey::from_openssh(LEAD_PUB.trim(), "lead.pub").expect("fixture key");
    let opts = VerifyOptions {
        trust: vec![lead.fingerprint().clone()],
        evidence: Vec::new(),
        jobs: 1,
        ..VerifyOptions::default()
    };
    let path = scratch("package.tar", data);
    if let Ok(report) = verify(&path, &opts) {
        let errors = report
            .findings
            .iter()
            .filter(|f| f.severity == Level::Error)
            .count();
        if errors == 0 {
            // Accepted: it named its package, case and checkpoint.
            assert!(report.package.is_some(), "accepted without a package id");
            assert!(report.checkpoint.is_some(), "accepted without a checkpoint");
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// A hash-set source file as `hashset import` reads it. The first byte
/// picks the options (format given or detected, CSV column by number or
/// by name, an assumed algorithm); the rest is the file. NSRL RDSv3 is an
/// SQLite database read by SQLite itself, which is out of scope: inputs
/// that would be opened as SQLite are skipped.
pub fn hashset_import(data: &[u8]) {
    use custodian::hashset::{read_source, SourceFormat};
    let Some((&mode, file)) = data.split_first() else {
        return;
    };
    let opts = import_options(mode);
    if opts.format.is_none() && opts.column.is_none() && file.starts_with(b"SQLite format 3\0") {
        return;
    }
    let path = scratch("hashset.txt", file);
    if let Ok(read) = read_source(&path, &opts) {
        assert!(read.read > 0, "a source with no digest was accepted");
        let mut stored = 0u64;
        for (a, bytes) in &read.digests {
            let width = a.hex_len() as u64 / 2;
            assert_eq!(
                bytes.len() as u64 % width,
                0,
                "a partial {} digest",
                a.name()
            );
            stored += bytes.len() as u64 / width;
            if let Some(want) = opts.algorithm {
                assert_eq!(*a, want, "a digest of another algorithm than assumed");
            }
        }
        assert_eq!(stored, read.read, "digests read and kept differ");
        assert_ne!(read.format, SourceFormat::NsrlRds3);
    }
    let _ = std::fs::remove_file(&path);
}

/// The import options the first byte of a `hashset_import` input picks:
/// low nibble the format and CSV column, high nibble the assumed algorithm.
pub fn import_options(mode: u8) -> custodian::hashset::ImportOptions {
    use custodian::hashing::Algorithm;
    use custodian::hashset::{Column, ImportOptions, Kind, SourceFormat};
    let (format, column) = match mode & 0x0f {
        0 => (None, None),
        1 => (Some(SourceFormat::Plain), None),
        2 => (Some(SourceFormat::Csv), Some(Column::Index(1))),
        3 => (Some(SourceFormat::Csv), Some(Column::Index(2))),
        4 => (None, Some(Column::Name("SHA-256".into()))),
        5 => (None, Some(Column::Name("MD5".into()))),
        6 => (Some(SourceFormat::Sum), None),
        7 => (Some(SourceFormat::Hashdeep), None),
        8 => (Some(SourceFormat::Dfxml), None),
        _ => (None, Some(Column::Index(3))),
    };
    let algorithm = match mode >> 4 {
        1 => Some(Algorithm::Md5),
        2 => Some(Algorithm::Sha1),
        3 => Some(Algorithm::Sha256),
        4 => Some(Algorithm::Blake3),
        5 => Some(Algorithm::Sha512),
        _ => None,
    };
    ImportOptions {
        name: "fuzz".into(),
        kind: Kind::KnownBad,
        format,
        algorithm,
        column,
        version: None,
        replace: false,
    }
}

/// The fixture request's TimeStampReq (fixtures/timestamps/).
pub const TSQ: &[u8] = include_bytes!("../../fixtures/timestamps/6-4142434445464748.tsq");

/// The fixture TSA's root certificate.
pub const TSA_CA: &[u8] = include_bytes!("../../fixtures/timestamps/tsa-ca.pem");

/// An RFC 3161 TimeStampResp checked against the fixture request (SHA-256
/// imprint and nonce) and the fixture TSA root, all four levels; the same
/// bytes as a TimeStampReq and through `reply_nonce`. A reply whose
/// structure fails is not checked further; the levels never panic.
pub fn timestamp(data: &[u8]) {
    use custodian::timestamp::{check_response, reply_nonce, Level, Request, TrustAnchors};
    static ANCHORS: std::sync::OnceLock<TrustAnchors> = std::sync::OnceLock::new();
    let anchors = ANCHORS.get_or_init(|| {
        let path = scratch("tsa-ca.pem", TSA_CA);
        let a = TrustAnchors::read(&path).expect("fixture CA");
        let _ = std::fs::remove_file(&path);
        a
    });
    let req = Request::from_der(TSQ, "fixture.tsq").expect("fixture request");
    let checked = check_response(data, &req.imprint, &req.nonce, Some(anchors));
    let structure_ok = matches!(checked.levels.structure, Level::Pass(_));
    assert_eq!(
        reply_nonce(data).is_ok(),
        structure_ok,
        "reply_nonce and level 1 disagree"
    );
    if !structure_ok {
        assert!(!matches!(checked.levels.imprint, Level::Pass(_)));
        assert!(!matches!(checked.levels.signature, Level::Pass(_)));
        assert!(!matches!(checked.levels.chain, Level::Pass(_)));
    }
    if let Ok(r) = Request::from_der(data, "fuzz.tsq") {
        // What parses re-encodes to a request that parses the same.
        assert_eq!(Request::from_der(&r.to_der(), "again").ok(), Some(r));
    }
}

/// A blinded digest file (`index match-blinded` input): header, then
/// sorted distinct HMAC-SHA256 lines. What is accepted holds exactly the
/// announced count, strictly ascending, and its bytes are the header and
/// lines `export` would write.
pub fn blinded(data: &[u8]) {
    use custodian::index::blinded::{header, read};
    let path = scratch("blinded.txt", data);
    if let Ok(file) = read(&path) {
        assert!(file.macs.windows(2).all(|w| w[0] < w[1]), "not ascending");
        let mut again = header(file.algorithm, file.macs.len()).into_bytes();
        again.push(b'\n');
        for m in &file.macs {
            again.extend_from_slice(hex::encode(m).as_bytes());
            again.push(b'\n');
        }
        assert_eq!(again, data, "accepted bytes differ from what export writes");
    }
    let _ = std::fs::remove_file(&path);
}

/// The round-trip property of every list `custodian hash` writes: any
/// byte string as a file name, written between two ordinary records by
/// each writer (GNU `*sum` lines, b3sum lines, hashdeep, DFXML, the JSON
/// manifest), reads back through `HashList::parse` (what `diff` uses) as
/// exactly one record with an equal name and its own digests, neighbours
/// untouched; or, for a format that cannot carry the name, is refused for
/// a documented reason and the list holds the neighbours only. The sum,
/// hashdeep and DFXML lists also go through `hashset import`'s reader,
/// which must count one digest per record and algorithm.
pub fn hashlist_roundtrip(name: &[u8]) {
    use custodian::hashing::Algorithm;
    use custodian::hashlist::write::LineFormat;
    let sums = [
        (LineFormat::Gnu, Algorithm::Sha256),
        (LineFormat::Gnu, Algorithm::Md5),
        (LineFormat::B3sum, Algorithm::Blake3),
    ];
    for (format, algorithm) in sums {
        let refused = format.refuses(name);
        let b3sum_limit = match format {
            LineFormat::B3sum => name.contains(&b'\r') || std::str::from_utf8(name).is_err(),
            _ => false,
        };
        assert_eq!(
            refused.is_some(),
            name.is_empty() || name.contains(&0) || b3sum_limit,
            "{format:?} refuses {name:?} for no documented reason"
        );
        let list = write_list(name, |n, d| {
            custodian::hashlist::write::sum_line(format, d.get(algorithm).expect("digest"), n)
        });
        check_list(
            &list,
            name,
            refused.is_none(),
            &[algorithm],
            Some(algorithm),
        );
    }
    let hd = [Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256];
    let refused = LineFormat::Hashdeep.refuses(name);
    assert_eq!(
        refused.is_some(),
        name.is_empty() || name.contains(&0) || name.contains(&b'\n') || name.contains(&b'\r'),
        "hashdeep refuses {name:?} for no documented reason"
    );
    let mut list = custodian::hashlist::write::hashdeep_header(&hd, b"/fuzz\n1,2,3", '$', b"x\ry");
    list.extend(write_list(name, |n, d| {
        let cols: Vec<&str> = hd.iter().map(|a| d.get(*a).expect("digest")).collect();
        custodian::hashlist::write::hashdeep_line(3, &cols, n)
    }));
    check_list(&list, name, refused.is_none(), &hd, None);
    let all = [
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Blake3,
    ];
    check_list(&dfxml_list(name), name, true, &all, None);
    if name != b"." {
        check_manifest(name);
    }
}

/// Distinct digests (md5, sha1, sha256, blake3) for record `i`.
fn fuzz_digests(i: usize) -> custodian::hashing::Digests {
    use custodian::hashing::Algorithm;
    let mut d = custodian::hashing::Digests::default();
    // The four DFXML writes; the line formats take the ones they hold.
    for a in [
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Blake3,
    ] {
        let hex = format!("{i:x}").repeat(a.hex_len());
        d.insert(a, hex);
    }
    d
}

/// The neighbours written around the fuzzed name.
const NEIGHBOURS: [&[u8]; 2] = [b"first", b"last"];

/// `first`, `name`, `last` through one line writer; a refused name is
/// left out, as `custodian hash` does.
fn write_list<E>(
    name: &[u8],
    line: impl Fn(&[u8], &custodian::hashing::Digests) -> Result<Vec<u8>, E>,
) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, n) in [NEIGHBOURS[0], name, NEIGHBOURS[1]].into_iter().enumerate() {
        match line(n, &fuzz_digests(i)) {
            Ok(l) => out.extend(l),
            Err(_) => assert_eq!(i, 1, "a neighbour was refused"),
        }
    }
    out
}

/// A DFXML list of `first`, `name`, `last` (DFXML carries every name).
fn dfxml_list(name: &[u8]) -> Vec<u8> {
    use custodian::interop::dfxml;
    let creator = dfxml::Creator {
        program: "custodian".into(),
        version: "0".into(),
        command_line: "fuzz".into(),
        start_time: "2026-01-01T00:00:00Z".into(),
        host: None,
    };
    let mut out = Vec::new();
    let meta = dfxml::Metadata {
        kind: "Hash List".into(),
        source: None,
    };
    dfxml::write_header(&mut out, &creator, &meta).expect("in memory");
    for (i, n) in [NEIGHBOURS[0], name, NEIGHBOURS[1]].into_iter().enumerate() {
        let d = fuzz_digests(i);
        let obj = dfxml::FileObject {
            name: n,
            size: Some(3),
            mtime: None,
            ctime: None,
            atime: None,
            digests: &d,
        };
        dfxml::write_fileobject(&mut out, &obj).expect("in memory");
    }
    dfxml::write_footer(&mut out).expect("in memory");
    out
}

/// Reads `list` back as `diff` and `hashset import` do and checks it
/// holds exactly the records written, in order, names and digests equal.
fn check_list(
    list: &[u8],
    name: &[u8],
    written: bool,
    algorithms: &[custodian::hashing::Algorithm],
    assume: Option<custodian::hashing::Algorithm>,
) {
    use custodian::hashlist::HashList;
    let parsed = HashList::parse(Path::new("fuzz.txt"), list, assume)
        .unwrap_or_else(|e| panic!("our own list does not read back: {e}"));
    let mut want: Vec<(Vec<u8>, usize)> = vec![(NEIGHBOURS[0].to_vec(), 0)];
    if written {
        want.push((custodian::hashlist::normalise(name), 1));
    }
    want.push((NEIGHBOURS[1].to_vec(), 2));
    let got: Vec<&[u8]> = parsed.files.iter().map(|f| f.path.as_slice()).collect();
    let expected: Vec<&[u8]> = want.iter().map(|(n, _)| n.as_slice()).collect();
    assert_eq!(got, expected, "records differ from those written");
    for (f, (_, i)) in parsed.files.iter().zip(&want) {
        let d = fuzz_digests(*i);
        for a in algorithms {
            assert_eq!(f.digests.get(*a), d.get(*a), "digest of record {i}");
        }
    }
    if parsed.format == custodian::hashlist::ListFormat::Manifest {
        return;
    }
    let opts = custodian::hashset::ImportOptions {
        algorithm: assume,
        ..import_options(0)
    };
    let path = scratch("roundtrip.txt", list);
    let read = custodian::hashset::read_source(&path, &opts)
        .unwrap_or_else(|e| panic!("hashset import refuses our own list: {e}"));
    assert_eq!(
        read.read,
        (want.len() * algorithms.len()) as u64,
        "hashset import counts other records than written"
    );
    let _ = std::fs::remove_file(&path);
}

/// A one-root JSON manifest with `first`, `name`, `last` as regular files.
fn check_manifest(name: &[u8]) {
    use custodian::hashing::{write_line, AlgorithmSet, FileKind, Record};
    use custodian::hashlist::HashList;
    // The header lists every algorithm the records carry (a reader refuses
    // a digest of an algorithm the header does not list).
    let algos = AlgorithmSet::new(fuzz_digests(0).iter().map(|(a, _)| a)).expect("not empty");
    let header = custodian::hashing::header(&[std::path::PathBuf::from("root")], &algos, false);
    let mut out = Vec::new();
    write_line(&mut out, &header).expect("in memory");
    for (i, n) in [NEIGHBOURS[0], name, NEIGHBOURS[1]].into_iter().enumerate() {
        let mut r = Record::new(0, n, FileKind::File);
        r.digests = fuzz_digests(i);
        write_line(&mut out, &r).expect("in memory");
    }
    let parsed = HashList::parse(Path::new("fuzz.jsonl"), out.as_slice(), None)
        .unwrap_or_else(|e| panic!("our own manifest does not read back: {e}"));
    let got: Vec<&[u8]> = parsed.files.iter().map(|f| f.path.as_slice()).collect();
    assert_eq!(
        got,
        [NEIGHBOURS[0], name, NEIGHBOURS[1]],
        "manifest records"
    );
}

/// An imaging tool's log (`custodian import --from FORMAT`), read as each
/// of the four formats. Whatever is accepted must hold what the parsers
/// promise: digests of the algorithm's length in lowercase hex, each on a
/// line of the log, sector ranges that do not overflow, and the same
/// answer twice.
pub fn import_log(data: &[u8]) {
    use custodian::import::{parse_log, LogError, LogFormat};
    let lines = 1 + data.iter().filter(|&&b| b == b'\n').count();
    for &format in LogFormat::ALL {
        let first = parse_log(format, data);
        assert_eq!(
            first,
            parse_log(format, data),
            "{format}: two readings differ"
        );
        match first {
            Ok((_, log)) => {
                for h in &log.hashes {
                    let len = match h.algorithm.as_str() {
                        "md5" => 32,
                        "sha1" => 40,
                        "sha256" => 64,
                        other => panic!("{format}: algorithm {other:?}"),
                    };
                    assert_eq!(h.value.len(), len, "{format}: {h:?}");
                    assert!(
                        h.value
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                        "{format}: {h:?}"
                    );
                    assert!(
                        h.line >= 1 && h.line <= lines,
                        "{format}: {h:?} of {lines} lines"
                    );
                }
                for r in &log.bad_sectors {
                    assert!(
                        r.count >= 1 && r.first.checked_add(r.count).is_some(),
                        "{format}: {r:?}"
                    );
                }
            }
            Err(LogError::Line { line, .. }) => {
                assert!(
                    line >= 1 && line <= lines,
                    "{format}: error on line {line} of {lines}"
                )
            }
            Err(LogError::Whole(_)) => {}
        }
    }
}

/// One manifest record line as `index add` reads it: the narrow scanner
/// (`index/record.rs`) must read every line it takes exactly as
/// serde_json does, and leave every other line to serde.
pub fn index_record(data: &[u8]) {
    assert!(
        custodian::index::record_readers_agree(data),
        "the index's record scanner and serde_json disagree on {:?}",
        String::from_utf8_lossy(data)
    );
}
