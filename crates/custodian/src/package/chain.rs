//! Step 6b of verifying a package (`docs/spec/package.md` §5): each shared
//! exhibit's custody chain is complete. From the exhibit's part of the
//! disclosure, `prior` leads entry by entry back to its acquisition; every
//! entry on the way must be given in the package. An entry about the
//! exhibit that is given but is not on that chain was forked off it.
//!
//! Version-1 entries carry no `prior`: where the walk reaches one, the
//! chain before it is not hash-linked and its completeness rests on the
//! packager's own `verify` (a warning, `chain-unlinked`).

use std::collections::{BTreeSet, HashMap};

use super::select::WITHHELD_EVENT;
use super::{Index, Withheld, ENTRIES_FILE, INDEX_FILE};
use crate::custody::Event;
use crate::ledger::{entry_hash, Body, Entry};

/// What the chain check reports; the caller turns each into a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ChainProblem {
    pub error: bool,
    pub code: &'static str,
    pub file: &'static str,
    pub entry: Option<u64>,
    pub message: String,
}

/// How one given entry relates to exhibit `x`.
enum About<'a> {
    /// Its acquisition: the root of the chain.
    Acquisition,
    /// A version-2 custody part naming it, with its `prior`.
    Part(&'a str),
    /// A version-1 custody entry naming it (no `prior`).
    Unlinked,
    /// Not about `x`.
    Other,
}

fn about<'a>(e: &Entry, body: &'a Body, x: &str) -> About<'a> {
    match body {
        Body::ExhibitAcquire(a) if a.exhibit == x => About::Acquisition,
        Body::Custody(ev) if ev.common().exhibits.iter().any(|y| y == x) => {
            match (e.v >= 2, ev.common().prior.as_deref()) {
                (true, Some(p)) => About::Part(p),
                _ => About::Unlinked,
            }
        }
        _ => About::Other,
    }
}

/// The part of the package's disclosure that concerns `x`.
fn disclosure_part<'a>(
    index: &Index,
    parsed: &'a [(Entry, String, Option<Body>)],
    x: &str,
) -> Option<&'a (Entry, String, Option<Body>)> {
    parsed.iter().find(|(_, _, b)| match b {
        Some(Body::Custody(ev)) => match &**ev {
            Event::Disclose { common, disclosure } => {
                disclosure.package == index.package && common.exhibits.iter().any(|y| y == x)
            }
            _ => false,
        },
        _ => false,
    })
}

/// Checks every shared exhibit's chain; `entries` are the given entries
/// with their lines.
pub(super) fn check(index: &Index, entries: &[(Entry, &[u8])]) -> Vec<ChainProblem> {
    let parsed: Vec<(Entry, String, Option<Body>)> = entries
        .iter()
        .map(|(e, line)| {
            (
                e.clone(),
                entry_hash(line).to_hex(),
                Body::parse(&e.kind, &e.body).ok(),
            )
        })
        .collect();
    let by_hash: HashMap<&str, usize> = parsed
        .iter()
        .enumerate()
        .map(|(i, (_, h, _))| (h.as_str(), i))
        .collect();
    let withheld: HashMap<&str, &Withheld> = index
        .withheld
        .iter()
        .map(|w| (w.entry_hash.as_str(), w))
        .collect();
    let mut out = Vec::new();
    for x in &index.exhibits {
        let on_chain = walk(index, &parsed, &by_hash, &withheld, x, &mut out);
        for (e, _, body) in &parsed {
            let Some(body) = body else { continue };
            if matches!(about(e, body, x), About::Part(_)) && !on_chain.contains(&e.seq) {
                out.push(ChainProblem {
                    error: true,
                    code: "chain-fork",
                    file: ENTRIES_FILE,
                    entry: Some(e.seq),
                    message: format!(
                        "entry {} concerns exhibit {x} but is not on its chain from the disclosure back to its acquisition",
                        e.seq
                    ),
                });
            }
        }
    }
    // A version-1 event that also named exhibits not shared, withheld by
    // the packager's choice (`--withhold-mixed`): a known hole.
    let reported: BTreeSet<u64> = out
        .iter()
        .filter(|p| p.code == "chain-hole")
        .filter_map(|p| p.entry)
        .collect();
    for w in index
        .withheld
        .iter()
        .filter(|w| w.reason == WITHHELD_EVENT && !reported.contains(&w.seq))
    {
        out.push(ChainProblem {
            error: true,
            code: "chain-hole",
            file: INDEX_FILE,
            entry: Some(w.seq),
            message: format!(
                "entry {} is withheld ({}): the custody of the shared exhibits it names has a hole there",
                w.seq, w.reason
            ),
        });
    }
    out
}

/// Walks `x`'s chain from its disclosure part; returns the entries on it.
fn walk(
    index: &Index,
    parsed: &[(Entry, String, Option<Body>)],
    by_hash: &HashMap<&str, usize>,
    withheld: &HashMap<&str, &Withheld>,
    x: &str,
    out: &mut Vec<ChainProblem>,
) -> BTreeSet<u64> {
    let mut on_chain = BTreeSet::new();
    let hole = |seq: u64, message: String| ChainProblem {
        error: true,
        code: "chain-hole",
        file: ENTRIES_FILE,
        entry: Some(seq),
        message,
    };
    let unlinked = |seq: u64, message: String| ChainProblem {
        error: false,
        code: "chain-unlinked",
        file: ENTRIES_FILE,
        entry: Some(seq),
        message,
    };
    // A package made before format version 2 has no chains to walk.
    let Some((start, _, Some(body))) = disclosure_part(index, parsed, x).filter(|p| p.0.v >= 2)
    else {
        return on_chain;
    };
    let mut cur = (start, body);
    for _ in 0..=parsed.len() {
        let (e, body) = cur;
        on_chain.insert(e.seq);
        let prior = match about(e, body, x) {
            About::Acquisition => return on_chain,
            About::Part(p) => p,
            About::Unlinked => {
                out.push(unlinked(e.seq, format!(
                    "exhibit {x}: entry {} is of format version 1 and names no prior entry; the entries of {x} before it are not hash-linked, so their completeness rests on the packager's verify",
                    e.seq
                )));
                return on_chain;
            }
            About::Other => return on_chain,
        };
        let next = by_hash
            .get(prior)
            .and_then(|&i| parsed[i].2.as_ref().map(|b| (&parsed[i].0, b)));
        match next {
            Some((n, nb)) if !matches!(about(n, nb, x), About::Other) => cur = (n, nb),
            Some((n, _)) => {
                out.push(hole(e.seq, format!(
                    "exhibit {x}: entry {} names entry {} as the previous entry concerning {x}, but that entry does not concern it",
                    e.seq, n.seq
                )));
                return on_chain;
            }
            None => {
                out.push(match withheld.get(prior) {
                    Some(w) => hole(
                        w.seq,
                        format!(
                            "exhibit {x}: entry {} of its custody (the one before entry {}) is withheld ({}): its custody has a hole there",
                            w.seq, e.seq, w.reason
                        ),
                    ),
                    None => hole(
                        e.seq,
                        format!(
                            "exhibit {x}: the entry before entry {} in its custody is {prior}, which the package does not give",
                            e.seq
                        ),
                    ),
                });
                return on_chain;
            }
        }
    }
    on_chain
}
