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
    entry_hash, is_canonical_line, signer_key, Body, Entry, FORMAT_VERSION, OLDEST_FORMAT_VERSION,
};
use super::state::CaseState;
use super::EntryHash;
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
    /// `--allowed-signers`), each within its line's limits at entry 0's
    /// time. Empty means the root of trust is self-asserted.
    pub trusted_roots: Vec<crate::keys::TrustedRoot>,
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
    pub head: Option<EntryHash>,
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
    hash: EntryHash,
    /// Problems found looking at the line alone.
    problems: Vec<(Severity, &'static str, String)>,
    /// The signature's outcome; `None` when the signer has no key (yet).
    sig: Option<Result<(), SignatureError>>,
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
    let mut walk = Walk::new(raw, opts.no_batch);
    if n == 0 && raw.torn.is_none() {
        walk.problem(
            Severity::Error,
            "empty-ledger",
            None,
            "the ledger has no entries".into(),
        );
    }
    let stopped_at = walk.run();
    let Walk {
        problems,
        state,
        types,
        root_signer,
        root_time,
        ..
    } = walk;
    let mut problems = problems.finish(stopped_at);
    if let Some(torn) = torn_tail(raw) {
        problems.push(torn);
    }
    if let Some(open) = state.custody.torn_event() {
        problems.push(torn_event(raw, open));
    }
    let head = n.checked_sub(1).map(|last| entry_hash(raw.line(last)));
    let root = root_signer.map(|s| (s, root_time));
    let root_of_trust = root_of_trust(root.as_ref(), opts, &mut problems);
    check_expectations(raw, opts, &mut problems);
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

/// The walk through a ledger's lines, in order: what the lines so far
/// established, and one method per check of the next line.
struct Walk<'a> {
    raw: &'a RawLedger,
    no_batch: bool,
    problems: Problems,
    /// Keys, in the order the ledger introduces them; a key can only sign
    /// validly after the entry that adds it, so chunks can be verified in
    /// order without looking ahead.
    keys: HashMap<Fingerprint, SignerKey>,
    /// Signer and custody state after every valid entry so far.
    state: CaseState,
    /// Count of entries by type.
    types: BTreeMap<String, u64>,
    prev_hash: Option<EntryHash>,
    prev_seq: Option<u64>,
    /// Index and time of the last line with a readable time.
    prev_time: Option<(usize, chrono::DateTime<chrono::Utc>)>,
    /// Entry 0's signer.
    root_signer: Option<Fingerprint>,
    /// Entry 0's time, as written (the root of trust is judged at it).
    root_time: String,
}

