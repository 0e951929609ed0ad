//! Provenance at acquisition: the source-device record, the acquiring
//! machine and its clock, as signed in an `exhibit.acquire` entry
//! (docs/spec/ledger.md §7.5, version-2 members).
//!
//! One record type, [`SourceDevice`], describes what an exhibit was taken
//! from, whoever supplied each value: measured by custodian, read from a
//! record another program wrote (an E01 image's header today, an imaging
//! tool's log when such imports exist), or typed by the examiner. Every
//! value carries that origin ([`Sourced`]), because a court weighs "the
//! drive reported serial S3Z9" differently from "the examiner wrote down
//! S3Z9". A value nobody gave is absent, and every output prints it as
//! "not stated"; nothing here is ever filled with a default.
//!
//! What the program that made an image recorded about the acquisition (its
//! times as found, its notes, examiner and case numbers, its own hashes
//! and bad sectors) is kept in [`ImagingRecord`], verbatim: a time without
//! a zone stays without one ([`FoundTime`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// A value of the record that cannot be what it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("unknown source kind {given:?}; expected one of physical-disk, logical-copy, phone-extraction, cloud-export, memory, other")]
    UnknownKind { given: String },
    #[error("invalid write-blocker {given:?}: give MODEL, MODEL:SERIAL or none")]
    WriteBlocker { given: String },
    #[error("a value read from a header must name the header (header_source)")]
    HeaderSourceMissing,
    #[error("header_source is given for a value whose origin is {origin}, not header")]
    HeaderSourceWithoutHeader { origin: &'static str },
    #[error("a value stated by the examiner cannot also carry a differing stated value")]
    StatedTwice,
}

/// Where a value of the record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Measured by custodian itself at acquisition (e.g. read from the
    /// device).
    Measured,
    /// Read from a record another program wrote about the source: an image
    /// header (E01), later an imaging tool's log; `header_source` names it.
    Header,
    /// Typed by the examiner: the ledger proves who stated it and when, not
    /// that it is true.
    Stated,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Measured => "measured",
            Origin::Header => "header",
            Origin::Stated => "stated",
        }
    }
}

/// One value with where it came from. With origin `header`, `header_source`
/// names the record it was read from. When the examiner stated a value that
/// differs from the one measured or read from a header, both are kept: the
/// examiner's in `stated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
    /// With origin `header`: the record, e.g. `EWF header2 section of disk.E01`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_source: Option<String>,
    /// What the examiner stated for this member, when it differs from
    /// `value` (which is then measured or from a header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated: Option<T>,
}

impl<T> Sourced<T> {
    /// A value typed by the examiner.
    pub fn stated(value: T) -> Self {
        Sourced {
            value,
            origin: Origin::Stated,
            header_source: None,
            stated: None,
        }
    }

    /// A value read from the record `source` names.
    pub fn header(value: T, source: impl Into<String>) -> Self {
        Sourced {
            value,
            origin: Origin::Header,
            header_source: Some(source.into()),
            stated: None,
        }
    }

    /// A value custodian measured.
    pub fn measured(value: T) -> Self {
        Sourced {
            value,
            origin: Origin::Measured,
            header_source: None,
            stated: None,
        }
    }

    /// Where the value came from, in words: "as measured", "as stated in the EWF
    /// header2 section of disk.E01", "as stated by the examiner".
    pub fn origin_words(&self) -> String {
        match (self.origin, &self.header_source) {
            (Origin::Measured, _) => "as measured".into(),
            (Origin::Header, Some(h)) => format!("as stated in the {h}"),
            (Origin::Header, None) => "from a header".into(),
            (Origin::Stated, _) => "as stated by the examiner".into(),
        }
    }

    /// The origin rules: `header_source` exactly with origin `header`, and
    /// a differing `stated` value only beside a value that is not itself
    /// stated.
    fn check(&self) -> Result<(), SourceError> {
        match (self.origin, &self.header_source) {
            (Origin::Header, None) => return Err(SourceError::HeaderSourceMissing),
            (o @ (Origin::Measured | Origin::Stated), Some(_)) => {
                return Err(SourceError::HeaderSourceWithoutHeader { origin: o.as_str() })
            }
            _ => {}
        }
        if self.origin == Origin::Stated && self.stated.is_some() {
            return Err(SourceError::StatedTwice);
        }
        Ok(())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sourced<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields, bound(deserialize = "T: Deserialize<'de>"))]
        struct Raw<T> {
            value: T,
            origin: Origin,
            #[serde(default)]
            header_source: Option<String>,
            #[serde(default)]
            stated: Option<T>,
        }
        let r = Raw::<T>::deserialize(d)?;
        let s = Sourced {
            value: r.value,
            origin: r.origin,
            header_source: r.header_source,
            stated: r.stated,
        };
        s.check().map_err(serde::de::Error::custom)?;
        Ok(s)
    }
}

