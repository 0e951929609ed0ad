//! Reading hash sets from the formats labs receive them in, and writing
//! them into a store atomically.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::Path;

use super::extsort::{sort_dedup, DataWriter, Runs, RUN_BYTES};
use super::{
    io_err, sync_dir, validate_name, write_synced, DataFile, Kind, ParseError, SetMeta, Source,
    SourceFormat, Store, StoreError, META_FILE, STORE_FORMAT_VERSION,
};
use crate::hashing::Algorithm;
use crate::hashlist::{HashList, ListFormat};

/// The CSV column holding the digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// A header name, matched case-insensitively (the first row is a header).
    Name(String),
    /// A 1-based column number (the first row is a header if that column
    /// does not hold a digest).
    Index(usize),
}

impl std::str::FromStr for Column {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Column, ParseError> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            match s.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(Column::Index(n)),
                _ => Err(ParseError::ColumnNumber {
                    given: s.to_string(),
                }),
            }
        } else if s.trim().is_empty() {
            Err(ParseError::EmptyColumn)
        } else {
            Ok(Column::Name(s.to_string()))
        }
    }
}

/// How to import a set.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub name: String,
    pub kind: Kind,
    /// The source format; detected from the content when absent (NSRL by
    /// the SQLite header, CSV only when a column is given).
    pub format: Option<SourceFormat>,
    /// The algorithm of digests whose length is ambiguous (64 hex digits:
    /// sha256, sha3-256 or blake3; sha256 when not given), or of a CSV
    /// column whose header does not name one.
    pub algorithm: Option<Algorithm>,
    /// For CSV: the column holding the digests.
    pub column: Option<Column>,
    /// The set's release (NSRL's `VERSION` table is read when not given).
    pub version: Option<String>,
    /// Replace a set of the same name.
    pub replace: bool,
}

/// Why a digest read from a source is refused: its length is not that of
/// its algorithm, or it is not hexadecimal. The caller adds the file and
/// line (or row and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestTextError {
    #[error("{text:?} is {} hex digits, a {algorithm} digest has {}", .text.len(), .algorithm.hex_len())]
    Length { text: String, algorithm: Algorithm },
    #[error("{text:?} is not a hex digest")]
    NotHex { text: String },
    /// The length does not match the algorithm the user named.
    #[error("a {len}-digit digest, but the list was declared {assumed} and {assumed} digests have {}", .assumed.hex_len())]
    NotAssumed { len: usize, assumed: Algorithm },
    #[error(
        "a {len}-digit digest matches no known algorithm (32 md5, 40 sha1, 64 sha256, 128 sha512)"
    )]
    UnknownLength { len: usize },
}

/// Digests read so far, per algorithm, as raw bytes end to end.
#[derive(Default)]
struct Columns {
    map: BTreeMap<Algorithm, Vec<u8>>,
    read: u64,
    /// For an import: where sorted runs go once `map` holds the budget
    /// (bytes, all algorithms). [`read_source`] keeps everything in memory.
    spill: Option<(Runs, usize)>,
}

impl Columns {
    /// Digests that go to sorted runs in `runs` whenever `budget` bytes are
    /// held.
    fn spilling(runs: Runs, budget: usize) -> Columns {
        Columns {
            spill: Some((runs, budget)),
            ..Columns::default()
        }
    }

    /// Writes what is held out as sorted runs if it reached the budget.
    /// Called after each digest by every reader.
    fn spill_if_full(&mut self) -> Result<(), StoreError> {
        let Some((runs, budget)) = &mut self.spill else {
            return Ok(());
        };
        if self.map.values().map(Vec::len).sum::<usize>() < *budget {
            return Ok(());
        }
        for (a, data) in self.map.iter_mut() {
            runs.write_run(*a, data)?;
        }
        Ok(())
    }

    fn push_hex(&mut self, a: Algorithm, hex: &str) -> Result<(), DigestTextError> {
        let h = hex.trim();
        if h.len() != a.hex_len() {
            return Err(DigestTextError::Length {
                text: h.to_string(),
                algorithm: a,
            });
        }
        let col = self.map.entry(a).or_default();
        let start = col.len();
        col.resize(start + h.len() / 2, 0);
        if hex::decode_to_slice(h, &mut col[start..]).is_err() {
            col.truncate(start);
            return Err(DigestTextError::NotHex {
                text: h.to_string(),
            });
        }
        self.read += 1;
        Ok(())
    }
}

