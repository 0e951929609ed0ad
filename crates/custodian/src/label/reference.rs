//! The reference a label's QR code carries (docs/spec/label.md §2): its
//! one written form, and reading it back as typed values.
//!
//! A reference is short printable ASCII, so that a person can type it from
//! the label when the QR code is torn, and has exactly one written form,
//! so that "the text custodian checks" and "the text the QR code holds"
//! can be compared byte for byte. Reading is strict: anything that is not
//! that one form is refused with the reason, never guessed at.

use std::fmt;

use crate::ledger::{CaseId, EntryHash, ExhibitId};

/// The first field of every reference.
pub const SCHEME: &str = "custodian";
/// The second field of an exhibit reference, version 1.
pub const EXHIBIT_V1: &str = "x1";
/// The second field of a bag reference, version 1.
pub const BAG_V1: &str = "b1";
/// Hex digits of an entry hash custodian writes in a reference (128 bits).
pub const WRITTEN_HEX: usize = 32;
/// The fewest hex digits a reader accepts (128 bits).
pub const MIN_HEX: usize = 32;
/// The most: a whole entry hash.
pub const MAX_HEX: usize = 64;
/// Longer text is refused before it is read (a QR code at its largest
/// holds under 3,000 bytes; a label's holds far fewer).
pub const MAX_LEN: usize = 4096;

/// A label's reference, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// An exhibit label: the exhibit and its acquisition entry.
    Exhibit(ExhibitRef),
    /// A bag label: the seal, the entry that applied it, and the exhibits
    /// sealed under it.
    Bag(BagRef),
}

/// `custodian:x1:CASE:EXHIBIT:HASH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExhibitRef {
    pub case: CaseId,
    pub exhibit: ExhibitId,
    /// The leading hex digits of the exhibit's `exhibit.acquire` entry hash.
    pub hash: HashPrefix,
}

/// `custodian:b1:CASE:SEAL:HASH:EXHIBIT,EXHIBIT,…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BagRef {
    pub case: CaseId,
    pub seal: String,
    /// The leading hex digits of the entry hash of the `custody.seal`
    /// entry that applied the seal (its first, for a seal applied in parts).
    pub hash: HashPrefix,
    /// The exhibits sealed under it: at least one, each once, in ascending
    /// byte order (the one written form).
    exhibits: Vec<ExhibitId>,
}

impl BagRef {
    /// A bag reference; the exhibits are put in their written order (sorted,
    /// each once).
    pub fn new(case: CaseId, seal: String, hash: HashPrefix, mut exhibits: Vec<ExhibitId>) -> Self {
        exhibits.sort();
        exhibits.dedup();
        BagRef {
            case,
            seal,
            hash,
            exhibits,
        }
    }

    /// The exhibits, in ascending byte order.
    pub fn exhibits(&self) -> &[ExhibitId] {
        &self.exhibits
    }
}

/// The leading `MIN_HEX..=MAX_HEX` lowercase hex digits of an entry hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashPrefix(String);

impl HashPrefix {
    /// The prefix custodian writes: the first [`WRITTEN_HEX`] digits.
    pub fn of(hash: &EntryHash) -> HashPrefix {
        let mut hex = hash.to_hex();
        hex.truncate(WRITTEN_HEX);
        HashPrefix(hex)
    }

