//! `custodian repair`: move a torn final ledger line, or an event cut
//! short, aside.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::common::open_case;
use super::term::outln;

/// Move a torn end of the ledger (left by a crash mid-append) aside.
///
/// A torn end is a final line without its newline, and the whole entries
/// of a custody event cut short before its last part (an event of several
/// exhibits is written as one entry per exhibit, all at once). The torn
/// bytes are copied to CASE/recovered/ and fsynced before the ledger is
/// cut back to its last whole, complete entry. Nothing is deleted, no entry
/// is added, earlier lines are never rewritten. Without a torn end this
/// does nothing.
#[derive(clap::Args, Debug)]
pub struct RepairArgs {
    /// The case folder.
    pub case: PathBuf,
}

pub fn run(args: RepairArgs) -> Result<ExitCode> {
    let case = open_case(&args.case)?;
    match case
        .repair()
        .with_context(|| format!("cannot repair case {}", args.case.display()))?
    {
        None => outln!("nothing to repair: the ledger ends with a whole, complete entry"),
        Some(r) => {
            outln!(
                "moved {} torn byte(s) from offset {} to {}",
                r.len,
                r.offset,
                r.side_file.display()
            );
            outln!(
                "the ledger now ends at byte {}; run `custodian verify` to check it",
                r.offset
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
