//! Where the complete file lists go: in the report, or in a separate file
//! beside it (`report --appendix inline|separate|auto`).
//!
//! The exhibit tables of HTML and Markdown show the first
//! [`INLINE_FILES`] files of each exhibit; the complete lists of the
//! exhibits with more ([`exhibits`]) form the appendix. Inline, the
//! appendix is the last part of the report (and JSON lists every file in
//! `file_list`). An exhibit of a million files makes that one enormous
//! file, so the appendix may be written to a separate file instead,
//! `NAME.appendix.EXT` beside the report `NAME.EXT`, in the report's
//! format, *before* the report: its SHA-256, size and row count
//! ([`AppendixInfo`]) are then part of the report ([`Report::set_appendix`]),
//! and a signature of the report covers the appendix through that digest.
//!
//! A renderer supplies the writer of its appendix ([`write_json`],
//! [`super::markdown::write_appendix`], [`super::html::write_appendix`]);
//! [`write_separate`] writes it atomically and measures what was written.
//! Memory stays bounded: the rows are read from the manifests as they are
//! written ([`super::FileList::rows`]).
//!
//! `auto` (the default) writes the appendix separately when it has more
//! than [`AUTO_SEPARATE_ROWS`] rows (docs/spec/report-json.md, "The
//! appendix"), and always inline when the report goes to standard output.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::{ExhibitSection, FileList, Report, INLINE_FILES};

/// Above this many rows the appendix is written separately under
/// [`AppendixMode::Auto`]. Printed from the HTML report on A4, a page of
/// the appendix holds 12 to 37 rows (long paths and the default three
/// digests, to short paths and one digest), so 500 rows are 14 to 42
/// pages: past 20 pages in every layout but the most compact. Counted in
/// rows, the decision is the same in every format (the measurement is in
/// docs/spec/report-json.md, "The appendix").
pub const AUTO_SEPARATE_ROWS: u64 = 500;

/// `report --appendix`: where the complete file lists go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppendixMode {
    /// In the report (JSON: every file in `file_list`).
    Inline,
    /// In a separate file beside the report, named in the report by its
    /// SHA-256 (needs a report written to a file).
    Separate,
    /// Separate when the appendix has more than [`AUTO_SEPARATE_ROWS`]
    /// rows and the report is written to a file, else inline.
    #[default]
    Auto,
}

/// Where the appendix of one report goes, as decided by
/// [`AppendixMode::resolve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Inline,
    Separate,
}

/// Why the appendix cannot be placed or written.
#[derive(Debug, thiserror::Error)]
pub enum AppendixError {
    /// `separate` for a report written to standard output: there is no
    /// file beside which to write it.
    #[error("the appendix cannot be written to a separate file when the report goes to standard output: write the report to a file (-o FILE; the appendix is then FILE's name with .appendix before its extension) or keep the appendix in the report (--appendix inline)")]
    NoReportFile,
    #[error("cannot write the appendix: {0}")]
    Write(#[from] crate::fsutil::WriteError),
}

impl AppendixMode {
    /// Refuses [`AppendixMode::Separate`] for a report written to standard
    /// output (`to_file` false); to be called before any work is done.
    pub fn check(self, to_file: bool) -> Result<(), AppendixError> {
        match (self, to_file) {
            (AppendixMode::Separate, false) => Err(AppendixError::NoReportFile),
            _ => Ok(()),
        }
    }