/// The algorithm of a bare digest of `len` hex digits.
fn algorithm_for_len(len: usize, assume: Option<Algorithm>) -> Result<Algorithm, DigestTextError> {
    if let Some(a) = assume {
        return if a.hex_len() == len {
            Ok(a)
        } else {
            Err(DigestTextError::NotAssumed { len, assumed: a })
        };
    }
    match len {
        32 => Ok(Algorithm::Md5),
        40 => Ok(Algorithm::Sha1),
        64 => Ok(Algorithm::Sha256),
        128 => Ok(Algorithm::Sha512),
        len => Err(DigestTextError::UnknownLength { len }),
    }
}

fn is_digest(s: &str) -> bool {
    let s = s.trim();
    matches!(s.len(), 32 | 40 | 64 | 128) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Detects the format from the first bytes and the first meaningful line.
fn detect(path: &Path, opts: &ImportOptions) -> Result<Option<SourceFormat>, StoreError> {
    if let Some(f) = opts.format {
        return Ok(Some(f));
    }
    if opts.column.is_some() {
        return Ok(Some(SourceFormat::Csv));
    }
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut head = vec![0u8; 64 * 1024];
    let mut n = 0;
    while n < head.len() {
        let k = f.read(&mut head[n..]).map_err(io_err(path))?;
        if k == 0 {
            break;
        }
        n += k;
    }
    head.truncate(n);
    if head.starts_with(SQLITE_MAGIC) {
        return Ok(Some(SourceFormat::NsrlRds3));
    }
    let first = head
        .split(|b| *b == b'\n')
        .map(|l| String::from_utf8_lossy(l).trim().to_string())
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    Ok(match first {
        Some(l) if is_digest(&l) => Some(SourceFormat::Plain),
        // Left to the hash-list reader (sum, BSD, hashdeep, DFXML).
        _ => None,
    })
}

pub(super) fn import(
    store: &Store,
    source: &Path,
    opts: &ImportOptions,
) -> Result<SetMeta, StoreError> {
    import_within(store, source, opts, RUN_BYTES)
}

/// [`import`], holding at most about `budget` bytes of digests in memory
/// (the rest go through sorted runs on disk).
fn import_within(
    store: &Store,
    source: &Path,
    opts: &ImportOptions,
    budget: usize,
) -> Result<SetMeta, StoreError> {
    validate_name(&opts.name)?;
    let target = store.dir.join(&opts.name);
    if target.exists() && !opts.replace {
        return Err(StoreError::Exists {
            dir: store.dir.clone(),
            name: opts.name.clone(),
        });
    }
    if opts.column.is_some() && opts.format.is_some_and(|f| f != SourceFormat::Csv) {
        return Err(StoreError::ColumnWithoutCsv);
    }
    let (source_sha256, bytes) = crate::case::sha256_user_file(source).map_err(io_err(source))?;
    // Sorted runs go next to the set being written; the folder is removed
    // when `cols` is dropped, whatever happens.
    let runs = Runs::new(
        store
            .dir
            .join(format!(".sort-{}-{}", opts.name, std::process::id())),
    );
    let mut cols = Columns::spilling(runs, budget);
    let (format, version) = read_into(source, opts, &mut cols)?;
    let digests_read = cols.read;
    let meta_source = Source {
        file_name: source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: source_sha256,
        bytes,
        format,
        digests_read,
    };
    write_set(store, opts, version, meta_source, cols)
}

/// The digests of one source file, as read, before sorting.
#[derive(Debug)]
pub struct SourceDigests {
    /// The format the file was read as.
    pub format: SourceFormat,
    /// Digests per algorithm, raw bytes end to end, in file order.
    pub digests: BTreeMap<Algorithm, Vec<u8>>,
    /// How many digests were read (repeats included).
    pub read: u64,
    /// The release: `opts.version`, else NSRL's `VERSION` table.
    pub version: Option<String>,
}

/// Reads the digests of `source` as `import` does (format detection,
/// plain list, CSV column, NSRL, hash lists) without touching a store.
/// Fails, naming the file and line, on anything `import` refuses,
/// including a file with no digest.
pub fn read_source(source: &Path, opts: &ImportOptions) -> Result<SourceDigests, StoreError> {
    let mut cols = Columns::default();
    let (format, version) = read_into(source, opts, &mut cols)?;
    Ok(SourceDigests {
        format,
        digests: cols.map,
        read: cols.read,
        version,
    })
}

/// Reads the digests of `source` into `cols` (see [`read_source`]);
/// returns the format read and the release.
fn read_into(
    source: &Path,
    opts: &ImportOptions,
    cols: &mut Columns,
) -> Result<(SourceFormat, Option<String>), StoreError> {
    let mut version = opts.version.clone();
    let format = match detect(source, opts)? {
        Some(SourceFormat::Plain) => {
            read_plain(source, opts.algorithm, cols)?;
            SourceFormat::Plain
        }
        Some(SourceFormat::Csv) => {
            let column = opts.column.clone().ok_or(StoreError::CsvNeedsColumn)?;
            read_csv(source, &column, opts.algorithm, cols)?;
            SourceFormat::Csv
        }
        Some(SourceFormat::NsrlRds3) => {
            let v = read_nsrl(source, cols)?;
            if version.is_none() {
                version = v;
            }
            SourceFormat::NsrlRds3
        }
        wanted => {
            let list_format = read_list(source, opts.algorithm, cols)?;
            let found = match list_format {
                ListFormat::Sum | ListFormat::BsdTag => SourceFormat::Sum,
                ListFormat::Hashdeep => SourceFormat::Hashdeep,
                ListFormat::Dfxml => SourceFormat::Dfxml,
                ListFormat::Manifest => {
                    return Err(StoreError::Invalid {
                        path: source.to_path_buf(),
                        message: "a custodian manifest is not a hash-set format; export it with `custodian hash --format sha256sum` first".into(),
                    })
                }
            };
            if let Some(w) = wanted {
                if w != found {
                    return Err(StoreError::Invalid {
                        path: source.to_path_buf(),
                        message: format!(
                            "--format {} was given, but the file reads as {}",
                            w.as_str(),
                            list_format.name()
                        ),
                    });
                }
            }
            found
        }
    };
    if cols.read == 0 {
        return Err(StoreError::Invalid {
            path: source.to_path_buf(),
            message: "holds no digest; nothing was imported".into(),
        });
    }
    Ok((format, version))
}

/// A hash list in one of the formats the `diff` reader knows (sum, BSD,
/// hashdeep, DFXML; a manifest is read only to be refused by the caller):
/// its digests into `cols`. Line formats are streamed, a line at a time,
/// so a 100-million-line `sha256sum` file is never held; the others are
/// read whole, as `diff` reads them.
fn read_list(
    source: &Path,
    assume: Option<Algorithm>,
    cols: &mut Columns,
) -> Result<ListFormat, StoreError> {
    let invalid = |e: DigestTextError| StoreError::Invalid {
        path: source.to_path_buf(),
        message: e.to_string(),
    };
    let streamed = crate::hashlist::stream_line_list(source, assume, &mut |f| {
        for (a, hex) in f.digests.iter() {
            cols.push_hex(a, hex).map_err(invalid)?;
        }
        cols.spill_if_full()
    })?;
    if let Some(format) = streamed {
        return Ok(format);
    }
    let list = HashList::load(source, assume)?;
    if list.format == ListFormat::Manifest {
        return Ok(list.format);
    }
    for f in &list.files {
        for (a, hex) in f.digests.iter() {
            cols.push_hex(a, hex).map_err(invalid)?;
        }
        cols.spill_if_full()?;
    }
    Ok(list.format)
}

fn write_set(
    store: &Store,
    opts: &ImportOptions,
    version: Option<String>,
    source: Source,
    cols: Columns,
) -> Result<SetMeta, StoreError> {
    let tmp = store
        .dir
        .join(format!(".import-{}-{}", opts.name, std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    std::fs::create_dir(&tmp).map_err(io_err(&tmp))?;
    let result = (|| {
        let algorithms = write_data_files(&tmp, cols)?;
        let meta = SetMeta {
            format_version: STORE_FORMAT_VERSION,
            name: opts.name.clone(),
            kind: opts.kind,
            version,
            source,
            imported: crate::time::format(crate::time::now()),
            algorithms,
        };
        let mut json = serde_json::to_vec_pretty(&meta).expect("set metadata serialises");
        json.push(b'\n');
        write_synced(&tmp.join(META_FILE), &json)?;
        sync_dir(&tmp)?;
        let target = store.dir.join(&opts.name);
        let old = store
            .dir
            .join(format!(".replaced-{}-{}", opts.name, std::process::id()));
        let replacing = target.exists();
        if replacing {
            if !opts.replace {
                return Err(StoreError::Exists {
                    dir: store.dir.clone(),
                    name: opts.name.clone(),
                });
            }
            std::fs::rename(&target, &old).map_err(io_err(&target))?;
        }
        std::fs::rename(&tmp, &target).map_err(io_err(&target))?;
        sync_dir(&store.dir)?;
        if replacing {
            std::fs::remove_dir_all(&old).map_err(io_err(&old))?;
        }
        Ok(meta)
    })();
    if result.is_err() && tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Writes one sorted, de-duplicated data file per algorithm into `dir`:
/// merged from the sorted runs where the digests did not fit in memory,
/// else sorted in memory. Either way the bytes are the same.
fn write_data_files(
    dir: &Path,
    mut cols: Columns,
) -> Result<BTreeMap<String, DataFile>, StoreError> {
    // The last digests of a spilled algorithm become its last run, and
    // their memory is freed before any merge starts.
    if let Some((runs, _)) = &mut cols.spill {
        for (a, data) in cols.map.iter_mut() {
            if runs.has_runs(*a) {
                runs.write_run(*a, data)?;
                *data = Vec::new();
            }
        }
    }
    let mut algorithms = BTreeMap::new();
    for (a, data) in cols.map.iter_mut() {
        let file = format!("{}.bin", a.name());
        let path = dir.join(&file);
        let width = (a.hex_len() / 2) as u32;
        let (count, sha256) = match &cols.spill {
            Some((runs, _)) if runs.has_runs(*a) => runs.merge_into(*a, &path)?,
            _ => {
                sort_dedup(*a, data);
                let mut w = DataWriter::create(&path)?;
                w.write(data)?;
                let (bytes, sha256) = w.finish()?;
                (bytes / width as u64, sha256)
            }
        };
        algorithms.insert(
            a.name().to_string(),
            DataFile {
                file,
                width,
                count,
                sha256,
            },
        );
    }
    Ok(algorithms)
}

/// One hex digest a line; blank lines and `#` comments are skipped.
fn read_plain(
    path: &Path,
    assume: Option<Algorithm>,
    cols: &mut Columns,
) -> Result<(), StoreError> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, f);
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io_err(path))? == 0 {
            return Ok(());
        }
        n += 1;
        let err = |message: String| StoreError::Parse {
            path: path.to_path_buf(),
            line: n,
            message,
        };
        let text = std::str::from_utf8(&line)
            .map_err(|_| err("not UTF-8 text".into()))?
            .trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err(format!(
                "{:?} is not a hex digest (a plain list holds one digest a line)",
                clip(text)
            )));
        }
        let a = algorithm_for_len(text.len(), assume).map_err(|e| err(e.to_string()))?;
        cols.push_hex(a, text).map_err(|e| err(e.to_string()))?;
        cols.spill_if_full()?;
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The digests of one CSV column.
fn read_csv(
    path: &Path,
    column: &Column,
    assume: Option<Algorithm>,
    cols: &mut Columns,
) -> Result<(), StoreError> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, f));
    let mut index: Option<usize> = match column {
        Column::Index(n) => Some(n - 1),
        Column::Name(_) => None,
    };
    let mut algo = assume;
    let mut record = csv::ByteRecord::new();
    let mut first = true;
    loop {
        let more = rdr.read_byte_record(&mut record).map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            StoreError::Parse {
                path: path.to_path_buf(),
                line,
                message: format!("not valid CSV: {e}"),
            }
        })?;
        if !more {
            return Ok(());
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let err = |message: String| StoreError::Parse {
            path: path.to_path_buf(),
            line,
            message,
        };
        let field = |i: usize| -> Result<String, StoreError> {
            let raw = record.get(i).ok_or_else(|| {
                err(format!(
                    "has {} field(s), no column {}",
                    record.len(),
                    i + 1
                ))
            })?;
            String::from_utf8(raw.to_vec())
                .map_err(|_| err(format!("column {} is not UTF-8", i + 1)))
        };
        if first {
            first = false;
            let header_algo = |name: &str| name.trim().parse::<Algorithm>().ok();
            match column {
                Column::Name(want) => {
                    let mut names = Vec::new();
                    for i in 0..record.len() {
                        let h = field(i)?;
                        let h = h.trim_start_matches('\u{feff}').trim().to_string();
                        if h.eq_ignore_ascii_case(want.trim()) {
                            index = Some(i);
                            algo = algo.or_else(|| header_algo(&h));
                        }
                        names.push(h);
                    }
                    if index.is_none() {
                        return Err(err(format!(
                            "no column named {want:?} in the header ({})",
                            names.join(", ")
                        )));
                    }
                    continue;
                }
                Column::Index(n) => {
                    let v = field(n - 1)?;
                    if !is_digest(&v) {
                        // A header: it may name the algorithm.
                        let h = v.trim_start_matches('\u{feff}').to_string();
                        algo = algo.or_else(|| header_algo(&h));
                        continue;
                    }
                }
            }
        }
        let i = index.expect("column resolved");
        let v = field(i)?;
        let v = v.trim();
        if v.is_empty() {
            return Err(err(format!("column {} is empty", i + 1)));
        }
        if !v.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err(format!(
                "column {}: {:?} is not a hex digest",
                i + 1,
                clip(v)
            )));
        }
        let a =
            algorithm_for_len(v.len(), algo).map_err(|m| err(format!("column {}: {m}", i + 1)))?;
        cols.push_hex(a, v).map_err(|e| err(e.to_string()))?;
        cols.spill_if_full()?;
    }
}

