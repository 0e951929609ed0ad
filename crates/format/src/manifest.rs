//! Exhibit manifests (docs/spec/manifest.md): digest algorithms, the
//! header line and one record per filesystem object.
//!
//! These structs *are* the wire format: each manifest line is the RFC 8785
//! canonical JSON of one of them, so the same tree always gives the same
//! bytes. Reading a file system into them is the engine's work
//! (`custodian::hashing`); this module only says what the lines are.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::str::FromStr;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A digest algorithm name that custodian does not know, or an empty set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlgorithmError {
    #[error("unknown digest algorithm {0:?} (known: md5, sha1, sha256, sha512, sha3-256, blake3)")]
    Unknown(String),
    #[error("no digest algorithm requested")]
    Empty,
}

/// A digest algorithm custodian can compute.
///
/// The declaration order is the `Ord` order, from weakest to strongest:
/// MD5 and SHA-1 are broken for collisions and are kept only because courts
/// and older tools still ask for them; SHA-256, SHA3-256 and BLAKE3 give
/// 128-bit collision resistance (ordered by age of standardisation, so the
/// most widely accepted comes first); SHA-512 gives 256-bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    Md5,
    Sha1,
    Sha256,
    Sha3_256,
    Blake3,
    Sha512,
}

impl Algorithm {
    /// All algorithms, weakest first.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Sha3_256,
        Algorithm::Blake3,
        Algorithm::Sha512,
    ];

    /// The stable name used on the command line and in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha3_256 => "sha3-256",
            Algorithm::Blake3 => "blake3",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Length of the digest in lowercase hex characters.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Md5 => 32,
            Algorithm::Sha1 => 40,
            Algorithm::Sha256 | Algorithm::Sha3_256 | Algorithm::Blake3 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = AlgorithmError;

    /// Accepts the manifest names case-insensitively, plus the common
    /// spellings with a dash or underscore (`sha-256`, `sha3_256`), because
    /// examiners type what their other tools accept.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        Ok(match norm.as_str() {
            "md5" => Algorithm::Md5,
            "sha1" => Algorithm::Sha1,
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            "sha3256" => Algorithm::Sha3_256,
            "blake3" => Algorithm::Blake3,
            _ => return Err(AlgorithmError::Unknown(s.to_string())),
        })
    }
}

impl Serialize for Algorithm {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Algorithm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A non-empty, sorted (weakest first), duplicate-free set of algorithms.
///
/// Sorted so that manifests and output columns do not depend on the order
/// the user typed them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Algorithm>", into = "Vec<Algorithm>")]
pub struct AlgorithmSet(Vec<Algorithm>);

impl AlgorithmSet {
    /// Builds a set; fails if `algos` is empty.
    pub fn new(algos: impl IntoIterator<Item = Algorithm>) -> Result<Self, AlgorithmError> {
        let mut v: Vec<Algorithm> = algos.into_iter().collect();
        v.sort();
        v.dedup();
        if v.is_empty() {
            return Err(AlgorithmError::Empty);
        }
        Ok(AlgorithmSet(v))
    }

    /// A set of one algorithm.
    pub fn single(a: Algorithm) -> Self {
        AlgorithmSet(vec![a])
    }

    /// The algorithms, weakest first.
    pub fn as_slice(&self) -> &[Algorithm] {
        &self.0
    }

    pub fn iter(&self) -> impl Iterator<Item = Algorithm> + '_ {
        self.0.iter().copied()
    }

    pub fn contains(&self, a: Algorithm) -> bool {
        self.0.contains(&a)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: the set is never empty. Present for clippy's sake.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The strongest algorithm in the set.
    pub fn strongest(&self) -> Algorithm {
        *self.0.last().expect("AlgorithmSet is never empty")
    }
}

/// The default set, md5+sha1+sha256: what most labs' SOPs and hashdeep
/// known-file lists expect.
impl Default for AlgorithmSet {
    fn default() -> Self {
        AlgorithmSet(vec![Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256])
    }
}

impl FromStr for AlgorithmSet {
    type Err = AlgorithmError;

    /// Parses a comma-separated list such as `md5,sha1,sha256`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let algos = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()?;
        AlgorithmSet::new(algos)
    }
}

impl fmt::Display for AlgorithmSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(a.name())?;
        }
        Ok(())
    }
}

