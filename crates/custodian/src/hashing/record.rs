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

/// The `stat` fields a record keeps. Made from std's [`Metadata`] (what
/// `fstat` of an open file gives) or from a `stat` taken relative to a
/// directory descriptor (rustix), which std cannot do: the tree walk looks
/// entries up in their folder's descriptor, not by whole path again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub kind: FileKind,
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// (seconds, nanoseconds) since the epoch.
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
    pub atime: (i64, i64),
}

impl From<&Metadata> for Meta {
    fn from(m: &Metadata) -> Meta {
        Meta {
            kind: file_kind(m.file_type()),
            dev: m.dev(),
            ino: m.ino(),
            mode: m.mode(),
            nlink: m.nlink(),
            uid: m.uid(),
            gid: m.gid(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
            atime: (m.atime(), m.atime_nsec()),
        }
    }
}

impl From<&rustix::fs::Stat> for Meta {
    // The fields' types differ between architectures (and are already
    // these on some), so plain casts; none loses a value a kernel gives.
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    fn from(s: &rustix::fs::Stat) -> Meta {
        use rustix::fs::FileType as T;
        let kind = match T::from_raw_mode(s.st_mode as _) {
            T::RegularFile => FileKind::File,
            T::Directory => FileKind::Dir,
            T::Symlink => FileKind::Symlink,
            T::Fifo => FileKind::Fifo,
            T::Socket => FileKind::Socket,
            T::BlockDevice => FileKind::BlockDevice,
            T::CharacterDevice => FileKind::CharDevice,
            _ => FileKind::Other,
        };
        Meta {
            kind,
            dev: s.st_dev as u64,
            ino: s.st_ino as u64,
            mode: s.st_mode as u32,
            nlink: s.st_nlink as u64,
            uid: s.st_uid as u32,
            gid: s.st_gid as u32,
            size: (s.st_size as i64).max(0) as u64,
            mtime: (s.st_mtime as i64, s.st_mtime_nsec as i64),
            ctime: (s.st_ctime as i64, s.st_ctime_nsec as i64),
            atime: (s.st_atime as i64, s.st_atime_nsec as i64),
        }
    }
}

/// Filling a [`Record`] from the file system.
pub trait RecordFromFs {
    /// A record filled from `lstat`/`fstat` metadata.
    fn from_metadata(root: u32, rel: &[u8], m: &Meta) -> Self;
    /// Overwrites the metadata fields (kind excepted) from `m`.
    fn set_metadata(&mut self, m: &Meta);
    /// Records a symlink's target, exactly (base64 when not UTF-8).
    fn set_target(&mut self, raw: &OsStr);
}

impl RecordFromFs for Record {
    fn from_metadata(root: u32, rel: &[u8], m: &Meta) -> Self {
        let mut r = Record::new(root, rel, m.kind);
        r.set_metadata(m);
        r
    }

    fn set_metadata(&mut self, m: &Meta) {
        self.size = Some(m.size);
        self.mode = Some(format!("{:04o}", m.mode & 0o7777));
        self.uid = Some(m.uid);
        self.gid = Some(m.gid);
        self.nlink = Some(m.nlink);
        self.dev = Some(m.dev.to_string());
        self.ino = Some(m.ino.to_string());
        self.mtime = format_time(m.mtime.0, m.mtime.1);
        self.ctime = format_time(m.ctime.0, m.ctime.1);
        self.atime = format_time(m.atime.0, m.atime.1);
    }

    fn set_target(&mut self, raw: &OsStr) {
        let (t, b) = encode_bytes(raw.as_bytes());
        self.target = Some(t);
        self.target_b64 = b;
    }
}
