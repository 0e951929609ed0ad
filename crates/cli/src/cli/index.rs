//! `custodian index`: the cross-case index and blinded matching with a
//! partner agency (docs/guide/cross-case.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use custodian::hashing::Algorithm;
use custodian::index::{self, blinded, Backend, DigestSet, ExhibitOutcome, Hit, KnownGood};
use custodian::ledger::VerifyOptions;
use serde_json::json;

use super::args::{OptionalKeyArg, TrustArgs};
use super::common::{open_case, print_json};
use super::term::{errln, outln};
use super::{EXIT_ERROR, EXIT_INVALID, EXIT_OK};

const LONG_ABOUT: &str = "\
The cross-case index: find the same file in several cases, and match with a partner agency without revealing anything else.

`index add` reads the manifests of case folders (a lab's whole evidence store) into an index: digest -> (case, exhibit, path, size). Only manifests bound to a ledger that verifies are indexed, and only if their bytes hash to the SHA-256 recorded in the signed exhibit.acquire entry; anything skipped is named with the reason. Re-running it is incremental: an exhibit already indexed under the same manifest SHA-256 is skipped.

`index search`, `index links` and `index find` (exhibits by words: ids, descriptions, devices, seals, places, holders, authority references) answer from the index alone. `index export-blinded` and `index match-blinded` exchange HMAC-SHA256(shared key, digest) lists with a partner: each side learns which of its own files the other holds, an interceptor without the key learns only a count.

The index is a SQLite file (WAL mode) or a PostgreSQL database (--index postgres://user:password@host/db). Default: $XDG_DATA_HOME/custodian/index.sqlite, else ~/.local/share/custodian/index.sqlite.";

const EXAMPLES: &str = "\
Examples:
  custodian index add cases/*                       # index (or refresh) every case
  custodian index search 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
  custodian index links FR-LYON-2026-0042           # what this case shares with others
  custodian index find SEAL-2026/0042               # exhibits by words
  custodian index links --json --known-good nsrl-subset.txt
  custodian index --index postgres://custodian@db.lab/index add /evidence/cases/*
  custodian index keygen --out exchange-2026-11.key # send it to the partner out of band
  custodian index export-blinded --key-file exchange-2026-11.key --out ours.blinded
  custodian index match-blinded theirs.blinded --key-file exchange-2026-11.key \\
      --record --partner \"BKA Wiesbaden\" --key ~/.custodian/jdoe";

/// Cross-case index: shared files between cases, blinded matching with partners.
#[derive(clap::Args, Debug)]
#[command(long_about = LONG_ABOUT, after_long_help = EXAMPLES)]
pub struct IndexArgs {
    #[command(flatten)]
    pub location: IndexArg,
    #[command(subcommand)]
    pub command: IndexCommand,
}

/// Where the cross-case index is: declared once, for every command that
/// opens it. The environment variable's value is never shown in `--help`:
/// a PostgreSQL URL in it may hold a password.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct IndexArg {
    /// The index: a SQLite file path or a postgres:// URL (or set CUSTODIAN_INDEX).
    ///
    /// Default: $XDG_DATA_HOME/custodian/index.sqlite, else
    /// ~/.local/share/custodian/index.sqlite. A PostgreSQL URL is
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE; the tables are made on
    /// first use in the first schema of the search_path.
    #[arg(
        long,
        env = "CUSTODIAN_INDEX",
        hide_env_values = true,
        value_name = "PATH|URL",
        global = true
    )]
    pub index: Option<String>,
}

impl IndexArg {
    /// Opens (creating if needed) the index given, else the default one.
    pub fn open(&self) -> Result<Box<dyn Backend>> {
        let loc = match &self.index {
            Some(l) if !l.is_empty() => l.clone(),
            _ => index::default_location()
                .context("no --index given, and neither XDG_DATA_HOME nor HOME is set")?
                .display()
                .to_string(),
        };
        Ok(index::open(&loc)?)
    }
}

/// Known-good sets: files that say nothing about a case (operating system
/// and application files). Their digests are left out of results.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct KnownGoodArgs {
    /// A hash list of known-good files (any list `custodian diff` reads:
    /// sha256sum/md5sum lines, hashdeep, DFXML, a manifest). Repeatable.
    #[arg(long, value_name = "LIST")]
    pub known_good: Vec<PathBuf>,
    /// A hash-set store made by `custodian hashset import` (its known-good sets).
    #[arg(long, value_name = "DIR")]
    pub hashsets: Option<PathBuf>,
}

impl KnownGoodArgs {
    fn load(&self) -> Result<KnownGoodFilter> {
        let store = match &self.hashsets {
            Some(dir) => {
                let store = custodian::hashset::Store::open(dir)
                    .with_context(|| format!("cannot open hash-set store {}", dir.display()))?;
                let m = store
                    .matcher(&[custodian::hashset::Kind::KnownGood])
                    .with_context(|| format!("hash-set store {}", dir.display()))?;
                Some(m)
            }
            None => None,
        };
        let mut lists = DigestSet::default();
        for path in &self.known_good {
            let list = custodian::hashlist::HashList::load(path, None)
                .with_context(|| format!("cannot read known-good list {}", path.display()))?;
            for f in &list.files {
                for (a, h) in f.digests.iter() {
                    if let Ok(bytes) = hex::decode(h) {
                        lists.insert(a, bytes);
                    }
                }
            }
        }
        Ok(KnownGoodFilter {
            lists,
            store,
            error: std::sync::Mutex::new(None),
        })
    }
}

/// Known-good lists given on the command line plus the known-good sets of a
/// hash-set store. A store lookup reads its data file and can fail; the
/// first failure is kept and [`KnownGoodFilter::check`] turns it into an
/// error after the run, so a damaged store never silently filters nothing.
struct KnownGoodFilter {
    lists: DigestSet,
    store: Option<custodian::hashset::Matcher>,
    error: std::sync::Mutex<Option<custodian::hashset::StoreError>>,
}

impl KnownGood for KnownGoodFilter {
    fn is_known_good(&self, algo: Algorithm, digest: &[u8]) -> bool {
        if self.lists.is_known_good(algo, digest) {
            return true;
        }
        let Some(m) = &self.store else { return false };
        match m.contains(algo, digest) {
            Ok(found) => found,
            Err(e) => {
                let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
                slot.get_or_insert(e);
                false
            }
        }
    }
}

impl KnownGoodFilter {
    /// Fails if any store lookup failed during the run.
    fn check(self) -> Result<()> {
        match self.error.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err(e).context("known-good hash-set lookup failed"),
            None => Ok(()),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum IndexCommand {
    /// Index (or refresh) the manifests of case folders.
    ///
    /// Each case's ledger is verified first; a case whose ledger does not
    /// verify is not indexed at all. Each exhibit's manifest is re-hashed as
    /// it is read and committed only if it matches the signed
    /// exhibit.acquire entry. Exhibits already indexed under the same
    /// manifest SHA-256 are skipped; the words of every exhibit (what
    /// `index find` searches) are refreshed all the same. Exit 0 all
    /// indexed or unchanged, 1
    /// something was skipped because it is not as recorded, 2 a case could
    /// not be read (the others are still indexed).
    #[command(after_help = "Example:\n  custodian index add cases/0041 cases/0042")]
    Add(AddArgs),
    /// Where are these digests? (HEX, or ALGO:HEX when the length is ambiguous)
    #[command(
        after_help = "Example:\n  custodian index search sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )]
    Search(SearchArgs),
    /// Find exhibits by words (ids, devices, seals, places, holders, authorities).
    ///
    /// Searches what the signed entries of the indexed (verified) cases say
    /// about each exhibit: its id, description, source, the source device's
    /// make, model and serial, the imaging record's examiner, numbers,
    /// description and notes, and from custody events the seals, locations,
    /// holders, recipients, purposes and authority references.
    ///
    /// Query syntax: the arguments are joined into one query; terms are
    /// separated by spaces and every term must match (AND) within one
    /// exhibit. A term is cut into words like the texts are (Unicode word
    /// segmentation, lower-cased, no stemming), so SEAL-2026/0042 is the
    /// words seal 2026 0042 and matches only where they follow each other in
    /// one text; so does a "quoted phrase", or an argument that holds a
    /// space. A term ending in * matches words that start with it (Sams*).
    /// Punctuation, case and accents written as combining marks do not
    /// matter; accented letters do (e is not é).
    ///
    /// Each line names the case, the exhibit, the field and the entry that
    /// says it (sequence number and entry-hash prefix), ordered by case id,
    /// exhibit, entry, field. SQLite and PostgreSQL indexes give the same
    /// results in the same order. Exit 0 something found, 1 nothing found,
    /// 2 a query with no words or an index that cannot be read.
    #[command(
        after_help = "Examples:\n  custodian index find samsung\n  custodian index find SEAL-2026/0042\n  custodian index find 'Galaxy S21' lyon --json\n  custodian index find 'Sams*' --index postgres://custodian@db.lab/index"
    )]
    Find(FindArgs),
    /// Files and exhibits shared between cases, with counts.
    ///
    /// Files are compared by one digest algorithm (sha256 unless
    /// --algorithm); exhibits acquired without it do not take part.
    #[command(after_help = "Example:\n  custodian index links FR-LYON-2026-0042 --json")]
    Links(LinksArgs),
    /// Counts of cases, exhibits and files in the index.
    Stats {
        /// One JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Write a new random shared key (32 bytes, hex) for a blinded exchange.
    ///
    /// Give it to the partner out of band (in person, encrypted mail), use
    /// it for one exchange, then destroy it. The file is made with mode 0600
    /// and never overwritten.
    #[command(after_help = "Example:\n  custodian index keygen --out exchange-2026-11.key")]
    Keygen {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Write HMAC-SHA256(shared key, digest) of every indexed digest.
    ///
    /// The file holds no path, case or exhibit: a header line (format,
    /// version, algorithm, count) and the MACs, sorted and distinct.
    #[command(
        after_help = "Example:\n  custodian index export-blinded --key-file exchange.key --out lyon.blinded"
    )]
    ExportBlinded(ExportBlindedArgs),
    /// Which of our files does the partner also hold?
    ///
    /// Blinds our digests with the shared key and looks each up in the
    /// partner's blinded file. With --record, appends a signed note to each
    /// case concerned citing the exchange (file SHA-256, partner, matches,
    /// exhibits).
    #[command(
        after_help = "Example:\n  custodian index match-blinded bka.blinded --key-file exchange.key --record --partner BKA --key ~/.custodian/jdoe",
        mut_arg("key", |a| a.help("Signing key for --record (or CUSTODIAN_KEY)"))
    )]
    MatchBlinded(MatchBlindedArgs),
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// Case folders.
    #[arg(required = true, value_name = "CASE")]
    cases: Vec<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    #[arg(required_unless_present = "digests_from", value_name = "DIGEST")]
    digests: Vec<String>,
    /// Also read digests from FILE, one per line (blank lines ignored).
    #[arg(long, value_name = "FILE")]
    digests_from: Option<PathBuf>,
    #[command(flatten)]
    known: KnownGoodArgs,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct FindArgs {
    /// The words to find; every term must match (syntax in --help).
    #[arg(required = true, value_name = "TEXT")]
    text: Vec<String>,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct LinksArgs {
    /// Only links of this case (its folder, case id or key).
    #[arg(value_name = "CASE")]
    case: Option<String>,
    /// The digest that identifies a file's content.
    #[arg(long, default_value = "sha256", value_name = "ALGO")]
    algorithm: Algorithm,
    /// List only the exhibit pairs, not every shared file.
    #[arg(long)]
    no_files: bool,
    #[command(flatten)]
    known: KnownGoodArgs,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct ExportBlindedArgs {
    /// The shared key (hex, at least 32 bytes; see `index keygen`).
    #[arg(long, value_name = "FILE")]
    key_file: PathBuf,
    /// Where to write the blinded file (never overwritten).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Which digests to blind; both sides must use the same one.
    #[arg(long, default_value = "sha256", value_name = "ALGO")]
    algorithm: Algorithm,
    #[command(flatten)]
    known: KnownGoodArgs,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct MatchBlindedArgs {
    /// The partner's blinded file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The shared key.
    #[arg(long, value_name = "FILE")]
    key_file: PathBuf,
    /// Append a signed note to each case with a match.
    #[arg(long, requires_all = ["partner", "key"])]
    record: bool,
    /// The partner agency, as the notes should name it.
    #[arg(long, value_name = "LABEL")]
    partner: Option<String>,
    #[command(flatten)]
    key: OptionalKeyArg,
    #[command(flatten)]
    known: KnownGoodArgs,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: IndexArgs) -> Result<ExitCode> {
    let at = &args.location;
    match args.command {
        IndexCommand::Keygen { out } => keygen(&out),
        IndexCommand::Add(a) => add(at, a),
        IndexCommand::Search(a) => search(at, a),
        IndexCommand::Find(a) => find(at, a),
        IndexCommand::Links(a) => links(at, a),
        IndexCommand::Stats { json } => stats(at, json),
        IndexCommand::ExportBlinded(a) => export_blinded(at, a),
        IndexCommand::MatchBlinded(a) => match_blinded(at, a),
    }
}

fn keygen(out: &Path) -> Result<ExitCode> {
    blinded::generate_key(out)?;
    outln!(
        "wrote a 32-byte shared key to {} (mode 0600); give it to the partner out of band and use it for one exchange only",
        out.display()
    );
    Ok(ExitCode::from(EXIT_OK))
}

fn add(at: &IndexArg, a: AddArgs) -> Result<ExitCode> {
    let opts = VerifyOptions {
        trusted_roots: a.trust.roots()?,
        ..VerifyOptions::default()
    };
    let mut ix = at.open()?;
    run_add(ix.as_mut(), &a.cases, &opts, a.json)
}

/// The digests given as arguments, then those of `--digests-from`.
fn digests_asked(a: &SearchArgs) -> Result<Vec<String>> {
    let mut digests = a.digests.clone();
    if let Some(f) = &a.digests_from {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        digests.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    Ok(digests)
}

fn search(at: &IndexArg, a: SearchArgs) -> Result<ExitCode> {
    let digests = digests_asked(&a)?;
    let known = a.known.load()?;
    let mut wanted = Vec::new();
    for d in &digests {
        wanted.extend(index::parse_digest(d)?);
    }
    let mut ix = at.open()?;
    let r = index::search(ix.as_mut(), &wanted, &known)?;
    known.check()?;
    let found: std::collections::HashSet<String> =
        r.hits.iter().map(|h| hex::encode(&h.digest)).collect();
    let not_found: Vec<&String> = digests
        .iter()
        .filter(|d| {
            let hexd = d.rsplit(':').next().unwrap_or(d).to_ascii_lowercase();
            !found.contains(&hexd)
        })
        .collect();
    if a.json {
        print_json(&json!({
            "index": ix.describe(),
            "hits": r.hits,
            "cases": count_cases(&r.hits),
            "known_good": r.known_good,
            "not_found": not_found,
        }));
    } else {
        for h in &r.hits {
            outln!("{}", hit_line(h));
        }
        for d in &not_found {
            outln!("{d}: not in the index (or known good)");
        }
        outln!(
            "{} place(s) in {} case(s); {} digest(s) known good, not searched",
            r.hits.len(),
            count_cases(&r.hits),
            r.known_good
        );
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// The query the arguments make: joined by spaces; an argument holding
/// white space and no quote is one phrase.
fn query_text(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.chars().any(char::is_whitespace) && !a.contains('"') {
                format!("\"{a}\"")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn find(at: &IndexArg, a: FindArgs) -> Result<ExitCode> {
    let query = index::words::parse_query(&query_text(&a.text))?;
    let mut ix = at.open()?;
    let r = index::find(ix.as_mut(), &query)?;
    let exhibits: std::collections::BTreeSet<(&str, &str)> = r
        .found
        .iter()
        .map(|f| (f.case_key.as_str(), f.exhibit.as_str()))
        .collect();
    let cases: std::collections::BTreeSet<&str> =
        r.found.iter().map(|f| f.case_key.as_str()).collect();
    if a.json {
        print_json(&json!({
            "index": ix.describe(),
            "query": r.query,
            "found": r.found,
            "exhibits": exhibits.len(),
            "cases": cases.len(),
        }));
    } else {
        for f in &r.found {
            outln!(
                "{} {}  {}: {}  (entry {} {})",
                f.case_id,
                f.exhibit,
                f.field,
                f.text,
                f.seq,
                &f.entry[..f.entry.len().min(12)]
            );
        }
        if r.found.is_empty() {
            outln!("nothing found in {}", ix.describe());
        } else {
            outln!(
                "{} text(s) in {} exhibit(s) of {} case(s)",
                r.found.len(),
                exhibits.len(),
                cases.len()
            );
        }
    }
    Ok(ExitCode::from(if r.found.is_empty() {
        EXIT_INVALID
    } else {
        EXIT_OK
    }))
}

fn links(at: &IndexArg, a: LinksArgs) -> Result<ExitCode> {
    let known = a.known.load()?;
    let mut ix = at.open()?;
    let key = match &a.case {
        Some(c) => Some(resolve_case(ix.as_mut(), c)?),
        None => None,
    };
    let mut l = index::links(ix.as_mut(), a.algorithm, key.as_deref(), &known)?;
    known.check()?;
    if a.no_files {
        l.files.clear();
    }
    if a.json {
        print_json(&json!({
            "index": ix.describe(),
            "algorithm": a.algorithm.name(),
            "shared_files": l.files.len(),
            "links": l.links,
            "files": l.files,
            "known_good": l.known_good,
        }));
    } else {
        print_links(&l);
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn print_links(l: &index::Links) {
    outln!(
        "{} exhibit pair(s) in different cases share files ({}; {} shared content(s) known good, ignored)",
        l.links.len(),
        l.algorithm.name(),
        l.known_good
    );
    for k in &l.links {
        outln!(
            "  {} {}  <->  {} {}: {} shared file(s)",
            k.a.case_id,
            k.a.exhibit,
            k.b.case_id,
            k.b.exhibit,
            k.shared
        );
    }
    for f in &l.files {
        outln!("{} in {} cases:", hex::encode(&f.digest), f.cases);
        for h in &f.places {
            outln!(
                "  {} {} {}{}",
                h.case_id,
                h.exhibit,
                h.path,
                size_text(h.size)
            );
        }
    }
}

fn stats(at: &IndexArg, json: bool) -> Result<ExitCode> {
    let mut ix = at.open()?;
    let s = ix.stats()?;
    if json {
        print_json(
            &json!({"index": ix.describe(), "cases": s.cases, "exhibits": s.exhibits, "files": s.files}),
        );
    } else {
        outln!(
            "{}: {} case(s), {} exhibit(s), {} file(s)",
            ix.describe(),
            s.cases,
            s.exhibits,
            s.files
        );
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn export_blinded(at: &IndexArg, a: ExportBlindedArgs) -> Result<ExitCode> {
    let key = blinded::load_key(&a.key_file)?;
    let known = a.known.load()?;
    let mut ix = at.open()?;
    let e = blinded::export(ix.as_mut(), a.algorithm, &key, &known, &a.out)?;
    if let Err(err) = known.check() {
        // The file may hold known-good digests it should not.
        let _ = std::fs::remove_file(&a.out);
        return Err(err);
    }
    if a.json {
        print_json(&json!({
            "out": a.out.display().to_string(),
            "algorithm": a.algorithm.name(),
            "count": e.count,
            "sha256": e.sha256,
            "known_good": e.known_good,
        }));
    } else {
        outln!(
            "wrote {} blinded {} digest(s) to {} (sha256 {}); {} known-good left out",
            e.count,
            a.algorithm.name(),
            a.out.display(),
            e.sha256,
            e.known_good
        );
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn match_blinded(at: &IndexArg, a: MatchBlindedArgs) -> Result<ExitCode> {
    let bkey = blinded::load_key(&a.key_file)?;
    let theirs = blinded::read(&a.file)?;
    let known = a.known.load()?;
    let signing = if a.record { a.key.load()? } else { None };
    let mut ix = at.open()?;
    let m = blinded::match_file(ix.as_mut(), &theirs, &bkey, &known)?;
    known.check()?;
    let mut recorded = Vec::new();
    if let Some(signing) = &signing {
        let partner = a.partner.as_deref().unwrap_or_default();
        for (case, hits) in by_case(&m.hits) {
            let entry = blinded::record_match(Path::new(&case), &hits, &theirs, partner, signing)?
                .entry
                .seq;
            recorded.push(json!({"case_id": hits[0].case_id, "dir": case, "entry": entry}));
        }
    }
    if a.json {
        print_json(&json!({
            "file": a.file.display().to_string(),
            "file_sha256": theirs.sha256,
            "algorithm": theirs.algorithm.name(),
            "theirs": theirs.macs.len(),
            "compared": m.compared,
            "matched": m.digests,
            "hits": m.hits,
            "known_good": m.known_good,
            "recorded": recorded,
        }));
    } else {
        print_match(&a.file, &theirs, &m, &recorded);
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn print_match(
    file: &Path,
    theirs: &blinded::BlindedFile,
    m: &blinded::Matched,
    recorded: &[serde_json::Value],
) {
    for h in &m.hits {
        outln!("{}", hit_line(h));
    }
    outln!(
        "{} of our {} distinct {} digest(s) are in {} ({} blinded digest(s), sha256 {}); {} place(s) in {} case(s)",
        m.digests,
        m.compared,
        theirs.algorithm.name(),
        file.display(),
        theirs.macs.len(),
        theirs.sha256,
        m.hits.len(),
        count_cases(&m.hits)
    );
    for r in recorded {
        outln!(
            "recorded: note entry {} in case {} ({})",
            r["entry"],
            r["case_id"].as_str().unwrap_or(""),
            r["dir"].as_str().unwrap_or("")
        );
    }
}

fn run_add(
    ix: &mut dyn Backend,
    cases: &[PathBuf],
    opts: &VerifyOptions,
    json: bool,
) -> Result<ExitCode> {
    let mut outcomes = Vec::new();
    let mut failures = Vec::new();
    let (mut indexed, mut unchanged, mut skipped, mut files) = (0u64, 0u64, 0u64, 0u64);
    for (dir, result) in cases.iter().zip(index::add_cases(ix, cases, opts)?) {
        match result {
            Ok(o) => {
                let d = dir.display();
                if let Some(why) = &o.skipped {
                    skipped += 1;
                    errln!("custodian: {d}: case skipped: {why}");
                }
                for (id, ex) in &o.exhibits {
                    match ex {
                        ExhibitOutcome::Indexed { files: n } => {
                            indexed += 1;
                            files += n;
                            if !json {
                                outln!("{d} {id}: indexed {n} file(s)");
                            }
                        }
                        ExhibitOutcome::Unchanged => {
                            unchanged += 1;
                            if !json {
                                outln!("{d} {id}: unchanged (manifest already indexed), skipped");
                            }
                        }
                        ExhibitOutcome::Skipped { reason } => {
                            skipped += 1;
                            errln!("custodian: {d} {id}: not indexed: {reason}");
                        }
                    }
                }
                outcomes.push(o);
            }
            Err(e) => {
                errln!("custodian: {e}");
                failures.push(json!({"dir": dir.display().to_string(), "error": e.to_string()}));
            }
        }
    }
    let stats = ix.stats()?;
    if json {
        print_json(&json!({
            "index": ix.describe(),
            "cases": outcomes,
            "errors": failures,
            "indexed": indexed,
            "unchanged": unchanged,
            "skipped": skipped,
            "files": files,
            "totals": stats,
        }));
    } else {
        outln!(
            "indexed {indexed} exhibit(s) ({files} file(s)), {unchanged} unchanged, {skipped} skipped, {} case(s) unreadable; {}: {} case(s), {} exhibit(s), {} file(s)",
            failures.len(),
            ix.describe(),
            stats.cases,
            stats.exhibits,
            stats.files
        );
    }
    Ok(ExitCode::from(if !failures.is_empty() {
        EXIT_ERROR
    } else if outcomes.iter().any(|o| o.has_skips()) {
        EXIT_INVALID
    } else {
        EXIT_OK
    }))
}

/// A case named by its folder (its entry 0 hash), or by an id, folder or
/// key the index holds.
fn resolve_case(ix: &mut dyn Backend, name: &str) -> Result<String> {
    let dir = Path::new(name);
    if dir.join(custodian::case::LEDGER_FILE).is_file() {
        let case = open_case(dir)?;
        let raw = case.ledger().read_raw()?;
        if raw.lines.is_empty() {
            bail!("case {name}: the ledger is empty");
        }
        return Ok(custodian::ledger::entry_hash(raw.line(0)).to_hex());
    }
    let found = ix.find_cases(name)?;
    match found.len() {
        0 => bail!("case {name:?} is not in the index {}", ix.describe()),
        1 => Ok(found[0].key.clone()),
        n => bail!(
            "{n} indexed cases are named {name:?} ({}); name the case by its folder",
            found
                .iter()
                .map(|c| c.dir.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn size_text(size: Option<u64>) -> String {
    size.map(|s| format!(" ({s} bytes)")).unwrap_or_default()
}

fn hit_line(h: &Hit) -> String {
    format!(
        "{}:{}  {} {}  {}{}",
        h.algorithm.name(),
        hex::encode(&h.digest),
        h.case_id,
        h.exhibit,
        h.path,
        size_text(h.size)
    )
}

fn count_cases(hits: &[Hit]) -> usize {
    hits.iter()
        .map(|h| h.case_key.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// Hits grouped by case folder (per case key).
fn by_case(hits: &[Hit]) -> BTreeMap<String, Vec<Hit>> {
    let mut m: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    for h in hits {
        m.entry(h.case_key.clone()).or_default().push(h.clone());
    }
    m.into_values()
        .map(|v| (v[0].case_dir.clone(), v))
        .collect()
}