    /// Reads a prefix as a reference holds it.
    pub fn parse(s: &str) -> Result<HashPrefix, ReferenceError> {
        let ok = (MIN_HEX..=MAX_HEX).contains(&s.len())
            && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(HashPrefix(s.to_string()))
        } else {
            Err(ReferenceError::Hash {
                given: s.to_string(),
            })
        }
    }

    /// Whether `hash` starts with these digits.
    pub fn matches(&self, hash: &EntryHash) -> bool {
        hash.to_hex().starts_with(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HashPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a text is not a reference. Each names the field and the fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("the reference is empty")]
    Empty,
    #[error("the reference is {len} bytes long; a reference is at most {MAX_LEN}")]
    TooLong { len: usize },
    #[error("character {position} ({found:?}) is not allowed: a reference is printable ASCII without spaces")]
    Character { position: usize, found: char },
    #[error("it does not start with \"{SCHEME}:\"")]
    Scheme,
    #[error("unknown reference kind {kind:?}: this custodian reads \"{EXHIBIT_V1}\" (exhibit) and \"{BAG_V1}\" (bag) references")]
    Kind { kind: String },
    #[error("{what} has {expected} fields separated by ':', this one has {found}")]
    Fields {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("{field}: '%' at byte {position} is not followed by two upper-case hex digits")]
    Escape {
        field: &'static str,
        position: usize,
    },
    #[error("{field}: {found:?} must be written as an escape (%XX)")]
    Unescaped { field: &'static str, found: char },
    #[error("{field}: an escape stands for a character written as itself; the reference is not in its one written form")]
    NotCanonical { field: &'static str },
    #[error("{field}: the escapes do not decode to UTF-8 text")]
    NotUtf8 { field: &'static str },
    #[error("{field} is empty")]
    EmptyField { field: &'static str },
    #[error("the case id is blank")]
    BlankCase,
    #[error("exhibit id {given:?} is not valid: 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'")]
    Exhibit { given: String },
    #[error("the hash {given:?} is not {MIN_HEX} to {MAX_HEX} lowercase hex digits")]
    Hash { given: String },
    #[error("the exhibits of a bag reference are listed each once, in ascending order ({given:?} is not)")]
    Order { given: String },
}

/// Bytes written as themselves in a field; every other byte of the UTF-8
/// text is written `%XX` (upper-case hex).
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/')
}

/// A field in its written form.
pub fn encode_field(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if is_plain(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn upper_hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Reads a field: plain bytes and `%XX` escapes of bytes that are not
/// plain, giving UTF-8 text that is not empty.
fn decode_field(text: &str, field: &'static str) -> Result<String, ReferenceError> {
    if text.is_empty() {
        return Err(ReferenceError::EmptyField { field });
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(upper_hex);
            let lo = bytes.get(i + 2).copied().and_then(upper_hex);
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(ReferenceError::Escape { field, position: i });
            };
            let decoded = hi << 4 | lo;
            if is_plain(decoded) {
                return Err(ReferenceError::NotCanonical { field });
            }
            out.push(decoded);
            i += 3;
        } else if is_plain(b) {
            out.push(b);
            i += 1;
        } else {
            return Err(ReferenceError::Unescaped {
                field,
                found: b as char,
            });
        }
    }
    String::from_utf8(out).map_err(|_| ReferenceError::NotUtf8 { field })
}

fn exhibit_id(text: &str) -> Result<ExhibitId, ReferenceError> {
    let s = decode_field(text, "exhibit id")?;
    ExhibitId::parse(&s).map_err(|_| ReferenceError::Exhibit { given: s })
}

fn case_id(text: &str) -> Result<CaseId, ReferenceError> {
    let s = decode_field(text, "case id")?;
    CaseId::parse(&s).map_err(|_| ReferenceError::BlankCase)
}

impl Reference {
    /// Reads a reference (docs/spec/label.md §2.3). Leading and trailing
    /// ASCII white space is removed first (a QR decoder or a copy adds a
    /// line end); the rest must be the reference's one written form.
    pub fn parse(text: &str) -> Result<Reference, ReferenceError> {
        if text.len() > MAX_LEN {
            return Err(ReferenceError::TooLong { len: text.len() });
        }
        let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
        if text.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if let Some((position, found)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !matches!(c, '!'..='~'))
        {
            return Err(ReferenceError::Character { position, found });
        }
        let fields: Vec<&str> = text.split(':').collect();
        if fields[0] != SCHEME {
            return Err(ReferenceError::Scheme);
        }
        let kind = fields.get(1).copied().unwrap_or_default();
        let (what, expected) = match kind {
            EXHIBIT_V1 => ("an exhibit reference", 5),
            BAG_V1 => ("a bag reference", 6),
            _ => {
                return Err(ReferenceError::Kind {
                    kind: kind.to_string(),
                })
            }
        };
        if fields.len() != expected {
            return Err(ReferenceError::Fields {
                what,
                expected,
                found: fields.len(),
            });
        }
        let case = case_id(fields[2])?;
        if kind == EXHIBIT_V1 {
            return Ok(Reference::Exhibit(ExhibitRef {
                case,
                exhibit: exhibit_id(fields[3])?,
                hash: HashPrefix::parse(fields[4])?,
            }));
        }
        let seal = decode_field(fields[3], "seal id")?;
        let hash = HashPrefix::parse(fields[4])?;
        if fields[5].is_empty() {
            return Err(ReferenceError::EmptyField { field: "exhibits" });
        }
        let exhibits = fields[5]
            .split(',')
            .map(exhibit_id)
            .collect::<Result<Vec<_>, _>>()?;
        if exhibits.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ReferenceError::Order {
                given: fields[5].to_string(),
            });
        }
        Ok(Reference::Bag(BagRef {
            case,
            seal,
            hash,
            exhibits,
        }))
    }

    /// The case the reference names.
    pub fn case(&self) -> &CaseId {
        match self {
            Reference::Exhibit(x) => &x.case,
            Reference::Bag(b) => &b.case,
        }
    }

    /// `"exhibit"` or `"bag"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Reference::Exhibit(_) => "exhibit",
            Reference::Bag(_) => "bag",
        }
    }
}

