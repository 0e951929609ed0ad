//! The embedded index: one SQLite file in WAL mode (readers do not block
//! the writer), one transaction per exhibit, prepared statements. Schema in
//! `docs/guide/cross-case.md`.
//!
//! Digests are found through key tables (`keys_ALGO`, `WITHOUT ROWID`):
//! the 8-byte integer key of each digest and the id of the file holding
//! it. A small load writes an exhibit's keys in its own transaction. A
//! bulk load ([`Backend::bulk_begin`]) collects the keys in memory and
//! writes them sorted, so that each key table is filled in key order
//! (appended to, not inserted into at random) — several times faster than
//! letting SQLite build an index with its own sorter. Until they are
//! written, a `meta` row (`keys_pending_from`) says from which file id
//! keys may be missing; opening the index after a bulk load died writes
//! them from the `files` rows (see [`SqliteIndex::open`]).

use std::fs::File;
use std::path::{Path, PathBuf};

use rayon::slice::ParallelSliceMut;
use rusqlite::{params, Connection, OptionalExtension};

use super::schema::{self, column, stmt, words_stmt, Dialect};
use super::words::{prefix_upper, Found, TextRow};
use super::{Backend, CaseRef, ExhibitRef, FileRow, Hit, IndexError, RowSource, Stats, ALGORITHMS};
use crate::hashing::Algorithm;

/// Version of the SQLite schema (`docs/guide/cross-case.md`), stored in the
/// `meta` table. Version 1 indexed the digest blobs themselves; version 2
/// indexed an 8-byte integer key of each digest ([`digest_key`]) kept in
/// `files`; version 3 keeps those keys, with the file's id, in one
/// `WITHOUT ROWID` table per algorithm, filled in key order by bulk loads;
/// version 4 adds the words of exhibits (`texts`, `tokens`:
/// `schema::words_ddl`). A version-3 index is migrated in place when
/// opened (the two tables are added; its cases become findable by words
/// at their next `index add`). An index of another version is refused
/// with a message saying how to rebuild it.
pub const SCHEMA_VERSION: u32 = 4;

/// The dialect this store renders the schema ([`super::schema`]) in.
const SQL: Dialect = Dialect::Sqlite;

/// The indexed key of a digest: its first 8 bytes as a big-endian signed
/// 64-bit integer. Keys of different digests may collide; every query
/// compares the full digest too.
pub fn digest_key(d: &[u8]) -> i64 {
    let mut b = [0u8; 8];
    let n = d.len().min(8);
    b[..n].copy_from_slice(&d[..n]);
    i64::from_be_bytes(b)
}

/// Rows per multi-row `INSERT` into `files` (10 parameters each).
const ROWS_PER_INSERT: usize = 64;

/// Pairs per multi-row `INSERT` into a key table (2 parameters each).
const KEYS_PER_INSERT: usize = 256;

/// (key, file id) pairs a bulk load holds, all algorithms together, before
/// it writes them out (16 bytes each: 128 MiB).
const KEY_BUFFER: usize = 8 << 20;

/// `meta` key of a bulk load's marker: files from this id on may have no
/// rows in the key tables yet.
const PENDING: &str = "keys_pending_from";

/// The (key, file id) pairs of digests not yet in the key tables, one list
/// per algorithm in [`ALGORITHMS`] order.
#[derive(Default)]
struct Keys([Vec<(i64, i64)>; 6]);

impl Keys {
    fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    fn lens(&self) -> [usize; 6] {
        std::array::from_fn(|i| self.0[i].len())
    }

    fn truncate(&mut self, lens: [usize; 6]) {
        for (v, n) in self.0.iter_mut().zip(lens) {
            v.truncate(n);
        }
    }

    /// The keys of file `id`'s digests, in [`ALGORITHMS`] order.
    fn push<'d>(&mut self, id: i64, digests: impl IntoIterator<Item = Option<&'d [u8]>>) {
        for (v, d) in self.0.iter_mut().zip(digests) {
            if let Some(d) = d {
                v.push((digest_key(d), id));
            }
        }
    }
}

/// Writes `keys` into the key tables, each list sorted first (so the
/// b-tree is appended to in order), and empties them. Pairs already
/// there are ignored (a rebuild after a crash may meet some).
fn write_keys(conn: &Connection, keys: &mut Keys) -> rusqlite::Result<()> {
    for (algo, pairs) in ALGORITHMS.iter().zip(keys.0.iter_mut()) {
        if pairs.is_empty() {
            continue;
        }
        pairs.par_sort_unstable();
        pairs.dedup();
        let mut many = conn.prepare_cached(&schema::insert_keys(*algo, KEYS_PER_INSERT, true))?;
        let mut chunks = pairs.chunks_exact(KEYS_PER_INSERT);
        for chunk in &mut chunks {
            for (i, (k, id)) in chunk.iter().enumerate() {
                many.raw_bind_parameter(2 * i + 1, k)?;
                many.raw_bind_parameter(2 * i + 2, id)?;
            }
            many.raw_execute()?;
        }
        let mut one = conn.prepare_cached(&schema::insert_keys(*algo, 1, true))?;
        for (k, id) in chunks.remainder() {
            one.execute([k, id])?;
        }
        pairs.clear();
    }
    Ok(())
}

