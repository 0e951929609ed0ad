//! `custodian custody …`, `custodian authority …` and `custodian status`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use custodian::custody::{Authority, Common, Event, ExhibitId, Output, Scope};
use custodian::ledger::{principal_map, Body};
use custodian::Fingerprint;
use serde_json::json;

use super::args::KeyArg;
use super::common::{open_case, print_json};
use super::term::{errln, outln};

/// What every custody event records besides its own details.
#[derive(clap::Args, Debug)]
pub struct EventArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The exhibit(s) concerned (repeatable: a bag with ten drives is one event).
    #[arg(long = "exhibit", value_name = "ID", required = true)]
    pub exhibits: Vec<String>,
    /// When it happened, if earlier than now (UTC, YYYY-MM-DDTHH:MM:SSZ or
    /// with fractional seconds). Far-back dates are flagged in reports.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Where it happened / where the exhibit now is.
    #[arg(long, value_name = "TEXT")]
    pub location: Option<String>,
    /// Why.
    #[arg(long, value_name = "TEXT")]
    pub purpose: Option<String>,
    /// Reference of the registered legal authority this is done under.
    #[arg(long, value_name = "REF")]
    pub authority: Option<String>,
    /// Record the event even though it breaks a custody or authority rule;
    /// the reason is recorded and the breach becomes a finding.
    #[arg(long = "override", value_name = "REASON")]
    pub override_reason: Option<String>,
    #[command(flatten)]
    pub key: KeyArg,
}

#[derive(clap::Args, Debug)]
pub struct CustodyArgs {
    #[command(subcommand)]
    pub command: CustodyCommand,
}

