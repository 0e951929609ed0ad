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
    let hardware = hardware_keys(
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
                let token = hardware
                    .get(&e.signer)
                    .and_then(|k| k.sk_details(e.sig.as_deref()?));
                if args.json {
                    let mut line = json!({
                        "seq": e.seq,
                        "hash": hash,
                        "principal": names.get(&e.signer),
                        "summary": e.summary(),
                        "entry": e,
                    });
                    if let Some(d) = token {
                        line["security_key"] = json!({
                            "flags": d.flags,
                            "user_present": d.user_present(),
                            "user_verified": d.user_verified(),
                            "counter": d.counter,
                        });
                    }
                    print_json(&line);
                } else {
                    let mut summary = e.summary();
                    if let Some(d) = token {
                        summary.push_str(&token_words(d));
                    }
                    outln!(
                        "{}",
                        columns.line(&[&e.seq.to_string(), &e.time, &e.kind, &who, &summary])
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

/// The hardware-backed (`sk-ssh-ed25519@openssh.com`) keys that entries
/// record for signers, by fingerprint: their entries' signatures carry the
/// token's flags and counter, which the log shows.
fn hardware_keys<'a>(
    entries: impl Iterator<Item = &'a custodian::ledger::Entry>,
) -> std::collections::HashMap<custodian::Fingerprint, custodian::SignerKey> {
    use custodian::ledger::Body;
    let mut out = std::collections::HashMap::new();
    for e in entries {
        let key = match Body::parse(&e.kind, &e.body) {
            Ok(Body::CaseOpen(o)) => o.signer.key,
            Ok(Body::SignerAdd(a)) => a.key,
            _ => continue,
        };
        if let Ok(k) = custodian::SignerKey::from_openssh(&key, "signer key") {
            if k.is_hardware() {
                out.insert(k.fingerprint().clone(), k);
            }
        }
    }
    out
}

/// What a hardware-key signature says about how it was made, as the
/// signature states it (`verify` checks it; user presence is required).
fn token_words(d: custodian::keys::SkDetails) -> String {
    format!(
        " [security key: {}, {}, counter {}]",
        if d.user_present() {
            "touched"
        } else {
            "NOT touched"
        },
        if d.user_verified() {
            "PIN/biometric verified"
        } else {
            "no PIN/biometric"
        },
        d.counter
    )
}
