//! Importing acquisitions made by other tools (docs/guide/import.md): an
//! imaging tool's log is read into the exhibit's source-device record, every
//! value marked as stated in that log; the image files are catalogued as
//! `acquire` catalogues any exhibit; the media (the raw file, the split
//! files concatenated, or what an E01 set decompresses to) are hashed with
//! every algorithm the log names; and a signed `exhibit.import` entry
//! records each digest the log states beside the one computed. A digest
//! that does not match is a high finding (`IMP-HASH-MISMATCH`), never a
//! refusal: the record of a doctored log or a damaged image is evidence
//! too. The log itself is kept in the attachment store, by its SHA-256.
//!
//! Nothing is recorded from a log that does not parse: its error names the
//! line.

mod dc3dd;
mod decode;
mod ewfacquire;
mod ftk;
mod guymager;
pub mod log;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use custodian_format::attachment::{ExhibitImport, HashCheck, ImageRead, LogRef};

pub use log::{parse_log, HashStage, LogError, LogFormat, LoggedHash, ParsedLog, TextEncoding};

use crate::acquire::{AcquireError, AcquireRequest, Acquired};
use crate::attachment::{AttachError, Stored};
use crate::case::Case;
use crate::hashing::{Algorithm, HashOptions, Progress};
use crate::keys::SigningKey;
use crate::ledger::{Appended, Body, LedgerError};
use crate::provenance::{ImagingRecord, SourceDevice, Sourced, StatedSource};

/// The largest log custodian reads: 16 MiB. Real logs are a few KiB; a
/// bigger file is not a log.
pub const MAX_LOG_FILE_BYTES: u64 = log::MAX_LOG_BYTES as u64;

/// What to import.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub exhibit: String,
    pub format: LogFormat,
    /// The tool's log.
    pub log: PathBuf,
    /// The image: one raw file, the files of a split raw image in order, or
    /// the first segment of an E01 set (the others are found beside it).
    pub images: Vec<PathBuf>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub authority: Option<String>,
    /// Algorithms for the manifest of the image files (those the log names
    /// are added), threads.
    pub options: HashOptions,
    pub override_reason: Option<String>,
    /// What the examiner states beyond the log (kind, write-blocker …).
    pub stated_source: StatedSource,
}

/// A completed import.
#[derive(Debug)]
pub struct Imported {
    pub acquired: Acquired,
    pub appended: Appended,
    pub body: ExhibitImport,
    pub log: ParsedLog,
    pub stored_log: Stored,
    /// What the examiner should know although it was recorded.
    pub warnings: Vec<String>,
}

/// Why an import was not (entirely) recorded.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The log does not parse; nothing was recorded.
    #[error("{}: {source}; nothing was recorded", .path.display())]
    Log {
        path: PathBuf,
        #[source]
        source: LogError,
    },
    #[error("{}: {reason}; nothing was recorded", .path.display())]
    Refused { path: PathBuf, reason: String },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Acquire(#[from] AcquireError),
    #[error(transparent)]
    Store(#[from] AttachError),
    /// The acquisition was recorded, the check of the log's digests could
    /// not be appended after it.
    #[error("exhibit {exhibit} was recorded (entry {seq}), but the check of the log's digests could not be: {source}")]
    NotChecked {
        exhibit: String,
        seq: u64,
        #[source]
        source: LedgerError,
    },
}

/// How the image's files hold the media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Raw,
    SplitRaw,
    Ewf,
}

impl Layout {
    fn as_str(self) -> &'static str {
        match self {
            Layout::Raw => "raw",
            Layout::SplitRaw => "split-raw",
            Layout::Ewf => "ewf",
        }
    }
}

