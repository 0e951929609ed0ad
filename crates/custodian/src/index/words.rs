//! Finding exhibits by words (`custodian index find`,
//! docs/guide/cross-case.md, "Finding exhibits by words").
//!
//! Both stores must give the same answer to the same question, so nothing
//! that decides a match is left to a database: the words of a text are cut
//! here ([`tokenize`]) and stored as a plain list (table `tokens`); a store
//! is only asked for the texts that hold one exact token, or a token that
//! starts with a prefix, compared byte for byte. Phrases, prefixes, the
//! AND of the terms and the order of the results are decided here, in
//! Rust, on the stored texts. Neither SQLite FTS5 nor PostgreSQL's
//! `tsvector` is used: their tokenizers and stemmers differ.
//!
//! The texts come from the entries of a ledger that verified (see
//! [`exhibit_texts`]): what the signed entries say, field by field, each
//! with the entry (sequence number and hash) that says it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use crate::ledger::{entry_hash, Body, CaseState, Entry, RawLedger};

/// The words of `text`, in order: the Unicode word segmentation of UAX #29
/// (`unicode-segmentation`'s `unicode_words`: segments holding a letter,
/// digit or ideograph; punctuation and spaces are not words), each word
/// put in Unicode Normalization Form NFC, lower-cased with Unicode's
/// default (locale-independent) lower-case mapping, and put in NFC again.
///
/// So `SEAL-2026/0042` is the words `seal`, `2026`, `0042`; `Ünïcode` and
/// `ünïcode` (composed or decomposed) are one word; each Han ideograph is
/// a word of its own (UAX #29 has no dictionary); `İ` lower-cases to `i`
/// followed by U+0307 and `ß` stays `ß` (no locale tailoring, no full case
/// folding, no stemming).
pub fn tokenize(text: &str) -> Vec<String> {
    let nfc: String = text.nfc().collect();
    nfc.unicode_words()
        .map(|w| w.to_lowercase().nfc().collect::<String>())
        .filter(|w| !w.is_empty())
        .collect()
}

/// One text the index can find: a field of a signed entry about an
/// exhibit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TextRow {
    /// Sequence number of the entry that says it.
    pub seq: u64,
    /// Hex SHA-256 of that entry's line (its entry hash).
    pub entry: String,
    /// What the text is (docs/guide/cross-case.md lists the fields).
    pub field: String,
    pub text: String,
}

impl TextRow {
    /// The distinct words of the text, sorted (what a store keeps).
    pub fn tokens(&self) -> Vec<String> {
        let set: BTreeSet<String> = tokenize(&self.text).into_iter().collect();
        set.into_iter().collect()
    }
}

/// The texts of every exhibit of a verified ledger, by exhibit id: what
/// each signed entry says about it, field by field.
///
/// - `exhibit.acquire`: `exhibit` (the id), `description`, `source`,
///   `authority`, `device.make`, `device.model`, `device.serial` (the
///   source-device record's values), and from the imaging record
///   `imaging.examiner`, `imaging.case-number`, `imaging.evidence-number`,
///   `imaging.description`, `imaging.notes`;
/// - every custody event, for each exhibit it names: `location`,
///   `authority`, `purpose`; `seal` (seal and unseal); `holder`: the
///   signer who took the exhibit (check-out, receipt) or to whom it was
///   transferred (transfer), by the name and principal the ledger records;
///   `released-to` (release).
///
/// Lines that do not parse are left out (the caller indexes only ledgers
/// that verified, where every line parses).
pub fn exhibit_texts(raw: &RawLedger, state: &CaseState) -> BTreeMap<String, Vec<TextRow>> {
    let mut out: BTreeMap<String, Vec<TextRow>> = BTreeMap::new();
    let who = |fp: &crate::Fingerprint| -> Option<String> {
        state.signers.get(fp).map(|s| match &s.name {
            Some(n) if !n.is_empty() => format!("{n} <{}>", s.principal),
            _ => s.principal.clone(),
        })
    };
    for i in 0..raw.lines.len() {
        let line = raw.line(i);
        let Ok(e) = serde_json::from_slice::<Entry>(line) else {
            continue;
        };
        let Ok(body) = Body::parse(&e.kind, &e.body) else {
            continue;
        };
        let hash = entry_hash(line).to_hex();
        let mut put = |exhibit: &str, field: &str, text: Option<&str>| {
            let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
                return;
            };
            out.entry(exhibit.to_string()).or_default().push(TextRow {
                seq: e.seq,
                entry: hash.clone(),
                field: field.to_string(),
                text: text.to_string(),
            });
        };
        match &body {
            Body::ExhibitAcquire(a) => {
                let id = a.exhibit.to_string();
                put(&id, "exhibit", Some(&id));
                put(&id, "description", a.description.as_deref());
                put(&id, "source", a.source.as_deref());
                put(&id, "authority", a.authority.as_deref());
                if let Some(d) = &a.source_device {
                    put(
                        &id,
                        "device.make",
                        d.make.as_ref().map(|s| s.value.as_str()),
                    );
                    put(
                        &id,
                        "device.model",
                        d.model.as_ref().map(|s| s.value.as_str()),
                    );
                    put(
                        &id,
                        "device.serial",
                        d.serial.as_ref().map(|s| s.value.as_str()),
                    );
                    if let Some(im) = &d.imaging {
                        put(&id, "imaging.examiner", im.examiner.as_deref());
                        put(&id, "imaging.case-number", im.case_number.as_deref());
                        put(
                            &id,
                            "imaging.evidence-number",
                            im.evidence_number.as_deref(),
                        );
                        put(&id, "imaging.description", im.description.as_deref());
                        put(&id, "imaging.notes", im.notes.as_deref());
                    }
                }
            }
            Body::Custody(ev) => {
                use crate::custody::Event;
                let c = ev.common();
                let holder = match &**ev {
                    Event::CheckOut { .. } | Event::Receipt { .. } => who(&e.signer),
                    Event::Transfer { to, .. } => who(to),
                    _ => None,
                };
                let seal = match &**ev {
                    Event::Seal { seal, .. } | Event::Unseal { seal, .. } => Some(seal.as_str()),
                    _ => None,
                };
                let released = match &**ev {
                    Event::Release { to, .. } => Some(to.as_str()),
                    _ => None,
                };
                for x in &c.exhibits {
                    let id = x.to_string();
                    put(&id, "location", c.location.as_deref());
                    put(&id, "authority", c.authority.as_deref());
                    put(&id, "purpose", c.purpose.as_deref());
                    put(&id, "seal", seal);
                    put(&id, "holder", holder.as_deref());
                    put(&id, "released-to", released);
                }
            }
            _ => {}
        }
    }
    out
}

