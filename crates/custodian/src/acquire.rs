//! Acquisition: catalogue an exhibit into a manifest and bind it to the
//! ledger with one signed `exhibit.acquire` entry.
//!
//! The order of operations is chosen so that nothing is half-recorded: the
//! ledger is checked first (is the key trusted, is the exhibit id free?), the
//! manifest is written atomically next to the ledger, and only then is the
//! entry that cites the manifest's SHA-256 appended. If the append fails, the
//! manifest is moved to `recovered/` rather than left looking valid.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::case::Case;
use crate::hashing::{
    write_manifest_with, FileKind, HashError, HashOptions, ManifestReader, ManifestSummary,
    Progress, Summary,
};
use crate::keys::SigningKey;
use crate::ledger::{
    manifest_rel_path, validate_exhibit_id, AcquisitionCounts, Appended, Body, ExhibitAcquire,
    ExhibitId, LedgerError, ManifestRef,
};

/// What to acquire and how.
#[derive(Debug, Clone)]
pub struct AcquireRequest {
    pub exhibit: String,
    pub description: Option<String>,
    pub source: Option<String>,
    pub authority: Option<String>,
    /// Files or folders to catalogue.
    pub roots: Vec<PathBuf>,
    /// Algorithms, threads, symlink policy. The case folder is added to the
    /// exclusions automatically.
    pub options: HashOptions,
    /// Refuse to record an acquisition in which any object could not be
    /// read or changed while it was read.
    pub strict: bool,
    /// Record the acquisition even though it breaks a rule (no authority
    /// covers it …); the reason becomes a finding.
    pub override_reason: Option<String>,
    /// What the examiner states about the source device (make, model,
    /// serial …); merged with what an E01 image's header says.
    pub stated_source: crate::provenance::StatedSource,
    /// What an imaging tool's log says about the source (`custodian
    /// import`): recorded in place of an E01 header's values, which stay
    /// in the entry's `ewf` member.
    pub logged_source: Option<crate::provenance::SourceDevice>,
    /// Media digests to compute, besides MD5 and SHA-1, for each E01 image
    /// acquired ([`Acquired::media_digests`]).
    pub media_algorithms: Vec<crate::hashing::Algorithm>,
}

/// A completed acquisition.
#[derive(Debug, Clone)]
pub struct Acquired {
    pub appended: Appended,
    pub manifest: ManifestSummary,
    pub body: ExhibitAcquire,
    /// Files an interrupted earlier acquisition of the same exhibit had
    /// left (`manifests/ID.jsonl` or `ID.jsonl.tmp`, never recorded), and
    /// where in `recovered/` they were moved before this one started.
    pub set_aside: Vec<(PathBuf, PathBuf)>,
    /// What the examiner should know although it was recorded: a stated
    /// value that differs from the image's header, header values not
    /// merged.
    pub warnings: Vec<String>,
    /// For each E01 image acquired whose media could be read: its media
    /// digests (MD5, SHA-1 and [`AcquireRequest::media_algorithms`]).
    pub media_digests: Vec<(String, BTreeMap<String, String>)>,
}

