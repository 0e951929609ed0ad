//! The index schema, described once for both stores (`docs/guide/cross-case.md`,
//! "Schema"): the tables, their columns and indexes, and the statements
//! both stores run. SQLite ([`super::sqlite`]) and PostgreSQL
//! (`super::pg`) render this description in their dialect; they differ
//! only where the databases do:
//!
//! - the row id (`INTEGER PRIMARY KEY`, SQLite's rowid, against
//!   `BIGSERIAL PRIMARY KEY`) and integer and byte types (`INTEGER`/`BIGINT`,
//!   `BLOB`/`BYTEA`);
//! - what is indexed to find a digest: SQLite keeps an 8-byte integer key
//!   of each digest in a `k_ALGO` column and indexes that
//!   ([`super::sqlite::digest_key`]); PostgreSQL indexes the digest column;
//! - parameters (`?1` against `$1`) and how rows are loaded (multi-row
//!   `INSERT` against binary `COPY`).
//!
//! A change to what this renders is a new schema version for the store
//! concerned ([`super::sqlite::SCHEMA_VERSION`], [`super::SCHEMA_VERSION`]).
//! The text rendered here is the text each store has always executed, byte
//! for byte (a test below holds the DDL as it was written by hand before
//! this description): SQLite keeps the `CREATE` statements in its
//! `sqlite_master` table, so an index written by an earlier custodian and
//! one written now are the same file layout.

use std::borrow::Cow;

use super::ALGORITHMS;
use crate::hashing::Algorithm;

/// The SQL dialect of a store. (Without the feature `postgres` only the
/// tests render PostgreSQL, to keep its schema pinned.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A column type, named per dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
    /// The table's row id, assigned on insert.
    Id,
    /// A signed 64-bit integer.
    Integer,
    Text,
    /// Raw bytes (digests).
    Bytes,
}

impl ColumnType {
    fn sql(self, dialect: Dialect) -> &'static str {
        match (self, dialect) {
            (ColumnType::Id, Dialect::Sqlite) => "INTEGER PRIMARY KEY",
            (ColumnType::Id, Dialect::Postgres) => "BIGSERIAL PRIMARY KEY",
            // SQLite integers are up to 64 bits whatever the declared type.
            (ColumnType::Integer, Dialect::Sqlite) => "INTEGER",
            (ColumnType::Integer, Dialect::Postgres) => "BIGINT",
            (ColumnType::Text, _) => "TEXT",
            (ColumnType::Bytes, Dialect::Sqlite) => "BLOB",
            (ColumnType::Bytes, Dialect::Postgres) => "BYTEA",
        }
    }
}

/// A column: its name, type, and constraints (the same SQL in both
/// dialects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub constraints: &'static str,
}

fn col(name: impl Into<String>, ty: ColumnType, constraints: &'static str) -> Column {
    Column {
        name: name.into(),
        ty,
        constraints,
    }
}

/// A table. Its columns come in lines, as the DDL writes them (the six
/// digest columns share one line): the line breaks are part of the text
/// SQLite stores.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub name: &'static str,
    pub lines: Vec<Vec<Column>>,
    /// Table constraints after the columns, e.g. `UNIQUE (case_ref, exhibit)`.
    pub constraints: &'static [&'static str],
}

impl Table {
    pub fn columns(&self) -> impl Iterator<Item = &Column> {
        self.lines.iter().flatten()
    }
}

/// An index on one column; partial ones leave NULLs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Index {
    pub name: String,
    pub table: &'static str,
    pub column: String,
    pub skip_nulls: bool,
}

/// SQL column of an algorithm's digest (a fixed list: safe to format into
/// SQL).
pub(crate) fn column(algo: Algorithm) -> &'static str {
    match algo {
        Algorithm::Md5 => "md5",
        Algorithm::Sha1 => "sha1",
        Algorithm::Sha256 => "sha256",
        Algorithm::Sha3_256 => "sha3_256",
        Algorithm::Blake3 => "blake3",
        Algorithm::Sha512 => "sha512",
    }
}

impl Dialect {
    /// Whether `files` holds an integer key of each digest (`k_ALGO`),
    /// indexed instead of the digest (SQLite schema 2).
    pub fn has_digest_keys(self) -> bool {
        self == Dialect::Sqlite
    }

    /// The column a lookup of an `algo` digest goes through (and that is
    /// indexed): the key column where there is one, else the digest.
    pub fn search_column(self, algo: Algorithm) -> String {
        if self.has_digest_keys() {
            format!("k_{}", column(algo))
        } else {
            column(algo).to_string()
        }
    }

