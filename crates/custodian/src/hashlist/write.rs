//! Writing the line formats other tools check (GNU coreutils `*sum`,
//! b3sum, hashdeep) so that no file name can produce more, fewer or other
//! records than the files listed.
//!
//! A seized disk is written by the suspect: a file named
//! `x\n10,MD5,SHA1,SHA256,planted` written raw into a hashdeep file is a
//! second record with digests the suspect chose. Each format's own checker
//! is the reference for what a name may hold:
//!
//! - **GNU coreutils** (`sha256sum -c`, coreutils 9): a line starting with
//!   `\` has an escaped name, `\\` a backslash, `\n` a line feed, `\r` a
//!   carriage return. Every file name can be written.
//! - **b3sum** (`b3sum --check`, 1.x): the same leading `\`, but only `\\`
//!   and `\n`. It stops the whole check at `\r` ("Invalid backslash
//!   escape"), keeps a raw carriage return as part of the name (which CRLF
//!   readers, ours included, strip), and reads the check file as UTF-8 (one
//!   other byte stops the whole check). A name holding a carriage return or
//!   bytes that are not UTF-8 cannot be written.
//! - **hashdeep**: no escape at all. A record is one line; the file name is
//!   everything after the last digest field (commas included); a carriage
//!   return before the line feed is part of the line ending. A name holding
//!   a line feed or a carriage return (which many CSV and text readers also
//!   take as a line end) cannot be written.
//!
//! No file name is empty or holds a NUL byte; such a "name" is refused too
//! (C readers would cut it short).
//!
//! A name a format cannot carry is refused with [`Unsayable`]: the caller
//! leaves that file out, says so on stderr, and fails the run (`custodian
//! hash` exits 1). The JSON manifest and DFXML carry every name exactly.

use crate::hashing::Algorithm;

/// A line format `custodian hash` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// `HEX  NAME`, GNU coreutils escaping (`\\`, `\n`, `\r`).
    Gnu,
    /// `HEX  NAME`, b3sum escaping (`\\`, `\n` only; UTF-8 names only).
    B3sum,
    /// `SIZE,HEX,…,NAME` lines of a hashdeep known-hashes file.
    Hashdeep,
}

/// Why a name cannot be written in a format: the file is left out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("left out of the {} list: that format cannot carry a name holding {what}", .format.name())]
pub struct Unsayable {
    pub format: LineFormat,
    /// What the name holds, in words (`a line feed`, …).
    pub what: &'static str,
}

impl LineFormat {
    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            LineFormat::Gnu => "sha256sum-style",
            LineFormat::B3sum => "b3sum",
            LineFormat::Hashdeep => "hashdeep",
        }
    }

    /// The `*sum` convention for `a`: b3sum's for BLAKE3 (the only tool
    /// that checks those lists), GNU coreutils' for the others.
    pub fn sum_for(a: Algorithm) -> LineFormat {
        match a {
            Algorithm::Blake3 => LineFormat::B3sum,
            _ => LineFormat::Gnu,
        }
    }

    /// Why `name` cannot be written in this format, if it cannot.
    pub fn refuses(self, name: &[u8]) -> Option<Unsayable> {
        let what = if name.is_empty() {
            Some("no bytes at all")
        } else if name.contains(&0) {
            Some("a NUL byte")
        } else {
            match self {
                LineFormat::Gnu => None,
                LineFormat::B3sum if name.contains(&b'\r') => Some("a carriage return"),
                LineFormat::B3sum if std::str::from_utf8(name).is_err() => {
                    Some("bytes that are not UTF-8")
                }
                LineFormat::B3sum => None,
                LineFormat::Hashdeep if name.contains(&b'\n') => Some("a line feed"),
                LineFormat::Hashdeep if name.contains(&b'\r') => Some("a carriage return"),
                LineFormat::Hashdeep => None,
            }
        };
        what.map(|what| Unsayable { format: self, what })
    }
}

/// One `HEX  NAME` line (newline included) in `format`'s convention
/// ([`LineFormat::Gnu`] or [`LineFormat::B3sum`]): if the name holds a
/// backslash or a line feed (or, for GNU, a carriage return) the line
/// starts with `\` and those are escaped, exactly as the tool itself
/// writes them, so its checker reads back the exact name.
pub fn sum_line(format: LineFormat, hex: &str, name: &[u8]) -> Result<Vec<u8>, Unsayable> {
    debug_assert_ne!(format, LineFormat::Hashdeep, "not a sum format");
    if let Some(u) = format.refuses(name) {
        return Err(u);
    }
    // After `refuses`, a B3sum name holds no carriage return.
    let escape = name.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r'));
    let mut line = Vec::with_capacity(hex.len() + name.len() + 8);
    if escape {
        line.push(b'\\');
    }
    line.extend_from_slice(hex.as_bytes());
    line.extend_from_slice(b"  ");
    for &b in name {
        match b {
            b'\\' => line.extend_from_slice(b"\\\\"),
            b'\n' => line.extend_from_slice(b"\\n"),
            b'\r' => line.extend_from_slice(b"\\r"),
            _ => line.push(b),
        }
    }
    line.push(b'\n');
    Ok(line)
}

