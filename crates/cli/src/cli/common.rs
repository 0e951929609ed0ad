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
/// control characters (C0, DEL, C1, so no escape sequence) and bidi
/// controls (which could make `exe.txt` read as `txt.exe`) are shown as
/// `\u{…}` escapes.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let bidi = matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}
