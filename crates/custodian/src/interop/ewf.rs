//! Expert Witness Format version 1 images (`.E01` EnCase/FTK/linen,
//! `.e01` EWF/EWFX, `.s01` SMART): re-hash the media stream and compare it
//! with the MD5/SHA-1 the imager stored, and read the case metadata the
//! image carries.
//!
//! The chunk tables, the volume section and the stored digests are read by
//! custodian itself, following libewf's "Expert Witness Compression
//! Format" specification (docs/guide/interop.md, "Reading the chunk
//! tables"): the `ewf` crate's own chunk table guesses the on-disk size of
//! the last chunk of each table from the segment's first `sectors` section,
//! which SMART and EnCase 1 images do not have, so it cut such chunks short
//! ("incomplete deflate stream") on images `ewfverify` finds intact. The
//! crate is still used for the header metadata (case number, examiner …).
//!
//! The media is read chunk by chunk and every chunk is checked on its own,
//! so damage is located, not only detected: a compressed chunk is a zlib
//! stream, inflated and checked against its own Adler-32 and the length the
//! table implies; an uncompressed chunk is followed on disk by the Adler-32
//! of its bytes. A bad chunk is reported with its index, media byte and
//! sector range, segment file and file offset; the walk goes on.
//!
//! EWF version 2 (`.Ex01`, `.Lx01`) and logical evidence files (`.L01`) are
//! refused by name ([`EwfError::Unsupported`]): custodian never reports
//! success or damage for a format it does not read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha1::Digest as _;

/// The signature of an EWF version 1 segment file (`.E01`, `.s01`).
const EVF1_SIGNATURE: [u8; 8] = *b"EVF\x09\x0d\x0a\xff\x00";

/// Signatures of files custodian recognises but does not read, with the
/// format named in the refusal.
const UNSUPPORTED: [([u8; 8], &str); 3] = [
    (
        *b"EVF2\x0d\x0a\x81\x00",
        "EWF version 2 (Ex01, EnCase 7 \"v2\"); only EWF version 1 images (E01, e01, s01) are read",
    ),
    (
        *b"LEF2\x0d\x0a\x81\x00",
        "EWF version 2 logical evidence (Lx01): it holds files, not a media image",
    ),
    (
        *b"LVF\x09\x0d\x0a\xff\x00",
        "EWF logical evidence (L01): it holds files, not a media image",
    ),
];

/// What the first bytes of a file say it is, as far as EWF goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// An EWF version 1 segment (E01, s01 …), which custodian reads.
    Ewf1,
    /// A format custodian recognises but does not read, named.
    Unsupported(&'static str),
    /// Anything else (a raw image, as far as EWF goes).
    Other,
}

/// The [`Container`] `path` is, from its signature; unreadable or short
/// files are [`Container::Other`] (reading them later says why).
pub fn container(path: &Path) -> Container {
    signature_of(path).unwrap_or(Container::Other)
}

/// [`container`], with the error when `path` cannot be read.
fn signature_of(path: &Path) -> std::io::Result<Container> {
    let mut sig = [0u8; 8];
    let n = File::open(path).and_then(|mut f| read_full(&mut f, 0, &mut sig))?;
    if n != sig.len() {
        return Ok(Container::Other);
    }
    if sig == EVF1_SIGNATURE {
        return Ok(Container::Ewf1);
    }
    Ok(UNSUPPORTED
        .iter()
        .find(|(s, _)| *s == sig)
        .map_or(Container::Other, |(_, format)| {
            Container::Unsupported(format)
        }))
}

/// Size of an EWF v1 section descriptor.
const DESCRIPTOR: u64 = 76;

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
    /// The header sections as custodian reads them (with the device's
    /// model and serial, which [`ImageMetadata`] lacks).
    pub header: super::ewf_header::HeaderValues,
    pub stored_md5: Option<String>,
    pub stored_sha1: Option<String>,
    pub computed_md5: String,
    pub computed_sha1: String,
    /// Media digests of the further algorithms [`verify_with`] was asked
    /// for (algorithm name → lowercase hex).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub extra_digests: std::collections::BTreeMap<String, String>,
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
    /// Sections not as the imager wrote them, each naming the segment and
    /// file offset: a section chain that does not end as it must (a
    /// segment truncated, a descriptor damaged, a segment missing after
    /// it), a chunk table or its `table2` mirror failing its checksum (the
    /// sound one is used), volume, data, hash or digest sections failing
    /// theirs, a header section that does not decompress, hash and digest
    /// sections storing different MD5s.
    pub section_faults: Vec<String>,
    /// When the verification started and ended, by this machine's clock
    /// (ledger time form), as `ewfverify` prints them.
    pub started: String,
    pub finished: String,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl EwfVerification {
    /// Why the image is not as the imager recorded it; empty when it is.
    /// No stored digest at all is a problem too: nothing can be compared.
    pub fn problems(&self) -> Vec<String> {
        let mut p: Vec<String> = self.section_faults.clone();
        p.extend(self.chunk_faults.iter().map(|f| f.to_string()));
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
    #[error("{image}: cannot open as an E01/EWF image: it does not start with an EWF signature", image = .image.display())]
    NotEwf { image: PathBuf },
    #[error("{image}: cannot open as an E01/EWF image: unsupported format: {format}", image = .image.display())]
    Unsupported {
        image: PathBuf,
        format: &'static str,
    },
    #[error("{image}: {segment} has no readable volume section (media size, chunk size): the segment file is truncated or damaged", image = .image.display(), segment = .segment.display())]
    NoVolume { image: PathBuf, segment: PathBuf },
}

impl EwfError {
    /// True when the image was read but is damaged or incomplete (exit 1),
    /// false when it could not be opened at all (exit 2).
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            EwfError::NoVolume { .. }
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

/// Refuses a file that is not an EWF v1 segment, naming the format when it
/// is one custodian recognises but does not read (EWF2, logical evidence).
fn check_signature(image: &Path) -> Result<(), EwfError> {
    let found = signature_of(image).map_err(|source| EwfError::Segment {
        image: image.to_path_buf(),
        segment: image.to_path_buf(),
        source,
    })?;
    match found {
        Container::Ewf1 => Ok(()),
        Container::Unsupported(format) => Err(EwfError::Unsupported {
            image: image.to_path_buf(),
            format,
        }),
        Container::Other => Err(EwfError::NotEwf {
            image: image.to_path_buf(),
        }),
    }
}

/// One section of a segment file, as its 76-byte descriptor says: type
/// (16 bytes, NUL-padded), offset of the next descriptor, size (descriptor
/// included), then 40 bytes of padding and the descriptor's Adler-32.
#[derive(Debug, Clone)]
struct Section {
    kind: String,
    start: u64,
    size: u64,
}

impl Section {
    /// Where the section's data (after its descriptor) starts.
    fn data(&self) -> u64 {
        self.start + DESCRIPTOR
    }

    fn end(&self) -> u64 {
        self.start.saturating_add(self.size)
    }
}

/// The sections of one segment file, in chain order. The walk stops at the
/// `next` or `done` section, at a descriptor whose Adler-32 fails, or where
/// the file ends: what follows cannot be trusted or is not there, and the
/// chunk count check then says so.
fn sections(f: &mut File, len: u64) -> std::io::Result<Vec<Section>> {
    let mut out = Vec::new();
    let mut off = 13u64;
    while off + DESCRIPTOR <= len {
        let mut d = [0u8; DESCRIPTOR as usize];
        if read_full(f, off, &mut d)? < d.len() {
            break;
        }
        let stored = u32::from_le_bytes([d[72], d[73], d[74], d[75]]);
        if adler32(&d[..72]) != stored {
            break;
        }
        let kind = String::from_utf8_lossy(d[..16].split(|b| *b == 0).next().unwrap_or_default())
            .into_owned();
        let next = le_u64(&d[16..24]);
        let size = le_u64(&d[24..32]);
        let last = kind == "next" || kind == "done";
        out.push(Section {
            kind,
            start: off,
            size,
        });
        if last || next <= off {
            break;
        }
        off = next;
    }
    Ok(out)
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().unwrap_or_default())
}

fn le_u64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().unwrap_or_default())
}

