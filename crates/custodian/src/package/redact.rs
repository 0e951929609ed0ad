//! Path redaction of shared manifests: every path becomes the hex
//! HMAC-SHA256 of its bytes under a per-package salt kept in the home case.
//!
//! Digests, sizes, types and times are kept, so the recipient can still
//! compare file contents; the home lab, holding the salt, can show which
//! real path a redacted name stands for (docs/spec/package.md §5).

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{io_err, PackageError, DISCLOSURES_DIR};
use crate::hashing::{
    decode_bytes, write_line, FileKind, ManifestReader, PathRef, Record, RootName,
};

/// Length of a redaction salt.
pub const SALT_BYTES: usize = 32;
/// File name of the salt in `CASE/disclosures/PACKAGE-ID/`.
pub const SALT_FILE: &str = "salt";
/// Prefix of a redacted free-text member (`error`, an unusual `skipped`):
/// the HMAC of the text follows, as for a path.
pub const REDACTED_TEXT: &str = "redacted:";
/// The `skipped` reasons custodian writes: fixed words that name nothing.
const SKIP_REASONS: &[&str] = &["excluded"];

/// Lowercase hex HMAC-SHA256(key = salt, message = path bytes).
pub fn redact_path(salt: &[u8], path: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(salt).expect("HMAC takes any key length");
    mac.update(path);
    hex::encode(mac.finalize().into_bytes())
}

/// The manifest `bytes` (read from `what`), redacted as
/// [`Redacting`] does, in memory (for small manifests and tests).
pub fn redact_manifest(bytes: &[u8], salt: &[u8], what: &Path) -> Result<Vec<u8>, PackageError> {
    let mut out = Vec::with_capacity(bytes.len());
    Redacting::new(bytes, salt, what)?
        .read_to_end(&mut out)
        .map_err(|e| redaction_error(e, what))?;
    Ok(out)
}

/// An error [`Redacting`] gave, back as the error it stands for: a
/// manifest problem as [`PackageError::Hash`], else an I/O error naming
/// `what`.
pub(super) fn redaction_error(e: std::io::Error, what: &Path) -> PackageError {
    use crate::hashing::HashError;
    if !e.get_ref().is_some_and(|inner| inner.is::<HashError>()) {
        return io_err(what)(e);
    }
    let kind = e.kind();
    match e.into_inner().map(|b| b.downcast::<HashError>()) {
        Some(Ok(h)) => PackageError::Hash(*h),
        Some(Err(other)) => io_err(what)(std::io::Error::new(kind, other)),
        None => io_err(what)(std::io::Error::from(kind)),
    }
}

/// A manifest read from `R` with every root path (as given and absolute),
/// record path, symlink target and hard-link reference replaced by
/// [`redact_path`], as a stream of bytes, one line at a time; the `_b64`
/// variants are dropped (the HMAC is over the exact bytes). Free text that
/// could quote a name (`error`, a `skipped` reason custodian does not
/// write itself) becomes [`REDACTED_TEXT`] and its HMAC, and a symlink
/// loses its `size` (its target's length). The result is a valid manifest,
/// in the same order. Memory is one line, whatever the manifest's size.
///
/// A problem in the manifest is an `io::Error` wrapping the
/// [`crate::hashing::HashError`] (`redaction_error` takes it back out).
pub struct Redacting<'s, R: BufRead> {
    records: ManifestReader<R>,
    salt: &'s [u8],
    what: PathBuf,
    line: Vec<u8>,
    at: usize,
}

impl<'s, R: BufRead> Redacting<'s, R> {
    /// Reads the header from `reader` (named `what` in messages) and
    /// redacts it.
    pub fn new(reader: R, salt: &'s [u8], what: &Path) -> Result<Self, PackageError> {
        let records = ManifestReader::new(reader, what)?;
        let mut header = records.header().clone();
        header.roots = header
            .roots
            .iter()
            .map(|r| RootName {
                path: redact_text(salt, &r.path, r.path_b64.as_deref()),
                path_b64: None,
                // The absolute path (version 2) names the folders above
                // the evidence on the acquiring machine: redacted as a
                // whole, the same way.
                abs: r
                    .abs
                    .as_deref()
                    .map(|a| redact_text(salt, a, r.abs_b64.as_deref())),
                abs_b64: None,
            })
            .collect();
        let mut line = Vec::new();
        write_line(&mut line, &header).map_err(io_err(what))?;
        Ok(Redacting {
            records,
            salt,
            what: what.to_path_buf(),
            line,
            at: 0,
        })
    }