/// Imports `req` into `case`, signed by `key`: two entries, the
/// `exhibit.acquire` of the image files and the `exhibit.import` of the
/// log's digests checked.
pub fn import(
    case: &Case,
    key: &SigningKey,
    req: &ImportRequest,
    progress: &dyn Progress,
) -> Result<Imported, ImportError> {
    let log_name = req
        .log
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| ImportError::Refused {
            path: req.log.clone(),
            reason: "the log's name is not valid UTF-8 text".into(),
        })?;
    let log_read = log_bytes(&req.log)?;
    let (encoding, parsed) = parse_log_bytes(req.format, &req.log, &log_read)?;
    let layout = layout_of(&req.images)?;
    let algorithms = logged_algorithms(&parsed);
    let mut warnings = Vec::new();
    warnings.extend(image_name_warnings(req.format, &parsed, &req.images));

    let stored_log = crate::attachment::store(case.dir(), &req.log)?;
    // The copy kept is read again from the file: it must be the text that
    // was parsed, or the entry would bind a log that says something else.
    if stored_log.sha256 != hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&log_read)) {
        return Err(ImportError::Refused {
            path: req.log.clone(),
            reason: "changed while it was being imported (the copy kept is not the text that was read); nothing was recorded".into(),
        });
    }

    let source_name = format!("{} log {log_name}", req.format.tool_name());
    let mut options = req.options.clone();
    if layout == Layout::Raw && !algorithms.is_empty() {
        let mut all: Vec<Algorithm> = options.algorithms.iter().collect();
        all.extend(algorithms.iter().copied());
        options.algorithms =
            crate::hashing::AlgorithmSet::new(all).map_err(|e| ImportError::Refused {
                path: req.log.clone(),
                reason: e.to_string(),
            })?;
    }
    let roots = match layout {
        Layout::Ewf => {
            crate::interop::ewf::segments(&req.images[0]).map_err(|e| ImportError::Refused {
                path: req.images[0].clone(),
                reason: e.to_string(),
            })?
        }
        _ => req.images.clone(),
    };
    let acquire_req = AcquireRequest {
        exhibit: req.exhibit.clone(),
        description: req.description.clone(),
        source: req.source.clone(),
        authority: req.authority.clone(),
        roots,
        options,
        strict: false,
        override_reason: req.override_reason.clone(),
        stated_source: req.stated_source.clone(),
        logged_source: Some(logged_device(req.format, &parsed, &source_name)),
        media_algorithms: algorithms.clone(),
    };
    let acquired = crate::acquire::acquire(case, key, &acquire_req, progress)?;
    warnings.extend(acquired.warnings.iter().cloned());

    // The split image's media are its files in order, read again as one
    // stream once the acquisition is recorded: `acquire` refuses a taken
    // exhibit id or an untrusted key before its hours of hashing, and so
    // before these. A part that cannot be read now is said in the check.
    let (media, media_bytes, problem) = match layout {
        Layout::SplitRaw => match concatenated(&req.images, &algorithms) {
            Ok((digests, bytes)) => (Some(digests), bytes, None),
            Err(e) => (None, 0, Some(e.to_string())),
        },
        Layout::Raw => match &acquired.body.digests {
            Some(d) => (Some(d.clone()), acquired.body.counts.bytes, None),
            None => (
                None,
                0,
                Some("the image file could not be read when it was catalogued".to_string()),
            ),
        },
        Layout::Ewf => ewf_media(&acquired),
    };
    if media.is_some() {
        warnings.extend(size_warning(req.format, &parsed, media_bytes));
    }
    let checks = parsed
        .hashes
        .iter()
        .map(|h| {
            let computed = media.as_ref().and_then(|m| m.get(&h.algorithm)).cloned();
            HashCheck {
                algorithm: h.algorithm.clone(),
                stage: h.stage.as_str().into(),
                matched: computed.as_deref() == Some(h.value.as_str()),
                logged: h.value.clone(),
                computed,
                line: h.line as u64,
            }
        })
        .collect();
    let body = ExhibitImport {
        exhibit: acquired.body.exhibit.clone(),
        acquire: acquired.appended.entry.seq,
        format: req.format.as_str().into(),
        log: LogRef {
            sha256: stored_log.sha256.clone(),
            bytes: stored_log.bytes,
            name: log_name,
            encoding: encoding.as_str().into(),
        },
        image: ImageRead {
            layout: layout.as_str().into(),
            files: req.images.iter().map(|p| p.display().to_string()).collect(),
            media_bytes,
            problem,
        },
        checks,
    };
    let appended = case
        .append(key, &Body::ExhibitImport(Box::new(body.clone())))
        .map_err(|source| ImportError::NotChecked {
            exhibit: req.exhibit.clone(),
            seq: acquired.appended.entry.seq,
            source,
        })?;
    Ok(Imported {
        acquired,
        appended,
        body,
        log: parsed,
        stored_log,
        warnings,
    })
}