    /// Where the appendix of `report` goes when the report is written to
    /// a file (`to_file`) or to standard output.
    pub fn resolve(self, report: &Report, to_file: bool) -> Result<Placement, AppendixError> {
        self.check(to_file)?;
        match (self, to_file) {
            (AppendixMode::Inline, _) => Ok(Placement::Inline),
            (AppendixMode::Separate, true) => Ok(Placement::Separate),
            (AppendixMode::Separate, false) => Err(AppendixError::NoReportFile),
            (AppendixMode::Auto, false) => Ok(Placement::Inline),
            (AppendixMode::Auto, true) if rows(report) > AUTO_SEPARATE_ROWS => {
                Ok(Placement::Separate)
            }
            (AppendixMode::Auto, true) => Ok(Placement::Inline),
        }
    }
}

/// The exhibits whose complete file lists form the appendix: those with
/// more rows than the exhibit tables show ([`INLINE_FILES`]), in report
/// order. The same in every format.
pub fn exhibits(report: &Report) -> impl Iterator<Item = &ExhibitSection> {
    report
        .exhibits
        .iter()
        .filter(|x| x.file_list.len() > INLINE_FILES)
}

/// The number of rows of the appendix: the files of [`exhibits`].
pub fn rows(report: &Report) -> u64 {
    exhibits(report).map(|x| x.file_list.len() as u64).sum()
}

/// The separate appendix of the report written to `report_path`: its file
/// name without the extension, `.appendix`, and the extension
/// (`default_ext` when it has none), in the same folder:
/// `out/report.html` → `out/report.appendix.html`.
pub fn path_for(report_path: &Path, default_ext: &str) -> PathBuf {
    let mut name = report_path.file_stem().unwrap_or_default().to_os_string();
    name.push(".appendix.");
    match report_path.extension() {
        Some(ext) => name.push(ext),
        None => name.push(default_ext),
    }
    report_path.with_file_name(name)
}

/// The separate appendix as the report names it (the report's `appendix`
/// member): enough to find the file and to check it is the one written
/// with the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppendixInfo {
    /// Its file name, in the report's folder.
    pub file: String,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    pub bytes: u64,
    /// File rows in it: the sum of `exhibits[].rows`.
    pub rows: u64,
    /// The exhibits it lists, in report order.
    pub exhibits: Vec<AppendixExhibit>,
}

/// One exhibit of the separate appendix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppendixExhibit {
    pub id: String,
    pub rows: u64,
}

impl AppendixInfo {
    /// What every rendering says about the separate file, in sentences
    /// (unescaped): where the lists are, the digest, and that a signature
    /// of the report covers the file through it.
    pub fn sentences(&self) -> String {
        let each: Vec<String> = self
            .exhibits
            .iter()
            .map(|x| format!("exhibit {}: {} rows", x.id, x.rows))
            .collect();
        let each = if each.is_empty() {
            "no exhibit has more files than its table shows".to_string()
        } else {
            each.join("; ")
        };
        format!(
            "The complete file lists of the exhibits with more than {INLINE_FILES} files are in the separate file {}, written with this report in the same folder: SHA-256 {}, {} bytes, {} rows ({each}). This report states the file's SHA-256, so a signature of this report covers the file too: a file whose SHA-256 (sha256sum {}) differs is not the one written with this report.",
            self.file, self.sha256, self.bytes, self.rows, self.file
        )
    }
}

impl Report {
    /// Records that the appendix was written separately as `info`
    /// ([`write_separate`]): the report then names it, and the JSON
    /// `file_list` of each exhibit in it becomes a reference to it.
    pub fn set_appendix(&mut self, info: AppendixInfo) {
        for x in &mut self.exhibits {
            if info.exhibits.iter().any(|a| a.id == x.id.as_str()) {
                x.file_list.set_appendix(&info.file);
            }
        }
        self.appendix = Some(info);
    }

    /// The report as it reads with its file lists inline (no separate
    /// appendix): what `--appendix inline` renders. Cheap: the rows stay
    /// in the manifests.
    pub fn inline_form(&self) -> Report {
        let mut r = self.clone();
        r.appendix = None;
        for x in &mut r.exhibits {
            x.file_list = x.file_list.inline();
        }
        r
    }
}

