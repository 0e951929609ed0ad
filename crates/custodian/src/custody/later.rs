//! The custody rules of design custody-v2 §3 that version-1 entries are now
//! held to: seals as objects, the holder rule without the supervisor
//! exemption, terminal states, and impossible times.
//!
//! The ledger format is still version 1, so (design principle 2) a breach
//! of these rules by an entry already in a ledger is a *finding*, never an
//! error: every ledger that verified before still verifies. The writer is
//! stricter: it refuses a breach unless the examiner gives an override
//! reason, and refuses [`TERMINAL`] even then (`docs/spec/custody.md` §13).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::ExhibitId;
use super::{breach, Actor, Breach, CustodyState, Event, Finding, Status};
use crate::keys::Fingerprint;

/// How far after its own recording an event may say it happened when the
/// case policy states no `clock_skew_seconds`.
pub const CLOCK_SKEW_SECONDS: i64 = custodian_format::custody::DEFAULT_CLOCK_SKEW_SECONDS as i64;

/// The finding of an event on a released or disposed exhibit: the writer
/// refuses it even with an override.
pub const TERMINAL: &str = "CUS-TERMINAL";

/// Who applied or broke a seal, and when (the event's time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealMark {
    pub entry: u64,
    pub signer: Fingerprint,
    pub time: String,
}

/// A seal as an object: one id, the exhibits sealed under it, when it was
/// applied and, once broken, when, by whom and to take out which exhibits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub exhibits: Vec<ExhibitId>,
    pub applied: SealMark,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broken: Option<SealMark>,
    /// The exhibits the breaking unseal named (the others it covered were
    /// unsealed with it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opened_for: Vec<ExhibitId>,
}

impl Seal {
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// What a writer added to an event before signing it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    /// Exhibits under the broken seal that the unseal did not name.
    pub added: Vec<ExhibitId>,
    /// The authority cited because none was given.
    pub authority: Option<String>,
}

/// A time as the ledger writes it; an unreadable one counts as the epoch
/// (`docs/spec/custody.md` §2).
fn instant(text: &str) -> DateTime<Utc> {
    crate::time::parse(text).unwrap_or_default()
}

impl CustodyState {
    /// The breaches of the rules of this module by `event`, in the order
    /// of `docs/spec/custody.md` §13: for each exhibit in order
    /// `CUS-TERMINAL`, `CUS-HOLDER`, `CUS-TIME`; then `CUS-SEAL-REUSED`,
    /// `CUS-SEAL-BROKEN`, `CUS-FUTURE`. `when` is the event's time,
    /// `recorded` the entry's.
    pub fn later_breaches(
        &self,
        event: &Event,
        actor: Actor,
        when: DateTime<Utc>,
        recorded: DateTime<Utc>,
    ) -> Vec<Breach> {
        let mut out = Vec::new();
        for x in &event.common().exhibits {
            self.exhibit_breaches(event, actor, x, when, &mut out);
        }
        self.seal_breaches(event, &mut out);
        if let Some(at) = &event.common().at {
            let skew = self.clock_skew_seconds.unwrap_or(CLOCK_SKEW_SECONDS);
            let limit = Duration::try_seconds(skew).map_or(recorded, |d| recorded + d);
            if when > limit {
                out.push(breach(
                    "CUS-FUTURE",
                    format!(
                        "the event is dated {at}, more than {skew} seconds after it was recorded (the case allows {skew})"
                    ),
                ));
            }
        }
        out
    }

