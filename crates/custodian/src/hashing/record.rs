//! Manifest records filled from the file system. The record types are
//! the format's (`custodian_format::manifest`, docs/spec/manifest.md);
//! this module adds what needs `lstat`: the kind of an object, its
//! metadata, a symlink's target, and the header custodian writes.

use std::ffi::OsStr;
use std::fs::{FileType, Metadata};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};

pub use custodian_format::manifest::{
    canonical_json, decode_bytes, encode_bytes, format_time, FileKind, Header, PathRef, Record,
    RootName, FORMAT_NAME, FORMAT_VERSION,
};

use super::algorithm::AlgorithmSet;

/// The `tool` member of manifests this build writes.
pub const TOOL: &str = concat!("custodian ", env!("CARGO_PKG_VERSION"));

/// The manifest kind of a file type.
pub fn file_kind(t: FileType) -> FileKind {
    if t.is_file() {
        FileKind::File
    } else if t.is_dir() {
        FileKind::Dir
    } else if t.is_symlink() {
        FileKind::Symlink
    } else if t.is_fifo() {
        FileKind::Fifo
    } else if t.is_socket() {
        FileKind::Socket
    } else if t.is_block_device() {
        FileKind::BlockDevice
    } else if t.is_char_device() {
        FileKind::CharDevice
    } else {
        FileKind::Other
    }
}

/// The header of a manifest this build writes over `roots`.
pub fn header(roots: &[std::path::PathBuf], algorithms: &AlgorithmSet, follow: bool) -> Header {
    Header::new(roots, algorithms, follow, TOOL)
}

/// Filling a [`Record`] from the file system.
pub trait RecordFromFs {
    /// A record filled from `lstat`/`fstat` metadata.
    fn from_metadata(root: u32, rel: &[u8], m: &Metadata) -> Self;
    /// Overwrites the metadata fields (kind excepted) from `m`.
    fn set_metadata(&mut self, m: &Metadata);
    /// Records a symlink's target, exactly (base64 when not UTF-8).
    fn set_target(&mut self, raw: &OsStr);
}

impl RecordFromFs for Record {
    fn from_metadata(root: u32, rel: &[u8], m: &Metadata) -> Self {
        let mut r = Record::new(root, rel, file_kind(m.file_type()));
        r.set_metadata(m);
        r
    }

    fn set_metadata(&mut self, m: &Metadata) {
        self.size = Some(m.size());
        self.mode = Some(format!("{:04o}", m.mode() & 0o7777));
        self.uid = Some(m.uid());
        self.gid = Some(m.gid());
        self.nlink = Some(m.nlink());
        self.dev = Some(m.dev().to_string());
        self.ino = Some(m.ino().to_string());
        self.mtime = format_time(m.mtime(), m.mtime_nsec());
        self.ctime = format_time(m.ctime(), m.ctime_nsec());
        self.atime = format_time(m.atime(), m.atime_nsec());
    }

    fn set_target(&mut self, raw: &OsStr) {
        let (t, b) = encode_bytes(raw.as_bytes());
        self.target = Some(t);
        self.target_b64 = b;
    }
}
