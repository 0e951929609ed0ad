//! Verifying a ledger from its bytes alone.
//!
//! The ledger is read as a stream of windows of whole lines, so memory
//! stays bounded by a few windows whatever the ledger's size (a line longer
//! than a window is read whole, alone). Each window goes through two
//! stages: the *check* parses every line and verifies every signature
//! whose key is known, in parallel (they are independent of each other once
//! the keys are known); the *walk* then replays the chain, sequence, time
//! order and signer rules in order. The walk of one window runs while the
//! next window is checked, so the serial replay does not leave a core idle.
//! Every problem is collected, not only the first, each with a stable code
//! and the entry it concerns. What the report needs from the whole file
//! (the head, the torn tail, the expected head and size) is carried along,
//! never by keeping the lines.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc;

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
use custodian_format::jcs::is_canonical_bytes;

/// Problems listed per ledger before the rest are only counted.
pub const MAX_PROBLEMS: usize = 1000;

/// Lines of one logical chunk. Two results follow these boundaries and
/// are kept exactly as they were when the chunk was the unit of work: a
/// key a chunk introduces counts for the signatures of the whole chunk,
/// and verification stops for too many problems only at a chunk's start.
/// Windows never straddle a chunk boundary.
/// (The unit tests use small chunks and windows, to cross their
/// boundaries with small ledgers.)
#[cfg(not(test))]
const VERIFY_CHUNK: usize = 65_536;
#[cfg(test)]
const VERIFY_CHUNK: usize = 64;

/// Bytes of whole lines read from the file per window (about 1,500
/// entries of notes): large enough to keep both cores busy, small enough
/// that the windows in flight stay a few megabytes.
#[cfg(not(test))]
const WINDOW_BYTES: usize = 1 << 20;
#[cfg(test)]
const WINDOW_BYTES: usize = 3000;

/// Lines per window when the ledger is already in memory.
#[cfg(not(test))]
const WINDOW_LINES: usize = 2048;
#[cfg(test)]
const WINDOW_LINES: usize = 5;

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

/// Per-line result of the check stage.
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

/// Verifies the ledger at `ledger` (see module docs), reading the file as
/// a stream: memory stays bounded whatever its size.
pub fn verify(ledger: &super::Ledger, opts: &VerifyOptions) -> Result<Report, LedgerError> {
    let path = ledger.path();
    let io = |source| LedgerError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = crate::fsutil::open_regular(path, false).map_err(io)?;
    // Lines re-read after their window is gone (a signature whose key came
    // later in its chunk) are read at their offset from the same open file.
    let again = file.try_clone().map_err(io)?;
    let read_at = |offset: u64, len: usize| -> Result<Vec<u8>, LedgerError> {
        use std::os::unix::fs::FileExt;
        let mut line = vec![0; len];
        again.read_exact_at(&mut line, offset).map_err(io)?;
        Ok(line)
    };
    let mut reader = FileLines::new(file);
    std::thread::scope(|scope| {
        // The next windows are read while this one is checked.
        let (tx, rx) = mpsc::sync_channel::<std::io::Result<Fetched>>(1);
        scope.spawn(move || loop {
            let next = reader.next_window().map(|w| match w {
                Some(w) => Fetched::Window(w),
                None => Fetched::End(reader.end()),
            });
            let more = matches!(next, Ok(Fetched::Window(_)));
            if tx.send(next).is_err() || !more {
                return;
            }
        });
        let mut end = (None, 0);
        let next = || match rx.recv() {
            Ok(Ok(Fetched::Window(w))) => Ok(Some(w)),
            Ok(Ok(Fetched::End(e))) => {
                end = e;
                Ok(None)
            }
            // The reader stops only after sending the end or an error.
            Err(_) => Ok(None),
            Ok(Err(e)) => Err(io(e)),
        };
        let walked = drive(opts, next, &read_at)?;
        walked.report(end.0, end.1, &line_offset_in_file(path), opts)
    })
}

/// What the reader thread hands over: a window, or the end of the file
/// with its torn tail (offset, length) and size.
enum Fetched {
    Window(FileWindow),
    End((Option<(u64, u64)>, u64)),
}

