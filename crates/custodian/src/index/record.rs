//! The fields of a manifest record line that the index keeps, read the
//! way serde_json reads them, but without serde's cost on the common line.
//!
//! Indexing ten million lines spends most of its parsing time in generic
//! JSON machinery: every string of every record is decoded and
//! UTF-8-checked, every ignored field visited, every digest allocated.
//! [`parse`] first tries a narrow scanner ([`fast`]) that accepts only the
//! plainest JSON: no whitespace, no escapes, no duplicate fields it reads,
//! nothing after the closing brace. Anything else, valid or not, goes to
//! serde ([`slow`]), so a line the scanner takes gives exactly what serde
//! gives, and a line it does not take gets serde's answer and serde's
//! error message. Manifests custodian writes are RFC 8785 canonical and
//! always take the narrow path unless a name needs escaping. The unit
//! tests check the two agree on every line and on mutations of them.

use std::borrow::Cow;

use serde::Deserialize;

use super::ALGORITHMS;
use crate::hashing::Algorithm;

/// What the index reads of one record line.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Line<'a> {
    /// The record's `path` (lossy text for names that are not UTF-8).
    pub path: Cow<'a, str>,
    pub root: u32,
    /// `type` is `"file"`.
    pub is_file: bool,
    pub size: Option<u64>,
    /// Hex digests in [`ALGORITHMS`] order, as found (not yet checked).
    pub digests: [Option<&'a str>; 6],
}

/// Reads one record line (without its newline).
pub(super) fn parse(line: &[u8]) -> Result<Line<'_>, serde_json::Error> {
    match fast(line) {
        Some(l) => Ok(l),
        None => slow(line),
    }
}

/// Whether the narrow scanner reads `line` as serde_json does: it leaves
/// the line to serde, or gives exactly serde's row (fuzz target
/// `index_record`, through [`super::record_readers_agree`]).
pub(super) fn readers_agree(line: &[u8]) -> bool {
    match fast(line) {
        None => true,
        Some(f) => slow(line).ok().as_ref() == Some(&f),
    }
}

/// The record as serde reads it: the reference for [`fast`].
#[derive(Deserialize)]
struct RecordView<'a> {
    #[serde(borrow)]
    path: Cow<'a, str>,
    root: u32,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    size: Option<u64>,
    #[serde(default, borrow)]
    digests: DigestsView<'a>,
}

/// The `digests` object of a record, by algorithm name (hex digits never
/// need JSON escapes, so they are borrowed from the line). An algorithm
/// this index does not know is an error.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DigestsView<'a> {
    #[serde(borrow)]
    md5: Option<&'a str>,
    #[serde(borrow)]
    sha1: Option<&'a str>,
    #[serde(borrow)]
    sha256: Option<&'a str>,
    #[serde(rename = "sha3-256", borrow)]
    sha3_256: Option<&'a str>,
    #[serde(borrow)]
    blake3: Option<&'a str>,
    #[serde(borrow)]
    sha512: Option<&'a str>,
}

fn slow(line: &[u8]) -> Result<Line<'_>, serde_json::Error> {
    let r: RecordView = serde_json::from_slice(line)?;
    let d = &r.digests;
    let digests = ALGORITHMS.map(|a| match a {
        Algorithm::Md5 => d.md5,
        Algorithm::Sha1 => d.sha1,
        Algorithm::Sha256 => d.sha256,
        Algorithm::Sha3_256 => d.sha3_256,
        Algorithm::Blake3 => d.blake3,
        Algorithm::Sha512 => d.sha512,
    });
    Ok(Line {
        is_file: r.kind == "file",
        path: r.path,
        root: r.root,
        size: r.size,
        digests,
    })
}

/// Nesting of ignored values the scanner follows before handing the line
/// to serde (records have one level: `digests`, `hardlink_of`).
const MAX_DEPTH: usize = 16;

/// The narrow scanner: `Some` only for a line serde would read to the same
/// result; `None` leaves the line, whatever it holds, to serde.
fn fast(b: &[u8]) -> Option<Line<'_>> {
    let mut s = Scan { b, i: 0 };
    s.eat(b'{')?;
    let (mut path, mut root, mut kind, mut size, mut digests) = (None, None, None, None, None);
    loop {
        let key = s.string()?;
        s.eat(b':')?;
        match key {
            "path" => set(&mut path, s.string()?)?,
            "root" => set(&mut root, u32::try_from(s.uint()?).ok()?)?,
            "type" => set(&mut kind, s.string()?)?,
            "size" => set(&mut size, s.null_or_uint()?)?,
            "digests" => set(&mut digests, s.digests()?)?,
            _ => s.skip_value(0)?,
        }
        match s.next()? {
            b',' => continue,
            b'}' => break,
            _ => return None,
        }
    }
    if s.i != b.len() {
        return None;
    }
    Some(Line {
        path: Cow::Borrowed(path?),
        root: root?,
        is_file: kind? == "file",
        size: size.flatten(),
        digests: digests.unwrap_or_default(),
    })
}

