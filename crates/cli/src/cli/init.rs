//! `custodian init`: create a case folder and open its ledger.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use custodian::custody::{AuthorityPolicy, Policy};
use custodian::ledger::{LedgerError, Role};
use custodian::{Case, CaseInit, Stamp};

use super::args::KeyArg;
use super::term::outln;

/// Create a case folder whose ledger's first entry opens the case.
///
/// The signing key becomes the case's first trusted signer (by default with
/// the supervisor role, which may add and revoke other signers). Refuses, with
/// exit code 2, if CASE already holds a ledger.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  custodian init cases/2026-0042 --case-id FR-LYON-2026-0042 \\\n      --title \"Seized laptop, rue X\" --authority \"Warrant 26/1187, TJ Lyon\" \\\n      --jurisdiction FR --examiner \"Jane Doe\" --key ~/.custodian/jdoe"
)]
pub struct InitArgs {
    /// The case folder to create (it may exist, but must hold no ledger).
    pub case: PathBuf,
    /// The case's identifier, e.g. FR-LYON-2026-0042.
    #[arg(long, value_name = "ID")]
    pub case_id: String,
    /// A short title for the case.
    #[arg(long, value_name = "TEXT")]
    pub title: String,
    /// The legal authority the case is opened under (warrant, order …).
    #[arg(long, value_name = "TEXT")]
    pub authority: Option<String>,
    /// The opening authority's kind: search-warrant, court-order,
    /// production-order, mlat, eio, preservation-request, consent or other
    /// (not stated if not given).
    #[arg(long, value_name = "KIND", requires = "authority")]
    pub authority_kind: Option<String>,
    /// The body that issued the opening authority.
    #[arg(long, value_name = "TEXT", requires = "authority")]
    pub authority_issuer: Option<String>,
    /// The opening authority's jurisdiction, when it differs from the case's.
    #[arg(long, value_name = "TEXT", requires = "authority")]
    pub authority_jurisdiction: Option<String>,
    /// When the opening authority was issued (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", requires = "authority")]
    pub authority_issued: Option<String>,
    /// First day it is valid (YYYY-MM-DD; not stated: from the opening day,
    /// which the report says is a default).
    #[arg(long, value_name = "DATE", requires = "authority")]
    pub authority_valid_from: Option<String>,
    /// Last day it is valid (YYYY-MM-DD, inclusive; not stated: no end).
    #[arg(long, value_name = "DATE", requires = "authority")]
    pub authority_valid_until: Option<String>,
    /// Its scope in the instrument's own words (it covers the whole case).
    #[arg(long, value_name = "TEXT", requires = "authority")]
    pub authority_scope: Option<String>,
    /// The jurisdiction, e.g. FR or "England and Wales".
    #[arg(long, value_name = "TEXT")]
    pub jurisdiction: Option<String>,
    /// The opening examiner's name, as it should appear in reports
    /// (recorded as the opening signer's name too).
    #[arg(long, value_name = "NAME")]
    pub examiner: Option<String>,
    /// The opening signer's qualifications, in their own words (recorded
    /// as their statement; a certification can quote them).
    #[arg(long, value_name = "TEXT")]
    pub qualifications: Option<String>,
    /// The opening signer's principal (default: the key's comment).
    #[arg(long, value_name = "NAME")]
    pub principal: Option<String>,
    /// The opening signer's role.
    #[arg(long, value_name = "ROLE", default_value = "supervisor")]
    pub role: Role,
    /// Which events must cite a registered legal authority: strict (the
    /// default: acquisition, analysis and cross-border transfer are refused
    /// without one, unless overridden), warn (recorded as findings) or off.
    /// --authority registers the case's opening authority, covering every
    /// exhibit from the opening day on.
    #[arg(long, value_name = "POLICY", default_value = "strict")]
    pub authority_policy: AuthorityPolicy,
    /// How many seconds after it is recorded a custody event may say it
    /// happened (--at) before it is a CUS-FUTURE finding; at most 86400
    /// (default: 300, not recorded).
    #[arg(long, value_name = "SECONDS")]
    pub clock_skew: Option<u64>,
    #[command(flatten)]
    pub key: KeyArg,
}

pub fn run(args: InitArgs) -> Result<ExitCode> {
    let key = args.key.load()?;
    let init = CaseInit {
        case_id: args.case_id,
        title: args.title,
        authority: args.authority,
        authority_details: {
            let d = custodian::ledger::AuthorityDetails {
                kind: args.authority_kind,
                issuer: args.authority_issuer,
                jurisdiction: args.authority_jurisdiction,
                issued: args.authority_issued,
                valid_from: args.authority_valid_from,
                valid_until: args.authority_valid_until,
                scope: args.authority_scope,
            };
            (d != custodian::ledger::AuthorityDetails::default()).then_some(d)
        },
        jurisdiction: args.jurisdiction,
        examiner: args.examiner,
        principal: args.principal,
        role: args.role,
        qualifications: args.qualifications,
        policy: Some(Policy {
            authority: args.authority_policy,
            clock_skew_seconds: args.clock_skew,
        }),
    };
    let (case, appended) = match Case::create(&args.case, &init, &key, &Stamp::now()) {
        Err(e @ LedgerError::NoPrincipal) => Err(anyhow::anyhow!("{e}; pass --principal")),
        created => created.map_err(anyhow::Error::from),
    }
    .with_context(|| format!("cannot create case {}", args.case.display()))?;
    outln!("created case {} in {}", init.case_id, case.dir().display());
    outln!("ledger: {}", case.ledger().path().display());
    outln!("signer: {}", key.fingerprint());
    outln!("head:   {} (1 entry)", appended.hash);
    Ok(ExitCode::SUCCESS)
}
