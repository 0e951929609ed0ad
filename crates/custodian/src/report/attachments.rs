//! The report's attachments: every file attached to the case or to a
//! reported exhibit, and every imported log, with the state of its stored
//! copy as checked for this report, and for images a thumbnail (HTML only,
//! inline `data:` URI, so the page's strict content policy holds).

use serde::Serialize;

use custodian_format::attachment::{attachment_rel_path, AttachmentAdd, ExifFound};

use crate::ledger::{CaseState, ExhibitId, Problem};

/// Thumbnails are at most this many pixels on their longer side.
pub const THUMBNAIL_PX: u32 = 240;

/// An image bigger than this is not decoded for a thumbnail (it is listed,
/// with a sentence saying so): the report's memory stays bounded.
pub const THUMBNAIL_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// One attachment as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentRow {
    /// The entry that records it (`attachment.add`, or `exhibit.import`
    /// for an imported log).
    pub entry: u64,
    /// The exhibit it documents; `None`: the case.
    pub exhibit: Option<ExhibitId>,
    pub kind: String,
    /// Its name when attached.
    pub name: String,
    /// Recognised from the content when attached.
    pub media_type: String,
    pub bytes: u64,
    pub sha256: String,
    /// The examiner's words; `None`: not stated.
    pub description: Option<String>,
    /// The earlier entry it documents.
    pub documents_entry: Option<u64>,
    /// EXIF values as found in the file.
    pub exif: Option<ExifFound>,
    /// The stored copy as checked for this report: `intact`, or the
    /// `verify` problem code (`attachment-missing`, `attachment-changed`,
    /// `attachment-unreadable`).
    pub stored: String,
    /// Where the stored copy is, relative to the case folder.
    pub stored_path: String,
    /// A small JPEG of an intact image, as a `data:` URI (HTML only).
    #[serde(skip)]
    pub thumbnail: Option<String>,
}

impl AttachmentRow {
    /// What the file's EXIF says, in one sentence marked as the file's
    /// statement; `None` without EXIF.
    pub fn exif_words(&self) -> Option<String> {
        let x = self.exif.as_ref()?;
        let mut parts = Vec::new();
        if let Some(t) = &x.captured {
            parts.push(format!("captured {t}"));
        }
        let camera: Vec<&str> = [x.camera_make.as_deref(), x.camera_model.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if !camera.is_empty() {
            parts.push(format!("camera {}", camera.join(" ")));
        }
        if x.gps {
            parts.push("holds a GPS position (not reproduced here)".into());
        }
        Some(format!("as found in the file: {}", parts.join("; ")))
    }

    /// What the examiner said it documents, with the entry.
    pub fn about_words(&self) -> String {
        let what = self
            .exhibit
            .as_ref()
            .map_or_else(|| "the case".to_string(), |e| format!("exhibit {e}"));
        let mut s = format!(
            "{what}: {}",
            self.description.as_deref().unwrap_or(super::NOT_STATED)
        );
        if let Some(n) = self.documents_entry {
            s.push_str(&format!(" (documents entry {n})"));
        }
        s
    }

    /// The stored copy's state in words.
    pub fn stored_words(&self) -> String {
        match self.stored.as_str() {
            "intact" => "stored copy intact (re-hashed for this report)".into(),
            "attachment-missing" => "STORED COPY MISSING".into(),
            "attachment-changed" => "STORED COPY CHANGED since it was attached".into(),
            _ => "stored copy could not be read".into(),
        }
    }
}

/// The attachments of the case and of the exhibits `selected` accepts, in
/// ledger order; `problems` are the verification's (an attachment problem
/// names the stored file by its path).
pub(super) fn rows(
    case_dir: &std::path::Path,
    state: &CaseState,
    problems: &[Problem],
    selected: &dyn Fn(&ExhibitId) -> bool,
) -> Vec<AttachmentRow> {
    state
        .recorded_attachments()
        .into_iter()
        .filter(|(_, a)| a.exhibit.as_ref().is_none_or(selected))
        .map(|(seq, a)| row(case_dir, seq, a, problems))
        .collect()
}

fn row(
    case_dir: &std::path::Path,
    seq: u64,
    a: AttachmentAdd,
    problems: &[Problem],
) -> AttachmentRow {
    let stored_path = attachment_rel_path(&a.sha256);
    let stored = problems
        .iter()
        .find(|p| {
            p.code.starts_with("attachment-") && p.path.as_deref() == Some(stored_path.as_str())
        })
        .map_or("intact", |p| p.code)
        .to_string();
    let thumbnail = (stored == "intact" && a.media_type.starts_with("image/"))
        .then(|| thumbnail(&case_dir.join(&stored_path), a.bytes))
        .flatten();
    AttachmentRow {
        entry: seq,
        exhibit: a.exhibit,
        kind: a.kind.to_string(),
        name: a.name,
        media_type: a.media_type,
        bytes: a.bytes,
        sha256: a.sha256,
        description: a.description,
        documents_entry: a.entry,
        exif: a.exif,
        stored,
        stored_path,
        thumbnail,
    }
}

/// A JPEG thumbnail of the image at `path` as a `data:` URI; `None` when it
/// is too big, not a JPEG or PNG, or does not decode. Deterministic: the
/// same image gives the same bytes.
pub fn thumbnail(path: &std::path::Path, bytes: u64) -> Option<String> {
    use base64::Engine as _;
    if bytes > THUMBNAIL_MAX_BYTES {
        return None;
    }
    let data = crate::fsutil::read_regular(path, false).ok()?;
    let mut reader = image::ImageReader::new(std::io::Cursor::new(&data))
        .with_guessed_format()
        .ok()?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(256 * 1024 * 1024);
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    reader.limits(limits);
    let img = reader.decode().ok()?;
    let small = img.thumbnail(THUMBNAIL_PX, THUMBNAIL_PX).to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .ok()?;
    Some(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(out)
    ))
}