    /// Terminal state, the holder rule for supervisors, and an event time
    /// before the exhibit (or the case) existed.
    fn exhibit_breaches(
        &self,
        event: &Event,
        actor: Actor,
        x: &str,
        when: DateTime<Utc>,
        out: &mut Vec<Breach>,
    ) {
        let Some(ex) = self.exhibits.get(x) else {
            return;
        };
        let disclose = matches!(event, Event::Disclose { .. });
        if ex.status.is_terminal() && !disclose {
            out.push(breach(
                TERMINAL,
                format!(
                    "exhibit {x} was {}; nothing but a disclosure may follow",
                    ex.status.as_str()
                ),
            ));
        }
        let exempt = disclose || matches!(event, Event::Receipt { .. });
        if !exempt && actor.supervisor && &ex.holder != actor.signer {
            out.push(breach(
                "CUS-HOLDER",
                format!(
                    "exhibit {x} is held by {}; a supervisor acting on it needs a recorded reason",
                    ex.holder
                ),
            ));
        }
        let opened = self.opened.as_deref().map(instant).unwrap_or_default();
        let acquired = instant(&ex.acquired);
        if when < acquired || when < opened {
            let (what, t) = if when < opened {
                (
                    "the case was opened",
                    self.opened.as_deref().unwrap_or_default(),
                )
            } else {
                ("the exhibit was acquired", ex.acquired.as_str())
            };
            out.push(breach(
                "CUS-TIME",
                format!(
                    "exhibit {x}: the event is dated {}, before {what} ({t})",
                    crate::time::format(when)
                ),
            ));
        }
    }

    /// A seal id used a second time; an unseal of a seal already broken.
    fn seal_breaches(&self, event: &Event, out: &mut Vec<Breach>) {
        match event {
            Event::Seal { seal, .. } => {
                if let Some(s) = self
                    .seals
                    .get(seal)
                    .filter(|_| !self.sealed_by_open_event(seal, event))
                {
                    out.push(breach(
                        "CUS-SEAL-REUSED",
                        format!(
                            "seal {seal} was applied at entry {} (covering {}); a seal is used once",
                            s.applied.entry,
                            s.exhibits.join(", ")
                        ),
                    ));
                }
            }
            Event::Unseal { seal, common, .. } => {
                if let Some(b) = self.seals.get(seal).and_then(|s| s.broken.as_ref()) {
                    out.push(breach(
                        "CUS-SEAL-BROKEN",
                        format!(
                            "seal {seal} was already broken at entry {}; it cannot be found intact",
                            b.entry
                        ),
                    ));
                }
                self.shared_seal_breach(seal, common, out);
            }
            _ => {}
        }
    }

    /// A version-2 unseal must unseal every exhibit under the seal it
    /// breaks, one part each (the writer adds them): checked with its last
    /// part.
    fn shared_seal_breach(&self, seal: &str, common: &super::Common, out: &mut Vec<Breach>) {
        let Some(part) = &common.event else {
            return;
        };
        if part.part != part.of {
            return;
        }
        let left: Vec<ExhibitId> = self
            .under_seal(seal)
            .into_iter()
            .filter(|y| !common.exhibits.contains(y))
            .collect();
        if !left.is_empty() {
            out.push(breach(
                "CUS-SEAL-SHARED",
                format!(
                    "seal {seal} also covers {}, which the unseal leaves out: breaking a seal unseals every exhibit under it",
                    left.join(", ")
                ),
            ));
        }
    }

    /// Records the breaches of [`CustodyState::later_breaches`] of an
    /// accepted entry as findings: `CUS-TERMINAL` always under its own id
    /// (no override excuses it), the others as `CUS-OVERRIDE` when the
    /// entry has an override, else under their own id.
    pub fn record_later(
        &mut self,
        seq: u64,
        exhibits: &[ExhibitId],
        breaches: &[Breach],
        override_reason: Option<&str>,
    ) {
        for b in breaches {
            let reason = if b.finding == TERMINAL {
                None
            } else {
                override_reason
            };
            self.record_breaches(seq, exhibits, std::slice::from_ref(b), reason);
        }
    }

