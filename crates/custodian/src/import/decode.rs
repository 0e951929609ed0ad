//! A log's bytes to text. Imaging tools write in their platform's
//! encoding: FTK Imager UTF-8 with a byte-order mark (older versions
//! UTF-16), Guymager its locale's (UTF-8, or Latin-1 on older systems),
//! libewf and dc3dd whatever bytes the shell gave them. The rules below
//! decide from the bytes alone, never from the file name, and lose no
//! byte: what is not valid UTF-8 or UTF-16 is read as Latin-1, one
//! character per byte (docs/spec/import-logs.md §2).

use super::log::{LogError, LogText, TextEncoding, MAX_LOG_BYTES};

/// How many leading bytes decide whether a log without a byte-order mark
/// is UTF-16: enough for the first lines of every tool's log.
const SNIFF_BYTES: usize = 4096;

pub(super) fn decode(bytes: &[u8]) -> Result<LogText, LogError> {
    if bytes.len() > MAX_LOG_BYTES {
        return Err(LogError::Whole(format!(
            "the log is {} bytes; custodian reads logs of at most {} bytes (16 MiB)",
            bytes.len(),
            MAX_LOG_BYTES
        )));
    }
    let (encoding, text) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        let text = std::str::from_utf8(rest).map_err(|e| {
            LogError::Whole(format!(
                "the log starts with a UTF-8 byte-order mark but is not UTF-8 at byte offset {}",
                e.valid_up_to() + 3
            ))
        })?;
        (TextEncoding::Utf8, text.to_string())
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        (TextEncoding::Utf16Le, utf16(rest, 2, u16::from_le_bytes)?)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        (TextEncoding::Utf16Be, utf16(rest, 2, u16::from_be_bytes)?)
    } else if let Some(enc) = sniff_utf16(bytes) {
        let text = match enc {
            TextEncoding::Utf16Be => utf16(bytes, 0, u16::from_be_bytes)?,
            _ => utf16(bytes, 0, u16::from_le_bytes)?,
        };
        (enc, text)
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        (TextEncoding::Utf8, text.to_string())
    } else {
        (
            TextEncoding::Latin1,
            bytes.iter().map(|&b| b as char).collect(),
        )
    };
    if let Some(at) = text.find('\0') {
        let line = 1 + text[..at].matches('\n').count();
        return Err(LogError::at(
            line,
            format!(
                "the log contains a NUL character ({} text); it is not a text log",
                encoding.as_str()
            ),
        ));
    }
    Ok(LogText { encoding, text })
}

/// UTF-16 without a byte-order mark, told by where the NUL bytes are:
/// ASCII text in UTF-16LE has a zero at every odd offset, in UTF-16BE at
/// every even one. Of the first [`SNIFF_BYTES`] bytes (an even count),
/// at least half of the code units must have a zero on one side and more
/// than on the other side.
fn sniff_utf16(bytes: &[u8]) -> Option<TextEncoding> {
    let n = bytes.len().min(SNIFF_BYTES) & !1;
    if n < 2 {
        return None;
    }
    let units = n / 2;
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in bytes.chunks_exact(2).take(units) {
        if let [a, b] = pair {
            even += usize::from(*a == 0);
            odd += usize::from(*b == 0);
        }
    }
    if odd * 2 >= units && odd > even {
        Some(TextEncoding::Utf16Le)
    } else if even * 2 >= units && even > odd {
        Some(TextEncoding::Utf16Be)
    } else {
        None
    }
}

