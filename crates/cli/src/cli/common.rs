//! Helpers shared by subcommands: opening cases, output. The shared
//! argument groups (`--key`, `--trust` …) are in `args.rs`.

use std::path::Path;

use anyhow::{Context, Result};
use custodian::Case;

/// Opens a case folder, naming it in any error.
pub fn open_case(dir: &Path) -> Result<Case> {
    Case::open(dir).with_context(|| format!("cannot open case {}", dir.display()))
}

/// Prints one line of JSON to stdout.
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string(value).expect("JSON value serialises")
    );
}

/// Text from a ledger entry or an image header made safe for a terminal:
/// the one rule of [`custodian::text::visible`] (the terminal module's
/// `outln!` applies it to whole lines).
pub fn sanitize(s: &str) -> String {
    custodian::text::visible(s).into_owned()
}
