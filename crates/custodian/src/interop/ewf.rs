//! Expert Witness Format (`.E01`) images, read with the pure-Rust `ewf`
//! crate: re-hash the media stream and compare it with the MD5/SHA-1 the
//! imager stored, and read the case metadata the image carries.
//!
//! The media is read chunk by chunk and every chunk is checked on its own,
//! so damage is located, not only detected: a compressed chunk carries a
//! zlib stream whose Adler-32 the decompressor checks; an uncompressed chunk
//! (EWF v1) is followed on disk by the Adler-32 of its bytes, which the
//! `ewf` crate does not check, so [`verify`] reads those four bytes itself
//! (at the chunk's file offset, from the crate's chunk table) and compares.
//! A bad chunk is reported with its index, media byte and sector range,
//! segment file and file offset; it is read as zeros and the walk goes on.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha1::Digest as _;

/// The signature of an EWF version 1 segment file (`.E01`, `.s01`).
const EVF1_SIGNATURE: [u8; 8] = *b"EVF\x09\x0d\x0a\xff\x00";

/// At most this many damaged chunks are listed; the rest are counted.
pub const MAX_LISTED_FAULTS: usize = 100;

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

/// One chunk of the media that does not read back as the imager wrote it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChunkFault {
    /// Chunk index, from 0.
    pub chunk: u64,
    /// Media bytes `media_start..media_end` (end exclusive).
    pub media_start: u64,
    pub media_end: u64,
    /// Sectors `first_sector..=last_sector`, when the sector size is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_sector: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sector: Option<u64>,
    /// The segment file holding the chunk, and the chunk's offset in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_offset: Option<u64>,
    pub compressed: bool,
    /// What is wrong: Adler-32 stored vs computed, or the read or
    /// decompression error.
    pub reason: String,
}

