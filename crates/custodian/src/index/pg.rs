//! The scale index: the same schema ([`super::schema`]) in PostgreSQL
//! (through the pure-Rust `postgres` client, no libpq), for a lab-wide
//! store of billions of rows. Built only with the cargo feature `postgres`.
//! Rows go in with binary `COPY`, one transaction per exhibit; lookups
//! batch digests into `= ANY($1)`. Tables are created in the first schema
//! of the connection's `search_path`.

use std::time::Duration;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use postgres::{Client, Config, NoTls};

use super::schema::{self, column, stmt, words_stmt, ColumnType, Dialect};
use super::words::{prefix_upper, Found, TextRow};
use super::{
    Backend, CaseRef, ExhibitRef, FileRow, Hit, IndexError, RowSource, Stats, ALGORITHMS,
    SCHEMA_VERSION,
};
use crate::hashing::Algorithm;

/// The dialect this store renders the schema ([`super::schema`]) in.
const SQL: Dialect = Dialect::Postgres;

/// The type of a column in a binary `COPY`.
fn copy_type(t: ColumnType) -> Type {
    match t {
        ColumnType::Id | ColumnType::Integer => Type::INT8,
        ColumnType::Text => Type::TEXT,
        ColumnType::Bytes => Type::BYTEA,
    }
}

/// An index in a PostgreSQL database.
pub struct PgIndex {
    server: String,
    client: Client,
    /// A bulk load dropped the digest indexes ([`Backend::bulk_begin`]).
    bulk: bool,
}