    /// A statement written with `$1`-style parameters, in this dialect:
    /// SQLite numbers them `?1`. (No statement here has a `$` in a
    /// literal.)
    pub fn sql(self, statement: &str) -> Cow<'_, str> {
        match self {
            Dialect::Postgres => Cow::Borrowed(statement),
            Dialect::Sqlite => Cow::Owned(statement.replace('$', "?")),
        }
    }
}

/// The tables, in creation order.
pub(crate) fn tables(dialect: Dialect) -> Vec<Table> {
    use ColumnType::{Bytes, Id, Integer, Text};
    let one = |c: Column| vec![c];
    let mut files = vec![
        one(col(
            "exhibit_ref",
            Integer,
            "NOT NULL REFERENCES exhibits(id)",
        )),
        one(col("path", Text, "NOT NULL")),
        one(col("size", Integer, "")),
        ALGORITHMS
            .iter()
            .map(|&a| col(column(a), Bytes, ""))
            .collect(),
    ];
    if dialect.has_digest_keys() {
        files.push(
            ALGORITHMS
                .iter()
                .map(|&a| col(dialect.search_column(a), Integer, ""))
                .collect(),
        );
    }
    vec![
        Table {
            name: "meta",
            lines: vec![vec![
                col("key", Text, "PRIMARY KEY"),
                col("value", Text, "NOT NULL"),
            ]],
            constraints: &[],
        },
        Table {
            name: "cases",
            lines: vec![
                one(col("id", Id, "")),
                one(col("case_key", Text, "NOT NULL UNIQUE")),
                one(col("case_id", Text, "NOT NULL")),
                one(col("dir", Text, "NOT NULL")),
            ],
            constraints: &[],
        },
        Table {
            name: "exhibits",
            lines: vec![
                one(col("id", Id, "")),
                one(col("case_ref", Integer, "NOT NULL REFERENCES cases(id)")),
                one(col("exhibit", Text, "NOT NULL")),
                one(col("manifest_sha256", Text, "NOT NULL")),
                one(col("acquired_seq", Integer, "NOT NULL")),
                one(col("files", Integer, "NOT NULL")),
                one(col("indexed_at", Text, "NOT NULL")),
            ],
            constraints: &["UNIQUE (case_ref, exhibit)"],
        },
        Table {
            name: "files",
            lines: files,
            constraints: &[],
        },
    ]
}

/// The index of the `algo` digests (dropped during a bulk load).
pub(crate) fn digest_index(dialect: Dialect, algo: Algorithm) -> Index {
    let column = dialect.search_column(algo);
    Index {
        name: format!("files_{column}"),
        table: "files",
        column,
        skip_nulls: true,
    }
}

/// The indexes, in creation order: the rows of an exhibit, then one per
/// digest algorithm.
pub(crate) fn indexes(dialect: Dialect) -> Vec<Index> {
    let mut out = vec![Index {
        name: "files_exhibit".into(),
        table: "files",
        column: "exhibit_ref".into(),
        skip_nulls: false,
    }];
    out.extend(ALGORITHMS.iter().map(|&a| digest_index(dialect, a)));
    out
}

fn column_ddl(c: &Column, dialect: Dialect) -> String {
    let mut s = format!("{} {}", c.name, c.ty.sql(dialect));
    if !c.constraints.is_empty() {
        s.push(' ');
        s.push_str(c.constraints);
    }
    s
}

fn table_ddl(t: &Table, dialect: Dialect) -> String {
    let mut lines: Vec<String> = t
        .lines
        .iter()
        .map(|line| {
            line.iter()
                .map(|c| column_ddl(c, dialect))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    lines.extend(t.constraints.iter().map(|c| c.to_string()));
    let body = if lines.len() == 1 {
        lines.remove(0)
    } else {
        format!("\n  {}\n", lines.join(",\n  "))
    };
    format!("CREATE TABLE IF NOT EXISTS {} ({body});", t.name)
}

fn index_ddl(ix: &Index) -> String {
    let only = if ix.skip_nulls {
        format!(" WHERE {} IS NOT NULL", ix.column)
    } else {
        String::new()
    };
    format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} ({}){only};",
        ix.name, ix.table, ix.column
    )
}

/// Creates whatever of the schema is missing (every statement is `IF NOT
/// EXISTS`); one batch of statements.
pub(crate) fn ddl(dialect: Dialect) -> String {
    let mut out = String::from("\n");
    for t in tables(dialect) {
        out.push_str(&table_ddl(&t, dialect));
        out.push('\n');
    }
    for ix in indexes(dialect) {
        out.push_str(&index_ddl(&ix));
        out.push('\n');
    }
    out
}

