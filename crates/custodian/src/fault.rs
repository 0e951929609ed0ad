//! Injected I/O failures, for tests of disk-full and I/O-error handling.
//!
//! In **debug builds only**, the environment variable `CUSTODIAN_FAULT`
//! names write points that must fail and the OS error they fail with, as a
//! comma-separated list of `POINT:ERRNO`:
//!
//! ```text
//! CUSTODIAN_FAULT=ledger-write:ENOSPC
//! CUSTODIAN_FAULT=ledger-fsync:EIO,report-write:ENOSPC
//! ```
//!
//! | point | where it fails |
//! |---|---|
//! | `ledger-write` | appending an entry: half the line is written, then the write fails |
//! | `ledger-fsync` | appending an entry: the whole line is written, then `fdatasync` fails |
//! | `manifest-write` | acquiring: the first write to `ID.jsonl.tmp` writes half its bytes, then fails |
//! | `manifest-fsync` | acquiring: the whole manifest is written, then `fsync` fails |
//! | `report-write` | `report -o`: half the report is written to the temporary file, then the write fails |
//! | `report-fsync` | `report -o`: the temporary file is written, then `fsync` fails |
//! | `checkpoint-write` | saving a checkpoint: half the note is written to the temporary file, then the write fails |
//!
//! ERRNO is `ENOSPC`, `EIO`, `EDQUOT` or `EROFS`. The failure is returned
//! by the same writer calls that a full or failing disk would make fail,
//! so the real error path runs (cut the ledger back, remove the temporary
//! file, report the file and the OS error). Release builds compile the
//! hook out: [`check`] always succeeds there (`tests/faults.rs` checks
//! that a release binary ignores the variable).

use std::io::{self, Write};

/// The environment variable read by debug builds.
pub const ENV: &str = "CUSTODIAN_FAULT";

/// A place where a write can be made to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    LedgerWrite,
    LedgerFsync,
    ManifestWrite,
    ManifestFsync,
    ReportWrite,
    ReportFsync,
    CheckpointWrite,
}

impl Point {
    /// The name used in `CUSTODIAN_FAULT`.
    pub fn name(self) -> &'static str {
        match self {
            Point::LedgerWrite => "ledger-write",
            Point::LedgerFsync => "ledger-fsync",
            Point::ManifestWrite => "manifest-write",
            Point::ManifestFsync => "manifest-fsync",
            Point::ReportWrite => "report-write",
            Point::ReportFsync => "report-fsync",
            Point::CheckpointWrite => "checkpoint-write",
        }
    }
}

/// The injected error for `point`, if `CUSTODIAN_FAULT` names it (debug
/// builds only; always `None` in release builds).
#[cfg(debug_assertions)]
pub fn injected(point: Point) -> Option<io::Error> {
    let spec = std::env::var(ENV).ok()?;
    spec.split(',').find_map(|item| {
        let (name, errno) = item.trim().split_once(':')?;
        if name != point.name() {
            return None;
        }
        let code = match errno {
            "ENOSPC" => libc::ENOSPC,
            "EIO" => libc::EIO,
            "EDQUOT" => libc::EDQUOT,
            "EROFS" => libc::EROFS,
            _ => return None,
        };
        Some(io::Error::from_raw_os_error(code))
    })
}

/// Release builds: no fault is ever injected.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn injected(_point: Point) -> Option<io::Error> {
    None
}

/// Fails with the injected error for `point`, if any.
#[inline]
pub fn check(point: Point) -> io::Result<()> {
    match injected(point) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// `w.write_all(bytes)`, except that with a fault injected at `point` only
/// the first half of `bytes` is written before the error, as a disk that
/// fills up in the middle of a write leaves it.
pub fn write_all<W: Write + ?Sized>(point: Point, w: &mut W, bytes: &[u8]) -> io::Result<()> {
    match injected(point) {
        None => w.write_all(bytes),
        Some(e) => {
            w.write_all(&bytes[..bytes.len() / 2])?;
            let _ = w.flush();
            Err(e)
        }
    }
}

/// A writer that fails like a full disk at `point`: each write with a fault
/// injected writes half of what it is given (at least one byte of a
/// non-empty buffer, so a partial file exists), then fails.
#[derive(Debug)]
pub struct FaultyWriter<W> {
    pub inner: W,
    point: Point,
}

impl<W> FaultyWriter<W> {
    pub fn new(point: Point, inner: W) -> Self {
        FaultyWriter { inner, point }
    }
}

impl<W: Write> Write for FaultyWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match injected(self.point) {
            None => self.inner.write(buf),
            Some(e) => {
                let half = buf.len().div_ceil(2);
                self.inner.write_all(&buf[..half])?;
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