#[derive(Subcommand, Debug)]
pub enum CustodyCommand {
    /// Seal exhibits (bag or seal number).
    Seal {
        #[command(flatten)]
        event: EventArgs,
        /// The seal or evidence-bag number.
        #[arg(long, value_name = "NUMBER")]
        seal: String,
    },
    /// Break a seal.
    Unseal {
        #[command(flatten)]
        event: EventArgs,
        /// The seal number found intact (must match the recorded seal).
        #[arg(long, value_name = "NUMBER")]
        seal: String,
        /// Why the seal is broken.
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Record a change of storage location (give --location).
    Location {
        #[command(flatten)]
        event: EventArgs,
    },
    /// Check exhibits out of storage for examination (give --purpose).
    CheckOut {
        #[command(flatten)]
        event: EventArgs,
    },
    /// Return checked-out exhibits to storage.
    CheckIn {
        #[command(flatten)]
        event: EventArgs,
    },
    /// Record an analysis: tool, version, what was done, digests of outputs.
    Analysis {
        #[command(flatten)]
        event: EventArgs,
        /// The tool used, e.g. "Autopsy".
        #[arg(long, value_name = "NAME")]
        tool: String,
        /// Its version.
        #[arg(long, value_name = "VERSION")]
        tool_version: String,
        /// What was done.
        #[arg(long, value_name = "TEXT")]
        description: String,
        /// An output file to record by SHA-256 (repeatable; it is hashed now).
        #[arg(long = "output", value_name = "FILE")]
        outputs: Vec<PathBuf>,
    },
    /// Hand exhibits over to another signer; they stay in transit until the
    /// receiver signs a receipt.
    Transfer {
        #[command(flatten)]
        event: EventArgs,
        /// The receiver: a key fingerprint (SHA256:…) or public key file.
        #[arg(long, value_name = "SHA256:…|FILE")]
        to: String,
        /// The receiver's jurisdiction, when the transfer crosses a border
        /// (then an authority is required under the strict policy).
        #[arg(long, value_name = "TEXT")]
        to_jurisdiction: Option<String>,
    },
    /// Sign for exhibits transferred to you (with your own key).
    Receipt {
        #[command(flatten)]
        event: EventArgs,
        /// The transfer entry being acknowledged (default: the pending
        /// transfer of the first exhibit).
        #[arg(long, value_name = "SEQ")]
        transfer: Option<u64>,
    },
    /// Return exhibits to their owner (terminal).
    Release {
        #[command(flatten)]
        event: EventArgs,
        /// To whom.
        #[arg(long, value_name = "NAME")]
        to: String,
    },
    /// Record the destruction of exhibits (terminal).
    Dispose {
        #[command(flatten)]
        event: EventArgs,
        /// How, e.g. "degaussed and shredded".
        #[arg(long, value_name = "TEXT")]
        method: String,
        /// Who witnessed it.
        #[arg(long, value_name = "NAME")]
        witness: String,
    },
}

fn common(e: &EventArgs) -> Result<Common> {
    let at = match &e.at {
        None => None,
        Some(t) => {
            let parsed = chrono::DateTime::parse_from_rfc3339(t).with_context(|| {
                format!("--at {t:?}: expected an RFC 3339 time such as 2026-03-02T09:15:00Z")
            })?;
            Some(custodian::time::format(parsed.with_timezone(&chrono::Utc)))
        }
    };
    Ok(Common {
        // The custody rules refuse an exhibit the case has not acquired.
        exhibits: e.exhibits.iter().map(ExhibitId::unchecked).collect(),
        at,
        location: e.location.clone(),
        purpose: e.purpose.clone(),
        authority: e.authority.clone(),
        override_reason: e.override_reason.clone(),
        ..Common::default()
    })
}

pub fn run(args: CustodyArgs) -> Result<ExitCode> {
    let (event_args, event) = event_of(&args.command)?;
    record(event_args, event)
}

/// The event a custody subcommand records, with its common arguments.
fn event_of(command: &CustodyCommand) -> Result<(&EventArgs, Event)> {
    Ok(match command {
        CustodyCommand::Seal { event, seal } => (
            event,
            Event::Seal {
                common: common(event)?,
                seal: seal.clone(),
            },
        ),
        CustodyCommand::Unseal {
            event,
            seal,
            reason,
        } => (
            event,
            Event::Unseal {
                common: common(event)?,
                seal: seal.clone(),
                reason: reason.clone(),
                cause: None,
                covers: None,
            },
        ),
        CustodyCommand::Location { event } => {
            require(
                event.location.is_some(),
                "custody location needs --location",
            )?;
            (
                event,
                Event::Location {
                    common: common(event)?,
                },
            )
        }
        CustodyCommand::CheckOut { event } => {
            require(event.purpose.is_some(), "custody check-out needs --purpose")?;
            (
                event,
                Event::CheckOut {
                    common: common(event)?,
                },
            )
        }
        CustodyCommand::CheckIn { event } => (
            event,
            Event::CheckIn {
                common: common(event)?,
            },
        ),
        CustodyCommand::Analysis {
            event,
            tool,
            tool_version,
            description,
            outputs,
        } => {
            let outputs = hash_outputs(outputs)?;
            (
                event,
                Event::Analysis {
                    common: common(event)?,
                    tool: tool.clone(),
                    tool_version: tool_version.clone(),
                    description: description.clone(),
                    outputs,
                },
            )
        }
        CustodyCommand::Transfer {
            event,
            to,
            to_jurisdiction,
        } => {
            // The receiver is read before the common part, as it always was,
            // so the first error reported stays the same.
            let to = receiver(to)?;
            (
                event,
                Event::Transfer {
                    common: common(event)?,
                    to,
                    to_jurisdiction: to_jurisdiction.clone(),
                },
            )
        }
        CustodyCommand::Receipt { event, transfer } => {
            let transfer = match transfer {
                Some(t) => *t,
                None => pending_transfer(event)?,
            };
            (
                event,
                Event::Receipt {
                    common: common(event)?,
                    transfer,
                },
            )
        }
        CustodyCommand::Release { event, to } => (
            event,
            Event::Release {
                common: common(event)?,
                to: to.clone(),
            },
        ),
        CustodyCommand::Dispose {
            event,
            method,
            witness,
        } => (
            event,
            Event::Dispose {
                common: common(event)?,
                method: method.clone(),
                witness: witness.clone(),
            },
        ),
    })
}

/// Refuses a command missing an argument its event needs.
fn require(given: bool, message: &str) -> Result<()> {
    if given {
        Ok(())
    } else {
        bail!("{message}")
    }
}

/// Output files of an analysis, each hashed now.
fn hash_outputs(paths: &[PathBuf]) -> Result<Vec<Output>> {
    paths
        .iter()
        .map(|path| {
            let (sha256, _) = custodian::case::sha256_file(path)
                .with_context(|| format!("cannot hash output {}", path.display()))?;
            Ok(Output {
                name: path.display().to_string(),
                sha256,
            })
        })
        .collect()
}

/// The receiver of a transfer: a fingerprint as given, or that of a public
/// key file.
fn receiver(to: &str) -> Result<Fingerprint> {
    Ok(if to.starts_with("SHA256:") {
        Fingerprint::parse(to)?
    } else {
        custodian::keys::read_signer_key(std::path::Path::new(to))?
            .fingerprint()
            .clone()
    })
}

/// The transfer a receipt acknowledges when none is given: the pending
/// transfer of its first exhibit.
fn pending_transfer(event: &EventArgs) -> Result<u64> {
    let case = open_case(&event.case)?;
    let state = case.ledger().state()?;
    state
        .custody
        .pending_transfer(&event.exhibits[0])
        .map_err(|e| anyhow::anyhow!("{e}; give --transfer SEQ"))
}

/// Each signer's fingerprint → "principal (recorded name, fingerprint)",
/// so that a summary names people, not only keys.
fn people_of(case: &custodian::Case) -> Vec<(custodian::keys::Fingerprint, String)> {
    let Ok(state) = case.ledger().state() else {
        return Vec::new();
    };
    state
        .signers
        .iter()
        .map(|(fp, s)| {
            let name = s
                .name
                .as_deref()
                .map(|n| format!("{n}, "))
                .unwrap_or_default();
            (fp.clone(), format!("{} ({name}{fp})", s.principal))
        })
        .collect()
}

/// Signs and appends `event`, then prints the new entry.
fn record(event_args: &EventArgs, event: Event) -> Result<ExitCode> {
    let case = open_case(&event_args.case)?;
    let key = event_args.key.load()?;
    let (kind, _) = event.to_entry();
    let overridden = event.common().override_reason.is_some();
    let (appended, added) = case
        .record_custody(&key, event)
        .with_context(|| format!("cannot record {kind} in case {}", event_args.case.display()))?;
    let people = people_of(&case);
    for a in &appended {
        let mut summary = a.entry.summary();
        for (fp, who) in &people {
            summary = summary.replace(fp.as_str(), who);
        }
        outln!("appended entry {} ({}): {}", a.entry.seq, kind, summary);
    }
    if let Some(last) = appended.last() {
        outln!("head: {}", last.hash);
    }
    if !added.added.is_empty() {
        outln!(
            "also unsealed (under the same seal): {}",
            added.added.join(", ")
        );
    }
    if let Some(a) = &added.authority {
        outln!("authority: {a} (registered, covers the event; none was given)");
    }
    if overridden {
        errln!("custodian: warning: recorded with --override; reports will show it as a finding");
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args, Debug)]
pub struct AuthorityArgs {
    #[command(subcommand)]
    pub command: AuthorityCommand,
}

#[derive(Subcommand, Debug)]
pub enum AuthorityCommand {
    /// Register a legal instrument (warrant, order, MLAT/EIO request,
    /// preservation request, consent) that later events cite by reference.
    #[command(
        after_help = "Example:\n  custodian authority add cases/0042 --reference MLAT-PT-2026-311 --kind mlat \\\n      --issuer \"Procuradoria-Geral da República\" --jurisdiction PT \\\n      --issued 2026-03-01 --valid-from 2026-03-01 --valid-until 2026-09-01 \\\n      --scope-exhibit EXH-001 --scope-exhibit EXH-002 --key ~/.custodian/jdoe"
    )]
    Add(Box<AuthorityAdd>),
    /// List the registered authorities.
    List {
        /// The case folder.
        case: PathBuf,
        /// JSON Lines.
        #[arg(long)]
        json: bool,
    },
}

