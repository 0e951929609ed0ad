//! The embedded index: one SQLite file in WAL mode (readers do not block
//! the writer), one transaction per exhibit, prepared statements. Schema in
//! `docs/cross-case.md`.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use super::{
    column, Backend, CaseRef, ExhibitRef, FileRow, Hit, IndexError, RowSource, Stats, ALGORITHMS,
    SCHEMA_VERSION,
};
use crate::hashing::Algorithm;

/// The schema, shared in spirit with [`super::pg`] (types differ).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
  id INTEGER PRIMARY KEY,
  case_key TEXT NOT NULL UNIQUE,
  case_id TEXT NOT NULL,
  dir TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exhibits (
  id INTEGER PRIMARY KEY,
  case_ref INTEGER NOT NULL REFERENCES cases(id),
  exhibit TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  acquired_seq INTEGER NOT NULL,
  files INTEGER NOT NULL,
  indexed_at TEXT NOT NULL,
  UNIQUE (case_ref, exhibit)
);
CREATE TABLE IF NOT EXISTS files (
  exhibit_ref INTEGER NOT NULL REFERENCES exhibits(id),
  path TEXT NOT NULL,
  size INTEGER,
  md5 BLOB, sha1 BLOB, sha256 BLOB, sha3_256 BLOB, blake3 BLOB, sha512 BLOB
);
CREATE INDEX IF NOT EXISTS files_exhibit ON files (exhibit_ref);
CREATE INDEX IF NOT EXISTS files_md5 ON files (md5) WHERE md5 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_sha1 ON files (sha1) WHERE sha1 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_sha256 ON files (sha256) WHERE sha256 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_sha3_256 ON files (sha3_256) WHERE sha3_256 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_blake3 ON files (blake3) WHERE blake3 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_sha512 ON files (sha512) WHERE sha512 IS NOT NULL;
";

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
        let tx = self.conn.transaction()?;
        tx.execute_batch(SCHEMA)?;
        tx.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?1)",
            [SCHEMA_VERSION.to_string()],
        )?;
        tx.commit()
    }

    fn check_version(&mut self) -> Result<(), IndexError> {
        let v: String = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))?;
        if v != SCHEMA_VERSION.to_string() {
            return Err(IndexError::Store {
                index: self.describe(),
                message: format!(
                    "schema version {v}, this custodian knows version {SCHEMA_VERSION}"
                ),
            });
        }
        Ok(())
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