/// Decodes UTF-16 code units; `base` is the byte offset of `bytes` in
/// the file, so errors name the file's offset.
fn utf16(bytes: &[u8], base: usize, unit: fn([u8; 2]) -> u16) -> Result<String, LogError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(LogError::Whole(format!(
            "the log is UTF-16 but has an odd number of bytes ({}); its last byte at offset {} is half a character",
            bytes.len() + base,
            bytes.len() + base - 1
        )));
    }
    let units = bytes.chunks_exact(2).map(|p| match p {
        [a, b] => unit([*a, *b]),
        _ => 0xFFFD,
    });
    let mut out = String::with_capacity(bytes.len() / 2);
    // Code units decoded so far, for the offset of a bad one.
    let mut done = 0usize;
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => {
                done += c.len_utf16();
                out.push(c);
            }
            Err(e) => {
                let units_before = done;
                return Err(LogError::Whole(format!(
                    "the log is UTF-16 but has an unpaired surrogate 0x{:04X} at byte offset {}",
                    e.unpaired_surrogate(),
                    base + units_before * 2
                )));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { vec![] };
        for u in s.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
        out
    }

    fn utf16be(s: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFE, 0xFF] } else { vec![] };
        for u in s.encode_utf16() {
            out.extend_from_slice(&u.to_be_bytes());
        }
        out
    }

    #[test]
    fn byte_order_marks_choose_the_encoding() {
        let t = decode(b"\xEF\xBB\xBFCreated By\r\n").unwrap();
        assert_eq!(
            (t.encoding, t.text.as_str()),
            (TextEncoding::Utf8, "Created By\r\n")
        );
        let t = decode(&utf16le("Examiner: Ren\u{e9}\r\n", true)).unwrap();
        assert_eq!(t.encoding, TextEncoding::Utf16Le);
        assert_eq!(t.text, "Examiner: Ren\u{e9}\r\n");
        let t = decode(&utf16be("a\u{1F600}b", true)).unwrap();
        assert_eq!(t.encoding, TextEncoding::Utf16Be);
        assert_eq!(t.text, "a\u{1F600}b");
    }

    #[test]
    fn utf16_without_a_mark_is_told_by_its_nul_bytes() {
        let t = decode(&utf16le("dc3dd 7.2.646 started at", false)).unwrap();
        assert_eq!(t.encoding, TextEncoding::Utf16Le);
        assert_eq!(t.text, "dc3dd 7.2.646 started at");
        let t = decode(&utf16be("dc3dd 7.2.646 started at", false)).unwrap();
        assert_eq!(t.encoding, TextEncoding::Utf16Be);
        assert_eq!(t.text, "dc3dd 7.2.646 started at");
    }

    #[test]
    fn utf8_then_latin1() {
        let t = decode("Examiner: Ren\u{e9}".as_bytes()).unwrap();
        assert_eq!(
            (t.encoding, t.text.as_str()),
            (TextEncoding::Utf8, "Examiner: Ren\u{e9}")
        );
        let t = decode(b"Examiner: Ren\xE9\n").unwrap();
        assert_eq!(t.encoding, TextEncoding::Latin1);
        assert_eq!(t.text, "Examiner: Ren\u{e9}\n");
        // Every byte survives as the character of the same number.
        let all: Vec<u8> = (1..=255u8).collect();
        let t = decode(&all).unwrap();
        assert_eq!(t.encoding, TextEncoding::Latin1);
        assert_eq!(
            t.text.chars().map(|c| c as u32).collect::<Vec<_>>(),
            (1..=255u32).collect::<Vec<_>>()
        );
    }

    #[test]
    fn unpaired_surrogates_name_their_offset() {
        // BOM, "ab", then a lone high surrogate D800 at file offset 6.
        let mut b = utf16le("ab", true);
        b.extend_from_slice(&[0x00, 0xD8, b'c', 0x00]);
        assert_eq!(
            decode(&b).unwrap_err(),
            LogError::Whole(
                "the log is UTF-16 but has an unpaired surrogate 0xD800 at byte offset 6".into()
            )
        );
        // A lone low surrogate after an astral character (two units).
        let mut b = utf16be("\u{1F600}", true);
        b.extend_from_slice(&[0xDC, 0x00]);
        assert_eq!(
            decode(&b).unwrap_err(),
            LogError::Whole(
                "the log is UTF-16 but has an unpaired surrogate 0xDC00 at byte offset 6".into()
            )
        );
        let mut b = utf16le("abc", true);
        b.push(b'x');
        assert_eq!(
            decode(&b).unwrap_err(),
            LogError::Whole("the log is UTF-16 but has an odd number of bytes (9); its last byte at offset 8 is half a character".into())
        );
    }

    #[test]
    fn nul_characters_and_oversized_logs_are_refused() {
        assert_eq!(
            decode(b"line one\nline\0two\n").unwrap_err(),
            LogError::at(
                2,
                "the log contains a NUL character (UTF-8 text); it is not a text log"
            )
        );
        assert_eq!(
            decode(&utf16le("a\nb\n\0", true)).unwrap_err(),
            LogError::at(
                3,
                "the log contains a NUL character (UTF-16LE text); it is not a text log"
            )
        );
        let big = vec![b'a'; MAX_LOG_BYTES + 1];
        assert_eq!(
            decode(&big).unwrap_err(),
            LogError::Whole(format!(
                "the log is {} bytes; custodian reads logs of at most {} bytes (16 MiB)",
                MAX_LOG_BYTES + 1,
                MAX_LOG_BYTES
            ))
        );
        assert!(decode(&vec![b'a'; MAX_LOG_BYTES]).is_ok());
        assert_eq!(
            decode(b"\xEF\xBB\xBFok\xFF").unwrap_err(),
            LogError::Whole(
                "the log starts with a UTF-8 byte-order mark but is not UTF-8 at byte offset 5"
                    .into()
            )
        );
    }
}