/// What kind of source an exhibit was acquired from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    PhysicalDisk,
    LogicalCopy,
    PhoneExtraction,
    CloudExport,
    Memory,
    Other,
}

impl SourceKind {
    pub const ALL: &[SourceKind] = &[
        SourceKind::PhysicalDisk,
        SourceKind::LogicalCopy,
        SourceKind::PhoneExtraction,
        SourceKind::CloudExport,
        SourceKind::Memory,
        SourceKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::PhysicalDisk => "physical-disk",
            SourceKind::LogicalCopy => "logical-copy",
            SourceKind::PhoneExtraction => "phone-extraction",
            SourceKind::CloudExport => "cloud-export",
            SourceKind::Memory => "memory",
            SourceKind::Other => "other",
        }
    }
}

impl std::str::FromStr for SourceKind {
    type Err = SourceError;
    fn from_str(s: &str) -> Result<Self, SourceError> {
        SourceKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| SourceError::UnknownKind { given: s.into() })
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The write-blocker between the source and the acquiring machine: a
/// device (`{model, serial}`), or the string `"none"` when the examiner
/// states that none was used. Absent from the record: not stated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WriteBlocker {
    None(NoneWord),
    Device(BlockerDevice),
}

/// The word `"none"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoneWord {
    #[serde(rename = "none")]
    None,
}

/// A hardware or software write-blocker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockerDevice {
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
}

impl std::str::FromStr for WriteBlocker {
    type Err = SourceError;
    /// `none`, `MODEL` or `MODEL:SERIAL` (split at the first `:`); blank
    /// parts are refused.
    fn from_str(s: &str) -> Result<Self, SourceError> {
        let bad = || SourceError::WriteBlocker { given: s.into() };
        if s.trim() == "none" {
            return Ok(WriteBlocker::None(NoneWord::None));
        }
        let (model, serial) = match s.split_once(':') {
            Some((m, sn)) => (m.trim(), Some(sn.trim())),
            None => (s.trim(), None),
        };
        if model.is_empty() || serial.is_some_and(str::is_empty) {
            return Err(bad());
        }
        Ok(WriteBlocker::Device(BlockerDevice {
            model: model.into(),
            serial: serial.map(str::to_string),
        }))
    }
}

impl std::fmt::Display for WriteBlocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteBlocker::None(_) => f.write_str("none"),
            WriteBlocker::Device(d) => match &d.serial {
                Some(s) => write!(f, "{}, serial {s}", d.model),
                None => write!(f, "{} (serial not stated)", d.model),
            },
        }
    }
}

/// The device (or copy, extraction, export) an exhibit was acquired from.
/// Every member is optional: absent is "not stated".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDevice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Sourced<SourceKind>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make: Option<Sourced<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<Sourced<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<Sourced<String>>,
    /// Bytes per sector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_size: Option<Sourced<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_count: Option<Sourced<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_blocker: Option<Sourced<WriteBlocker>>,
    /// What the program that made the acquired image recorded about the
    /// acquisition, as found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imaging: Option<ImagingRecord>,
}

impl SourceDevice {
    /// True when nothing at all is recorded.
    pub fn is_empty(&self) -> bool {
        *self == SourceDevice::default()
    }

    /// Each device member with its name, its value in words, and the value
    /// itself with its origin; `None` for a member not stated. The order is
    /// the one every output uses.
    pub fn members(&self) -> [(&'static str, Option<SourcedText>); 7] {
        fn text<T: ToString>(s: &Option<Sourced<T>>) -> Option<SourcedText> {
            s.as_ref().map(|s| SourcedText {
                value: s.value.to_string(),
                origin: s.origin_words(),
                stated: s.stated.as_ref().map(T::to_string),
            })
        }
        [
            ("kind", text(&self.kind)),
            ("make", text(&self.make)),
            ("model", text(&self.model)),
            ("serial", text(&self.serial)),
            ("sector size", text(&self.sector_size)),
            ("sector count", text(&self.sector_count)),
            ("write-blocker", text(&self.write_blocker)),
        ]
    }
}

/// A member of the record in words, for human outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcedText {
    pub value: String,
    /// [`Sourced::origin_words`].
    pub origin: String,
    /// The examiner's differing value, if any.
    pub stated: Option<String>,
}

