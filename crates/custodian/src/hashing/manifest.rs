//! Writing and reading manifest files (format: `docs/spec/manifest.md`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};

use super::error::HashError;
use super::record::{canonical_json, Header, Record};
use super::walk::{hash_tree, HashOptions, Progress, Summary};

/// What [`write_manifest`] produced: enough for a ledger entry to cite the
/// manifest by hash without reading it again.
#[derive(Debug, Clone)]
pub struct ManifestSummary {
    /// Final path of the manifest.
    pub path: PathBuf,
    /// SHA-256 (lowercase hex) of the manifest file's bytes.
    pub sha256: String,
    /// Size of the manifest file in bytes.
    pub bytes: u64,
    pub summary: Summary,
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
}

/// Writes a manifest of `roots` to `dest`, atomically.
///
/// Streams to `dest` + `.tmp` (created exclusively; that file is also
/// excluded from the walk in case it lies inside a root), fsyncs it,
/// renames it into place and fsyncs the folder, so `dest` either does not
/// exist or is complete. Refuses to overwrite an existing `dest`. The
/// SHA-256 is computed over the bytes as they are written.
pub fn write_manifest(
    dest: &Path,
    roots: &[PathBuf],
    opts: &HashOptions,
    progress: &dyn Progress,
) -> Result<ManifestSummary, HashError> {
    let header = super::record::header(roots, &opts.algorithms, opts.follow_symlinks);
    write_manifest_with(dest, header, roots, opts, progress)
}

/// [`write_manifest`] with the header given (e.g. with the roots'
/// absolute paths, [`Header::with_absolute_roots`]); it must describe
/// `roots` and `opts`.
pub fn write_manifest_with(
    dest: &Path,
    header: Header,
    roots: &[PathBuf],
    opts: &HashOptions,
    progress: &dyn Progress,
) -> Result<ManifestSummary, HashError> {
    if dest.symlink_metadata().is_ok() {
        return Err(HashError::ManifestExists {
            path: dest.to_path_buf(),
        });
    }
    let mut tmp_name = dest.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| HashError::io(&tmp, e))?;
    let started = Utc::now();
    let result = write_body(file, &tmp, &header, roots, opts, progress);
    let (sha256, bytes, summary) = match result {
        Ok(x) => x,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    if dest.symlink_metadata().is_ok() {
        let _ = fs::remove_file(&tmp);
        return Err(HashError::ManifestExists {
            path: dest.to_path_buf(),
        });
    }
    fs::rename(&tmp, dest).map_err(|e| HashError::io(dest, e))?;
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(|e| HashError::io(parent, e))?;
    Ok(ManifestSummary {
        path: dest.to_path_buf(),
        sha256,
        bytes,
        summary,
        started,
        finished: Utc::now(),
    })
}

fn write_body(
    file: File,
    tmp: &Path,
    header: &Header,
    roots: &[PathBuf],
    opts: &HashOptions,
    progress: &dyn Progress,
) -> Result<(String, u64, Summary), HashError> {
    let mut opts = opts.clone();
    opts.exclude.push(tmp.to_path_buf());
    let mut w = HashingWriter {
        inner: BufWriter::with_capacity(
            256 << 10,
            crate::fault::FaultyWriter::new(crate::fault::Point::ManifestWrite, file),
        ),
        sha: Sha256::new(),
        bytes: 0,
    };
    write_line(&mut w, header).map_err(|e| HashError::io(tmp, e))?;
    let summary = hash_tree(roots, &opts, &mut |r| write_line(&mut w, &r), progress).map_err(
        |e| match e {
            HashError::Output(source) => HashError::io(tmp, source),
            other => other,
        },
    )?;
    let file = w
        .inner
        .into_inner()
        .map_err(|e| HashError::io(tmp, e.into_error()))?
        .inner;
    crate::fault::check(crate::fault::Point::ManifestFsync)
        .and_then(|_| file.sync_all())
        .map_err(|e| HashError::io(tmp, e))?;
    Ok((hex::encode(w.sha.finalize()), w.bytes, summary))
}