/// An index in a SQLite file.
pub struct SqliteIndex {
    path: PathBuf,
    conn: Connection,
    /// During a bulk load: the keys not yet written, and the lock that
    /// keeps a second bulk load (or a rebuild of missing keys) out.
    bulk: Option<(Keys, File, Checkpointer)>,
}

/// WAL pages committed before a bulk load asks for a checkpoint (64 MiB
/// of 16 KiB pages; SQLite's own default is 1,000 pages).
const BULK_CHECKPOINT_PAGES: i32 = 4096;

/// During a bulk load, copies the write-ahead log into the index file on a
/// thread and connection of its own, so that the loading thread never
/// stops for a checkpoint's reads, writes and two `fsync`s (a quarter of
/// its time at ten million rows, measured). The loading connection's
/// automatic checkpoints are off meanwhile and asks this one through its
/// WAL hook after each commit. A `PASSIVE` checkpoint never blocks the
/// writer; the WAL restarts from its beginning at the first write after a
/// checkpoint that copied all of it. Durability is SQLite's usual one in
/// WAL mode with `synchronous=NORMAL`.
struct Checkpointer {
    wake: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path, loading: &mut Connection) -> rusqlite::Result<Checkpointer> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let (wake, asked) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::spawn(move || {
            while asked.recv().is_ok() {
                // A failed checkpoint leaves the WAL longer, nothing else;
                // the next one (or SQLite's own after the load) retries.
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            }
        });
        let hook = wake.clone();
        loading.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, pages| {
            if pages >= BULK_CHECKPOINT_PAGES {
                // Full: a checkpoint is already asked for.
                let _ = hook.try_send(());
            }
            Ok(())
        }))?;
        Ok(Checkpointer {
            wake: Some(wake),
            thread: Some(thread),
        })
    }

    /// Gives the loading connection back its automatic checkpoints and
    /// waits for the thread to finish the checkpoint it is in.
    fn stop(&mut self, loading: &mut Connection) -> rusqlite::Result<()> {
        loading.wal_hook(
            None::<fn(&mut rusqlite::hooks::Wal, std::ffi::c_int) -> rusqlite::Result<()>>,
        )?;
        let r = loading.execute_batch("PRAGMA wal_autocheckpoint=1000");
        self.wake = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        r
    }
}

