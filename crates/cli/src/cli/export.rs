//! `custodian export`: a case in other tools' formats (DFXML, CASE/UCO).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use custodian::interop::{case_uco, dfxml, ExportError};

use super::common::open_case;
use super::term::errln;
use super::{EXIT_INVALID, EXIT_OK};

/// Export a case in other tools' formats (docs/guide/interop.md).
///
/// The case is verified first (ledger signatures and chain, manifests
/// against their recorded SHA-256); if anything is not as recorded nothing
/// is written and the exit code is 1.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian export dfxml cases/0042 --exhibit EXH-001 -o EXH-001.dfxml\n  custodian export case-uco cases/0042 -o case.jsonld && case_validate case.jsonld"
)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub format: ExportFormat,
}

#[derive(clap::Subcommand, Debug)]
pub enum ExportFormat {
    /// One exhibit's files and digests as DFXML 1.2 (readable by `diff`).
    Dfxml {
        /// The case folder.
        case: PathBuf,
        /// The exhibit to export.
        #[arg(long, value_name = "ID")]
        exhibit: String,
        /// Write to FILE (atomically; never overwrites) instead of standard output.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The case as a CASE 1.x / UCO 1.x JSON-LD graph: investigation,
    /// exhibits with digests, acquisition and custody actions, provenance.
    CaseUco {
        /// The case folder.
        case: PathBuf,
        /// Only these exhibits (repeatable; all when absent).
        #[arg(long, value_name = "ID")]
        exhibit: Vec<String>,
        /// Write to FILE (atomically; never overwrites) instead of standard output.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub fn run(args: ExportArgs) -> Result<ExitCode> {
    let result = match &args.format {
        ExportFormat::Dfxml {
            case,
            exhibit,
            output,
        } => {
            let case = open_case(case)?;
            let creator = dfxml::Creator::current(chrono::Utc::now());
            emit(output.as_deref(), |w| {
                dfxml::export_exhibit(&case, exhibit, &creator, w).map(|_| ())
            })
        }
        ExportFormat::CaseUco {
            case,
            exhibit,
            output,
        } => {
            let case = open_case(case)?;
            case_uco::export(&case, exhibit)
                .and_then(|graph| emit(output.as_deref(), |w| case_uco::write(&graph, w)))
        }
    };
    match result {
        Ok(()) => Ok(ExitCode::from(EXIT_OK)),
        Err(e @ ExportError::NotAsRecorded { .. }) => {
            errln!("custodian: {e}");
            Ok(ExitCode::from(EXIT_INVALID))
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs `write` into FILE (a temporary file renamed into place, refusing
/// to overwrite) or into standard output.
fn emit(
    output: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let Some(path) = output else {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        write(&mut out)?;
        return out.flush().map_err(ExportError::Output);
    };
    let io = |e: std::io::Error| {
        ExportError::Output(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        ))
    };
    if path.symlink_metadata().is_ok() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "already exists; not overwritten",
        )));
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io)?;
    let mut out = std::io::BufWriter::new(file);
    let res = write(&mut out).and_then(|()| {
        out.into_inner()
            .map_err(|e| io(e.into_error()))
            .and_then(|f| f.sync_all().map_err(io))
    });
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // A hard link fails if FILE appeared meanwhile: never overwrites.
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    linked.map_err(io)
}