/// Writes `v` (a [`Header`] or [`Record`]) as one canonical (RFC 8785)
/// JSON line, newline included.
pub fn write_line<W: Write, T: serde::Serialize>(w: &mut W, v: &T) -> io::Result<()> {
    let mut line = canonical_json(v).map_err(io::Error::other)?;
    line.push(b'\n');
    w.write_all(&line)
}

struct HashingWriter<W: Write> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The longest manifest line a reader accepts, newline excluded: 1 MiB.
/// A record holds one path and one link target (each at most `PATH_MAX`,
/// 4,096 bytes on Linux, so at most about 30 KB once JSON-escaped and
/// base64-encoded) and a few digests; a longer line is refused with an
/// error naming the line, after reading at most this much of it.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Streaming manifest reader: checks the header, then yields one record
/// per line, in order, holding one line in memory at a time.
///
/// Each line must be newline-terminated (a missing final newline means a
/// torn write) and byte-identical to the canonical JSON of what it parses
/// to, so a hand-edited or re-serialised manifest is reported, not
/// silently accepted.
pub struct ManifestReader<R: BufRead> {
    reader: R,
    path: PathBuf,
    line: u64,
    header: Header,
    buf: Vec<u8>,
    done: bool,
}

impl ManifestReader<BufReader<File>> {
    /// Opens a manifest file and reads its header.
    pub fn open(path: &Path) -> Result<Self, HashError> {
        let f = crate::fsutil::open_regular(path, false).map_err(|e| HashError::io(path, e))?;
        ManifestReader::new(BufReader::with_capacity(256 << 10, f), path)
    }
}

impl<R: BufRead> ManifestReader<R> {
    /// Reads the header from `reader`; `name` is used in error messages.
    pub fn new(mut reader: R, name: &Path) -> Result<Self, HashError> {
        let mut buf = Vec::new();
        let path = name.to_path_buf();
        let header: Header = match read_line(&mut reader, &mut buf, &path, 1)? {
            Some(h) => h,
            None => {
                return Err(HashError::Manifest {
                    path,
                    line: 1,
                    message: "empty file, no header".into(),
                })
            }
        };
        if let Some(message) = header.unsupported() {
            return Err(HashError::Manifest {
                path,
                line: 1,
                message,
            });
        }
        Ok(ManifestReader {
            reader,
            path,
            line: 1,
            header,
            buf,
            done: false,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }
}

fn read_line<R: BufRead, T: serde::de::DeserializeOwned + serde::Serialize>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    path: &Path,
    line: u64,
) -> Result<Option<T>, HashError> {
    let err = |message: String| HashError::Manifest {
        path: path.to_path_buf(),
        line,
        message,
    };
    buf.clear();
    let n = reader
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', buf)
        .map_err(|e| HashError::io(path, e))?;
    if n == 0 {
        return Ok(None);
    }
    if n > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
        return Err(err(format!(
            "line longer than {MAX_LINE_BYTES} bytes (no record custodian writes comes near that; the file is damaged or hostile)"
        )));
    }
    if buf.pop() != Some(b'\n') {
        return Err(err("no final newline (truncated manifest?)".into()));
    }
    let v: T = serde_json::from_slice(buf).map_err(|e| err(format!("invalid JSON: {e}")))?;
    let canon = canonical_json(&v).map_err(|e| err(e.to_string()))?;
    if canon != *buf {
        return Err(err(
            "not in canonical form (RFC 8785), or has fields this reader does not know".into(),
        ));
    }
    Ok(Some(v))
}

