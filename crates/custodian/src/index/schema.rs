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
//!   of each digest ([`super::sqlite::digest_key`]) with the file's id in
//!   one `WITHOUT ROWID` table per algorithm (`keys_ALGO`, schema 3),
//!   which a bulk load fills in key order from keys sorted in Rust;
//!   PostgreSQL indexes the digest column;
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
    pub name: String,
    pub lines: Vec<Vec<Column>>,
    /// Table constraints after the columns, e.g. `UNIQUE (case_ref, exhibit)`.
    pub constraints: &'static [&'static str],
    /// SQLite: the table is its primary key's b-tree (`WITHOUT ROWID`).
    pub without_rowid: bool,
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

/// SQLite: the table of the integer keys of `algo` digests and the ids of
/// the files holding them (schema 3).
pub(crate) fn key_table(algo: Algorithm) -> String {
    format!("keys_{}", column(algo))
}

impl Dialect {
    /// Whether digests are found through key tables (`keys_ALGO`: the
    /// 8-byte integer key of each digest and the file's id, SQLite schema
    /// 3) rather than an index of the digest column; `files` then has an
    /// explicit `id`.
    pub fn has_digest_keys(self) -> bool {
        self == Dialect::Sqlite
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
    let mut files = Vec::new();
    if dialect.has_digest_keys() {
        // The key tables name a file by this id; an explicit INTEGER
        // PRIMARY KEY is never renumbered (VACUUM may renumber a rowid).
        files.push(one(col("id", Id, "AUTOINCREMENT")));
    }
    files.extend([
        // No REFERENCES: a foreign-key check per row cost PostgreSQL about
        // 9 µs of a row's load (10,000,000 rows: 90 s). custodian keeps
        // the reference itself: an exhibit's row is written before its
        // files, in the same transaction, and its files are deleted before
        // it (PostgreSQL schema 2, SQLite schema 3).
        one(col("exhibit_ref", Integer, "NOT NULL")),
        one(col("path", Text, "NOT NULL")),
        one(col("size", Integer, "")),
        ALGORITHMS
            .iter()
            .map(|&a| col(column(a), Bytes, ""))
            .collect(),
    ]);
    let mut out = vec![
        Table {
            name: "meta".into(),
            lines: vec![vec![
                col("key", Text, "PRIMARY KEY"),
                col("value", Text, "NOT NULL"),
            ]],
            constraints: &[],
            without_rowid: false,
        },
        Table {
            name: "cases".into(),
            lines: vec![
                one(col("id", Id, "")),
                one(col("case_key", Text, "NOT NULL UNIQUE")),
                one(col("case_id", Text, "NOT NULL")),
                one(col("dir", Text, "NOT NULL")),
            ],
            constraints: &[],
            without_rowid: false,
        },
        Table {
            name: "exhibits".into(),
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
            without_rowid: false,
        },
        Table {
            name: "files".into(),
            lines: files,
            constraints: &[],
            without_rowid: false,
        },
    ];
    if dialect.has_digest_keys() {
        out.extend(ALGORITHMS.iter().map(|&a| Table {
            name: key_table(a),
            lines: vec![vec![
                col("k", Integer, "NOT NULL"),
                col("file", Integer, "NOT NULL"),
            ]],
            constraints: &["PRIMARY KEY (k, file)"],
            without_rowid: true,
        }));
    }
    out
}

/// PostgreSQL: the index of the `algo` digests (dropped during a bulk
/// load). SQLite has key tables instead.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn digest_index(algo: Algorithm) -> Index {
    let column = column(algo).to_string();
    Index {
        name: format!("files_{column}"),
        table: "files",
        column,
        skip_nulls: true,
    }
}