    /// What a writer adds to `event` before signing it: an unseal also
    /// names every exhibit still under the intact seal it breaks, and an
    /// event without an authority cites the most recently registered one
    /// that covers it at `when` (as an acquisition cites the case's).
    pub fn complete(&self, event: &mut Event, when: DateTime<Utc>) -> Completion {
        let mut done = Completion::default();
        if let Event::Unseal { seal, common, .. } = event {
            if let Some(s) = self.seals.get(seal.as_str()).filter(|s| s.is_intact()) {
                for y in &s.exhibits {
                    let under = self.exhibits.get(y).is_some_and(|e| {
                        e.seal.as_deref() == Some(seal.as_str()) && e.seal_broken.is_none()
                    });
                    if under && !common.exhibits.contains(y) {
                        common.exhibits.push(y.clone());
                        done.added.push(y.clone());
                    }
                }
            }
        }
        if event.common().authority.is_none() {
            let exhibits = event.common().exhibits.clone();
            done.authority = self
                .authorities
                .iter()
                .filter(|(r, _)| self.authority_covers(Some(r), &exhibits, when).is_none())
                .max_by_key(|(_, (seq, _))| *seq)
                .map(|(r, _)| r.clone());
            event.common_mut().authority = done.authority.clone();
        }
        done
    }

    /// A seal event: the seal is created, or (used again, a finding) the
    /// exhibits are added to it; an intact seal broken again is not
    /// re-created.
    pub(super) fn apply_seal(&mut self, seal: &str, exhibits: &[ExhibitId], mark: SealMark) {
        match self.seals.get_mut(seal) {
            Some(s) if s.is_intact() => {
                for x in exhibits {
                    if !s.exhibits.contains(x) {
                        s.exhibits.push(x.clone());
                    }
                }
            }
            _ => {
                self.seals.insert(
                    seal.to_string(),
                    Seal {
                        exhibits: exhibits.to_vec(),
                        applied: mark,
                        broken: None,
                        opened_for: Vec::new(),
                    },
                );
            }
        }
    }

    /// An unseal of `named` breaks every intact seal in `broken`: each
    /// other exhibit still under it is no longer sealed, with a
    /// `CUS-SEAL-SHARED` finding (medium).
    pub(super) fn apply_unseal(&mut self, broken: &[String], named: &[ExhibitId], mark: SealMark) {
        for id in broken {
            let Some(s) = self.seals.get_mut(id).filter(|s| s.is_intact()) else {
                continue;
            };
            s.broken = Some(mark.clone());
            s.opened_for = named.to_vec();
            let (applied, covered) = (s.applied.entry, s.exhibits.clone());
            for y in covered.iter().filter(|y| !named.contains(y)) {
                let Some(ex) = self.exhibits.get_mut(y) else {
                    continue;
                };
                if ex.seal.as_deref() != Some(id.as_str()) || ex.seal_broken.is_some() {
                    continue;
                }
                ex.seal_broken = Some(mark.entry);
                ex.entries.push(mark.entry);
                self.recorded_breaches.push(Finding {
                    id: "CUS-SEAL-SHARED",
                    severity: "medium",
                    entries: vec![applied, mark.entry],
                    exhibits: vec![y.clone()],
                    message: format!(
                        "exhibit {y} was under seal {id} (applied at entry {applied}), broken at entry {} to unseal {}; {y} is no longer sealed",
                        mark.entry,
                        named.join(", ")
                    ),
                });
            }
        }
    }
}

impl super::ExhibitCustody {
    /// The status to show: an exhibit whose seal was broken to take out
    /// another is no longer sealed, although a version-1 replay still
    /// judges later events as if it were (design principle 2).
    pub fn shown_status(&self) -> Status {
        if self.seal_broken.is_some() && self.status == Status::Sealed {
            Status::Available
        } else {
            self.status
        }
    }

