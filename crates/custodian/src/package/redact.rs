//! Path redaction of shared manifests: every path becomes the hex
//! HMAC-SHA256 of its bytes under a per-package salt kept in the home case.
//!
//! Digests, sizes, types and times are kept, so the recipient can still
//! compare file contents; the home lab, holding the salt, can show which
//! real path a redacted name stands for (docs/spec/package.md §5).

use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{io_err, PackageError, DISCLOSURES_DIR};
use crate::hashing::{decode_bytes, write_line, FileKind, ManifestReader, PathRef, RootName};

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

/// The manifest `bytes` (read from `what`) with every root path (as given
/// and absolute), record path, symlink target and hard-link reference
/// replaced by
/// [`redact_path`]; the `_b64` variants are dropped (the HMAC is over the
/// exact bytes). Free text that could quote a name (`error`, a `skipped`
/// reason custodian does not write itself) becomes [`REDACTED_TEXT`] and
/// its HMAC, and a symlink loses its `size` (its target's length). The
/// result is a valid manifest, in the same order.
pub fn redact_manifest(bytes: &[u8], salt: &[u8], what: &Path) -> Result<Vec<u8>, PackageError> {
    let reader = ManifestReader::new(std::io::Cursor::new(bytes), what)?;
    let mut header = reader.header().clone();
    let redact = |text: &str, b64: Option<&str>| -> String {
        let raw = decode_bytes(text, b64).unwrap_or(std::borrow::Cow::Borrowed(text.as_bytes()));
        redact_path(salt, &raw)
    };
    header.roots = header
        .roots
        .iter()
        .map(|r| RootName {
            path: redact(&r.path, r.path_b64.as_deref()),
            path_b64: None,
            // The absolute path (version 2) names the folders above the
            // evidence on the acquiring machine: redacted as a whole, the
            // same way.
            abs: r.abs.as_deref().map(|a| redact(a, r.abs_b64.as_deref())),
            abs_b64: None,
        })
        .collect();
    let mut out = Vec::with_capacity(bytes.len());
    write_line(&mut out, &header).map_err(io_err(what))?;
    for record in reader {
        let mut r = record?;
        r.path = redact(&r.path, r.path_b64.as_deref());
        r.path_b64 = None;
        if let Some(t) = r.target.take() {
            r.target = Some(redact(&t, r.target_b64.as_deref()));
            r.target_b64 = None;
        }
        // Free text can quote names (an OS error about a filesystem loop
        // names the folder): it is replaced by its HMAC like a path, which
        // still shows that there was an error and lets the home lab prove
        // its text. `skipped` is a fixed word unless it is not.
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
        // A symlink's own size is the length of its target, which would
        // give away the length of a redacted name.
        if r.kind == FileKind::Symlink {
            r.size = None;
        }
        if let Some(h) = r.hardlink_of.take() {
            r.hardlink_of = Some(PathRef {
                path: redact(&h.path, h.path_b64.as_deref()),
                path_b64: None,
                root: h.root,
            });
        }
        write_line(&mut out, &r).map_err(io_err(what))?;
    }
    Ok(out)
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