/// NSRL RDSv3: the `sha256`, `sha1` and `md5` columns of table `FILE`,
/// opened read-only. Returns the release from table `VERSION` if present.
fn read_nsrl(path: &Path, cols: &mut Columns) -> Result<Option<String>, StoreError> {
    use rusqlite::{Connection, OpenFlags};
    let invalid = |message: String| StoreError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let sql = |e: rusqlite::Error| invalid(format!("SQLite: {e}"));
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql)?;
    let mut names = Vec::new();
    {
        let mut st = db.prepare("PRAGMA table_info(FILE)").map_err(sql)?;
        let rows = st.query_map([], |r| r.get::<_, String>(1)).map_err(sql)?;
        for r in rows {
            names.push(r.map_err(sql)?.to_ascii_lowercase());
        }
    }
    for want in ["sha256", "sha1", "md5"] {
        if !names.iter().any(|n| n == want) {
            return Err(invalid(format!(
                "not an NSRL RDSv3 database: table FILE has no {want} column (columns: {})",
                names.join(", ")
            )));
        }
    }
    let mut st = db
        .prepare("SELECT rowid, sha256, sha1, md5 FROM FILE")
        .map_err(sql)?;
    let mut rows = st.query([]).map_err(sql)?;
    while let Some(row) = rows.next().map_err(sql)? {
        let rowid: i64 = row.get(0).map_err(sql)?;
        for (i, a) in [
            (1, Algorithm::Sha256),
            (2, Algorithm::Sha1),
            (3, Algorithm::Md5),
        ] {
            let v: Option<String> = row.get(i).map_err(|e| {
                invalid(format!(
                    "table FILE row {rowid}: {} is not text: {e}",
                    a.name()
                ))
            })?;
            let Some(v) = v.filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            cols.push_hex(a, &v.to_ascii_lowercase()).map_err(|m| {
                invalid(format!("table FILE row {rowid}, column {}: {m}", a.name()))
            })?;
            cols.spill_if_full()?;
        }
    }
    let version = db
        .query_row("SELECT version FROM VERSION LIMIT 1", [], |r| {
            r.get::<_, String>(0)
        })
        .ok();
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest as _, Sha256};

    /// The reasons a digest is refused read as they did when they were
    /// strings; the caller adds the file and line.
    #[test]
    fn refused_digests_say_why() {
        let mut cols = Columns::default();
        let err = cols.push_hex(Algorithm::Md5, "abcd").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""abcd" is 4 hex digits, a md5 digest has 32"#
        );
        let not_hex = "zz".repeat(16);
        assert_eq!(
            cols.push_hex(Algorithm::Md5, &not_hex).unwrap_err(),
            DigestTextError::NotHex { text: not_hex }
        );
        assert_eq!(cols.read, 0);
        assert!(cols.map.values().all(Vec::is_empty));
        assert_eq!(
            algorithm_for_len(40, Some(Algorithm::Sha256))
                .unwrap_err()
                .to_string(),
            "a 40-digit digest, but the list was declared sha256 and sha256 digests have 64"
        );
        assert_eq!(
            algorithm_for_len(12, None).unwrap_err(),
            DigestTextError::UnknownLength { len: 12 }
        );
        assert_eq!(algorithm_for_len(40, None).unwrap(), Algorithm::Sha1);
    }

    /// Nothing but the sets themselves is left in a store folder.
    fn leftovers(store: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(store)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    fn opts(name: &str) -> ImportOptions {
        ImportOptions {
            name: name.into(),
            kind: Kind::KnownGood,
            format: None,
            algorithm: None,
            column: None,
            version: None,
            replace: false,
        }
    }

    /// With a budget of a few digests, an import goes through many sorted
    /// runs and writes the same data files as with everything in memory,
    /// repeats within and across runs dropped; no run is left behind. Both
    /// a plain list and a sum file (streamed) are covered.
    #[test]
    fn an_import_through_runs_writes_what_memory_writes() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::create(&t.path().join("store")).unwrap();
        let mut plain = String::new();
        let mut sums = String::new();
        for i in 0..500u32 {
            let d = Sha256::digest((i % 173).to_le_bytes());
            let md5 = &hex::encode(d)[..32];
            plain.push_str(&format!("{}\n{md5}\n", hex::encode(d)));
            sums.push_str(&format!("{}  f/{i}\n{md5}  g/{i}\n", hex::encode(d)));
        }
        for (file, text) in [("list.txt", &plain), ("list.sha256", &sums)] {
            let src = t.path().join(file);
            std::fs::write(&src, text).unwrap();
            let small = import_within(&store, &src, &opts("small"), 100).unwrap();
            let big = import_within(&store, &src, &opts("big"), usize::MAX).unwrap();
            assert_eq!(small.algorithms, big.algorithms, "{file}");
            assert_eq!(small.algorithms["sha256"].count, 173);
            assert_eq!(small.algorithms["md5"].count, 173);
            assert_eq!(small.source.digests_read, 1000);
            for a in ["md5.bin", "sha256.bin"] {
                assert_eq!(
                    std::fs::read(store.dir().join("small").join(a)).unwrap(),
                    std::fs::read(store.dir().join("big").join(a)).unwrap()
                );
            }
            store.get("small").unwrap().check().unwrap();
            assert!(leftovers(store.dir()).is_empty());
            store.remove("small").unwrap();
            store.remove("big").unwrap();
        }
    }

    /// A source that fails after runs were written leaves no run, no
    /// half-written set and no set; the error names the file and line.
    #[test]
    fn a_failed_import_leaves_no_runs() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::create(&t.path().join("store")).unwrap();
        let mut text = String::new();
        for i in 0..50u32 {
            text.push_str(&hex::encode(Sha256::digest(i.to_le_bytes())));
            text.push('\n');
        }
        text.push_str("not a digest\n");
        let src = t.path().join("bad.txt");
        std::fs::write(&src, text).unwrap();
        let e = import_within(&store, &src, &opts("bad"), 64).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("{}:51: ", src.display())),
            "{e}"
        );
        assert!(leftovers(store.dir()).is_empty());
        assert!(store.list().unwrap().is_empty());
        // An unreadable source is named too.
        let missing = t.path().join("missing.txt");
        let e = import_within(&store, &missing, &opts("gone"), 64).unwrap_err();
        assert!(
            e.to_string().starts_with(&missing.display().to_string()),
            "{e}"
        );
        assert!(leftovers(store.dir()).is_empty());
    }

    #[test]
    fn columns_name_a_header_or_a_number_from_1() {
        assert_eq!(
            "sha256".parse::<Column>().unwrap(),
            Column::Name("sha256".into())
        );
        assert_eq!("3".parse::<Column>().unwrap(), Column::Index(3));
        assert_eq!(
            "0".parse::<Column>().unwrap_err(),
            ParseError::ColumnNumber { given: "0".into() }
        );
        assert_eq!(" ".parse::<Column>().unwrap_err(), ParseError::EmptyColumn);
        assert_eq!(
            "bad".parse::<Kind>().unwrap_err().to_string(),
            r#"unknown hash-set kind "bad"; expected known-good, known-bad or notable"#
        );
    }
}
