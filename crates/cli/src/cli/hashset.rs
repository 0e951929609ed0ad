//! `custodian hashset`: import, list, show, remove and match hash sets.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use custodian::hashing::Algorithm;
use custodian::hashset::{
    default_dir, matching, Column, ImportOptions, Kind, Matcher, ParseError, SetMeta, SourceFormat,
    Store, StoreError, STORE_ENV,
};
use custodian::ledger::HashsetMatch;
use serde_json::json;

use super::args::KeyArg;
use super::common::{open_case, print_json};
use super::term::{errln, outln};
use super::EXIT_INVALID;

pub const LONG_ABOUT: &str = "\
Manage hash sets (known-good, known-bad, notable) and match exhibits against them.

A hash set is a list of digests a lab trusts to mean something: NIST's NSRL \
(known-good operating system and application files), a list of known \
contraband or malware (known-bad), or digests an investigation wants to \
notice (notable). Sets live in a store folder outside any case (--hashsets, \
CUSTODIAN_HASHSETS, default $XDG_DATA_HOME/custodian/hashsets), one folder \
per set, each digest list sorted for binary search and checked against its \
recorded SHA-256 whenever it is used (docs/guide/hashsets.md).

Matching an exhibit (`hashset match`, or `acquire --hashset NAME`) appends a \
signed exhibit.hashset-match entry naming the sets used (name, kind, version, \
source SHA-256, counts), the number of known-good files and every known-bad \
or notable match; reports mark known-good files (and can hide them with \
--hide-known-good) and list every known-bad or notable match as a finding \
(HASH-KNOWN-BAD, HASH-NOTABLE).";

/// Manage hash sets and match exhibits against them.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian hashset import nsrl-2024.12 RDS_2024.12.1_modern_minimal.db --kind known-good\n  custodian hashset import csam-2026-03 list.txt --kind known-bad --version 2026-03\n  custodian hashset import partner partner.csv --kind notable --column SHA256\n  custodian hashset list\n  custodian hashset match cases/0042 --exhibit EXH-001 --hashset csam-2026-03\n  custodian report cases/0042 --hide-known-good -o report.html"
)]
pub struct HashsetArgs {
    /// The store folder (default: $XDG_DATA_HOME/custodian/hashsets, or
    /// ~/.local/share/custodian/hashsets).
    #[arg(long, env = STORE_ENV, hide_env_values = true, value_name = "DIR", global = true)]
    pub hashsets: Option<PathBuf>,
    #[command(subcommand)]
    pub command: HashsetCommand,
}

#[derive(Subcommand, Debug)]
pub enum HashsetCommand {
    /// Import a hash set from a file (plain, *sum, hashdeep, DFXML, CSV, NSRL RDSv3).
    ///
    /// Formats (--format, detected when not given): `plain`, one hex digest a
    /// line (algorithm from the length: 32 md5, 40 sha1, 64 sha256 unless
    /// --algorithm says sha3-256 or blake3, 128 sha512); `sum`, the lines of
    /// sha256sum, md5sum, sha1sum or BSD `SHA256 (name) = …`; `hashdeep`;
    /// `dfxml`; `csv` with --column NAME (the first row is the header) or
    /// --column N (1-based; the first row is taken as a header if that column
    /// does not hold a digest); `nsrl-rds3`, an NSRL RDSv3 SQLite database
    /// (sha256, sha1 and md5 of table FILE; its release from table VERSION).
    ///
    /// Every digest is checked: a malformed line, a non-hex digest or a wrong
    /// length stops the import with the file and line (exit 2) and nothing is
    /// written. The set is written to a temporary folder, synced, then renamed
    /// into place; an existing name is refused unless --replace is given.
    #[command(
        after_help = "Examples:\n  custodian hashset import nsrl RDS_2024.12.1_modern_minimal.db --kind known-good\n  custodian hashset import bad-2026-03 list.sha256 --kind known-bad --version 2026-03\n  custodian hashset import b3 digests.txt --kind notable --algorithm blake3\n  custodian hashset import partner export.csv --kind notable --column \"SHA-256\""
    )]
    Import(ImportArgs),
    /// List the sets in the store.
    List(ListArgs),
    /// Show one set and check its files (exit 1 if they were altered).
    ///
    /// Shows its source, version, import time and counts, after
    /// checking each data file against the SHA-256 in set.json (exit 1 if a
    /// file was altered).
    Show(ShowArgs),
    /// Remove a set from the store.
    Remove(RemoveArgs),
    /// Match exhibits of a case against sets and record the result (signed entry).
    ///
    /// Each exhibit's manifest is checked against its signed SHA-256, then every
    /// regular file is looked up, on every algorithm both the file and a set
    /// have, in every chosen set (all sets of the store when no --hashset is
    /// given). One signed exhibit.hashset-match entry per exhibit records the
    /// sets (name, kind, version, source SHA-256, counts), the known-good files
    /// and each known-bad or notable match. Run it again when sets are updated:
    /// each run is a new entry.
    #[command(
        after_help = "Examples:\n  custodian hashset match cases/0042 --key ~/.custodian/jdoe\n  custodian hashset match cases/0042 --exhibit EXH-001 --hashset nsrl --hashset bad-2026-03 --json"
    )]
    Match(MatchArgs),
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The set's name: letters, digits, '.', '_' or '-' (max 64).
    pub name: String,
    /// The file to import.
    pub file: PathBuf,
    /// What a match means: known-good, known-bad or notable.
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Kind,
    /// The source format: plain, sum, hashdeep, dfxml, csv, nsrl-rds3
    /// (default: detected).
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub format: Option<SourceFormat>,
    /// The algorithm of 64-digit digests (sha256, sha3-256, blake3) or of
    /// every digest in the file.
    #[arg(long, value_name = "ALGO", value_parser = parse_algorithm)]
    pub algorithm: Option<Algorithm>,
    /// For CSV: the column holding the digests, by header name or 1-based
    /// number.
    #[arg(long, value_name = "NAME|N", value_parser = parse_column)]
    pub column: Option<Column>,
    /// The set's release (read from an NSRL database when not given).
    #[arg(long = "version", value_name = "VERSION")]
    pub set_version: Option<String>,
    /// Replace an existing set of the same name.
    #[arg(long)]
    pub replace: bool,
    /// Print the new set's description as JSON.
    #[arg(long)]
    pub json: bool,
}

