//! `custodian import`: an acquisition made by another tool, from its log
//! and its image.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use custodian::hashing::{AlgorithmSet, HashOptions};
use custodian::import::{import, ImportError, ImportRequest, LogFormat};
use custodian::provenance::{SourceKind, StatedSource, WriteBlocker};

use super::args::KeyArg;
use super::common::{open_case, sanitize};
use super::progress::with_bar;
use super::term::{errln, outln};

/// Import an acquisition made by Guymager, FTK Imager, ewfacquire or dc3dd:
/// its log and its image become an exhibit.
///
/// The log is read (UTF-8, UTF-16 or Latin-1) and its statements about the
/// source (model, serial, sector size and count, bad sectors, the tool and
/// its version, examiner, times, the digests it computed) go into the
/// exhibit's source-device record, each marked "as stated in the … log".
/// The image files are catalogued as `acquire` catalogues any exhibit,
/// and their media (the raw file, the parts of a split raw image
/// concatenated in the order given, or what an E01 set decompresses to)
/// are hashed with every algorithm the log names. A second signed entry
/// (exhibit.import) records each digest the log states beside the one
/// computed; one that differs is a high finding (IMP-HASH-MISMATCH) in
/// `verify` and the report. The log is kept in the case's attachment store.
///
/// A log that does not parse (malformed, truncated, a field given twice, a
/// digest of the wrong length) is refused with its line named: exit 2,
/// nothing recorded.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian import cases/0042 --exhibit EXH-004 --from guymager /mnt/img/laptop.info --image /mnt/img/laptop.E01\n  custodian import cases/0042 --exhibit EXH-005 --from dc3dd usb.log --image usb.000 --image usb.001 --image usb.002\n  custodian import cases/0042 --exhibit EXH-006 --from ftk disk.E01.txt --image disk.E01 --write-blocker \"Tableau T35u:000ECC\""
)]
pub struct ImportArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The exhibit's identifier: letters, digits, '.', '_' or '-' (max 64).
    #[arg(long, value_name = "ID")]
    pub exhibit: String,
    /// The log's tool: guymager (.info), ftk (FTK Imager's .txt),
    /// ewfacquire (its -l log), dc3dd (its log= or hlog= file).
    #[arg(long = "from", value_names = ["TOOL", "LOG"], num_args = 2, required = true)]
    pub from: Vec<String>,
    /// The image: one raw file, each part of a split raw image in order
    /// (repeat the flag), or the first segment of an E01 set.
    #[arg(long = "image", value_name = "PATH", required = true)]
    pub images: Vec<PathBuf>,
    /// What the exhibit is.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Where it came from (device, seizure place, owner …).
    #[arg(long, value_name = "TEXT")]
    pub source: Option<String>,
    /// The registered legal authority (default: the case's).
    #[arg(long, value_name = "REF")]
    pub authority: Option<String>,
    /// Record the import even though it breaks a rule; becomes a finding.
    #[arg(long = "override", value_name = "REASON")]
    pub override_reason: Option<String>,
    /// What the source is, as you state it (the logs do not say):
    /// physical-disk, logical-copy, phone-extraction, cloud-export, memory
    /// or other.
    #[arg(long, value_name = "KIND")]
    pub source_kind: Option<SourceKind>,
    /// The write-blocker used, as you state it: MODEL, MODEL:SERIAL or none.
    #[arg(long, value_name = "BLOCKER")]
    pub write_blocker: Option<WriteBlocker>,
    /// Digest algorithms for the catalogue of the image files (those the
    /// log names are computed for the media in any case).
    #[arg(
        short = 'c',
        long = "algorithms",
        value_name = "ALGOS",
        default_value = "md5,sha1,sha256"
    )]
    pub algorithms: String,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub key: KeyArg,
}

pub fn run(args: ImportArgs) -> Result<ExitCode> {
    let [tool, log] = <[String; 2]>::try_from(args.from.clone())
        .map_err(|_| anyhow::anyhow!("--from takes two values: TOOL LOG"))?;
    let format: LogFormat = tool.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let case = open_case(&args.case)?;
    let key = args.key.load()?;
    let algorithms: AlgorithmSet = args.algorithms.parse()?;
    let req = ImportRequest {
        exhibit: args.exhibit.clone(),
        format,
        log: PathBuf::from(log),
        images: args.images.clone(),
        description: args.description,
        source: args.source,
        authority: args.authority,
        options: HashOptions {
            algorithms,
            jobs: 0,
            follow_symlinks: false,
            recursive: true,
            exclude: Vec::new(),
        },
        override_reason: args.override_reason,
        stated_source: StatedSource {
            kind: args.source_kind,
            write_blocker: args.write_blocker,
            ..StatedSource::default()
        },
    };
    let result = with_bar(&args.images, &req.options, args.quiet, |bar| {
        import(&case, &key, &req, bar)
    });
    let done = match result {
        Ok(done) => done,
        Err(e @ ImportError::NotChecked { .. }) => {
            errln!("custodian: {e}");
            return Ok(ExitCode::from(super::EXIT_ERROR));
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "cannot import exhibit {} into case {}",
                    args.exhibit,
                    args.case.display()
                )
            })
        }
    };
    super::acquire::print_acquired(&case, &done.acquired, args.quiet);
    let b = &done.body;
    outln!(
        "  log: {} ({}, {}, sha256 {}), kept as an attachment",
        sanitize(&b.log.name),
        format.tool_name(),
        b.log.encoding,
        b.log.sha256
    );
    if b.checks.is_empty() {
        outln!("  the log states no digest: nothing to check");
    }
    for c in &b.checks {
        let verdict = match (&c.computed, c.matched) {
            (_, true) => "matches".to_string(),
            (Some(h), false) => format!("DOES NOT MATCH: the media hash to {h}"),
            (None, false) => "NOT CHECKED: the media could not be read".to_string(),
        };
        outln!(
            "  {} {} (log line {}): {} {verdict}",
            c.stage,
            c.algorithm,
            c.line,
            c.logged
        );
    }
    outln!(
        "  import entry: {} (head {})",
        done.appended.entry.seq,
        done.appended.hash
    );
    for w in &done.warnings {
        errln!("custodian: warning: exhibit {}: {}", b.exhibit, sanitize(w));
    }
    if b.checks.iter().any(|c| !c.matched) {
        errln!(
            "custodian: exhibit {}: the image does not match the digests its log states; recorded as finding IMP-HASH-MISMATCH",
            b.exhibit
        );
        return Ok(ExitCode::from(super::EXIT_INVALID));
    }
    Ok(ExitCode::SUCCESS)
}
