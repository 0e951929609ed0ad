//! Durable file replacement shared by the writers of whole files
//! (reports, signatures, checkpoints), and the one way files are opened
//! for reading from a case folder or a package.

use std::fs;
use std::path::{Path, PathBuf};

use crate::fault::{self, Point};

/// A whole-file write that failed; `path` is the file that was to be
/// written, which is left as it was.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Writes `bytes` to `path` atomically and durably: to a temporary file
/// `.NAME.tmp-PID` in the same folder (created exclusively), fsynced, then
/// renamed over `path`, then the folder fsynced. A reader sees the old file
/// or the new one, never half of one. On any failure the temporary file is
/// removed and `path` is untouched. `points` are the fault-injection points
/// of the write and of the fsync (see [`crate::fault`]).
pub fn write_atomic(path: &Path, bytes: &[u8], points: (Point, Point)) -> Result<(), WriteError> {
    replace(path, points.1, |f| fault::write_all(points.0, f, bytes))
}

/// As [`write_atomic`], for a file written in pieces: `fill` writes the
/// whole content to the temporary file (through a buffer; every write
/// fails at `points.0` when a fault is injected there), and an error from
/// it is a failed write like any other. So a long output (a report of a
/// million files) is never held in memory whole.
pub fn write_atomic_with(
    path: &Path,
    points: (Point, Point),
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    replace(path, points.1, |f| {
        let mut w =
            std::io::BufWriter::with_capacity(256 * 1024, fault::FaultyWriter::new(points.0, f));
        fill(&mut w)?;
        std::io::Write::flush(&mut w)
    })
}

/// The temporary file, its fsync (fault point `fsync`), the rename and the
/// folder's fsync of [`write_atomic`]; `fill` writes the content.
fn replace(
    path: &Path,
    fsync: Point,
    fill: impl FnOnce(&mut fs::File) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let err = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = fs::remove_file(&tmp); // a leftover of this same pid, long dead
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| {
            fill(&mut f)?;
            fault::check(fsync)?;
            f.sync_all()
        })
        .and_then(|_| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(err(e));
    }
    fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| WriteError { path: dir, source })
}

/// Opens a file that custodian itself keeps (in a case folder or a
/// package: the ledger, manifests, checkpoints, timestamp replies) for
/// reading. A case folder may have passed through many hands, so what is
/// there is not trusted to be what custodian wrote:
///
/// - a symbolic link is refused, never followed (`follow` false): it could
///   point outside the case, at `/dev/zero`, at a FIFO;
/// - the open never blocks (`O_NONBLOCK`: opening a FIFO for reading would
///   wait forever for a writer);
/// - what was opened must be a regular file (checked on the open file
///   descriptor, so a swap after a check cannot win).
///
/// With `follow` true (a file the user named on the command line) links are
/// followed but the target must still be a regular file.
pub fn open_regular(path: &Path, follow: bool) -> std::io::Result<fs::File> {
    use std::io::{Error, ErrorKind};
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| {
            if !follow && e.raw_os_error() == Some(libc::ELOOP) {
                Error::new(
                    ErrorKind::InvalidInput,
                    "is a symbolic link; custodian does not follow links inside a case folder",
                )
            } else {
                e
            }
        })?;
    let t = f.metadata()?.file_type();
    if !t.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("is {}, not a regular file", kind_words(t)),
        ));
    }
    Ok(f)
}

/// What a file that is not a regular file is, in words for an error:
/// "a folder", "a FIFO", "a device", "a socket".
pub(crate) fn kind_words(t: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// Reads a whole file opened as [`open_regular`] says.
pub fn read_regular(path: &Path, follow: bool) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open_regular(path, follow)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}