impl PgIndex {
    /// Connects to `url` (`postgres://user:password@host:port/db`, with
    /// any libpq-style parameters the `postgres` crate understands) and
    /// creates the schema if needed. Gives up after 5 s unless the URL sets
    /// `connect_timeout`.
    pub fn connect(url: &str) -> Result<PgIndex, IndexError> {
        let mut config: Config = url.parse().map_err(|e| IndexError::Connect {
            server: redact(url),
            message: format!("invalid URL: {e}"),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        let server = describe(&config);
        let client = config.connect(NoTls).map_err(|e| IndexError::Connect {
            server: server.clone(),
            message: error_text(&e),
        })?;
        let mut ix = PgIndex {
            server,
            client,
            bulk: false,
        };
        ix.init()?;
        Ok(ix)
    }

    fn err(&self, e: postgres::Error) -> IndexError {
        IndexError::Store {
            index: self.server.clone(),
            message: error_text(&e),
        }
    }

    fn init(&mut self) -> Result<(), IndexError> {
        let mut tx = self.client.transaction().map_err(|e| IndexError::Store {
            index: self.server.clone(),
            message: error_text(&e),
        })?;
        // Two first runs at once must not race to create the tables.
        let r = tx
            .batch_execute("SELECT pg_advisory_xact_lock(7394820011)")
            .and_then(|_| migrate_from_1(&mut tx))
            .and_then(|_| migrate_from_2(&mut tx))
            .and_then(|_| tx.batch_execute(&schema::ddl(SQL)))
            .and_then(|_| tx.batch_execute(schema::words_ddl(SQL)))
            .and_then(|_| tx.execute(stmt::SET_SCHEMA_VERSION, &[&SCHEMA_VERSION.to_string()]))
            .and_then(|_| tx.query_one(stmt::SCHEMA_VERSION, &[]))
            .and_then(|row| {
                let v: String = row.get(0);
                tx.commit().map(|_| v)
            });
        let v = r.map_err(|e| self.err(e))?;
        if v != SCHEMA_VERSION.to_string() {
            return Err(IndexError::Store {
                index: self.server.clone(),
                message: format!(
                    "schema version {v}, this custodian knows version {SCHEMA_VERSION}"
                ),
            });
        }
        Ok(())
    }
}

/// The schema version a store records, or `None` for a new store (no
/// `meta` table, or no version row in it): what each migration step checks
/// before it acts.
fn stored_version(tx: &mut postgres::Transaction<'_>) -> Result<Option<String>, postgres::Error> {
    let has_meta: bool = tx
        .query_one("SELECT to_regclass('meta') IS NOT NULL", &[])?
        .get(0);
    if !has_meta {
        return Ok(None);
    }
    Ok(tx
        .query_opt(stmt::SCHEMA_VERSION, &[])?
        .map(|row| row.get(0)))
}

/// Schema 1 to 2, in place (the caller's transaction): drops the foreign
/// key of `files.exhibit_ref`; nothing else changed. A store that is not
/// at version 1 is left alone.
fn migrate_from_1(tx: &mut postgres::Transaction<'_>) -> Result<(), postgres::Error> {
    if stored_version(tx)?.as_deref() != Some("1") {
        return Ok(());
    }
    tx.batch_execute(
        "ALTER TABLE files DROP CONSTRAINT IF EXISTS files_exhibit_ref_fkey; \
         UPDATE meta SET value = '2' WHERE key = 'schema'",
    )
}

/// Schema 2 to 3, in place (the caller's transaction): adds the tables of
/// the words of exhibits ([`schema::words_ddl`]); nothing else changed.
/// The cases already indexed become findable by words at their next
/// `index add`. A store that is not at version 2 is left alone.
fn migrate_from_2(tx: &mut postgres::Transaction<'_>) -> Result<(), postgres::Error> {
    if stored_version(tx)?.as_deref() != Some("2") {
        return Ok(());
    }
    tx.batch_execute(schema::words_ddl(SQL))?;
    tx.batch_execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
}

/// `postgres://user@host:port/db`, without the password.
fn describe(c: &Config) -> String {
    let hosts: Vec<String> = c
        .get_hosts()
        .iter()
        .zip(c.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(h, p)| match h {
            postgres::config::Host::Tcp(h) => format!("{h}:{p}"),
            postgres::config::Host::Unix(d) => format!("{}:{p}", d.display()),
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        c.get_user().unwrap_or(""),
        hosts.join(","),
        c.get_dbname().unwrap_or("")
    )
}

/// A URL we could not parse, without anything that looks like a password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

/// The error and its causes on one line.
fn error_text(e: &postgres::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
        src = s.source();
    }
    msg
}

fn hit(algo: Algorithm, r: &postgres::Row) -> Hit {
    Hit {
        algorithm: algo,
        digest: r.get(0),
        case_key: r.get(1),
        case_id: r.get(2),
        case_dir: r.get(3),
        exhibit: r.get(4),
        path: r.get(5),
        size: r.get::<_, Option<i64>>(6).map(|s| s as u64),
    }
}

/// Smallest load for which dropping and rebuilding the digest indexes pays
/// (as in SQLite: building a b-tree once from sorted keys beats millions
/// of random inserts into three of them).
const BULK_MIN_ROWS: u64 = 50_000;

impl Backend for PgIndex {
    fn bulk_begin(&mut self, rows: u64) -> Result<(), IndexError> {
        if rows < BULK_MIN_ROWS {
            return Ok(());
        }
        // An estimate is enough to decide (an exact count reads the table).
        let held: i64 = self
            .client
            .query_one(
                "SELECT COALESCE((SELECT reltuples::BIGINT FROM pg_class \
                 WHERE oid = to_regclass('files')), 0)",
                &[],
            )
            .map_err(|e| self.err(e))?
            .get(0);
        if rows < held.max(0) as u64 {
            return Ok(());
        }
        for algo in ALGORITHMS {
            let ix = schema::digest_index(algo);
            self.client
                .batch_execute(&format!("DROP INDEX IF EXISTS {}", ix.name))
                .map_err(|e| self.err(e))?;
        }
        self.bulk = true;
        Ok(())
    }

    fn bulk_end(&mut self) -> Result<(), IndexError> {
        // Sorting for the index builds gets memory for this session only;
        // every index is built once, from the table as it now is.
        self.client
            .batch_execute("SET maintenance_work_mem = '256MB'")
            .and_then(|_| self.client.batch_execute(&schema::ddl(SQL)))
            .map_err(|e| self.err(e))?;
        if std::mem::take(&mut self.bulk) {
            // Statistics now, not when autovacuum gets to it: without them
            // the planner takes a freshly loaded table for 50,000 rows a
            // digest and JIT-compiles every lookup (p50 107 ms against
            // 24 ms for one `index search` of a 10,000,000-row index).
            self.client
                .batch_execute("ANALYZE files; ANALYZE exhibits; ANALYZE cases")
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        self.server.clone()
    }

    fn indexed_manifest(
        &mut self,
        case_key: &str,
        exhibit: &str,
    ) -> Result<Option<String>, IndexError> {
        let r = self
            .client
            .query_opt(stmt::INDEXED_MANIFEST, &[&case_key, &exhibit]);
        Ok(r.map_err(|e| self.err(e))?.map(|row| row.get(0)))
    }

    fn replace_exhibit(
        &mut self,
        case: &CaseRef,
        exhibit: &ExhibitRef,
        rows: &mut RowSource<'_>,
    ) -> Result<u64, IndexError> {
        let server = self.server.clone();
        let e = |e: postgres::Error| IndexError::Store {
            index: server.clone(),
            message: error_text(&e),
        };
        let mut tx = self.client.transaction().map_err(e)?;
        let case_ref: i64 = tx
            .query_one(stmt::UPSERT_CASE, &[&case.key, &case.case_id, &case.dir])
            .map_err(e)?
            .get(0);
        let old = tx
            .query_opt(stmt::EXHIBIT_ID, &[&case_ref, &exhibit.exhibit])
            .map_err(e)?;
        if let Some(old) = old {
            let old: i64 = old.get(0);
            tx.execute(stmt::DELETE_FILES, &[&old]).map_err(e)?;
            tx.execute(stmt::DELETE_EXHIBIT, &[&old]).map_err(e)?;
        }
        let ex_ref: i64 = tx
            .query_one(
                stmt::INSERT_EXHIBIT,
                &[
                    &case_ref,
                    &exhibit.exhibit,
                    &exhibit.manifest_sha256,
                    &(exhibit.acquired_seq as i64),
                    &crate::time::format(crate::time::now()),
                ],
            )
            .map_err(e)?
            .get(0);
        let mut n = 0u64;
        {
            let sink = tx.copy_in(&schema::copy_files()).map_err(e)?;
            let types: Vec<Type> = schema::file_columns(SQL)
                .iter()
                .map(|c| copy_type(c.ty))
                .collect();
            // Values in the order of schema::file_columns.
            let mut w = BinaryCopyInWriter::new(sink, &types);
            rows(&mut |r: FileRow| {
                let size = r.size.map(|s| s as i64);
                let [d0, d1, d2, d3, d4, d5] = r.digests.each_ref().map(|d| d.as_deref());
                w.write(&[&ex_ref, &r.path, &size, &d0, &d1, &d2, &d3, &d4, &d5])
                    .map_err(e)?;
                n += 1;
                Ok(())
            })?;
            w.finish().map_err(e)?;
        }
        tx.execute(stmt::SET_FILES, &[&(n as i64), &ex_ref])
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n)
    }

    fn lookup(&mut self, digests: &[(Algorithm, Vec<u8>)]) -> Result<Vec<Hit>, IndexError> {
        let mut out = Vec::new();
        for algo in ALGORITHMS {
            let want: Vec<&[u8]> = digests
                .iter()
                .filter(|(a, _)| *a == algo)
                .map(|(_, d)| d.as_slice())
                .collect();
            if want.is_empty() {
                continue;
            }
            let k = column(algo);
            let rows = self
                .client
                .query(
                    &format!(
                        "{} WHERE f.{k} = ANY($1) AND f.{k} IS NOT NULL",
                        schema::select_hits(algo)
                    ),
                    &[&want],
                )
                .map_err(|e| self.err(e))?;
            out.extend(rows.iter().map(|r| hit(algo, r)));
        }
        Ok(out)
    }

    fn shared(&mut self, algo: Algorithm, case_key: Option<&str>) -> Result<Vec<Hit>, IndexError> {
        let sql = schema::shared_hits(SQL, algo, case_key.is_some());
        let rows = match case_key {
            Some(k) => self.client.query(&sql, &[&k]),
            None => self.client.query(&sql, &[]),
        }
        .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| hit(algo, r)).collect())
    }

