//! Evidence packages (docs/spec/package.md): the layout of a package, the
//! limit on each of its members, and `package.json`, the index the
//! packager signs.
//!
//! This is what a verifier needs to read a package without the home case;
//! building, writing and reading packages (directories, tar archives) is
//! the engine's. The index is written pretty-printed with a final LF and
//! signed as those exact bytes: a verifier checks the signature over the
//! bytes it was given, then parses them with [`Index::parse`], and never
//! re-serialises them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::id::{CaseId, ExhibitId};
use crate::sshsig::{Fingerprint, MAX_ALLOWED_SIGNERS_BYTES};

/// `format` of `package.json` for this version.
pub const PACKAGE_FORMAT: &str = "custodian-package-v1";
/// SSHSIG namespace of the detached signature of `package.json` (distinct
/// from the ledger's and reports', so no signature passes as another).
pub const PACKAGE_NAMESPACE: &str = "custodian-package-v1";
/// The signed index of the package.
pub const INDEX_FILE: &str = "package.json";
/// Its detached signature (armoured SSHSIG).
pub const SIGNATURE_FILE: &str = "package.json.sig";
/// The disclosed ledger lines, byte for byte, in `seq` order.
pub const ENTRIES_FILE: &str = "ledger/entries.jsonl";
/// The signed checkpoint every proof is checked against.
pub const CHECKPOINT_FILE: &str = "checkpoint.txt";
/// The signers' public keys as an OpenSSH allowed_signers file.
pub const SIGNERS_FILE: &str = "signers/allowed_signers";
/// How to verify, in plain words.
pub const README_FILE: &str = "README.txt";
/// The folders the layout has; any other folder is refused
/// (`not-regular-file`).
pub const LAYOUT_DIRS: &[&str] = &[
    "attachments",
    "attachments/sha256",
    "ledger",
    "manifests",
    "proofs",
    "signers",
];

/// `proofs/SEQ.json`: the inclusion proof of entry SEQ.
pub fn proof_path(seq: u64) -> String {
    format!("proofs/{seq}.json")
}

/// `manifests/EXHIBIT.jsonl`: the manifest shared for an exhibit.
pub fn manifest_path(exhibit: &str) -> String {
    format!("manifests/{exhibit}.jsonl")
}

/// The largest a member of a package may be, by its place in the layout
/// (docs/spec/package.md §4): the limit of its format where it has one,
/// else a generous bound for what legitimately grows with the case (the
/// shared manifests, the disclosed ledger lines). A reader refuses a
/// larger member before it reads a byte of it: a 2 GiB `package.json`
/// must not cost gigabytes of memory.
pub fn member_limit(rel: &str) -> u64 {
    const MIB: u64 = 1 << 20;
    match rel {
        INDEX_FILE => 64 * MIB,
        SIGNATURE_FILE => 64 * 1024,
        CHECKPOINT_FILE => crate::checkpoint::MAX_NOTE_BYTES as u64,
        SIGNERS_FILE => MAX_ALLOWED_SIGNERS_BYTES,
        README_FILE => MIB,
        r if r.starts_with("proofs/") => crate::merkle::MAX_PROOF_BYTES as u64,
        // The attachment limit (docs/guide/attachments.md).
        r if r.starts_with("attachments/") => 512 * MIB,
        // Manifests and ledger lines grow with the evidence: bounded only
        // against absurdity (a manifest of tens of millions of files is a
        // few GiB).
        _ => 16 * 1024 * MIB,
    }
}

/// Why bytes are not a `package.json` this version reads.
#[derive(Debug, thiserror::Error)]
pub enum IndexParseError {
    /// Not JSON, a member missing or of the wrong type, or an unknown
    /// member.
    #[error("not a package index ({0})")]
    Json(#[source] serde_json::Error),
    /// A `format` other than [`PACKAGE_FORMAT`].
    #[error("format is {found:?}, this verifier reads {PACKAGE_FORMAT:?}")]
    Format { found: String },
}

/// A file of the package as `package.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    /// Relative, `/`-separated.
    pub path: String,
    /// Lowercase hex SHA-256 of the file's bytes.
    pub sha256: String,
    pub bytes: u64,
}

impl FileRef {
    /// The listing of the file at `path` holding `bytes`.
    pub fn of(path: &str, bytes: &[u8]) -> FileRef {
        FileRef {
            path: path.to_string(),
            sha256: hex::encode(Sha256::digest(bytes)),
            bytes: bytes.len() as u64,
        }
    }

    /// Whether `bytes` are the file listed (same SHA-256 and size).
    pub fn matches(&self, bytes: &[u8]) -> bool {
        bytes.len() as u64 == self.bytes && hex::encode(Sha256::digest(bytes)) == self.sha256
    }
}

