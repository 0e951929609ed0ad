//! What an imaging tool's log says about an acquisition, read by one
//! parser per tool ([`LogFormat`]) into one shape ([`ParsedLog`]).
//!
//! A log is another program's statement, often edited by hand and written
//! in whatever encoding its platform used. The parsers therefore never
//! guess: a value is taken only from the field that names it, a field
//! given twice with different values, a digest of the wrong length for its
//! algorithm or a number that is not one is an error naming the line
//! ([`LogError`]), and nothing is recorded from a log that has one. Free
//! text is kept as found; it reaches the ledger only in members whose
//! origin says "as stated in the … log".

use std::collections::BTreeMap;

use crate::provenance::{FoundTime, SectorRange};

/// The tools whose logs `custodian import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogFormat {
    /// Guymager's `.info` file, written beside every image.
    Guymager,
    /// FTK Imager's `.txt` report, written beside every image.
    Ftk,
    /// ewfacquire's `-l` log file.
    Ewfacquire,
    /// dc3dd's `log=` / `hlog=` file.
    Dc3dd,
}

impl LogFormat {
    pub const ALL: &[LogFormat] = &[
        LogFormat::Guymager,
        LogFormat::Ftk,
        LogFormat::Ewfacquire,
        LogFormat::Dc3dd,
    ];

    /// The name on the command line and in the ledger (`--from NAME`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Guymager => "guymager",
            LogFormat::Ftk => "ftk",
            LogFormat::Ewfacquire => "ewfacquire",
            LogFormat::Dc3dd => "dc3dd",
        }
    }

    /// [`LogFormat::tool_name`] of a format named in the ledger; the name
    /// itself when it is not one this version knows.
    pub fn tool_name_of(format: &str) -> &str {
        custodian_format::attachment::import_tool_name(format)
    }

    /// The tool's own name, for sentences: "as stated in the Guymager log".
    pub fn tool_name(self) -> &'static str {
        match self {
            LogFormat::Guymager => "Guymager",
            LogFormat::Ftk => "FTK Imager",
            LogFormat::Ewfacquire => "ewfacquire",
            LogFormat::Dc3dd => "dc3dd",
        }
    }
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        LogFormat::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown log format {s:?}; expected one of guymager, ftk, ewfacquire, dc3dd"
                )
            })
    }
}

impl std::fmt::Display for LogFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The character encoding a log was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    /// With a byte-order mark, or detected from NUL bytes.
    Utf16Le,
    Utf16Be,
    /// Not valid UTF-8 and no UTF-16 marker: one character per byte, so no
    /// byte is lost (Guymager on a Latin-1 locale, Windows-1252 logs read
    /// as their Latin-1 subset).
    Latin1,
}

impl TextEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
            TextEncoding::Latin1 => "ISO-8859-1",
        }
    }
}

/// Which digest a log states: of what was read from the source during
/// acquisition, or from a verification pass after it (re-reading the
/// source or the image written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashStage {
    /// Computed while the source was read and the image written.
    Acquisition,
    /// Computed by re-reading the source after acquisition.
    VerifySource,
    /// Computed by re-reading the image written.
    VerifyImage,
}

impl HashStage {
    pub fn as_str(self) -> &'static str {
        match self {
            HashStage::Acquisition => "acquisition",
            HashStage::VerifySource => "verification-source",
            HashStage::VerifyImage => "verification-image",
        }
    }
}

/// One digest as the log states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedHash {
    /// `md5`, `sha1` or `sha256` (custodian's algorithm names).
    pub algorithm: String,
    pub stage: HashStage,
    /// Lowercase hex, of the algorithm's length (checked by the parser).
    pub value: String,
    /// 1-based line of the log it was read from.
    pub line: usize,
}

/// Everything a parser read from a log. Every member is as the log states
/// it; absent when the log does not state it (every output then says "not
/// stated").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedLog {
    pub tool_version: Option<String>,
    pub tool_os: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// Bytes per sector.
    pub sector_size: Option<u64>,
    pub sector_count: Option<u64>,
    /// The source's size in bytes, when the log states it.
    pub source_bytes: Option<u64>,
    pub acquired: Vec<FoundTime>,
    pub finished: Vec<FoundTime>,
    pub examiner: Option<String>,
    pub case_number: Option<String>,
    pub evidence_number: Option<String>,
    pub description: Option<String>,
    pub notes: Option<String>,
    /// Sectors the tool says it could not read. `bad_sector_count` is the
    /// total the log states, which may be given without a list.
    pub bad_sectors: Vec<SectorRange>,
    pub bad_sector_count: Option<u64>,
    pub hashes: Vec<LoggedHash>,
    /// Image file names the log says were written, as it states them.
    pub image_files: Vec<String>,
    /// Other fields the parser read but has no member for, in the order
    /// found (name as in the log → value), kept so that nothing is lost.
    pub other: BTreeMap<String, String>,
}