impl std::fmt::Display for SourcedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.value, self.origin)?;
        if let Some(s) = &self.stated {
            write!(f, "; the examiner stated {s}, which differs")?;
        }
        Ok(())
    }
}

/// What the program that made an image (or, later, an imaging tool's log)
/// recorded about the acquisition, every value as found: nothing is
/// corrected, completed or given a zone it does not state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagingRecord {
    /// The record read, e.g. `EWF header of disk.E01`.
    pub source: String,
    /// The program's name, when the record states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Its version, as stated (EWF: the `av` value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    /// The operating system it ran on, as stated (EWF: `ov`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_os: Option<String>,
    /// When the acquisition started, each time the record gives it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acquired: Vec<FoundTime>,
    /// When it finished, each time the record gives it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finished: Vec<FoundTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examiner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Sector ranges the program says it could not read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bad_sectors: Vec<SectorRange>,
    /// Digests of the source as the record states them (algorithm →
    /// lowercase hex); whether they match is checked elsewhere.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hashes: BTreeMap<String, String>,
}

/// A run of sectors, from `first`, `count` long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectorRange {
    pub first: u64,
    pub count: u64,
}

/// A time as a record states it. `raw` is kept exactly; `rfc3339` is the
/// same instant in RFC 3339 form, with its offset only when the record
/// states the zone (`zone` is then `UTC` or `±hh:mm`); when it does not,
/// `rfc3339` is a local date-time without offset (`2026-11-25T16:33:59`)
/// and `zone` is `unknown`. `rfc3339` is absent when `raw` could not be
/// read as a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FoundTime {
    /// Which field of the record, e.g. `header m` (EWF header section),
    /// `header2 m` (EWF header2 section, POSIX time).
    pub field: String,
    pub raw: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfc3339: Option<String>,
    pub zone: String,
}

/// The zone word of a time whose record does not state one.
pub const ZONE_UNKNOWN: &str = "unknown";

impl std::fmt::Display for FoundTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} ({})", self.raw, self.field)?;
        match &self.rfc3339 {
            Some(t) if self.zone == ZONE_UNKNOWN => {
                write!(f, " = {t}, zone unknown (the record states none)")
            }
            Some(t) => write!(f, " = {t} ({})", self.zone),
            None => write!(f, ", not readable as a time"),
        }
    }
}

/// How the acquiring machine's clock synchronisation was learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClockMethod {
    /// `chronyc tracking` (chrony).
    #[serde(rename = "chronyc tracking")]
    Chronyc,
    /// `timedatectl show` (systemd).
    #[serde(rename = "timedatectl")]
    Timedatectl,
    /// The kernel's clock state, read with adjtimex(2).
    #[serde(rename = "adjtimex")]
    Adjtimex,
    /// As stated by the examiner.
    #[serde(rename = "stated")]
    Stated,
    /// Not determined: `synchronised` is null.
    #[serde(rename = "none")]
    None,
}

impl ClockMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockMethod::Chronyc => "chronyc tracking",
            ClockMethod::Timedatectl => "timedatectl",
            ClockMethod::Adjtimex => "adjtimex",
            ClockMethod::Stated => "stated",
            ClockMethod::None => "none",
        }
    }
}

/// The acquiring machine's clock when the acquisition was recorded, as the
/// system reported it; never guessed. `synchronised` is `null` when it
/// could not be determined ("clock synchronisation not known").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockState {
    /// Always written, `null` included.
    pub synchronised: Option<bool>,
    /// The time source, as the system names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// How far the system clock was from the source, in milliseconds
    /// (rounded), positive when it was ahead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_ms: Option<i64>,
    pub method: ClockMethod,
    /// What the method reported, or why nothing could be determined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The words for a clock whose synchronisation could not be determined.
pub const CLOCK_NOT_KNOWN: &str = "clock synchronisation not known";

impl std::fmt::Display for ClockState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.synchronised {
            Some(true) => f.write_str("synchronised")?,
            Some(false) => f.write_str("NOT synchronised")?,
            None => f.write_str(CLOCK_NOT_KNOWN)?,
        }
        if self.method != ClockMethod::None {
            write!(f, " (by {}", self.method.as_str())?;
            if let Some(s) = &self.source {
                write!(f, ", source {s}")?;
            }
            if let Some(o) = self.offset_ms {
                write!(f, ", offset {o:+} ms")?;
            }
            f.write_str(")")?;
        }
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

