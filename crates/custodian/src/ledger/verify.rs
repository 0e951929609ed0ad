//! Verifying a ledger from its bytes alone.
//!
//! Signatures are checked in parallel (they are independent of each other
//! once every key the ledger ever introduces is known); the chain, sequence,
//! time order and signer rules are then replayed in order. Every problem is
//! collected, not only the first, each with a stable code and the entry it
//! concerns.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::entry::{
    entry_hash, is_canonical_line, signer_key, Body, Entry, FORMAT_VERSION, GENESIS_PREV,
};
use super::state::CaseState;
use super::{kind, LedgerError, RawLedger};
use crate::keys::{verify_batch, Fingerprint, PreparedSignature, SignatureError, SignerKey};

/// Problems listed per ledger before the rest are only counted.
pub const MAX_PROBLEMS: usize = 1000;

/// Lines parsed and verified together: bounds memory on huge ledgers.
const VERIFY_CHUNK: usize = 65_536;

/// Signatures verified together; large enough to amortise the batch
/// set-up, small enough to keep both cores busy on short ledgers.
const SIGNATURE_BATCH: usize = 64;

/// How serious a problem is. Errors make the ledger "not as recorded"
/// (exit 1); warnings are reported and fail only under `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One thing wrong with a ledger.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub severity: Severity,
    /// Stable identifier, listed in `docs/spec/ledger.md`.
    pub code: &'static str,
    /// Index of the line (= the expected sequence number), if about a line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
    /// Byte offset of that line in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// A file the problem is about (a manifest, relative to the case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What the ledger recorded and what was found, where that applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    pub message: String,
}

impl Problem {
    /// A problem about one ledger line.
    pub fn at_entry(
        severity: Severity,
        code: &'static str,
        entry: Option<u64>,
        offset: Option<u64>,
        message: String,
    ) -> Problem {
        Problem {
            severity,
            code,
            entry,
            offset,
            path: None,
            expected: None,
            found: None,
            message,
        }
    }
}

/// Where the trust in entry 0's key comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RootOfTrust {
    /// Nobody outside the ledger vouched for the opening key.
    SelfAsserted,
    /// The opening key is one the verifier was told to trust.
    Trusted,
    /// The verifier was told which keys to trust and entry 0's is not one.
    Untrusted,
}

/// What the verifier was told besides the ledger itself.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Keys the case must have been opened with (`--trust`,
    /// `--allowed-signers`). Empty means the root of trust is self-asserted.
    pub trusted_roots: Vec<Fingerprint>,
    /// A head hash recorded earlier that must still be in the ledger.
    pub expect_head: Option<String>,
    /// An entry count recorded earlier that the ledger must still reach.
    pub expect_size: Option<u64>,
    /// Verify signatures one by one instead of in batches (slower; see
    /// [`crate::keys::verify_batch`] for the one case where they differ).
    pub no_batch: bool,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone)]
pub struct Report {
    /// Whole lines in the file.
    pub entries: u64,
    /// File size in bytes.
    pub bytes: u64,
    /// Hash of the last whole line, if any.
    pub head: Option<String>,
    pub root_of_trust: RootOfTrust,
    /// Signer state after replaying every valid entry.
    pub state: CaseState,
    /// Count of entries by type.
    pub types: BTreeMap<String, u64>,
    pub problems: Vec<Problem>,
}

impl Report {
    /// True when no problem is an error.
    pub fn is_valid(&self) -> bool {
        !self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }
}