impl<'a> Walk<'a> {
    fn new(raw: &'a RawLedger, no_batch: bool) -> Walk<'a> {
        Walk {
            raw,
            no_batch,
            problems: Problems::default(),
            keys: HashMap::new(),
            state: CaseState::default(),
            types: BTreeMap::new(),
            prev_hash: None,
            prev_seq: None,
            prev_time: None,
            root_signer: None,
            root_time: String::new(),
        }
    }

    fn problem(&mut self, severity: Severity, code: &'static str, i: Option<usize>, msg: String) {
        self.problems.push(self.raw, severity, code, i, msg);
    }

    /// Parses and checks every line, a chunk at a time (lines parsed and
    /// signatures checked in parallel, so memory stays bounded and a
    /// shredded file stops early). Returns the line it stopped at, if it
    /// stopped for too many problems.
    fn run(&mut self) -> Option<usize> {
        let n = self.raw.lines.len();
        for chunk_start in (0..n).step_by(VERIFY_CHUNK) {
            if self.problems.list.len() >= MAX_PROBLEMS {
                return Some(chunk_start);
            }
            let chunk_end = (chunk_start + VERIFY_CHUNK).min(n);
            let raw = self.raw;
            let mut parsed: Vec<Parsed> = (chunk_start..chunk_end)
                .into_par_iter()
                .map(|i| parse_line(raw.line(i)))
                .collect();
            if chunk_start == 0 {
                let first = parsed.first().and_then(|p| p.entry.as_ref());
                self.root_signer = first.map(|e| e.signer.clone());
                self.root_time = first.map(|e| e.time.clone()).unwrap_or_default();
            }
            check_signatures(raw, chunk_start, &mut parsed, &mut self.keys, self.no_batch);
            for (k, p) in parsed.iter().enumerate() {
                self.line(chunk_start + k, p);
            }
        }
        None
    }

    /// Line `i`: its own problems, then its place in the chain, its time,
    /// its signer and signature; a valid entry updates the state.
    fn line(&mut self, i: usize, p: &Parsed) {
        for (sev, code, msg) in &p.problems {
            self.problem(*sev, code, Some(i), format!("entry {i}: {msg}"));
        }
        let expected_prev = self.prev_hash.replace(p.hash).unwrap_or(EntryHash::GENESIS);
        let (Some(entry), Some(body)) = (&p.entry, &p.body) else {
            self.prev_seq = self.prev_seq.map(|s| s + 1).or(Some(i as u64));
            return;
        };
        *self.types.entry(entry.kind.clone()).or_insert(0) += 1;
        self.check_seq(i, entry);
        self.check_prev(i, entry, &expected_prev);
        self.check_clock(i, entry);
        // Trust and rules first: a signature by a key that was never trusted
        // is reported as an untrusted signer, not as a bad signature.
        let rule_ok = self.check_rules(i, entry, body);
        let sig_ok = self.check_signature(i, entry, p.sig.as_ref(), rule_ok);
        self.check_known_type(i, entry);
        if rule_ok && sig_ok {
            self.state.apply(entry, &p.hash, body);
        }
    }

    /// The sequence number follows the previous line's.
    fn check_seq(&mut self, i: usize, entry: &Entry) {
        let expected_seq = self.prev_seq.map_or(0, |s| s + 1);
        if entry.seq != expected_seq || (i == 0 && entry.seq != 0) {
            self.problem(
                Severity::Error,
                "seq-mismatch",
                Some(i),
                format!(
                    "entry {i}: sequence number is {}, expected {expected_seq} (an entry was removed, inserted, duplicated or moved)",
                    entry.seq
                ),
            );
        }
        self.prev_seq = Some(entry.seq);
    }

    /// `prev` is the hash of the previous line.
    fn check_prev(&mut self, i: usize, entry: &Entry, expected_prev: &EntryHash) {
        if *expected_prev != entry.prev {
            self.problem(
                Severity::Error,
                "prev-mismatch",
                Some(i),
                format!(
                    "entry {i}: prev is {}, but the previous line hashes to {expected_prev} (the chain is broken here)",
                    entry.prev
                ),
            );
        }
    }

    /// A time earlier than the previous entry's is a warning.
    fn check_clock(&mut self, i: usize, entry: &Entry) {
        let Ok(t) = crate::time::parse(&entry.time) else {
            return;
        };
        if let Some((j, pt)) = self.prev_time {
            if t < pt {
                self.problem(
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
        self.prev_time = Some((i, t));
    }

    /// The signer and entry rules of [`CaseState::check`]; true if kept.
    fn check_rules(&mut self, i: usize, entry: &Entry, body: &Body) -> bool {
        let Err(v) = self.state.check(entry, body) else {
            return true;
        };
        self.problem(
            Severity::Error,
            v.code,
            Some(i),
            format!("entry {i}: {}", v.message),
        );
        false
    }

    /// The signature verified; a signer without a key is reported here
    /// only if the rules did not already report it.
    fn check_signature(
        &mut self,
        i: usize,
        entry: &Entry,
        sig: Option<&Result<(), SignatureError>>,
        rule_ok: bool,
    ) -> bool {
        match sig {
            Some(Ok(())) => true,
            Some(Err(e)) => {
                self.problem(
                    Severity::Error,
                    "bad-signature",
                    Some(i),
                    format!("entry {i}: {e}"),
                );
                false
            }
            None => {
                if rule_ok {
                    self.problem(
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
        }
    }

    /// An entry type this version does not know is a warning.
    fn check_known_type(&mut self, i: usize, entry: &Entry) {
        if !kind::KNOWN.contains(&entry.kind.as_str()) {
            self.problem(
                Severity::Warning,
                "unknown-type",
                Some(i),
                format!(
                    "entry {i}: type {:?} is not understood by this version of custodian; only its chain and signature were checked",
                    entry.kind
                ),
            );
        }
    }
}

/// A final line without a newline.
fn torn_tail(raw: &RawLedger) -> Option<Problem> {
    let (offset, len) = raw.torn?;
    Some(Problem::at_entry(
        Severity::Error,
        "torn-tail",
        Some(raw.lines.len() as u64),
        Some(offset),
        format!(
            "torn final line at byte offset {offset} ({len} bytes without a newline); `custodian repair` moves it aside"
        ),
    ))
}

/// A version-2 event whose last parts are missing at the end of the
/// ledger: a crash cut a multi-exhibit write short.
fn torn_event(raw: &RawLedger, open: &crate::custody::OpenEvent) -> Problem {
    let first = open.first_seq;
    let offset = usize::try_from(first)
        .ok()
        .and_then(|i| raw.lines.get(i))
        .map(|(off, _)| *off);
    Problem::at_entry(
        Severity::Error,
        "event-torn",
        Some(first),
        offset,
        format!(
            "entry {first}: event {} has {} of its {} parts at the end of the ledger (a write was cut short); `custodian repair` moves the parts aside",
            open.id, open.seen, open.of
        ),
    )
}

/// Whether entry 0's key is one the verifier was told to trust, by a line
/// that allows it at entry 0's time (`root`: entry 0's signer and time).
fn root_of_trust(
    root: Option<&(Fingerprint, String)>,
    opts: &VerifyOptions,
    problems: &mut Vec<Problem>,
) -> RootOfTrust {
    if opts.trusted_roots.is_empty() {
        problems.push(Problem::at_entry(
            Severity::Warning,
            "self-asserted-root",
            Some(0),
            Some(0),
            "the root of trust is self-asserted: entry 0's key was not checked against a key you trust (use --trust or --allowed-signers)".into(),
        ));
        return RootOfTrust::SelfAsserted;
    }
    let listed: Vec<_> = match root {
        Some((signer, _)) => opts
            .trusted_roots
            .iter()
            .filter(|r| &r.fingerprint == signer)
            .collect(),
        None => Vec::new(),
    };
    let message = match root {
        Some((signer, time)) if !listed.is_empty() => {
            let at = crate::time::parse(time).ok();
            let mut refused = Vec::new();
            for r in listed {
                match r.permits_root(at) {
                    Ok(()) => return RootOfTrust::Trusted,
                    Err(why) => refused.push(why),
                }
            }
            format!(
                "entry 0 is signed by {signer} at {time}, a key you trust, but not for a ledger opened then: {}",
                refused.join("; ")
            )
        }
        _ => format!(
            "entry 0 is signed by {}, which is not among the keys you trust",
            root.map_or("nobody".to_string(), |(s, _)| s.to_string())
        ),
    };
    problems.push(Problem::at_entry(
        Severity::Error,
        "untrusted-root",
        Some(0),
        Some(0),
        message,
    ));
    RootOfTrust::Untrusted
}

/// A head and a size recorded earlier: the ledger still holds the one and
/// reaches the other.
fn check_expectations(raw: &RawLedger, opts: &VerifyOptions, problems: &mut Vec<Problem>) {
    let n = raw.lines.len();
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
    for (i, r) in results {
        parsed[i].sig = Some(r);
    }
    for (i, p) in prepared.into_iter().enumerate() {
        if let Some(Err(e)) = p {
            parsed[i].sig = Some(Err(e));
        }
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
        if !(u64::from(OLDEST_FORMAT_VERSION)..=u64::from(FORMAT_VERSION)).contains(&v) {
            out.problems.push((
                Severity::Error,
                "unsupported-version",
                format!("format version {v} is not supported by this version of custodian (it reads {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION})"),
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
    if !crate::custody::is_lower_hex(&entry.prev, 64) {
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
