//! `custodian note`: append a signed free-text note.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use custodian::ledger::{Body, Note};

use super::args::KeyArg;
use super::common::open_case;
use super::term::outln;

/// Append a signed free-text note to the case ledger.
///
/// Notes record what does not fit another entry type: an observation, a
/// phone call, a decision. They are signed and chained like every entry.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  custodian note cases/2026-0042 --text \"Bag 17 seal intact on arrival\" --key ~/.custodian/jdoe"
)]
pub struct NoteArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The note's text.
    #[arg(long, value_name = "TEXT")]
    pub text: String,
    #[command(flatten)]
    pub key: KeyArg,
}

pub fn run(args: NoteArgs) -> Result<ExitCode> {
    if args.text.trim().is_empty() {
        bail!("the note text is empty");
    }
    let case = open_case(&args.case)?;
    let key = args.key.load()?;
    let appended = case
        .append(&key, &Body::Note(Note { text: args.text }))
        .with_context(|| format!("cannot append to case {}", args.case.display()))?;
    outln!("appended entry {} (note)", appended.entry.seq);
    outln!("head: {}", appended.hash);
    Ok(ExitCode::SUCCESS)
}