/// The header of a hashdeep known-hashes file, as hashdeep writes it:
/// format line, column line, then `##` comments naming the folder it was
/// run from and the command (prompt `#` for root, `$` otherwise). The
/// folder and command are shown with [`display_name`]'s escapes, so a
/// hostile folder name or argument cannot end a comment line early and
/// start a record.
pub fn hashdeep_header(
    algorithms: &[Algorithm],
    invoked_from: &[u8],
    prompt: char,
    command: &[u8],
) -> Vec<u8> {
    let cols: Vec<&str> = algorithms.iter().map(|a| a.name()).collect();
    format!(
        "%%%% HASHDEEP-1.0\n%%%% size,{},filename\n## Invoked from: {}\n## {prompt} {}\n## \n",
        cols.join(","),
        display_name(invoked_from),
        display_name(command),
    )
    .into_bytes()
}

/// One `SIZE,HEX,…,NAME` record (newline included); `digests` in the
/// header's column order. hashdeep resolves names against the folder it
/// runs in, so the caller gives an absolute name.
pub fn hashdeep_line(size: u64, digests: &[&str], name: &[u8]) -> Result<Vec<u8>, Unsayable> {
    if let Some(u) = LineFormat::Hashdeep.refuses(name) {
        return Err(u);
    }
    let mut line = size.to_string().into_bytes();
    for d in digests {
        line.push(b',');
        line.extend_from_slice(d.as_bytes());
    }
    line.push(b',');
    line.extend_from_slice(name);
    line.push(b'\n');
    Ok(line)
}

/// A name as one line of printable text for messages: the one rule of
/// [`crate::text::visible_name`] (`\\`, `\n`, `\r`, `\t`, `\u{…}` for
/// other controls and bidi controls, `\xNN` for bytes that are not UTF-8).
/// Distinct names give distinct text.
pub fn display_name(name: &[u8]) -> String {
    crate::text::visible_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_lines_escape_like_each_tool() {
        let gnu = sum_line(LineFormat::Gnu, "ab", b"a\\b\nc\rd").unwrap();
        assert_eq!(gnu, b"\\ab  a\\\\b\\nc\\rd\n");
        let b3 = sum_line(LineFormat::B3sum, "ab", b"a\\b\nc").unwrap();
        assert_eq!(b3, b"\\ab  a\\\\b\\nc\n");
        assert_eq!(
            sum_line(LineFormat::Gnu, "ab", b"plain \xff").unwrap(),
            b"ab  plain \xff\n"
        );
        assert_eq!(
            sum_line(LineFormat::Gnu, "ab", b"*star, (x) = y").unwrap(),
            b"ab  *star, (x) = y\n"
        );
    }

    #[test]
    fn names_a_format_cannot_carry_are_refused() {
        let e = sum_line(LineFormat::B3sum, "ab", b"cr\r").unwrap_err();
        assert_eq!(e.what, "a carriage return");
        assert!(sum_line(LineFormat::B3sum, "ab", b"\xff").is_err());
        assert!(sum_line(LineFormat::Gnu, "ab", b"").is_err());
        assert!(sum_line(LineFormat::Gnu, "ab", b"a\0b").is_err());
        let planted = b"x\n10,00,00,00,planted";
        let e = hashdeep_line(1, &["00"], planted).unwrap_err();
        assert_eq!(e.what, "a line feed");
        assert!(e.to_string().contains("hashdeep"), "{e}");
        assert!(hashdeep_line(1, &["00"], b"a\rb").is_err());
        assert_eq!(
            hashdeep_line(3, &["aa", "bb"], b"/ev/com,ma \xff").unwrap(),
            b"3,aa,bb,/ev/com,ma \xff\n"
        );
    }

    #[test]
    fn hashdeep_comments_stay_on_one_line() {
        let h = hashdeep_header(
            &[Algorithm::Md5, Algorithm::Sha256],
            b"/mnt/x\n1,00,00,planted",
            '$',
            b"custodian hash a\rb",
        );
        let text = String::from_utf8(h).unwrap();
        assert_eq!(text.lines().count(), 5, "{text}");
        assert!(text.starts_with("%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n"));
        assert!(text.contains("## Invoked from: /mnt/x\\n1,00,00,planted\n"));
    }

    #[test]
    fn display_names_are_one_printable_line() {
        assert_eq!(
            display_name(b"a\\b\nc\r\t\x1b[31m\xff\xfe"),
            "a\\\\b\\nc\\r\\t\\u{1b}[31m\\xff\\xfe"
        );
        assert_eq!(
            display_name("\u{202e}exe.txt".as_bytes()),
            "\\u{202e}exe.txt"
        );
        assert_eq!(display_name("é ok".as_bytes()), "é ok");
    }
}
