//! Hashing and acquisition engine: multi-digest streaming, a parallel
//! deterministic tree walk, and manifests.
//!
//! - [`Algorithm`], [`AlgorithmSet`], [`Digests`]: what to compute.
//! - [`hash_reader`], [`hash_file`]: one stream or one file.
//! - [`hash_tree`]: every object under some roots, one [`Record`] each, in
//!   a fixed order (depth-first, siblings sorted by raw name bytes).
//! - [`write_manifest`], [`ManifestReader`]: the JSON Lines manifest
//!   specified in `docs/spec/manifest.md`.
//!
//! Evidence is only ever opened read-only with `O_NOATIME` where permitted;
//! FIFOs, sockets and devices are recorded but never opened. Nothing here
//! prints; problems with single objects are recorded in their records.

mod algorithm;
mod error;
mod file;
mod manifest;
mod record;
mod walk;

pub(crate) use algorithm::MultiHasher;
pub use algorithm::{Algorithm, AlgorithmError, AlgorithmSet, Digests};
pub use error::HashError;
pub(crate) use file::read_full;
pub use file::{hash_file, hash_reader, open_evidence, PIPELINE_THRESHOLD};
pub use manifest::{
    write_line, write_manifest, write_manifest_with, ManifestReader, ManifestSummary,
    MAX_LINE_BYTES,
};
pub use record::{
    canonical_json, decode_bytes, encode_bytes, file_kind, header, FileKind, Header, Meta, PathRef,
    Record, RecordFromFs, RootName, FORMAT_NAME, FORMAT_VERSION,
};
pub use walk::{
    hash_tree, scan_totals, HashOptions, NoProgress, Progress, Summary, Totals, MAX_JOBS,
};