/// One term of a query: words that must follow each other in one text
/// (one word for most terms), the last one perhaps only a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Term {
    /// The term as typed.
    pub given: String,
    pub words: Vec<String>,
    /// The last word is a prefix (`term*`).
    pub prefix: bool,
}

/// A parsed query: every term must match (AND).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Query {
    pub terms: Vec<Term>,
}

/// A query that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("query {0:?} has no words to find (letters, digits or ideographs)")]
    Empty(String),
    #[error("term {0:?} has no words to find (letters, digits or ideographs)")]
    NoWords(String),
    #[error("query {0:?}: a quote opens a phrase that is never closed")]
    Unclosed(String),
}

/// Parses a query (docs/guide/cross-case.md, "Query syntax"):
///
/// - terms are separated by white space; every term must match (AND);
/// - `"several words"` in double quotes is one term;
/// - a term is cut into words by [`tokenize`]; a term of several words
///   (`"Samsung Galaxy"`, or `SEAL-2026/0042`, which is three words)
///   matches only where those words follow each other in one text;
/// - a term ending in `*` matches words that start with its last word
///   (`Sams*`); `*` elsewhere is punctuation, like any other.
///
/// A term with no word (only punctuation) is an error, as is an
/// unclosed quote.
pub fn parse_query(q: &str) -> Result<Query, QueryError> {
    let mut raw_terms: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in q.chars() {
        if ch == '"' {
            // A closing quote ends its phrase; an opening one ends the
            // word it touches.
            if quoted || !cur.is_empty() {
                raw_terms.push(std::mem::take(&mut cur));
            }
            quoted = !quoted;
        } else if ch.is_whitespace() && !quoted {
            if !cur.is_empty() {
                raw_terms.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(ch);
        }
    }
    if quoted {
        return Err(QueryError::Unclosed(q.to_string()));
    }
    if !cur.is_empty() {
        raw_terms.push(cur);
    }
    let mut terms = Vec::new();
    for t in raw_terms {
        let trimmed = t.trim_end();
        let prefix = trimmed.ends_with('*');
        let words = tokenize(trimmed);
        if words.is_empty() {
            if t.trim().is_empty() {
                continue;
            }
            return Err(QueryError::NoWords(t));
        }
        terms.push(Term {
            given: t,
            words,
            prefix,
        });
    }
    if terms.is_empty() {
        return Err(QueryError::Empty(q.to_string()));
    }
    Ok(Query { terms })
}

impl Term {
    /// Whether the words of a text (in order) hold this term.
    pub fn matches(&self, words: &[String]) -> bool {
        let n = self.words.len();
        if words.len() < n {
            return false;
        }
        (0..=words.len() - n).any(|i| {
            self.words.iter().enumerate().all(|(j, w)| {
                if self.prefix && j + 1 == n {
                    words[i + j].starts_with(w.as_str())
                } else {
                    words[i + j] == *w
                }
            })
        })
    }

    /// The word a store is asked for: the first one, a prefix only when
    /// it is also the last.
    pub fn probe(&self) -> (&str, bool) {
        (&self.words[0], self.prefix && self.words.len() == 1)
    }
}

/// A text found, with the case and exhibit it is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Found {
    pub case_id: String,
    pub case_key: String,
    pub case_dir: String,
    pub exhibit: String,
    pub seq: u64,
    pub entry: String,
    pub field: String,
    pub text: String,
}