/// Verifies ledger bytes already in memory: the same walk as [`verify`],
/// over windows of `raw`.
pub fn verify_raw(raw: &RawLedger, opts: &VerifyOptions) -> Report {
    let n = raw.lines.len();
    let mut first = 0;
    let next = || -> Result<_, std::convert::Infallible> {
        if first >= n {
            return Ok(None);
        }
        let to_chunk_end = VERIFY_CHUNK - first % VERIFY_CHUNK;
        let end = n.min(first + WINDOW_LINES.min(to_chunk_end));
        let w = RawWindow { raw, first, end };
        first = end;
        Ok(Some(w))
    };
    let read_at = |offset: u64, len: usize| Ok(raw.bytes[offset as usize..][..len].to_vec());
    let walked = match drive(opts, next, &read_at) {
        Ok(w) => w,
        Err(never) => match never {},
    };
    let line_offset = |i: usize| -> Result<_, std::convert::Infallible> {
        Ok(raw.lines.get(i).map(|(off, _)| *off))
    };
    match walked.report(raw.torn, raw.bytes.len() as u64, &line_offset, opts) {
        Ok(report) => report,
        Err(never) => match never {},
    }
}

/// A run of consecutive whole lines of a ledger, in memory.
trait Window: Sync + Send {
    /// Index of the first line in the ledger.
    fn first(&self) -> usize;
    fn len(&self) -> usize;
    /// Line `k` of the window, without its newline.
    fn line(&self, k: usize) -> &[u8];
    /// Byte offset of line `k` in the file.
    fn offset(&self, k: usize) -> u64;
}

/// Lines `first..end` of a ledger already in memory.
struct RawWindow<'a> {
    raw: &'a RawLedger,
    first: usize,
    end: usize,
}

impl Window for RawWindow<'_> {
    fn first(&self) -> usize {
        self.first
    }
    fn len(&self) -> usize {
        self.end - self.first
    }
    fn line(&self, k: usize) -> &[u8] {
        self.raw.line(self.first + k)
    }
    fn offset(&self, k: usize) -> u64 {
        self.raw.lines[self.first + k].0
    }
}

/// Whole lines read from the file, with their own bytes.
struct FileWindow {
    first: usize,
    /// File offset of `bytes[0]`.
    base: u64,
    bytes: Vec<u8>,
    /// (start in `bytes`, length without the newline) of each line.
    lines: Vec<(usize, usize)>,
}

impl Window for FileWindow {
    fn first(&self) -> usize {
        self.first
    }
    fn len(&self) -> usize {
        self.lines.len()
    }
    fn line(&self, k: usize) -> &[u8] {
        let (start, len) = self.lines[k];
        &self.bytes[start..start + len]
    }
    fn offset(&self, k: usize) -> u64 {
        self.base + self.lines[k].0 as u64
    }
}

/// Reads a ledger file as windows of whole lines, never across a chunk
/// boundary, and notes the trailing bytes without a newline.
struct FileLines {
    file: File,
    /// Bytes read after the last line handed out, and their offset.
    carry: Vec<u8>,
    pos: u64,
    next_line: usize,
    eof: bool,
}

impl FileLines {
    fn new(file: File) -> FileLines {
        FileLines {
            file,
            carry: Vec::new(),
            pos: 0,
            next_line: 0,
            eof: false,
        }
    }

    /// The torn tail (offset, length) and the file's size, once
    /// [`FileLines::next_window`] has returned `None`.
    fn end(&self) -> (Option<(u64, u64)>, u64) {
        let len = self.carry.len() as u64;
        ((len > 0).then_some((self.pos, len)), self.pos + len)
    }

    /// The next window, or `None` at the end of the file.
    fn next_window(&mut self) -> std::io::Result<Option<FileWindow>> {
        let mut bytes = Vec::with_capacity(WINDOW_BYTES.max(self.carry.len()) + 4096);
        bytes.append(&mut self.carry);
        let mut want = WINDOW_BYTES;
        loop {
            self.fill(&mut bytes, want)?;
            let room = VERIFY_CHUNK - self.next_line % VERIFY_CHUNK;
            let lines = split_lines(&bytes, room);
            if let Some(&(start, len)) = lines.last() {
                let used = start + len + 1;
                self.carry = bytes[used..].to_vec();
                bytes.truncate(used);
                let w = FileWindow {
                    first: self.next_line,
                    base: self.pos,
                    bytes,
                    lines,
                };
                self.next_line += w.lines.len();
                self.pos += used as u64;
                return Ok(Some(w));
            }
            if self.eof {
                self.carry = bytes;
                return Ok(None);
            }
            // A line longer than a window: read on until its newline.
            want = bytes.len() * 2;
        }
    }

