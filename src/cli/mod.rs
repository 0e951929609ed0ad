//! Command-line interface: argument parsing and printing only. Every
//! subcommand calls into the library; nothing here touches a ledger directly.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod hash;

/// Exit code: everything checked is as recorded.
pub const EXIT_OK: u8 = 0;
/// Exit code: something is not as recorded (ledger, manifest or evidence).
pub const EXIT_INVALID: u8 = 1;
/// Exit code: usage or operational error (bad flag, unreadable case, I/O).
pub const EXIT_ERROR: u8 = 2;

#[derive(Parser, Debug)]
#[command(name = "custodian", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Hash files and folders (no case needed): a sha256sum/hashdeep replacement.
    #[command(long_about = hash::LONG_ABOUT)]
    Hash(hash::HashArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Hash(args) => hash::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("custodian: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
