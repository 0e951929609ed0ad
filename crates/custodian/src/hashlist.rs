//! Reading the hash lists other tools write, so a lab can compare its own
//! catalogue with a partner agency's list without touching evidence.
//!
//! Understood formats (detected from the content):
//! - custodian manifests and `custodian hash --format json` output;
//! - hashdeep files (`%%%% HASHDEEP-1.0` header, `size,ALGOS…,filename`);
//! - GNU coreutils `*sum` lines (`HEX  NAME`, `HEX *NAME`, and the
//!   backslash-escaped form for names with `\` or newline), the algorithm
//!   taken from the digest length (32 md5, 40 sha1, 64 sha256, 128 sha512)
//!   unless told;
//! - BSD tagged lines (`SHA256 (NAME) = HEX`, as `shasum --tag` and
//!   `openssl dgst` write them);
//! - DFXML documents (`<?xml …?>` or `<dfxml …>` first; every
//!   `<fileobject>` that is a regular file, see [`crate::interop::dfxml`]).
//!
//! Only regular files are listed (other tools list nothing else).
//!
//! [`mod@write`] writes the line formats back (`custodian hash`), escaping
//! each name as the format's own checker reads it, or refusing a name the
//! format cannot carry: every list custodian writes reads back here as
//! exactly one record per file listed, with the exact name.

pub mod write;

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use crate::hashing::{
    decode_bytes, Algorithm, Digests, FileKind, HashError, ManifestReader, MAX_LINE_BYTES,
};

/// One file as a list names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    /// The name as raw bytes (normalised: no leading `./`; see [`HashList::load`]).
    pub path: Vec<u8>,
    pub size: Option<u64>,
    pub digests: Digests,
    /// Where the list names it: the line (from 1), or for DFXML the
    /// `<fileobject>`'s number (from 1); see [`ListFormat::position`].
    pub line: u64,
}

impl ListedFile {
    /// The path for display (lossy for non-UTF-8 names).
    pub fn display(&self) -> String {
        String::from_utf8_lossy(&self.path).into_owned()
    }
}

/// The format a list was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Manifest,
    Hashdeep,
    Sum,
    BsdTag,
    Dfxml,
}

impl ListFormat {
    /// What [`ListedFile::line`] counts in this format: `line`, or
    /// `fileobject` for DFXML (an XML document need not break lines).
    pub fn position(self) -> &'static str {
        match self {
            ListFormat::Dfxml => "fileobject",
            _ => "line",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ListFormat::Manifest => "custodian manifest",
            ListFormat::Hashdeep => "hashdeep",
            ListFormat::Sum => "sha256sum-style",
            ListFormat::BsdTag => "BSD-tagged",
            ListFormat::Dfxml => "DFXML",
        }
    }
}

/// A whole list, in file order.
#[derive(Debug, Clone)]
pub struct HashList {
    pub source: PathBuf,
    pub format: ListFormat,
    pub files: Vec<ListedFile>,
    /// Directory prefix removed from every path so that lists made from
    /// different mount points compare (e.g. `evidence/` or `/mnt/usb/`).
    pub stripped_prefix: String,
}

/// What is wrong with one line of a hash list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListProblem {
    #[error("data line before the `%%%% size,…,filename` header")]
    DataBeforeHeader,
    #[error("expected {expected} comma-separated fields")]
    FieldCount { expected: usize },
    #[error("bad size {text:?}")]
    BadSize { text: String },
    #[error("unknown hashdeep column {column:?}")]
    UnknownColumn { column: String },
    #[error("{digest:?} is not a {len}-digit hex digest")]
    NotHex { digest: String, len: usize },
    #[error("expected `DIGEST  NAME`")]
    NoName,
    #[error("expected two spaces or ` *` between digest and name")]
    NoSeparator,
    #[error("a {digits}-digit digest matches no known algorithm")]
    UnknownDigestLength { digits: usize },
    #[error("line longer than {MAX_LINE_BYTES} bytes (a file name is at most 4,096 bytes; the list is damaged or hostile)")]
    LineTooLong,
}