impl SqliteIndex {
    /// Opens the index file, creating it (and its folder) if needed.
    pub fn open(path: &Path) -> Result<SqliteIndex, IndexError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| IndexError::io(parent, e))?;
        }
        let conn = Connection::open(path).map_err(|e| store(path, e))?;
        let mut ix = SqliteIndex {
            path: path.to_path_buf(),
            conn,
            bulk: None,
        };
        ix.init().map_err(|e| store(path, e))?;
        ix.check_version()?;
        ix.complete_keys()?;
        Ok(ix)
    }

    /// The lock file of bulk loads, `PATH-lock`, opened (created if
    /// needed). A lock on the index file itself would be unsafe: closing
    /// any descriptor of a SQLite file drops SQLite's own locks on it.
    fn lock_file(&self) -> Result<File, IndexError> {
        let mut name = self.path.as_os_str().to_owned();
        name.push("-lock");
        let path = PathBuf::from(name);
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| IndexError::io(&path, e))
    }

    /// After a bulk load that did not finish (killed, power cut), writes
    /// the keys of the files it left without them, from the `files` rows.
    /// Skipped while a bulk load runs (it holds the lock and writes them
    /// itself); meanwhile the rows it loaded are not yet found.
    fn complete_keys(&mut self) -> Result<(), IndexError> {
        let from: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [PENDING], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        let Some(from) = from else { return Ok(()) };
        let Ok(lock) = self.lock_file() else {
            return Ok(());
        };
        if lock.try_lock().is_err() {
            return Ok(());
        }
        let from: i64 = from.parse().unwrap_or(0);
        let tx = self.conn.transaction().map_err(|e| store(&self.path, e))?;
        let r = (|| {
            let digests: Vec<&str> = ALGORITHMS.iter().map(|&a| column(a)).collect();
            let mut st = tx.prepare(&format!(
                "SELECT id, {} FROM files WHERE id >= ?1",
                digests.join(", ")
            ))?;
            let mut rows = st.query([from])?;
            let mut keys = Keys::default();
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                let mut d: [Option<&[u8]>; 6] = [None; 6];
                for (i, slot) in d.iter_mut().enumerate() {
                    *slot = r.get_ref(i + 1)?.as_blob_or_null()?;
                }
                keys.push(id, d);
                if keys.len() >= KEY_BUFFER {
                    write_keys(&tx, &mut keys)?;
                }
            }
            write_keys(&tx, &mut keys)?;
            tx.execute("DELETE FROM meta WHERE key = ?1", [PENDING])?;
            Ok(())
        })();
        r.and_then(|()| tx.commit())
            .map_err(|e| store(&self.path, e))
    }

    fn init(&mut self) -> rusqlite::Result<()> {
        self.conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // 16 KiB pages (fewer, fuller b-tree pages for millions of rows);
        // only takes effect on a new, empty file.
        self.conn.execute_batch("PRAGMA page_size=16384")?;
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        debug_assert_eq!(mode.to_lowercase(), "wal");
        // NORMAL: in WAL mode a power cut may lose the last exhibits
        // committed, never corrupt the file; the index is derived data,
        // and an exhibit lost is indexed again by the next `index add`
        // (docs/guide/cross-case.md, "Durability"). A large page cache
        // keeps the key tables' right edges in memory while millions of
        // rows go in.
        self.conn.execute_batch(
            "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY;",
        )?;
        Ok(())
    }

    /// Refuses an index of another schema version (before touching it),
    /// else creates whatever is missing.
    fn check_version(&mut self) -> Result<(), IndexError> {
        let has_meta: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        if has_meta {
            let v: Option<String> = self
                .conn
                .query_row(stmt::SCHEMA_VERSION, [], |r| r.get(0))
                .optional()
                .map_err(|e| self.err(e))?;
            let v = v.unwrap_or_else(|| "(none)".into());
            if v == "3" {
                // Schema 3 to 4: only tables added.
                let tx = self.conn.transaction().map_err(|e| store(&self.path, e))?;
                tx.execute_batch(schema::words_ddl(SQL))
                    .and_then(|_| {
                        tx.execute(
                            "UPDATE meta SET value = ?1 WHERE key = 'schema'",
                            [SCHEMA_VERSION.to_string()],
                        )
                    })
                    .and_then(|_| tx.commit())
                    .map_err(|e| store(&self.path, e))?;
            } else if v != SCHEMA_VERSION.to_string() {
                let older = v.parse::<u32>().is_ok_and(|n| n < SCHEMA_VERSION);
                let message = if older {
                    format!(
                        "schema version {v} was written by an older custodian; this one needs version {SCHEMA_VERSION}. \
                         The index is derived from the cases and can be rebuilt: remove {p} (with {p}-wal and {p}-shm) \
                         and run `custodian index add CASE…` again",
                        p = self.path.display()
                    )
                } else {
                    format!("schema version {v}, this custodian knows version {SCHEMA_VERSION}")
                };
                return Err(IndexError::Store {
                    index: self.describe(),
                    message,
                });
            }
        }
        let tx = self.conn.transaction().map_err(|e| store(&self.path, e))?;
        tx.execute_batch(&schema::ddl(SQL))
            .and_then(|_| tx.execute_batch(schema::words_ddl(SQL)))
            .and_then(|_| {
                tx.execute(
                    &SQL.sql(stmt::SET_SCHEMA_VERSION),
                    [SCHEMA_VERSION.to_string()],
                )
            })
            .and_then(|_| tx.commit())
            .map_err(|e| store(&self.path, e))
    }

    fn err(&self, e: rusqlite::Error) -> IndexError {
        store(&self.path, e)
    }
}

fn store(path: &Path, e: rusqlite::Error) -> IndexError {
    IndexError::Store {
        index: path.display().to_string(),
        message: e.to_string(),
    }
}

fn hit(algo: Algorithm, r: &rusqlite::Row<'_>) -> rusqlite::Result<Hit> {
    Ok(Hit {
        algorithm: algo,
        digest: r.get(0)?,
        case_key: r.get(1)?,
        case_id: r.get(2)?,
        case_dir: r.get(3)?,
        exhibit: r.get(4)?,
        path: r.get(5)?,
        size: r.get::<_, Option<i64>>(6)?.map(|s| s as u64),
    })
}

/// Binds `rows` (as many as the statement was prepared for, in the column
/// order of [`schema::file_columns`]) and runs it.
fn insert_rows(
    st: &mut rusqlite::CachedStatement<'_>,
    first_id: i64,
    ex_ref: i64,
    rows: &[FileRow],
) -> rusqlite::Result<()> {
    let mut i = 1;
    for (id, r) in (first_id..).zip(rows) {
        st.raw_bind_parameter(i, id)?;
        st.raw_bind_parameter(i + 1, ex_ref)?;
        st.raw_bind_parameter(i + 2, r.path.as_str())?;
        st.raw_bind_parameter(i + 3, r.size.map(|s| s as i64))?;
        for (j, d) in r.digests.iter().enumerate() {
            st.raw_bind_parameter(i + 4 + j, d.as_deref())?;
        }
        i += 10;
    }
    st.raw_execute()?;
    Ok(())
}

/// Smallest load for which collecting and sorting the keys pays.
const BULK_MIN_ROWS: u64 = 50_000;

