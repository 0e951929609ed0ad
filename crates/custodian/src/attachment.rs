//! Attachments: the scanned warrant, the signed seizure form, photos of the
//! seal and of the device in place (docs/guide/attachments.md).
//!
//! The ledger cannot hold these files, so the case folder does: each is
//! stored once under its SHA-256 (`attachments/sha256/HEX`, read-only), byte
//! for byte as given — nothing is stripped, not even a photo's GPS
//! position — and a signed `attachment.add` entry binds it by that digest.
//! `verify` re-hashes every stored copy (`attachment-missing`,
//! `attachment-changed`). What custodian reads from inside a file (its
//! media type, a photo's EXIF capture time and camera) is recorded as
//! found, never as a fact.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use custodian_format::attachment::{attachment_rel_path, AttachmentAdd, AttachmentKind, ExifFound};

use crate::case::Case;
use crate::fault::Point;
use crate::keys::SigningKey;
use crate::ledger::{Appended, Body, LedgerError};
use crate::provenance::{FoundTime, ZONE_UNKNOWN};

pub use custodian_format::attachment::AttachmentKind as Kind;

/// The largest file custodian attaches: 512 MiB. Attachments document
/// custody (photos, scans, forms, logs); evidence itself is acquired, not
/// attached, and a case folder must stay easy to copy and package.
pub const MAX_ATTACHMENT_BYTES: u64 = 512 * 1024 * 1024;

/// The case's attachment store, relative to the case folder.
pub const ATTACHMENTS_DIR: &str = "attachments";

/// What to attach.
#[derive(Debug, Clone)]
pub struct AttachRequest {
    pub file: PathBuf,
    pub kind: AttachmentKind,
    pub description: Option<String>,
    /// The exhibit it documents; `None`: the case.
    pub exhibit: Option<String>,
    /// `seq` of an earlier entry it documents.
    pub entry: Option<u64>,
}

/// A file stored in the case's attachment store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub sha256: String,
    pub bytes: u64,
    pub media_type: String,
    /// The file's name as given (last component).
    pub name: String,
    /// Where the copy is, relative to the case folder.
    pub rel_path: String,
    /// The same content was already stored (by an earlier attachment).
    pub already_stored: bool,
    /// The file's EXIF values, for an image that has them.
    pub exif: Option<ExifFound>,
}

/// An attachment recorded.
#[derive(Debug, Clone)]
pub struct Attached {
    pub appended: Appended,
    pub body: AttachmentAdd,
    pub stored: Stored,
}