/// Where one chunk of the media is stored.
#[derive(Debug, Clone, Copy)]
struct StoredChunk {
    /// Index into the segment list.
    segment: usize,
    /// Absolute offset in the segment file.
    offset: u64,
    /// Bytes it occupies there (for an uncompressed chunk, with its
    /// Adler-32); 0 when the table gives no valid size.
    size: u64,
    compressed: bool,
}

/// Entries read at a time from a chunk table: 64 KiB, a whole EnCase 6
/// table (at most 65,534 entries) in four reads, a SMART or EnCase 1-5 one
/// (16,375) in one. Memory stays this size however many chunks the table
/// claims.
const ENTRY_BLOCK: u64 = 16_384;

/// The entries of a table (or table2) section, checked but not held: a
/// table of a 1 TiB image lists 32 Mi chunks, so the entries are read
/// again, a block at a time, when the media are walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TableEntries {
    /// File offset of the first 4-byte entry.
    at: u64,
    count: u64,
    /// Added to each entry's 31-bit offset (EnCase 6 and later; else 0).
    base: u64,
    /// Adler-32 of the entry bytes, to recognise them when read again.
    sum: u32,
}

impl TableEntries {
    /// One entry as (absolute offset, compressed). An offset past the end
    /// of any file (a base near 2^64) saturates: the chunk then cannot be
    /// read and is reported, rather than the sum wrapping round.
    fn entry(&self, raw: &[u8]) -> (u64, bool) {
        let v = le_u32(raw);
        (
            self.base.saturating_add(u64::from(v & 0x7fff_ffff)),
            v >> 31 == 1,
        )
    }

    /// Reads entries `first..first + n` into `raw`; false when the file
    /// ends before them.
    fn read(&self, f: &mut File, first: u64, n: u64, raw: &mut Vec<u8>) -> std::io::Result<bool> {
        raw.resize((n * 4) as usize, 0);
        Ok(read_full(f, self.at + first * 4, raw)? == raw.len())
    }
}

/// A sound chunk table of one segment: where its entries are read from
/// (the `table` section, or its `table2` mirror) and where the `table`
/// section lies, which ends the extent of its last chunk.
#[derive(Debug, Clone)]
struct ChunkTable {
    /// Index into the segment list.
    segment: usize,
    /// The `table` section's descriptor offset and end.
    start: u64,
    end: u64,
    entries: TableEntries,
}

/// What the segment files of an EWF v1 image say about its media.
#[derive(Debug, Default)]
struct Layout {
    media_size: u64,
    chunk_size: u64,
    bytes_per_sector: u64,
    /// The sound chunk tables in media order: a few dozen bytes per table
    /// (16,375 or 65,534 chunks), never one record per chunk.
    tables: Vec<ChunkTable>,
    /// Chunks the sound tables list, all together.
    listed: u64,
    stored_md5: Option<[u8; 16]>,
    stored_sha1: Option<[u8; 20]>,
    /// The inflated text of the first segment's first `header` and
    /// `header2` sections.
    header: Option<Vec<u8>>,
    header2: Option<Vec<u8>>,
    /// See [`EwfVerification::section_faults`].
    faults: Vec<String>,
}

