//! Files that document custody without being evidence (a scanned warrant,
//! the signed seizure form, photos of a seal), and acquisitions imported
//! from another tool's log: the bodies of `attachment.add` and
//! `exhibit.import` (docs/spec/ledger.md §7.13 and §7.14).
//!
//! An attachment is stored in the case folder under its SHA-256
//! (`attachments/sha256/HEX`), byte for byte as it was given; the entry
//! binds it by that digest. What custodian read from inside the file (a
//! photo's EXIF capture time and camera) is recorded as found there, never
//! as a fact.

use serde::{Deserialize, Serialize};

use crate::id::{is_lower_hex, ExhibitId};
use crate::source::FoundTime;

/// Where a case keeps the stored copy of the attachment whose SHA-256 is
/// `sha256`, relative to the case folder.
pub fn attachment_rel_path(sha256: &str) -> String {
    format!("attachments/sha256/{sha256}")
}

/// What an attachment is, as the examiner says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttachmentKind {
    Photo,
    Scan,
    Form,
    Log,
    Other,
}

impl AttachmentKind {
    pub const ALL: &[AttachmentKind] = &[
        AttachmentKind::Photo,
        AttachmentKind::Scan,
        AttachmentKind::Form,
        AttachmentKind::Log,
        AttachmentKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Photo => "photo",
            AttachmentKind::Scan => "scan",
            AttachmentKind::Form => "form",
            AttachmentKind::Log => "log",
            AttachmentKind::Other => "other",
        }
    }
}

impl std::str::FromStr for AttachmentKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        AttachmentKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown attachment kind {s:?}; expected one of photo, scan, form, log, other"
                )
            })
    }
}

impl std::fmt::Display for AttachmentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Body of `attachment.add`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentAdd {
    /// Lowercase hex SHA-256 of the file; its stored copy is at
    /// [`attachment_rel_path`].
    pub sha256: String,
    pub bytes: u64,
    /// The media type custodian recognised from the content (not from the
    /// name); `application/octet-stream` when it recognised none.
    pub media_type: String,
    /// The file's name when it was attached (last component only).
    pub name: String,
    pub kind: AttachmentKind,
    /// What it documents, in the examiner's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The exhibit it documents; absent: the case as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exhibit: Option<ExhibitId>,
    /// `seq` of an earlier entry it documents (a seal, a transfer …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
    /// What the file's own EXIF metadata says, as found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exif: Option<ExifFound>,
}

/// EXIF values as found in an attached image. Cameras write them; anyone
/// can edit them: they are the file's statement, not custodian's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExifFound {
    /// `DateTimeOriginal` (else `DateTime`), with its zone only when
    /// `OffsetTimeOriginal` (`OffsetTime`) states one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured: Option<FoundTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_make: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_model: Option<String>,
    /// Whether the file holds GPS position tags (the position itself is
    /// not copied into the ledger; it stays in the stored file).
    pub gps: bool,
}

impl AttachmentAdd {
    /// The rules a body must meet beyond its shape (`bad-body`).
    pub fn check(&self) -> Result<(), String> {
        if !is_lower_hex(&self.sha256, 64) {
            return Err("sha256 must be 64 lowercase hex digits".into());
        }
        if self.name.is_empty() || self.name.contains('/') || self.name.contains('\0') {
            return Err("name must be a non-empty file name without '/' or NUL".into());
        }
        if self.media_type.is_empty() {
            return Err("media_type must not be empty".into());
        }
        if self
            .description
            .as_deref()
            .is_some_and(|d| d.trim().is_empty())
        {
            return Err("description must not be blank (leave it out: not stated)".into());
        }
        Ok(())
    }
}