/// The log's bytes (a regular file, at most [`MAX_LOG_FILE_BYTES`]).
fn log_bytes(path: &Path) -> Result<Vec<u8>, ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let f = crate::fsutil::open_regular(path, true).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    if len > MAX_LOG_FILE_BYTES {
        return Err(ImportError::Refused {
            path: path.to_path_buf(),
            reason: format!(
                "is {len} bytes; an imaging log is at most {} MiB",
                MAX_LOG_FILE_BYTES / (1024 * 1024)
            ),
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(f, MAX_LOG_FILE_BYTES + 1),
        &mut bytes,
    )
    .map_err(io)?;
    Ok(bytes)
}

/// [`parse_log`], its error naming the log at `path`.
fn parse_log_bytes(
    format: LogFormat,
    path: &Path,
    bytes: &[u8],
) -> Result<(TextEncoding, ParsedLog), ImportError> {
    parse_log(format, bytes).map_err(|source| ImportError::Log {
        path: path.to_path_buf(),
        source,
    })
}

/// The layout of the image files given: one `.E01` (any case) first
/// segment, or raw files.
fn layout_of(images: &[PathBuf]) -> Result<Layout, ImportError> {
    let Some(first) = images.first() else {
        return Err(ImportError::Refused {
            path: PathBuf::from("--image"),
            reason: "give the image: --image PATH (one raw file, the parts of a split raw image in order, or the first segment of an E01 set)".into(),
        });
    };
    for p in images {
        let m = std::fs::metadata(p).map_err(|source| ImportError::Io {
            path: p.clone(),
            source,
        })?;
        if !m.is_file() {
            return Err(ImportError::Refused {
                path: p.clone(),
                reason: "is not a regular file; an image is one or more files".into(),
            });
        }
    }
    use crate::interop::ewf::{container, Container};
    let first_segment = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("e01") || e.eq_ignore_ascii_case("s01"))
    };
    // Judged by content: a segment named otherwise, or a format custodian
    // does not read, must not be hashed as if it were a raw image.
    let mut ewf = false;
    for p in images {
        match container(p) {
            Container::Unsupported(format) => {
                return Err(ImportError::Refused {
                    path: p.clone(),
                    reason: format!("is {format}"),
                })
            }
            Container::Ewf1 => ewf = true,
            Container::Other => {}
        }
    }
    if ewf || images.iter().any(|p| first_segment(p)) {
        if images.len() != 1 || !first_segment(first) {
            return Err(ImportError::Refused {
                path: first.clone(),
                reason: "is (or comes with) an EWF segment: give only the first segment of the set (named .E01 or .s01); the others are found beside it".into(),
            });
        }
        return Ok(Layout::Ewf);
    }
    Ok(if images.len() == 1 {
        Layout::Raw
    } else {
        Layout::SplitRaw
    })
}