/// Why an acquisition was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum AcquireError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The exhibit id cannot name a manifest file.
    #[error(transparent)]
    ExhibitId(#[from] crate::ledger::entry::BodyError),
    #[error("nothing to acquire: give at least one path")]
    NoRoots,
    #[error(transparent)]
    Stated(#[from] crate::provenance::ProvenanceError),
    /// The manifest was written but the ledger entry could not be (disk
    /// full, I/O error, refused under the lock): the manifest was moved to
    /// `recovered/` so that it does not sit where a recorded one would.
    #[error("{source}; nothing was recorded (the manifest was moved to {kept})", kept = .kept.display())]
    NotRecorded {
        #[source]
        source: LedgerError,
        kept: PathBuf,
    },
    /// The case's `manifests` is a symbolic link or a file, not a folder.
    #[error("{}: is not a real folder (a symbolic link or a file); custodian writes manifests only inside the case folder", .path.display())]
    NotAFolder { path: PathBuf },
    #[error("{path}: {source}")]
    Path {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A strict acquisition ([`AcquireRequest::strict`]) in which some
    /// objects could not be read or changed: the manifest was moved aside
    /// and nothing was appended.
    #[error("{errors} object(s) could not be read and {changed} changed while being read; in a strict acquisition nothing was recorded (manifest kept at {kept})", kept = .kept.display())]
    Strict {
        errors: u64,
        changed: u64,
        kept: PathBuf,
    },
}

/// Acquires `req.roots` as exhibit `req.exhibit` of `case`, signed by `key`.
pub fn acquire(
    case: &Case,
    key: &SigningKey,
    req: &AcquireRequest,
    progress: &dyn Progress,
) -> Result<Acquired, AcquireError> {
    let exhibit = check_request(req)?;
    let req = &with_case_authority(case, req)?;
    let rel = manifest_rel_path(&req.exhibit);
    // Refuse before hours of hashing: untrusted key, exhibit id taken …
    let placeholder = ManifestRef {
        path: rel.clone(),
        sha256: "0".repeat(64),
        bytes: 0,
    };
    let draft = body_of(
        &exhibit,
        req,
        placeholder,
        AcquisitionCounts::default(),
        None,
    );
    case.preflight(key, &Body::ExhibitAcquire(Box::new(draft)))?;

    let dest = case.dir().join(&rel);
    let set_aside = clear_manifest_place(case, &dest)?;
    // The machine as the acquisition starts: its clock describes the
    // `started` time.
    let clock = crate::host::clock();
    let host_system = crate::host::system();
    let mut options = req.options.clone();
    options.exclude.push(case.dir().to_path_buf());
    let absolute: Vec<Option<PathBuf>> = req
        .roots
        .iter()
        .map(|r| crate::provenance::absolute_root(r))
        .collect();
    let header = crate::hashing::header(&req.roots, &options.algorithms, options.follow_symlinks)
        .with_absolute_roots(&absolute);
    let manifest = write_manifest_with(&dest, header, &req.roots, &options, progress)?;
    let counts = counts_of(&manifest.summary);
    if req.strict && (counts.errors > 0 || counts.changed_during_read > 0) {
        let kept = self::set_aside(case, &dest)?;
        return Err(AcquireError::Strict {
            errors: counts.errors,
            changed: counts.changed_during_read,
            kept,
        });
    }
    let manifest_ref = ManifestRef {
        path: rel,
        sha256: manifest.sha256.clone(),
        bytes: manifest.bytes,
    };
    let mut body = body_of(&exhibit, req, manifest_ref, counts, Some(&manifest));
    body.digests = single_file_digests(&dest, &req.roots)?;
    let read = ewf_images(&req.roots, &req.media_algorithms);
    body.ewf = read.images;
    let media_digests = read.media;
    let headers = match &req.logged_source {
        Some(logged) => vec![logged.clone()],
        None => read.headers,
    };
    let (source_device, warnings) = source_device(&req.stated_source, headers);
    body.source_device = source_device;
    body.clock = Some(clock);
    body.host_system = Some(host_system);
    let appended = record(case, key, &body, &dest)?;
    Ok(Acquired {
        appended,
        manifest,
        body,
        set_aside,
        warnings,
        media_digests,
    })
}

/// The source-device record: the examiner's values merged with the header
/// values of the one E01 image acquired (`headers`: one per E01 image that
/// could be read). Several images are several devices: their header
/// values stay in each `ewf[]` object and only the stated values are
/// recorded, with a warning.
fn source_device(
    stated: &crate::provenance::StatedSource,
    mut headers: Vec<crate::provenance::SourceDevice>,
) -> (Option<crate::provenance::SourceDevice>, Vec<String>) {
    let mut warnings = Vec::new();
    let found = match headers.len() {
        0 => None,
        1 => headers.pop(),
        n => {
            warnings.push(format!(
                "{n} E01 images in one exhibit: their header values (model, serial, sectors, dates, notes) are recorded per image, not merged into the exhibit's source-device record; acquire each device as its own exhibit to have them there"
            ));
            None
        }
    };
    let (record, disagreements) = crate::provenance::record(stated, found);
    warnings.extend(disagreements.iter().map(|d| d.to_string()));
    (record, warnings)
}

/// Refuses a request that cannot be acquired: a bad exhibit id, no path, a
/// path that does not exist.
fn check_request(req: &AcquireRequest) -> Result<ExhibitId, AcquireError> {
    let exhibit = validate_exhibit_id(&req.exhibit)?;
    req.stated_source.check()?;
    if req.roots.is_empty() {
        return Err(AcquireError::NoRoots);
    }
    for root in &req.roots {
        root.symlink_metadata()
            .map_err(|source| AcquireError::Path {
                path: root.clone(),
                source,
            })?;
    }
    Ok(exhibit)
}

/// The request, citing the authority the case was opened under when it
/// names none.
fn with_case_authority(case: &Case, req: &AcquireRequest) -> Result<AcquireRequest, AcquireError> {
    let mut req = req.clone();
    if req.authority.is_none() {
        req.authority = case.ledger().state()?.case.and_then(|c| c.authority);
    }
    Ok(req)
}

/// The `exhibit.acquire` body for `req` with this manifest and counts;
/// `hashed` gives the start and end of hashing (empty before it).
fn body_of(
    exhibit: &ExhibitId,
    req: &AcquireRequest,
    manifest: ManifestRef,
    counts: AcquisitionCounts,
    hashed: Option<&ManifestSummary>,
) -> ExhibitAcquire {
    let (started, finished) = hashed
        .map(|m| {
            (
                crate::time::format(m.started),
                crate::time::format(m.finished),
            )
        })
        .unwrap_or_default();
    ExhibitAcquire {
        exhibit: exhibit.clone(),
        description: req.description.clone(),
        source: req.source.clone(),
        authority: req.authority.clone(),
        algorithms: req
            .options
            .algorithms
            .iter()
            .map(|a| a.name().to_string())
            .collect(),
        roots: req.roots.iter().map(|r| r.display().to_string()).collect(),
        manifest,
        counts,
        started,
        finished,
        host: host_name(),
        digests: None,
        ewf: Vec::new(),
        override_reason: req.override_reason.clone(),
        source_device: None,
        clock: None,
        host_system: None,
    }
}

/// Makes the manifests folder and moves aside what an interrupted
/// acquisition left at `dest`. The preflight showed no entry references
/// this exhibit, so a manifest (or a half-written `.tmp`) already there was
/// never recorded: it is moved to `recovered/`, never refused or
/// overwritten. Returns (from, to) of each file moved.
fn clear_manifest_place(case: &Case, dest: &Path) -> Result<Vec<(PathBuf, PathBuf)>, AcquireError> {
    let manifests = case.manifests_dir();
    // A `manifests` that is a link (or anything but a real folder) would
    // have the manifest written wherever it points, outside the case.
    if let Ok(m) = manifests.symlink_metadata() {
        if !m.is_dir() {
            return Err(AcquireError::NotAFolder { path: manifests });
        }
    }
    std::fs::create_dir_all(&manifests).map_err(|source| AcquireError::Path {
        path: manifests.clone(),
        source,
    })?;
    let mut leftover_tmp = dest.as_os_str().to_os_string();
    leftover_tmp.push(".tmp");
    let mut moved = Vec::new();
    for leftover in [dest.to_path_buf(), PathBuf::from(leftover_tmp)] {
        if leftover.symlink_metadata().is_ok() {
            let to = set_aside(case, &leftover)?;
            moved.push((leftover, to));
        }
    }
    Ok(moved)
}

/// The counts an acquisition entry records, from the manifest's summary.
fn counts_of(s: &Summary) -> AcquisitionCounts {
    AcquisitionCounts {
        files: s.files,
        dirs: s.dirs,
        symlinks: s.symlinks,
        special: s.special,
        bytes: s.bytes,
        errors: s.errors,
        skipped: s.skipped,
        changed_during_read: s.changed_during_read,
        hardlinks: s.hardlinks,
    }
}

/// Appends the acquisition entry; if that fails, moves the manifest at
/// `dest` to `recovered/`: an unreferenced manifest must not sit where a
/// valid one would.
fn record(
    case: &Case,
    key: &SigningKey,
    body: &ExhibitAcquire,
    dest: &Path,
) -> Result<Appended, AcquireError> {
    case.append(key, &Body::ExhibitAcquire(Box::new(body.clone())))
        .map_err(|e| match set_aside(case, dest) {
            Ok(kept) => AcquireError::NotRecorded { source: e, kept },
            Err(_) => e.into(),
        })
}

/// Every acquired path that is an E01 image (by its `.E01` extension) is
/// also opened as one: its media are re-hashed and compared with the
/// digests the imager stored, and its own metadata recorded. A damaged or
/// unreadable image is recorded with the reason, never silently skipped.
/// Returns the images and, for each one that could be read, what its
/// headers say about the source device.
fn ewf_images(roots: &[PathBuf], extra: &[crate::hashing::Algorithm]) -> EwfRead {
    let mut out = Vec::new();
    let mut headers = Vec::new();
    let mut media = Vec::new();
    for root in roots {
        let is_e01 = root
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("e01"))
            && root.metadata().is_ok_and(|m| m.is_file());
        if !is_e01 {
            continue;
        }
        let mut img = crate::ledger::EwfImage {
            image: root.display().to_string(),
            media_size: None,
            case_number: None,
            evidence_number: None,
            examiner: None,
            description: None,
            acquisition_date: None,
            acquisition_software: None,
            notes: None,
            stored_md5: None,
            stored_sha1: None,
            computed_md5: None,
            computed_sha1: None,
            problems: Vec::new(),
        };
        match crate::interop::ewf::verify_with(root, &|_| {}, extra) {
            Ok(v) => {
                let mut digests = v.extra_digests.clone();
                digests.insert("md5".into(), v.computed_md5.clone());
                digests.insert("sha1".into(), v.computed_sha1.clone());
                media.push((img.image.clone(), digests));
                headers.push(crate::interop::ewf_header::device_values(&v, &img.image));
                img.notes = v
                    .header
                    .get("t")
                    .map(|(_, n)| n.to_string())
                    .or(v.metadata.notes.clone());
                img.problems = v.problems();
                img.media_size = Some(v.media_size);
                img.case_number = v.metadata.case_number;
                img.evidence_number = v.metadata.evidence_number;
                img.examiner = v.metadata.examiner;
                img.description = v.metadata.description;
                img.acquisition_date = v.metadata.acquisition_date;
                img.acquisition_software = v.metadata.acquisition_software;
                img.stored_md5 = v.stored_md5;
                img.stored_sha1 = v.stored_sha1;
                img.computed_md5 = Some(v.computed_md5);
                img.computed_sha1 = Some(v.computed_sha1);
            }
            Err(e) => img.problems.push(e.to_string()),
        }
        out.push(img);
    }
    EwfRead {
        images: out,
        headers,
        media,
    }
}

/// What [`ewf_images`] read of the E01 images acquired.
struct EwfRead {
    /// One per image, for the entry's `ewf` member.
    images: Vec<crate::ledger::EwfImage>,
    /// What each readable image's headers say about the source device.
    headers: Vec<crate::provenance::SourceDevice>,
    /// Each readable image's media digests, by image.
    media: Vec<(String, BTreeMap<String, String>)>,
}

/// For an exhibit that is a single regular file, that file's digests.
fn single_file_digests(
    manifest: &Path,
    roots: &[PathBuf],
) -> Result<Option<BTreeMap<String, String>>, AcquireError> {
    if roots.len() != 1 || !roots[0].metadata().map(|m| m.is_file()).unwrap_or(false) {
        return Ok(None);
    }
    let reader = ManifestReader::open(manifest)?;
    for record in reader {
        let record = record?;
        if record.kind == FileKind::File && record.error.is_none() && !record.digests.is_empty() {
            return Ok(Some(
                record
                    .digests
                    .iter()
                    .map(|(a, h)| (a.name().to_string(), h.to_string()))
                    .collect(),
            ));
        }
    }
    Ok(None)
}

/// Moves a manifest that will not be referenced into `recovered/`.
fn set_aside(case: &Case, manifest: &Path) -> Result<PathBuf, AcquireError> {
    let dir = case.recovered_dir();
    std::fs::create_dir_all(&dir).map_err(|source| AcquireError::Path {
        path: dir.clone(),
        source,
    })?;
    let name = manifest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "manifest.jsonl".into());
    let to = dir.join(format!(
        "{}.unrecorded.{}",
        name,
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ")
    ));
    std::fs::rename(manifest, &to).map_err(|source| AcquireError::Path {
        path: manifest.to_path_buf(),
        source,
    })?;
    Ok(to)
}

pub use crate::process::host_name;