/// Reads the volume, table and digest sections of every segment, and
/// checks every section that carries a checksum or a zlib stream.
fn read_layout(image: &Path, segments: &[PathBuf], block: u64) -> Result<Layout, EwfError> {
    let mut layout = Layout::default();
    let mut hash_md5: Option<[u8; 16]> = None;
    for (index, path) in segments.iter().enumerate() {
        let seg_err = |source| EwfError::Segment {
            image: image.to_path_buf(),
            segment: path.clone(),
            source,
        };
        let mut f = File::open(path).map_err(seg_err)?;
        let len = f.metadata().map_err(seg_err)?.len();
        let list = sections(&mut f, len).map_err(seg_err)?;
        for (k, s) in list.iter().enumerate() {
            if let Some(why) = check_section(&mut f, s).map_err(seg_err)? {
                let (seg, kind, at) = (path.display(), &s.kind, s.start);
                layout.faults.push(format!(
                    "{kind} section in segment {seg} at file offset {at}: {why}"
                ));
                continue;
            }
            match s.kind.as_str() {
                "header" if index == 0 && layout.header.is_none() => {
                    layout.header = section_text(&mut f, s).map_err(seg_err)?;
                }
                "header2" if index == 0 && layout.header2.is_none() => {
                    layout.header2 = section_text(&mut f, s).map_err(seg_err)?;
                }
                "volume" | "disk" if layout.chunk_size == 0 => {
                    read_volume(&mut f, s, &mut layout).map_err(seg_err)?;
                }
                "table" => {
                    let mirror = list.get(k + 1).filter(|m| m.kind == "table2");
                    let at = (index, s, mirror);
                    read_table(&mut f, path, at, block, &mut layout).map_err(seg_err)?;
                }
                "hash" => {
                    let mut md5 = [0u8; 16];
                    if read_full(&mut f, s.data(), &mut md5).map_err(seg_err)? == 16 {
                        hash_md5 = Some(md5);
                    }
                }
                "digest" => {
                    let mut d = [0u8; 36];
                    if read_full(&mut f, s.data(), &mut d).map_err(seg_err)? == 36 {
                        let mut md5 = [0u8; 16];
                        let mut sha1 = [0u8; 20];
                        md5.copy_from_slice(&d[..16]);
                        sha1.copy_from_slice(&d[16..]);
                        layout.stored_md5 = Some(md5);
                        layout.stored_sha1 = Some(sha1);
                    }
                }
                _ => {}
            }
        }
        if let Some(fault) = chain_end_fault(path, len, &list, segments.get(index + 1)) {
            layout.faults.push(fault);
        }
        if index == 0 && layout.chunk_size == 0 {
            return Err(EwfError::NoVolume {
                image: image.to_path_buf(),
                segment: path.clone(),
            });
        }
    }
    match (hash_md5, layout.stored_md5) {
        (Some(h), Some(d)) if h != d => layout.faults.push(format!(
            "the hash section stores MD5 {}, the digest section {}: one of them was rewritten",
            hex::encode(h),
            hex::encode(d)
        )),
        (Some(h), None) => layout.stored_md5 = Some(h),
        _ => {}
    }
    Ok(layout)
}

/// Why a section's own integrity check fails, for the sections that have
/// one besides the tables (checked by [`read_table`]): the Adler-32 at the
/// end of a volume, disk or data section (of its 94-byte SMART/EWF or
/// 1052-byte EnCase layout), of a hash (36 bytes) or digest (80 bytes)
/// section; the zlib stream of a header, header2 or xheader section.
fn check_section(f: &mut File, s: &Section) -> std::io::Result<Option<String>> {
    let size = s.size.saturating_sub(DESCRIPTOR);
    let covered = match s.kind.as_str() {
        "volume" | "disk" | "data" if size >= 1052 => 1048,
        "volume" | "disk" | "data" if size >= 94 => 90,
        "hash" => 32,
        "digest" => 76,
        "header" | "header2" | "xheader" => {
            // Far more than any header holds: the size is the image's word.
            if size > 16 << 20 {
                return Ok(Some(format!("{size} bytes, more than a header holds")));
            }
            let mut raw = vec![0u8; size as usize];
            if read_full(f, s.data(), &mut raw)? < raw.len() {
                return Ok(Some("the segment file ends inside it".into()));
            }
            return Ok(inflate(&raw, 64 << 20)
                .err()
                .map(|e| format!("its zlib data does not decompress ({e})")));
        }
        "volume" | "disk" | "data" => {
            return Ok(Some(format!("{size} bytes, too short for its layout")));
        }
        _ => return Ok(None),
    };
    let mut d = vec![0u8; covered + 4];
    if read_full(f, s.data(), &mut d)? < d.len() || size < d.len() as u64 {
        return Ok(Some("the section is cut short".into()));
    }
    let (stored, computed) = (le_u32(&d[covered..]), adler32(&d[..covered]));
    Ok((stored != computed).then(|| {
        format!("checksum mismatch: Adler-32 stored {stored:08x}, computed {computed:08x}")
    }))
}

/// The inflated text of a header section (already checked by
/// [`check_section`]); `None` when it does not inflate.
fn section_text(f: &mut File, s: &Section) -> std::io::Result<Option<Vec<u8>>> {
    let size = s.size.saturating_sub(DESCRIPTOR);
    if size > 16 << 20 {
        return Ok(None);
    }
    let mut raw = vec![0u8; size as usize];
    if read_full(f, s.data(), &mut raw)? < raw.len() {
        return Ok(None);
    }
    Ok(inflate(&raw, 64 << 20).ok())
}