/// Per-line result of the parallel phase.
struct Parsed {
    entry: Option<Entry>,
    body: Option<Body>,
    hash: String,
    /// Problems found looking at the line alone.
    problems: Vec<(Severity, &'static str, String)>,
    sig: Option<Result<(), String>>,
    /// The line is byte-identical to its canonical form.
    canonical: bool,
}

/// Verifies the ledger at `ledger` (see module docs).
pub fn verify(ledger: &super::Ledger, opts: &VerifyOptions) -> Result<Report, LedgerError> {
    let raw = ledger.read_raw()?;
    Ok(verify_raw(&raw, opts))
}

/// Verifies ledger bytes already in memory.
pub fn verify_raw(raw: &RawLedger, opts: &VerifyOptions) -> Report {
    let n = raw.lines.len();
    let mut problems = Problems::default();
    if n == 0 && raw.torn.is_none() {
        problems.push(
            raw,
            Severity::Error,
            "empty-ledger",
            None,
            "the ledger has no entries".into(),
        );
    }

    // Keys, in the order the ledger introduces them; a key can only sign
    // validly after the entry that adds it, so chunks can be verified in
    // order without looking ahead.
    let mut keys: HashMap<Fingerprint, SignerKey> = HashMap::new();
    let mut state = CaseState::default();
    let mut types = BTreeMap::new();
    let mut prev_hash: Option<String> = None;
    let mut prev_seq: Option<u64> = None;
    let mut prev_time: Option<(usize, chrono::DateTime<chrono::Utc>)> = None;
    let mut root_signer: Option<Fingerprint> = None;
    let mut stopped_at: Option<usize> = None;
    // Lines are parsed and their signatures checked in parallel, a chunk at
    // a time, so memory stays bounded and a shredded file stops early.
    for chunk_start in (0..n).step_by(VERIFY_CHUNK) {
        if problems.list.len() >= MAX_PROBLEMS {
            stopped_at = Some(chunk_start);
            break;
        }
        let chunk_end = (chunk_start + VERIFY_CHUNK).min(n);
        let mut parsed: Vec<Parsed> = (chunk_start..chunk_end)
            .into_par_iter()
            .map(|i| parse_line(raw.line(i)))
            .collect();
        if chunk_start == 0 {
            root_signer = parsed
                .first()
                .and_then(|p| p.entry.as_ref())
                .map(|e| e.signer.clone());
        }
        check_signatures(raw, chunk_start, &mut parsed, &mut keys, opts.no_batch);
        for (k, p) in parsed.iter().enumerate() {
            let i = chunk_start + k;
            for (sev, code, msg) in &p.problems {
                problems.push(raw, *sev, code, Some(i), format!("entry {i}: {msg}"));
            }
            let expected_prev = prev_hash
                .clone()
                .unwrap_or_else(|| GENESIS_PREV.to_string());
            prev_hash = Some(p.hash.clone());
            let (Some(entry), Some(body)) = (&p.entry, &p.body) else {
                prev_seq = prev_seq.map(|s| s + 1).or(Some(i as u64));
                continue;
            };
            *types.entry(entry.kind.clone()).or_insert(0) += 1;

            let expected_seq = prev_seq.map_or(0, |s| s + 1);
            if entry.seq != expected_seq || (i == 0 && entry.seq != 0) {
                problems.push(
                raw,
                    Severity::Error,
                    "seq-mismatch",
                    Some(i),
                    format!(
                        "entry {i}: sequence number is {}, expected {expected_seq} (an entry was removed, inserted, duplicated or moved)",
                        entry.seq
                    ),
                );
            }
            prev_seq = Some(entry.seq);
            if entry.prev != expected_prev {
                problems.push(
                raw,
                    Severity::Error,
                    "prev-mismatch",
                    Some(i),
                    format!(
                        "entry {i}: prev is {}, but the previous line hashes to {expected_prev} (the chain is broken here)",
                        entry.prev
                    ),
                );
            }
            if let Ok(t) = crate::time::parse(&entry.time) {
                if let Some((j, pt)) = prev_time {
                    if t < pt {
                        problems.push(
                            raw,
                            Severity::Warning,
                            "clock-regression",
                            Some(i),
                            format!(
                                "entry {i}: recorded at {} , earlier than entry {j}",
                                entry.time
                            ),
                        );
                    }
                }
                prev_time = Some((i, t));
            }

            // Trust and rules first: a signature by a key that was never trusted
            // is reported as an untrusted signer, not as a bad signature.
            let rule = state.check(entry, body);
            if let Err(v) = &rule {
                problems.push(
                    raw,
                    Severity::Error,
                    v.code,
                    Some(i),
                    format!("entry {i}: {}", v.message),
                );
            }
            let sig_ok = match &p.sig {
                Some(Ok(())) => true,
                Some(Err(msg)) => {
                    problems.push(
                        raw,
                        Severity::Error,
                        "bad-signature",
                        Some(i),
                        format!("entry {i}: {msg}"),
                    );
                    false
                }
                None => {
                    if rule.is_ok() {
                        problems.push(
                            raw,
                            Severity::Error,
                            "unknown-signer",
                            Some(i),
                            format!(
                                "entry {i}: signer {} has no key in this ledger",
                                entry.signer
                            ),
                        );
                    }
                    false
                }
            };
            if !kind::KNOWN.contains(&entry.kind.as_str()) {
                problems.push(
                raw,
                    Severity::Warning,
                    "unknown-type",
                    Some(i),
                    format!(
                        "entry {i}: type {:?} is not understood by this version of custodian; only its chain and signature were checked",
                        entry.kind
                    ),
                );
            }
            if rule.is_ok() && sig_ok {
                state.apply(entry, body);
            }
        }
    }

    let mut problems = problems.finish(stopped_at);
    if let Some((offset, len)) = raw.torn {
        problems.push(Problem::at_entry(
            Severity::Error,
            "torn-tail",
            Some(n as u64),
            Some(offset),
            format!(
                "torn final line at byte offset {offset} ({len} bytes without a newline); `custodian repair` moves it aside"
            ),
        ));
    }

    let head = n.checked_sub(1).map(|last| entry_hash(raw.line(last)));
    let root_signer = root_signer.as_ref();
    let root_of_trust = if opts.trusted_roots.is_empty() {
        problems.push(Problem::at_entry(
            Severity::Warning,
            "self-asserted-root",
            Some(0),
            Some(0),
            "the root of trust is self-asserted: entry 0's key was not checked against a key you trust (use --trust or --allowed-signers)".into(),
        ));
        RootOfTrust::SelfAsserted
    } else if root_signer.is_some_and(|s| opts.trusted_roots.contains(s)) {
        RootOfTrust::Trusted
    } else {
        problems.push(Problem::at_entry(
            Severity::Error,
            "untrusted-root",
            Some(0),
            Some(0),
            format!(
                "entry 0 is signed by {}, which is not among the keys you trust",
                root_signer.map_or("nobody".to_string(), |s| s.to_string())
            ),
        ));
        RootOfTrust::Untrusted
    };

    if let Some(expected) = &opts.expect_head {
        let expected = expected.trim().to_ascii_lowercase();
        if !(0..n)
            .into_par_iter()
            .any(|i| entry_hash(raw.line(i)) == expected)
        {
            problems.push(Problem::at_entry(
                Severity::Error,
                "expected-head-missing",
                None,
                None,
                format!(
                    "no entry hashes to the expected head {expected}: the ledger was truncated or rewritten"
                ),
            ));
        }
    }
    if let Some(size) = opts.expect_size {
        if (n as u64) < size {
            problems.push(Problem::at_entry(
                Severity::Error,
                "expected-size",
                None,
                None,
                format!(
                    "the ledger has {n} entries, fewer than the {size} expected: it was truncated"
                ),
            ));
        }
    }

    Report {
        entries: n as u64,
        bytes: raw.bytes.len() as u64,
        head,
        root_of_trust,
        state,
        types,
        problems,
    }
}

/// Problems found so far, capped at [`MAX_PROBLEMS`].
#[derive(Default)]
struct Problems {
    list: Vec<Problem>,
    suppressed: u64,
}

impl Problems {
    fn push(
        &mut self,
        raw: &RawLedger,
        severity: Severity,
        code: &'static str,
        i: Option<usize>,
        message: String,
    ) {
        // A hostile or shredded file must not turn into millions of
        // problems: past the cap, problems are only counted.
        if self.list.len() >= MAX_PROBLEMS {
            self.suppressed += 1;
            return;
        }
        self.list.push(Problem::at_entry(
            severity,
            code,
            i.map(|i| i as u64),
            i.map(|i| raw.lines[i].0),
            message,
        ));
    }