/// The algorithms of the digests the log states, weakest first, once each.
fn logged_algorithms(log: &ParsedLog) -> Vec<Algorithm> {
    let mut v: Vec<Algorithm> = log
        .hashes
        .iter()
        .filter_map(|h| h.algorithm.parse().ok())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The media of a split raw image: its files read in the order given, as
/// one stream, through every algorithm.
fn concatenated(
    files: &[PathBuf],
    algorithms: &[Algorithm],
) -> Result<(BTreeMap<String, String>, u64), ImportError> {
    use std::io::Read;
    let mut h = crate::hashing::MultiHasher::of(algorithms);
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    for p in files {
        let io = |source| ImportError::Io {
            path: p.clone(),
            source,
        };
        let mut f = crate::hashing::open_evidence(p, true, false).map_err(io)?;
        loop {
            let n = f.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            h.update(&buf[..n]);
        }
    }
    let digests = h
        .finalize()
        .iter()
        .map(|(a, d)| (a.name().to_string(), d.to_string()))
        .collect();
    Ok((digests, total))
}

/// The E01 image's media digests as the acquisition computed them.
fn ewf_media(acquired: &Acquired) -> (Option<BTreeMap<String, String>>, u64, Option<String>) {
    let img = acquired.body.ewf.first();
    let size = img.and_then(|i| i.media_size).unwrap_or(0);
    match acquired.media_digests.first() {
        Some((_, d)) => (Some(d.clone()), size, None),
        None => (
            None,
            size,
            Some(
                img.map(|i| i.problems.join("; "))
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| "the E01 image could not be read".into()),
            ),
        ),
    }
}

/// The log's statements about the source as a source-device record: each
/// value with origin `header` and `header_source` naming the log, so that
/// every output says "as stated in the Guymager log disk.info".
pub fn logged_device(format: LogFormat, log: &ParsedLog, source: &str) -> SourceDevice {
    let text = |v: &Option<String>| {
        v.as_ref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| Sourced::header(s.trim().to_string(), source))
    };
    let mut hashes = BTreeMap::new();
    for h in log
        .hashes
        .iter()
        .filter(|h| h.stage == HashStage::Acquisition)
    {
        hashes
            .entry(h.algorithm.clone())
            .or_insert_with(|| h.value.clone());
    }
    SourceDevice {
        kind: None,
        make: text(&log.make),
        model: text(&log.model),
        serial: text(&log.serial),
        sector_size: log
            .sector_size
            .filter(|n| *n > 0)
            .map(|n| Sourced::header(n, source)),
        sector_count: log
            .sector_count
            .filter(|n| *n > 0)
            .map(|n| Sourced::header(n, source)),
        write_blocker: None,
        imaging: Some(ImagingRecord {
            source: source.to_string(),
            tool: Some(format.tool_name().to_string()),
            tool_version: log.tool_version.clone(),
            tool_os: log.tool_os.clone(),
            acquired: log.acquired.clone(),
            finished: log.finished.clone(),
            examiner: log.examiner.clone(),
            case_number: log.case_number.clone(),
            evidence_number: log.evidence_number.clone(),
            description: log.description.clone(),
            notes: log.notes.clone(),
            bad_sectors: log.bad_sectors.clone(),
            hashes,
        }),
    }
}

/// A warning when the size the log states for the source (in bytes, or
/// as sectors of a size) is not the size of the media read: a partial
/// image, a wrong log, or a source with a hidden area the tool did not
/// read. Not a finding: the digests decide what the image is.
fn size_warning(format: LogFormat, log: &ParsedLog, media_bytes: u64) -> Option<String> {
    let stated = log.source_bytes.or_else(|| {
        log.sector_count
            .zip(log.sector_size)
            .and_then(|(n, s)| n.checked_mul(s))
    })?;
    (stated != media_bytes).then(|| {
        format!(
            "the {} log states a source of {stated} bytes, but the image's media are {media_bytes} bytes",
            format.tool_name()
        )
    })
}

/// A warning when the log names image files none of which is among those
/// given (the examiner may have renamed them, or given another image).
fn image_name_warnings(format: LogFormat, log: &ParsedLog, images: &[PathBuf]) -> Vec<String> {
    if log.image_files.is_empty() {
        return Vec::new();
    }
    let given: Vec<String> = images
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_lowercase()))
        .collect();
    let named_base = |s: &str| s.rsplit(['/', '\\']).next().unwrap_or(s).to_lowercase();
    if log
        .image_files
        .iter()
        .any(|f| given.contains(&named_base(f)))
    {
        return Vec::new();
    }
    vec![format!(
        "the {} log names the image file(s) {}, none of which is among those given; the digests it states are checked against the files given",
        format.tool_name(),
        log.image_files.join(", ")
    )]
}