/// The acquiring machine, read from the system (uname, os-release).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSystem {
    /// Node name (uname).
    pub name: String,
    /// The operating system (os-release `PRETTY_NAME`), when readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Kernel name, release, version and machine (uname).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_round_trips_in_its_documented_shape() {
        let v = json!({
            "kind": {"value": "physical-disk", "origin": "stated"},
            "model": {"value": "Samsung SSD 860", "origin": "header",
                      "header_source": "EWF header2 section of disk.E01"},
            "serial": {"value": "S3Z9NB0K123", "origin": "header",
                       "header_source": "EWF header2 section of disk.E01",
                       "stated": "S3Z9NB0K124"},
            "sector_size": {"value": 512, "origin": "header",
                            "header_source": "EWF volume section of disk.E01"},
            "write_blocker": {"value": {"model": "Tableau T35u", "serial": "000ecc"},
                              "origin": "stated"},
            "imaging": {
                "source": "EWF header of disk.E01",
                "tool_version": "20140813",
                "acquired": [{"field": "header m", "raw": "2026 11 25 16 33 59",
                              "rfc3339": "2026-11-25T16:33:59", "zone": "unknown"}],
                "notes": "n",
                "bad_sectors": [{"first": 10, "count": 2}],
                "hashes": {"md5": "00"}
            }
        });
        let d: SourceDevice = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(
            d.serial.as_ref().unwrap().stated.as_deref(),
            Some("S3Z9NB0K124")
        );
        assert_eq!(serde_json::to_value(&d).unwrap(), v);
        let none: SourceDevice =
            serde_json::from_value(json!({"write_blocker": {"value": "none", "origin": "stated"}}))
                .unwrap();
        assert_eq!(
            none.write_blocker.unwrap().value,
            WriteBlocker::None(NoneWord::None)
        );
    }

    #[test]
    fn origins_are_checked_when_read() {
        for bad in [
            json!({"make": {"value": "x", "origin": "header"}}),
            json!({"make": {"value": "x", "origin": "stated", "header_source": "h"}}),
            json!({"make": {"value": "x", "origin": "stated", "stated": "y"}}),
            json!({"make": {"value": "x", "origin": "guessed"}}),
            json!({"make": {"value": "x", "origin": "stated", "note": "y"}}),
            json!({"kind": {"value": "usb-stick", "origin": "stated"}}),
            json!({"write_blocker": {"value": "None", "origin": "stated"}}),
            json!({"colour": {"value": "x", "origin": "stated"}}),
        ] {
            assert!(
                serde_json::from_value::<SourceDevice>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn write_blockers_parse_from_the_command_line_form() {
        assert_eq!(
            "none".parse::<WriteBlocker>().unwrap(),
            WriteBlocker::None(NoneWord::None)
        );
        assert_eq!(
            "Tableau T35u:000ECC".parse::<WriteBlocker>().unwrap(),
            WriteBlocker::Device(BlockerDevice {
                model: "Tableau T35u".into(),
                serial: Some("000ECC".into())
            })
        );
        assert_eq!(
            "Tableau T8u".parse::<WriteBlocker>().unwrap().to_string(),
            "Tableau T8u (serial not stated)"
        );
        for bad in ["", " ", ":1", "x:", "x: "] {
            assert!(bad.parse::<WriteBlocker>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_unknown_clock_says_so_and_is_written_as_null() {
        let c = ClockState {
            synchronised: None,
            source: None,
            offset_ms: None,
            method: ClockMethod::None,
            detail: Some("probing disabled".into()),
        };
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"synchronised": null, "method": "none", "detail": "probing disabled"})
        );
        assert_eq!(
            c.to_string(),
            "clock synchronisation not known: probing disabled"
        );
        let s = ClockState {
            synchronised: Some(true),
            source: Some("192.0.2.1".into()),
            offset_ms: Some(-3),
            method: ClockMethod::Chronyc,
            detail: None,
        };
        assert_eq!(
            s.to_string(),
            "synchronised (by chronyc tracking, source 192.0.2.1, offset -3 ms)"
        );
    }

    #[test]
    fn a_time_without_zone_says_so() {
        let t = FoundTime {
            field: "header m".into(),
            raw: "2026 11 25 16 33 59".into(),
            rfc3339: Some("2026-11-25T16:33:59".into()),
            zone: ZONE_UNKNOWN.into(),
        };
        assert_eq!(
            t.to_string(),
            "\"2026 11 25 16 33 59\" (header m) = 2026-11-25T16:33:59, zone unknown (the record states none)"
        );
    }
}