/// Why a zlib stream (a compressed chunk or a header section) does not
/// inflate to what it claims.
#[derive(Debug, thiserror::Error)]
pub enum InflateError {
    #[error("{0}")]
    Zlib(#[from] flate2::DecompressError),
    #[error("it inflates to more than {room} bytes")]
    TooLarge { room: usize },
    #[error("incomplete zlib stream after {got} bytes")]
    Incomplete { got: usize },
    #[error("no zlib trailer")]
    NoTrailer,
    #[error("zlib Adler-32 stored {stored:08x}, computed {computed:08x}")]
    Checksum { stored: u32, computed: u32 },
}

/// Inflates one zlib stream of at most `max` bytes, checking its Adler-32
/// trailer; returns the bytes and how much input the stream took.
fn inflate(raw: &[u8], max: usize) -> Result<Vec<u8>, InflateError> {
    // Deflate expands at most about 1032:1.
    let room = max.min(raw.len().saturating_mul(1032).saturating_add(64));
    let mut out = vec![0u8; room + 1];
    let mut z = flate2::Decompress::new(true);
    let status = z.decompress(raw, &mut out, flate2::FlushDecompress::Finish)?;
    let (used, got) = (z.total_in() as usize, z.total_out() as usize);
    if got > room {
        return Err(InflateError::TooLarge { room });
    }
    if status != flate2::Status::StreamEnd {
        return Err(InflateError::Incomplete { got });
    }
    let Some(trailer) = used.checked_sub(4).and_then(|from| raw.get(from..used)) else {
        return Err(InflateError::NoTrailer);
    };
    out.truncate(got);
    let stored = u32::from_be_bytes(trailer.try_into().unwrap_or_default());
    let computed = adler32(&out);
    if stored != computed {
        return Err(InflateError::Checksum { stored, computed });
    }
    Ok(out)
}

/// Why the section chain of a segment does not end as it must: with a
/// `next` section when another segment follows (`following`), else with a
/// `done` section; `None` when it does. A segment cut short, or whose chain
/// breaks at a damaged descriptor, ends early: libewf (`ewfverify`) refuses
/// such an image even when every chunk is there, and so does custodian.
fn chain_end_fault(
    path: &Path,
    len: u64,
    list: &[Section],
    following: Option<&PathBuf>,
) -> Option<String> {
    let seg = path.display();
    let last = list.last().map(|s| s.kind.as_str());
    match (last, following) {
        (Some("next"), Some(_)) | (Some("done"), None) => None,
        (Some("next"), None) => Some(format!(
            "segment {seg} ends with a 'next' section, but no segment follows it: the image's later segments are missing"
        )),
        (Some("done"), Some(f)) => Some(format!(
            "segment {seg} ends the image (a 'done' section), yet {} is named as its next segment: it is not part of this image",
            f.display()
        )),
        _ => {
            let at = list.last().map_or(13, |s| s.start);
            let want = if following.is_some() { "next" } else { "done" };
            Some(format!(
                "segment {seg} ({len} bytes) has no '{want}' section: its section chain breaks after the section at file offset {at} (the segment is truncated or a section descriptor is damaged)"
            ))
        }
    }
}

/// The volume (or `disk`) section: sectors per chunk at 8, bytes per sector
/// at 12, sector count at 16 (32 bits in the 94-byte SMART/EWF layout,
/// whose next 20 bytes are zero; 64 bits in the 1052-byte EnCase layout).
fn read_volume(f: &mut File, s: &Section, layout: &mut Layout) -> std::io::Result<()> {
    let mut v = [0u8; 24];
    if read_full(f, s.data(), &mut v)? < v.len() {
        return Ok(());
    }
    let per_chunk = u64::from(le_u32(&v[8..]));
    let bps = u64::from(le_u32(&v[12..]));
    let sectors = le_u64(&v[16..]);
    // A chunk of more than 64 MiB is not something any imager writes.
    if per_chunk == 0 || bps == 0 || per_chunk * bps > 1 << 26 {
        return Ok(());
    }
    layout.chunk_size = per_chunk * bps;
    layout.bytes_per_sector = bps;
    layout.media_size = sectors.saturating_mul(bps);
    Ok(())
}

/// A table section: a 24-byte header (entry count at 0, base offset at 8
/// (EnCase 6 and later; zero before), its Adler-32 at 20), then 4-byte
/// entries (bit 31: compressed; bits 0-30: offset from the base), then in
/// the E01 layout a 4-byte Adler-32 of the entries. A table whose checksums
/// fail is read from its `table2` mirror when that one is sound. Only where
/// the entries lie is kept ([`ChunkTable`]); the walk reads them again.
fn read_table(
    f: &mut File,
    path: &Path,
    (segment, table, mirror): (usize, &Section, Option<&Section>),
    block: u64,
    layout: &mut Layout,
) -> std::io::Result<()> {
    let len = f.metadata()?.len();
    let first = table_entries(f, len, table, block)?;
    let second = match mirror {
        Some(m) => Some(table_entries(f, len, m, block)?),
        None => None,
    };
    let (seg, at) = (path.display(), table.start);
    let mut fault = |why: String| {
        layout.faults.push(format!(
            "chunk table in segment {seg} at file offset {at}: {why}"
        ))
    };
    let entries = match (first, second) {
        (Ok(e), None) => Some(e),
        (Ok(e), Some(Ok(m))) => {
            if !same_entries(f, &e, &m, block)? {
                fault("it and its table2 mirror list different chunks; the table is read".into());
            }
            Some(e)
        }
        (Ok(e), Some(Err(why))) => {
            fault(format!("its table2 mirror: {why}; the table is read"));
            Some(e)
        }
        (Err(why), Some(Ok(m))) => {
            fault(format!("{why}; its table2 mirror is read instead"));
            Some(m)
        }
        (Err(why), _) => {
            fault(format!("{why}; its chunks cannot be located"));
            None
        }
    };
    if let Some(entries) = entries {
        layout.listed += entries.count;
        layout.tables.push(ChunkTable {
            segment,
            start: table.start,
            end: table.end(),
            entries,
        });
    }
    Ok(())
}

/// Why the entries of a chunk table cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the table header is cut off")]
    HeaderCut,
    #[error("table header checksum mismatch")]
    HeaderChecksum,
    #[error("{count} entries do not fit in the section ({size} bytes) or the file ({len} bytes)")]
    TooMany { count: u64, size: u64, len: u64 },
    #[error("the table entries are cut off")]
    EntriesCut,
    #[error("table entries checksum mismatch")]
    EntriesChecksum,
}

/// The entries of a table section, located and checked a block at a time
/// (nothing the size of the table is held), or why they cannot be
/// trusted.
fn table_entries(
    f: &mut File,
    len: u64,
    s: &Section,
    block: u64,
) -> std::io::Result<Result<TableEntries, TableError>> {
    let mut h = [0u8; 24];
    if read_full(f, s.data(), &mut h)? < h.len() {
        return Ok(Err(TableError::HeaderCut));
    }
    if adler32(&h[..20]) != le_u32(&h[20..]) {
        return Ok(Err(TableError::HeaderChecksum));
    }
    let count = u64::from(le_u32(&h));
    let want = count * 4;
    // Bounded by the file too, before anything is read: the count and the
    // section size are both the image's word.
    if s.data() + 24 + want > s.end().min(len) {
        return Ok(Err(TableError::TooMany {
            count,
            size: s.size,
            len,
        }));
    }
    let mut t = TableEntries {
        at: s.data() + 24,
        count,
        base: le_u64(&h[8..]),
        sum: 0,
    };
    // The E01 layout (chunks in the preceding `sectors` section) ends the
    // entries with their Adler-32; SMART and EWF put the chunks right after
    // the entries instead.
    let footer_at = t.at + want;
    let mut sum = Adler32::default();
    let mut chunks_follow = false;
    let mut raw = Vec::new();
    let mut first = 0;
    while first < count {
        let n = (count - first).min(block);
        if !t.read(f, first, n, &mut raw)? {
            return Ok(Err(TableError::EntriesCut));
        }
        sum.update(&raw);
        chunks_follow |= raw.chunks_exact(4).any(|e| t.entry(e).0 == footer_at);
        first += n;
    }
    t.sum = sum.finish();
    if !chunks_follow && footer_at + 4 <= s.end() {
        let mut foot = [0u8; 4];
        if read_full(f, footer_at, &mut foot)? == 4 && t.sum != le_u32(&foot) {
            return Ok(Err(TableError::EntriesChecksum));
        }
    }
    Ok(Ok(t))
}

