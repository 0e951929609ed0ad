//! Version-2 custody entries (`docs/spec/custody.md` §14): one exhibit
//! per entry; the entries of one event concerning several exhibits are
//! consecutive *parts* tied by a random event id; each exhibit's entries
//! form a hash chain through `prior`, from its acquisition to its latest
//! custody entry. That chain is what lets a package give one exhibit's
//! whole custody without a word about the others (`docs/spec/package.md`).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{CustodyState, EntryHash, Event, ExhibitId};
use crate::keys::Fingerprint;

/// The event whose parts are being read: its first part was replayed and
/// not all of them yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenEvent {
    pub id: String,
    pub of: u64,
    /// Parts replayed so far.
    pub seen: u64,
    /// Entry of part 1.
    pub first_seq: u64,
    pub kind: String,
    pub signer: Fingerprint,
    /// The body without the members that differ between parts.
    shape: Value,
    /// The exhibits named by the parts so far, in order.
    pub exhibits: Vec<ExhibitId>,
}

/// Where a replayed version-2 part stands in its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartPlace {
    pub id: String,
    /// Entry of part 1.
    pub first_seq: u64,
    /// Every exhibit the event named, once its last part is in.
    pub completed: Option<Vec<ExhibitId>>,
}

/// Event ids used so far, and the event still open.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Parts {
    pub open: Option<OpenEvent>,
    used: BTreeSet<String>,
}

/// A version-2 structure rule an entry breaks; never excused by an
/// override. `code` is the problem code of `docs/spec/custody.md` §14.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartViolation {
    pub code: &'static str,
    pub message: String,
}

fn part_violation(code: &'static str, message: impl Into<String>) -> PartViolation {
    PartViolation {
        code,
        message: message.into(),
    }
}

/// Members of a version-2 custody body that may differ between the parts
/// of one event: the rest must be identical.
const PER_PART: &[&str] = &["exhibit", "prior", "cause", "transfer"];

/// The body of a part without its per-part members (and `event.part`).
fn shape_of(body: &Value) -> Value {
    let mut shape = body.clone();
    if let Some(map) = shape.as_object_mut() {
        for m in PER_PART {
            map.remove(*m);
        }
        if let Some(ev) = map.get_mut("event").and_then(Value::as_object_mut) {
            ev.remove("part");
        }
    }
    shape
}

fn is_event_id(s: &str) -> bool {
    super::is_lower_hex(s, 32)
}

/// What one entry is, as far as the parts of events go.
pub struct EntryFacts<'a> {
    pub v: u32,
    pub seq: u64,
    pub kind: &'a str,
    pub signer: &'a Fingerprint,
    pub body: &'a Value,
    /// The parsed custody event, when the entry is one.
    pub event: Option<&'a Event>,
}

impl CustodyState {
    /// The version rules of an entry's custody members and of the parts of
    /// events: a version-1 custody entry uses none of the version-2
    /// members; a version-2 one names one exhibit with `event` and `prior`;
    /// parts are consecutive, in order, by one signer, of one type, with
    /// identical bodies but for `PER_PART`; an event id is used once;
    /// `prior` is the exhibit's previous entry.
    pub fn check_part(&self, e: &EntryFacts) -> Result<(), PartViolation> {
        if let Some(open) = &self.parts.open {
            self.check_next_part(open, e)?;
        }
        let Some(event) = e.event else {
            return Ok(());
        };
        let c = event.common();
        let unseal_v2 = matches!(
            event,
            Event::Unseal { cause: Some(_), .. }
                | Event::Unseal {
                    covers: Some(_),
                    ..
                }
        );
        if e.v < 2 {
            if c.has_v2_members() || unseal_v2 {
                return Err(part_violation(
                    "bad-body",
                    "a version-1 custody entry uses members of format version 2 (exhibit, event, prior, authority_default, cause, covers)",
                ));
            }
            return Ok(());
        }
        let (Some(part), Some(prior), true) = (&c.event, &c.prior, c.single) else {
            return Err(part_violation(
                "bad-body",
                "a version-2 custody entry names one `exhibit` and carries `event` and `prior`",
            ));
        };
        if let Event::Unseal { cause: None, .. } | Event::Unseal { covers: None, .. } = event {
            return Err(part_violation(
                "bad-body",
                "a version-2 unseal states its `cause` and what the seal `covers`",
            ));
        }
        if !is_event_id(&part.id) || part.part == 0 || part.part > part.of {
            return Err(part_violation(
                "event-rule",
                format!(
                    "event {:?} part {} of {}: an event id is 32 lowercase hex digits and 1 <= part <= of",
                    part.id, part.part, part.of
                ),
            ));
        }
        if self.parts.open.is_none() {
            if part.part != 1 {
                return Err(part_violation(
                    "event-rule",
                    format!(
                        "part {} of event {} comes without the parts before it",
                        part.part, part.id
                    ),
                ));
            }
            if self.parts.used.contains(&part.id) {
                return Err(part_violation(
                    "event-rule",
                    format!("event id {} was used by an earlier event", part.id),
                ));
            }
        }
        let x = &c.exhibits[0];
        // Not acquired: the custody rules say so (H1).
        let Some(ex) = self.exhibits.get(x) else {
            return Ok(());
        };
        if &ex.head != prior {
            return Err(part_violation(
                "prior-mismatch",
                format!(
                    "prior is {prior}, but the previous entry concerning exhibit {x} hashes to {}",
                    ex.head
                ),
            ));
        }
        Ok(())
    }