/// The columns of `files`, in the order rows are loaded.
pub(crate) fn file_columns(dialect: Dialect) -> Vec<Column> {
    let files = tables(dialect).pop().expect("files is the last table");
    debug_assert_eq!(files.name, "files");
    files.columns().cloned().collect()
}

fn file_column_list(dialect: Dialect) -> String {
    file_columns(dialect)
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// SQLite: one `INSERT INTO files` of `rows` rows (anonymous `?`
/// parameters, row by row in [`file_columns`] order).
pub(crate) fn insert_files(rows: usize) -> String {
    let n = file_columns(Dialect::Sqlite).len();
    let one = format!("({})", vec!["?"; n].join(","));
    format!(
        "INSERT INTO files ({}) VALUES {}",
        file_column_list(Dialect::Sqlite),
        vec![one; rows].join(",")
    )
}

/// PostgreSQL: the binary `COPY` of rows into `files` ([`file_columns`]
/// order).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn copy_files() -> String {
    format!(
        "COPY files ({}) FROM STDIN BINARY",
        file_column_list(Dialect::Postgres)
    )
}

/// The statements both stores run, with `$1`-style parameters (render with
/// [`Dialect::sql`]).
pub(crate) mod stmt {
    pub const SCHEMA_VERSION: &str = "SELECT value FROM meta WHERE key = 'schema'";
    pub const SET_SCHEMA_VERSION: &str =
        "INSERT INTO meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO NOTHING";
    pub const INDEXED_MANIFEST: &str =
        "SELECT e.manifest_sha256 FROM exhibits e JOIN cases c ON c.id = e.case_ref \
         WHERE c.case_key = $1 AND e.exhibit = $2";
    /// Records a case (or its new id and folder); returns its row id.
    pub const UPSERT_CASE: &str = "INSERT INTO cases (case_key, case_id, dir) VALUES ($1, $2, $3) \
         ON CONFLICT (case_key) DO UPDATE SET case_id = excluded.case_id, dir = excluded.dir \
         RETURNING id";
    pub const EXHIBIT_ID: &str = "SELECT id FROM exhibits WHERE case_ref = $1 AND exhibit = $2";
    pub const DELETE_FILES: &str = "DELETE FROM files WHERE exhibit_ref = $1";
    pub const DELETE_EXHIBIT: &str = "DELETE FROM exhibits WHERE id = $1";
    /// Records an exhibit with no files yet; returns its row id.
    pub const INSERT_EXHIBIT: &str =
        "INSERT INTO exhibits (case_ref, exhibit, manifest_sha256, acquired_seq, files, indexed_at) \
         VALUES ($1, $2, $3, $4, 0, $5) RETURNING id";
    pub const SET_FILES: &str = "UPDATE exhibits SET files = $1 WHERE id = $2";
    pub const FIND_CASES: &str = "SELECT case_key, case_id, dir FROM cases \
         WHERE case_id = $1 OR dir = $1 OR case_key = $1 ORDER BY case_id, dir";
    pub const STATS: &str =
        "SELECT (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM exhibits), \
         (SELECT COUNT(*) FROM files)";
}

/// The columns of a hit after its digest (`f.ALGO`): case key, case id,
/// folder, exhibit, path, size.
const HIT: &str = "c.case_key, c.case_id, c.dir, e.exhibit, f.path, f.size";
/// From a row of `files f` to its exhibit `e` and case `c`.
const TO_CASE: &str = "JOIN exhibits e ON e.id = f.exhibit_ref JOIN cases c ON c.id = e.case_ref";

/// `SELECT` of the places of `algo` digests, in the column order of a hit
/// (digest, case key, case id, folder, exhibit, path, size), before the
/// `WHERE`.
pub(crate) fn select_hits(algo: Algorithm) -> String {
    format!("SELECT f.{}, {HIT} FROM files f {TO_CASE}", column(algo))
}