/// Why a list could not be read; names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum HashListError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {problem}")]
    Parse {
        path: PathBuf,
        line: u64,
        problem: ListProblem,
    },
    #[error(transparent)]
    Manifest(#[from] HashError),
    #[error(transparent)]
    Dfxml(#[from] crate::interop::dfxml::DfxmlError),
}

impl HashList {
    /// Reads `path`, detecting its format. `assume` names the algorithm of
    /// untagged `*sum` lines when the digest length is ambiguous (64 hex
    /// digits may be sha256, sha3-256 or blake3; sha256 is assumed).
    pub fn load(path: &Path, assume: Option<Algorithm>) -> Result<HashList, HashListError> {
        let file = std::fs::File::open(path).map_err(|source| HashListError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        HashList::parse(path, std::io::BufReader::new(file), assume)
    }

    /// Reads a list from `reader` (what [`HashList::load`] does once the
    /// file is open); `path` names the list in errors and in the result.
    /// Lets a caller (a test, the fuzz targets) parse bytes already in memory.
    pub fn parse(
        path: &Path,
        mut reader: impl BufRead,
        assume: Option<Algorithm>,
    ) -> Result<HashList, HashListError> {
        let io = |source| HashListError::Io {
            path: path.to_path_buf(),
            source,
        };
        let first = {
            let buf = reader.fill_buf().map_err(io)?;
            let end = buf.iter().position(|b| *b == b'\n').unwrap_or(buf.len());
            buf[..end].to_vec()
        };
        let (format, mut files) = if first.starts_with(b"{") {
            (ListFormat::Manifest, read_manifest(path, reader)?)
        } else if is_xml(&first) {
            (ListFormat::Dfxml, read_dfxml(path, reader)?)
        } else if first.starts_with(b"%%%% HASHDEEP") {
            (ListFormat::Hashdeep, read_hashdeep(path, reader)?)
        } else {
            read_sums(path, reader, assume)?
        };
        let stripped_prefix = strip_common_prefix(&mut files);
        Ok(HashList {
            source: path.to_path_buf(),
            format,
            files,
            stripped_prefix,
        })
    }
}

fn read_manifest(path: &Path, reader: impl BufRead) -> Result<Vec<ListedFile>, HashListError> {
    let reader = ManifestReader::new(reader, path)?;
    let roots = reader.header().roots.clone();
    let mut out = Vec::new();
    // The header is line 1; each record is one line after it.
    for (line, record) in (2..).zip(reader) {
        let r = record?;
        if r.kind != FileKind::File {
            continue;
        }
        let rel = r.path_bytes().into_owned();
        let path = if roots.len() == 1 {
            if rel == b"." {
                // A single-file exhibit: name it by the file's own name.
                let root = &roots[0];
                let raw = decode_bytes(&root.path, root.path_b64.as_deref())
                    .map(|c| c.into_owned())
                    .unwrap_or_else(|| root.path.clone().into_bytes());
                raw.rsplit(|b| *b == b'/').next().unwrap_or(&raw).to_vec()
            } else {
                rel
            }
        } else {
            let mut p = format!("{}/", r.root).into_bytes();
            p.extend_from_slice(&rel);
            p
        };
        out.push(ListedFile {
            path,
            size: r.size,
            digests: r.digests,
            line,
        });
    }
    Ok(out)
}

/// An XML declaration or a `<dfxml` start tag (after a BOM or blanks).
fn is_xml(first: &[u8]) -> bool {
    let t = first.strip_prefix(b"\xef\xbb\xbf").unwrap_or(first);
    let t = &t[t
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(t.len())..];
    t.starts_with(b"<?xml") || t.starts_with(b"<dfxml")
}

/// Regular files of a DFXML document (a `<name_type>` other than `r`
/// marks a folder, link or other object, which is left out).
fn read_dfxml(path: &Path, reader: impl BufRead) -> Result<Vec<ListedFile>, HashListError> {
    Ok((1..)
        .zip(crate::interop::dfxml::read(path, reader)?)
        .filter(|(_, f)| f.name_type.as_deref().is_none_or(|t| t == "r"))
        .map(|(line, f)| ListedFile {
            path: normalise(&f.name),
            size: f.size,
            digests: f.digests,
            line,
        })
        .collect())
}

fn read_hashdeep(path: &Path, reader: impl BufRead) -> Result<Vec<ListedFile>, HashListError> {
    let mut columns: Option<Vec<String>> = None;
    let mut out = Vec::new();
    for (i, line) in split_lines(path, reader)?.into_iter().enumerate() {
        let n = i as u64 + 1;
        let err = |problem: ListProblem| HashListError::Parse {
            path: path.to_path_buf(),
            line: n,
            problem,
        };
        if line.starts_with(b"%%%% size,") {
            let text = String::from_utf8_lossy(&line[5..]).into_owned();
            columns = Some(text.split(',').map(|s| s.trim().to_string()).collect());
            continue;
        }
        if line.starts_with(b"%%%%") || line.starts_with(b"##") || line.is_empty() {
            continue;
        }
        let cols = columns
            .as_ref()
            .ok_or_else(|| err(ListProblem::DataBeforeHeader))?;
        // The file name is last and may itself contain commas.
        let fields: Vec<&[u8]> = line.splitn(cols.len(), |b| *b == b',').collect();
        if fields.len() != cols.len() {
            return Err(err(ListProblem::FieldCount {
                expected: cols.len(),
            }));
        }
        let mut file = ListedFile {
            path: Vec::new(),
            size: None,
            digests: Digests::default(),
            line: n,
        };
        for (name, value) in cols.iter().zip(&fields) {
            let text = String::from_utf8_lossy(value);
            match name.as_str() {
                "size" => {
                    file.size = Some(text.parse().map_err(|_| {
                        err(ListProblem::BadSize {
                            text: text.to_string(),
                        })
                    })?)
                }
                "filename" => file.path = normalise(value),
                algo => {
                    let a: Algorithm = algo.parse().map_err(|_| {
                        err(ListProblem::UnknownColumn {
                            column: algo.to_string(),
                        })
                    })?;
                    file.digests
                        .insert(a, check_hex(&text, a.hex_len()).map_err(err)?);
                }
            }
        }
        out.push(file);
    }
    Ok(out)
}

fn read_sums(
    path: &Path,
    reader: impl BufRead,
    assume: Option<Algorithm>,
) -> Result<(ListFormat, Vec<ListedFile>), HashListError> {
    let mut out = Vec::new();
    let format = each_sum(
        path,
        reader,
        assume,
        &mut |f| -> Result<(), HashListError> {
            out.push(f);
            Ok(())
        },
    )?;
    Ok((format, out))
}

/// Streams the files of a list in a line format (GNU `*sum` or BSD
/// tagged lines, not a manifest, DFXML or hashdeep file) to `f`, one at a
/// time, without holding the list: for a reader that needs only the
/// digests of a list too large for memory (a 100-million-line hash set).
/// Returns `None`, without calling `f`, when the first line says the list
/// is in another format (read it with [`HashList::load`]). Names are
/// normalised as [`HashList::load`] does, but no common prefix is
/// stripped (that needs the whole list).
pub fn stream_line_list<E: From<HashListError>>(
    path: &Path,
    assume: Option<Algorithm>,
    f: &mut dyn FnMut(ListedFile) -> Result<(), E>,
) -> Result<Option<ListFormat>, E> {
    let io = |source| HashListError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let first = reader.fill_buf().map_err(io)?;
    let end = first
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(first.len());
    let first = &first[..end];
    if first.starts_with(b"{") || is_xml(first) || first.starts_with(b"%%%% HASHDEEP") {
        return Ok(None);
    }
    each_sum(path, reader, assume, f).map(Some)
}

/// The loop of [`read_sums`]: each file of a `*sum` or BSD-tagged list,
/// in order, to `f`; returns the format (BSD if any line was tagged).
fn each_sum<E: From<HashListError>>(
    path: &Path,
    reader: impl BufRead,
    assume: Option<Algorithm>,
    f: &mut dyn FnMut(ListedFile) -> Result<(), E>,
) -> Result<ListFormat, E> {
    let mut format = ListFormat::Sum;
    let mut n = 0u64;
    each_line(path, reader, &mut |line: &[u8]| -> Result<(), E> {
        n += 1;
        if let Some((file, tagged)) = sum_line(path, n, line, assume)? {
            if tagged {
                format = ListFormat::BsdTag;
            }
            f(file)?;
        }
        Ok(())
    })?;
    Ok(format)
}

/// One line of a `*sum` or BSD-tagged list (`n` from 1): the file it
/// names and whether it was BSD-tagged, or `None` for a blank line or a
/// comment.
fn sum_line(
    path: &Path,
    n: u64,
    line: &[u8],
    assume: Option<Algorithm>,
) -> Result<Option<(ListedFile, bool)>, HashListError> {
    let err = |problem: ListProblem| HashListError::Parse {
        path: path.to_path_buf(),
        line: n,
        problem,
    };
    if line.is_empty() || line.starts_with(b"#") {
        return Ok(None);
    }
    // BSD tag: `ALGO (NAME) = HEX` (shasum --tag, BSD md5) or OpenSSL 3's
    // `SHA2-256(NAME)= HEX`.
    if let Some(open) = line.iter().position(|b| *b == b'(') {
        let close = line
            .windows(4)
            .rposition(|w| w == b") = ")
            .map(|c| (c, 4))
            .or_else(|| line.windows(3).rposition(|w| w == b")= ").map(|c| (c, 3)));
        if let Some((close, sep)) = close.filter(|(c, _)| *c > open) {
            if let Some(a) = tag_algorithm(&String::from_utf8_lossy(&line[..open])) {
                let hex = String::from_utf8_lossy(&line[close + sep..]).into_owned();
                let mut digests = Digests::default();
                digests.insert(a, check_hex(&hex, a.hex_len()).map_err(err)?);
                let file = ListedFile {
                    path: normalise(&line[open + 1..close]),
                    size: None,
                    digests,
                    line: n,
                };
                return Ok(Some((file, true)));
            }
        }
    }
    // GNU: [\]HEX  NAME or HEX *NAME
    let (escaped, body) = match line.strip_prefix(b"\\") {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let sp = body
        .iter()
        .position(|b| *b == b' ')
        .ok_or_else(|| err(ListProblem::NoName))?;
    let hex = String::from_utf8_lossy(&body[..sp]).into_owned();
    let rest = &body[sp + 1..];
    let name = match rest.first() {
        Some(b' ') | Some(b'*') => &rest[1..],
        _ => return Err(err(ListProblem::NoSeparator)),
    };
    let name = if escaped {
        unescape(name)
    } else {
        name.to_vec()
    };
    let algo = match (assume, hex.len()) {
        (Some(a), _) => a,
        (None, 32) => Algorithm::Md5,
        (None, 40) => Algorithm::Sha1,
        (None, 64) => Algorithm::Sha256,
        (None, 128) => Algorithm::Sha512,
        (None, n) => return Err(err(ListProblem::UnknownDigestLength { digits: n })),
    };
    let mut digests = Digests::default();
    digests.insert(algo, check_hex(&hex, algo.hex_len()).map_err(err)?);
    let file = ListedFile {
        path: normalise(&name),
        size: None,
        digests,
        line: n,
    };
    Ok(Some((file, false)))
}

/// The algorithm a BSD or OpenSSL tag names (`SHA256`, `SHA2-256`, `MD5` …).
fn tag_algorithm(tag: &str) -> Option<Algorithm> {
    let t = tag.trim().to_ascii_lowercase();
    let t = match t.as_str() {
        "sha2-256" => "sha256",
        "sha2-512" => "sha512",
        other => other,
    };
    t.parse().ok()
}

/// Reads all lines as raw bytes (names need not be UTF-8).
fn split_lines(path: &Path, reader: impl BufRead) -> Result<Vec<Vec<u8>>, HashListError> {
    let mut lines = Vec::new();
    each_line(
        path,
        reader,
        &mut |line: &[u8]| -> Result<(), HashListError> {
            lines.push(line.to_vec());
            Ok(())
        },
    )?;
    Ok(lines)
}

/// Calls `f` with each line as raw bytes, without its `\n` or `\r\n`,
/// one buffer reused: a list is never held whole. A line longer than
/// [`MAX_LINE_BYTES`] is refused.
fn each_line<E: From<HashListError>>(
    path: &Path,
    mut reader: impl BufRead,
    f: &mut dyn FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut buf = Vec::new();
    let mut count = 0u64;
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|source| HashListError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            return Ok(());
        }
        count += 1;
        if n > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
            return Err(HashListError::Parse {
                path: path.to_path_buf(),
                line: count,
                problem: ListProblem::LineTooLong,
            }
            .into());
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        f(&buf)?;
    }
}

fn check_hex(s: &str, len: usize) -> Result<String, ListProblem> {
    let s = s.trim().to_ascii_lowercase();
    if s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s)
    } else {
        Err(ListProblem::NotHex { digest: s, len })
    }
}