    fn finish(mut self, stopped_at: Option<usize>) -> Vec<Problem> {
        if self.suppressed > 0 || stopped_at.is_some() {
            let mut message = format!(
                "{} further problem(s) not listed: the first {MAX_PROBLEMS} are shown",
                self.suppressed
            );
            if let Some(at) = stopped_at {
                message.push_str(&format!("; verification stopped at entry {at}"));
            }
            self.list.push(Problem::at_entry(
                Severity::Error,
                "too-many-problems",
                None,
                None,
                message,
            ));
        }
        self.list
    }
}

/// Decodes every signature of a chunk in parallel and verifies them in
/// batches, recording the outcome in each [`Parsed`].
fn check_signatures(
    raw: &RawLedger,
    offset: usize,
    parsed: &mut [Parsed],
    keys: &mut HashMap<Fingerprint, SignerKey>,
    no_batch: bool,
) {
    for p in parsed.iter() {
        let info = match &p.body {
            Some(Body::CaseOpen(o)) => &o.signer,
            Some(Body::SignerAdd(a)) => a,
            _ => continue,
        };
        if let Ok(k) = signer_key(info) {
            keys.entry(k.fingerprint().clone()).or_insert(k);
        }
    }
    let keys = &*keys;
    let prepared: Vec<Option<Result<PreparedSignature, SignatureError>>> = parsed
        .par_iter()
        .enumerate()
        .map(|(k, p)| {
            let e = p.entry.as_ref()?;
            let key = keys.get(&e.signer)?;
            let sig = e.sig.as_deref().unwrap_or_default();
            let signed = if p.canonical {
                e.signed_bytes_from_line(raw.line(offset + k))
            } else {
                e.signed_bytes()
            };
            Some(key.prepare(&signed, sig))
        })
        .collect();
    let ready: Vec<(usize, &PreparedSignature)> = prepared
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match p {
            Some(Ok(sig)) => Some((i, sig)),
            _ => None,
        })
        .collect();
    let results: Vec<(usize, Result<(), SignatureError>)> = if no_batch {
        ready.par_iter().map(|(i, s)| (*i, s.verify())).collect()
    } else {
        ready
            .par_chunks(SIGNATURE_BATCH)
            .flat_map_iter(|chunk| {
                let sigs: Vec<&PreparedSignature> = chunk.iter().map(|(_, s)| *s).collect();
                let out = verify_batch(&sigs);
                chunk.iter().map(|(i, _)| *i).zip(out).collect::<Vec<_>>()
            })
            .collect()
    };
    for (i, p) in prepared.into_iter().enumerate() {
        if let Some(Err(msg)) = p {
            parsed[i].sig = Some(Err(msg.to_string()));
        }
    }
    for (i, r) in results {
        parsed[i].sig = Some(r.map_err(|e| e.to_string()));
    }
}