    fn for_each_digest(
        &mut self,
        algo: Algorithm,
        f: &mut dyn FnMut(&[u8]) -> Result<(), IndexError>,
    ) -> Result<(), IndexError> {
        use postgres::fallible_iterator::FallibleIterator;
        let c = column(algo);
        let server = self.server.clone();
        let e = |e: postgres::Error| IndexError::Store {
            index: server.clone(),
            message: error_text(&e),
        };
        let params: [&(dyn postgres::types::ToSql + Sync); 0] = [];
        let mut it = self
            .client
            .query_raw(
                &format!("SELECT DISTINCT {c} FROM files WHERE {c} IS NOT NULL"),
                params,
            )
            .map_err(e)?;
        while let Some(row) = it.next().map_err(e)? {
            let d: &[u8] = row.get(0);
            f(d)?;
        }
        Ok(())
    }

    fn find_cases(&mut self, name: &str) -> Result<Vec<CaseRef>, IndexError> {
        let rows = self
            .client
            .query(stmt::FIND_CASES, &[&name])
            .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| CaseRef {
                key: r.get(0),
                case_id: r.get(1),
                dir: r.get(2),
            })
            .collect())
    }

    fn replace_texts(
        &mut self,
        case: &CaseRef,
        exhibit: &str,
        texts: &[TextRow],
    ) -> Result<(), IndexError> {
        let server = self.server.clone();
        let e = |e: postgres::Error| IndexError::Store {
            index: server.clone(),
            message: error_text(&e),
        };
        let mut tx = self.client.transaction().map_err(e)?;
        let case_ref: i64 = tx
            .query_one(stmt::UPSERT_CASE, &[&case.key, &case.case_id, &case.dir])
            .map_err(e)?
            .get(0);
        let exhibit = exhibit.to_string();
        tx.execute(words_stmt::DELETE_TOKENS, &[&case_ref, &exhibit])
            .map_err(e)?;
        tx.execute(words_stmt::DELETE_TEXTS, &[&case_ref, &exhibit])
            .map_err(e)?;
        let text_st = tx.prepare(words_stmt::INSERT_TEXT).map_err(e)?;
        let token_st = tx.prepare(words_stmt::INSERT_TOKEN).map_err(e)?;
        for t in texts {
            let id: i64 = tx
                .query_one(
                    &text_st,
                    &[
                        &case_ref,
                        &exhibit,
                        &(t.seq as i64),
                        &t.entry,
                        &t.field,
                        &t.text,
                    ],
                )
                .map_err(e)?
                .get(0);
            for w in t.tokens() {
                tx.execute(&token_st, &[&w, &id]).map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    fn texts_with_word(&mut self, word: &str, prefix: bool) -> Result<Vec<Found>, IndexError> {
        let upper = if prefix { prefix_upper(word) } else { None };
        let word = word.to_string();
        let rows = match (prefix, &upper) {
            (false, _) => self.client.query(&words_stmt::with_word(), &[&word]),
            (true, Some(u)) => self
                .client
                .query(&words_stmt::with_word_in(true), &[&word, u]),
            (true, None) => self
                .client
                .query(&words_stmt::with_word_in(false), &[&word]),
        }
        .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| Found {
                case_id: r.get(0),
                case_key: r.get(1),
                case_dir: r.get(2),
                exhibit: r.get(3),
                seq: r.get::<_, i64>(4) as u64,
                entry: r.get(5),
                field: r.get(6),
                text: r.get(7),
            })
            .collect())
    }

    fn stats(&mut self) -> Result<Stats, IndexError> {
        let r = self
            .client
            .query_one(stmt::STATS, &[])
            .map_err(|e| self.err(e))?;
        Ok(Stats {
            cases: r.get::<_, i64>(0) as u64,
            exhibits: r.get::<_, i64>(1) as u64,
            files: r.get::<_, i64>(2) as u64,
        })
    }
}
