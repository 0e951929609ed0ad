//! Whether a line is canonical, decided from its bytes alone.
//!
//! A verifier must check that every ledger line is the one RFC 8785 spelling
//! of what it holds (docs/spec/ledger.md). The obvious way, parse the line,
//! re-serialise it canonically, compare ([`crate::entry::is_canonical_line`]),
//! builds the whole value twice and costs about as much CPU as the rest of
//! the parse; on a large ledger that is 14 % of verification. This module
//! walks the bytes once instead and allocates nothing for the common case
//! (ASCII member names without escapes).
//!
//! The rules checked are exactly those that make a parsed line's RFC 8785
//! serialisation equal to the line, restricted as the ledger restricts
//! numbers (integers within ±(2^53 − 1), no fraction, no exponent):
//!
//! - no whitespace outside strings;
//! - object members in strictly increasing order of their names' UTF-16
//!   code units (so no duplicate names);
//! - strings: valid UTF-8; `"` and `\` escaped as `\"` and `\\`; the
//!   control characters U+0008, U+0009, U+000A, U+000C and U+000D as `\b`,
//!   `\t`, `\n`, `\f`, `\r`, every other one below U+0020 as `\u00xx` with
//!   lowercase hex digits; nothing else escaped;
//! - numbers: `-?(0|[1-9][0-9]*)`, not `-0`, magnitude at most 2^53 − 1;
//! - literals `true`, `false`, `null`.
//!
//! [`is_canonical_bytes`] may answer `false` for a line it does not judge
//! (nesting deeper than serde_json's limit), in which case the caller falls
//! back to parsing and re-serialising; it never answers `true` for a line
//! that [`crate::entry::is_canonical_line`] would reject (a property test
//! compares the two on generated and mutated lines).

use std::cmp::Ordering;

use crate::entry::MAX_SAFE_INTEGER;

/// Deeper nesting than this is left to the full parser, which refuses it
/// (serde_json's recursion limit is 128).
const MAX_DEPTH: usize = 128;