/// Writes the appendix of `report` to `path`, atomically (a temporary
/// file, fsynced, renamed), with `write` (the renderer's appendix
/// writer), and returns what the report says about it. Memory does not
/// grow with the rows: `write` streams them, and they are hashed and
/// counted on the way.
pub fn write_separate(
    report: &Report,
    path: &Path,
    write: impl FnOnce(&Report, &mut dyn Write) -> io::Result<()>,
) -> Result<AppendixInfo, AppendixError> {
    use crate::fault::Point;
    let mut measured = None;
    crate::fsutil::write_atomic_with(path, (Point::ReportWrite, Point::ReportFsync), |w| {
        let mut w = Measuring::new(w);
        write(report, &mut w)?;
        w.flush()?;
        measured = Some(w.finish());
        Ok(())
    })?;
    let (sha256, bytes) = measured.unwrap_or_default();
    Ok(AppendixInfo {
        file: path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
        sha256,
        bytes,
        rows: rows(report),
        exhibits: exhibits(report)
            .map(|x| AppendixExhibit {
                id: x.id.to_string(),
                rows: x.file_list.len() as u64,
            })
            .collect(),
    })
}

/// A writer that passes everything on and takes the SHA-256 and the
/// length of what was accepted.
pub(crate) struct Measuring<'w> {
    inner: &'w mut dyn Write,
    sha256: Sha256,
    bytes: u64,
}

impl<'w> Measuring<'w> {
    pub(crate) fn new(inner: &'w mut dyn Write) -> Self {
        Measuring {
            inner,
            sha256: Sha256::new(),
            bytes: 0,
        }
    }

    /// The SHA-256 (lower-case hex) and the number of bytes accepted.
    pub(crate) fn finish(self) -> (String, u64) {
        (hex::encode(self.sha256.finalize()), self.bytes)
    }
}

impl Write for Measuring<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha256.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The JSON appendix: `version` (the report model's), `case_id`,
/// `generated_at` (the report's), and `exhibits`, each with `id`,
/// `manifest_sha256`, `rows` and `files` (every row, as `file_list` in an
/// inline report).
#[derive(Serialize)]
struct JsonAppendix<'r> {
    version: u32,
    case_id: &'r str,
    generated_at: &'r str,
    exhibits: Vec<JsonExhibit<'r>>,
}

#[derive(Serialize)]
struct JsonExhibit<'r> {
    id: &'r str,
    manifest_sha256: &'r str,
    rows: usize,
    files: AllRows<'r>,
}

/// Every row of a file list, whether or not it was moved to the appendix.
struct AllRows<'r>(&'r FileList);

impl Serialize for AllRows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_rows(s)
    }
}

/// Writes the appendix of `report` as JSON (pretty-printed, then a line
/// feed, like the report); the rows are read from the manifests while
/// they are written.
pub fn write_json(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let doc = JsonAppendix {
        version: report.version,
        case_id: &report.case.case_id,
        generated_at: &report.generated_at,
        exhibits: exhibits(report)
            .map(|x| JsonExhibit {
                id: &x.id,
                manifest_sha256: &x.manifest_sha256,
                rows: x.file_list.len(),
                files: AllRows(&x.file_list),
            })
            .collect(),
    };
    let mut w = io::BufWriter::with_capacity(64 * 1024, w);
    serde_json::to_writer_pretty(&mut w, &doc)?;
    w.write_all(b"\n")?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_appendix_is_named_after_the_report() {
        assert_eq!(
            path_for(Path::new("out/report.html"), "html"),
            Path::new("out/report.appendix.html")
        );
        assert_eq!(
            path_for(Path::new("report"), "md"),
            Path::new("report.appendix.md")
        );
        assert_eq!(
            path_for(Path::new("/a/case.0042.json"), "json"),
            Path::new("/a/case.0042.appendix.json")
        );
    }

    #[test]
    fn the_measuring_writer_hashes_and_counts_what_it_passes_on() {
        let mut out = Vec::new();
        let mut w = Measuring::new(&mut out);
        w.write_all(b"ab").unwrap();
        w.write_all(b"c").unwrap();
        let (sha, n) = (hex::encode(w.sha256.clone().finalize()), w.bytes);
        assert_eq!(n, 3);
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(out, b"abc");
    }
}
