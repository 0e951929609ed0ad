//! An exhibit's file list, streamed from its manifest.
//!
//! A report lists every regular file of every exhibit (JSON in full; HTML
//! and Markdown the first [`INLINE_FILES`] inline and the rest in the
//! appendix, which may be a separate file: [`super::appendix`]). Held as
//! rows, an exhibit of 1,000,000 files cost about 1.7 KB of memory per
//! file. So the model keeps, per exhibit, where its rows come
//! from (the manifest and the hash-set marks) plus what a renderer needs
//! before it reaches them (how many rows, the first [`INLINE_FILES`]),
//! read by a first pass; each renderer then reads the manifest again and
//! writes the rows as they come ([`FileList::rows`]). Memory no longer
//! grows with the number of files (docs/engineering/performance.md,
//! "Reports").
//!
//! The manifest was checked against its signed SHA-256 by the
//! verification before the report is built. If it changes between two
//! passes, the second pass does not give what the first counted: that is
//! an error ([`FileRows::finish`]), never a report whose counts disagree
//! with its rows.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::ser::{Error as _, SerializeSeq};
use serde::{Serialize, Serializer};

use super::{FileRow, INLINE_FILES};
use crate::hashing::{FileKind, ManifestReader, Record};

/// Which files hash sets named, from the recorded `exhibit.hashset-match`
/// entries (already in memory with the ledger's state).
#[derive(Debug, Clone, Default)]
pub(crate) struct FileMarks {
    /// Paths found in a known-good set.
    good: HashSet<String>,
    /// Paths found in known-bad or notable sets, with those sets as
    /// `NAME (KIND)`.
    hits: HashMap<String, BTreeSet<String>>,
}

impl FileMarks {
    /// The marks of the recorded hash-set `runs` of one exhibit.
    pub(crate) fn of(runs: &[(u64, crate::ledger::HashsetMatch)]) -> Self {
        let mut marks = FileMarks::default();
        for (_, m) in runs {
            marks.good.extend(m.known_good_paths.iter().cloned());
            for h in &m.matches {
                marks
                    .hits
                    .entry(h.path.clone())
                    .or_default()
                    .insert(format!("{} ({})", h.set, h.kind));
            }
        }
        marks
    }
}

/// Every regular file of an exhibit's manifest as the report lists it
/// (path, size, digests, hash-set marks; known-good files left out with
/// `--hide-known-good`), without holding the rows: see the module
/// documentation. Serialises as the JSON array of [`FileRow`]s.
#[derive(Debug, Clone)]
pub struct FileList {
    manifest: PathBuf,
    marks: FileMarks,
    hide_known_good: bool,
    /// Rows listed (after hiding).
    len: usize,
    /// The first [`INLINE_FILES`] of them.
    first: Vec<FileRow>,
    /// The file name of the separate appendix holding the rows, once
    /// written there ([`FileList::set_appendix`]).
    appendix: Option<String>,
}

impl FileList {
    /// Reads the manifest at `manifest` once: counts the rows listed and
    /// keeps the first [`INLINE_FILES`]; also returns how many regular
    /// files are known-good (hidden or not). A manifest that cannot be read
    /// gives no rows: its problem is already in the verification.
    pub(crate) fn read(manifest: PathBuf, marks: FileMarks, hide_known_good: bool) -> (Self, u64) {
        let mut list = FileList {
            manifest,
            marks,
            hide_known_good,
            len: 0,
            first: Vec::new(),
            appendix: None,
        };
        let mut known_good = 0;
        if let Some((records, roots)) = files(&list.manifest) {
            // Only the first rows are made: the rest are only counted.
            for r in records {
                let good = list.marks.good.contains(shown_path(&r, &roots));
                known_good += u64::from(good);
                if good && hide_known_good {
                    continue;
                }
                list.len += 1;
                if list.first.len() < INLINE_FILES {
                    list.first.push(row(r, &roots, &list.marks));
                }
            }
        }
        (list, known_good)
    }

    /// How many rows are listed.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first rows (at most [`INLINE_FILES`]), shown inline.
    pub fn first(&self) -> &[FileRow] {
        &self.first
    }

    /// The separate appendix the rows were written to, if they were.
    pub fn in_appendix(&self) -> Option<&str> {
        self.appendix.as_deref()
    }