/// Why a file was not attached. Nothing is recorded when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("{}: {reason}", .path.display())]
    Refused { path: PathBuf, reason: String },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: changed while it was being read ({what}); nothing was attached", .path.display())]
    Changed { path: PathBuf, what: String },
    #[error("{}: the stored copy does not hash to its name (SHA-256 {found}): the attachment store was altered; run `custodian verify`", .path.display())]
    StoreDamaged { path: PathBuf, found: String },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Body(#[from] crate::ledger::entry::BodyError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AttachError + '_ {
    move |source| AttachError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Attaches `req.file` to `case`, signed by `key`: the ledger is checked
/// first (trusted key, exhibit acquired, earlier entry), then the file is
/// stored, then the entry is appended. A stored copy whose entry could not
/// be appended stays in the store, where `verify` reports nothing about it
/// (an unreferenced stored file is not evidence of anything).
pub fn attach(case: &Case, key: &SigningKey, req: &AttachRequest) -> Result<Attached, AttachError> {
    let exhibit = req
        .exhibit
        .as_deref()
        .map(crate::ledger::validate_exhibit_id)
        .transpose()?;
    if req
        .description
        .as_deref()
        .is_some_and(|d| d.trim().is_empty())
    {
        return Err(AttachError::Refused {
            path: req.file.clone(),
            reason: "the description is blank: leave it out to record it as not stated".into(),
        });
    }
    let name = file_name(&req.file)?;
    let draft = AttachmentAdd {
        sha256: "0".repeat(64),
        bytes: 0,
        media_type: "application/octet-stream".into(),
        name: name.clone(),
        kind: req.kind,
        description: req.description.clone(),
        exhibit: exhibit.clone(),
        entry: req.entry,
        exif: None,
    };
    case.preflight(key, &Body::AttachmentAdd(Box::new(draft.clone())))?;
    let stored = store(case.dir(), &req.file)?;
    let body = AttachmentAdd {
        sha256: stored.sha256.clone(),
        bytes: stored.bytes,
        media_type: stored.media_type.clone(),
        exif: stored.exif.clone(),
        ..draft
    };
    let appended = case.append(key, &Body::AttachmentAdd(Box::new(body.clone())))?;
    Ok(Attached {
        appended,
        body,
        stored,
    })
}

/// The last component of `path`, as text; a name that is not UTF-8 is
/// refused (the ledger is JSON text and the name must round-trip).
fn file_name(path: &Path) -> Result<String, AttachError> {
    let refuse = |reason: &str| AttachError::Refused {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    let name = path.file_name().ok_or_else(|| refuse("has no file name"))?;
    name.to_str()
        .map(str::to_string)
        .ok_or_else(|| refuse("its name is not valid UTF-8; rename a copy of it and attach that"))
}

/// Stores `file` in the attachment store of the case at `case_dir`, once
/// per content: read and hashed, then copied into a temporary file while
/// hashed again (the two must agree, and the file's size and times must
/// not change), fsynced, renamed to its digest and made read-only.
/// Refused: a symbolic link, anything that is not a regular file, a file
/// over [`MAX_ATTACHMENT_BYTES`].
pub fn store(case_dir: &Path, file: &Path) -> Result<Stored, AttachError> {
    let name = file_name(file)?;
    let refuse = |reason: String| AttachError::Refused {
        path: file.to_path_buf(),
        reason,
    };
    let meta = fs::symlink_metadata(file).map_err(io(file))?;
    let t = meta.file_type();
    if t.is_symlink() {
        return Err(refuse(
            "is a symbolic link; attach the file it points to, by its own name".into(),
        ));
    }
    if !t.is_file() {
        return Err(refuse(format!(
            "is {}, not a regular file; only regular files can be attached",
            crate::fsutil::kind_words(t)
        )));
    }
    if meta.len() > MAX_ATTACHMENT_BYTES {
        return Err(refuse(format!(
            "is {} bytes, over the {} MiB attachment limit; acquire it as an exhibit instead",
            meta.len(),
            MAX_ATTACHMENT_BYTES / (1024 * 1024)
        )));
    }
    store_dir(case_dir)?;
    let (sha256, bytes, head) = hash_file(file, &meta)?;
    let rel_path = attachment_rel_path(&sha256);
    let dest = case_dir.join(&rel_path);
    let exif = exif_of(file);
    let media_type = sniff(&head);
    let mut stored = Stored {
        sha256: sha256.clone(),
        bytes,
        media_type,
        name,
        rel_path,
        already_stored: false,
        exif,
    };
    match fs::symlink_metadata(&dest) {
        Ok(_) => {
            let (found, _) = crate::case::sha256_file(&dest).map_err(io(&dest))?;
            if found != sha256 {
                return Err(AttachError::StoreDamaged { path: dest, found });
            }
            stored.already_stored = true;
            return Ok(stored);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&dest)(e)),
    }
    let mut copied = None;
    crate::fsutil::write_atomic_with(&dest, (Point::ReportWrite, Point::ReportFsync), |w| {
        copied = Some(copy_hashing(file, &meta, w)?);
        Ok(())
    })
    .map_err(|e| io(&e.path)(e.source))?;
    match copied {
        Some((again, n)) if again == sha256 && n == bytes => {}
        _ => {
            let _ = fs::remove_file(&dest);
            return Err(AttachError::Changed {
                path: file.to_path_buf(),
                what: "its content differed between two reads".into(),
            });
        }
    }
    fs::set_permissions(&dest, fs::Permissions::from_mode(0o444)).map_err(io(&dest))?;
    Ok(stored)
}

/// `attachments/sha256` of the case, made if missing; refused when any
/// part of it is a link or not a folder, as manifests are.
fn store_dir(case_dir: &Path) -> Result<(), AttachError> {
    let top = case_dir.join(ATTACHMENTS_DIR);
    let dir = top.join("sha256");
    for d in [&top, &dir] {
        match fs::symlink_metadata(d) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(AttachError::Refused {
                    path: d.clone(),
                    reason: "is not a real folder (a symbolic link or a file); custodian stores attachments only inside the case folder".into(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir(d).map_err(io(d))?;
            }
            Err(e) => return Err(io(d)(e)),
        }
    }
    Ok(())
}

/// Hashes `file` (opened without following links, regular files only),
/// returning its SHA-256, size and first 8 KiB (for the media type), and
/// refusing a file whose size or modification time changed meanwhile.
fn hash_file(file: &Path, before: &fs::Metadata) -> Result<(String, u64, Vec<u8>), AttachError> {
    let mut head = Vec::new();
    let (digest, n) = read_hashing(file, before, &mut |chunk| {
        if head.len() < 8192 {
            let take = (8192 - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        Ok(())
    })?;
    Ok((digest, n, head))
}

fn copy_hashing(
    file: &Path,
    before: &fs::Metadata,
    w: &mut dyn Write,
) -> std::io::Result<(String, u64)> {
    read_hashing(file, before, &mut |chunk| w.write_all(chunk)).map_err(|e| match e {
        AttachError::Io { source, .. } => source,
        other => std::io::Error::other(other.to_string()),
    })
}

/// Reads `file` to its end through SHA-256, giving each chunk to `sink`,
/// and checks that its size and modification time are those of `before`.
fn read_hashing(
    file: &Path,
    before: &fs::Metadata,
    sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<(String, u64), AttachError> {
    use sha2::{Digest, Sha256};
    let mut f = crate::fsutil::open_regular(file, false).map_err(io(file))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    loop {
        let got = f.read(&mut buf).map_err(io(file))?;
        if got == 0 {
            break;
        }
        n += got as u64;
        if n > MAX_ATTACHMENT_BYTES {
            return Err(AttachError::Changed {
                path: file.to_path_buf(),
                what: "it grew past the attachment limit".into(),
            });
        }
        h.update(&buf[..got]);
        sink(&buf[..got]).map_err(io(file))?;
    }
    let after = f.metadata().map_err(io(file))?;
    if n != before.len()
        || after.len() != before.len()
        || (after.mtime(), after.mtime_nsec()) != (before.mtime(), before.mtime_nsec())
        || after.ino() != before.ino()
    {
        return Err(AttachError::Changed {
            path: file.to_path_buf(),
            what: format!(
                "{} bytes when listed, {n} read, {} after",
                before.len(),
                after.len()
            ),
        });
    }
    Ok((hex::encode(h.finalize()), n))
}

/// The media type recognised from the first bytes of the content (never
/// from the name): a known signature, else `text/plain` for UTF-8 text
/// without NUL, else `application/octet-stream`.
pub fn sniff(head: &[u8]) -> String {
    if let Some(t) = infer::get(head) {
        return t.mime_type().to_string();
    }
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut at the end of the sample.
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > head.len(),
    };
    if !head.is_empty() && text && !head.contains(&0) {
        "text/plain".into()
    } else {
        "application/octet-stream".into()
    }
}

/// What an image's EXIF says about its capture, as found; `None` for a file
/// without EXIF (or that is not an image). The GPS position itself is not
/// copied, only whether the file has one: it stays in the stored file.
pub fn exif_of(file: &Path) -> Option<ExifFound> {
    let f = crate::fsutil::open_regular(file, false).ok()?;
    let mut r = std::io::BufReader::new(f.take(MAX_ATTACHMENT_BYTES));
    let exif = exif::Reader::new().read_from_container(&mut r).ok()?;
    let text = |tag: exif::Tag| -> Option<String> {
        let field = exif.get_field(tag, exif::In::PRIMARY)?;
        match &field.value {
            exif::Value::Ascii(parts) => {
                let s: String = parts
                    .iter()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ");
                let s = s
                    .trim_matches(|c: char| c == '\0' || c.is_whitespace())
                    .to_string();
                (!s.is_empty()).then_some(s)
            }
            _ => None,
        }
    };
    let captured = [
        (
            exif::Tag::DateTimeOriginal,
            exif::Tag::OffsetTimeOriginal,
            "EXIF DateTimeOriginal",
        ),
        (exif::Tag::DateTime, exif::Tag::OffsetTime, "EXIF DateTime"),
    ]
    .into_iter()
    .find_map(|(t, o, field)| text(t).map(|raw| found_time(field, &raw, text(o).as_deref())));
    let found = ExifFound {
        captured,
        camera_make: text(exif::Tag::Make),
        camera_model: text(exif::Tag::Model),
        gps: exif.fields().any(|f| f.tag.context() == exif::Context::Gps),
    };
    (found != ExifFound::default()).then_some(found)
}

/// An EXIF time (`YYYY:MM:DD HH:MM:SS`), with the zone its offset tag
/// states, or `unknown`.
fn found_time(field: &str, raw: &str, offset: Option<&str>) -> FoundTime {
    let local = chrono::NaiveDateTime::parse_from_str(raw, "%Y:%m:%d %H:%M:%S").ok();
    let zone = offset
        .filter(|o| parse_offset(o).is_some())
        .map(str::to_string);
    let rfc3339 = local.map(|t| {
        let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
        match &zone {
            Some(z) => format!("{base}{z}"),
            None => base,
        }
    });
    FoundTime {
        field: field.into(),
        raw: raw.into(),
        rfc3339,
        zone: zone.unwrap_or_else(|| ZONE_UNKNOWN.into()),
    }
}

/// `±HH:MM`, as EXIF 2.31 offset tags hold it.
fn parse_offset(o: &str) -> Option<i32> {
    let b = o.as_bytes();
    if b.len() != 6 || b[3] != b':' || !matches!(b[0], b'+' | b'-') {
        return None;
    }
    let h: i32 = o.get(1..3)?.parse().ok()?;
    let m: i32 = o.get(4..6)?.parse().ok()?;
    (h <= 14 && m < 60).then_some(if b[0] == b'-' {
        -(h * 60 + m)
    } else {
        h * 60 + m
    })
}

pub use crate::case::{check_stored, StoredCheck};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_come_from_content_not_names() {
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), "image/jpeg");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(sniff("Warrant n\u{b0} 17\n".as_bytes()), "text/plain");
        assert_eq!(sniff(b"abc\0def"), "application/octet-stream");
        assert_eq!(sniff(b""), "application/octet-stream");
        // A UTF-8 character cut by the 8 KiB sample is still text.
        assert_eq!(sniff(&"\u{e9}".as_bytes()[..1]), "text/plain");
    }

    #[test]
    fn exif_times_keep_their_zone_only_when_stated() {
        let t = found_time("EXIF DateTimeOriginal", "2026:11:25 16:33:59", None);
        assert_eq!(t.rfc3339.as_deref(), Some("2026-11-25T16:33:59"));
        assert_eq!(t.zone, "unknown");
        let t = found_time(
            "EXIF DateTimeOriginal",
            "2026:11:25 16:33:59",
            Some("+01:00"),
        );
        assert_eq!(t.rfc3339.as_deref(), Some("2026-11-25T16:33:59+01:00"));
        assert_eq!(t.zone, "+01:00");
        let t = found_time("EXIF DateTime", "0000:00:00 00:00:00", Some("+99:00"));
        assert_eq!(t.rfc3339, None);
        assert_eq!(t.zone, "unknown");
    }
}