    /// An entry while an event is open must be its next part.
    fn check_next_part(&self, open: &OpenEvent, e: &EntryFacts) -> Result<(), PartViolation> {
        let interrupts = || {
            part_violation(
                "event-rule",
                format!(
                    "entry {} interrupts event {} ({} of its {} parts were recorded, from entry {}): the parts of an event are consecutive",
                    e.seq, open.id, open.seen, open.of, open.first_seq
                ),
            )
        };
        let Some(part) = e.event.and_then(|ev| ev.common().event.as_ref()) else {
            return Err(interrupts());
        };
        if part.id != open.id || part.part != open.seen + 1 {
            return Err(interrupts());
        }
        let differs = |what: &str| {
            part_violation(
                "event-rule",
                format!(
                    "part {} of event {} differs from part 1 (entry {}) in {what}: parts share everything but the exhibit",
                    part.part, open.id, open.first_seq
                ),
            )
        };
        if e.kind != open.kind {
            return Err(differs("its type"));
        }
        if e.signer != &open.signer {
            return Err(differs("its signer"));
        }
        if shape_of(e.body) != open.shape {
            return Err(differs("its body"));
        }
        let named = e.event.map_or(&[][..], |ev| &ev.common().exhibits[..]);
        if let Some(dup) = named.iter().find(|x| open.exhibits.contains(x)) {
            return Err(part_violation(
                "event-rule",
                format!("exhibit {dup} is named twice in event {}", open.id),
            ));
        }
        Ok(())
    }

    /// Where an event's parts stand after `e` was accepted, when `e` is a
    /// version-2 part; its last part closes the event.
    pub(super) fn enter_part(&mut self, e: &EntryFacts) -> Option<PartPlace> {
        let event = e.event?;
        let part = event.common().event.as_ref()?;
        let open = self.parts.open.get_or_insert_with(|| OpenEvent {
            id: part.id.clone(),
            of: part.of,
            seen: 0,
            first_seq: e.seq,
            kind: e.kind.to_string(),
            signer: e.signer.clone(),
            shape: shape_of(e.body),
            exhibits: Vec::new(),
        });
        open.seen += 1;
        open.exhibits
            .extend(event.common().exhibits.iter().cloned());
        if open.seen < open.of {
            return Some(PartPlace {
                id: open.id.clone(),
                first_seq: open.first_seq,
                completed: None,
            });
        }
        let closed = self.parts.open.take()?;
        self.parts.used.insert(closed.id.clone());
        Some(PartPlace {
            id: closed.id,
            first_seq: closed.first_seq,
            completed: Some(closed.exhibits),
        })
    }