/// The smallest string greater than every string that starts with
/// `prefix` (byte order, which is code-point order in UTF-8), if any: a
/// store finds the words of a prefix as `prefix <= word < upper`.
pub fn prefix_upper(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut n = last as u32 + 1;
        while n <= char::MAX as u32 {
            if let Some(c) = char::from_u32(n) {
                chars.push(c);
                return Some(chars.into_iter().collect());
            }
            n += 1;
        }
    }
    None
}

/// The texts a store holds with a word (`prefix`: a word starting with
/// it): [`super::Backend::texts_with_word`].
pub type TextSource<'a> = dyn FnMut(&str, bool) -> Result<Vec<Found>, super::IndexError> + 'a;

/// Runs `query`: `texts(word, prefix)` gives the texts a store holds with
/// that word (or a word starting with it). An exhibit (of a case) matches
/// when each term matches one of its texts; the result is every text of a
/// matching exhibit that matches at least one term, ordered by case id,
/// case key, exhibit, entry sequence number, field, text — the same from
/// every store, because only this function decides.
pub fn run_query(
    query: &Query,
    texts: &mut TextSource<'_>,
) -> Result<Vec<Found>, super::IndexError> {
    type ExhibitKey = (String, String);
    let mut per_term: Vec<BTreeMap<ExhibitKey, BTreeSet<Found>>> = Vec::new();
    for term in &query.terms {
        let (word, prefix) = term.probe();
        let mut m: BTreeMap<ExhibitKey, BTreeSet<Found>> = BTreeMap::new();
        for f in texts(word, prefix)? {
            if term.matches(&tokenize(&f.text)) {
                m.entry((f.case_key.clone(), f.exhibit.clone()))
                    .or_default()
                    .insert(f);
            }
        }
        per_term.push(m);
    }
    let Some(first) = per_term.first() else {
        return Ok(Vec::new());
    };
    let mut out: BTreeSet<Found> = BTreeSet::new();
    for key in first.keys() {
        if per_term.iter().all(|m| m.contains_key(key)) {
            for m in &per_term {
                out.extend(m[key].iter().cloned());
            }
        }
    }
    Ok(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_segmented_folded_and_normalised() {
        assert_eq!(tokenize("SEAL-2026/0042"), ["seal", "2026", "0042"]);
        assert_eq!(tokenize("Ünïcode"), tokenize("u\u{308}nïcode"));
        assert_eq!(tokenize("Ünïcode"), ["ünïcode"]);
        assert_eq!(tokenize("東京都 Samsung"), ["東", "京", "都", "samsung"]);
        assert_eq!(tokenize("İSTANBUL"), ["i\u{307}stanbul"]);
        assert_eq!(tokenize("STRASSE Straße"), ["strasse", "straße"]);
        assert!(tokenize(" -- / ").is_empty());
    }

    #[test]
    fn queries_parse_into_terms_phrases_and_prefixes() {
        let q = parse_query("samsung  \"Galaxy S21\" sams* SEAL-2026/0042").unwrap();
        let t: Vec<(Vec<String>, bool)> = q
            .terms
            .iter()
            .map(|t| (t.words.clone(), t.prefix))
            .collect();
        assert_eq!(t[0], (vec!["samsung".to_string()], false));
        assert_eq!(t[1], (vec!["galaxy".to_string(), "s21".into()], false));
        assert_eq!(t[2], (vec!["sams".to_string()], true));
        assert_eq!(t[3].0, ["seal", "2026", "0042"]);
        assert!(matches!(parse_query("  "), Err(QueryError::Empty(_))));
        assert!(matches!(parse_query("a --"), Err(QueryError::NoWords(_))));
        assert!(matches!(parse_query("\"a b"), Err(QueryError::Unclosed(_))));
    }

    #[test]
    fn phrases_need_consecutive_words() {
        let t = &parse_query("SEAL-2026/0042").unwrap().terms[0];
        assert!(t.matches(&tokenize("bag sealed with SEAL-2026/0042 at 10:00")));
        assert!(!t.matches(&tokenize("SEAL-2026/0041 room 0042")));
        let p = &parse_query("0041*").unwrap().terms[0];
        assert!(p.matches(&tokenize("seal 00412")));
    }

    #[test]
    fn prefix_upper_bounds_the_prefix() {
        assert_eq!(prefix_upper("sam").as_deref(), Some("san"));
        assert_eq!(prefix_upper("a\u{d7ff}").as_deref(), Some("a\u{e000}"));
        assert_eq!(prefix_upper("\u{10ffff}"), None);
    }
}