/// The one written form.
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Exhibit(x) => write!(
                f,
                "{SCHEME}:{EXHIBIT_V1}:{}:{}:{}",
                encode_field(&x.case),
                encode_field(&x.exhibit),
                x.hash
            ),
            Reference::Bag(b) => {
                let list: Vec<String> = b.exhibits.iter().map(|x| encode_field(x)).collect();
                write!(
                    f,
                    "{SCHEME}:{BAG_V1}:{}:{}:{}:{}",
                    encode_field(&b.case),
                    encode_field(&b.seal),
                    b.hash,
                    list.join(",")
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(c: char) -> EntryHash {
        EntryHash::parse(&c.to_string().repeat(64)).unwrap()
    }

    fn exhibit(case: &str, x: &str, h: char) -> Reference {
        Reference::Exhibit(ExhibitRef {
            case: CaseId::parse(case).unwrap(),
            exhibit: ExhibitId::parse(x).unwrap(),
            hash: HashPrefix::of(&hash(h)),
        })
    }

    /// The worked examples of docs/spec/label.md §2.4, against the
    /// committed custody case (tests/cli_label.rs checks them there).
    #[test]
    fn the_worked_examples_of_the_spec() {
        let acquire =
            EntryHash::parse("82d448c6bcc07cd6cb7bfbe30eb7b76fe5977d6ab55fe93f45689d96bdb6c23d")
                .unwrap();
        let x = Reference::Exhibit(ExhibitRef {
            case: CaseId::parse("FR-LYON-2026-0117").unwrap(),
            exhibit: ExhibitId::parse("EXH-LAPTOP").unwrap(),
            hash: HashPrefix::of(&acquire),
        });
        let text = "custodian:x1:FR-LYON-2026-0117:EXH-LAPTOP:82d448c6bcc07cd6cb7bfbe30eb7b76f";
        assert_eq!(x.to_string(), text);
        assert_eq!(Reference::parse(text).unwrap(), x);

        let seal =
            EntryHash::parse("b1f1e75f99b4889a87dedcd29ea4795d9f6177c4404d1cbad6a69c2cee951d31")
                .unwrap();
        let b = Reference::Bag(BagRef::new(
            CaseId::parse("FR-LYON-2026-0117").unwrap(),
            "BAG-0017".into(),
            HashPrefix::of(&seal),
            vec![
                ExhibitId::parse("EXH-USB").unwrap(),
                ExhibitId::parse("EXH-LAPTOP").unwrap(),
            ],
        ));
        let text = "custodian:b1:FR-LYON-2026-0117:BAG-0017:b1f1e75f99b4889a87dedcd29ea4795d:EXH-LAPTOP,EXH-USB";
        assert_eq!(b.to_string(), text);
        assert_eq!(Reference::parse(text).unwrap(), b);

        // The escaping example: a case id with '/', a space, ':' and 'é'.
        let odd = exhibit("PJ/Lisboa 2026:17 é", "EXH-1", 'a');
        assert_eq!(
            odd.to_string(),
            format!(
                "custodian:x1:PJ/Lisboa%202026%3A17%20%C3%A9:EXH-1:{}",
                "a".repeat(32)
            )
        );
    }

    #[test]
    fn references_round_trip_through_their_text() {
        for case in [
            "2026-0042",
            "OP: FALCON",
            "a%b",
            "x,y",
            "  padded  ",
            "日本語の事件",
            "tab\there",
            "%41",
        ] {
            let r = exhibit(case, "EXH_1.a-b", 'c');
            let text = r.to_string();
            assert!(text.bytes().all(|b| (b'!'..=b'~').contains(&b)), "{text}");
            assert_eq!(Reference::parse(&text).unwrap(), r, "{case:?} → {text}");
            let b = Reference::Bag(BagRef::new(
                CaseId::parse(case).unwrap(),
                format!("seal {case}, no. 7"),
                HashPrefix::of(&hash('d')),
                vec![
                    ExhibitId::parse("B").unwrap(),
                    ExhibitId::parse("A").unwrap(),
                ],
            ));
            let text = b.to_string();
            assert_eq!(Reference::parse(&text).unwrap(), b, "{text}");
        }
    }

    #[test]
    fn white_space_around_is_dropped_and_a_whole_hash_is_read() {
        let r = exhibit("C", "X", 'e');
        assert_eq!(Reference::parse(&format!(" {r}\n")).unwrap(), r);
        let long = format!("custodian:x1:C:X:{}", "e".repeat(64));
        let Reference::Exhibit(x) = Reference::parse(&long).unwrap() else {
            panic!("an exhibit reference");
        };
        assert!(x.hash.matches(&hash('e')));
        assert!(!x.hash.matches(&hash('f')));
    }

    #[test]
    fn bad_references_are_refused_with_the_reason() {
        let h = "a".repeat(32);
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "empty"),
            ("   \n".into(), "empty"),
            (format!("custodian:x1:C D:X:{h}"), "not allowed"),
            (format!("custodian:x1:C:X:{h}\u{e9}"), "not allowed"),
            (format!("CUSTODIAN:x1:C:X:{h}"), "does not start"),
            (format!("custodian:x2:C:X:{h}"), "unknown reference kind"),
            (format!("custodian:x1:C:X:{h}:extra"), "5 fields"),
            ("custodian:x1:C:X".into(), "5 fields"),
            (format!("custodian:b1:C:S:{h}"), "6 fields"),
            (format!("custodian:x1::X:{h}"), "case id is empty"),
            (format!("custodian:x1:%20:X:{h}"), "blank"),
            (format!("custodian:x1:C%2:X:{h}"), "'%' at byte 1"),
            (format!("custodian:x1:C%2f:X:{h}"), "upper-case"),
            (format!("custodian:x1:%41:X:{h}"), "one written form"),
            (format!("custodian:x1:C%FF:X:{h}"), "UTF-8"),
            (format!("custodian:x1:C;:X:{h}"), "escape (%XX)"),
            (format!("custodian:x1:C:.X:{h}"), "exhibit id \".X\""),
            (format!("custodian:x1:C:X%20Y:{h}"), "exhibit id"),
            ("custodian:x1:C:X:abc".into(), "hex digits"),
            (format!("custodian:x1:C:X:{}", "A".repeat(32)), "hex digits"),
            (format!("custodian:x1:C:X:{}", "a".repeat(65)), "hex digits"),
            (format!("custodian:x1:C:X:{}", &h[..31]), "hex digits"),
            (format!("custodian:b1:C:S:{h}:"), "exhibits is empty"),
            (format!("custodian:b1:C:S:{h}:B,A"), "ascending"),
            (format!("custodian:b1:C:S:{h}:A,A"), "ascending"),
            (format!("custodian:b1:C:S:{h}:A,,B"), "exhibit id is empty"),
            ("x".repeat(MAX_LEN + 1), "at most"),
        ];
        for (text, want) in cases {
            let e = Reference::parse(&text).expect_err(&text).to_string();
            assert!(e.contains(want), "{text:?}: {e:?} should say {want:?}");
            assert!(!e.contains('\n'), "one line: {e:?}");
        }
    }

    proptest::proptest! {
        /// Any case id, seal and exhibit ids give a reference of printable
        /// ASCII that reads back as the same values.
        #[test]
        fn any_ids_round_trip(
            case in "\\PC{1,40}",
            seal in "\\PC{1,40}",
            exhibits in proptest::collection::vec("[A-Za-z0-9_-][A-Za-z0-9._-]{0,20}", 1..6),
            h in "[0-9a-f]{64}",
        ) {
            proptest::prop_assume!(!case.trim().is_empty());
            let hash = EntryHash::parse(&h).unwrap();
            let exhibits: Vec<ExhibitId> =
                exhibits.iter().map(|x| ExhibitId::parse(x).unwrap()).collect();
            let r = Reference::Bag(BagRef::new(
                CaseId::parse(&case).unwrap(),
                seal,
                HashPrefix::of(&hash),
                exhibits.clone(),
            ));
            let text = r.to_string();
            proptest::prop_assert!(text.bytes().all(|b| (b'!'..=b'~').contains(&b)));
            proptest::prop_assert_eq!(Reference::parse(&text).unwrap(), r);
            let x = Reference::Exhibit(ExhibitRef {
                case: CaseId::parse(&case).unwrap(),
                exhibit: exhibits[0].clone(),
                hash: HashPrefix::of(&hash),
            });
            proptest::prop_assert_eq!(Reference::parse(&x.to_string()).unwrap(), x);
        }

        /// Reading never panics, and what it accepts it writes back as the
        /// same text (the one written form), white space around aside.
        #[test]
        fn reading_is_total_and_canonical(text in "(custodian:[xb]1:)?[ -~%]{0,80}") {
            if let Ok(r) = Reference::parse(&text) {
                proptest::prop_assert_eq!(r.to_string(), text.trim_matches(|c: char| c.is_ascii_whitespace()));
            }
        }
    }
}
