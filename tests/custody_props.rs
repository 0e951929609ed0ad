//! Property test of the custody state machine (docs/guide/custody.md): whatever
//! sequence of events is attempted, by whichever signer, the events the
//! rules accept keep every exhibit in a well-defined state, and refused
//! events change nothing.

use custodian::custody::{
    Actor, AuthorityPolicy, Common, CustodyState, EntryHash, Event, ExhibitId, Status,
};
use custodian::Fingerprint;
use proptest::prelude::*;

const TIME: &str = "2026-03-02T09:00:00.000000Z";

fn fp(n: u8) -> Fingerprint {
    // Three distinct, well-formed fingerprints (the keys do not matter to
    // the state machine, only their identity).
    let keys = [
        "SHA256:PdMNSBekvNswrkFc75VlU5a+MULKjNequ3XBBe/CiGA",
        "SHA256:316/tUHwfoi3mwD0Rl6zfR4F9sqmNSlEabFQRNOwp2k",
        "SHA256:FIyBtvXicjYUdJiNgbur9RQJYWsVGdJNnj/oq43N3Rw",
    ];
    Fingerprint::parse(keys[n as usize % 3]).unwrap()
}

#[derive(Debug, Clone)]
struct Attempt {
    kind: u8,
    exhibits: Vec<u8>,
    signer: u8,
    to: u8,
    seal: u8,
    transfer_back: u8,
}

fn attempt() -> impl Strategy<Value = Attempt> {
    (
        0u8..10,
        proptest::collection::vec(0u8..3, 1..3),
        0u8..3,
        0u8..3,
        0u8..2,
        0u8..4,
    )
        .prop_map(
            |(kind, exhibits, signer, to, seal, transfer_back)| Attempt {
                kind,
                exhibits,
                signer,
                to,
                seal,
                transfer_back,
            },
        )
}

fn event(a: &Attempt, last_seq: u64) -> Event {
    let mut ex: Vec<ExhibitId> = a
        .exhibits
        .iter()
        .map(|x| ExhibitId::unchecked(format!("E{x}")))
        .collect();
    ex.dedup();
    let common = Common {
        exhibits: ex,
        location: Some("room".into()),
        purpose: Some("test".into()),
        ..Common::default()
    };
    let seal = format!("BAG-{}", a.seal);
    match a.kind {
        0 => Event::Seal { common, seal },
        1 => Event::Unseal {
            common,
            seal,
            reason: "exam".into(),
            cause: None,
            covers: None,
        },
        2 => Event::Location { common },
        3 => Event::CheckOut { common },
        4 => Event::CheckIn { common },
        5 => Event::Analysis {
            common,
            tool: "t".into(),
            tool_version: "1".into(),
            description: "d".into(),
            outputs: Vec::new(),
        },
        6 => Event::Transfer {
            common,
            to: fp(a.to),
            to_jurisdiction: None,
        },
        7 => Event::Receipt {
            common,
            transfer: last_seq.saturating_sub(u64::from(a.transfer_back)),
        },
        8 => Event::Release {
            common,
            to: "owner".into(),
        },
        _ => Event::Dispose {
            common,
            method: "shred".into(),
            witness: "w".into(),
        },
    }
}

fn well_defined(state: &CustodyState) -> Result<(), String> {
    for (id, x) in &state.exhibits {
        let ok = match x.status {
            Status::InTransit => x.transfer.is_some() && x.checkout.is_none(),
            Status::CheckedOut => x.checkout.is_some() && x.transfer.is_none(),
            Status::Sealed => x.seal.is_some() && x.transfer.is_none() && x.checkout.is_none(),
            Status::Available => x.transfer.is_none() && x.checkout.is_none(),
            Status::Released | Status::Disposed => x.transfer.is_none() && x.checkout.is_none(),
        };
        if !ok {
            return Err(format!("{id} is {:?} with {x:?}", x.status));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn accepted_events_keep_every_exhibit_well_defined(attempts in proptest::collection::vec(attempt(), 1..40)) {
        let mut state = CustodyState { policy: AuthorityPolicy::Off, ..CustodyState::default() };
        let lead = fp(0);
        for (i, x) in ["E0", "E1", "E2"].iter().enumerate() {
            state.acquired(&ExhibitId::unchecked(*x), i as u64 + 1, &lead, TIME, &EntryHash::GENESIS);
        }
        let mut seq = 3u64;
        let mut terminal: Vec<ExhibitId> = Vec::new();
        for a in &attempts {
            let signer = fp(a.signer);
            let actor = Actor { signer: &signer, supervisor: a.signer == 0 };
            let e = event(a, seq);
            let before = format!("{:?}", state.exhibits);
            match state.check_event(&e, actor, chrono::Utc::now()) {
                Ok(breaches) if breaches.is_empty() => {
                    seq += 1;
                    state.apply(&e, seq, TIME, &signer);
                    // Terminal exhibits never come back.
                    for t in &terminal {
                        prop_assert!(state.exhibits[t].status.is_terminal(), "{t} left a terminal state");
                    }
                    for x in &e.common().exhibits {
                        if state.exhibits[x].status.is_terminal() && !terminal.contains(x) {
                            terminal.push(x.clone());
                        }
                    }
                    // A receipt makes its signer the holder.
                    if let Event::Receipt { .. } = e {
                        for x in &e.common().exhibits {
                            prop_assert_eq!(&state.exhibits[x].holder, &signer);
                        }
                    }
                }
                // Refused (hard error or a breach without override):
                // nothing may have changed.
                _ => prop_assert_eq!(before, format!("{:?}", state.exhibits)),
            }
            prop_assert!(well_defined(&state).is_ok(), "{:?}", well_defined(&state));
        }
    }
}