    /// The next record, redacted, as the pending line; false at the end.
    fn next_line(&mut self) -> std::io::Result<bool> {
        let Some(record) = self.records.next() else {
            return Ok(false);
        };
        let r = redact_record(record.map_err(std::io::Error::other)?, self.salt);
        self.line.clear();
        self.at = 0;
        write_line(&mut self.line, &r)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", self.what.display())))?;
        Ok(true)
    }
}

impl<R: BufRead> Read for Redacting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.line.len() && !self.next_line()? {
            return Ok(0);
        }
        let n = buf.len().min(self.line.len() - self.at);
        buf[..n].copy_from_slice(&self.line[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A path (or text) given as UTF-8 `text` or, when not UTF-8, `b64`,
/// redacted: the HMAC of its exact bytes.
fn redact_text(salt: &[u8], text: &str, b64: Option<&str>) -> String {
    let raw = decode_bytes(text, b64).unwrap_or(std::borrow::Cow::Borrowed(text.as_bytes()));
    redact_path(salt, &raw)
}

/// One record with its names and free text redacted.
fn redact_record(mut r: Record, salt: &[u8]) -> Record {
    r.path = redact_text(salt, &r.path, r.path_b64.as_deref());
    r.path_b64 = None;
    if let Some(t) = r.target.take() {
        r.target = Some(redact_text(salt, &t, r.target_b64.as_deref()));
        r.target_b64 = None;
    }
    // Free text can quote names (an OS error about a filesystem loop names
    // the folder): it is replaced by its HMAC like a path, which still
    // shows that there was an error and lets the home lab prove its text.
    // `skipped` is a fixed word unless it is not.
    if let Some(e) = r.error.take() {
        r.error = Some(format!(
            "{REDACTED_TEXT}{}",
            redact_path(salt, e.as_bytes())
        ));
    }
    if let Some(why) = r.skipped.take() {
        r.skipped = Some(if SKIP_REASONS.contains(&why.as_str()) {
            why
        } else {
            format!("{REDACTED_TEXT}{}", redact_path(salt, why.as_bytes()))
        });
    }
    // A symlink's own size is the length of its target, which would give
    // away the length of a redacted name.
    if r.kind == FileKind::Symlink {
        r.size = None;
    }
    if let Some(h) = r.hardlink_of.take() {
        r.hardlink_of = Some(PathRef {
            path: redact_text(salt, &h.path, h.path_b64.as_deref()),
            path_b64: None,
            root: h.root,
        });
    }
    r
}

/// Saves `salt` as `CASE/disclosures/ID/salt` (raw bytes, mode 0600,
/// fsynced, never overwritten) and returns its path.
pub fn save_salt(case_dir: &Path, package_id: &str, salt: &[u8]) -> Result<PathBuf, PackageError> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = case_dir.join(DISCLOSURES_DIR).join(package_id);
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let path = dir.join(SALT_FILE);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(io_err(&path))?;
    f.write_all(salt).map_err(io_err(&path))?;
    f.sync_all().map_err(io_err(&path))?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 ("Jefe"), so the construction is the standard one.
    #[test]
    fn hmac_is_rfc_4231() {
        assert_eq!(
            redact_path(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn redacted_manifest_keeps_digests_and_drops_names() {
        let t = tempfile::tempdir().unwrap();
        let ev = t.path().join("victim-jane");
        std::fs::create_dir_all(ev.join("sub")).unwrap();
        std::fs::write(ev.join("sub/diary-jane.txt"), b"abc").unwrap();
        std::os::unix::fs::symlink("sub/diary-jane.txt", ev.join("link-jane")).unwrap();
        let m = t.path().join("m.jsonl");
        crate::hashing::write_manifest(
            &m,
            std::slice::from_ref(&ev),
            &crate::hashing::HashOptions::default(),
            &crate::hashing::NoProgress,
        )
        .unwrap();
        let bytes = std::fs::read(&m).unwrap();
        let red = redact_manifest(&bytes, &[7u8; 32], &m).unwrap();
        let text = String::from_utf8(red.clone()).unwrap();
        assert!(!text.contains("jane"), "{text}");
        assert!(text.contains(&redact_path(&[7u8; 32], b"sub/diary-jane.txt")));
        // abc's SHA-256 is still there, and the result reads as a manifest.
        assert!(text.contains("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        let n = ManifestReader::new(std::io::Cursor::new(&red), &m)
            .unwrap()
            .count();
        assert_eq!(n, 4);
    }
}