impl SqliteIndex {
    /// The next file id (ids are assigned here, so that the keys of a row
    /// are known when it is inserted). Never one a deleted file had: the
    /// highest id ever used is in `sqlite_sequence` (`AUTOINCREMENT`).
    fn next_file_id(conn: &Connection) -> rusqlite::Result<i64> {
        conn.query_row(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'files'), 0), \
             COALESCE((SELECT MAX(id) FROM files), 0)) + 1",
            [],
            |r| r.get(0),
        )
    }

    /// Writes the keys a bulk load holds and moves its marker past every
    /// file there is now (all of them have their keys).
    fn flush_keys(&mut self, done: bool) -> Result<(), IndexError> {
        let Some((keys, ..)) = &mut self.bulk else {
            return Ok(());
        };
        let tx = self.conn.transaction().map_err(|e| store(&self.path, e))?;
        write_keys(&tx, keys)
            .and_then(|()| {
                if done {
                    tx.execute("DELETE FROM meta WHERE key = ?1", [PENDING])
                } else {
                    let next = Self::next_file_id(&tx)?;
                    tx.execute(
                        "UPDATE meta SET value = ?2 WHERE key = ?1",
                        params![PENDING, next.to_string()],
                    )
                }
            })
            .and_then(|_| tx.commit())
            .map_err(|e| store(&self.path, e))
    }

    /// [`Backend::replace_exhibit`] in one transaction; in a bulk load the
    /// keys are collected for later, else written before the commit.
    fn replace_exhibit_tx(
        &mut self,
        case: &CaseRef,
        exhibit: &ExhibitRef,
        rows: &mut RowSource<'_>,
    ) -> Result<u64, IndexError> {
        let path = self.path.clone();
        let e = |e| store(&path, e);
        let mut own = Keys::default();
        let keys = match &mut self.bulk {
            Some((keys, ..)) => keys,
            None => &mut own,
        };
        let tx = self.conn.transaction().map_err(e)?;
        let case_ref: i64 = tx
            .query_row(
                &SQL.sql(stmt::UPSERT_CASE),
                params![case.key, case.case_id, case.dir],
                |r| r.get(0),
            )
            .map_err(e)?;
        let old: Option<i64> = tx
            .query_row(
                &SQL.sql(stmt::EXHIBIT_ID),
                params![case_ref, exhibit.exhibit],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        if let Some(old) = old {
            delete_keys(&tx, old).map_err(e)?;
            tx.execute(&SQL.sql(stmt::DELETE_FILES), [old]).map_err(e)?;
            tx.execute(&SQL.sql(stmt::DELETE_EXHIBIT), [old])
                .map_err(e)?;
        }
        let ex_ref: i64 = tx
            .query_row(
                &SQL.sql(stmt::INSERT_EXHIBIT),
                params![
                    case_ref,
                    exhibit.exhibit,
                    exhibit.manifest_sha256,
                    exhibit.acquired_seq as i64,
                    crate::time::format(crate::time::now())
                ],
                |r| r.get(0),
            )
            .map_err(e)?;
        let first = Self::next_file_id(&tx).map_err(e)?;
        let mut n = 0u64;
        {
            let mut one = tx.prepare_cached(&schema::insert_files(1)).map_err(e)?;
            let mut many = tx
                .prepare_cached(&schema::insert_files(ROWS_PER_INSERT))
                .map_err(e)?;
            let mut pending: Vec<FileRow> = Vec::with_capacity(ROWS_PER_INSERT);
            rows(&mut |r: FileRow| {
                keys.push(
                    first + n as i64 + pending.len() as i64,
                    r.digests.iter().map(|d| d.as_deref()),
                );
                pending.push(r);
                if pending.len() == ROWS_PER_INSERT {
                    insert_rows(&mut many, first + n as i64, ex_ref, &pending).map_err(e)?;
                    n += pending.len() as u64;
                    pending.clear();
                }
                Ok(())
            })?;
            for r in pending.chunks(1) {
                insert_rows(&mut one, first + n as i64, ex_ref, r).map_err(e)?;
                n += 1;
            }
        }
        if self.bulk.is_none() {
            write_keys(&tx, &mut own).map_err(e)?;
        }
        tx.execute(&SQL.sql(stmt::SET_FILES), params![n as i64, ex_ref])
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n)
    }
}

/// Removes the key-table rows of the files of exhibit `ex_ref` (about to
/// be deleted). Pairs of them that a bulk load still holds (an exhibit
/// loaded twice in one load) are left: they name an id that no file will
/// have again (`AUTOINCREMENT`), so they never match.
fn delete_keys(tx: &Connection, ex_ref: i64) -> rusqlite::Result<()> {
    let digests: Vec<&str> = ALGORITHMS.iter().map(|&a| column(a)).collect();
    let mut st = tx.prepare(&format!(
        "SELECT id, {} FROM files WHERE exhibit_ref = ?1",
        digests.join(", ")
    ))?;
    let mut rows = st.query([ex_ref])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        for (i, algo) in ALGORITHMS.iter().enumerate() {
            let d = r.get_ref(i + 1)?;
            if let Some(d) = d.as_blob_or_null()? {
                tx.prepare_cached(&format!(
                    "DELETE FROM {} WHERE k = ?1 AND file = ?2",
                    schema::key_table(*algo)
                ))?
                .execute(params![digest_key(d), id])?;
            }
        }
    }
    Ok(())
}

