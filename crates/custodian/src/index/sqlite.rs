//! The embedded index: one SQLite file in WAL mode (readers do not block
//! the writer), one transaction per exhibit, prepared statements. Schema in
//! `docs/guide/cross-case.md`.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use super::schema::{self, column, stmt, Dialect};
use super::{Backend, CaseRef, ExhibitRef, FileRow, Hit, IndexError, RowSource, Stats, ALGORITHMS};
use crate::hashing::Algorithm;

/// Version of the SQLite schema (`docs/guide/cross-case.md`), stored in the
/// `meta` table. Version 1 indexed the digest blobs themselves; version 2
/// indexes an 8-byte integer key of each digest ([`digest_key`]), which
/// makes loads faster and the index smaller. An index of another version
/// is refused with a message saying how to rebuild it.
pub const SCHEMA_VERSION: u32 = 2;

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

/// Rows per multi-row `INSERT` (15 parameters each).
const ROWS_PER_INSERT: usize = 64;

/// An index in a SQLite file.
pub struct SqliteIndex {
    path: PathBuf,
    conn: Connection,
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
        };
        ix.init().map_err(|e| store(path, e))?;
        ix.check_version()?;
        Ok(ix)
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
        // FULL: a committed exhibit survives a power cut (one fsync per
        // exhibit, not per row). A large page cache keeps the digest indexes
        // in memory while millions of rows go in.
        self.conn.execute_batch(
            "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY;",
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
            if v != SCHEMA_VERSION.to_string() {
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
    ex_ref: i64,
    rows: &[FileRow],
) -> rusqlite::Result<()> {
    let mut i = 1;
    for r in rows {
        st.raw_bind_parameter(i, ex_ref)?;
        st.raw_bind_parameter(i + 1, r.path.as_str())?;
        st.raw_bind_parameter(i + 2, r.size.map(|s| s as i64))?;
        for (j, d) in r.digests.iter().enumerate() {
            st.raw_bind_parameter(i + 3 + j, d.as_deref())?;
            st.raw_bind_parameter(i + 9 + j, d.as_deref().map(digest_key))?;
        }
        i += 15;
    }
    st.raw_execute()?;
    Ok(())
}

/// Smallest load for which dropping and rebuilding the digest indexes pays.
const BULK_MIN_ROWS: u64 = 50_000;

impl Backend for SqliteIndex {
    fn bulk_begin(&mut self, rows: u64) -> Result<(), IndexError> {
        if rows < BULK_MIN_ROWS {
            return Ok(());
        }
        let held: i64 = self
            .conn
            .query_row("SELECT COALESCE(MAX(rowid), 0) FROM files", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))?;
        if rows < held as u64 {
            return Ok(());
        }
        for algo in ALGORITHMS {
            let ix = schema::digest_index(SQL, algo);
            self.conn
                .execute_batch(&format!("DROP INDEX IF EXISTS {}", ix.name))
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn bulk_end(&mut self) -> Result<(), IndexError> {
        self.conn
            .execute_batch(&schema::ddl(SQL))
            .map_err(|e| self.err(e))
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

    fn replace_exhibit(
        &mut self,
        case: &CaseRef,
        exhibit: &ExhibitRef,
        rows: &mut RowSource<'_>,
    ) -> Result<u64, IndexError> {
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
        let old: Option<i64> = tx
            .query_row(
                &SQL.sql(stmt::EXHIBIT_ID),
                params![case_ref, exhibit.exhibit],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        if let Some(old) = old {
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
        let mut n = 0u64;
        {
            let mut one = tx.prepare_cached(&schema::insert_files(1)).map_err(e)?;
            let mut many = tx
                .prepare_cached(&schema::insert_files(ROWS_PER_INSERT))
                .map_err(e)?;
            let mut pending: Vec<FileRow> = Vec::with_capacity(ROWS_PER_INSERT);
            rows(&mut |r: FileRow| {
                pending.push(r);
                if pending.len() == ROWS_PER_INSERT {
                    insert_rows(&mut many, ex_ref, &pending).map_err(e)?;
                    n += pending.len() as u64;
                    pending.clear();
                }
                Ok(())
            })?;
            for r in pending.chunks(1) {
                insert_rows(&mut one, ex_ref, r).map_err(e)?;
                n += 1;
            }
        }
        tx.execute(&SQL.sql(stmt::SET_FILES), params![n as i64, ex_ref])
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n)
    }

    fn lookup(&mut self, digests: &[(Algorithm, Vec<u8>)]) -> Result<Vec<Hit>, IndexError> {
        let mut out = Vec::new();
        for algo in ALGORITHMS {
            let (c, k) = (column(algo), SQL.search_column(algo));
            let mut st = self
                .conn
                .prepare_cached(&format!(
                    "{} WHERE f.{k} = ?1 AND f.{c} = ?2",
                    schema::select_hits(algo)
                ))
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
        let (c, k) = (column(algo), SQL.search_column(algo));
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {k}, {c} FROM files WHERE {k} IS NOT NULL ORDER BY {k}"
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
                let mut d: [Option<Vec<u8>>; 6] = Default::default();
                d[2] = Some(digests[i % digests.len()].clone());
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

    /// An index file made with the schema as it was written by hand before
    /// [`super::schema`] described it (what every custodian up to then
    /// wrote) is the same layout as one made now, and it opens, is read and
    /// is added to as before.
    #[test]
    fn an_index_made_with_the_hand_written_schema_opens_unchanged() {
        let t = tempfile::tempdir().unwrap();
        let old = t.path().join("old.sqlite");
        {
            let c = Connection::open(&old).unwrap();
            c.execute_batch(crate::index::schema::tests::SQLITE_DDL_AS_WRITTEN)
                .unwrap();
            c.execute_batch(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '2');
                 INSERT INTO cases (case_key, case_id, dir) VALUES ('old', 'ID-old', '/cases/old');
                 INSERT INTO exhibits (case_ref, exhibit, manifest_sha256, acquired_seq, files, indexed_at)
                   VALUES (1, 'E1', '00', 1, 1, '2026-01-01T00:00:00Z');",
            )
            .unwrap();
            c.execute(
                "INSERT INTO files (exhibit_ref, path, size, sha256, k_sha256) VALUES (1, '/r/x', 3, ?1, ?2)",
                params![colliding(2), digest_key(&colliding(2))],
            )
            .unwrap();
        }
        let new = t.path().join("new.sqlite");
        drop(SqliteIndex::open(&new).unwrap());
        let before = master(&old);
        assert_eq!(before, master(&new));
        assert_eq!(
            before.len(),
            14,
            "4 tables, 7 indexes, 3 automatic: {before:?}"
        );

        let mut ix = SqliteIndex::open(&old).unwrap();
        add(&mut ix, "a", &[colliding(2)]);
        let l = links(&mut ix, Algorithm::Sha256, None, &NoKnownGood).unwrap();
        assert_eq!(l.files.len(), 1);
        assert_eq!(l.files[0].places.len(), 131);
        assert_eq!(ix.find_cases("ID-old").unwrap().len(), 1);
        drop(ix);
        assert_eq!(master(&old), before);
    }
}
