//! Text made visible: the one rule for showing ledger text and file names
//! to a person, on a terminal or in a report.
//!
//! Everything custodian shows may come from someone it does not trust: a
//! seized disk names its own files, a case folder passes through many
//! hands, a partner's hash list is theirs. A control character in such
//! text can clear a terminal (`ESC [2J`), recolour or retitle it, ring it,
//! or, with a C1 CSI (U+009B), start an escape sequence with one
//! character; a bidi control such as U+202E makes `\u{202e}exe.txt` read
//! as "txt.exe". So every character of [`is_hidden`] is written as a
//! visible escape instead ([`visible`]):
//!
//! - line feed, carriage return and tab as `\n`, `\r`, `\t`;
//! - every other C0 control (U+0000 to U+001F), DEL (U+007F), every C1
//!   control (U+0080 to U+009F), the line and paragraph separators
//!   (U+2028, U+2029) and the Unicode bidi controls (U+061C, U+200E,
//!   U+200F, U+202A to U+202E, U+2066 to U+2069) as `\u{…}`, lowercase
//!   hexadecimal without leading zeros (`\u{1b}`, `\u{9b}`, `\u{202e}`),
//!   as Rust writes them.
//!
//! Free text keeps its backslashes, so that messages stay readable; a file
//! name is shown by [`visible_name`], which also writes `\` as `\\` and a
//! byte that is not UTF-8 as `\xNN`, so that two names never look alike.
//! What is shown is for reading: the exact value is in every `--json`
//! output, in the ledger and in the manifests, which are never escaped.
//! The notation is stated for users in docs/engineering/threat-model.md.

use std::borrow::Cow;

/// Whether `c` could move, hide, reorder or recolour text on a terminal or
/// a page: a C0 or C1 control, DEL, a line or paragraph separator, or a
/// bidi control.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}'
            | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Appends the visible escape of `c` (a character of [`is_hidden`]).
pub fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => {
            use std::fmt::Write;
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `s` with every character of [`is_hidden`] written as its escape; `s`
/// itself (not copied) when it holds none.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_hidden(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A file name (raw bytes) as one line of printable text: as [`visible`],
/// and also `\` as `\\` and each byte that is not UTF-8 as `\xNN`, so that
/// distinct names give distinct text.
pub fn visible_name(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if is_hidden(c) => push_escape(&mut out, c),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            use std::fmt::Write;
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_and_bidi_character_is_made_visible() {
        assert_eq!(
            visible("a\u{1b}[2Jb\u{9b}31m\u{7}c\u{202e}d\n\r\t\u{7f}"),
            "a\\u{1b}[2Jb\\u{9b}31m\\u{7}c\\u{202e}d\\n\\r\\t\\u{7f}"
        );
        for c in [
            '\u{0}', '\u{1f}', '\u{80}', '\u{9f}', '\u{61c}', '\u{200e}', '\u{200f}', '\u{2028}',
            '\u{2029}', '\u{202a}', '\u{2066}', '\u{2069}',
        ] {
            assert!(is_hidden(c), "{c:?}");
            assert!(!visible(&c.to_string()).chars().any(is_hidden));
        }
        // Ordinary text, backslashes and other scripts are left alone.
        for s in ["plain", "C:\\dir", "é ü ß", "مرحبا", "日本語", "\u{a0}"] {
            assert!(matches!(visible(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn names_are_shown_one_to_one() {
        assert_eq!(
            visible_name(b"a\\b\nc\r\t\x1b[31m\xff\xfe"),
            "a\\\\b\\nc\\r\\t\\u{1b}[31m\\xff\\xfe"
        );
        assert_eq!(
            visible_name("\u{202e}exe.txt".as_bytes()),
            "\\u{202e}exe.txt"
        );
        // A name that spells an escape differs from the character.
        assert_ne!(
            visible_name(b"\\u{202e}"),
            visible_name("\u{202e}".as_bytes())
        );
    }
}