impl Backend for SqliteIndex {
    fn bulk_begin(&mut self, rows: u64) -> Result<(), IndexError> {
        if rows < BULK_MIN_ROWS || self.bulk.is_some() {
            return Ok(());
        }
        let held: i64 = self
            .conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM files", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if rows < held as u64 {
            return Ok(());
        }
        // One bulk load at a time: a second waits here for the first.
        let lock = self.lock_file()?;
        lock.lock().map_err(|e| IndexError::Store {
            index: self.describe(),
            message: format!("cannot lock for a bulk load: {e}"),
        })?;
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                params![PENDING, (held + 1).to_string()],
            )
            .map_err(|e| self.err(e))?;
        let checkpoints =
            Checkpointer::start(&self.path, &mut self.conn).map_err(|e| self.err(e))?;
        self.bulk = Some((Keys::default(), lock, checkpoints));
        Ok(())
    }

    fn bulk_end(&mut self) -> Result<(), IndexError> {
        let r = self.flush_keys(true);
        // Dropping the file releases the lock, whatever happened.
        let Some((_, _, mut checkpoints)) = self.bulk.take() else {
            return r;
        };
        let stopped = checkpoints.stop(&mut self.conn).map_err(|e| self.err(e));
        r.and(stopped)
    }

    fn replace_exhibit(
        &mut self,
        case: &CaseRef,
        exhibit: &ExhibitRef,
        rows: &mut RowSource<'_>,
    ) -> Result<u64, IndexError> {
        let before = self.bulk.as_ref().map(|(k, ..)| k.lens());
        let r = self.replace_exhibit_tx(case, exhibit, rows);
        match (&r, &mut self.bulk, before) {
            // Rolled back: so are the keys it collected.
            (Err(_), Some((keys, ..)), Some(lens)) => keys.truncate(lens),
            (Ok(_), Some((keys, ..)), _) if keys.len() >= KEY_BUFFER => self.flush_keys(false)?,
            _ => {}
        }
        r
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn indexed_manifest(
        &mut self,
        case_key: &str,
        exhibit: &str,
    ) -> Result<Option<String>, IndexError> {
        self.conn
            .query_row(
                &SQL.sql(stmt::INDEXED_MANIFEST),
                params![case_key, exhibit],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    fn lookup(&mut self, digests: &[(Algorithm, Vec<u8>)]) -> Result<Vec<Hit>, IndexError> {
        let mut out = Vec::new();
        for algo in ALGORITHMS {
            let mut st = self
                .conn
                .prepare_cached(&schema::lookup_by_key(algo))
                .map_err(|e| store(&self.path, e))?;
            for (a, d) in digests.iter().filter(|(a, _)| *a == algo) {
                let rows = st
                    .query_map(params![digest_key(d), d], |r| hit(*a, r))
                    .map_err(|e| store(&self.path, e))?;
                for h in rows {
                    out.push(h.map_err(|e| store(&self.path, e))?);
                }
            }
        }
        Ok(out)
    }

    fn shared(&mut self, algo: Algorithm, case_key: Option<&str>) -> Result<Vec<Hit>, IndexError> {
        // The SQL works on the integer keys (what is indexed): it returns
        // every row whose key is held by more than one case (with
        // `case_key`: a key that case holds). Keys may collide, so the
        // groups are then redone on the full digests.
        let sql = schema::shared_hits(SQL, algo, case_key.is_some());
        let mut st = self.conn.prepare(&sql).map_err(|e| store(&self.path, e))?;
        let params: Vec<&dyn rusqlite::ToSql> = match &case_key {
            Some(k) => vec![k],
            None => vec![],
        };
        let rows = st
            .query_map(params.as_slice(), |r| hit(algo, r))
            .map_err(|e| store(&self.path, e))?;
        let mut hits = rows
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| store(&self.path, e))?;
        hits.sort_by(|a, b| a.digest.cmp(&b.digest));
        let mut out = Vec::with_capacity(hits.len());
        for group in hits.chunk_by(|a, b| a.digest == b.digest) {
            let first = &group[0].case_key;
            let several = group.iter().any(|h| &h.case_key != first);
            let held = case_key.is_none_or(|k| group.iter().any(|h| h.case_key == k));
            if several && held {
                out.extend_from_slice(group);
            }
        }
        Ok(out)
    }

    fn for_each_digest(
        &mut self,
        algo: Algorithm,
        f: &mut dyn FnMut(&[u8]) -> Result<(), IndexError>,
    ) -> Result<(), IndexError> {
        // In key order (the index's), so equal digests come within one run
        // of equal keys: each distinct digest is passed once.
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT x.k, f.{} FROM {} x JOIN files f ON f.id = x.file ORDER BY x.k",
                column(algo),
                schema::key_table(algo)
            ))
            .map_err(|e| store(&self.path, e))?;
        let mut rows = st.query([]).map_err(|e| store(&self.path, e))?;
        let mut run_key: Option<i64> = None;
        let mut run: Vec<Vec<u8>> = Vec::new();
        while let Some(r) = rows.next().map_err(|e| store(&self.path, e))? {
            let k: i64 = r.get(0).map_err(|e| store(&self.path, e))?;
            let d = r.get_ref(1).map_err(|e| store(&self.path, e))?;
            let d = d
                .as_blob()
                .map_err(|e| store(&self.path, rusqlite::Error::from(e)))?;
            if run_key != Some(k) {
                run_key = Some(k);
                run.clear();
            }
            if !run.iter().any(|x| x == d) {
                run.push(d.to_vec());
                f(d)?;
            }
        }
        Ok(())
    }

    fn find_cases(&mut self, name: &str) -> Result<Vec<CaseRef>, IndexError> {
        let mut st = self
            .conn
            .prepare(&SQL.sql(stmt::FIND_CASES))
            .map_err(|e| store(&self.path, e))?;
        let rows = st
            .query_map([name], |r| {
                Ok(CaseRef {
                    key: r.get(0)?,
                    case_id: r.get(1)?,
                    dir: r.get(2)?,
                })
            })
            .map_err(|e| store(&self.path, e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| store(&self.path, e))
    }

    fn replace_texts(
        &mut self,
        case: &CaseRef,
        exhibit: &str,
        texts: &[TextRow],
    ) -> Result<(), IndexError> {
        let path = self.path.clone();
        let e = |e| store(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        let case_ref: i64 = tx
            .query_row(
                &SQL.sql(stmt::UPSERT_CASE),
                params![case.key, case.case_id, case.dir],
                |r| r.get(0),
            )
            .map_err(e)?;
        tx.execute(
            &SQL.sql(words_stmt::DELETE_TOKENS),
            params![case_ref, exhibit],
        )
        .map_err(e)?;
        tx.execute(
            &SQL.sql(words_stmt::DELETE_TEXTS),
            params![case_ref, exhibit],
        )
        .map_err(e)?;
        {
            let mut text_st = tx
                .prepare_cached(&SQL.sql(words_stmt::INSERT_TEXT))
                .map_err(e)?;
            let mut token_st = tx
                .prepare_cached(&SQL.sql(words_stmt::INSERT_TOKEN))
                .map_err(e)?;
            for t in texts {
                let id: i64 = text_st
                    .query_row(
                        params![case_ref, exhibit, t.seq as i64, t.entry, t.field, t.text],
                        |r| r.get(0),
                    )
                    .map_err(e)?;
                for w in t.tokens() {
                    token_st.execute(params![w, id]).map_err(e)?;
                }
            }
        }
        tx.commit().map_err(e)
    }

    fn texts_with_word(&mut self, word: &str, prefix: bool) -> Result<Vec<Found>, IndexError> {
        let upper = if prefix { prefix_upper(word) } else { None };
        let sql = match (prefix, &upper) {
            (false, _) => words_stmt::with_word(),
            (true, u) => words_stmt::with_word_in(u.is_some()),
        };
        let mut st = self
            .conn
            .prepare_cached(&SQL.sql(&sql))
            .map_err(|e| store(&self.path, e))?;
        let found = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Found> {
            Ok(Found {
                case_id: r.get(0)?,
                case_key: r.get(1)?,
                case_dir: r.get(2)?,
                exhibit: r.get(3)?,
                seq: r.get::<_, i64>(4)? as u64,
                entry: r.get(5)?,
                field: r.get(6)?,
                text: r.get(7)?,
            })
        };
        let rows = match &upper {
            Some(u) => st.query_map(params![word, u], found),
            None => st.query_map(params![word], found),
        }
        .map_err(|e| store(&self.path, e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| store(&self.path, e))
    }

    fn stats(&mut self) -> Result<Stats, IndexError> {
        self.conn
            .query_row(stmt::STATS, [], |r| {
                Ok(Stats {
                    cases: r.get::<_, i64>(0)? as u64,
                    exhibits: r.get::<_, i64>(1)? as u64,
                    files: r.get::<_, i64>(2)? as u64,
                })
            })
            .map_err(|e| store(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::DigestBytes;
    use crate::index::{links, search, NoKnownGood, RowSink};

    /// A sha256 digest whose first 8 bytes (the indexed key) are all 0x11
    /// and whose last byte is `tail`: digests differing in `tail` collide
    /// on the key.
    fn colliding(tail: u8) -> Vec<u8> {
        let mut d = vec![0x11; 32];
        d[31] = tail;
        d
    }

    fn add(ix: &mut SqliteIndex, key: &str, digests: &[Vec<u8>]) {
        let case = CaseRef {
            key: key.into(),
            case_id: format!("ID-{key}"),
            dir: format!("/cases/{key}"),
        };
        let ex = ExhibitRef {
            exhibit: "E1".into(),
            manifest_sha256: "00".into(),
            acquired_seq: 1,
        };
        // 130 rows: more than one multi-row INSERT, plus single rows.
        ix.replace_exhibit(&case, &ex, &mut |sink: &mut RowSink<'_>| {
            for i in 0..130usize {
                let mut d: [Option<DigestBytes>; 6] = Default::default();
                d[2] = DigestBytes::new(&digests[i % digests.len()]);
                sink(FileRow {
                    path: format!("/r/{key}/{i}"),
                    size: Some(i as u64),
                    digests: d,
                })?;
            }
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn digest_key_is_the_big_endian_prefix() {
        assert_eq!(digest_key(&[0, 0, 0, 0, 0, 0, 1, 2, 0xff]), 0x0102);
        assert_eq!(digest_key(&[0x80; 32]), i64::from_be_bytes([0x80; 8]));
        assert!(digest_key(&[0xff; 16]) < 0);
        // The worked example of docs/guide/cross-case.md: sha256("abc").
        let abc = hex::decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            .unwrap();
        assert_eq!(digest_key(&abc), -5010229573455851542);
    }

    /// Regression: the index holds 8-byte keys; digests sharing a key must
    /// still be told apart by search, links and the blinded export.
    #[test]
    fn digests_colliding_on_the_key_are_told_apart() {
        let t = tempfile::tempdir().unwrap();
        let mut ix = SqliteIndex::open(&t.path().join("i.sqlite")).unwrap();
        add(&mut ix, "a", &[colliding(1), colliding(2)]);
        add(&mut ix, "b", &[colliding(2), colliding(3)]);
        assert_eq!(ix.stats().unwrap().files, 260);

        let s = search(&mut ix, &[(Algorithm::Sha256, colliding(1))], &NoKnownGood).unwrap();
        assert_eq!(s.hits.len(), 65);
        assert!(s
            .hits
            .iter()
            .all(|h| h.case_key == "a" && h.digest == colliding(1)));
        let s = search(&mut ix, &[(Algorithm::Sha256, colliding(9))], &NoKnownGood).unwrap();
        assert!(s.hits.is_empty());

        // Only colliding(2) is held by both cases.
        let l = links(&mut ix, Algorithm::Sha256, None, &NoKnownGood).unwrap();
        let shared: Vec<&Vec<u8>> = l.files.iter().map(|f| &f.digest).collect();
        assert_eq!(shared, [&colliding(2)]);
        assert_eq!(l.files[0].places.len(), 130);
        assert_eq!(l.links.len(), 1);
        assert_eq!(l.links[0].shared, 1);
        let only_a = links(&mut ix, Algorithm::Sha256, Some("a"), &NoKnownGood).unwrap();
        assert_eq!(only_a.files.len(), 1);

        let mut distinct = Vec::new();
        ix.for_each_digest(Algorithm::Sha256, &mut |d| {
            distinct.push(d.to_vec());
            Ok(())
        })
        .unwrap();
        distinct.sort();
        assert_eq!(distinct, [colliding(1), colliding(2), colliding(3)]);
    }

    /// The `CREATE` texts SQLite keeps, by object name.
    fn master(path: &Path) -> Vec<(String, Option<String>)> {
        let c = Connection::open(path).unwrap();
        let mut st = c
            .prepare("SELECT name, sql FROM sqlite_master ORDER BY name")
            .unwrap();
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    /// Schema change: an index file of schema 2 (integer keys in `files`,
    /// what every custodian wrote before the key tables) is refused
    /// before anything in it changes, in one message that names the file
    /// and says how to rebuild it.
    #[test]
    fn an_index_of_schema_2_is_refused_untouched_with_how_to_rebuild() {
        let t = tempfile::tempdir().unwrap();
        let old = t.path().join("old.sqlite");
        {
            let c = Connection::open(&old).unwrap();
            c.execute_batch(crate::index::schema::tests::SQLITE_2_DDL)
                .unwrap();
            c.execute_batch("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '2');")
                .unwrap();
        }
        let before = master(&old);
        let e = SqliteIndex::open(&old).err().expect("refused").to_string();
        assert!(e.starts_with(&format!("index {}: ", old.display())), "{e}");
        assert!(
            e.contains(
                "schema version 2 was written by an older custodian; this one needs version 4"
            ),
            "{e}"
        );
        assert!(e.contains("custodian index add"), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
        assert_eq!(master(&old), before);
        assert_eq!(before.len(), 14, "4 tables, 7 indexes, 3 automatic");
    }

    /// Schema change 3 to 4 (the words of exhibits): an index file of
    /// schema 3 is migrated in place, its rows kept, and can be searched
    /// by words once its exhibits' texts are written.
    #[test]
    fn an_index_of_schema_3_is_migrated_to_4_in_place() {
        let t = tempfile::tempdir().unwrap();
        let old = t.path().join("v3.sqlite");
        {
            let c = Connection::open(&old).unwrap();
            c.execute_batch(crate::index::schema::tests::SQLITE_3_DDL)
                .unwrap();
            c.execute_batch(
                "INSERT INTO meta (key, value) VALUES ('schema', '3'); \
                 INSERT INTO cases (case_key, case_id, dir) VALUES ('k', 'C-1', '/c');",
            )
            .unwrap();
        }
        let mut ix = SqliteIndex::open(&old).unwrap();
        let v: String = ix
            .conn
            .query_row(stmt::SCHEMA_VERSION, [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, "4");
        assert_eq!(ix.stats().unwrap().cases, 1);
        let case = CaseRef {
            key: "k".into(),
            case_id: "C-1".into(),
            dir: "/c".into(),
        };
        let text = TextRow {
            seq: 2,
            entry: "ab".repeat(32),
            field: "seal".into(),
            text: "SEAL-2026/0042".into(),
        };
        ix.replace_texts(&case, "EXH-1", std::slice::from_ref(&text))
            .unwrap();
        assert_eq!(ix.texts_with_word("0042", false).unwrap().len(), 1);
        assert_eq!(ix.texts_with_word("se", true).unwrap().len(), 1);
        assert!(ix.texts_with_word("se", false).unwrap().is_empty());
        // Replacing the texts of the exhibit replaces, never adds.
        ix.replace_texts(&case, "EXH-1", &[text]).unwrap();
        assert_eq!(ix.texts_with_word("2026", false).unwrap().len(), 1);
        drop(ix);
        // Opened again: at version 4, nothing to migrate.
        SqliteIndex::open(&old).unwrap();
    }

    /// 60,000 rows in exhibits of 100 (a bulk load), every digest
    /// distinct: each is found, with its path.
    fn bulk(ix: &mut SqliteIndex, case: &str, exhibits: usize) {
        let c = CaseRef {
            key: case.into(),
            case_id: format!("ID-{case}"),
            dir: format!("/cases/{case}"),
        };
        for e in 0..exhibits {
            let ex = ExhibitRef {
                exhibit: format!("E{e}"),
                manifest_sha256: "00".into(),
                acquired_seq: 1,
            };
            ix.replace_exhibit(&c, &ex, &mut |sink: &mut RowSink<'_>| {
                for i in 0..100u32 {
                    let mut d: [Option<DigestBytes>; 6] = Default::default();
                    let n = (e as u32) * 100 + i;
                    d[0] = DigestBytes::new(&md5ish(case, n));
                    d[2] = DigestBytes::new(&sha(case, n));
                    sink(FileRow {
                        path: format!("/r/{e}/{i}"),
                        size: Some(n as u64),
                        digests: d,
                    })?;
                }
                Ok(())
            })
            .unwrap();
        }
    }

    fn sha(case: &str, n: u32) -> Vec<u8> {
        use sha2::Digest as _;
        sha2::Sha256::digest(format!("{case}/{n}")).to_vec()
    }

    fn md5ish(case: &str, n: u32) -> Vec<u8> {
        sha(case, n)[..16].to_vec()
    }

    fn found(ix: &mut SqliteIndex, case: &str, n: u32) -> usize {
        let s = search(
            ix,
            &[
                (Algorithm::Sha256, sha(case, n)),
                (Algorithm::Md5, md5ish(case, n)),
            ],
            &NoKnownGood,
        )
        .unwrap();
        s.hits.len()
    }

    /// A bulk load writes the keys sorted at its end; meanwhile its rows
    /// are not found, afterwards all are, and no marker is left.
    #[test]
    fn a_bulk_load_writes_its_keys_at_the_end() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("i.sqlite");
        let mut ix = SqliteIndex::open(&path).unwrap();
        ix.bulk_begin(60_000).unwrap();
        bulk(&mut ix, "a", 600);
        assert_eq!(found(&mut ix, "a", 0), 0, "keys not written yet");
        ix.bulk_end().unwrap();
        for n in [0, 1, 299, 59_999] {
            assert_eq!(found(&mut ix, "a", n), 2, "{n}");
        }
        assert_eq!(ix.stats().unwrap().files, 60_000);
        let marker: i64 = ix
            .conn
            .query_row("SELECT COUNT(*) FROM meta WHERE key = ?1", [PENDING], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(marker, 0);
        // Keys and files agree one to one (sha256 and md5 per row).
        let keys: i64 = ix
            .conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM keys_sha256) + (SELECT COUNT(*) FROM keys_md5)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(keys, 120_000);
    }

    /// A bulk load that dies before its end (here: dropped without
    /// `bulk_end`, as a kill or power cut would leave it) leaves its
    /// marker; the next open writes the missing keys from the rows, so
    /// nothing committed is lost to searches. Replacing an exhibit loaded
    /// in the same bulk load leaves no stale match.
    #[test]
    fn keys_a_dead_bulk_load_left_unwritten_are_written_on_open() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("i.sqlite");
        {
            let mut ix = SqliteIndex::open(&path).unwrap();
            bulk(&mut ix, "before", 2);
            ix.bulk_begin(60_000).unwrap();
            bulk(&mut ix, "a", 5);
            bulk(&mut ix, "a", 3); // E0..E2 again: replaced
                                   // No bulk_end: the process died here.
        }
        let mut ix = SqliteIndex::open(&path).unwrap();
        for n in [0, 150, 499] {
            assert_eq!(found(&mut ix, "a", n), 2, "{n}");
        }
        assert_eq!(found(&mut ix, "before", 199), 2);
        assert_eq!(ix.stats().unwrap().files, 700);
        let l = links(&mut ix, Algorithm::Sha256, None, &NoKnownGood).unwrap();
        assert!(l.files.is_empty(), "no digest is in two cases");
        // An id is never reused: deleted files' ids stay unused.
        let max: i64 = ix
            .conn
            .query_row("SELECT MAX(id) FROM files", [], |r| r.get(0))
            .unwrap();
        assert_eq!(max, 1000);
    }
}