/// Whether two sound tables (a table and its table2 mirror) list the same
/// chunks, entry by entry, compared a block at a time.
fn same_entries(
    f: &mut File,
    a: &TableEntries,
    b: &TableEntries,
    block: u64,
) -> std::io::Result<bool> {
    if a.count != b.count {
        return Ok(false);
    }
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    let mut first = 0;
    while first < a.count {
        let n = (a.count - first).min(block);
        if !a.read(f, first, n, &mut ra)? || !b.read(f, first, n, &mut rb)? {
            return Ok(false);
        }
        let differ = ra
            .chunks_exact(4)
            .zip(rb.chunks_exact(4))
            .any(|(x, y)| a.entry(x) != b.entry(y));
        if differ {
            return Ok(false);
        }
        first += n;
    }
    Ok(true)
}

/// The extent on disk of the chunk whose entry is `raw[i]` of a block of
/// `table`: up to the next entry's offset (`raw` holds one entry past the
/// block when the table goes on), and for the table's last entry up to
/// where the chunk data ends, by libewf's rule: the start of the table
/// section when the chunks precede it (a `sectors` section, E01), else the
/// end of the table section when they are inside it (SMART, EWF, EnCase
/// 1). An entry that does not move forward gets size 0 (reported as a
/// damaged chunk).
fn chunk_extent(table: &ChunkTable, raw: &[u8], i: usize) -> StoredChunk {
    let e = &table.entries;
    let (offset, compressed) = e.entry(&raw[i * 4..]);
    let end = match raw.get((i + 1) * 4..(i + 2) * 4) {
        Some(next) => e.entry(next).0,
        None if offset < table.start => table.start,
        None => table.end,
    };
    StoredChunk {
        segment: table.segment,
        offset,
        size: end.saturating_sub(offset),
        compressed,
    }
}

/// Adler-32 (RFC 1950 §8.2), as EWF stores it after uncompressed chunks.
pub fn adler32(data: &[u8]) -> u32 {
    let mut a = Adler32::default();
    a.update(data);
    a.finish()
}

/// Adler-32 over data given in pieces (a chunk table read a block at a
/// time).
#[derive(Debug, Clone, Copy)]
struct Adler32 {
    a: u32,
    b: u32,
}

impl Default for Adler32 {
    fn default() -> Self {
        Adler32 { a: 1, b: 0 }
    }
}

impl Adler32 {
    const MOD: u32 = 65521;

    fn update(&mut self, data: &[u8]) {
        // 5552 bytes is the most that cannot overflow u32 before reducing
        // (both sums start below MOD, and are reduced after each block).
        for block in data.chunks(5552) {
            for &x in block {
                self.a += u32::from(x);
                self.b += self.a;
            }
            self.a %= Self::MOD;
            self.b %= Self::MOD;
        }
    }

    fn finish(self) -> u32 {
        (self.b << 16) | self.a
    }
}

/// Opens `image` (its `.E02`… segments are found next to it) with the
/// `ewf` crate and reads its metadata without reading the media.
pub fn open(image: &Path) -> Result<(::ewf::EwfReader, ImageMetadata), EwfError> {
    check_signature(image)?;
    let opened = match v1_segments(image)? {
        Some(paths) => ::ewf::EwfReader::open_segments(&paths),
        None => ::ewf::EwfReader::open(image),
    };
    let reader = opened.map_err(|source| EwfError::Open {
        image: image.to_path_buf(),
        source,
    })?;
    let meta = metadata_of(&reader);
    Ok((reader, meta))
}

fn metadata_of(reader: &::ewf::EwfReader) -> ImageMetadata {
    let m = reader.metadata().clone();
    ImageMetadata {
        case_number: m.case_number,
        evidence_number: m.evidence_number,
        description: m.description,
        examiner: m.examiner,
        notes: m.notes,
        acquisition_software: m.acquiry_software,
        acquisition_date: m.acquiry_date,
        system_date: m.system_date,
    }
}

/// Reads the whole media stream of `image` chunk by chunk, checking each
/// chunk (see the module doc), computing MD5 and SHA-1, and returns them
/// with the stored digests and every damaged chunk. `progress` gets bytes
/// read.
///
/// Memory does not grow with the image: the chunk tables are checked
/// first (so that a missing or truncated segment is refused before any
/// media is read) keeping only where each table's entries lie, then read
/// again one block of entries at a time as the media are walked.
pub fn verify(image: &Path, progress: &dyn Fn(u64)) -> Result<EwfVerification, EwfError> {
    verify_with(image, progress, &[])
}

/// [`verify`], computing the media digests of the algorithms of `extra`
/// too, from the same read ([`EwfVerification::extra_digests`]): an
/// imported acquisition's log may state a SHA-256 of the media.
pub fn verify_with(
    image: &Path,
    progress: &dyn Fn(u64),
    extra: &[crate::hashing::Algorithm],
) -> Result<EwfVerification, EwfError> {
    verify_in_blocks(image, progress, ENTRY_BLOCK, extra)
}

/// The segment files of the image whose first segment is `image`, in
/// segment order (just `image` for an image custodian reads through the
/// `ewf` crate's own discovery).
pub fn segments(image: &Path) -> Result<Vec<PathBuf>, EwfError> {
    check_signature(image)?;
    Ok(v1_segments(image)?.unwrap_or_else(|| vec![image.to_path_buf()]))
}

/// [`verify`], reading chunk tables `block` entries at a time (smaller in
/// the tests, so that every table crosses a block boundary).
fn verify_in_blocks(
    image: &Path,
    progress: &dyn Fn(u64),
    block: u64,
    extra: &[crate::hashing::Algorithm],
) -> Result<EwfVerification, EwfError> {
    let block = block.max(1);
    let start = Instant::now();
    let started = crate::time::now();
    check_signature(image)?;
    let segments = v1_segments(image)?.unwrap_or_else(|| vec![image.to_path_buf()]);
    let mut layout = read_layout(image, &segments, block)?;
    let (size, chunk) = (layout.media_size, layout.chunk_size);
    check_complete(image, &layout, &segments)?;
    let (metadata, acquisition_errors) = crate_metadata(&segments);
    let mut walk = walk_media(image, &segments, &layout, block, progress, extra)?;
    layout.faults.append(&mut walk.section_faults);
    Ok(EwfVerification {
        image: image.to_path_buf(),
        segments: segments.clone(),
        media_size: size,
        chunk_size: chunk,
        chunks: usize::try_from(layout.listed).unwrap_or(usize::MAX),
        bytes_per_sector: Some(layout.bytes_per_sector),
        metadata,
        header: super::ewf_header::HeaderValues::read(
            layout.header.as_deref(),
            layout.header2.as_deref(),
        ),
        stored_md5: layout.stored_md5.map(hex::encode),
        stored_sha1: layout.stored_sha1.map(hex::encode),
        computed_md5: hex::encode(walk.md5.finalize()),
        computed_sha1: hex::encode(walk.sha1.finalize()),
        extra_digests: walk
            .extra
            .finalize()
            .iter()
            .map(|(a, h)| (a.name().to_string(), h.to_string()))
            .collect(),
        chunk_checksums_checked: true,
        chunk_faults: walk.faults,
        chunk_faults_total: walk.total_faults,
        chunks_zeroed: walk.zeroed,
        section_faults: layout.faults,
        acquisition_errors,
        started: crate::time::format(started),
        finished: crate::time::format(crate::time::now()),
        elapsed: start.elapsed(),
    })
}

