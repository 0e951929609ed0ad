//! The command-line interface as reviewed data: `tests/cmd/**/*.toml` are
//! trycmd cases (arguments, environment, expected exit code) beside the
//! exact `.stdout`/`.stderr` they must print. A change of wording, of a
//! flag or of an exit code shows up in review as a change of these files.
//!
//! - `tests/cmd/help/`: `--help` and `-h` of every command and subcommand
//!   (a unit test of the binary, `every_command_has_help_snapshots`, fails
//!   when a command has none).
//! - `tests/cmd/*.toml`: the main success and error outputs of the common
//!   commands, run in the repository root on the committed fixtures.
//!
//! Each case removes from the environment what custodian reads
//! (CUSTODIAN_KEY, CUSTODIAN_INDEX …) and pins COLUMNS to 100: trycmd pipes
//! stdin, stdout and stderr, so clap finds no terminal and wraps at COLUMNS.
//! Cases are compared byte for byte (`binary = true`) unless they need
//! trycmd's `[..]` wildcards (times, random keys, absolute paths): text mode
//! normalises path separators and would turn every `\` into `/`.
//!
//! After an intended change: `TRYCMD=overwrite cargo test --test
//! cli_snapshots`, then read the diff.

use std::path::PathBuf;

#[test]
fn cli_cases() {
    let cmd = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/cmd"))
        .canonicalize()
        .expect("tests/cmd exists");
    trycmd::TestCases::new()
        .register_bin("custodian", PathBuf::from(env!("CARGO_BIN_EXE_custodian")))
        .case(cmd.join("help/*.toml"))
        .case(cmd.join("*.toml"));
}
