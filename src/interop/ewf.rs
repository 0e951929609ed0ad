//! Expert Witness Format (`.E01`) images, read with the pure-Rust `ewf`
//! crate: re-hash the media stream and compare it with the MD5/SHA-1 the
//! imager stored, and read the case metadata the image carries.
//!
//! The media is read chunk by chunk, so a chunk that cannot be read or
//! decompressed (a flipped byte in a compressed chunk breaks its zlib
//! checksum) is reported with its index and media offset; a flipped byte
//! in an uncompressed chunk is only seen as a digest mismatch, because the
//! crate does not check per-chunk Adler-32 checksums of uncompressed chunks
//! (`docs/interop.md` says so).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha1::Digest as _;

/// What an E01 says about itself (header section), as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImageMetadata {
    pub case_number: Option<String>,
    pub evidence_number: Option<String>,
    pub description: Option<String>,
    pub examiner: Option<String>,
    pub notes: Option<String>,
    pub acquisition_software: Option<String>,
    pub acquisition_date: Option<String>,
    pub system_date: Option<String>,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EwfVerification {
    pub image: PathBuf,
    pub media_size: u64,
    pub chunk_size: u64,
    pub chunks: usize,
    pub metadata: ImageMetadata,
    pub stored_md5: Option<String>,
    pub stored_sha1: Option<String>,
    pub computed_md5: String,
    pub computed_sha1: String,
    /// Sector ranges the imager could not read (`error2` section).
    pub acquisition_errors: Vec<(u32, u32)>,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl EwfVerification {
    /// Why the image is not as the imager recorded it; empty when it is.
    /// No stored digest at all is a problem too: nothing can be compared.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if let Some(s) = &self.stored_md5 {
            if *s != self.computed_md5 {
                p.push(format!(
                    "media MD5 mismatch: stored {s}, computed {}",
                    self.computed_md5
                ));
            }
        }
        if let Some(s) = &self.stored_sha1 {
            if *s != self.computed_sha1 {
                p.push(format!(
                    "media SHA-1 mismatch: stored {s}, computed {}",
                    self.computed_sha1
                ));
            }
        }
        if self.stored_md5.is_none() && self.stored_sha1.is_none() {
            p.push("the image stores no MD5 or SHA-1 of its media: nothing to compare".into());
        }
        p
    }

    pub fn is_intact(&self) -> bool {
        self.problems().is_empty()
    }
}

/// Why an image could not be verified; names the image and, for a bad
/// chunk, its index and media offset.
#[derive(Debug, thiserror::Error)]
pub enum EwfError {
    #[error("{image}: cannot open as an E01/EWF image: {source}", image = .image.display())]
    Open {
        image: PathBuf,
        #[source]
        source: ::ewf::EwfError,
    },
    #[error("{image}: chunk {chunk} (media bytes {offset}..{end}) cannot be read: {source}", image = .image.display())]
    Chunk {
        image: PathBuf,
        chunk: u64,
        offset: u64,
        end: u64,
        #[source]
        source: ::ewf::EwfError,
    },
    #[error("{image}: media stream ends at byte {got}, but the volume section says {want} bytes", image = .image.display())]
    Short { image: PathBuf, got: u64, want: u64 },
}

impl EwfError {
    /// True when the image was read but is damaged (exit 1), false when it
    /// could not be opened at all (exit 2).
    pub fn is_corruption(&self) -> bool {
        !matches!(self, EwfError::Open { .. })
    }
}

/// Opens `image` (its `.E02`… segments are found next to it) and reads its
/// metadata without reading the media.
pub fn open(image: &Path) -> Result<(::ewf::EwfReader, ImageMetadata), EwfError> {
    let reader = ::ewf::EwfReader::open(image).map_err(|source| EwfError::Open {
        image: image.to_path_buf(),
        source,
    })?;
    let m = reader.metadata().clone();
    let meta = ImageMetadata {
        case_number: m.case_number,
        evidence_number: m.evidence_number,
        description: m.description,
        examiner: m.examiner,
        notes: m.notes,
        acquisition_software: m.acquiry_software,
        acquisition_date: m.acquiry_date,
        system_date: m.system_date,
    };
    Ok((reader, meta))
}

/// Reads the whole media stream of `image`, computing MD5 and SHA-1, and
/// returns them with the stored digests. `progress` gets bytes read.
pub fn verify(image: &Path, progress: &dyn Fn(u64)) -> Result<EwfVerification, EwfError> {
    let start = Instant::now();
    let (reader, metadata) = open(image)?;
    let size = reader.total_size();
    let chunk = reader.chunk_size().max(1);
    let mut md5 = md5::Md5::new();
    let mut sha1 = sha1::Sha1::new();
    let mut buf = vec![0u8; chunk as usize];
    let mut offset = 0u64;
    while offset < size {
        let want = chunk.min(size - offset) as usize;
        let n = reader
            .read_at(&mut buf[..want], offset)
            .map_err(|source| EwfError::Chunk {
                image: image.to_path_buf(),
                chunk: offset / chunk,
                offset,
                end: offset + want as u64,
                source,
            })?;
        if n == 0 {
            return Err(EwfError::Short {
                image: image.to_path_buf(),
                got: offset,
                want: size,
            });
        }
        md5.update(&buf[..n]);
        sha1.update(&buf[..n]);
        offset += n as u64;
        progress(n as u64);
    }
    let stored = reader.stored_hashes();
    Ok(EwfVerification {
        image: image.to_path_buf(),
        media_size: size,
        chunk_size: chunk,
        chunks: reader.chunk_count(),
        metadata,
        stored_md5: stored.md5.map(hex::encode),
        stored_sha1: stored.sha1.map(hex::encode),
        computed_md5: hex::encode(md5.finalize()),
        computed_sha1: hex::encode(sha1.finalize()),
        acquisition_errors: reader
            .acquisition_errors()
            .iter()
            .map(|e| (e.first_sector, e.sector_count))
            .collect(),
        elapsed: start.elapsed(),
    })
}