/// The header metadata and the acquisition errors (`error2` section),
/// through the `ewf` crate; an image it cannot open (damaged sections) has
/// none, and its damage is reported by the walk. The crate's paged table
/// is asked for: its flat one holds every chunk (16 bytes each, 512 MiB
/// for a 1 TiB image), and no chunk is read through it.
fn crate_metadata(segments: &[PathBuf]) -> (ImageMetadata, Vec<(u32, u32)>) {
    let sources = segments
        .iter()
        .map(|p| File::open(p).map(::ewf::SegmentSource::File))
        .collect::<Result<Vec<_>, _>>();
    match sources.map(::ewf::EwfReader::open_lazy_from_sources) {
        Ok(Ok(r)) => (
            metadata_of(&r),
            r.acquisition_errors()
                .iter()
                .map(|e| (e.first_sector, e.sector_count))
                .collect(),
        ),
        _ => (ImageMetadata::default(), Vec::new()),
    }
}

/// Reads the media the tables of `layout` list, in order, table by table
/// and `block` entries at a time, into the digests.
fn walk_media<'a>(
    image: &Path,
    segments: &'a [PathBuf],
    layout: &Layout,
    block: u64,
    progress: &dyn Fn(u64),
    extra: &[crate::hashing::Algorithm],
) -> Result<MediaWalk<'a>, EwfError> {
    let mut walk = MediaWalk {
        segments,
        files: open_segment_files(image, segments)?,
        chunk_size: layout.chunk_size,
        sector: layout.bytes_per_sector,
        media_size: layout.media_size,
        block,
        index: 0,
        offset: 0,
        md5: md5::Md5::new(),
        sha1: sha1::Sha1::new(),
        extra: crate::hashing::MultiHasher::of(extra),
        buf: vec![0u8; layout.chunk_size as usize],
        entries: Vec::new(),
        faults: Vec::new(),
        total_faults: 0,
        zeroed: 0,
        section_faults: Vec::new(),
    };
    for table in &layout.tables {
        if walk.offset >= walk.media_size {
            break;
        }
        walk.table(table, progress);
    }
    Ok(walk)
}