    /// Reads until `bytes` holds `want` bytes or the file ends.
    fn fill(&mut self, bytes: &mut Vec<u8>, want: usize) -> std::io::Result<()> {
        while !self.eof && bytes.len() < want {
            let asked = (want - bytes.len()) as u64;
            let got = (&mut self.file).take(asked).read_to_end(bytes)?;
            if (got as u64) < asked {
                self.eof = true;
            }
        }
        Ok(())
    }
}

/// (start, length without the newline) of the first whole lines of
/// `bytes`, at most `max` of them.
fn split_lines(bytes: &[u8], max: usize) -> Vec<(usize, usize)> {
    let mut lines = Vec::with_capacity((bytes.len() / 512).min(max));
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            lines.push((start, i - start));
            start = i + 1;
            if lines.len() == max {
                break;
            }
        }
    }
    lines
}

/// The byte offset of line `i` of the file at `path`, found by counting
/// newlines (needed only for a torn event that began in a window long
/// gone).
fn line_offset_in_file(path: &Path) -> impl Fn(usize) -> Result<Option<u64>, LedgerError> + '_ {
    move |i| {
        let io = |source| LedgerError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = crate::fsutil::open_regular(path, false).map_err(io)?;
        let mut buf = vec![0u8; 1 << 16];
        let (mut seen, mut pos, mut start) = (0usize, 0u64, 0u64);
        loop {
            let got = file.read(&mut buf).map_err(io)?;
            if got == 0 {
                return Ok(None);
            }
            for (k, b) in buf[..got].iter().enumerate() {
                if *b == b'\n' {
                    if seen == i {
                        return Ok(Some(start));
                    }
                    seen += 1;
                    start = pos + k as u64 + 1;
                }
            }
            pos += got as u64;
        }
    }
}

/// Runs the two stages over every window `next` gives, the walk of one
/// window alongside the check of the next. `read_at` reads a line again by
/// its offset and length.
fn drive<W: Window, E: Send>(
    opts: &VerifyOptions,
    mut next: impl FnMut() -> Result<Option<W>, E>,
    read_at: &(dyn Fn(u64, usize) -> Result<Vec<u8>, E> + Sync),
) -> Result<Walked, E> {
    let mut walk = Walk::new();
    let mut checker = Checker::new(opts.no_batch);
    let mut tally = Tally::new(opts.expect_head.as_deref());
    let mut current: Option<(W, Vec<Parsed>)> = None;
    loop {
        let upcoming = next()?;
        let chunk_ends = upcoming
            .as_ref()
            .is_none_or(|w| w.first() % VERIFY_CHUNK == 0);
        let (_, checked) = rayon::join(
            || {
                if let Some((w, parsed)) = &current {
                    walk.window(w, parsed);
                }
            },
            || -> Result<_, E> {
                let late = if chunk_ends {
                    checker.resolve(read_at)?
                } else {
                    Vec::new()
                };
                Ok((late, upcoming.map(|w| (checker.check(&w), w))))
            },
        );
        let (late, upcoming) = checked?;
        if chunk_ends {
            walk.settle(late);
        }
        if let Some((_, parsed)) = &current {
            tally.parsed(parsed);
        }
        let Some((parsed, w)) = upcoming else {
            break;
        };
        if w.first() % VERIFY_CHUNK == 0 && walk.problems.list.len() >= MAX_PROBLEMS {
            // Too many problems: the rest is only counted and hashed.
            walk.stopped_at = Some(w.first());
            tally.hashed(&w);
            while let Some(w) = next()? {
                tally.hashed(&w);
            }
            break;
        }
        current = Some((w, parsed));
    }
    Ok(Walked { walk, tally })
}

/// What the report needs from every line, counted as the windows pass.
struct Tally {
    /// Whole lines.
    lines: u64,
    /// Hash of the last whole line.
    head: Option<EntryHash>,
    /// `--expect-head`, trimmed and lowercased, and whether a line hashes
    /// to it.
    expected: Option<String>,
    found: bool,
}

