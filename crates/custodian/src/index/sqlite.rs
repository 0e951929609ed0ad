//! The embedded index: one SQLite file in WAL mode (readers do not block
//! the writer), one transaction per exhibit, prepared statements. Schema in
//! `docs/guide/cross-case.md`.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use super::{
    column, Backend, CaseRef, ExhibitRef, FileRow, Hit, IndexError, RowSource, Stats, ALGORITHMS,
};
use crate::hashing::Algorithm;

/// Version of the SQLite schema (`docs/guide/cross-case.md`), stored in the
/// `meta` table. Version 1 indexed the digest blobs themselves; version 2
/// indexes an 8-byte integer key of each digest ([`digest_key`]), which
/// makes loads faster and the index smaller. An index of another version
/// is refused with a message saying how to rebuild it.
pub const SCHEMA_VERSION: u32 = 2;

/// The schema, shared in spirit with [`super::pg`] (types differ; the
/// PostgreSQL store indexes the digest columns directly).
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
  md5 BLOB, sha1 BLOB, sha256 BLOB, sha3_256 BLOB, blake3 BLOB, sha512 BLOB,
  k_md5 INTEGER, k_sha1 INTEGER, k_sha256 INTEGER, k_sha3_256 INTEGER, k_blake3 INTEGER, k_sha512 INTEGER
);
CREATE INDEX IF NOT EXISTS files_exhibit ON files (exhibit_ref);
CREATE INDEX IF NOT EXISTS files_k_md5 ON files (k_md5) WHERE k_md5 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_k_sha1 ON files (k_sha1) WHERE k_sha1 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_k_sha256 ON files (k_sha256) WHERE k_sha256 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_k_sha3_256 ON files (k_sha3_256) WHERE k_sha3_256 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_k_blake3 ON files (k_blake3) WHERE k_blake3 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_k_sha512 ON files (k_sha512) WHERE k_sha512 IS NOT NULL;
";

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
                .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                    r.get(0)
                })
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
        tx.execute_batch(SCHEMA)
            .and_then(|_| {
                tx.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?1)",
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

/// `INSERT INTO files` of `rows` rows.
fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO files (exhibit_ref, path, size, md5, sha1, sha256, sha3_256, blake3, sha512, \
         k_md5, k_sha1, k_sha256, k_sha3_256, k_blake3, k_sha512) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    }
    sql
}

/// Binds `rows` (as many as the statement was prepared for) and runs it.
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

/// The digest indexes, dropped for a bulk load (see [`Backend::bulk_begin`]).
const DIGEST_INDEXES: [&str; 6] = [
    "files_k_md5",
    "files_k_sha1",
    "files_k_sha256",
    "files_k_sha3_256",
    "files_k_blake3",
    "files_k_sha512",
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
            let mut one = tx.prepare_cached(&insert_sql(1)).map_err(e)?;
            let mut many = tx.prepare_cached(&insert_sql(ROWS_PER_INSERT)).map_err(e)?;
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
                     WHERE f.k_{c} = ?1 AND f.{c} = ?2"
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
        let c = column(algo);
        let only = if case_key.is_some() {
            format!(
                "AND f2.k_{c} IN (SELECT f3.k_{c} FROM files f3 JOIN exhibits e3 ON e3.id = f3.exhibit_ref
                 JOIN cases c3 ON c3.id = e3.case_ref WHERE c3.case_key = ?1 AND f3.k_{c} IS NOT NULL)"
            )
        } else {
            String::new()
        };
        let sql = format!(
            "WITH s AS (SELECT f2.k_{c} AS k FROM files f2 JOIN exhibits e2 ON e2.id = f2.exhibit_ref
                        WHERE f2.k_{c} IS NOT NULL {only}
                        GROUP BY f2.k_{c} HAVING COUNT(DISTINCT e2.case_ref) > 1)
             SELECT f.{c}, c.case_key, c.case_id, c.dir, e.exhibit, f.path, f.size
             FROM s JOIN files f ON f.k_{c} = s.k JOIN exhibits e ON e.id = f.exhibit_ref
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
        let c = column(algo);
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT k_{c}, {c} FROM files WHERE k_{c} IS NOT NULL ORDER BY k_{c}"
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
}