/// List the sets in the store.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// One JSON object per set (JSON Lines).
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    pub name: String,
    /// Print set.json and the check result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Remove a set from the store.
#[derive(clap::Args, Debug)]
pub struct RemoveArgs {
    pub name: String,
}

#[derive(clap::Args, Debug)]
pub struct MatchArgs {
    /// The case folder.
    pub case: PathBuf,
    /// Exhibits to match (repeatable; default: every exhibit).
    #[arg(long, value_name = "ID")]
    pub exhibit: Vec<String>,
    /// Sets to match against (repeatable; default: every set in the store).
    #[arg(long = "hashset", value_name = "NAME")]
    pub hashset: Vec<String>,
    /// Print one JSON object per exhibit (the recorded body and its entry).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub key: KeyArg,
}

fn parse_kind(s: &str) -> Result<Kind, ParseError> {
    s.parse()
}
fn parse_format(s: &str) -> Result<SourceFormat, ParseError> {
    s.parse()
}
fn parse_algorithm(s: &str) -> Result<Algorithm, custodian::hashing::AlgorithmError> {
    s.parse()
}
fn parse_column(s: &str) -> Result<Column, ParseError> {
    s.parse()
}

/// The store folder: as given, else the environment's, else the default.
pub fn store_dir(given: Option<&Path>) -> Result<PathBuf> {
    match given {
        Some(d) => Ok(d.to_path_buf()),
        None => match std::env::var_os(STORE_ENV).filter(|v| !v.is_empty()) {
            Some(d) => Ok(PathBuf::from(d)),
            None => default_dir().context(
                "no hash-set store: give --hashsets DIR or set CUSTODIAN_HASHSETS (neither XDG_DATA_HOME nor HOME is set)",
            ),
        },
    }
}

fn open_store(dir: &Path) -> Result<Store> {
    Store::open(dir).with_context(|| format!("cannot open the hash-set store {}", dir.display()))
}