    /// The seal to show: none once it was broken.
    pub fn shown_seal(&self) -> Option<&str> {
        if self.seal_broken.is_some() {
            None
        } else {
            self.seal.as_deref()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Authority, Common, Scope};
    use super::*;
    use crate::custody::EntryHash;

    fn fp(c: char) -> Fingerprint {
        Fingerprint::parse(&format!("SHA256:{}", c.to_string().repeat(43))).unwrap()
    }

    fn common(exhibits: &[&str]) -> Common {
        Common {
            exhibits: exhibits.iter().map(|x| ExhibitId::unchecked(*x)).collect(),
            ..Common::default()
        }
    }

    fn two_sealed() -> CustodyState {
        let mut s = CustodyState::default();
        s.acquired(
            &ExhibitId::unchecked("X"),
            1,
            &fp('A'),
            "2026-01-01T00:00:00.000000Z",
            &EntryHash::GENESIS,
        );
        s.acquired(
            &ExhibitId::unchecked("Y"),
            2,
            &fp('A'),
            "2026-01-01T00:00:00.000000Z",
            &EntryHash::GENESIS,
        );
        let seal = Event::Seal {
            common: common(&["X", "Y"]),
            seal: "S".into(),
        };
        s.apply(&seal, 3, "2026-01-02T00:00:00.000000Z", &fp('A'));
        s
    }

    #[test]
    fn an_unseal_of_one_exhibit_breaks_the_seal_for_all() {
        let mut s = two_sealed();
        let unseal = Event::Unseal {
            common: common(&["X"]),
            seal: "S".into(),
            reason: "r".into(),
            cause: None,
            covers: None,
        };
        s.apply(&unseal, 4, "2026-01-03T00:00:00.000000Z", &fp('A'));
        let y = &s.exhibits["Y"];
        assert_eq!(y.status, Status::Sealed, "the version-1 view is kept");
        assert_eq!(y.shown_status(), Status::Available);
        assert_eq!(y.shown_seal(), None);
        assert_eq!(y.entries.last(), Some(&4));
        let f = s.recorded_breaches.last().unwrap();
        assert_eq!((f.id, f.severity), ("CUS-SEAL-SHARED", "medium"));
        assert_eq!(f.entries, vec![3, 4]);
        let seal = &s.seals["S"];
        assert_eq!(seal.broken.as_ref().map(|b| b.entry), Some(4));
        assert_eq!(seal.opened_for, vec!["X".to_string()]);
        // Found intact afterwards, and applied again: both breaches.
        let actor = Actor {
            signer: &fp('A'),
            supervisor: false,
        };
        let t = crate::time::parse("2026-01-04T00:00:00.000000Z").unwrap();
        let again = Event::Unseal {
            common: common(&["Y"]),
            seal: "S".into(),
            reason: "intact".into(),
            cause: None,
            covers: None,
        };
        let b = s.later_breaches(&again, actor, t, t);
        assert_eq!(b[0].finding, "CUS-SEAL-BROKEN");
        let reseal = Event::Seal {
            common: common(&["X"]),
            seal: "S".into(),
        };
        assert_eq!(
            s.later_breaches(&reseal, actor, t, t)[0].finding,
            "CUS-SEAL-REUSED"
        );
    }

    #[test]
    fn a_writer_completes_an_unseal_and_the_authority() {
        let mut s = two_sealed();
        for (seq, reference, all) in [(5, "OLD", true), (6, "NEW", true), (7, "NARROW", false)] {
            let a = Authority {
                reference: reference.into(),
                kind: "other".into(),
                issuer: "i".into(),
                jurisdiction: "FR".into(),
                issued: "2026-01-01".into(),
                valid_from: Some("2026-01-01".into()),
                valid_until: None,
                scope: Scope {
                    all,
                    exhibits: vec![ExhibitId::unchecked("Z")],
                    description: None,
                },
            };
            s.register(&a, seq);
        }
        let mut unseal = Event::Unseal {
            common: common(&["X"]),
            seal: "S".into(),
            reason: "r".into(),
            cause: None,
            covers: None,
        };
        let t = crate::time::parse("2026-01-04T00:00:00.000000Z").unwrap();
        let done = s.complete(&mut unseal, t);
        assert_eq!(done.added, vec!["Y".to_string()]);
        // The most recently registered authority that covers X and Y.
        assert_eq!(done.authority.as_deref(), Some("NEW"));
        assert_eq!(unseal.common().exhibits, vec!["X", "Y"]);
        assert_eq!(unseal.common().authority.as_deref(), Some("NEW"));
    }
}