impl Tally {
    fn new(expect_head: Option<&str>) -> Tally {
        Tally {
            lines: 0,
            head: None,
            expected: expect_head.map(|h| h.trim().to_ascii_lowercase()),
            found: false,
        }
    }

    /// A window checked and walked: its hashes are already known.
    fn parsed(&mut self, parsed: &[Parsed]) {
        self.lines += parsed.len() as u64;
        if let Some(last) = parsed.last() {
            self.head = Some(last.hash);
        }
        if let Some(expected) = &self.expected {
            self.found = self.found || parsed.iter().any(|p| p.hash == *expected);
        }
    }

    /// A window after verification stopped: only counted and hashed.
    fn hashed<W: Window>(&mut self, w: &W) {
        self.lines += w.len() as u64;
        if let Some(last) = w.len().checked_sub(1) {
            self.head = Some(entry_hash(w.line(last)));
        }
        if let Some(expected) = &self.expected {
            self.found = self.found
                || (0..w.len())
                    .into_par_iter()
                    .any(|k| entry_hash(w.line(k)) == *expected);
        }
    }
}

/// The check stage: parses lines and verifies the signatures whose key is
/// known, in parallel.
struct Checker {
    no_batch: bool,
    /// Keys, in the order the ledger introduces them; a key can only sign
    /// validly after the entry that adds it, so windows can be verified in
    /// order without looking ahead.
    keys: HashMap<Fingerprint, SignerKey>,
    /// Lines of the current chunk whose signer had no key when their window
    /// was checked: a key introduced later in the same chunk still counts
    /// for them (see [`VERIFY_CHUNK`]).
    unknown: Vec<Unknown>,
}

/// Signature outcomes of lines whose key came later in their chunk.
type Late = Vec<(usize, Result<(), SignatureError>)>;

/// A line whose signer had no key when it was checked.
struct Unknown {
    line: usize,
    offset: u64,
    len: usize,
    hash: EntryHash,
    signer: Fingerprint,
}

impl Checker {
    fn new(no_batch: bool) -> Checker {
        Checker {
            no_batch,
            keys: HashMap::new(),
            unknown: Vec::new(),
        }
    }

    /// Parses every line of `w` and verifies every signature whose key is
    /// known by the end of the window.
    fn check<W: Window>(&mut self, w: &W) -> Vec<Parsed> {
        let mut parsed: Vec<Parsed> = (0..w.len())
            .into_par_iter()
            .map(|k| parse_line(w.line(k)))
            .collect();
        check_signatures(w, &mut parsed, &mut self.keys, self.no_batch);
        for (k, p) in parsed.iter().enumerate() {
            if let (Some(e), None) = (&p.entry, &p.sig) {
                self.unknown.push(Unknown {
                    line: w.first() + k,
                    offset: w.offset(k),
                    len: w.line(k).len(),
                    hash: p.hash,
                    signer: e.signer.clone(),
                });
            }
        }
        parsed
    }

    /// At the end of a chunk: the signature outcome of each line of the
    /// chunk whose key came later in the chunk, read again by its offset.
    fn resolve<E>(
        &mut self,
        read_at: &dyn Fn(u64, usize) -> Result<Vec<u8>, E>,
    ) -> Result<Late, E> {
        let mut late = Vec::new();
        for u in std::mem::take(&mut self.unknown) {
            let Some(key) = self.keys.get(&u.signer) else {
                continue;
            };
            let line = read_at(u.offset, u.len)?;
            let p = parse_line(&line);
            let (Some(e), true) = (&p.entry, p.hash == u.hash) else {
                // The line changed under the reader: judge what was read
                // first (its signer's key was unknown then).
                continue;
            };
            let outcome = match prepare(e, key, &line, p.canonical) {
                Err(e) => Err(e),
                Ok(sig) if self.no_batch => sig.verify(),
                Ok(sig) => verify_batch(&[&sig]).remove(0),
            };
            late.push((u.line, outcome));
        }
        Ok(late)
    }
}

/// The result of [`drive`]: the walk and the tally, to be made a report.
struct Walked {
    walk: Walk,
    tally: Tally,
}

