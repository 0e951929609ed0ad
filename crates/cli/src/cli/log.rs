//! `custodian log`: list ledger entries.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use custodian::ledger::principal_map;
use serde_json::json;

use super::common::{open_case, print_json};
use super::term::{errln, outln, width_of, Columns};

/// List the ledger's entries: sequence, time, type, signer and a summary.
///
/// This shows what the ledger says; it does not judge it (use `custodian
/// verify`). Lines that cannot be parsed are listed as such.
#[derive(clap::Args, Debug)]
pub struct LogArgs {
    /// The case folder.
    pub case: PathBuf,
    /// Print JSON Lines: {seq, hash, principal, summary, entry} per entry.
    #[arg(long)]
    pub json: bool,
    /// Show one exhibit's custody timeline in plain words instead.
    #[arg(long, value_name = "ID")]
    pub exhibit: Option<String>,
}

pub fn run(args: LogArgs) -> Result<ExitCode> {
    let case = open_case(&args.case)?;
    if let Some(x) = &args.exhibit {
        return super::custody::exhibit_timeline(&case, x, args.json);
    }
    let entries = case.ledger().entries()?;
    let names = principal_map(
        entries
            .iter()
            .filter_map(|e| e.as_ref().ok().map(|(e, _)| e)),
    );
    let mut bad = 0;
    // The signer column is as wide as the longest principal (up to 48).
    let whos: Vec<String> = entries
        .iter()
        .filter_map(|e| e.as_ref().ok())
        .map(|(e, _)| {
            names
                .get(&e.signer)
                .cloned()
                .unwrap_or_else(|| e.signer.to_string())
        })
        .collect();
    let columns = Columns(vec![
        5,
        27,
        14,
        width_of(whos.iter().map(String::as_str), 6, 48),
    ]);
    if !args.json {
        outln!(
            "{}",
            columns.line(&["SEQ", "TIME", "TYPE", "SIGNER", "SUMMARY"])
        );
    }
    for (i, item) in entries.iter().enumerate() {
        match item {
            Ok((e, hash)) => {
                let who = names
                    .get(&e.signer)
                    .cloned()
                    .unwrap_or_else(|| e.signer.to_string());
                if args.json {
                    print_json(&json!({
                        "seq": e.seq,
                        "hash": hash,
                        "principal": names.get(&e.signer),
                        "summary": e.summary(),
                        "entry": e,
                    }));
                } else {
                    outln!(
                        "{}",
                        columns.line(&[&e.seq.to_string(), &e.time, &e.kind, &who, &e.summary()])
                    );
                }
            }
            Err(msg) => {
                bad += 1;
                if args.json {
                    print_json(&json!({"line": i + 1, "error": msg.to_string()}));
                } else {
                    outln!("{:<5} (unreadable line: {msg})", "?");
                }
            }
        }
    }
    if bad > 0 {
        errln!("custodian: warning: {bad} line(s) could not be read; run `custodian verify`");
    }
    Ok(ExitCode::SUCCESS)
}