impl TryFrom<Vec<Algorithm>> for AlgorithmSet {
    type Error = AlgorithmError;
    fn try_from(v: Vec<Algorithm>) -> Result<Self, AlgorithmError> {
        AlgorithmSet::new(v)
    }
}

impl From<AlgorithmSet> for Vec<Algorithm> {
    fn from(s: AlgorithmSet) -> Self {
        s.0
    }
}

/// Digests of one file: algorithm → lowercase hex. Serialised as a JSON
/// object with keys in byte order of the names (canonical JSON order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Digests(BTreeMap<Algorithm, String>);

impl Serialize for Digests {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut v: Vec<(&str, &String)> = self.0.iter().map(|(a, h)| (a.name(), h)).collect();
        v.sort_unstable_by_key(|(n, _)| *n);
        let mut m = s.serialize_map(Some(v.len()))?;
        for (n, h) in v {
            m.serialize_entry(n, h)?;
        }
        m.end()
    }
}

impl Digests {
    /// The lowercase hex digest for `a`, if it was computed.
    pub fn get(&self, a: Algorithm) -> Option<&str> {
        self.0.get(&a).map(String::as_str)
    }

    pub fn insert(&mut self, a: Algorithm, hex: String) {
        self.0.insert(a, hex);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// (algorithm, hex) pairs, weakest first.
    pub fn iter(&self) -> impl Iterator<Item = (Algorithm, &str)> {
        self.0.iter().map(|(a, h)| (*a, h.as_str()))
    }
}

/// Manifest format name, first field checked by readers.
pub const FORMAT_NAME: &str = "custodian-manifest";
/// The newest manifest format version described in `docs/spec/manifest.md`.
/// Version 2 adds each root's absolute path (`abs`); a manifest without
/// one is still written as version 1, which every reader reads.
pub const FORMAT_VERSION: u32 = 2;

/// The versions a reader of this build accepts.
pub const FORMAT_VERSIONS: std::ops::RangeInclusive<u32> = 1..=FORMAT_VERSION;

/// The kind of filesystem object a record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    Fifo,
    Socket,
    BlockDevice,
    CharDevice,
    /// Unknown type, or the object vanished before it could be examined.
    Other,
}

impl FileKind {
    /// The manifest spelling (`block-device`, …).
    pub fn name(self) -> &'static str {
        match self {
            FileKind::File => "file",
            FileKind::Dir => "dir",
            FileKind::Symlink => "symlink",
            FileKind::Fifo => "fifo",
            FileKind::Socket => "socket",
            FileKind::BlockDevice => "block-device",
            FileKind::CharDevice => "char-device",
            FileKind::Other => "other",
        }
    }
}

/// A path as text plus, only when the raw bytes are not UTF-8, the exact
/// bytes in base64. JSON strings cannot carry arbitrary bytes, and a
/// forensic record must not silently replace them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRef {
    /// Path relative to the root, `/`-separated; `.` is the root itself.
    /// Lossy (U+FFFD) when `path_b64` is present.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_b64: Option<String>,
    /// Index into the header's `roots`.
    pub root: u32,
}

/// Encodes raw bytes as (lossy text, base64 of the bytes if not UTF-8).
pub fn encode_bytes(raw: &[u8]) -> (String, Option<String>) {
    match std::str::from_utf8(raw) {
        Ok(s) => (s.to_string(), None),
        Err(_) => (
            String::from_utf8_lossy(raw).into_owned(),
            Some(base64::engine::general_purpose::STANDARD.encode(raw)),
        ),
    }
}

/// Inverse of [`encode_bytes`]: the exact raw bytes. A `b64` that is not
/// valid base64 falls back to the text, which the reader reports elsewhere.
pub fn decode_bytes<'a>(text: &'a str, b64: Option<&str>) -> Option<Cow<'a, [u8]>> {
    match b64 {
        None => Some(Cow::Borrowed(text.as_bytes())),
        Some(b) => base64::engine::general_purpose::STANDARD
            .decode(b)
            .ok()
            .map(Cow::Owned),
    }
}