/// A log read as text: how it was decoded, and its lines.
#[derive(Debug, Clone)]
pub struct LogText {
    pub encoding: TextEncoding,
    pub text: String,
}

/// A log custodian will not import.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("{0}")]
    Whole(String),
}

impl LogError {
    pub fn at(line: usize, message: impl Into<String>) -> LogError {
        LogError::Line {
            line,
            message: message.into(),
        }
    }
}

/// Decodes `bytes` ([`TextEncoding`]) and reads them as a `format` log.
/// Nothing is recorded from a log this refuses.
pub fn parse_log(format: LogFormat, bytes: &[u8]) -> Result<(TextEncoding, ParsedLog), LogError> {
    let text = super::decode::decode(bytes)?;
    let parsed = match format {
        LogFormat::Guymager => super::guymager::parse(&text.text)?,
        LogFormat::Ftk => super::ftk::parse(&text.text)?,
        LogFormat::Ewfacquire => super::ewfacquire::parse(&text.text)?,
        LogFormat::Dc3dd => super::dc3dd::parse(&text.text)?,
    };
    Ok((text.encoding, parsed))
}

/// The largest log `parse_log` reads: real logs are a few kilobytes (a
/// Guymager info file with every device command's output is under 100
/// KiB), so anything near this is not a log, and refusing it bounds the
/// memory a hostile file can make the parsers use.
pub const MAX_LOG_BYTES: usize = 16 << 20;

// What the four parsers share: reading lines, refusing a field given
// twice, a member stated twice differently, a digest or a number that is
// not one, and reading times without inventing a zone.

/// The log's lines, numbered from 1, without their CR LF or LF.
pub(super) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
}

/// The first line that is not blank, with its number.
pub(super) fn first_line(text: &str) -> Option<(usize, &str)> {
    numbered_lines(text).find(|(_, l)| !l.trim().is_empty())
}

/// A field name compared the way the parsers compare them: runs of
/// white space as one space, case ignored ("Info  path and file name",
/// "Unique description").
pub(super) fn key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// `name: value` split at the first colon, both trimmed, the name with
/// its white space collapsed (as written otherwise).
pub(super) fn split_field(line: &str) -> Option<(String, &str)> {
    let (name, value) = line.split_once(':')?;
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return None;
    }
    Some((name, value.trim()))
}

/// At most 60 characters of `s`, for quoting untrusted text in a message.
pub(super) fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Digest length in hex digits of the algorithms custodian records.
fn digest_len(algorithm: &str) -> Option<(usize, &'static str)> {
    match algorithm {
        "md5" => Some((32, "an MD5")),
        "sha1" => Some((40, "a SHA-1")),
        "sha256" => Some((64, "a SHA-256")),
        _ => None,
    }
}

/// A count as the log writes it: plain digits, or digits grouped by
/// threes with `,` or `.` ("4,004,511,744", "7.856.127"; FTK Imager
/// uses the locale's separator). Anything else, or a value beyond
/// `u64`, is not a number.
pub(super) fn parse_count(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    let digits: String = if raw.bytes().all(|b| b.is_ascii_digit()) {
        raw.to_string()
    } else {
        let sep = raw.bytes().find(|b| !b.is_ascii_digit())?;
        if sep != b',' && sep != b'.' {
            return None;
        }
        let mut groups = raw.split(sep as char);
        let head = groups.next()?;
        if head.is_empty() || head.len() > 3 || !head.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut out = head.to_string();
        for g in groups {
            if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            out.push_str(g);
        }
        out
    };
    if digits.is_empty() {
        return None;
    }
    digits.parse().ok()
}

/// What a parser has read so far, and where, so that a second statement
/// of a field or a member can be refused naming both lines.
#[derive(Default)]
pub(super) struct Recorder {
    pub log: ParsedLog,
    /// (section key, field key) → line it was first given on.
    fields: std::collections::HashMap<(String, String), usize>,
    /// member → (line, field) it was first set from.
    members: std::collections::HashMap<&'static str, (usize, String)>,
}