/// coreutils escaping: `\\` is a backslash, `\n` a newline, `\r` a CR.
fn unescape(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    let mut it = name.iter();
    while let Some(&b) = it.next() {
        if b == b'\\' {
            match it.next() {
                Some(b'n') => out.push(b'\n'),
                Some(b'r') => out.push(b'\r'),
                Some(&c) => out.push(c),
                None => out.push(b'\\'),
            }
        } else {
            out.push(b);
        }
    }
    out
}

/// Drops leading `./`, `.` components and repeated slashes: the one
/// normalisation every list reader applies to a name (public so that the
/// round-trip fuzz target compares against exactly this rule).
pub fn normalise(name: &[u8]) -> Vec<u8> {
    let parts: Vec<&[u8]> = name
        .split(|b| *b == b'/')
        .filter(|p| !p.is_empty() && *p != b".")
        .collect();
    let mut out = if name.starts_with(b"/") {
        b"/".to_vec()
    } else {
        Vec::new()
    };
    out.extend_from_slice(&parts.join(&b'/'));
    out
}

/// Removes the longest directory prefix shared by every path (only whole
/// components, and never a file's own name), returning it.
fn strip_common_prefix(files: &mut [ListedFile]) -> String {
    let Some(first) = files.first() else {
        return String::new();
    };
    let dir_of = |p: &[u8]| -> Vec<Vec<u8>> {
        let mut parts: Vec<Vec<u8>> = p.split(|b| *b == b'/').map(<[u8]>::to_vec).collect();
        parts.pop();
        parts
    };
    let mut common = dir_of(&first.path);
    for f in files.iter().skip(1) {
        let d = dir_of(&f.path);
        let n = common.iter().zip(&d).take_while(|(a, b)| a == b).count();
        common.truncate(n);
        if common.is_empty() {
            return String::new();
        }
    }
    if common.is_empty() {
        return String::new();
    }
    let mut prefix = common.join(&b'/');
    prefix.push(b'/');
    for f in files.iter_mut() {
        f.path = f.path[prefix.len()..].to_vec();
    }
    String::from_utf8_lossy(&prefix).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_and_unescaped() {
        assert_eq!(normalise(b"./a//b/./c"), b"a/b/c");
        assert_eq!(normalise(b"/mnt/x"), b"/mnt/x");
        assert_eq!(unescape(br"a\\b\nc"), b"a\\b\nc");
    }

    #[test]
    fn common_prefix_is_whole_directories() {
        let f = |p: &[u8]| ListedFile {
            path: p.to_vec(),
            size: None,
            digests: Digests::default(),
            line: 0,
        };
        let mut files = vec![f(b"ev/a/x"), f(b"ev/a/y"), f(b"ev/ab/z")];
        assert_eq!(strip_common_prefix(&mut files), "ev/");
        assert_eq!(files[2].path, b"ab/z");
        let mut one = vec![f(b"ev/only")];
        assert_eq!(strip_common_prefix(&mut one), "ev/");
        assert_eq!(one[0].path, b"only");
    }
}