impl Walked {
    /// The report, given the torn tail and the file's size; `line_offset`
    /// finds a line's offset for a torn event.
    fn report<E>(
        self,
        torn: Option<(u64, u64)>,
        bytes: u64,
        line_offset: &dyn Fn(usize) -> Result<Option<u64>, E>,
        opts: &VerifyOptions,
    ) -> Result<Report, E> {
        let Walked { walk, tally } = self;
        let Walk {
            mut problems,
            state,
            types,
            root_signer,
            root_time,
            stopped_at,
            ..
        } = walk;
        let n = tally.lines;
        if n == 0 && torn.is_none() {
            problems.push(
                Severity::Error,
                "empty-ledger",
                None,
                "the ledger has no entries".into(),
            );
        }
        let mut problems = problems.finish(stopped_at);
        if let Some(torn) = torn_tail(torn, n) {
            problems.push(torn);
        }
        if let Some(open) = state.custody.torn_event() {
            let offset = match usize::try_from(open.first_seq) {
                Ok(i) if (i as u64) < n => line_offset(i)?,
                _ => None,
            };
            problems.push(torn_event(offset, open));
        }
        let root = root_signer.map(|s| (s, root_time));
        let root_of_trust = root_of_trust(root.as_ref(), opts, &mut problems);
        check_expectations(&tally, opts, &mut problems);
        Ok(Report {
            entries: n,
            bytes,
            head: tally.head,
            root_of_trust,
            state,
            types,
            problems,
        })
    }
}

/// The walk through a ledger's lines, in order: what the lines so far
/// established, and one method per check of the next line.
struct Walk {
    problems: Problems,
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
    /// Byte offset of the line being walked.
    offset: u64,
    /// Lines of the current chunk that broke a rule while their signer had
    /// no key yet: where a bad signature would be listed, should a key
    /// come later in the chunk ([`Walk::settle`]).
    pending: Vec<Pending>,
    /// The line verification stopped at, for too many problems.
    stopped_at: Option<usize>,
}

/// A bad signature that may yet have to be listed.
struct Pending {
    line: usize,
    offset: u64,
    /// Its place in the problem list; `None` if the list was full.
    at: Option<usize>,
}

impl Walk {
    fn new() -> Walk {
        Walk {
            problems: Problems::default(),
            state: CaseState::default(),
            types: BTreeMap::new(),
            prev_hash: None,
            prev_seq: None,
            prev_time: None,
            root_signer: None,
            root_time: String::new(),
            offset: 0,
            pending: Vec::new(),
            stopped_at: None,
        }
    }

    /// A problem about line `i` (at [`Walk::offset`]) or about no line.
    fn problem(&mut self, severity: Severity, code: &'static str, i: Option<usize>, msg: String) {
        let at = i.map(|i| (i as u64, self.offset));
        self.problems.push(severity, code, at, msg);
    }

    /// Every line of a checked window, in order.
    fn window<W: Window>(&mut self, w: &W, parsed: &[Parsed]) {
        if w.first() == 0 {
            let first = parsed.first().and_then(|p| p.entry.as_ref());
            self.root_signer = first.map(|e| e.signer.clone());
            self.root_time = first.map(|e| e.time.clone()).unwrap_or_default();
        }
        for (k, p) in parsed.iter().enumerate() {
            self.offset = w.offset(k);
            self.line(w.first() + k, p);
        }
    }