/// Picks one optional member of [`ParsedLog`].
pub(super) type Pick<T> = fn(&mut ParsedLog) -> &mut Option<T>;

impl Recorder {
    /// Notes that `field` is given in `section` on `line`; a second time
    /// in the same section, even with the same value, is an error.
    pub fn field(&mut self, section: &str, field: &str, line: usize) -> Result<(), LogError> {
        match self.fields.entry((key(section), key(field))) {
            std::collections::hash_map::Entry::Occupied(first) => Err(LogError::at(
                line,
                format!(
                    "{field:?} is given twice{} (first on line {})",
                    if section.is_empty() {
                        String::new()
                    } else {
                        format!(" in {section:?}")
                    },
                    first.get()
                ),
            )),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(line);
                Ok(())
            }
        }
    }

    /// Sets a member from `field`; the same member stated by another
    /// field with a different value is an error (the log contradicts
    /// itself), with the same value it is kept once.
    pub fn set<T: PartialEq + std::fmt::Debug>(
        &mut self,
        pick: Pick<T>,
        member: &'static str,
        field: &str,
        value: T,
        line: usize,
    ) -> Result<(), LogError> {
        let slot = pick(&mut self.log);
        match slot {
            Some(old) if *old != value => {
                let (first_line, first_field) = self
                    .members
                    .get(member)
                    .cloned()
                    .unwrap_or((0, String::new()));
                Err(LogError::at(
                    line,
                    format!(
                        "{field:?} states {member} {value:?}, but {first_field:?} on line {first_line} states {old:?}"
                    ),
                ))
            }
            Some(_) => Ok(()),
            None => {
                *slot = Some(value);
                self.members.insert(member, (line, field.to_string()));
                Ok(())
            }
        }
    }

    /// A text member; an empty value is "not stated" and sets nothing.
    pub fn text(
        &mut self,
        pick: Pick<String>,
        member: &'static str,
        field: &str,
        value: &str,
        line: usize,
    ) -> Result<(), LogError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(());
        }
        self.set(pick, member, field, value.to_string(), line)
    }

    /// A count member, read by [`parse_count`].
    pub fn count(
        &mut self,
        pick: Pick<u64>,
        member: &'static str,
        field: &str,
        raw: &str,
        line: usize,
    ) -> Result<(), LogError> {
        let n = number(field, raw, line)?;
        self.set(pick, member, field, n, line)
    }

    /// A digest: `algorithm` is custodian's name (`md5`, `sha1`,
    /// `sha256`); the value must be hex of the algorithm's length and is
    /// kept lowercase. Two digests of one algorithm and stage must come
    /// from different fields (checked by [`Recorder::field`]).
    pub fn hash(
        &mut self,
        algorithm: &str,
        stage: HashStage,
        field: &str,
        raw: &str,
        line: usize,
    ) -> Result<(), LogError> {
        let value = digest(algorithm, field, raw, line)?;
        self.log.hashes.push(LoggedHash {
            algorithm: algorithm.to_string(),
            stage,
            value,
            line,
        });
        Ok(())
    }

    /// Keeps a field custodian has no member for; `section` prefixes the
    /// name when the log has sections.
    pub fn other(&mut self, section: &str, field: &str, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let name = if section.is_empty() {
            field.to_string()
        } else {
            format!("{section} / {field}")
        };
        self.log.other.insert(name, value.to_string());
    }
}

/// A count or an error naming the field and the line.
pub(super) fn number(field: &str, raw: &str, line: usize) -> Result<u64, LogError> {
    parse_count(raw).ok_or_else(|| {
        LogError::at(
            line,
            format!("{field}: {:?} is not a number", shown(raw.trim())),
        )
    })
}

/// A digest checked for its algorithm, lowercased.
pub(super) fn digest(
    algorithm: &str,
    field: &str,
    raw: &str,
    line: usize,
) -> Result<String, LogError> {
    let raw = raw.trim();
    let Some((len, name)) = digest_len(algorithm) else {
        return Err(LogError::at(
            line,
            format!("{field}: unknown digest algorithm {algorithm:?}"),
        ));
    };
    if !raw.bytes().all(|b| b.is_ascii_hexdigit()) || raw.is_empty() {
        return Err(LogError::at(
            line,
            format!("{field}: {:?} is not hexadecimal", shown(raw)),
        ));
    }
    if raw.len() != len {
        return Err(LogError::at(
            line,
            format!(
                "{field}: {} hex digits, but {name} digest has {len}",
                raw.len()
            ),
        ));
    }
    Ok(raw.to_ascii_lowercase())
}