/// Opens every segment file, for the chunks read directly.
fn open_segment_files(image: &Path, paths: &[PathBuf]) -> Result<Vec<File>, EwfError> {
    paths
        .iter()
        .map(|p| {
            File::open(p).map_err(|source| EwfError::Segment {
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
fn check_complete(image: &Path, layout: &Layout, segments: &[PathBuf]) -> Result<(), EwfError> {
    let listed = layout.listed;
    if listed >= layout.media_size.div_ceil(layout.chunk_size) {
        return Ok(());
    }
    Err(EwfError::Incomplete {
        image: image.to_path_buf(),
        listed,
        chunk: layout.chunk_size,
        size: layout.media_size,
        segments: segments
            .iter()
            .map(|p| {
                let len = p.metadata().map(|m| m.len()).unwrap_or(0);
                format!("{} ({len} bytes)", p.display())
            })
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The walk over the media of [`verify`]: the open segment files, where
/// in the media it is, the digests so far and the damaged chunks found so
/// far. It holds one chunk and one block of table entries, whatever the
/// size of the image.
struct MediaWalk<'a> {
    segments: &'a [PathBuf],
    files: Vec<File>,
    chunk_size: u64,
    sector: u64,
    media_size: u64,
    /// Table entries read at a time ([`ENTRY_BLOCK`]).
    block: u64,
    /// The next chunk's index, and its first media byte.
    index: u64,
    offset: u64,
    md5: md5::Md5,
    sha1: sha1::Sha1,
    /// Further media digests ([`verify_with`]).
    extra: crate::hashing::MultiHasher,
    /// One chunk of media.
    buf: Vec<u8>,
    /// One block of table entries (and the entry after it).
    entries: Vec<u8>,
    faults: Vec<ChunkFault>,
    total_faults: u64,
    /// Chunks that could not be read and were hashed as zeros.
    zeroed: u64,
    /// A table that no longer reads as it did when checked.
    section_faults: Vec<String>,
}

/// Where a chunk lies: its index, media offset and length, and where it is
/// stored (unknown when its table could no longer be read).
struct ChunkAt<'a> {
    index: u64,
    offset: u64,
    want: usize,
    stored: Option<&'a StoredChunk>,
}

/// Why a chunk is not as the imager wrote it, and whether its bytes could
/// be read at all (a chunk whose checksum fails is hashed as read; one that
/// cannot be read or inflated is hashed as zeros).
enum ChunkError {
    Altered(String),
    Unreadable(String),
}

impl MediaWalk<'_> {
    /// Reads the chunks `table` lists, one block of entries at a time,
    /// until the table or the media ends. Entries that read differently
    /// from when the table was checked (the segment file changed since)
    /// are a section fault; entries that can no longer be read leave the
    /// rest of the table's chunks unreadable, hashed as zeros.
    fn table(&mut self, table: &ChunkTable, progress: &dyn Fn(u64)) {
        let e = table.entries;
        let mut raw = std::mem::take(&mut self.entries);
        let mut sum = Adler32::default();
        let mut first = 0;
        while first < e.count && self.offset < self.media_size {
            let n = (e.count - first).min(self.block);
            // One entry more when the table goes on: it ends the block's
            // last chunk.
            let ahead = u64::from(first + n < e.count);
            let read = match self.files.get_mut(table.segment) {
                Some(f) => e.read(f, first, n + ahead, &mut raw),
                None => Err(std::io::Error::other("its segment file is not open")),
            };
            let why = match read {
                Ok(true) => None,
                Ok(false) => Some("the segment file now ends inside them".to_string()),
                Err(err) => Some(err.to_string()),
            };
            if let Some(why) = why {
                self.lost_table(table, e.count - first, &why, progress);
                break;
            }
            sum.update(&raw[..(n * 4) as usize]);
            for i in 0..n as usize {
                if self.offset >= self.media_size {
                    break;
                }
                let stored = chunk_extent(table, &raw, i);
                self.next_chunk(Some(&stored), None, progress);
            }
            first += n;
        }
        if first == e.count && sum.finish() != e.sum {
            self.section_faults.push(format!(
                "chunk table in segment {} at file offset {}: its entries changed while the image was read (Adler-32 {:08x} when checked, {:08x} when walked): the segment file is being written",
                self.segment_name(table.segment),
                table.start,
                e.sum,
                sum.finish()
            ));
        }
        self.entries = raw;
    }

    /// The `left` chunks of `table` not yet read, when its entries can no
    /// longer be read (`why`): each is a damaged chunk, hashed as zeros,
    /// so that the chunks after it keep their place in the media.
    fn lost_table(&mut self, table: &ChunkTable, left: u64, why: &str, progress: &dyn Fn(u64)) {
        self.section_faults.push(format!(
            "chunk table in segment {} at file offset {}: its entries could no longer be read ({why}); its {left} remaining chunk(s) are hashed as zeros",
            self.segment_name(table.segment),
            table.start
        ));
        let reason = format!("its chunk table could no longer be read ({why})");
        for _ in 0..left {
            if self.offset >= self.media_size {
                break;
            }
            self.next_chunk(None, Some(&reason), progress);
        }
    }

    fn segment_name(&self, segment: usize) -> String {
        self.segments
            .get(segment)
            .map_or_else(|| format!("#{segment}"), |p| p.display().to_string())
    }

    /// Reads the next chunk of the media (stored at `stored`, or lost for
    /// `lost`) into the digests, and moves on.
    fn next_chunk(
        &mut self,
        stored: Option<&StoredChunk>,
        lost: Option<&str>,
        progress: &dyn Fn(u64),
    ) {
        let want = self.chunk_size.min(self.media_size - self.offset) as usize;
        let at = ChunkAt {
            index: self.index,
            offset: self.offset,
            want,
            stored,
        };
        let read = match (stored, lost) {
            (Some(s), _) if s.compressed => self.compressed(s, want),
            (Some(s), _) => self.uncompressed(s, want),
            (None, why) => Err(ChunkError::Unreadable(why.unwrap_or_default().to_string())),
        };
        match read {
            Ok(()) => {}
            Err(ChunkError::Altered(reason)) => self.fault(&at, reason),
            Err(ChunkError::Unreadable(reason)) => {
                self.fault(&at, reason);
                self.buf[..want].fill(0);
                self.zeroed += 1;
            }
        }
        self.md5.update(&self.buf[..want]);
        self.sha1.update(&self.buf[..want]);
        self.extra.update(&self.buf[..want]);
        self.index += 1;
        self.offset += want as u64;
        progress(want as u64);
    }

    /// The chunk's bytes on disk, all `size` of them.
    fn raw(&mut self, s: &StoredChunk) -> Result<Vec<u8>, ChunkError> {
        if s.size == 0 {
            return Err(ChunkError::Unreadable(
                "its chunk table entry gives it no size (the next entry does not lie after it): the table is damaged".into(),
            ));
        }
        // A compressed chunk of incompressible data is a little larger
        // than the chunk; anything far larger is a damaged table.
        let most = self.chunk_size + self.chunk_size / 8 + 1024;
        if s.size > most {
            return Err(ChunkError::Unreadable(format!(
                "its chunk table entry gives it {} bytes in the segment, more than a chunk of {} bytes can take: the table is damaged",
                s.size, self.chunk_size
            )));
        }
        let mut raw = vec![0u8; s.size as usize];
        let file = self.files.get_mut(s.segment);
        let n = match file {
            Some(f) => read_full(f, s.offset, &mut raw),
            None => Err(std::io::Error::other("its segment file is not open")),
        }
        .map_err(|e| ChunkError::Unreadable(format!("cannot be read: {e}")))?;
        if n < raw.len() {
            return Err(ChunkError::Unreadable(format!(
                "the segment file ends {n} bytes into this chunk, which takes {} bytes: the segment is truncated",
                raw.len()
            )));
        }
        Ok(raw)
    }

    /// An uncompressed chunk: its bytes followed by their Adler-32
    /// (little-endian).
    fn uncompressed(&mut self, s: &StoredChunk, want: usize) -> Result<(), ChunkError> {
        let raw = self.raw(s)?;
        if raw.len() != want + 4 {
            return Err(ChunkError::Unreadable(format!(
                "it takes {} bytes in the segment, but {want} media bytes and their 4-byte Adler-32 take {}: the table is damaged",
                raw.len(),
                want + 4
            )));
        }
        self.buf[..want].copy_from_slice(&raw[..want]);
        let stored = le_u32(&raw[want..]);
        let computed = adler32(&raw[..want]);
        if stored != computed {
            return Err(ChunkError::Altered(format!(
                "uncompressed chunk checksum mismatch: Adler-32 stored {stored:08x}, computed {computed:08x} (its data was altered)"
            )));
        }
        Ok(())
    }

    /// A compressed chunk: one zlib stream that must inflate to exactly the
    /// chunk's media bytes, ending with their Adler-32 (big-endian, RFC
    /// 1950). Bytes after the stream, up to the next chunk, are not data.
    fn compressed(&mut self, s: &StoredChunk, want: usize) -> Result<(), ChunkError> {
        let raw = self.raw(s)?;
        let out = inflate(&raw, want).map_err(|m| {
            ChunkError::Unreadable(format!(
                "compressed chunk does not decompress ({m}): its zlib data or checksum was altered"
            ))
        })?;
        if out.len() != want {
            return Err(ChunkError::Unreadable(format!(
                "compressed chunk inflates to {} bytes, not the chunk's {want}: its zlib data was altered",
                out.len()
            )));
        }
        self.buf[..want].copy_from_slice(&out);
        Ok(())
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
        self.faults.push(ChunkFault {
            chunk: at.index,
            media_start: offset,
            media_end: end,
            first_sector: Some(offset / self.sector),
            last_sector: Some(end.div_ceil(self.sector) - 1),
            segment: at
                .stored
                .and_then(|s| self.segments.get(s.segment).cloned()),
            file_offset: at.stored.map(|s| s.offset),
            compressed: at.stored.is_some_and(|s| s.compressed),
            reason,
        });
    }
}

/// Reads up to `buf.len()` bytes at `at` of a file; fewer only at its end.
fn read_full(f: &mut File, at: u64, buf: &mut [u8]) -> std::io::Result<usize> {
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
    for t in &v.section_faults {
        push("evidence-ewf-unreadable", format!("{img}: {t}"));
    }
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
    use super::*;

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/ewf/small.E01"
        ))
        .unwrap()
    }

    /// Offset of the first section descriptor of `kind` in a segment.
    fn section_at(b: &[u8], kind: &str) -> usize {
        let mut off = 13;
        loop {
            let k: Vec<u8> = b[off..off + 16]
                .iter()
                .copied()
                .take_while(|c| *c != 0)
                .collect();
            if k == kind.as_bytes() {
                return off;
            }
            off = le_u64(&b[off + 16..]) as usize;
        }
    }

    /// Hostile bytes anywhere in an image (altered, or the file cut short)
    /// never panic, and a byte altered in the chunk data (or the file cut
    /// short) is never reported intact.
    #[test]
    fn altered_or_truncated_images_never_panic_nor_pass() {
        let good = fixture();
        let sectors = section_at(&good, "sectors");
        let data = sectors + 76..sectors + le_u64(&good[sectors + 24..]) as usize;
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("x.E01");
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for round in 0..300 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut b = good.clone();
            let at = (x >> 8) as usize % b.len();
            if round % 10 == 9 {
                b.truncate(at);
            } else {
                b[at] ^= (x as u8) | 1;
            }
            std::fs::write(&img, &b).unwrap();
            let intact = verify(&img, &|_| {}).is_ok_and(|v| v.is_intact());
            let must_fail = b.len() < good.len() || data.contains(&at);
            assert!(
                !(intact && must_fail),
                "round {round}: byte {at} altered or cut, yet intact"
            );
        }
    }

    /// A table claiming four billion entries is refused before anything is
    /// allocated, and its table2 mirror is read instead.
    #[test]
    fn an_absurd_table_entry_count_falls_back_to_table2() {
        let mut b = fixture();
        let t = section_at(&b, "table") + 76;
        b[t..t + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let sum = adler32(&b[t..t + 20]);
        b[t + 20..t + 24].copy_from_slice(&sum.to_le_bytes());
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("x.E01");
        std::fs::write(&img, &b).unwrap();
        let v = verify(&img, &|_| {}).unwrap();
        assert_eq!(v.chunk_faults_total, 0);
        assert_eq!(v.stored_md5.as_deref(), Some(v.computed_md5.as_str()));
        assert_eq!(v.section_faults.len(), 1, "{:?}", v.section_faults);
        assert!(
            v.section_faults[0].contains("4294967295 entries do not fit")
                && v.section_faults[0].ends_with("its table2 mirror is read instead"),
            "{:?}",
            v.section_faults
        );
        // Both tables absurd: the chunks cannot be located, and the image
        // is incomplete (exit 1), not unreadable.
        let t2 = section_at(&b, "table2") + 76;
        let copy = b[t..t + 24].to_vec();
        b[t2..t2 + 24].copy_from_slice(&copy);
        std::fs::write(&img, &b).unwrap();
        let e = verify(&img, &|_| {}).unwrap_err();
        assert!(e.is_corruption(), "{e}");
        assert!(
            e.to_string().contains("the chunk tables list 0 chunk(s)"),
            "{e}"
        );
    }

    /// Reading a table in blocks of any size gives the same result: every
    /// chunk in its place (the entry after a block ends its last chunk),
    /// the same damage found at the same place.
    #[test]
    fn any_entry_block_size_reads_the_same() {
        let good = fixture();
        let mut damaged = good.clone();
        let data = section_at(&good, "sectors") + 76;
        damaged[data + 32768 + 4 + 100] ^= 0x20;
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("x.E01");
        for (bytes, faults) in [(good, 0), (damaged, 1)] {
            std::fs::write(&img, &bytes).unwrap();
            let seen = |block| {
                let v = verify_in_blocks(&img, &|_| {}, block, &[]).unwrap();
                let c = (v.computed_md5, v.computed_sha1, v.chunks, v.chunk_faults);
                (c, v.chunk_faults_total, v.section_faults)
            };
            let want = seen(ENTRY_BLOCK);
            assert_eq!(want.1, faults, "{want:?}");
            assert_eq!(want.0 .2, 4, "{want:?}");
            for block in 0..=5 {
                assert_eq!(seen(block), want, "blocks of {block} entries");
            }
        }
    }

    /// A table whose entries read differently when walked than when
    /// checked (the file changed in between) is a section fault; one that
    /// can no longer be read leaves its chunks unreadable, hashed as zeros,
    /// each in its place in the media.
    #[test]
    fn a_table_changed_or_gone_since_checked_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("x.E01");
        std::fs::write(&img, fixture()).unwrap();
        let segments = vec![img.clone()];
        let mut layout = read_layout(&img, &segments, ENTRY_BLOCK).unwrap();
        assert_eq!((layout.tables.len(), layout.listed), (1, 4));
        layout.tables[0].entries.sum ^= 1;
        let walk = walk_media(&img, &segments, &layout, ENTRY_BLOCK, &|_| {}, &[]).unwrap();
        assert_eq!(walk.total_faults, 0);
        assert_eq!(walk.section_faults.len(), 1, "{:?}", walk.section_faults);
        assert!(
            walk.section_faults[0].contains("its entries changed while the image was read"),
            "{:?}",
            walk.section_faults
        );
        layout.tables[0].entries.sum ^= 1;
        layout.tables[0].entries.at = 1 << 40;
        let walk = walk_media(&img, &segments, &layout, 2, &|_| {}, &[]).unwrap();
        assert_eq!((walk.total_faults, walk.zeroed), (4, 4));
        assert!(
            walk.section_faults[0].ends_with(
                "its entries could no longer be read (the segment file now ends inside them); its 4 remaining chunk(s) are hashed as zeros"
            ),
            "{:?}",
            walk.section_faults
        );
        let places: Vec<(u64, u64)> = walk
            .faults
            .iter()
            .map(|f| (f.chunk, f.media_start))
            .collect();
        assert_eq!(places, [(0, 0), (1, 32768), (2, 65536), (3, 98304)]);
        let zeros = hex::encode(md5::Md5::digest(vec![0u8; 131_072]));
        assert_eq!(hex::encode(walk.md5.finalize()), zeros);
    }

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