/// The digest indexes, dropped for a bulk load (see [`Backend::bulk_begin`]).
const DIGEST_INDEXES: [&str; 6] = [
    "files_md5",
    "files_sha1",
    "files_sha256",
    "files_sha3_256",
    "files_blake3",
    "files_sha512",
];

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
        for ix in DIGEST_INDEXES {
            self.conn
                .execute_batch(&format!("DROP INDEX IF EXISTS {ix}"))
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn bulk_end(&mut self) -> Result<(), IndexError> {
        self.conn.execute_batch(SCHEMA).map_err(|e| self.err(e))
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
                "SELECT e.manifest_sha256 FROM exhibits e JOIN cases c ON c.id = e.case_ref
                 WHERE c.case_key = ?1 AND e.exhibit = ?2",
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
        tx.execute(
            "INSERT INTO cases (case_key, case_id, dir) VALUES (?1, ?2, ?3)
             ON CONFLICT (case_key) DO UPDATE SET case_id = excluded.case_id, dir = excluded.dir",
            params![case.key, case.case_id, case.dir],
        )
        .map_err(e)?;
        let case_ref: i64 = tx
            .query_row(
                "SELECT id FROM cases WHERE case_key = ?1",
                [&case.key],
                |r| r.get(0),
            )
            .map_err(e)?;
        let old: Option<i64> = tx
            .query_row(
                "SELECT id FROM exhibits WHERE case_ref = ?1 AND exhibit = ?2",
                params![case_ref, exhibit.exhibit],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        if let Some(old) = old {
            tx.execute("DELETE FROM files WHERE exhibit_ref = ?1", [old])
                .map_err(e)?;
            tx.execute("DELETE FROM exhibits WHERE id = ?1", [old])
                .map_err(e)?;
        }
        tx.execute(
            "INSERT INTO exhibits (case_ref, exhibit, manifest_sha256, acquired_seq, files, indexed_at)
             VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            params![
                case_ref,
                exhibit.exhibit,
                exhibit.manifest_sha256,
                exhibit.acquired_seq as i64,
                crate::time::format(crate::time::now())
            ],
        )
        .map_err(e)?;
        let ex_ref = tx.last_insert_rowid();
        let mut n = 0u64;
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO files (exhibit_ref, path, size, md5, sha1, sha256, sha3_256, blake3, sha512)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(e)?;
            rows(&mut |r: FileRow| {
                let [d0, d1, d2, d3, d4, d5] = &r.digests;
                ins.execute(params![
                    ex_ref,
                    r.path,
                    r.size.map(|s| s as i64),
                    d0,
                    d1,
                    d2,
                    d3,
                    d4,
                    d5
                ])
                .map_err(e)?;
                n += 1;
                Ok(())
            })?;
        }
        tx.execute(
            "UPDATE exhibits SET files = ?1 WHERE id = ?2",
            params![n as i64, ex_ref],
        )
        .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n)
    }

    fn lookup(&mut self, digests: &[(Algorithm, Vec<u8>)]) -> Result<Vec<Hit>, IndexError> {
        let mut out = Vec::new();
        for algo in ALGORITHMS {
            let c = column(algo);
            let mut st = self
                .conn
                .prepare_cached(&format!(
                    "SELECT f.{c}, c.case_key, c.case_id, c.dir, e.exhibit, f.path, f.size
                     FROM files f JOIN exhibits e ON e.id = f.exhibit_ref JOIN cases c ON c.id = e.case_ref
                     WHERE f.{c} = ?1 AND f.{c} IS NOT NULL"
                ))
                .map_err(|e| store(&self.path, e))?;
            for (a, d) in digests.iter().filter(|(a, _)| *a == algo) {
                let rows = st
                    .query_map([d], |r| hit(*a, r))
                    .map_err(|e| store(&self.path, e))?;
                for h in rows {
                    out.push(h.map_err(|e| store(&self.path, e))?);
                }
            }
        }
        Ok(out)
    }

    fn shared(&mut self, algo: Algorithm, case_key: Option<&str>) -> Result<Vec<Hit>, IndexError> {
        let c = column(algo);
        let only = if case_key.is_some() {
            format!(
                "AND f2.{c} IN (SELECT f3.{c} FROM files f3 JOIN exhibits e3 ON e3.id = f3.exhibit_ref
                 JOIN cases c3 ON c3.id = e3.case_ref WHERE c3.case_key = ?1 AND f3.{c} IS NOT NULL)"
            )
        } else {
            String::new()
        };
        let sql = format!(
            "WITH s AS (SELECT f2.{c} AS d FROM files f2 JOIN exhibits e2 ON e2.id = f2.exhibit_ref
                        WHERE f2.{c} IS NOT NULL {only}
                        GROUP BY f2.{c} HAVING COUNT(DISTINCT e2.case_ref) > 1)
             SELECT f.{c}, c.case_key, c.case_id, c.dir, e.exhibit, f.path, f.size
             FROM s JOIN files f ON f.{c} = s.d JOIN exhibits e ON e.id = f.exhibit_ref
             JOIN cases c ON c.id = e.case_ref"
        );
        let mut st = self.conn.prepare(&sql).map_err(|e| store(&self.path, e))?;
        let params: Vec<&dyn rusqlite::ToSql> = match &case_key {
            Some(k) => vec![k],
            None => vec![],
        };
        let rows = st
            .query_map(params.as_slice(), |r| hit(algo, r))
            .map_err(|e| store(&self.path, e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| store(&self.path, e))
    }

    fn for_each_digest(
        &mut self,
        algo: Algorithm,
        f: &mut dyn FnMut(&[u8]) -> Result<(), IndexError>,
    ) -> Result<(), IndexError> {
        let c = column(algo);
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT DISTINCT {c} FROM files WHERE {c} IS NOT NULL"
            ))
            .map_err(|e| store(&self.path, e))?;
        let mut rows = st.query([]).map_err(|e| store(&self.path, e))?;
        while let Some(r) = rows.next().map_err(|e| store(&self.path, e))? {
            let d = r.get_ref(0).map_err(|e| store(&self.path, e))?;
            let d = d
                .as_blob()
                .map_err(|e| store(&self.path, rusqlite::Error::from(e)))?;
            f(d)?;
        }
        Ok(())
    }

    fn find_cases(&mut self, name: &str) -> Result<Vec<CaseRef>, IndexError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT case_key, case_id, dir FROM cases
                 WHERE case_id = ?1 OR dir = ?1 OR case_key = ?1 ORDER BY case_id, dir",
            )
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
            .query_row(
                "SELECT (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM exhibits), (SELECT COUNT(*) FROM files)",
                [],
                |r| {
                    Ok(Stats {
                        cases: r.get::<_, i64>(0)? as u64,
                        exhibits: r.get::<_, i64>(1)? as u64,
                        files: r.get::<_, i64>(2)? as u64,
                    })
                },
            )
            .map_err(|e| store(&self.path, e))
    }
}
