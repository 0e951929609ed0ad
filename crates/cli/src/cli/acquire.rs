//! `custodian acquire` and `custodian show`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use custodian::acquire::{acquire, AcquireError, AcquireRequest};
use custodian::hashing::{AlgorithmSet, HashOptions, ManifestReader};
use custodian::ledger::{manifest_rel_path, ExhibitAcquire};
use custodian::provenance::{SourceKind, StatedSource, WriteBlocker};
use custodian::report::NOT_STATED;
use serde_json::json;

use super::args::KeyArg;
use super::common::{open_case, print_json, sanitize};
use super::progress::with_bar;
use super::term::{errln, outln, visible_name};
use super::EXIT_INVALID;

/// Catalogue files or folders as an exhibit: manifest plus signed entry.
///
/// Every file is read once (read-only, O_NOATIME where permitted) and all
/// requested digests are computed from the same buffers, many files in
/// parallel. The manifest (one JSON line per object: path, type, size, times,
/// mode, digests, errors) goes to CASE/manifests/ID.jsonl, and one signed
/// exhibit.acquire entry records its SHA-256 with the counts, times, tool and
/// host, so changing one byte of the manifest makes `custodian verify` fail.
///
/// Symlinks are recorded, not followed; FIFOs, sockets and devices are
/// recorded, never opened; unreadable files are recorded with the OS error
/// and counted (use --strict to refuse such an acquisition instead). If the
/// case folder lies inside a path being acquired, it is skipped and recorded
/// as skipped. Refuses (exit 2, nothing written) an exhibit id already used,
/// a missing path, or a key that is not a trusted signer of the case.
///
/// Provenance: the entry also records the source device as you state it
/// (--source-kind, --make, --model, --serial, --sector-size,
/// --sector-count, --write-blocker), each value marked "stated"; for an E01
/// image, what its header says (model, serial, sector size and count, the
/// acquisition date as found, notes, examiner, case and evidence numbers,
/// the imaging program), marked "header". A stated value that differs from
/// the header's is kept beside it and printed as a warning. The absolute
/// path of each PATH goes in the manifest; the acquiring machine's name,
/// operating system and kernel, and whether its clock was synchronised
/// (chronyc, timedatectl or the kernel, within seconds, never over the
/// network; CUSTODIAN_CLOCK_PROBE=off skips it: "not known") go in the
/// entry.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian acquire cases/0042 --exhibit EXH-001 --description \"Dell laptop SSD image\" \\\n      --source \"Seized at rue X, bag 17\" --authority \"Warrant 26/1187\" /mnt/evidence/laptop.img\n  custodian acquire cases/0042 --exhibit EXH-002 -c sha256,blake3 /media/usb-copy/\n  custodian acquire cases/0042 --exhibit EXH-003 --hashset nsrl --hashset bad-2026-03 /mnt/evidence/home/"
)]
pub struct AcquireArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The exhibit's identifier: letters, digits, '.', '_' or '-' (max 64).
    #[arg(long, value_name = "ID")]
    pub exhibit: String,
    /// What the exhibit is.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Where it came from (device, seizure place, owner …).
    #[arg(long, value_name = "TEXT")]
    pub source: Option<String>,
    /// The registered legal authority for the acquisition (its reference;
    /// default: the authority the case was opened under, if any).
    #[arg(long, value_name = "REF")]
    pub authority: Option<String>,
    /// Record the acquisition even though it breaks a rule (e.g. no
    /// authority covers it); the reason is recorded and becomes a finding.
    #[arg(long = "override", value_name = "REASON")]
    pub override_reason: Option<String>,
    /// What the source is, as you state it: physical-disk, logical-copy,
    /// phone-extraction, cloud-export, memory or other.
    #[arg(long, value_name = "KIND")]
    pub source_kind: Option<SourceKind>,
    /// The source device's manufacturer, as you state it.
    #[arg(long, value_name = "TEXT")]
    pub make: Option<String>,
    /// The source device's model, as you state it.
    #[arg(long, value_name = "TEXT")]
    pub model: Option<String>,
    /// The source device's serial number, as you state it.
    #[arg(long, value_name = "TEXT")]
    pub serial: Option<String>,
    /// The write-blocker used, as you state it: MODEL, MODEL:SERIAL, or
    /// `none` when none was used.
    #[arg(long, value_name = "BLOCKER")]
    pub write_blocker: Option<WriteBlocker>,
    /// The source's bytes per sector, as you state it.
    #[arg(long, value_name = "BYTES")]
    pub sector_size: Option<u64>,
    /// The source's number of sectors, as you state it.
    #[arg(long, value_name = "N")]
    pub sector_count: Option<u64>,
    /// Digest algorithms, comma-separated: md5, sha1, sha256, sha512,
    /// sha3-256, blake3.
    #[arg(
        short = 'c',
        long = "algorithms",
        value_name = "ALGOS",
        default_value = "md5,sha1,sha256"
    )]
    pub algorithms: String,
    /// Files hashed in parallel (default: one per CPU).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub jobs: usize,
    /// Follow symlinks inside the acquired folders (loops are detected and
    /// recorded). By default symlinks are recorded with their target.
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Refuse to record the acquisition (exit 1, nothing appended) if any
    /// object could not be read or changed while it was read.
    #[arg(long)]
    pub strict: bool,
    /// Match the files against every hash set of this store folder and
    /// record the result in a second signed entry (exhibit.hashset-match).
    #[arg(long, value_name = "DIR")]
    pub hashsets: Option<PathBuf>,
    /// Match the files against this hash set (repeatable; from --hashsets,
    /// CUSTODIAN_HASHSETS or the default store) and record the result.
    #[arg(long = "hashset", value_name = "NAME")]
    pub hashset: Vec<String>,
    /// No progress bar and no summary of unreadable files on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub key: KeyArg,
    /// Files or folders to acquire.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

