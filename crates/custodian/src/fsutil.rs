//! Durable file replacement shared by the writers of whole files
//! (reports, signatures, checkpoints).

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
            fault::write_all(points.0, &mut f, bytes)?;
            fault::check(points.1)?;
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
