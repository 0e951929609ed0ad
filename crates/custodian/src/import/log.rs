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
        format
            .parse::<LogFormat>()
            .map(LogFormat::tool_name)
            .unwrap_or(format)
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
                format!("unknown log format {s:?}; expected one of guymager, ftk, ewfacquire, dc3dd")
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