/// Body of `exhibit.import`: an acquisition made by another tool, whose log
/// was read into the exhibit's `exhibit.acquire` entry (`acquire`, the
/// entry just before), with each digest the log states checked against
/// the image as custodian read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExhibitImport {
    pub exhibit: ExhibitId,
    /// `seq` of the exhibit's `exhibit.acquire` entry.
    pub acquire: u64,
    /// The log's format: `guymager`, `ftk`, `ewfacquire`, `dc3dd`.
    pub format: String,
    pub log: LogRef,
    pub image: ImageRead,
    /// One per digest the log states, in the log's order.
    pub checks: Vec<HashCheck>,
}

/// The imported log, stored like an attachment (kind `log`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogRef {
    pub sha256: String,
    pub bytes: u64,
    /// The log's file name when imported.
    pub name: String,
    /// How its text was decoded: `UTF-8`, `UTF-16LE`, `UTF-16BE`,
    /// `ISO-8859-1`.
    pub encoding: String,
}

/// The media custodian hashed: what the image files hold once their
/// container is removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageRead {
    /// `raw` (one file), `split-raw` (the files concatenated in the order
    /// listed) or `ewf` (the media an E01 set decompresses to).
    pub layout: String,
    /// The image files, as given (for `ewf`, the first segment).
    pub files: Vec<String>,
    /// Media bytes hashed.
    pub media_bytes: u64,
    /// Why the media could not be read, when they could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// One digest the log states, and the one custodian computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashCheck {
    pub algorithm: String,
    /// `acquisition`, `verification-source` or `verification-image`.
    pub stage: String,
    /// As the log states it (lowercase hex).
    pub logged: String,
    /// Computed from the media at import (lowercase hex); absent when the
    /// media could not be read (`image.problem` says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed: Option<String>,
    /// Exactly: `computed` is present and equals `logged`.
    pub matched: bool,
    /// The log line it was read from (1-based).
    pub line: u64,
}

/// The imaging tool whose log an `exhibit.import` of `format` read, for
/// sentences ("as stated in the Guymager log"); the format itself when it
/// is not one this version knows.
pub fn import_tool_name(format: &str) -> &str {
    match format {
        "guymager" => "Guymager",
        "ftk" => "FTK Imager",
        "ewfacquire" => "ewfacquire",
        "dc3dd" => "dc3dd",
        other => other,
    }
}

/// The stages a log's digest can belong to.
pub const HASH_STAGES: &[&str] = &["acquisition", "verification-source", "verification-image"];

impl ExhibitImport {
    /// The rules a body must meet beyond its shape (`bad-body`).
    pub fn check(&self) -> Result<(), String> {
        if !["guymager", "ftk", "ewfacquire", "dc3dd"].contains(&self.format.as_str()) {
            return Err(format!("unknown log format {:?}", self.format));
        }
        if !is_lower_hex(&self.log.sha256, 64) {
            return Err("log.sha256 must be 64 lowercase hex digits".into());
        }
        if !["raw", "split-raw", "ewf"].contains(&self.image.layout.as_str()) {
            return Err(format!("unknown image layout {:?}", self.image.layout));
        }
        if self.image.files.is_empty() {
            return Err("image.files must not be empty".into());
        }
        for c in &self.checks {
            let len = match c.algorithm.as_str() {
                "md5" => 32,
                "sha1" => 40,
                "sha256" => 64,
                other => return Err(format!("unknown algorithm {other:?} in checks")),
            };
            if !HASH_STAGES.contains(&c.stage.as_str()) {
                return Err(format!("unknown stage {:?} in checks", c.stage));
            }
            let computed = c.computed.as_deref();
            if !is_lower_hex(&c.logged, len) || computed.is_some_and(|h| !is_lower_hex(h, len)) {
                return Err(format!(
                    "a {} check must hold {len} lowercase hex digits in logged and computed",
                    c.algorithm
                ));
            }
            let equal = computed == Some(c.logged.as_str());
            if c.matched != equal {
                return Err(format!(
                    "the {} {} check says matched={} but the digests {}",
                    c.algorithm,
                    c.stage,
                    c.matched,
                    if equal {
                        "are equal"
                    } else {
                        "differ or were not computed"
                    }
                ));
            }
        }
        Ok(())
    }
}