pub fn run(args: HashsetArgs) -> Result<ExitCode> {
    let dir = store_dir(args.hashsets.as_deref())?;
    match args.command {
        HashsetCommand::Import(a) => import(&dir, a),
        HashsetCommand::List(a) => list(&dir, a),
        HashsetCommand::Show(a) => show(&dir, a),
        HashsetCommand::Remove(a) => {
            let store = open_store(&dir)?;
            let meta = store.remove(&a.name)?;
            outln!(
                "removed hash set {} ({}) from {}",
                meta.name,
                meta.kind,
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        HashsetCommand::Match(a) => run_match(&dir, a),
    }
}

fn import(dir: &Path, a: ImportArgs) -> Result<ExitCode> {
    let store = Store::create(dir)
        .with_context(|| format!("cannot open the hash-set store {}", dir.display()))?;
    let opts = ImportOptions {
        name: a.name.clone(),
        kind: a.kind,
        format: a.format,
        algorithm: a.algorithm,
        column: a.column,
        version: a.set_version,
        replace: a.replace,
    };
    let meta = store
        .import(&a.file, &opts)
        .map_err(store_error)
        .with_context(|| {
            format!(
                "cannot import hash set {} from {}",
                a.name,
                a.file.display()
            )
        })?;
    if a.json {
        print_json(&json!(meta));
    } else {
        outln!(
            "imported hash set {} ({}) into {}",
            meta.name,
            meta.kind,
            store.dir().join(&meta.name).display()
        );
        describe(&meta);
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(meta: &SetMeta) {
    outln!(
        "  source:   {} ({}, {} bytes, sha256 {})",
        meta.source.file_name,
        meta.source.format.as_str(),
        meta.source.bytes,
        meta.source.sha256
    );
    if let Some(v) = &meta.version {
        outln!("  version:  {v}");
    }
    outln!("  imported: {}", meta.imported);
    outln!("  read:     {} digest(s)", meta.source.digests_read);
    for (algo, d) in &meta.algorithms {
        outln!("  {algo}: {} distinct digest(s)", d.count);
    }
}

fn list(dir: &Path, a: ListArgs) -> Result<ExitCode> {
    let store = open_store(dir)?;
    let sets = store.list()?;
    if a.json {
        for s in &sets {
            print_json(&json!(s.meta));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if sets.is_empty() {
        outln!("no hash sets in {}", dir.display());
    }
    for s in &sets {
        let m = &s.meta;
        let counts: Vec<String> = m
            .algorithms
            .iter()
            .map(|(a, d)| format!("{a} {}", d.count))
            .collect();
        outln!(
            "{:<24} {:<10} {:<12} {} ({})",
            m.name,
            m.kind.as_str(),
            m.version.as_deref().unwrap_or("-"),
            counts.join(", "),
            m.source.file_name
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn show(dir: &Path, a: ShowArgs) -> Result<ExitCode> {
    let store = open_store(dir)?;
    let set = store.get(&a.name).map_err(store_error)?;
    let problem = match set.check() {
        Ok(()) => None,
        Err(e @ StoreError::Tampered { .. }) => Some(store_error(e).to_string()),
        Err(e) => return Err(e.into()),
    };
    if a.json {
        let mut v = json!(set.meta);
        v["check"] = json!(if problem.is_none() { "ok" } else { "altered" });
        if let Some(p) = &problem {
            v["problem"] = json!(p);
        }
        print_json(&v);
    } else {
        outln!("hash set {} ({})", set.meta.name, set.meta.kind);
        describe(&set.meta);
        match &problem {
            None => outln!("  check:    every data file matches set.json"),
            Some(p) => errln!("custodian: {p}"),
        }
    }
    Ok(if problem.is_some() {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    })
}

/// Loads the chosen sets (all when `names` is empty), checking every file.
pub fn load_matcher(dir: &Path, names: &[String]) -> Result<Matcher> {
    let store = open_store(dir)?;
    let matcher = store.matcher_for(names).map_err(store_error)?;
    if matcher.is_empty() {
        bail!(
            "the hash-set store {} holds no set to match against",
            dir.display()
        );
    }
    Ok(matcher)
}

/// Prints what a recorded match found.
pub fn print_match(m: &HashsetMatch, seq: u64) {
    let sets: Vec<String> = m
        .sets
        .iter()
        .map(|s| format!("{} ({})", s.name, s.kind))
        .collect();
    outln!(
        "matched exhibit {} against {}: {} file(s), {} known-good, {} known-bad/notable match(es) (entry {seq})",
        m.exhibit,
        sets.join(", "),
        m.files,
        m.known_good,
        m.matches.len()
    );
    for hit in &m.matches {
        outln!(
            "  {}: {} in {} ({} {})",
            hit.kind.to_uppercase(),
            hit.path,
            hit.set,
            hit.algorithm,
            hit.digest
        );
    }
}

fn run_match(dir: &Path, a: MatchArgs) -> Result<ExitCode> {
    let case = open_case(&a.case)?;
    let state = case.ledger().state()?;
    for x in &a.exhibit {
        if !state.exhibits.contains_key(x.as_str()) {
            bail!(
                "--exhibit {x}: case {} has no such exhibit",
                a.case.display()
            );
        }
    }
    let exhibits: Vec<String> = if a.exhibit.is_empty() {
        state.exhibits.keys().map(|x| x.to_string()).collect()
    } else {
        a.exhibit.clone()
    };
    if exhibits.is_empty() {
        bail!("case {} has no exhibit to match", a.case.display());
    }
    let matcher = load_matcher(dir, &a.hashset)?;
    let key = a.key.load()?;
    for x in &exhibits {
        let body = matching::match_exhibit(&case, x, &matcher)
            .with_context(|| format!("cannot match exhibit {x}"))?;
        let appended = matching::record(&case, &key, &body)
            .with_context(|| format!("cannot record the hash-set match of exhibit {x}"))?;
        if a.json {
            print_json(&json!({"entry": appended.entry.seq, "head": appended.hash, "match": body}));
        } else {
            print_match(&body, appended.entry.seq);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The engine's error with the command-line advice that fits it: the
/// engine names what is wrong, the command says which flag changes it.
fn store_error(e: StoreError) -> anyhow::Error {
    let hint = match &e {
        StoreError::Exists { .. } => "give --replace to replace it",
        StoreError::Tampered { .. } => "re-import it with `custodian hashset import --replace`",
        StoreError::ColumnWithoutCsv => "--column is only for --format csv",
        StoreError::CsvNeedsColumn => "--format csv needs --column NAME|N",
        _ => return e.into(),
    };
    anyhow::anyhow!("{e}; {hint}")
}