/// Whether `line` is one JSON value in RFC 8785 canonical form with only
/// safe integers as numbers: what a ledger line must be.
pub fn is_canonical_bytes(line: &[u8]) -> bool {
    let mut s = Scanner { b: line, i: 0 };
    s.value(0) && s.i == line.len()
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn value(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some(b'{') => depth < MAX_DEPTH && self.object(depth + 1),
            Some(b'[') => depth < MAX_DEPTH && self.array(depth + 1),
            Some(b'"') => self.string().is_some(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => false,
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn number(&mut self) -> bool {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let start = self.i;
        let mut value: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            value = match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
            {
                Some(v) if v <= MAX_SAFE_INTEGER => v,
                _ => return false,
            };
            self.i += 1;
        }
        let digits = &self.b[start..self.i];
        match digits {
            [] => false,
            // "0" alone, never "00", "01" or "-0".
            [b'0', ..] if digits.len() > 1 || start > 0 && self.b[start - 1] == b'-' => false,
            _ => !matches!(self.peek(), Some(b'.' | b'e' | b'E')),
        }
    }

    /// A canonical string; returns its raw contents (between the quotes)
    /// and whether they hold an escape or a non-ASCII byte.
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        debug_assert_eq!(self.peek(), Some(b'"'));
        let b = self.b;
        self.i += 1;
        let start = self.i;
        let mut plain = true;
        loop {
            let c = *self.b.get(self.i)?;
            match c {
                b'"' => {
                    let raw = &b[start..self.i];
                    self.i += 1;
                    return Some((raw, !plain));
                }
                b'\\' => {
                    plain = false;
                    let e = *self.b.get(self.i + 1)?;
                    match e {
                        b'"' | b'\\' | b'b' | b't' | b'n' | b'f' | b'r' => self.i += 2,
                        b'u' => {
                            let hex = self.b.get(self.i + 2..self.i + 6)?;
                            // Only control characters without a short form.
                            let lower = |h: u8| matches!(h, b'0'..=b'9' | b'a'..=b'f');
                            if hex[0] != b'0'
                                || hex[1] != b'0'
                                || !hex[2..].iter().all(|&h| lower(h))
                            {
                                return None;
                            }
                            let code = u8::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16)
                                .ok()?;
                            if code >= 0x20 || matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                return None;
                            }
                            self.i += 6;
                        }
                        _ => return None,
                    }
                }
                0x00..=0x1f => return None,
                0x20..=0x7f => self.i += 1,
                _ => {
                    plain = false;
                    let len = utf8_len(&self.b[self.i..])?;
                    self.i += len;
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> bool {
        self.i += 1;
        if self.peek() == Some(b']') {
            self.i += 1;
            return true;
        }
        loop {
            if !self.value(depth) {
                return false;
            }
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    fn object(&mut self, depth: usize) -> bool {
        self.i += 1;
        if self.peek() == Some(b'}') {
            self.i += 1;
            return true;
        }
        let mut previous: Option<(&'a [u8], bool)> = None;
        loop {
            if self.peek() != Some(b'"') {
                return false;
            }
            let Some(name) = self.string() else {
                return false;
            };
            if let Some(prev) = previous {
                if name_order(prev, name) != Ordering::Less {
                    return false;
                }
            }
            previous = Some(name);
            if self.peek() != Some(b':') {
                return false;
            }
            self.i += 1;
            if !self.value(depth) {
                return false;
            }
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }
}

/// The length of the UTF-8 sequence starting `b`, if it is a valid one
/// (shortest form, no surrogates, at most U+10FFFF).
fn utf8_len(b: &[u8]) -> Option<usize> {
    let len = match b.first()? {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    std::str::from_utf8(b.get(..len)?).ok().map(|_| len)
}

/// RFC 8785 §3.2.3: member names sort by their UTF-16 code units. Names
/// of plain ASCII sort as their bytes; others are decoded first.
fn name_order(a: (&[u8], bool), b: (&[u8], bool)) -> Ordering {
    if !a.1 && !b.1 {
        return a.0.cmp(b.0);
    }
    let (a, b) = (unescape(a.0), unescape(b.0));
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The text of a string's raw contents, already checked canonical (so
/// valid UTF-8 with only the escapes [`Scanner::string`] accepts).
fn unescape(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push('\u{8}'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('f') => out.push('\u{c}'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16).unwrap_or(0);
                out.push(char::from_u32(code).unwrap_or('\u{0}'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{json, Value};

    use super::*;
    use crate::entry::{canonical, is_canonical_line};

    /// What the full check says about `line`; `None` when it is not JSON.
    fn full(line: &[u8]) -> Option<bool> {
        let value: Value = serde_json::from_slice(line).ok()?;
        Some(is_canonical_line(&value, line))
    }

    fn same_verdict(line: &[u8]) {
        let fast = is_canonical_bytes(line);
        match full(line) {
            Some(slow) => assert_eq!(fast, slow, "{}", String::from_utf8_lossy(line)),
            None => assert!(!fast, "not JSON yet canonical: {:?}", line),
        }
    }

    #[test]
    fn examples_agree_with_the_full_check() {
        let cases: &[&str] = &[
            r#"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{ "a":1}"#,
            r#"{"a":1} "#,
            r#"{"a":1}{"#,
            r#"{"a":"\u00e9"}"#,
            r#"{"a":"é"}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":"/"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":"\u001f"}"#,
            r#"{"a":"\u000a"}"#,
            r#"{"a":"\n\t\r\b\f\"\\"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":-0}"#,
            r#"{"a":0}"#,
            r#"{"a":01}"#,
            r#"{"a":1.0}"#,
            r#"{"a":1e3}"#,
            r#"{"a":-1}"#,
            r#"{"a":9007199254740991}"#,
            r#"{"a":9007199254740992}"#,
            r#"{"a":-9007199254740991}"#,
            r#"{"a":-9007199254740992}"#,
            r#"{"a":99999999999999999999999}"#,
            r#"[]"#,
            r#"{}"#,
            r#""""#,
            r#"{"":1,"a":2}"#,
            r#"{"a":2,"":1}"#,
            r#"{"\n":1,"a":2}"#,
            r#"{"a":2,"\n":1}"#,
            r##"{"\"":1,"#":2}"##,
            r##"{"#":1,"\"":2}"##,
            r#"{"𐀀":1,"￿":2}"#,
            r#"{"￿":1,"𐀀":2}"#,
            r#"{"a":tru}"#,
            r#"{"a":"x"#,
            "{\"a\":\"\u{7f}\"}",
            "{\"a\":\"\u{2028}\"}",
            "{\"a\":\"\x01\"}",
        ];
        for case in cases {
            same_verdict(case.as_bytes());
        }
        same_verdict(b"{\"a\":\"\xff\"}");
        same_verdict(b"{\"a\":\"\xed\xa0\x80\"}");
        same_verdict(b"{\"a\":\"\xc0\xaf\"}");
        // The two the byte order and the UTF-16 order disagree on.
        assert!(is_canonical_bytes("{\"𐀀\":1,\"\u{ffff}\":2}".as_bytes()));
        assert!(!is_canonical_bytes("{\"\u{ffff}\":1,\"𐀀\":2}".as_bytes()));
    }

    #[test]
    fn deep_nesting_is_left_to_the_parser() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(!is_canonical_bytes(deep.as_bytes()));
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(is_canonical_bytes(ok.as_bytes()));
    }

    /// Every JSON-lines file under fixtures/ (ledgers, manifests, the
    /// custody vectors, tampered ones included) is judged alike, and the
    /// sample ledgers are canonical throughout.
    #[test]
    fn fixture_lines_are_judged_as_the_full_check_judges_them() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "jsonl") {
                    out.push(path);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut files = Vec::new();
        walk(&root, &mut files);
        let mut lines = 0;
        for file in &files {
            let text = std::fs::read(file).unwrap();
            let sample = file.ends_with("ledger/ledger.jsonl")
                || file.ends_with("custody-case/ledger.jsonl");
            for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                same_verdict(line);
                assert!(!sample || is_canonical_bytes(line), "{}", file.display());
                lines += 1;
            }
        }
        assert!(
            files.len() > 100 && lines > 500,
            "{} files, {lines} lines",
            files.len()
        );
    }

    fn arb_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{0,6}",
            "[\\x00-\\x7f]{0,6}",
            any::<String>(),
            prop::collection::vec(
                prop_oneof![
                    Just('\u{ffff}'),
                    Just('\u{10000}'),
                    Just('\u{e000}'),
                    Just('é'),
                    Just('"'),
                    Just('\\'),
                    Just('\u{1f}'),
                    Just('a'),
                ],
                0..4
            )
            .prop_map(|v| v.into_iter().collect()),
        ]
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-(1i64 << 54)..(1i64 << 54)).prop_map(|n| json!(n)),
            any::<i64>().prop_map(|n| json!(n)),
            arb_text().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(arb_text(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    const INTERESTING: &[u8] = b" \t\n\"\\/,:{}[]0-1.eu\x01\x7f\xc3\xa9\xff";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn canonical_output_is_judged_as_the_full_check_judges_it(v in arb_value()) {
            let line = canonical(&v);
            same_verdict(&line);
        }

        #[test]
        fn edited_lines_are_judged_as_the_full_check_judges_them(
            v in arb_value(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, prop::sample::select(INTERESTING)), 1..3),
        ) {
            let mut line = canonical(&v);
            for (at, op, byte) in edits {
                if line.is_empty() {
                    break;
                }
                let i = at.index(line.len());
                match op {
                    0 => line.insert(i, byte),
                    1 => line[i] = byte,
                    2 => { line.remove(i); }
                    _ => { let j = (i + 1).min(line.len() - 1); line.swap(i, j); }
                }
            }
            same_verdict(&line);
        }
    }
}
