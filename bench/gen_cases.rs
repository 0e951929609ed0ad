//! Writes valid case folders with large synthetic manifests quickly, for
//! the index benchmark (bench/index.sh): each case is opened and each
//! exhibit acquired through the library (signed entries, manifests bound by
//! their SHA-256), but the manifests are generated rather than hashed from
//! real files. Records look like real ones (all metadata fields, md5, sha1
//! and sha256). About `SHARED_PERCENT` of the files in each exhibit have
//! content drawn from a small common pool, so cases share files.
//!
//! Usage: gen_cases OUT_DIR CASES EXHIBITS FILES_PER_EXHIBIT KEYFILE [SHARED_PERCENT]
//! Prints, on stdout, 10,000 sha256 digests present in the generated data
//! (half of the lookups of the benchmark) when GEN_DIGESTS=FILE is set.

use std::io::Write;
use std::path::PathBuf;

use custodian::hashing::{Algorithm, AlgorithmSet, FileKind, Record};
use custodian::ledger::{
    manifest_rel_path, AcquisitionCounts, Body, ExhibitAcquire, ManifestRef, Role, Stamp,
};
use custodian::{Case, CaseInit, SigningKey};
use sha2::{Digest, Sha256};

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

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

fn digests_of(seed: u64) -> [String; 3] {
    let mut r = Rng(seed);
    [
        hex::encode(r.bytes(16)),
        hex::encode(r.bytes(20)),
        hex::encode(r.bytes(32)),
    ]
}

/// One synthetic manifest record: every metadata field, three digests.
fn record(f: u64, x: u64, md5: String, sha1: String, sha256: String) -> Record {
    let name = format!(
        "Users/suspect/Documents/folder-{}/file-{f:08}.dat",
        f / 1000
    );
    let mut r = Record::new(0, name.as_bytes(), FileKind::File);
    r.size = Some(x % 10_000_000);
    r.mode = Some("0644".into());
    r.uid = Some(1000);
    r.gid = Some(1000);
    r.nlink = Some(1);
    r.dev = Some("2049".into());
    r.ino = Some((x >> 20).to_string());
    let t = "2026-03-01T09:15:02.123456789Z".to_string();
    r.mtime = Some(t.clone());
    r.ctime = Some(t.clone());
    r.atime = Some(t);
    r.digests.insert(Algorithm::Md5, md5);
    r.digests.insert(Algorithm::Sha1, sha1);
    r.digests.insert(Algorithm::Sha256, sha256);
    r
}

/// Hashes what it writes, so a manifest of any size is streamed to disk
/// (bench/memory.sh makes multi-GiB ones for the package row) instead of
/// being held in memory before its SHA-256 is known.
struct Hashing<W> {
    inner: W,
    sha: Sha256,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes the manifest at `path` (header, then `files` records from
/// `next`); returns its SHA-256 (hex) and length in bytes.
fn write_manifest(
    path: &std::path::Path,
    root: &std::path::Path,
    algos: &AlgorithmSet,
    files: u64,
    mut next: impl FnMut(u64) -> Record,
) -> (String, u64) {
    let file = std::fs::File::create(path).expect("create manifest");
    let mut out = std::io::BufWriter::with_capacity(
        1 << 20,
        Hashing {
            inner: file,
            sha: Sha256::new(),
            len: 0,
        },
    );
    let header =
        custodian::hashing::header(std::slice::from_ref(&root.to_path_buf()), algos, false);
    serde_json::to_writer(&mut out, &header).unwrap();
    out.write_all(b"\n").unwrap();
    for f in 0..files {
        serde_json::to_writer(&mut out, &next(f)).unwrap();
        out.write_all(b"\n").unwrap();
    }
    let h = out
        .into_inner()
        .map_err(|e| e.into_error())
        .expect("write manifest");
    (hex::encode(h.sha.finalize()), h.len)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        eprintln!(
            "usage: gen_cases OUT_DIR CASES EXHIBITS FILES_PER_EXHIBIT KEYFILE [SHARED_PERCENT]"
        );
        std::process::exit(2);
    }
    let out = PathBuf::from(&args[1]);
    let cases: u64 = args[2].parse().expect("CASES");
    let exhibits: u64 = args[3].parse().expect("EXHIBITS");
    let files: u64 = args[4].parse().expect("FILES_PER_EXHIBIT");
    let key = SigningKey::load(&PathBuf::from(&args[5]), || Ok(None)).expect("unencrypted key");
    let shared: u64 = args
        .get(6)
        .map(|s| s.parse().expect("SHARED_PERCENT"))
        .unwrap_or(1);
    let mut sample = Vec::new();
    let stamp = Stamp::now();
    let algos = AlgorithmSet::new([Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256]).unwrap();
    let mut rng = Rng(42);
    for c in 0..cases {
        let dir = out.join(format!("case-{c:04}"));
        let init = CaseInit {
            case_id: format!("BENCH-{c:04}"),
            title: "index benchmark".into(),
            authority: None,
            authority_details: None,
            jurisdiction: None,
            examiner: None,
            principal: None,
            role: Role::Supervisor,
            qualifications: None,
            policy: None,
        };
        let (case, _) = Case::create(&dir, &init, &key, &stamp).expect("create case");
        std::fs::create_dir_all(case.manifests_dir()).unwrap();
        for e in 0..exhibits {
            let exhibit = format!("EXH-{e:03}");
            let rel = manifest_rel_path(&exhibit);
            let root = PathBuf::from(format!("/mnt/evidence/{c}/{e}"));
            let path = dir.join(&rel);
            let (sha256, len) = write_manifest(&path, &root, &algos, files, |f| {
                let x = rng.next();
                let seed = if x % 100 < shared {
                    1_000_000_000 + (x / 100) % 1000
                } else {
                    x
                };
                let [md5, sha1, sha256] = digests_of(seed);
                if sample.len() < 5000 && f % 97 == 0 {
                    sample.push(sha256.clone());
                }
                record(f, x, md5, sha1, sha256)
            });
            let body = ExhibitAcquire {
                exhibit: custodian::ledger::ExhibitId::parse(&exhibit).unwrap(),
                description: None,
                source: None,
                authority: None,
                algorithms: algos.iter().map(|a| a.name().to_string()).collect(),
                roots: vec![root.display().to_string()],
                manifest: ManifestRef {
                    path: rel,
                    sha256,
                    bytes: len,
                },
                counts: AcquisitionCounts {
                    files,
                    ..AcquisitionCounts::default()
                },
                started: custodian::time::format(custodian::time::now()),
                finished: custodian::time::format(custodian::time::now()),
                host: "bench".into(),
                digests: None,
                ewf: Vec::new(),
                override_reason: None,
                source_device: None,
                clock: None,
                host_system: None,
            };
            case.append_at(&key, &Body::ExhibitAcquire(Box::new(body)), &stamp)
                .expect("append");
        }
    }
    if let Ok(p) = std::env::var("GEN_DIGESTS") {
        let mut f = std::io::BufWriter::new(std::fs::File::create(p).unwrap());
        // Half present, half absent.
        for d in &sample {
            writeln!(f, "{d}").unwrap();
        }
        for i in 0..sample.len() {
            writeln!(f, "{}", digests_of(u64::MAX - i as u64)[2]).unwrap();
        }
    }
}