pub fn run(args: AcquireArgs) -> Result<ExitCode> {
    let case = open_case(&args.case)?;
    let key = args.key.load()?;
    // Hash sets are loaded (and checked) before the acquisition, so a
    // damaged store is refused before hours of hashing.
    let matcher = if args.hashsets.is_some() || !args.hashset.is_empty() {
        let dir = super::hashset::store_dir(args.hashsets.as_deref())?;
        Some(super::hashset::load_matcher(&dir, &args.hashset)?)
    } else {
        None
    };
    let algorithms: AlgorithmSet = args.algorithms.parse()?;
    let req = AcquireRequest {
        exhibit: args.exhibit.clone(),
        description: args.description,
        source: args.source,
        authority: args.authority,
        roots: args.paths.clone(),
        options: HashOptions {
            algorithms,
            jobs: args.jobs,
            follow_symlinks: args.follow_symlinks,
            recursive: true,
            exclude: Vec::new(),
        },
        strict: args.strict,
        override_reason: args.override_reason,
        stated_source: StatedSource {
            kind: args.source_kind,
            make: args.make,
            model: args.model,
            serial: args.serial,
            sector_size: args.sector_size,
            sector_count: args.sector_count,
            write_blocker: args.write_blocker,
        },
        logged_source: None,
        media_algorithms: Vec::new(),
    };
    let result = with_bar(&args.paths, &req.options, args.quiet, |bar| {
        acquire(&case, &key, &req, bar)
    });
    let done = match result {
        Ok(done) => done,
        Err(AcquireError::Strict {
            errors,
            changed,
            kept,
        }) => {
            errln!(
                "custodian: {errors} object(s) could not be read and {changed} changed while being read; under --strict nothing was recorded (manifest kept at {})",
                kept.display()
            );
            return Ok(ExitCode::from(EXIT_INVALID));
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "cannot acquire exhibit {} into case {}",
                    args.exhibit,
                    args.case.display()
                )
            })
        }
    };
    for (from, to) in &done.set_aside {
        errln!(
            "custodian: {} was left by an interrupted acquisition and never recorded; moved it to {}",
            from.display(),
            to.display()
        );
    }
    print_acquired(&case, &done, args.quiet);
    for w in &done.warnings {
        errln!(
            "custodian: warning: exhibit {}: {}",
            done.body.exhibit,
            sanitize(w)
        );
    }
    if let Some(matcher) = &matcher {
        let body = custodian::hashset::matching::match_exhibit(&case, &done.body.exhibit, matcher)
            .with_context(|| format!("exhibit {} was acquired, but cannot be matched against hash sets (run `custodian hashset match` later)", done.body.exhibit))?;
        let appended =
            custodian::hashset::matching::record(&case, &key, &body).with_context(|| {
                format!(
                    "exhibit {} was acquired, but its hash-set match cannot be recorded",
                    done.body.exhibit
                )
            })?;
        super::hashset::print_match(&body, appended.entry.seq);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints what an acquisition recorded: counts, manifest, entry, E01
/// checks and the single file's digests; problem objects on stderr unless
/// `quiet`.
pub(crate) fn print_acquired(
    case: &custodian::Case,
    done: &custodian::acquire::Acquired,
    quiet: bool,
) {
    let c = &done.body.counts;
    if !quiet && (c.errors > 0 || c.changed_during_read > 0 || c.skipped > 0) {
        report_problem_records(&case.dir().join(&done.body.manifest.path));
    }
    let secs = (done.manifest.finished - done.manifest.started)
        .num_milliseconds()
        .max(1) as f64
        / 1000.0;
    outln!(
        "acquired exhibit {} into {}",
        done.body.exhibit,
        case.dir().display()
    );
    outln!(
        "  files: {} ({} hard links), folders: {}, symlinks: {}, special: {}",
        c.files,
        c.hardlinks,
        c.dirs,
        c.symlinks,
        c.special
    );
    outln!(
        "  bytes: {} in {:.2} s ({:.1} MiB/s)",
        c.bytes,
        secs,
        c.bytes as f64 / 1_048_576.0 / secs
    );
    outln!(
        "  errors: {}, changed while read: {}, skipped: {}",
        c.errors,
        c.changed_during_read,
        c.skipped
    );
    outln!(
        "  manifest: {} (sha256 {})",
        done.body.manifest.path,
        done.body.manifest.sha256
    );
    outln!(
        "  entry: {} (head {})",
        done.appended.entry.seq,
        done.appended.hash
    );
    for img in &done.body.ewf {
        if img.problems.is_empty() {
            outln!(
                "  E01 {}: media verified against its stored digests ({} bytes)",
                img.image,
                img.media_size.unwrap_or_default()
            );
        }
        for p in &img.problems {
            errln!("custodian: warning: E01 image {}: {p}", img.image);
        }
    }
    if let Some(d) = &done.body.digests {
        for (algo, hex) in d {
            outln!("  {algo}: {hex}");
        }
    }
    let roots = absolute_roots(&case.dir().join(&done.body.manifest.path));
    for line in provenance_lines(&done.body, roots.as_deref()) {
        outln!("  {line}");
    }
}

/// The absolute paths a manifest records for its roots (version 2), each
/// shown as text; `None` when it records none (or cannot be read).
pub fn absolute_roots(manifest: &std::path::Path) -> Option<Vec<String>> {
    let reader = ManifestReader::open(manifest).ok()?;
    let abs: Vec<String> = reader
        .header()
        .roots
        .iter()
        .filter_map(|r| r.abs.clone())
        .collect();
    (!abs.is_empty()).then_some(abs)
}

/// What an acquisition entry records about its provenance, one line each,
/// for `acquire` and `show`: the source device (each value with where it
/// came from; "not stated" for what nobody gave), what the imaging program
/// recorded, the acquiring machine, its clock, the absolute paths.
pub fn provenance_lines(a: &ExhibitAcquire, roots_abs: Option<&[String]>) -> Vec<String> {
    let mut out = Vec::new();
    let device = a.source_device.clone().unwrap_or_default();
    out.push("source device:".to_string());
    for (name, value) in device.members() {
        let shown = value
            .map(|v| v.to_string())
            .unwrap_or_else(|| NOT_STATED.into());
        out.push(format!("  {name}: {}", sanitize(&shown)));
    }
    if let Some(i) = &device.imaging {
        out.push(format!("imaging record ({}):", sanitize(&i.source)));
        for t in &i.acquired {
            out.push(format!("  acquired: {}", sanitize(&t.to_string())));
        }
        for t in &i.finished {
            out.push(format!("  finished: {}", sanitize(&t.to_string())));
        }
        for (k, v) in [
            ("program", &i.tool),
            ("program version", &i.tool_version),
            ("program's system", &i.tool_os),
            ("examiner", &i.examiner),
            ("case number", &i.case_number),
            ("evidence number", &i.evidence_number),
            ("description", &i.description),
            ("notes", &i.notes),
        ] {
            let shown = v.as_deref().unwrap_or(NOT_STATED);
            out.push(format!("  {k}: {}", sanitize(shown)));
        }
        for r in &i.bad_sectors {
            out.push(format!(
                "  unreadable at acquisition: sectors {} to {}",
                r.first,
                (r.first + r.count).saturating_sub(1)
            ));
        }
    }
    let host = match &a.host_system {
        Some(h) => format!(
            "{} ({}; {})",
            h.name,
            h.os.as_deref().unwrap_or("operating system not known"),
            h.kernel.as_deref().unwrap_or("kernel not known")
        ),
        None => format!("{} (operating system and kernel {NOT_STATED})", a.host),
    };
    out.push(format!("host: {}", sanitize(&host)));
    out.push(format!(
        "clock: {}",
        a.clock
            .as_ref()
            .map(|c| sanitize(&c.to_string()))
            .unwrap_or_else(|| NOT_STATED.into())
    ));
    out.push(format!(
        "absolute paths: {}",
        roots_abs
            .map(|r| sanitize(&r.join(", ")))
            .unwrap_or_else(|| NOT_STATED.into())
    ));
    out
}

/// Prints one line per object that could not be read, changed while read,
/// or was skipped: `custodian: PATH: what`.
fn report_problem_records(manifest: &std::path::Path) {
    let Ok(reader) = ManifestReader::open(manifest) else {
        return;
    };
    let roots = reader.header().roots.clone();
    for record in reader.flatten() {
        let root = roots
            .get(record.root as usize)
            .map(|r| r.path.as_str())
            .unwrap_or("?");
        let path = format!("{root}/{}", record.path);
        if let Some(e) = &record.error {
            errln!("custodian: {path}: {e}");
        }
        if record.changed_during_read {
            errln!("custodian: {path}: changed while it was being read");
        }
        if let Some(s) = &record.skipped {
            errln!("custodian: {path}: skipped ({s})");
        }
    }
}

/// List an exhibit's files and digests from its manifest.
///
/// Reads CASE/manifests/ID.jsonl (after checking its SHA-256 against the
/// signed acquisition entry) and prints one line per object: type, size,
/// digests and path; --json prints the manifest records as JSON Lines.
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The exhibit to list.
    #[arg(long, value_name = "ID")]
    pub exhibit: String,
    /// Print the manifest records as JSON Lines.
    #[arg(long)]
    pub json: bool,
}