/// Records a field's value; a field met twice is left to serde (which
/// refuses it).
fn set<T>(slot: &mut Option<T>, v: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(v);
            Some(())
        }
    }
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    fn next(&mut self) -> Option<u8> {
        let c = *self.b.get(self.i)?;
        self.i += 1;
        Some(c)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// A string without escapes or control characters, in UTF-8.
    fn string(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.raw_string()?).ok()
    }

    /// A string without escapes or control characters, as bytes: serde
    /// checks UTF-8 only in the strings it decodes, not in those it skips.
    fn raw_string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let rest = &self.b[self.i..];
        let len = memchr::memchr2(b'"', b'\\', rest)?;
        let text = &rest[..len];
        if rest[len] != b'"' || text.iter().any(|&c| c < 0x20) {
            return None;
        }
        self.i += len + 1;
        Some(text)
    }

    /// A non-negative integer in plain JSON form (no sign, fraction,
    /// exponent or leading zero), within `u64`.
    fn uint(&mut self) -> Option<u64> {
        let start = self.i;
        let mut v: u64 = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            self.i += 1;
        }
        let n = self.i - start;
        if n == 0 || (n > 1 && self.b[start] == b'0') {
            return None;
        }
        match self.peek() {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some(v),
        }
    }

    fn null_or_uint(&mut self) -> Option<Option<u64>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            Some(None)
        } else {
            self.uint().map(Some)
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i.checked_add(word.len())?;
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// The `digests` object: string values under the names of
    /// [`ALGORITHMS`], each at most once.
    fn digests(&mut self) -> Option<[Option<&'a str>; 6]> {
        let mut out: [Option<&'a str>; 6] = Default::default();
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(out);
        }
        loop {
            let name = self.string()?;
            self.eat(b':')?;
            let at = ALGORITHMS.iter().position(|a| a.name() == name)?;
            set(&mut out[at], self.string()?)?;
            match self.next()? {
                b',' => continue,
                b'}' => return Some(out),
                _ => return None,
            }
        }
    }

    /// Steps over any JSON value, as strictly as the grammar (RFC 8259).
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.raw_string().map(drop),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            open @ (b'{' | b'[') => {
                self.i += 1;
                let close = if open == b'{' { b'}' } else { b']' };
                if self.peek()? == close {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    if open == b'{' {
                        self.raw_string()?;
                        self.eat(b':')?;
                    }
                    self.skip_value(depth + 1)?;
                    match self.next()? {
                        b',' => continue,
                        c if c == close => return Some(()),
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(0)?,
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digits(1)?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.digits(1)?;
        }
        Some(())
    }

    /// At least `min` decimal digits.
    fn digits(&mut self, min: usize) -> Option<()> {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        (self.i - start >= min).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both readers' verdicts on `line`: equal results, or both errors.
    /// True when the scanner took the line.
    fn agree(line: &[u8]) -> bool {
        assert!(readers_agree(line));
        let slow = slow(line).ok();
        let fast = fast(line);
        if let Some(f) = &fast {
            assert_eq!(
                Some(f),
                slow.as_ref(),
                "fast and serde disagree on {:?}",
                String::from_utf8_lossy(line)
            );
        }
        assert_eq!(parse(line).ok(), slow);
        fast.is_some()
    }

    const CANONICAL: &str = concat!(
        r#"{"atime":"2026-03-01T09:15:02.123456789Z","ctime":"2026-03-01T09:15:02.123456789Z","#,
        r#""dev":"2049","digests":{"md5":"04721065bafae1575540b2fe43d1abf4","#,
        r#""sha1":"b20329c13867817ca8d88f6fec5d3e113917fd62","#,
        r#""sha256":"b720eaa7985b481174bd1e34508f02328e6748ccd4a316bcff6dae4a929d831c"},"#,
        r#""gid":1000,"ino":"13045747311358","mode":"0644","mtime":"2026-03-01T09:15:02.123456789Z","#,
        r#""nlink":1,"path":"Users/suspect/file-00000000.dat","root":0,"size":5275413,"#,
        r#""type":"file","uid":1000}"#
    );

    #[test]
    fn a_canonical_record_takes_the_narrow_path() {
        let l = fast(CANONICAL.as_bytes()).expect("the scanner reads a canonical record");
        assert_eq!(l.path, "Users/suspect/file-00000000.dat");
        assert_eq!((l.root, l.is_file, l.size), (0, true, Some(5275413)));
        assert_eq!(l.digests[0], Some("04721065bafae1575540b2fe43d1abf4"));
        assert_eq!(l.digests[3], None);
        assert!(agree(CANONICAL.as_bytes()));
    }

    #[test]
    fn lines_the_scanner_leaves_to_serde_get_serde_answer() {
        for line in [
            // Escapes, whitespace, duplicates, unknown algorithms, nulls where
            // serde wants an object, numbers out of range or not plain.
            r#"{"path":"a\"b","root":0,"type":"file"}"#,
            r#"{"path":"a\u0062","root":0,"type":"file"}"#,
            r#"{ "path":"a","root":0,"type":"file"}"#,
            r#"{"path":"a","root":0,"type":"file"} "#,
            r#"{"path":"a","path":"b","root":0,"type":"file"}"#,
            r#"{"path":"a","root":0,"type":"file","digests":{"crc32":"00"}}"#,
            r#"{"path":"a","root":0,"type":"file","digests":{"md5":null}}"#,
            r#"{"path":"a","root":0,"type":"file","digests":null}"#,
            r#"{"path":"a","root":4294967296,"type":"file"}"#,
            r#"{"path":"a","root":-0,"type":"file"}"#,
            r#"{"path":"a","root":0,"type":"file","size":1.0}"#,
            r#"{"path":"a","root":0,"type":"file","size":01}"#,
            r#"{"path":"a","root":0,"type":"file","size":18446744073709551616}"#,
            r#"{"path":"a","root":0,"type":"file","n":01}"#,
            r#"{"path":"a","root":0,"type":"file","n":1.}"#,
            r#"{"path":"a","root":0,"type":"file","n":"\q"}"#,
            r#"{"path":"a","root":0}"#,
            r#"{"path":"a","root":0,"type":"file"}x"#,
            r#"{"path":"a","root":0,"type":"file",}"#,
            r#"{}"#,
            r#"[]"#,
            "",
        ] {
            assert!(!agree(line.as_bytes()), "{line}");
        }
        assert!(!agree(b"{\"path\":\"\xff\",\"root\":0,\"type\":\"file\"}"));
        assert!(!agree(b"{\"path\":\"a\tb\",\"root\":0,\"type\":\"file\"}"));
        // The plain forms of some of them do take the narrow path.
        for line in [
            r#"{"path":"a","root":0,"type":"dir","x":[1,{"y":[]},-0.5e+3,true,null]}"#,
            r#"{"path":"a","root":4294967295,"type":"file","size":18446744073709551615}"#,
            r#"{"path":"a","root":0,"type":"file","digests":{}}"#,
            r#"{"path":"a","root":0,"type":"file","size":null}"#,
        ] {
            assert!(agree(line.as_bytes()), "{line}");
        }
    }

    /// Every single-byte change, deletion and truncation of a record (and
    /// of a few edge lines): the scanner never reads one differently.
    #[test]
    fn mutations_of_records_are_read_alike() {
        let with_extras = concat!(
            r#"{"digests":{"blake3":"ab","sha3-256":"cd","sha512":"ef"},"error":"x","#,
            r#""hardlink_of":{"path":"b","root":0},"n":-12.5e-3,"path":"a","root":1,"#,
            r#""size":0,"type":"file","z":[true,false,null,{}]}"#
        );
        let bytes = b"\"\\{}[]:,.-+0123456789eEtrufalsn \x00\x7f\xc3\xff";
        let (mut taken, mut all) = (0, 0);
        let mut agree = |line: &[u8]| {
            all += 1;
            taken += usize::from(agree(line));
        };
        for base in [CANONICAL, with_extras] {
            let base = base.as_bytes();
            for at in 0..base.len() {
                let mut cut = base.to_vec();
                cut.remove(at);
                agree(&cut);
                agree(&base[..at]);
                for &c in bytes {
                    let mut m = base.to_vec();
                    m[at] = c;
                    agree(&m);
                    let mut ins = base.to_vec();
                    ins.insert(at, c);
                    agree(&ins);
                }
            }
        }
        // Most changes to a digest, a date or a path leave a line the
        // scanner reads; most others send it to serde.
        assert!(taken > all / 10 && taken < all, "{taken} of {all}");
    }
}
