//! `custodian hash` (placeholder, being written).
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct HashArgs {
    /// Files or folders to hash.
    pub paths: Vec<std::path::PathBuf>,
}

pub fn run(_args: HashArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet implemented")
}
