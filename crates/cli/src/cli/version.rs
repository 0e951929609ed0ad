//! `custodian version` and the `--version` line: which build this is, for
//! the report and for a lab's tool-validation record.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use super::common::print_json;
use super::EXIT_OK;

/// `--version`: `0.1.0 (commit 1a2b3c4d5e6f, features: pdf, postgres)`, or
/// `commit not recorded` for a build outside a git checkout (crates/cli/build.rs).
pub const VERSION_LINE: &str = env!("CUSTODIAN_VERSION_LINE");

/// The full git commit of the build, or "" when it was not recorded.
const COMMIT: &str = env!("CUSTODIAN_GIT_COMMIT");
/// The enabled cargo features, comma-separated and sorted.
const FEATURES: &str = env!("CUSTODIAN_FEATURES");
/// The target triple the binary was built for.
const TARGET: &str = env!("CUSTODIAN_TARGET");

pub const LONG_ABOUT: &str = "\
Print the name, version, git commit, enabled features, platform and the
SHA-256 of the running executable: what a tool-validation record names.

The executable's SHA-256 is the same value the ledger entries and the
report's `tool` member record (cached per executable file, hashed again
when the file changes).

With --json, one object:
  {\"name\": \"custodian\", \"version\": \"0.1.0\",
   \"commit\": \"<40 hex digits>\" or null (built outside a git checkout),
   \"features\": [\"pdf\", \"postgres\"],
   \"platform\": \"x86_64-unknown-linux-gnu\",
   \"exe_sha256\": \"<64 hex digits>\" or null (executable unreadable)}
docs/guide/ci.md describes it.";

/// Print which build of custodian this is.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian version\n  custodian version --json > tool-validation/custodian.json"
)]
pub struct VersionArgs {
    /// Print one JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: VersionArgs) -> Result<ExitCode> {
    let tool = custodian::ledger::entry::current_tool();
    let features: Vec<&str> = FEATURES.split(',').filter(|f| !f.is_empty()).collect();
    let commit = (!COMMIT.is_empty()).then_some(COMMIT);
    if args.json {
        print_json(&json!({
            "name": tool.name,
            "version": tool.version,
            "commit": commit,
            "features": features,
            "platform": TARGET,
            "exe_sha256": tool.exe_sha256,
        }));
    } else {
        println!("name: {}", tool.name);
        println!("version: {}", tool.version);
        println!("commit: {}", commit.unwrap_or("not recorded"));
        let features = if features.is_empty() {
            "none".to_string()
        } else {
            features.join(", ")
        };
        println!("features: {features}");
        println!("platform: {TARGET}");
        let exe = tool.exe_sha256.as_deref().unwrap_or("not available");
        println!("exe_sha256: {exe}");
    }
    Ok(ExitCode::from(EXIT_OK))
}
