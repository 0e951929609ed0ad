//! The `custodian` command: a thin shell over the `custodian` library.
//!
//! Exit codes (stable, documented in README and `--help`):
//! 0 everything is as recorded, 1 something is not as recorded
//! (verification failed), 2 usage or operational error.
#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