/// The indexes, in creation order: the rows of an exhibit, then (without
/// key tables) one per digest algorithm.
pub(crate) fn indexes(dialect: Dialect) -> Vec<Index> {
    let mut out = vec![Index {
        name: "files_exhibit".into(),
        table: "files",
        column: "exhibit_ref".into(),
        skip_nulls: false,
    }];
    if !dialect.has_digest_keys() {
        out.extend(ALGORITHMS.iter().map(|&a| digest_index(a)));
    }
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
    let rowid = if t.without_rowid && dialect == Dialect::Sqlite {
        " WITHOUT ROWID"
    } else {
        ""
    };
    format!("CREATE TABLE IF NOT EXISTS {} ({body}){rowid};", t.name)
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
    let files = tables(dialect)
        .into_iter()
        .find(|t| t.name == "files")
        .expect("a files table");
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

/// SQLite: one `INSERT` of `rows` (key, file id) pairs into the key table
/// of `algo`; `or_ignore` for a rebuild that may find pairs already there.
pub(crate) fn insert_keys(algo: Algorithm, rows: usize, or_ignore: bool) -> String {
    format!(
        "INSERT {}INTO {} (k, file) VALUES {}",
        if or_ignore { "OR IGNORE " } else { "" },
        key_table(algo),
        vec!["(?,?)"; rows].join(",")
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

/// The tables of the words of exhibits (`index find`, [`super::words`]):
/// SQLite schema 4, PostgreSQL schema 3. They are kept apart from the
/// description above, whose rendering is pinned byte for byte: created
/// after it, `IF NOT EXISTS`, by both stores and by the migrations from
/// the versions before.
///
/// `texts` holds one field of one signed entry about one exhibit (the
/// exhibit by its id in the case, so the words do not depend on the
/// exhibit's file rows); `tokens` holds the distinct words of each text,
/// as [`super::words::tokenize`] cut them. PostgreSQL compares the words
/// with the `C` collation (byte order), as SQLite does by default: a
/// prefix is found as a byte range in both.
pub(crate) fn words_ddl(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "
CREATE TABLE IF NOT EXISTS texts (
  id INTEGER PRIMARY KEY,
  case_ref INTEGER NOT NULL,
  exhibit TEXT NOT NULL,
  seq INTEGER NOT NULL,
  entry TEXT NOT NULL,
  field TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  token TEXT NOT NULL, text_ref INTEGER NOT NULL,
  PRIMARY KEY (token, text_ref)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS texts_exhibit ON texts (case_ref, exhibit);
CREATE INDEX IF NOT EXISTS tokens_text ON tokens (text_ref);
"
        }
        Dialect::Postgres => {
            "
CREATE TABLE IF NOT EXISTS texts (
  id BIGSERIAL PRIMARY KEY,
  case_ref BIGINT NOT NULL,
  exhibit TEXT NOT NULL,
  seq BIGINT NOT NULL,
  entry TEXT NOT NULL,
  field TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  token TEXT COLLATE \"C\" NOT NULL, text_ref BIGINT NOT NULL,
  PRIMARY KEY (token, text_ref)
);
CREATE INDEX IF NOT EXISTS texts_exhibit ON texts (case_ref, exhibit);
CREATE INDEX IF NOT EXISTS tokens_text ON tokens (text_ref);
"
        }
    }
}

/// The statements of the words of exhibits, with `$1`-style parameters.
pub(crate) mod words_stmt {
    pub const DELETE_TOKENS: &str = "DELETE FROM tokens WHERE text_ref IN \
         (SELECT id FROM texts WHERE case_ref = $1 AND exhibit = $2)";
    pub const DELETE_TEXTS: &str = "DELETE FROM texts WHERE case_ref = $1 AND exhibit = $2";
    /// Records one text; returns its row id.
    pub const INSERT_TEXT: &str = "INSERT INTO texts (case_ref, exhibit, seq, entry, field, text) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    pub const INSERT_TOKEN: &str = "INSERT INTO tokens (token, text_ref) VALUES ($1, $2)";
    /// The columns of a [`super::super::words::Found`], in its order.
    const FOUND: &str =
        "SELECT c.case_id, c.case_key, c.dir, t.exhibit, t.seq, t.entry, t.field, t.text \
         FROM tokens k JOIN texts t ON t.id = k.text_ref JOIN cases c ON c.id = t.case_ref";
    /// The texts holding the word `$1`.
    pub fn with_word() -> String {
        format!("{FOUND} WHERE k.token = $1")
    }
    /// The texts holding a word from `$1` (included) to `$2` (excluded),
    /// or from `$1` on without an upper bound.
    pub fn with_word_in(bounded: bool) -> String {
        if bounded {
            format!("{FOUND} WHERE k.token >= $1 AND k.token < $2")
        } else {
            format!("{FOUND} WHERE k.token >= $1")
        }
    }
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
/// `WHERE`. PostgreSQL: the digest column is indexed.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn select_hits(algo: Algorithm) -> String {
    format!("SELECT f.{}, {HIT} FROM files f {TO_CASE}", column(algo))
}

/// SQLite: the places (as [`select_hits`]) of one `algo` digest, found
/// through its key `?1` and confirmed on the full digest `?2`.
pub(crate) fn lookup_by_key(algo: Algorithm) -> String {
    let c = column(algo);
    format!(
        "SELECT f.{c}, {HIT} FROM {} x JOIN files f ON f.id = x.file {TO_CASE} \
         WHERE x.k = ?1 AND f.{c} = ?2",
        key_table(algo)
    )
}

/// Every place (as [`select_hits`]) of an `algo` digest held by more than
/// one case; with `of_case`, only digests the case `$1` holds. Where
/// digests are found through keys (SQLite), this groups by key, and keys
/// of different digests may collide: the caller regroups by digest.
pub(crate) fn shared_hits(dialect: Dialect, algo: Algorithm, of_case: bool) -> String {
    let c = column(algo);
    // The value grouped on, and the rows (of `files`, aliased f2/f3/f)
    // that hold it.
    let (v, from2, from3, from) = if dialect.has_digest_keys() {
        let t = key_table(algo);
        (
            "x{}.k".to_string(),
            format!("{t} x2 JOIN files f2 ON f2.id = x2.file"),
            format!("{t} x3 JOIN files f3 ON f3.id = x3.file"),
            format!("{t} x ON x.k = s.v JOIN files f ON f.id = x.file"),
        )
    } else {
        (
            format!("f{{}}.{c}"),
            "files f2".to_string(),
            "files f3".to_string(),
            format!("files f ON f.{c} = s.v"),
        )
    };
    let v = |n: &str| v.replace("{}", n);
    let (v2, v3) = (v("2"), v("3"));
    let only = if of_case {
        format!(
            "AND {v2} IN (SELECT {v3} FROM {from3} JOIN exhibits e3 ON e3.id = f3.exhibit_ref \
             JOIN cases c3 ON c3.id = e3.case_ref WHERE c3.case_key = $1 AND {v3} IS NOT NULL)"
        )
    } else {
        String::new()
    };
    let sql = format!(
        "WITH s AS (SELECT {v2} AS v FROM {from2} JOIN exhibits e2 ON e2.id = f2.exhibit_ref \
         WHERE {v2} IS NOT NULL {only} \
         GROUP BY {v2} HAVING COUNT(DISTINCT e2.case_ref) > 1) \
         SELECT f.{c}, {HIT} FROM s JOIN {from} {TO_CASE}"
    );
    dialect.sql(&sql).into_owned()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The SQLite schema version 2, as written by hand (then `sqlite.rs`'s
    /// `SCHEMA`), kept to make a schema-2 file in tests: it is refused
    /// with how to rebuild it.
    pub(crate) const SQLITE_2_DDL: &str = "
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

    /// The SQLite schema version 3: `files` with an explicit id, the
    /// digest keys in key tables. SQLite stores each `CREATE` text in
    /// `sqlite_master`: within a schema version it must not change.
    pub(crate) const SQLITE_3_DDL: &str = "
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
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  exhibit_ref INTEGER NOT NULL,
  path TEXT NOT NULL,
  size INTEGER,
  md5 BLOB, sha1 BLOB, sha256 BLOB, sha3_256 BLOB, blake3 BLOB, sha512 BLOB
);
CREATE TABLE IF NOT EXISTS keys_md5 (
  k INTEGER NOT NULL, file INTEGER NOT NULL,
  PRIMARY KEY (k, file)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys_sha1 (
  k INTEGER NOT NULL, file INTEGER NOT NULL,
  PRIMARY KEY (k, file)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys_sha256 (
  k INTEGER NOT NULL, file INTEGER NOT NULL,
  PRIMARY KEY (k, file)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys_sha3_256 (
  k INTEGER NOT NULL, file INTEGER NOT NULL,
  PRIMARY KEY (k, file)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys_blake3 (
  k INTEGER NOT NULL, file INTEGER NOT NULL,
  PRIMARY KEY (k, file)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys_sha512 (
  k INTEGER NOT NULL, file INTEGER NOT NULL,
  PRIMARY KEY (k, file)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS files_exhibit ON files (exhibit_ref);
";

    /// The PostgreSQL schema version 2: version 1 (as written by hand in
    /// `pg.rs`) without the foreign key of `files.exhibit_ref`.
    const POSTGRES_DDL: &str = "
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
  exhibit_ref BIGINT NOT NULL,
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
    fn rendered_ddl_is_the_ddl_as_written() {
        assert_eq!(ddl(Dialect::Sqlite), SQLITE_3_DDL);
        assert_eq!(ddl(Dialect::Postgres), POSTGRES_DDL);
    }

    #[test]
    fn loads_are_the_statements_as_written() {
        assert_eq!(
            insert_files(2),
            "INSERT INTO files (id, exhibit_ref, path, size, md5, sha1, sha256, sha3_256, blake3, sha512) \
             VALUES (?,?,?,?,?,?,?,?,?,?),(?,?,?,?,?,?,?,?,?,?)"
        );
        assert_eq!(
            insert_keys(Algorithm::Sha1, 2, true),
            "INSERT OR IGNORE INTO keys_sha1 (k, file) VALUES (?,?),(?,?)"
        );
        assert_eq!(
            copy_files(),
            "COPY files (exhibit_ref, path, size, md5, sha1, sha256, sha3_256, blake3, sha512) FROM STDIN BINARY"
        );
    }

    /// The stores bind a row as: (SQLite) its id, then exhibit, path,
    /// size, the digests in [`ALGORITHMS`] order.
    #[test]
    fn file_columns_are_in_binding_order() {
        let mut want = vec!["exhibit_ref", "path", "size"];
        want.extend(ALGORITHMS.map(column));
        let names = |d| -> Vec<String> { file_columns(d).into_iter().map(|c| c.name).collect() };
        assert_eq!(names(Dialect::Postgres), want);
        want.insert(0, "id");
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