    /// At the end of a chunk: lists the bad signatures of lines whose key
    /// came later in the chunk, where they would have been listed had the
    /// key been known (`late`: line and outcome, from
    /// [`Checker::resolve`]).
    fn settle(&mut self, late: Late) {
        let pending = std::mem::take(&mut self.pending);
        if late.is_empty() {
            return;
        }
        // Later lines first, so that each insertion leaves the places of
        // the earlier ones as they were.
        let late: HashMap<usize, SignatureError> = late
            .into_iter()
            .filter_map(|(i, r)| r.err().map(|e| (i, e)))
            .collect();
        for p in pending.iter().rev() {
            let Some(e) = late.get(&p.line) else {
                continue;
            };
            let problem = Problem::at_entry(
                Severity::Error,
                e.code(),
                Some(p.line as u64),
                Some(p.offset),
                format!("entry {}: {e}", p.line),
            );
            match p.at {
                Some(at) => self.problems.list.insert(at, problem),
                None => self.problems.suppressed += 1,
            }
        }
        while self.problems.list.len() > MAX_PROBLEMS {
            self.problems.list.pop();
            self.problems.suppressed += 1;
        }
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
        match self.types.get_mut(&entry.kind) {
            Some(count) => *count += 1,
            None => {
                self.types.insert(entry.kind.clone(), 1);
            }
        }
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
                    e.code(),
                    Some(i),
                    format!("entry {i}: {e}"),
                );
                false
            }
            None if !rule_ok => {
                // A key may yet come later in the chunk (`settle`).
                let full = self.problems.list.len() >= MAX_PROBLEMS;
                self.pending.push(Pending {
                    line: i,
                    offset: self.offset,
                    at: (!full).then_some(self.problems.list.len()),
                });
                false
            }
            None => {
                {
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

/// A final line without a newline (`torn`: its offset and length), after
/// `lines` whole lines.
fn torn_tail(torn: Option<(u64, u64)>, lines: u64) -> Option<Problem> {
    let (offset, len) = torn?;
    Some(Problem::at_entry(
        Severity::Error,
        "torn-tail",
        Some(lines),
        Some(offset),
        format!(
            "torn final line at byte offset {offset} ({len} bytes without a newline); `custodian repair` moves it aside"
        ),
    ))
}

/// A version-2 event whose last parts are missing at the end of the
/// ledger: a crash cut a multi-exhibit write short. `offset`: that of the
/// line whose index is the event's first entry.
fn torn_event(offset: Option<u64>, open: &crate::custody::OpenEvent) -> Problem {
    let first = open.first_seq;
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
/// reaches the other (`tally`: what the walk counted).
fn check_expectations(tally: &Tally, opts: &VerifyOptions, problems: &mut Vec<Problem>) {
    let n = tally.lines;
    if let Some(expected) = &tally.expected {
        if !tally.found {
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
        if n < size {
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
    /// A problem about no line, or about the line (index, byte offset)
    /// `at`.
    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        at: Option<(u64, u64)>,
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
            at.map(|(i, _)| i),
            at.map(|(_, offset)| offset),
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

/// Decodes every signature of a window in parallel and verifies them in
/// batches, recording the outcome in each [`Parsed`].
fn check_signatures<W: Window>(
    w: &W,
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
            Some(prepare(e, key, w.line(k), p.canonical))
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

/// The signature of `e` (whose line is `line`) decoded for `key`.
fn prepare(
    e: &Entry,
    key: &SignerKey,
    line: &[u8],
    canonical: bool,
) -> Result<PreparedSignature, SignatureError> {
    let sig = e.sig.as_deref().unwrap_or_default();
    let signed = if canonical {
        e.signed_bytes_from_line(line)
    } else {
        e.signed_bytes()
    };
    key.prepare(&signed, sig)
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
    // The usual line: canonical, decoded straight into an `Entry` (no
    // intermediate `Value`, no re-serialisation). Anything else takes the
    // full path below, which names what is wrong; both reach the same
    // verdict on a canonical line (custodian_format::jcs).
    if is_canonical_bytes(line) {
        if let Ok(entry) = serde_json::from_slice::<Entry>(line) {
            if (OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&entry.v) {
                out.canonical = true;
                check_entry(entry, &mut out);
                return out;
            }
        }
    }
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
    check_entry(entry, &mut out);
    out
}

/// The checks of a decoded entry on its own: timestamp, `prev`, body, type.
fn check_entry(entry: Entry, out: &mut Parsed) {
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
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::keys::SigningKey;
    use crate::ledger::{
        CaseId, CaseOpen, Ledger, Note, Role, SignerInfo, Stamp, Tool, FORMAT_VERSION,
    };

    fn key(name: &str) -> SigningKey {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/keys");
        SigningKey::load(&path.join(name), || Ok(None)).expect("test key")
    }

    fn tool() -> Tool {
        Tool {
            name: "custodian".into(),
            version: "test".into(),
            exe_sha256: None,
        }
    }

    /// A ledger written line by line: entry 0 opens a case for `lead`.
    struct Lines {
        /// Holds the folder of `ledger` until the test ends.
        _dir: tempfile::TempDir,
        ledger: Ledger,
        bytes: Vec<u8>,
        prev: EntryHash,
    }

    impl Lines {
        fn new() -> Lines {
            let dir = tempfile::tempdir().unwrap();
            let lead = key("lead");
            let open = CaseOpen {
                case_id: CaseId::parse("STREAM-1").unwrap(),
                title: "streamed verification".into(),
                authority: None,
                jurisdiction: None,
                examiner: None,
                signer: SignerInfo {
                    principal: "j.dupont@cyber.lyon.police.example".into(),
                    role: Role::Supervisor,
                    key: lead.public().to_openssh(),
                    name: None,
                    qualifications: None,
                },
                policy: None,
                authority_details: None,
            };
            let stamp = Stamp::at(
                crate::time::parse("2026-01-01T00:00:00.000000Z").unwrap(),
                tool(),
            );
            let path = dir.path().join("ledger.jsonl");
            let (ledger, first) = Ledger::create(&path, &lead, &open, &stamp).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            Lines {
                _dir: dir,
                ledger,
                bytes,
                prev: first.hash,
            }
        }

        fn seq(&self) -> u64 {
            self.bytes.iter().filter(|b| **b == b'\n').count() as u64
        }

        /// Appends an entry signed by `by`; `tamper` changes its body after
        /// signing (a bad signature).
        fn push(&mut self, kind: &str, body: Value, by: &SigningKey, tamper: bool) {
            let mut e = Entry {
                v: FORMAT_VERSION,
                seq: self.seq(),
                prev: self.prev.to_hex(),
                time: format!(
                    "2026-01-01T00:{:02}:{:02}.000000Z",
                    self.seq() / 60 % 60,
                    self.seq() % 60
                ),
                kind: kind.into(),
                signer: by.fingerprint().clone(),
                tool: tool(),
                body,
                sig: None,
            };
            e.sign(by).unwrap();
            if tamper {
                e.body = serde_json::json!({"text": "changed after signing"});
            }
            self.raw(&e.line());
        }

        fn note(&mut self, by: &SigningKey, tamper: bool) {
            let text = format!("note {}", self.seq());
            let body = serde_json::to_value(Note { text }).unwrap();
            self.push(kind::NOTE, body, by, tamper);
        }

        fn add(&mut self, who: &SigningKey, principal: &str) {
            let body = serde_json::to_value(SignerInfo {
                principal: principal.into(),
                role: Role::Examiner,
                key: who.public().to_openssh(),
                name: None,
                qualifications: None,
            })
            .unwrap();
            self.push(kind::SIGNER_ADD, body, &key("lead"), false);
        }

        fn raw(&mut self, line: &[u8]) {
            self.prev = entry_hash(line);
            self.bytes.extend_from_slice(line);
            self.bytes.push(b'\n');
        }

        /// Both verifiers on the same bytes: the file streamed, and in
        /// memory; they must agree on everything.
        fn verify(&self, opts: &VerifyOptions) -> Report {
            std::fs::write(self.ledger.path(), &self.bytes).unwrap();
            let streamed = verify(&self.ledger, opts).unwrap();
            let held = verify_raw(&RawLedger::parse(self.bytes.clone()), opts);
            assert_eq!(summary(&streamed), summary(&held));
            streamed
        }
    }

    fn summary(r: &Report) -> String {
        format!(
            "{} {} {:?} {:?} {:?} {}",
            r.entries,
            r.bytes,
            r.head,
            r.root_of_trust,
            r.types,
            serde_json::to_string_pretty(&r.problems).unwrap()
        )
    }

    fn codes(r: &Report) -> Vec<(Option<u64>, &'static str)> {
        r.problems.iter().map(|p| (p.entry, p.code)).collect()
    }

    #[test]
    fn a_key_added_later_in_its_chunk_still_judges_earlier_signatures() {
        let (lead, analyst, intruder) = (key("lead"), key("analyst"), key("intruder"));
        let mut l = Lines::new();
        for _ in 1..10 {
            l.note(&lead, false);
        }
        l.note(&analyst, true); // 10: bad signature, key added at 40
        l.note(&analyst, false); // 11: good signature, key added at 40
        l.note(&intruder, true); // 12: its key comes in the next chunk
        while l.seq() < 40 {
            l.note(&lead, false);
        }
        l.add(&analyst, "a.silva@pj.lisboa.example");
        while l.seq() < 70 {
            l.note(&lead, false);
        }
        l.add(&intruder, "mallory@nowhere.example");
        l.note(&analyst, false);
        let report = l.verify(&VerifyOptions::default());
        assert_eq!(
            codes(&report),
            vec![
                (Some(10), "unknown-signer"),
                (Some(10), "bad-signature"),
                (Some(11), "unknown-signer"),
                (Some(12), "unknown-signer"),
                (Some(0), "self-asserted-root"),
            ]
        );
        let bad = &report.problems[1];
        assert_eq!(bad.offset, report.problems[0].offset);
        assert!(bad.message.starts_with("entry 10: "), "{}", bad.message);
    }

    #[test]
    fn late_bad_signatures_take_their_place_under_the_problem_cap() {
        let signer = key("analyst").fingerprint().clone();
        let entry: Entry = serde_json::from_value(serde_json::json!({
            "v": 2, "seq": 1, "prev": "", "time": "", "type": "note",
            "signer": signer, "tool": tool(), "body": {}
        }))
        .unwrap();
        for (lines, late) in [
            (10, vec![2]),
            (998, vec![5, 997]),
            (1200, vec![3, 999, 1000, 1100]),
        ] {
            let mut walk = Walk::new();
            let mut all = Vec::new();
            for i in 0..lines {
                walk.problem(Severity::Error, "unknown-signer", Some(i), String::new());
                walk.check_signature(i, &entry, None, false);
                all.push((Some(i as u64), "unknown-signer"));
                if late.contains(&i) {
                    all.push((Some(i as u64), "bad-signature"));
                }
            }
            let outcomes = late
                .iter()
                .map(|i| (*i, Err(SignatureError::DoesNotVerify)))
                .chain([(1, Ok(()))])
                .collect();
            walk.settle(outcomes);
            let listed: Vec<_> = walk
                .problems
                .list
                .iter()
                .map(|p| (p.entry, p.code))
                .collect();
            let kept = all.len().min(MAX_PROBLEMS);
            assert_eq!(listed, all[..kept], "{lines} lines");
            assert_eq!(walk.problems.suppressed as usize, all.len() - kept);
        }
    }

    #[test]
    fn too_many_problems_stop_at_a_chunk_start_and_the_rest_is_still_counted() {
        let mut l = Lines::new();
        while l.seq() < 1100 {
            let line = format!("not json {}", l.seq());
            l.raw(line.as_bytes());
        }
        let head = entry_hash(b"not json 1099");
        l.bytes.extend_from_slice(b"{\"torn");
        let opts = VerifyOptions {
            expect_head: Some(entry_hash(b"not json 1090").to_hex()),
            expect_size: Some(1101),
            ..VerifyOptions::default()
        };
        let report = l.verify(&opts);
        assert_eq!(report.entries, 1100);
        assert_eq!(report.head, Some(head));
        let codes: Vec<_> = report
            .problems
            .iter()
            .skip(MAX_PROBLEMS)
            .map(|p| p.code)
            .collect();
        assert_eq!(
            codes,
            [
                "too-many-problems",
                "torn-tail",
                "self-asserted-root",
                "expected-size"
            ]
        );
        let stop = &report.problems[MAX_PROBLEMS].message;
        assert!(
            stop.ends_with("verification stopped at entry 1024"),
            "{stop}"
        );
        let torn = &report.problems[MAX_PROBLEMS + 1];
        assert_eq!(torn.offset, Some(l.bytes.len() as u64 - 6));
        assert_eq!(report.bytes, l.bytes.len() as u64);
    }

    #[test]
    fn windows_never_change_the_outcome() {
        let lead = key("lead");
        let mut l = Lines::new();
        // Lines of every length around the window sizes, one far longer.
        for k in 1..150u64 {
            match k % 7 {
                0 => l.note(&lead, true),
                3 => l.raw(format!("{{\"broken\": {k}").as_bytes()),
                _ => l.note(&lead, false),
            }
            if k == 77 {
                let text = "x".repeat(3 * WINDOW_BYTES);
                let body = serde_json::to_value(Note { text }).unwrap();
                l.push(kind::NOTE, body, &lead, false);
            }
        }
        let report = l.verify(&VerifyOptions {
            expect_head: Some(l.prev.to_hex()),
            ..VerifyOptions::default()
        });
        assert_eq!(report.entries, l.seq());
        assert_eq!(report.head, Some(l.prev));
        assert!(!codes(&report).contains(&(None, "expected-head-missing")));
    }
}