/// An entry that concerns a shared exhibit but is not disclosed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withheld {
    pub seq: u64,
    /// Hex SHA-256 of the entry's line (its Merkle leaf input).
    pub entry_hash: String,
    pub reason: String,
}

impl Withheld {
    /// The entry hash as bytes, if `entry_hash` is 64 hex digits.
    pub fn hash(&self) -> Option<[u8; 32]> {
        let mut h = [0u8; 32];
        hex::decode_to_slice(&self.entry_hash, &mut h).ok()?;
        Some(h)
    }
}

/// `package.json`: what the package holds, signed by the packager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// [`PACKAGE_FORMAT`].
    pub format: String,
    /// The package id, as in the disclosure entry.
    pub package: String,
    pub case_id: CaseId,
    /// The checkpoint origin of the case.
    pub origin: String,
    pub recipient: String,
    /// The exhibits shared, as in the disclosure entry.
    pub exhibits: Vec<ExhibitId>,
    /// When the package was built (ledger time form).
    pub created: String,
    /// Fingerprint of the key that signed `package.json` (and the
    /// disclosure entry).
    pub packager: Fingerprint,
    /// `seq` of the `custody.disclose` entry recording this package.
    pub disclosure: u64,
    pub redacted_paths: bool,
    /// `seq` of every disclosed entry, ascending.
    pub entries: Vec<u64>,
    /// Entries withheld, ascending by `seq`.
    pub withheld: Vec<Withheld>,
    /// Every other file of the package except [`INDEX_FILE`] and
    /// [`SIGNATURE_FILE`], sorted by path.
    pub files: Vec<FileRef>,
}

impl Index {
    /// The bytes written as `package.json` (and signed): pretty-printed
    /// JSON, two-space indent, members in declaration order, a final LF.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("the index serialises");
        v.push(b'\n');
        v
    }

    /// Reads `package.json`: every member present and of its type, no
    /// other member, and the format of this version.
    pub fn parse(bytes: &[u8]) -> Result<Index, IndexParseError> {
        let index: Index = serde_json::from_slice(bytes).map_err(IndexParseError::Json)?;
        if index.format != PACKAGE_FORMAT {
            return Err(IndexParseError::Format {
                found: index.format,
            });
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Index {
        Index {
            format: PACKAGE_FORMAT.into(),
            package: "pkg-0123456789abcdef".into(),
            case_id: CaseId::unchecked("2026-0042"),
            origin: "custodian.case/2026-0042".into(),
            recipient: "Defence".into(),
            exhibits: vec![ExhibitId::unchecked("EXH-1")],
            created: "2026-01-02T03:04:05Z".into(),
            packager: Fingerprint::parse("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU")
                .unwrap(),
            disclosure: 4,
            redacted_paths: false,
            entries: vec![0, 1, 4],
            withheld: vec![Withheld {
                seq: 3,
                entry_hash: "ab".repeat(32),
                reason: "r".into(),
            }],
            files: vec![FileRef::of("README.txt", b"abc")],
        }
    }

    /// The bytes written are pretty JSON with a final LF, and read back
    /// to the same index.
    #[test]
    fn index_round_trips_through_its_bytes() {
        let i = index();
        let bytes = i.to_bytes();
        assert!(bytes.starts_with(b"{\n  \"format\": \"custodian-package-v1\",\n"));
        assert!(bytes.ends_with(b"}\n"));
        assert_eq!(Index::parse(&bytes).unwrap(), i);
        assert_eq!(
            i.files[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(i.files[0].matches(b"abc") && !i.files[0].matches(b"abd"));
        assert_eq!(i.withheld[0].hash(), Some([0xab; 32]));
    }

    #[test]
    fn other_formats_and_unknown_members_are_refused() {
        let mut i = index();
        i.format = "custodian-package-v2".into();
        let err = Index::parse(&i.to_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"format is "custodian-package-v2", this verifier reads "custodian-package-v1""#
        );
        let mut v: serde_json::Value = serde_json::from_slice(&index().to_bytes()).unwrap();
        v["extra"] = true.into();
        let err = Index::parse(v.to_string().as_bytes()).unwrap_err();
        assert!(matches!(err, IndexParseError::Json(_)), "{err}");
        assert!(err.to_string().starts_with("not a package index ("));
        let w = Withheld {
            seq: 1,
            entry_hash: "zz".into(),
            reason: String::new(),
        };
        assert_eq!(w.hash(), None);
    }

    #[test]
    fn members_are_bounded_by_their_place() {
        assert_eq!(member_limit(INDEX_FILE), 64 << 20);
        assert_eq!(member_limit(SIGNATURE_FILE), 64 << 10);
        assert_eq!(member_limit("proofs/7.json"), 1 << 20);
        assert_eq!(member_limit(&manifest_path("EXH-1")), 16 << 30);
        assert_eq!(proof_path(7), "proofs/7.json");
    }
}