    /// One version-2 entry per exhibit of `event` (as completed by the
    /// writer, `done`): the parts share everything but the exhibit; an
    /// unseal's parts say why each exhibit was unsealed; a receipt's part
    /// names its exhibit's own pending transfer. The event id, `prior` and
    /// an unseal's `covers` are filled by the ledger under its lock
    /// ([`CustodyState::fill_parts`]).
    pub fn split_into_parts(&self, event: &Event, done: &super::Completion) -> Vec<Event> {
        let exhibits = event.common().exhibits.clone();
        let of = exhibits.len() as u64;
        // The transfer event a receipt acknowledges: the one whose part is
        // the entry it names.
        let acknowledged = match event {
            Event::Receipt { transfer, .. } => self
                .exhibits
                .values()
                .filter_map(|e| e.transfer.as_ref())
                .find(|t| t.entry == *transfer)
                .and_then(|t| t.event.clone()),
            _ => None,
        };
        let mut parts = Vec::with_capacity(exhibits.len());
        for (i, x) in exhibits.iter().enumerate() {
            let mut e = event.clone();
            let c = e.common_mut();
            c.exhibits = vec![x.clone()];
            c.single = true;
            c.event = Some(super::EventPart {
                id: String::new(),
                part: i as u64 + 1,
                of,
            });
            c.authority_default = done.authority.is_some();
            match &mut e {
                Event::Unseal { cause, covers, .. } => {
                    *cause = Some(if done.added.contains(x) {
                        super::UnsealCause::SharedSeal
                    } else {
                        super::UnsealCause::Opened
                    });
                    *covers = Some(0);
                }
                Event::Receipt { transfer, .. } => {
                    let own = self.exhibits.get(x).and_then(|e| e.transfer.as_ref());
                    if let Some(t) = own.filter(|t| t.event.is_some() && t.event == acknowledged) {
                        *transfer = t.entry;
                    }
                }
                _ => {}
            }
            parts.push(e);
        }
        parts
    }

    /// Completes what only the ledger knows in the parts of a version-2
    /// event about to be appended after the entry hashing to `prev`: the
    /// event id, derived from `prev` (unique in the ledger, reproducible,
    /// and telling nothing about the exhibits), and what an unseal's seal
    /// covers now. Bodies other than version-2 custody parts are left as
    /// they are.
    pub fn fill_parts(&self, bodies: &mut [custodian_format::body::Body], prev: &EntryHash) {
        use sha2::{Digest, Sha256};
        let id = {
            let mut h = Sha256::new();
            h.update(b"custodian event id\0");
            h.update(prev.to_hex().as_bytes());
            hex::encode(&h.finalize()[..16])
        };
        for body in bodies {
            let custodian_format::body::Body::Custody(event) = body else {
                continue;
            };
            if let Some(part) = event.common_mut().event.as_mut() {
                part.id = id.clone();
            }
            if let Event::Unseal {
                seal,
                covers: covers @ Some(_),
                ..
            } = &mut **event
            {
                *covers = Some(self.under_seal(seal).len() as u64);
            }
        }
    }

    /// Sets a version-2 part's `prior` to its exhibit's last entry.
    pub fn fill_prior(&self, event: &mut Event) {
        let c = event.common_mut();
        if c.event.is_none() {
            return;
        }
        let head = c
            .exhibits
            .first()
            .and_then(|x| self.exhibits.get(x))
            .map(|e| e.head.to_hex());
        c.prior = head;
    }

    /// A version-2 unseal's `covers`, checked on its part 1 (after the
    /// signer rules, docs/spec/custody.md §14): the number of exhibits
    /// under the intact seal it names.
    pub fn check_covers(&self, event: &Event) -> Result<(), PartViolation> {
        let Event::Unseal {
            seal,
            covers: Some(n),
            common,
            ..
        } = event
        else {
            return Ok(());
        };
        if common.event.as_ref().is_none_or(|p| p.part != 1) {
            return Ok(());
        }
        let under = self.under_seal(seal).len() as u64;
        if *n != under {
            return Err(part_violation(
                "custody-rule",
                format!("the unseal says seal {seal} covers {n} exhibits; {under} are under it"),
            ));
        }
        Ok(())
    }

    /// The event whose last parts are missing at the end of the ledger.
    pub fn torn_event(&self) -> Option<&OpenEvent> {
        self.parts.open.as_ref()
    }

    /// Whether seal `seal` was applied by part 1 of the event `event`
    /// belongs to (a multi-exhibit seal is one seal, not a reuse).
    pub(super) fn sealed_by_open_event(&self, seal: &str, event: &Event) -> bool {
        let (Some(open), Some(part)) = (&self.parts.open, &event.common().event) else {
            return false;
        };
        open.id == part.id
            && self
                .seals
                .get(seal)
                .is_some_and(|s| s.applied.entry == open.first_seq)
    }

    /// How many exhibits are under the intact seal `seal` now.
    pub fn under_seal(&self, seal: &str) -> Vec<ExhibitId> {
        self.exhibits
            .iter()
            .filter(|(_, e)| e.seal.as_deref() == Some(seal) && e.seal_broken.is_none())
            .map(|(x, _)| x.clone())
            .collect()
    }
}