/// A time the log states without a zone, read with the first of
/// `formats` (chrono syntax, white space collapsed first) that fits;
/// `rfc3339` stays absent when none does.
pub(super) fn local_time(field: &str, raw: &str, text: &str, formats: &[&str]) -> FoundTime {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let rfc3339 = formats.iter().find_map(|f| {
        chrono::NaiveDateTime::parse_from_str(&text, f)
            .ok()
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
    });
    FoundTime {
        field: field.to_string(),
        raw: raw.to_string(),
        rfc3339,
        zone: crate::provenance::ZONE_UNKNOWN.to_string(),
    }
}

/// A time with a numeric UTC offset (`2025-10-01 09:07:30 +0000`): kept
/// with that offset, which is also its zone. Without a readable offset it
/// is read as a local time.
pub(super) fn offset_time(field: &str, raw: &str, format: &str, local: &str) -> FoundTime {
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    match chrono::DateTime::parse_from_str(&text, format) {
        Ok(t) => FoundTime {
            field: field.to_string(),
            raw: raw.to_string(),
            rfc3339: Some(t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()),
            zone: t.format("%:z").to_string(),
        },
        Err(_) => local_time(field, raw, raw, &[local]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($path:literal) => {
            (
                $path,
                include_bytes!(concat!("../../../../fixtures/import/", $path)) as &[u8],
            )
        };
    }

    /// Every committed sample, good and hostile.
    const FIXTURES: &[(&str, &[u8])] = &[
        fixture!("guymager/Test01.info"),
        fixture!("guymager/evidence1.info"),
        fixture!("guymager/hostile/evidence1-latin1.info"),
        fixture!("guymager/hostile/evidence1-truncated.info"),
        fixture!("ftk/DiskDrigger.ad1.txt"),
        fixture!("ftk/Horcrux.E01.txt"),
        fixture!("ftk/recipe_usb.E01.txt"),
        fixture!("ftk/hostile/recipe_usb-utf16le-bom.E01.txt"),
        fixture!("ftk/hostile/recipe_usb-serial-twice.E01.txt"),
        fixture!("ewfacquire/files-data.console.txt"),
        fixture!("ewfacquire/errdisk.log"),
        fixture!("ewfacquire/hostile/files-data-md5-31-digits.console.txt"),
        fixture!("dc3dd/image.log"),
        fixture!("dc3dd/moopbian.log"),
        fixture!("dc3dd/hostile/image-doctored-input-sha1.log"),
        fixture!("dc3dd/hostile/image-truncated.log"),
    ];

    /// Truncations (every 7th length, and the last 7 bytes one by one)
    /// and byte flips (every 7th byte, to a few bytes that matter to the
    /// parsers) of every sample, read as every format: an error or a
    /// result, never a panic.
    #[test]
    fn never_panics_on_truncations_and_flips() {
        let mut runs = 0usize;
        for (name, bytes) in FIXTURES {
            let tail = bytes.len().saturating_sub(7);
            let lengths = (0..bytes.len()).step_by(7).chain(tail..=bytes.len());
            for len in lengths {
                let prefix = bytes.get(..len).unwrap_or(bytes);
                for f in LogFormat::ALL {
                    let r = std::panic::catch_unwind(|| parse_log(*f, prefix));
                    assert!(r.is_ok(), "{name} cut at {len} as {f} panicked");
                    runs += 1;
                }
            }
            for i in (0..bytes.len()).step_by(7) {
                for to in [0xFF, b'\n', b':', b'0'] {
                    let mut b = bytes.to_vec();
                    if let Some(x) = b.get_mut(i) {
                        *x = to;
                    }
                    for f in LogFormat::ALL {
                        let r = std::panic::catch_unwind(|| parse_log(*f, &b));
                        assert!(
                            r.is_ok(),
                            "{name} byte {i} set to {to:#04x} as {f} panicked"
                        );
                        runs += 1;
                    }
                }
            }
        }
        assert!(runs > 50_000, "only {runs} runs");
    }

    /// Each good sample is read by its own parser and refused, as a
    /// whole, by the other three (each checks its signature first).
    #[test]
    fn each_sample_is_refused_by_the_other_parsers() {
        for (name, bytes) in FIXTURES.iter().filter(|(n, _)| !n.contains("hostile")) {
            let own: LogFormat = name.split('/').next().unwrap_or("").parse().unwrap();
            assert!(parse_log(own, bytes).is_ok(), "{name}");
            for f in LogFormat::ALL.iter().filter(|f| **f != own) {
                assert!(
                    matches!(parse_log(*f, bytes), Err(LogError::Whole(_))),
                    "{name} as {f}"
                );
            }
        }
    }

    #[test]
    fn counts_with_and_without_grouping() {
        assert_eq!(parse_count("4004511744"), Some(4_004_511_744));
        assert_eq!(parse_count("4,004,511,744"), Some(4_004_511_744));
        assert_eq!(parse_count(" 7.856.127 "), Some(7_856_127));
        assert_eq!(parse_count("0"), Some(0));
        assert_eq!(parse_count("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "18446744073709551616",
            "1,2345",
            "1234,567",
            ",123",
            "1,",
            "1,234.567",
            "1 234",
            "-1",
            "+1",
            "0x10",
            "1e3",
            "١٢٣",
        ] {
            assert_eq!(parse_count(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn digests_by_algorithm() {
        assert_eq!(
            digest("sha256", "f", &"AB".repeat(32), 3).unwrap(),
            "ab".repeat(32)
        );
        assert_eq!(
            digest("md5", "MD5 hash", "", 4).unwrap_err(),
            LogError::at(4, "MD5 hash: \"\" is not hexadecimal")
        );
        assert_eq!(
            digest("sha1", "f", &"a".repeat(64), 5).unwrap_err(),
            LogError::at(5, "f: 64 hex digits, but a SHA-1 digest has 40")
        );
        assert_eq!(
            digest("sha512", "f", "00", 6).unwrap_err(),
            LogError::at(6, "f: unknown digest algorithm \"sha512\"")
        );
        // Long untrusted text is shortened in messages.
        let long = "g".repeat(1000);
        let LogError::Line { message, .. } = digest("md5", "f", &long, 1).unwrap_err() else {
            panic!("not a line error")
        };
        assert!(message.len() < 100, "{message}");
    }

    #[test]
    fn times_keep_their_raw_text_and_never_invent_a_zone() {
        let t = local_time(
            "Ended",
            "2022-02-30 10:00:00",
            "2022-02-30 10:00:00",
            &["%Y-%m-%d %H:%M:%S"],
        );
        assert_eq!((t.rfc3339, t.zone.as_str()), (None, "unknown"));
        let t = local_time(
            "x",
            "Sun Aug  5 11:32:42 2012",
            "Sun Aug  5 11:32:42 2012",
            &["%a %b %d %H:%M:%S %Y"],
        );
        assert_eq!(t.rfc3339.as_deref(), Some("2012-08-05T11:32:42"));
        assert_eq!(t.raw, "Sun Aug  5 11:32:42 2012");
        // 13 August 2025 was a Wednesday: a wrong weekday is not a time.
        let t = local_time(
            "x",
            "Tue Aug 13 00:10:23 2025",
            "Tue Aug 13 00:10:23 2025",
            &["%a %b %d %H:%M:%S %Y"],
        );
        assert_eq!(t.rfc3339, None);
        let t = offset_time(
            "started at",
            "2016-01-16 00:03:16 +0100",
            "%Y-%m-%d %H:%M:%S %z",
            "%Y-%m-%d %H:%M:%S",
        );
        assert_eq!(t.rfc3339.as_deref(), Some("2016-01-16T00:03:16+01:00"));
        assert_eq!(t.zone, "+01:00");
    }
}

/// What the parsers' tests build their expected values with.
#[cfg(test)]
pub(super) mod test_util {
    use super::{HashStage, LoggedHash};
    use crate::provenance::FoundTime;

    /// A digest as a log states it, at `line`.
    pub fn h(algorithm: &str, stage: HashStage, value: &str, line: usize) -> LoggedHash {
        LoggedHash {
            algorithm: algorithm.into(),
            stage,
            value: value.into(),
            line,
        }
    }

    /// A time the log states without a zone.
    pub fn local(field: &str, raw: &str, rfc3339: &str) -> FoundTime {
        FoundTime {
            field: field.into(),
            raw: raw.into(),
            rfc3339: Some(rfc3339.into()),
            zone: "unknown".into(),
        }
    }
}