    /// Records that the rows were written to the separate appendix `file`:
    /// the JSON `file_list` is then a reference to it.
    pub(crate) fn set_appendix(&mut self, file: &str) {
        self.appendix = Some(file.to_string());
    }

    /// The same list, its rows listed in the report itself.
    pub(crate) fn inline(&self) -> FileList {
        FileList {
            appendix: None,
            ..self.clone()
        }
    }

    /// The manifest the rows are read from.
    pub fn manifest(&self) -> &Path {
        &self.manifest
    }

    /// Every row, read from the manifest again, in manifest order. Call
    /// [`FileRows::finish`] after the last: it fails if the manifest no
    /// longer gives what `FileList::read` counted.
    pub fn rows(&self) -> FileRows<'_> {
        FileRows {
            list: self,
            rows: marked_rows(&self.manifest, &self.marks).map(|r| Box::new(r) as Box<_>),
            given: 0,
            more: false,
        }
    }
}

/// The rows of a [`FileList`], read from its manifest one at a time.
pub struct FileRows<'a> {
    list: &'a FileList,
    rows: Option<Box<dyn Iterator<Item = FileRow> + 'a>>,
    given: usize,
    /// The manifest gave more rows than were counted.
    more: bool,
}

impl Iterator for FileRows<'_> {
    type Item = FileRow;

    fn next(&mut self) -> Option<FileRow> {
        let hide = self.list.hide_known_good;
        let row = self.rows.as_mut()?.find(|r| !(hide && r.known_good))?;
        if self.given == self.list.len {
            self.more = true;
            return None;
        }
        self.given += 1;
        Some(row)
    }
}

impl FileRows<'_> {
    /// Whether the rows given are exactly those counted by the first
    /// pass; call after the last row.
    pub fn finish(mut self) -> Result<(), ManifestChanged> {
        // Past the count, `next` only notes whether the manifest has more.
        let _ = self.next();
        if !self.more && self.given == self.list.len {
            return Ok(());
        }
        Err(ManifestChanged {
            path: self.list.manifest.clone(),
            counted: self.list.len,
        })
    }
}

/// A manifest gave other rows on a second reading than on the first.
#[derive(Debug, thiserror::Error)]
#[error("manifest {} changed while the report was written: it listed {counted} file(s) when first read and not the same on reading it again", path.display())]
pub struct ManifestChanged {
    pub path: PathBuf,
    pub counted: usize,
}

impl From<ManifestChanged> for std::io::Error {
    fn from(e: ManifestChanged) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }
}

/// `file_list` of an exhibit whose rows are in the separate appendix.
#[derive(Serialize)]
struct AppendixRef<'a> {
    appendix: &'a str,
    rows: usize,
}

impl Serialize for FileList {
    /// Every row as an array; or, once the rows are in the separate
    /// appendix, `{"appendix": FILE, "rows": N}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(file) = &self.appendix {
            return AppendixRef {
                appendix: file,
                rows: self.len,
            }
            .serialize(s);
        }
        self.serialize_rows(s)
    }
}

impl FileList {
    /// Every row as an array, read from the manifest while it is written
    /// (also once the rows are in the separate appendix: the appendix
    /// writes them so).
    pub(crate) fn serialize_rows<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len))?;
        let mut rows = self.rows();
        for row in &mut rows {
            seq.serialize_element(&row)?;
        }
        rows.finish().map_err(S::Error::custom)?;
        seq.end()
    }
}

/// Every regular file of the manifest at `path` as a row, marked by the
/// hash sets (none hidden); `None` when the manifest cannot be opened.
fn marked_rows<'a>(
    path: &Path,
    marks: &'a FileMarks,
) -> Option<impl Iterator<Item = FileRow> + 'a> {
    let (records, roots) = files(path)?;
    Some(records.map(move |r| row(r, &roots, marks)))
}

/// The records of the regular files of the manifest at `path`, and its
/// roots as given; `None` when it cannot be opened. Records that do not
/// parse are skipped: the verification reported them.
fn files(path: &Path) -> Option<(impl Iterator<Item = Record>, Vec<String>)> {
    let reader = ManifestReader::open(path).ok()?;
    let roots: Vec<String> = reader
        .header()
        .roots
        .iter()
        .map(|r| r.path.clone())
        .collect();
    Some((reader.flatten().filter(|r| r.kind == FileKind::File), roots))
}