/// Register a legal instrument (warrant, order, MLAT/EIO request,
/// preservation request, consent) that later events cite by reference.
#[derive(clap::Args, Debug)]
pub struct AuthorityAdd {
    /// The case folder.
    pub case: PathBuf,
    /// How events will cite it; unique in the case.
    #[arg(long, value_name = "REF")]
    pub reference: String,
    /// search-warrant, court-order, production-order, mlat, eio,
    /// preservation-request, consent or other.
    #[arg(long, value_name = "KIND")]
    pub kind: String,
    /// The issuing body.
    #[arg(long, value_name = "TEXT")]
    pub issuer: String,
    /// Its jurisdiction.
    #[arg(long, value_name = "TEXT")]
    pub jurisdiction: String,
    /// Date issued (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub issued: String,
    /// First day of validity (not stated if not given: the authority is
    /// then valid from the issue date, and reports say so).
    #[arg(long, value_name = "DATE")]
    pub valid_from: Option<String>,
    /// Last day of validity (inclusive; default: open-ended).
    #[arg(long, value_name = "DATE")]
    pub valid_until: Option<String>,
    /// It covers every exhibit of the case.
    #[arg(long, conflicts_with = "scope_exhibits")]
    pub scope_all: bool,
    /// An exhibit it covers (repeatable; may be acquired later).
    #[arg(long = "scope-exhibit", value_name = "ID")]
    pub scope_exhibits: Vec<String>,
    /// The scope in the instrument's own words.
    #[arg(long, value_name = "TEXT")]
    pub scope: Option<String>,
    #[command(flatten)]
    pub key: KeyArg,
}