impl std::fmt::Display for ChunkFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "chunk {} (media bytes {}..{}",
            self.chunk, self.media_start, self.media_end
        )?;
        if let (Some(a), Some(b)) = (self.first_sector, self.last_sector) {
            write!(f, ", sectors {a}-{b}")?;
        }
        write!(f, ")")?;
        if let Some(seg) = &self.segment {
            write!(f, " in segment {}", seg.display())?;
            if let Some(o) = self.file_offset {
                write!(f, " at file offset {o}")?;
            }
        }
        write!(f, ": {}", self.reason)
    }
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EwfVerification {
    pub image: PathBuf,
    /// Every segment file read, in segment-number order.
    pub segments: Vec<PathBuf>,
    pub media_size: u64,
    pub chunk_size: u64,
    pub chunks: usize,
    /// From the volume section (EWF v1), when it could be read.
    pub bytes_per_sector: Option<u64>,
    pub metadata: ImageMetadata,
    pub stored_md5: Option<String>,
    pub stored_sha1: Option<String>,
    pub computed_md5: String,
    pub computed_sha1: String,
    /// Whether each uncompressed chunk's Adler-32 was checked (EWF v1);
    /// compressed chunks are always checked by the decompressor.
    pub chunk_checksums_checked: bool,
    /// Damaged chunks (at most [`MAX_LISTED_FAULTS`]).
    pub chunk_faults: Vec<ChunkFault>,
    /// All damaged chunks, listed or not.
    pub chunk_faults_total: u64,
    /// Damaged chunks that could not be read at all and were hashed as
    /// zeros (a chunk whose checksum fails is hashed as read).
    pub chunks_zeroed: u64,
    /// Sector ranges the imager could not read (`error2` section).
    pub acquisition_errors: Vec<(u32, u32)>,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl EwfVerification {
    /// Why the image is not as the imager recorded it; empty when it is.
    /// No stored digest at all is a problem too: nothing can be compared.
    pub fn problems(&self) -> Vec<String> {
        let mut p: Vec<String> = self.chunk_faults.iter().map(|f| f.to_string()).collect();
        let unlisted = self.chunk_faults_total - self.chunk_faults.len() as u64;
        if unlisted > 0 {
            p.push(format!("{unlisted} more damaged chunk(s) not listed"));
        }
        let zeros = if self.chunks_zeroed > 0 {
            format!(
                " ({} unreadable chunk(s) hashed as zeros)",
                self.chunks_zeroed
            )
        } else {
            String::new()
        };
        if let Some(s) = &self.stored_md5 {
            if *s != self.computed_md5 {
                p.push(format!(
                    "media MD5 mismatch: stored {s}, computed {}{zeros}",
                    self.computed_md5
                ));
            }
        }
        if let Some(s) = &self.stored_sha1 {
            if *s != self.computed_sha1 {
                p.push(format!(
                    "media SHA-1 mismatch: stored {s}, computed {}{zeros}",
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

    /// Media bytes per second over the whole run.
    pub fn bytes_per_second(&self) -> f64 {
        self.media_size as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Why an image could not be verified; names the image and what is missing.
#[derive(Debug, thiserror::Error)]
pub enum EwfError {
    #[error("{image}: cannot open as an E01/EWF image: {source}", image = .image.display())]
    Open {
        image: PathBuf,
        #[source]
        source: ::ewf::EwfError,
    },
    #[error("{image}: cannot read segment file {segment}: {source}", image = .image.display(), segment = .segment.display())]
    Segment {
        image: PathBuf,
        segment: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{image}: segment {number} of the image is missing (found segments {found}); every .E01, .E02 … file must be next to the first", image = .image.display())]
    MissingSegment {
        image: PathBuf,
        number: u32,
        found: String,
    },
    #[error("{image}: {a} and {b} both say they are segment {number}; move the one that is not part of this image away", image = .image.display(), a = .a.display(), b = .b.display())]
    DuplicateSegment {
        image: PathBuf,
        number: u32,
        a: PathBuf,
        b: PathBuf,
    },
    #[error("{image}: the chunk tables list {listed} chunk(s) of {chunk} bytes, but the volume section says {size} media bytes: a segment file is truncated or missing (segments: {segments})", image = .image.display())]
    Incomplete {
        image: PathBuf,
        listed: u64,
        chunk: u64,
        size: u64,
        segments: String,
    },
    #[error("{image}: media stream ends at byte {got}, but the volume section says {want} bytes (a segment file is truncated or missing)", image = .image.display())]
    Short { image: PathBuf, got: u64, want: u64 },
}

impl EwfError {
    /// True when the image was read but is damaged or incomplete (exit 1),
    /// false when it could not be opened at all (exit 2).
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            EwfError::Short { .. }
                | EwfError::MissingSegment { .. }
                | EwfError::DuplicateSegment { .. }
                | EwfError::Incomplete { .. }
        )
    }
}

/// The segment files of the EWF v1 image whose first segment is `first`,
/// ordered by the segment number in each file's header. Files next to
/// `first` with the same stem and an extension of the same letter and two
/// digits or letters (`E01`…`E99`, `EAA`…) are candidates; a file that is
/// not an EWF v1 segment is ignored. `None` for an EWF2 image or a file
/// that is not EWF v1 (the crate's own discovery is used then).
fn v1_segments(image: &Path) -> Result<Option<Vec<PathBuf>>, EwfError> {
    let seg_err = |segment: &Path, source| EwfError::Segment {
        image: image.to_path_buf(),
        segment: segment.to_path_buf(),
        source,
    };
    let number = |p: &Path| -> Result<Option<u32>, std::io::Error> {
        let mut head = [0u8; 13];
        let mut f = File::open(p)?;
        if f.read_exact(&mut head).is_err() || head[..8] != EVF1_SIGNATURE {
            return Ok(None);
        }
        Ok(Some(u32::from(u16::from_le_bytes([head[9], head[10]]))))
    };
    if number(image).map_err(|e| seg_err(image, e))?.is_none() {
        return Ok(None);
    }
    let (Some(stem), Some(ext)) = (
        image.file_stem(),
        image.extension().and_then(|e| e.to_str()),
    ) else {
        return Ok(None);
    };
    if ext.len() != 3 {
        return Ok(None);
    }
    let letter = ext.as_bytes()[0].to_ascii_uppercase();
    let parent = image.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = parent.unwrap_or(Path::new(".")).to_path_buf();
    let mut found: Vec<(u32, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| seg_err(&dir, e))? {
        // Named as the image was: `x.E02` next to `x.E01`, not `./x.E02`.
        let name = entry.map_err(|e| seg_err(&dir, e))?.file_name();
        let path = match parent {
            Some(p) => p.join(&name),
            None => PathBuf::from(&name),
        };
        let ok = path.file_stem() == Some(stem)
            && path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                let b = e.as_bytes();
                b.len() == 3
                    && b[0].to_ascii_uppercase() == letter
                    && ((b[1].is_ascii_digit() && b[2].is_ascii_digit())
                        || (b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()))
            })
            && path.is_file();
        if !ok {
            continue;
        }
        if let Some(n) = number(&path).map_err(|e| seg_err(&path, e))? {
            found.push((n, path));
        }
    }
    found.sort();
    if let Some(w) = found.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(EwfError::DuplicateSegment {
            image: image.to_path_buf(),
            number: w[0].0,
            a: w[0].1.clone(),
            b: w[1].1.clone(),
        });
    }
    for (i, (n, _)) in found.iter().enumerate() {
        if *n != i as u32 + 1 {
            return Err(EwfError::MissingSegment {
                image: image.to_path_buf(),
                number: i as u32 + 1,
                found: found
                    .iter()
                    .map(|(n, p)| format!("{n} {}", p.display()))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    Ok(Some(found.into_iter().map(|(_, p)| p).collect()))
}

/// Bytes per sector from the first segment's `volume` (or `disk`) section,
/// walking the EWF v1 section chain (76-byte descriptors: type, next
/// offset, size …; the volume data has bytes per sector at offset 12).
fn bytes_per_sector(first: &Path) -> Option<u64> {
    let mut f = File::open(first).ok()?;
    let len = f.metadata().ok()?.len();
    let mut off = 13u64;
    for _ in 0..64 {
        let mut d = [0u8; 76];
        f.seek(SeekFrom::Start(off)).ok()?;
        f.read_exact(&mut d).ok()?;
        let kind = d[..16].split(|b| *b == 0).next().unwrap_or_default();
        let next = u64::from_le_bytes(d[16..24].try_into().ok()?);
        if kind == b"volume" || kind == b"disk" {
            let mut v = [0u8; 16];
            f.read_exact(&mut v).ok()?;
            let bps = u32::from_le_bytes(v[12..16].try_into().ok()?);
            return (bps > 0).then_some(u64::from(bps));
        }
        if next <= off || next >= len {
            return None;
        }
        off = next;
    }
    None
}

/// Adler-32 (RFC 1950 §8.2), as EWF stores it after uncompressed chunks.
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that cannot overflow u32 before reducing.
    for block in data.chunks(5552) {
        for &x in block {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// Opens `image` (its `.E02`… segments are found next to it) and reads its
/// metadata without reading the media.
pub fn open(image: &Path) -> Result<(::ewf::EwfReader, ImageMetadata), EwfError> {
    let (reader, meta, _) = open_with_segments(image)?;
    Ok((reader, meta))
}

fn open_with_segments(
    image: &Path,
) -> Result<(::ewf::EwfReader, ImageMetadata, Option<Vec<PathBuf>>), EwfError> {
    let segments = v1_segments(image)?;
    let opened = match &segments {
        Some(paths) => ::ewf::EwfReader::open_segments(paths),
        None => ::ewf::EwfReader::open(image),
    };
    let reader = opened.map_err(|source| EwfError::Open {
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
    Ok((reader, meta, segments))
}

/// Reads the whole media stream of `image` chunk by chunk, checking each
/// chunk (see the module doc), computing MD5 and SHA-1, and returns them
/// with the stored digests and every damaged chunk. `progress` gets bytes
/// read.
pub fn verify(image: &Path, progress: &dyn Fn(u64)) -> Result<EwfVerification, EwfError> {
    let start = Instant::now();
    let (reader, metadata, v1) = open_with_segments(image)?;
    let size = reader.total_size();
    let chunk = reader.chunk_size().max(1);
    let sector = v1
        .as_ref()
        .and_then(|s| s.first())
        .and_then(|p| bytes_per_sector(p));
    let files = open_segment_files(image, v1.as_deref())?;
    check_complete(image, &reader, size, chunk, v1.as_deref())?;
    let mut walk = MediaWalk {
        image,
        reader: &reader,
        v1: v1.as_deref(),
        files,
        sector,
        md5: md5::Md5::new(),
        sha1: sha1::Sha1::new(),
        buf: vec![0u8; chunk as usize],
        faults: Vec::new(),
        total_faults: 0,
        zeroed: 0,
    };
    let mut offset = 0u64;
    while offset < size {
        let want = chunk.min(size - offset) as usize;
        walk.chunk(offset / chunk, offset, want)?;
        offset += want as u64;
        progress(want as u64);
    }
    let stored = reader.stored_hashes();
    Ok(EwfVerification {
        image: image.to_path_buf(),
        segments: v1.clone().unwrap_or_else(|| vec![image.to_path_buf()]),
        media_size: size,
        chunk_size: chunk,
        chunks: reader.chunk_count(),
        bytes_per_sector: sector,
        metadata,
        stored_md5: stored.md5.map(hex::encode),
        stored_sha1: stored.sha1.map(hex::encode),
        computed_md5: hex::encode(walk.md5.finalize()),
        computed_sha1: hex::encode(walk.sha1.finalize()),
        chunk_checksums_checked: v1.is_some(),
        chunk_faults: walk.faults,
        chunk_faults_total: walk.total_faults,
        chunks_zeroed: walk.zeroed,
        acquisition_errors: reader
            .acquisition_errors()
            .iter()
            .map(|e| (e.first_sector, e.sector_count))
            .collect(),
        elapsed: start.elapsed(),
    })
}

/// Opens every segment file of an EWF v1 image (for the uncompressed
/// chunks read directly); none for other images.
fn open_segment_files(image: &Path, v1: Option<&[PathBuf]>) -> Result<Vec<Option<File>>, EwfError> {
    let Some(paths) = v1 else {
        return Ok(Vec::new());
    };
    paths
        .iter()
        .map(|p| {
            File::open(p).map(Some).map_err(|source| EwfError::Segment {
                image: image.to_path_buf(),
                segment: p.clone(),
                source,
            })
        })
        .collect()
}

/// Refuses an image whose chunk tables cover less than the media size the
/// volume section states: a segment file is truncated or missing, and
/// reading on would only report the missing chunks one by one.
fn check_complete(
    image: &Path,
    reader: &::ewf::EwfReader,
    size: u64,
    chunk: u64,
    v1: Option<&[PathBuf]>,
) -> Result<(), EwfError> {
    let listed = reader.chunk_count() as u64;
    if listed >= size.div_ceil(chunk) {
        return Ok(());
    }
    Err(EwfError::Incomplete {
        image: image.to_path_buf(),
        listed,
        chunk,
        size,
        segments: v1
            .map(|s| {
                s.iter()
                    .map(|p| {
                        let len = p.metadata().map(|m| m.len()).unwrap_or(0);
                        format!("{} ({len} bytes)", p.display())
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_else(|| image.display().to_string()),
    })
}

/// The walk over the media of [`verify`]: the image, its open segment
/// files, the digests so far and the damaged chunks found so far.
struct MediaWalk<'a> {
    image: &'a Path,
    reader: &'a ::ewf::EwfReader,
    /// The segment files of an EWF v1 image.
    v1: Option<&'a [PathBuf]>,
    files: Vec<Option<File>>,
    sector: Option<u64>,
    md5: md5::Md5,
    sha1: sha1::Sha1,
    /// One chunk of media.
    buf: Vec<u8>,
    faults: Vec<ChunkFault>,
    total_faults: u64,
    /// Chunks that could not be read and were hashed as zeros.
    zeroed: u64,
}

/// Where a chunk lies: its index, media offset and length, and its entry
/// in the crate's chunk table (file offset, compressed, segment).
struct ChunkAt {
    index: u64,
    offset: u64,
    want: usize,
    meta: Option<(u64, u64, bool, usize)>,
}

impl MediaWalk<'_> {
    /// Reads chunk `index` (`want` media bytes at `offset`) into the
    /// digests, recording it if damaged. Fails only when the media stream
    /// ends early.
    fn chunk(&mut self, index: u64, offset: u64, want: usize) -> Result<(), EwfError> {
        let at = ChunkAt {
            index,
            offset,
            want,
            meta: self.reader.debug_chunk(index as usize).ok(),
        };
        match (at.meta, self.v1) {
            // An uncompressed EWF v1 chunk is stored as its bytes followed
            // by their Adler-32 (little-endian); it is read here directly,
            // in one read, because the crate neither checks that checksum
            // nor reads a short last chunk.
            (Some((file_offset, _, false, seg)), Some(_)) => {
                self.uncompressed(&at, file_offset, seg)
            }
            _ => self.through_crate(&at)?,
        }
        self.md5.update(&self.buf[..want]);
        self.sha1.update(&self.buf[..want]);
        Ok(())
    }

    /// Reads an uncompressed chunk and its Adler-32 from segment `seg` at
    /// `file_offset`, and compares the checksum.
    fn uncompressed(&mut self, at: &ChunkAt, file_offset: u64, seg: usize) {
        let want = at.want;
        let mut raw = vec![0u8; want + 4];
        match read_full(self.files.get_mut(seg), file_offset, &mut raw) {
            Ok(n) if n == raw.len() => {
                self.buf[..want].copy_from_slice(&raw[..want]);
                let stored =
                    u32::from_le_bytes([raw[want], raw[want + 1], raw[want + 2], raw[want + 3]]);
                let computed = adler32(&self.buf[..want]);
                if stored != computed {
                    self.fault(at, format!(
                        "uncompressed chunk checksum mismatch: Adler-32 stored {stored:08x}, computed {computed:08x} (its data was altered)"
                    ));
                }
            }
            Ok(n) => self.zero(at, format!(
                "the segment file ends {n} bytes into this chunk, which needs {} (data and Adler-32): the segment is truncated",
                raw.len()
            )),
            Err(e) => self.zero(at, format!("cannot be read: {e}")),
        }
    }

    /// Reads a chunk through the crate, which decompresses (and so checks)
    /// a compressed chunk.
    fn through_crate(&mut self, at: &ChunkAt) -> Result<(), EwfError> {
        match self.reader.read_at(&mut self.buf[..at.want], at.offset) {
            Ok(n) if n < at.want => Err(EwfError::Short {
                image: self.image.to_path_buf(),
                got: at.offset + n as u64,
                want: self.reader.total_size(),
            }),
            Ok(_) => Ok(()),
            Err(e) => {
                let reason = match e {
                    ::ewf::EwfError::Decompression(m) => format!(
                        "compressed chunk does not decompress ({m}): its zlib data or checksum was altered"
                    ),
                    other => format!("cannot be read: {other}"),
                };
                self.zero(at, reason);
                Ok(())
            }
        }
    }

    /// Records a chunk that could not be read; it is hashed as zeros.
    fn zero(&mut self, at: &ChunkAt, reason: String) {
        self.fault(at, reason);
        self.buf[..at.want].fill(0);
        self.zeroed += 1;
    }

    /// Counts a damaged chunk, and lists it (where it lies in the media,
    /// the sectors, the segment file) while fewer than
    /// [`MAX_LISTED_FAULTS`] are listed.
    fn fault(&mut self, at: &ChunkAt, reason: String) {
        self.total_faults += 1;
        if self.faults.len() >= MAX_LISTED_FAULTS {
            return;
        }
        let (offset, end) = (at.offset, at.offset + at.want as u64);
        let v1 = self.v1;
        self.faults.push(ChunkFault {
            chunk: at.index,
            media_start: offset,
            media_end: end,
            first_sector: self.sector.map(|s| offset / s),
            last_sector: self.sector.map(|s| end.div_ceil(s) - 1),
            segment: at.meta.and_then(|(_, _, _, seg)| v1?.get(seg).cloned()),
            file_offset: at.meta.map(|(o, _, _, _)| o),
            compressed: at.meta.is_some_and(|(_, _, c, _)| c),
            reason,
        });
    }
}

/// Reads up to `buf.len()` bytes at `at` of a segment file; fewer only at
/// its end.
fn read_full(file: Option<&mut Option<File>>, at: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    let Some(Some(f)) = file else {
        return Err(std::io::Error::other(
            "the chunk's segment file is not open",
        ));
    };
    f.seek(SeekFrom::Start(at))?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The media digests an E01 exhibit's acquisition recorded, re-checked
/// now by `verify --evidence` (see [`recheck`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EwfRecheck {
    /// The image as recorded in the `exhibit.acquire` entry.
    pub recorded_image: String,
    /// Where it was read now.
    pub image: PathBuf,
    /// Segment files read now.
    pub segments: Vec<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_size: Option<u64>,
    pub seconds: f64,
    /// Media bytes per second.
    pub bytes_per_second: f64,
    /// Computed from the media at acquisition (the ledger's record).
    pub recorded: MediaDigests,
    /// Stored in the image by its imager, as read now.
    pub stored: MediaDigests,
    /// Computed from the media now.
    pub computed: MediaDigests,
    pub chunk_checksums_checked: bool,
    pub chunk_faults: Vec<ChunkFault>,
    pub chunk_faults_total: u64,
    /// Whether the image was already not as its imager stored it at
    /// acquisition (then an `EWF-MISMATCH` finding exists) and is still in
    /// the same state: its problems are then warnings, not errors.
    pub damaged_at_acquisition: bool,
    /// Every reason the image is not as recorded, with a stable code.
    pub problems: Vec<EwfProblem>,
    /// True when the media match both the recorded and the stored digests
    /// and every chunk checks.
    pub intact: bool,
}

/// MD5 and SHA-1 of the media (lower-case hex), when known.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MediaDigests {
    pub md5: Option<String>,
    pub sha1: Option<String>,
}

/// One reason an E01 exhibit's media are not as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EwfProblem {
    /// `evidence-ewf-unreadable` (cannot be opened, a segment missing or
    /// truncated), `evidence-ewf-chunk` (a chunk fails its checksum or does
    /// not decompress), `evidence-ewf-digest` (computed media digest differs
    /// from the one recorded at acquisition or stored in the image, or the
    /// stored digest itself changed).
    pub code: &'static str,
    pub message: String,
}

/// Re-reads the media of an E01 exhibit now at `now` and compares them
/// with what the acquisition recorded (`recorded`) and with the digests
/// stored in the image. Never fails: an image that cannot be read is a
/// problem of the result.
pub fn recheck(
    recorded: &crate::ledger::EwfImage,
    now: &Path,
    progress: &dyn Fn(u64),
) -> EwfRecheck {
    let start = Instant::now();
    let mut out = EwfRecheck {
        recorded_image: recorded.image.clone(),
        image: now.to_path_buf(),
        segments: Vec::new(),
        media_size: None,
        seconds: 0.0,
        bytes_per_second: 0.0,
        recorded: MediaDigests {
            md5: recorded.computed_md5.clone(),
            sha1: recorded.computed_sha1.clone(),
        },
        stored: MediaDigests::default(),
        computed: MediaDigests::default(),
        chunk_checksums_checked: false,
        chunk_faults: Vec::new(),
        chunk_faults_total: 0,
        damaged_at_acquisition: false,
        problems: Vec::new(),
        intact: false,
    };
    match verify(now, progress) {
        Err(e) => out.problems.push(EwfProblem {
            code: "evidence-ewf-unreadable",
            message: e.to_string(),
        }),
        Ok(v) => {
            out.problems = recheck_problems(recorded, now, &v);
            out.damaged_at_acquisition = !recorded.problems.is_empty()
                && recorded.computed_md5.as_deref() == Some(v.computed_md5.as_str())
                && recorded.computed_sha1.as_deref() == Some(v.computed_sha1.as_str())
                && recorded.stored_md5 == v.stored_md5
                && recorded.stored_sha1 == v.stored_sha1;
            out.segments = v.segments.clone();
            out.media_size = Some(v.media_size);
            out.stored = MediaDigests {
                md5: v.stored_md5.clone(),
                sha1: v.stored_sha1.clone(),
            };
            out.computed = MediaDigests {
                md5: Some(v.computed_md5.clone()),
                sha1: Some(v.computed_sha1.clone()),
            };
            out.chunk_checksums_checked = v.chunk_checksums_checked;
            out.chunk_faults = v.chunk_faults;
            out.chunk_faults_total = v.chunk_faults_total;
        }
    }
    out.intact = out.problems.is_empty();
    let elapsed = start.elapsed().as_secs_f64();
    out.seconds = elapsed;
    out.bytes_per_second = out.media_size.unwrap_or(0) as f64 / elapsed.max(1e-9);
    out
}

/// Every reason the media read now (`v`, of the image at `now`) are not as
/// `recorded`: damaged chunks, then per digest (MD5, SHA-1) a difference
/// from the acquisition, from the digest stored in the image, or a stored
/// digest rewritten since; or nothing at all to compare with.
fn recheck_problems(
    recorded: &crate::ledger::EwfImage,
    now: &Path,
    v: &EwfVerification,
) -> Vec<EwfProblem> {
    let mut problems = Vec::new();
    let mut push = |code, message: String| problems.push(EwfProblem { code, message });
    let img = now.display();
    for f in &v.chunk_faults {
        push("evidence-ewf-chunk", format!("{img}: {f}"));
    }
    let unlisted = v.chunk_faults_total - v.chunk_faults.len() as u64;
    if unlisted > 0 {
        push(
            "evidence-ewf-chunk",
            format!("{img}: {unlisted} more damaged chunk(s)"),
        );
    }
    for (name, computed, at_acq, stored_now, stored_then) in [
        (
            "MD5",
            &v.computed_md5,
            &recorded.computed_md5,
            &v.stored_md5,
            &recorded.stored_md5,
        ),
        (
            "SHA-1",
            &v.computed_sha1,
            &recorded.computed_sha1,
            &v.stored_sha1,
            &recorded.stored_sha1,
        ),
    ] {
        if let Some(a) = at_acq.as_ref().filter(|a| *a != computed) {
            push(
                "evidence-ewf-digest",
                format!("{img}: media {name} computed now {computed}, computed at acquisition {a}"),
            );
        }
        if let Some(s) = stored_now.as_ref().filter(|s| *s != computed) {
            push(
                "evidence-ewf-digest",
                format!("{img}: media {name} computed now {computed}, stored in the image {s}"),
            );
        }
        if stored_now != stored_then {
            let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
            push(
                "evidence-ewf-digest",
                format!(
                    "{img}: the {name} stored in the image is now {}, it was {} at acquisition (the image's hash sections were rewritten)",
                    show(stored_now),
                    show(stored_then)
                ),
            );
        }
    }
    if v.stored_md5.is_none() && v.stored_sha1.is_none() && recorded.computed_md5.is_none() {
        push(
            "evidence-ewf-digest",
            format!("{img}: neither the image nor the acquisition holds a media digest: nothing to compare"),
        );
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::adler32;

    #[test]
    fn adler32_matches_rfc1950_examples() {
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        // Long input exercises the modular reduction.
        let big = vec![0xffu8; 100_000];
        let (mut a, mut b) = (1u64, 0u64);
        for &x in &big {
            a = (a + u64::from(x)) % 65521;
            b = (b + a) % 65521;
        }
        assert_eq!(adler32(&big), ((b << 16) | a) as u32);
    }
}