/// The path a record is shown by: a root that is one file is recorded as
/// "."; it is shown by its root.
fn shown_path<'r>(r: &'r Record, roots: &'r [String]) -> &'r str {
    match (r.path.as_str(), roots.get(r.root as usize)) {
        (".", Some(root)) => root,
        (p, _) => p,
    }
}

/// One manifest record as a row, with its marks.
fn row(r: Record, roots: &[String], marks: &FileMarks) -> FileRow {
    let path = shown_path(&r, roots).to_string();
    FileRow {
        known_good: marks.good.contains(&path),
        hashsets: marks
            .hits
            .get(&path)
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default(),
        size: r.size,
        digests: r
            .digests
            .iter()
            .map(|(a, h)| (a.name().to_string(), h.to_string()))
            .collect(),
        error: r.error,
        path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::{header, Algorithm, AlgorithmSet};

    /// A manifest of `n` regular files (and a folder) at `path`.
    fn manifest(path: &Path, n: usize) {
        let algos = AlgorithmSet::single(Algorithm::Sha256);
        let mut text =
            serde_json::to_string(&header(&[PathBuf::from("root")], &algos, false)).unwrap() + "\n";
        let dir = Record::new(0, b"d", FileKind::Dir);
        text += &(serde_json::to_string(&dir).unwrap() + "\n");
        for i in 0..n {
            let mut r = Record::new(0, format!("d/f{i:03}").as_bytes(), FileKind::File);
            r.size = Some(i as u64);
            text += &(serde_json::to_string(&r).unwrap() + "\n");
        }
        std::fs::write(path, text).unwrap();
    }

    fn read(path: &Path, hide: bool) -> (FileList, u64) {
        let mut marks = FileMarks::default();
        marks.good.insert("d/f001".into());
        marks
            .hits
            .entry("d/f002".into())
            .or_default()
            .insert("bad (known-bad)".into());
        FileList::read(path.to_path_buf(), marks, hide)
    }

    #[test]
    fn the_first_pass_counts_and_keeps_the_inline_rows_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        manifest(&path, INLINE_FILES + 10);
        let (list, good) = read(&path, false);
        assert_eq!((list.len(), good), (INLINE_FILES + 10, 1));
        assert_eq!(list.first().len(), INLINE_FILES);
        assert!(list.first()[1].known_good);
        assert_eq!(list.first()[2].hashsets, vec!["bad (known-bad)"]);
        let mut rows = list.rows();
        let all: Vec<FileRow> = rows.by_ref().collect();
        rows.finish().unwrap();
        assert_eq!(all.len(), INLINE_FILES + 10);
        assert_eq!(
            all[INLINE_FILES + 9].path,
            format!("d/f{:03}", INLINE_FILES + 9)
        );
    }

    #[test]
    fn hidden_known_good_files_are_counted_but_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        manifest(&path, 5);
        let (list, good) = read(&path, true);
        assert_eq!((list.len(), good), (4, 1));
        let mut rows = list.rows();
        assert!(rows.by_ref().all(|r| r.path != "d/f001"));
        rows.finish().unwrap();
        let json = serde_json::to_value(&list).unwrap();
        assert_eq!(json.as_array().unwrap().len(), 4);
    }

    #[test]
    fn a_manifest_that_changes_between_the_passes_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        for (before, after) in [(30, 31), (30, 29), (3, 0)] {
            manifest(&path, before);
            let (list, _) = read(&path, false);
            manifest(&path, after);
            let mut rows = list.rows();
            assert_eq!(rows.by_ref().count(), after.min(before));
            let e = rows.finish().unwrap_err();
            assert!(e.to_string().contains("m.jsonl changed"), "{e}");
            assert!(serde_json::to_string(&list).is_err());
        }
        // Gone: no rows the second time either.
        manifest(&path, 2);
        let (list, _) = read(&path, false);
        std::fs::remove_file(&path).unwrap();
        assert!(list.rows().finish().is_err());
    }

    #[test]
    fn an_unreadable_manifest_lists_nothing() {
        let (list, good) = read(Path::new("/nonexistent/m.jsonl"), false);
        assert_eq!((list.len(), good), (0, 0));
        assert_eq!(serde_json::to_string(&list).unwrap(), "[]");
        list.rows().finish().unwrap();
    }
}