/// The problems [`verify_raw`] finds in one ledger line on its own (JSON,
/// canonical form, format version, fields, timestamp, body), without the
/// chain, the signature or the signer rules, which need the lines before
/// it. Exposed for the fuzz targets and tests: the same code as `verify`.
pub fn line_problems(line: &[u8]) -> Vec<(Severity, &'static str, String)> {
    parse_line(line).problems
}

fn parse_line(line: &[u8]) -> Parsed {
    let hash = entry_hash(line);
    let mut out = Parsed {
        entry: None,
        body: None,
        hash,
        problems: Vec::new(),
        sig: None,
        canonical: false,
    };
    let value: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => {
            out.problems.push((
                Severity::Error,
                "malformed-json",
                format!("not valid JSON ({e})"),
            ));
            return out;
        }
    };
    out.canonical = is_canonical_line(&value, line);
    if !out.canonical {
        out.problems.push((
            Severity::Error,
            "not-canonical",
            "the line is not in RFC 8785 canonical form (it was edited or re-serialised)".into(),
        ));
    }
    if let Some(v) = value.get("v").and_then(Value::as_u64) {
        if v != u64::from(FORMAT_VERSION) {
            out.problems.push((
                Severity::Error,
                "unsupported-version",
                format!("format version {v} is not supported by this version of custodian"),
            ));
            return out;
        }
    }
    let entry: Entry = match serde_json::from_value(value) {
        Ok(e) => e,
        Err(e) => {
            out.problems.push((
                Severity::Error,
                "bad-field",
                format!("not a valid entry ({e})"),
            ));
            return out;
        }
    };
    if let Err(e) = crate::time::parse(&entry.time) {
        out.problems
            .push((Severity::Error, "bad-timestamp", e.to_string()));
    }
    if entry.prev.len() != 64
        || !entry
            .prev
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        out.problems.push((
            Severity::Error,
            "bad-field",
            "prev is not 64 lowercase hex digits".into(),
        ));
    }
    match Body::parse(&entry.kind, &entry.body) {
        Ok(b) => out.body = Some(b),
        Err(msg) => {
            out.problems
                .push((Severity::Error, "bad-body", msg.to_string()));
            out.body = Some(Body::Unknown);
        }
    }
    if entry.kind.is_empty()
        || !kind::KNOWN.contains(&entry.kind.as_str()) && entry.kind.contains(char::is_whitespace)
    {
        out.problems.push((
            Severity::Error,
            "bad-field",
            "entry type is empty or malformed".into(),
        ));
    }
    out.entry = Some(entry);
    out
}