pub fn run_authority(args: AuthorityArgs) -> Result<ExitCode> {
    match args.command {
        AuthorityCommand::Add(add) => {
            let AuthorityAdd {
                case,
                reference,
                kind,
                issuer,
                jurisdiction,
                issued,
                valid_from,
                valid_until,
                scope_all,
                scope_exhibits,
                scope,
                key,
            } = *add;
            if !scope_all && scope_exhibits.is_empty() {
                bail!("give --scope-all or at least one --scope-exhibit");
            }
            let a = Authority {
                reference,
                kind,
                issuer,
                jurisdiction,
                // Not stated: absent, and valid from the issue date.
                valid_from,
                issued,
                valid_until,
                scope: Scope {
                    all: scope_all,
                    // Exhibits may be acquired later: kept as given.
                    exhibits: scope_exhibits
                        .into_iter()
                        .map(ExhibitId::unchecked)
                        .collect(),
                    description: scope,
                },
            };
            let c = open_case(&case)?;
            let signing = key.load()?;
            let appended = c
                .append(&signing, &Body::Authority(Box::new(a)))
                .with_context(|| format!("cannot register authority in case {}", case.display()))?;
            outln!(
                "appended entry {}: {}",
                appended.entry.seq,
                appended.entry.summary()
            );
            outln!("head: {}", appended.hash);
            Ok(ExitCode::SUCCESS)
        }
        AuthorityCommand::List { case, json } => {
            let c = open_case(&case)?;
            let state = c.ledger().state()?;
            for (reference, (seq, a)) in &state.custody.authorities {
                if json {
                    print_json(&json!({"entry": seq, "authority": a}));
                } else {
                    let scope = if a.scope.all {
                        "all exhibits".to_string()
                    } else {
                        a.scope.exhibits.join(", ")
                    };
                    outln!(
                        "{reference}: {} by {} ({}), valid {} to {}, covers {scope} (entry {seq})",
                        a.kind,
                        a.issuer,
                        a.jurisdiction,
                        a.valid_from_or_issued(),
                        a.valid_until.as_deref().unwrap_or("(open)")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Show every exhibit's custody: state, holder, location, seal, last event.
///
/// Also lists transfers awaiting a receipt and check-outs not returned, and
/// the number of findings per exhibit (those `verify` lists: custody,
/// hash-set matches, E01 mismatches, acquisition errors). Read-only.
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The case folder.
    pub case: PathBuf,
    /// JSON Lines, one object per exhibit.
    #[arg(long)]
    pub json: bool,
}

pub fn run_status(args: StatusArgs) -> Result<ExitCode> {
    let case = open_case(&args.case)?;
    let entries: Vec<_> = case
        .ledger()
        .entries()?
        .into_iter()
        .filter_map(|e| e.ok())
        .collect();
    let names = principal_map(entries.iter().map(|(e, _)| e));
    let state = case.ledger().state()?;
    let now = chrono::Utc::now();
    // The findings the ledger records (custody, hash-set matches, E01
    // mismatches, acquisition errors …), as `verify` and the report list
    // them, so the count per exhibit agrees with theirs.
    let findings = custodian::findings::recorded(&state, now);
    let who = |fp: &Fingerprint| names.get(fp).cloned().unwrap_or_else(|| fp.to_string());
    let holders: Vec<String> = state
        .custody
        .exhibits
        .values()
        .map(|x| who(&x.holder))
        .collect();
    let status_columns = super::term::Columns(vec![
        16,
        12,
        super::term::width_of(holders.iter().map(String::as_str), 6, 48),
        24,
        12,
        8,
    ]);
    if !args.json {
        outln!(
            "{}",
            status_columns
                .line(&["EXHIBIT", "STATE", "HOLDER", "LOCATION", "SEAL", "LAST", "FINDINGS"])
        );
    }
    for (id, ex) in &state.custody.exhibits {
        let last = *ex.entries.last().unwrap_or(&0);
        let n = findings.iter().filter(|f| f.exhibits.contains(id)).count();
        let note = match (&ex.transfer, &ex.checkout) {
            (Some(t), _) => format!(" (in transit to {} since entry {})", who(&t.to), t.entry),
            (None, Some((seq, time, purpose))) => format!(
                " (checked out at entry {seq}, {time}{})",
                purpose
                    .as_deref()
                    .map(|p| format!(", for {p}"))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        };
        if args.json {
            print_json(&json!({
                "exhibit": id,
                "state": ex.shown_status(),
                "holder": ex.holder,
                "holder_principal": names.get(&ex.holder),
                "location": ex.location,
                "seal": ex.shown_seal(),
                "seal_broken_at": ex.seal_broken,
                "transfer": ex.transfer.as_ref().map(|t| json!({"entry": t.entry, "to": t.to, "sent": t.sent})),
                "checkout": ex.checkout.as_ref().map(|(s, t, p)| json!({"entry": s, "time": t, "purpose": p})),
                "last_entry": last,
                "entries": ex.entries,
                "findings": n,
            }));
        } else {
            outln!(
                "{}",
                status_columns.line(&[
                    id.as_str(),
                    ex.shown_status().as_str(),
                    &who(&ex.holder),
                    ex.location.as_deref().unwrap_or("-"),
                    ex.shown_seal().unwrap_or("-"),
                    &last.to_string(),
                    &format!("{n}{note}"),
                ])
            );
        }
    }
    if !args.json {
        print_seals(&state.custody.seals, &who);
    }
    if !args.json && !findings.is_empty() {
        outln!();
        outln!("findings:");
        for f in &findings {
            outln!("  [{}] entries {:?}: {}", f.id, f.entries, f.message);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Each seal's life: applied when, by whom, covering what; broken when, by
/// whom, for which exhibit.
fn print_seals(
    seals: &std::collections::BTreeMap<String, custodian::custody::Seal>,
    who: &dyn Fn(&Fingerprint) -> String,
) {
    if seals.is_empty() {
        return;
    }
    outln!();
    outln!("seals:");
    for (id, s) in seals {
        outln!("  {}", seal_life(id, s, who));
    }
}

/// One line on a seal's life.
fn seal_life(
    id: &str,
    s: &custodian::custody::Seal,
    who: &dyn Fn(&Fingerprint) -> String,
) -> String {
    let mut line = format!(
        "seal {id}: applied {} by {} (entry {}) covering {}",
        s.applied.time,
        who(&s.applied.signer),
        s.applied.entry,
        s.exhibits.join(", ")
    );
    match &s.broken {
        Some(b) => line.push_str(&format!(
            "; broken {} by {} (entry {}) for {}",
            b.time,
            who(&b.signer),
            b.entry,
            s.opened_for.join(", ")
        )),
        None => line.push_str("; intact"),
    }
    line
}

/// One exhibit's timeline in plain words, for `log --exhibit`.
pub fn exhibit_timeline(case: &custodian::Case, exhibit: &str, json_out: bool) -> Result<ExitCode> {
    let entries: Vec<_> = case
        .ledger()
        .entries()?
        .into_iter()
        .filter_map(|e| e.ok())
        .collect();
    let names = principal_map(entries.iter().map(|(e, _)| e));
    let state = case.ledger().state()?;
    let ex = state
        .custody
        .exhibits
        .get(exhibit)
        .with_context(|| format!("case has no exhibit {exhibit:?}"))?;
    for seq in &ex.entries {
        let Some((e, hash)) = entries.iter().find(|(e, _)| e.seq == *seq) else {
            continue;
        };
        let who = names
            .get(&e.signer)
            .cloned()
            .unwrap_or_else(|| e.signer.to_string());
        let (when, detail) = match Body::parse(&e.kind, &e.body) {
            Ok(Body::Custody(ev)) => {
                let c = ev.common();
                let mut d = String::new();
                if let Some(a) = &c.authority {
                    d.push_str(&format!(" under {a}"));
                }
                if let Some(r) = &c.override_reason {
                    d.push_str(&format!(" — OVERRIDE: {r}"));
                }
                (c.at.clone().unwrap_or_else(|| e.time.clone()), d)
            }
            Ok(Body::ExhibitAcquire(a)) => (
                a.started.clone(),
                a.authority
                    .as_deref()
                    .map(|r| format!(" under {r}"))
                    .unwrap_or_default(),
            ),
            _ => (e.time.clone(), String::new()),
        };
        let summary = custodian::ledger::timeline_line(e, &names);
        if json_out {
            print_json(
                &json!({"seq": e.seq, "hash": hash, "time": when, "recorded": e.time, "type": e.kind, "signer": e.signer, "principal": names.get(&e.signer), "summary": summary, "entry": e}),
            );
        } else {
            outln!("{when}  entry {:<4} {who}: {summary}{detail}", e.seq);
        }
    }
    if !json_out {
        let who = |fp: &Fingerprint| names.get(fp).cloned().unwrap_or_else(|| fp.to_string());
        for (id, s) in &state.custody.seals {
            if s.exhibits.iter().any(|x| x == exhibit) {
                outln!("{}", seal_life(id, s, &who));
            }
        }
        outln!(
            "now: {} held by {}{}",
            ex.shown_status().as_str(),
            names
                .get(&ex.holder)
                .cloned()
                .unwrap_or_else(|| ex.holder.to_string()),
            ex.location
                .as_deref()
                .map(|l| format!(" at {l}"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