/// Every place (as [`select_hits`]) of an `algo` search-column value held
/// by more than one case; with `of_case`, only values the case `$1` holds.
/// Where the search column is a key, keys of different digests may
/// collide: the caller regroups by digest.
pub(crate) fn shared_hits(dialect: Dialect, algo: Algorithm, of_case: bool) -> String {
    let k = dialect.search_column(algo);
    let c = column(algo);
    let only = if of_case {
        format!(
            "AND f2.{k} IN (SELECT f3.{k} FROM files f3 JOIN exhibits e3 ON e3.id = f3.exhibit_ref \
             JOIN cases c3 ON c3.id = e3.case_ref WHERE c3.case_key = $1 AND f3.{k} IS NOT NULL)"
        )
    } else {
        String::new()
    };
    let sql = format!(
        "WITH s AS (SELECT f2.{k} AS k FROM files f2 JOIN exhibits e2 ON e2.id = f2.exhibit_ref \
         WHERE f2.{k} IS NOT NULL {only} \
         GROUP BY f2.{k} HAVING COUNT(DISTINCT e2.case_ref) > 1) \
         SELECT f.{c}, {HIT} FROM s JOIN files f ON f.{k} = s.k {TO_CASE}"
    );
    dialect.sql(&sql).into_owned()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The SQLite schema as written by hand up to schema version 2's
    /// introduction (then `sqlite.rs`'s `SCHEMA`). SQLite stores each
    /// `CREATE` text in `sqlite_master`: it must not change.
    pub(crate) const SQLITE_DDL_AS_WRITTEN: &str = "
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

    /// The PostgreSQL schema (version 1) as written by hand in `pg.rs`.
    const POSTGRES_DDL_AS_WRITTEN: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
  id BIGSERIAL PRIMARY KEY,
  case_key TEXT NOT NULL UNIQUE,
  case_id TEXT NOT NULL,
  dir TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exhibits (
  id BIGSERIAL PRIMARY KEY,
  case_ref BIGINT NOT NULL REFERENCES cases(id),
  exhibit TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  acquired_seq BIGINT NOT NULL,
  files BIGINT NOT NULL,
  indexed_at TEXT NOT NULL,
  UNIQUE (case_ref, exhibit)
);
CREATE TABLE IF NOT EXISTS files (
  exhibit_ref BIGINT NOT NULL REFERENCES exhibits(id),
  path TEXT NOT NULL,
  size BIGINT,
  md5 BYTEA, sha1 BYTEA, sha256 BYTEA, sha3_256 BYTEA, blake3 BYTEA, sha512 BYTEA
);
CREATE INDEX IF NOT EXISTS files_exhibit ON files (exhibit_ref);
CREATE INDEX IF NOT EXISTS files_md5 ON files (md5) WHERE md5 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_sha1 ON files (sha1) WHERE sha1 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_sha256 ON files (sha256) WHERE sha256 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_sha3_256 ON files (sha3_256) WHERE sha3_256 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_blake3 ON files (blake3) WHERE blake3 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_sha512 ON files (sha512) WHERE sha512 IS NOT NULL;
";

    #[test]
    fn rendered_ddl_is_the_ddl_unchecked() {
        assert_eq!(ddl(Dialect::Sqlite), SQLITE_DDL_AS_WRITTEN);
        assert_eq!(ddl(Dialect::Postgres), POSTGRES_DDL_AS_WRITTEN);
    }

    #[test]
    fn loads_are_the_statements_unchecked() {
        assert_eq!(
            insert_files(2),
            "INSERT INTO files (exhibit_ref, path, size, md5, sha1, sha256, sha3_256, blake3, sha512, \
             k_md5, k_sha1, k_sha256, k_sha3_256, k_blake3, k_sha512) VALUES \
             (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?),(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        );
        assert_eq!(
            copy_files(),
            "COPY files (exhibit_ref, path, size, md5, sha1, sha256, sha3_256, blake3, sha512) FROM STDIN BINARY"
        );
    }

    /// The stores bind a row as: exhibit, path, size, the digests in
    /// [`ALGORITHMS`] order, then (SQLite) their keys in the same order.
    #[test]
    fn file_columns_are_in_binding_order() {
        let mut want = vec!["exhibit_ref", "path", "size"];
        want.extend(ALGORITHMS.map(column));
        let names = |d| -> Vec<String> { file_columns(d).into_iter().map(|c| c.name).collect() };
        assert_eq!(names(Dialect::Postgres), want);
        let keys: Vec<String> = ALGORITHMS.map(|a| format!("k_{}", column(a))).into();
        let mut want: Vec<String> = want.into_iter().map(String::from).collect();
        want.extend(keys);
        assert_eq!(names(Dialect::Sqlite), want);
    }

    #[test]
    fn parameters_are_numbered_per_dialect() {
        assert_eq!(
            Dialect::Sqlite.sql(stmt::EXHIBIT_ID),
            "SELECT id FROM exhibits WHERE case_ref = ?1 AND exhibit = ?2"
        );
        assert_eq!(Dialect::Postgres.sql(stmt::EXHIBIT_ID), stmt::EXHIBIT_ID);
        assert!(shared_hits(Dialect::Sqlite, Algorithm::Sha1, true).contains("c3.case_key = ?1"));
        assert!(shared_hits(Dialect::Postgres, Algorithm::Sha1, true).contains("c3.case_key = $1"));
    }
}