/// One filesystem object. Optional fields are omitted from the JSON when
/// absent; see the manifest spec for when each is present.
///
/// Fields are declared in JSON key order (bytewise), so plain serde_json
/// output is already RFC 8785 canonical (see [`canonical_json`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atime: Option<String>,
    /// Size, mtime or ctime differed between before and after the read.
    #[serde(default, skip_serializing_if = "is_false")]
    pub changed_during_read: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctime: Option<String>,
    /// Device number as a decimal string (64-bit values do not survive
    /// JSON numbers, which canonical JSON reads as IEEE doubles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    #[serde(default, skip_serializing_if = "Digests::is_empty")]
    pub digests: Digests,
    /// The OS error message when the object could not be examined or read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// For the second and later paths of a hard-linked file: the first path
    /// (in manifest order) of the same dev+inode, which was the one read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardlink_of: Option<PathRef>,
    /// Inode number as a decimal string, for the same reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ino: Option<String>,
    /// Permission bits (st_mode & 0o7777) as four octal digits, e.g. "0644".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nlink: Option<u64>,
    /// Path relative to the root (`.` for the root itself), lossy text.
    pub path: String,
    /// Raw path bytes in base64, present only when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_b64: Option<String>,
    /// Index into the header's `roots`.
    pub root: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Why the object was deliberately not examined further (`excluded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Symlink target as text (lossy when `target_b64` is present). Also
    /// set on a followed symlink, whose other fields describe the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_b64: Option<String>,
    #[serde(rename = "type")]
    pub kind: FileKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// RFC 8785 canonical JSON of a manifest line (header or record), without
/// the newline.
///
/// serde_jcs re-sorts every object through an intermediate map and costs
/// several microseconds per record, which on a tree of small files is a
/// noticeable share of the run on the single thread that writes the
/// manifest. Our types declare their fields in key order and hold no
/// floats, and serde_json escapes strings exactly as JCS does, so its
/// output is already canonical; a test checks it byte for byte against
/// serde_jcs on hostile records.
pub fn canonical_json<T: Serialize>(v: &T) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(v)
}

/// Formats a Unix time as RFC 3339 UTC with nine fractional digits, so
/// every timestamp has the same shape and sorts as text.
pub fn format_time(secs: i64, nanos: i64) -> Option<String> {
    let nanos = u32::try_from(nanos).ok()?;
    chrono::DateTime::from_timestamp(secs, nanos)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
}

impl Record {
    /// A record with only the path and kind set.
    pub fn new(root: u32, rel: &[u8], kind: FileKind) -> Self {
        let (path, path_b64) = encode_bytes(rel);
        Record {
            root,
            path,
            path_b64,
            kind,
            size: None,
            mode: None,
            uid: None,
            gid: None,
            nlink: None,
            dev: None,
            ino: None,
            mtime: None,
            ctime: None,
            atime: None,
            digests: Digests::default(),
            target: None,
            target_b64: None,
            hardlink_of: None,
            error: None,
            changed_during_read: false,
            skipped: None,
        }
    }

    /// The exact raw bytes of `path`.
    pub fn path_bytes(&self) -> Cow<'_, [u8]> {
        decode_bytes(&self.path, self.path_b64.as_deref())
            .unwrap_or(Cow::Borrowed(self.path.as_bytes()))
    }

    /// The exact raw bytes of the symlink target, if any.
    pub fn target_bytes(&self) -> Option<Cow<'_, [u8]>> {
        let t = self.target.as_deref()?;
        decode_bytes(t, self.target_b64.as_deref())
    }

    /// This record's location, for `hardlink_of` references.
    pub fn path_ref(&self) -> PathRef {
        PathRef {
            root: self.root,
            path: self.path.clone(),
            path_b64: self.path_b64.clone(),
        }
    }
}

/// A root as given by the caller and, from version 2, where it was: its
/// absolute path, canonical (symbolic links resolved in every component
/// but the last, so a root that is itself a link is named, not its
/// target).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootName {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_b64: Option<String>,
    /// Version 2: the absolute path (`abs_b64` when not UTF-8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abs_b64: Option<String>,
}

impl RootName {
    pub fn new(p: &std::path::Path) -> Self {
        let (path, path_b64) = encode_bytes(p.as_os_str().as_bytes());
        RootName {
            path,
            path_b64,
            abs: None,
            abs_b64: None,
        }
    }

    /// The exact bytes of the absolute path, if recorded.
    pub fn abs_bytes(&self) -> Option<Cow<'_, [u8]>> {
        let a = self.abs.as_deref()?;
        decode_bytes(a, self.abs_b64.as_deref())
    }
}

/// First line of a manifest. Holds nothing that varies between two runs
/// over the same tree (no times, no host), so manifests compare byte for
/// byte; when and where belong in the ledger entry that cites it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub algorithms: AlgorithmSet,
    pub follow_symlinks: bool,
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The roots exactly as given, in order; records refer to them by index.
    pub roots: Vec<RootName>,
    /// `custodian <version>` that wrote the manifest.
    pub tool: String,
    /// 1, or 2 when the roots carry their absolute paths.
    pub version: u32,
}

impl Header {
    /// A header for `roots`, written by `tool` (e.g. `custodian 0.1.0`).
    pub fn new(
        roots: &[std::path::PathBuf],
        algorithms: &AlgorithmSet,
        follow: bool,
        tool: &str,
    ) -> Self {
        Header {
            format: FORMAT_NAME.to_string(),
            version: 1,
            algorithms: algorithms.clone(),
            roots: roots.iter().map(|r| RootName::new(r)).collect(),
            follow_symlinks: follow,
            tool: tool.to_string(),
        }
    }

    /// The same header with each root's absolute path (`abs[i]` for root
    /// `i`; a root without one keeps none), as version 2.
    pub fn with_absolute_roots(mut self, abs: &[Option<std::path::PathBuf>]) -> Self {
        for (root, a) in self.roots.iter_mut().zip(abs) {
            if let Some(a) = a {
                let (text, b64) = encode_bytes(a.as_os_str().as_bytes());
                root.abs = Some(text);
                root.abs_b64 = b64;
            }
        }
        self.version = 2;
        self
    }

    /// Why this header cannot be read by this build: an unknown format or
    /// version, or absolute paths in a version-1 header.
    pub fn unsupported(&self) -> Option<String> {
        if self.format != FORMAT_NAME || !FORMAT_VERSIONS.contains(&self.version) {
            return Some(format!(
                "unsupported format {:?} version {} (this reader knows {FORMAT_NAME:?} versions 1 to {FORMAT_VERSION})",
                self.format, self.version
            ));
        }
        if self.version == 1
            && self
                .roots
                .iter()
                .any(|r| r.abs.is_some() || r.abs_b64.is_some())
        {
            return Some("a version-1 header cannot hold absolute root paths (abs)".into());
        }
        None
    }
}

/// Why a record cannot stand in a manifest with a given header, beyond
/// its JSON shape: references and encodings that a reader would otherwise
/// have to guess about. A reader refuses such a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordProblem {
    #[error("root {root} is not in the header (it lists {roots})")]
    RootOutOfRange { root: u32, roots: usize },
    #[error("{field} is not standard base64")]
    BadBase64 { field: &'static str },
    #[error("{field} is given without the text it encodes")]
    Base64WithoutText { field: &'static str },
    #[error("the {algorithm} digest is not {len} lowercase hex digits")]
    BadDigest { algorithm: Algorithm, len: usize },
    #[error("a {algorithm} digest, which the header does not list")]
    UnlistedAlgorithm { algorithm: Algorithm },
}

impl Record {
    /// Checks the record against its manifest's header: root indexes in
    /// range, `_b64` members valid, every digest lowercase hex of its
    /// algorithm's length and of an algorithm the header lists.
    pub fn check(&self, header: &Header) -> Result<(), RecordProblem> {
        let roots = header.roots.len();
        let in_range = |root: u32| {
            if (root as usize) < roots {
                Ok(())
            } else {
                Err(RecordProblem::RootOutOfRange { root, roots })
            }
        };
        in_range(self.root)?;
        let b64 = |field: &'static str, v: Option<&str>| match v {
            Some(b) if base64::engine::general_purpose::STANDARD.decode(b).is_err() => {
                Err(RecordProblem::BadBase64 { field })
            }
            _ => Ok(()),
        };
        b64("path_b64", self.path_b64.as_deref())?;
        b64("target_b64", self.target_b64.as_deref())?;
        if self.target_b64.is_some() && self.target.is_none() {
            return Err(RecordProblem::Base64WithoutText {
                field: "target_b64",
            });
        }
        if let Some(h) = &self.hardlink_of {
            in_range(h.root)?;
            b64("hardlink_of.path_b64", h.path_b64.as_deref())?;
        }
        for (algorithm, hex) in self.digests.iter() {
            if !header.algorithms.contains(algorithm) {
                return Err(RecordProblem::UnlistedAlgorithm { algorithm });
            }
            let len = algorithm.hex_len();
            if !crate::id::is_lower_hex(hex, len) {
                return Err(RecordProblem::BadDigest { algorithm, len });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    fn set_target(r: &mut Record, raw: &[u8]) {
        let (t, b) = encode_bytes(raw);
        r.target = Some(t);
        r.target_b64 = b;
    }

    #[test]
    fn non_utf8_bytes_round_trip() {
        let raw = b"caf\xe9\n\\tab\t";
        let (t, b) = encode_bytes(raw);
        assert!(b.is_some());
        assert_eq!(&*decode_bytes(&t, b.as_deref()).unwrap(), raw);
        let (t, b) = encode_bytes("ünï\n\\".as_bytes());
        assert!(b.is_none());
        assert_eq!(t, "ünï\n\\");
    }

    #[test]
    fn times_have_nine_digits_and_handle_pre_epoch() {
        assert_eq!(format_time(1, 5).unwrap(), "1970-01-01T00:00:01.000000005Z");
        assert_eq!(
            format_time(-1, 0).unwrap(),
            "1969-12-31T23:59:59.000000000Z"
        );
        assert_eq!(format_time(0, -1), None);
    }

    #[test]
    fn record_json_is_canonical_and_round_trips() {
        let mut r = Record::new(0, b"a\xff", FileKind::Symlink);
        set_target(&mut r, b"../x");
        let line = serde_jcs::to_string(&r).unwrap();
        assert_eq!(canonical_json(&r).unwrap(), line.as_bytes());
        assert_eq!(
            line,
            r#"{"path":"a�","path_b64":"Yf8=","root":0,"target":"../x","type":"symlink"}"#
        );
        let back: Record = serde_json::from_str(&line).unwrap();
        assert_eq!(back, r);
        assert_eq!(&*back.path_bytes(), b"a\xff");
    }

    /// The fast path must equal serde_jcs byte for byte, on every field and
    /// on strings full of characters JSON escapes (or must not).
    #[test]
    fn canonical_json_equals_serde_jcs() {
        let mut names: Vec<Vec<u8>> = vec![b"plain".to_vec(), b"\xff\xfe raw".to_vec()];
        names.push((0u8..0x80).collect());
        names.push(
            "é ü \u{2028} \u{2029} \u{7f} \u{1F600} \"q\" \\ / <>&"
                .as_bytes()
                .to_vec(),
        );
        for (i, name) in names.iter().enumerate() {
            let mut r = Record::new(i as u32, name, FileKind::File);
            r.size = Some(u64::from(u32::MAX) * 3);
            r.mode = Some("4755".into());
            (r.uid, r.gid, r.nlink) = (Some(0), Some(u32::MAX), Some(2));
            r.dev = Some(u64::MAX.to_string());
            r.ino = Some("12".into());
            r.mtime = format_time(-5, 999_999_999);
            r.ctime = format_time(1_700_000_000, 0);
            r.atime = format_time(0, 1);
            for a in Algorithm::ALL {
                r.digests.insert(a, a.name().repeat(3));
            }
            set_target(&mut r, name);
            let mut first = Record::new(1, name, FileKind::File);
            first.root = 7;
            r.hardlink_of = Some(first.path_ref());
            r.error = Some(String::from_utf8_lossy(name).into_owned());
            r.changed_during_read = true;
            r.skipped = Some("excluded".into());
            assert_eq!(
                canonical_json(&r).unwrap(),
                serde_jcs::to_vec(&r).unwrap(),
                "record {i}"
            );
            let bare = Record::new(0, name, FileKind::Other);
            assert_eq!(
                canonical_json(&bare).unwrap(),
                serde_jcs::to_vec(&bare).unwrap()
            );
            let h = Header::new(
                &[std::path::PathBuf::from(OsStr::from_bytes(name))],
                &AlgorithmSet::new(Algorithm::ALL).unwrap(),
                true,
                "custodian 0.1.0",
            );
            assert_eq!(canonical_json(&h).unwrap(), serde_jcs::to_vec(&h).unwrap());
        }
    }
}