impl<R: BufRead> Iterator for ManifestReader<R> {
    type Item = Result<Record, HashError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.line += 1;
        match read_line::<_, Record>(&mut self.reader, &mut self.buf, &self.path, self.line) {
            Ok(Some(r)) => match r.check(&self.header) {
                Ok(()) => Some(Ok(r)),
                Err(problem) => {
                    self.done = true;
                    Some(Err(HashError::Manifest {
                        path: self.path.clone(),
                        line: self.line,
                        message: problem.to_string(),
                    }))
                }
            },
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::{FileKind, NoProgress};

    #[test]
    fn write_then_read_back_and_refuse_overwrite() {
        let t = tempfile::tempdir().unwrap();
        let ev = t.path().join("ev");
        fs::create_dir_all(ev.join("sub")).unwrap();
        fs::write(ev.join("sub/abc"), b"abc").unwrap();
        fs::write(ev.join("big"), vec![7u8; (9 << 20) + 3]).unwrap();
        // The case folder inside the evidence tree must be skipped.
        let case = ev.join("case");
        fs::create_dir(&case).unwrap();
        let dest = case.join("m.jsonl");
        let opts = HashOptions {
            exclude: vec![case.clone()],
            ..HashOptions::default()
        };
        let s = write_manifest(&dest, std::slice::from_ref(&ev), &opts, &NoProgress).unwrap();
        let bytes = fs::read(&dest).unwrap();
        assert_eq!(s.bytes, bytes.len() as u64);
        assert_eq!(s.sha256, hex::encode(Sha256::digest(&bytes)));
        assert_eq!(s.summary.skipped, 1);
        assert_eq!(s.summary.files, 2);
        assert_eq!(s.summary.bytes, (9 << 20) + 6);
        assert!(!tmp_exists(&dest));

        let rd = ManifestReader::open(&dest).unwrap();
        assert_eq!(rd.header().algorithms.to_string(), "md5,sha1,sha256");
        let recs: Vec<Record> = rd.map(Result::unwrap).collect();
        let paths: Vec<&str> = recs.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, [".", "big", "case", "sub", "sub/abc"]);
        assert_eq!(recs[2].skipped.as_deref(), Some("excluded"));
        assert_eq!(recs[4].kind, FileKind::File);
        assert_eq!(
            recs[4].digests.get(crate::hashing::Algorithm::Md5),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );

        let again = write_manifest(&dest, &[ev], &opts, &NoProgress);
        assert!(matches!(again, Err(HashError::ManifestExists { .. })));
        assert_eq!(fs::read(&dest).unwrap(), bytes);
    }

    fn tmp_exists(dest: &Path) -> bool {
        let mut p = dest.as_os_str().to_owned();
        p.push(".tmp");
        Path::new(&p).exists()
    }

    #[test]
    fn reader_rejects_torn_and_edited_lines() {
        let header = crate::hashing::header(
            &[PathBuf::from("x")],
            &crate::hashing::AlgorithmSet::default(),
            false,
        );
        let mut good = serde_jcs::to_vec(&header).unwrap();
        good.push(b'\n');
        let rec = Record::new(0, b".", FileKind::Dir);
        let line = serde_jcs::to_vec(&rec).unwrap();

        let mut torn = good.clone();
        torn.extend_from_slice(&line);
        let mut rd = ManifestReader::new(&torn[..], Path::new("m")).unwrap();
        let e = rd.next().unwrap().unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("newline"), "{e}");

        let mut spaced = good.clone();
        spaced.extend_from_slice(b"{\"root\": 0,\"path\":\".\",\"type\":\"dir\"}\n");
        let mut rd = ManifestReader::new(&spaced[..], Path::new("m")).unwrap();
        assert!(rd
            .next()
            .unwrap()
            .unwrap_err()
            .to_string()
            .contains("canonical"));

        let mut ok = good;
        ok.extend_from_slice(&line);
        ok.push(b'\n');
        let rd = ManifestReader::new(&ok[..], Path::new("m")).unwrap();
        assert_eq!(rd.map(Result::unwrap).collect::<Vec<_>>(), vec![rec]);
    }
}