pub fn run_show(args: ShowArgs) -> Result<ExitCode> {
    let case = open_case(&args.case)?;
    let state = case.ledger().state()?;
    let ex = state.exhibits.get(args.exhibit.as_str()).with_context(|| {
        format!(
            "case {} has no exhibit {:?}",
            args.case.display(),
            args.exhibit
        )
    })?;
    let rel = manifest_rel_path(&args.exhibit);
    let path = case.dir().join(&rel);
    let (digest, _) = custodian::case::sha256_file(&path)
        .with_context(|| format!("cannot read manifest {}", path.display()))?;
    if digest != ex.acquisition.manifest.sha256 {
        anyhow::bail!(
            "manifest {} does not match its ledger entry {} (sha256 {digest}, recorded {}); run `custodian verify`",
            path.display(),
            ex.acquired_seq,
            ex.acquisition.manifest.sha256
        );
    }
    let reader = ManifestReader::open(&path)?;
    let roots = reader.header().roots.clone();
    if !args.json {
        outln!(
            "exhibit {} (entry {}, {}): {} file(s), {} byte(s)",
            args.exhibit,
            ex.acquired_seq,
            ex.acquired_time,
            ex.acquisition.counts.files,
            ex.acquisition.counts.bytes
        );
        let abs: Option<Vec<String>> = {
            let abs: Vec<String> = roots.iter().filter_map(|r| r.abs.clone()).collect();
            (!abs.is_empty()).then_some(abs)
        };
        for line in provenance_lines(&ex.acquisition, abs.as_deref()) {
            outln!("  {line}");
        }
    }
    for record in reader {
        let record = record?;
        if args.json {
            print_json(&json!(record));
            continue;
        }
        let root = roots
            .get(record.root as usize)
            .map(|r| r.path.as_str())
            .unwrap_or("?");
        let digests: Vec<String> = record
            .digests
            .iter()
            .map(|(a, h)| format!("{a}:{h}"))
            .collect();
        let extra = record
            .error
            .as_deref()
            .map(|e| format!(" ERROR: {e}"))
            .or_else(|| record.target.as_deref().map(|t| format!(" -> {t}")))
            .unwrap_or_default();
        // A root that is one file is recorded as ".": shown as the root.
        let shown = match record.path.as_str() {
            "." => root.to_string(),
            _ => format!("{root}/{}", visible_name(&record.path_bytes())),
        };
        outln!(
            "{:<8} {:>12} {} {shown}{extra}",
            record.kind.name(),
            record.size.map(|s| s.to_string()).unwrap_or_default(),
            digests.join(" "),
        );
    }
    Ok(ExitCode::SUCCESS)
}
