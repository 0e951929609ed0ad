//! What an E01 image's header sections say about its acquisition, read by
//! custodian itself and kept as found (docs/guide/interop.md, "E01 header
//! values").
//!
//! An EWF v1 image has a `header` section (a tab-separated table in the
//! header codepage, ASCII by default) and, from EnCase 4 on, `header2`
//! sections (the same table in UTF-16). Their "main" category names each
//! value by a code: `c` case number, `n` evidence number, `a` description,
//! `e` examiner, `t` notes, `md` model and `sn` serial number of the
//! acquired device (EnCase 7, linen 6 and later), `av` the imaging
//! program's version, `ov` the operating system it ran on, `m` the
//! acquisition date, `u` the system date. The `ewf` crate reads the
//! `header` section only and not `md`/`sn`, so custodian reads both
//! sections.
//!
//! Dates: the `header` section writes `m` as the acquiring machine's local
//! time, `YYYY M D h m s`, with no zone; `header2` writes it as POSIX time
//! (seconds since 1970-01-01 UTC). Both are recorded as found
//! ([`FoundTime`]): the first with zone `unknown`, the second as UTC. The
//! two together can show the acquiring machine's offset, but custodian
//! draws no such conclusion: a reader can.

use std::collections::BTreeMap;

use custodian_format::source::{
    FoundTime, ImagingRecord, SectorRange, SourceDevice, Sourced, ZONE_UNKNOWN,
};

/// The "main" table of each header section, code → value (empty values
/// left out); `None` when the image has no such section or it does not
/// read as a table.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HeaderValues {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header2: Option<BTreeMap<String, String>>,
}

impl HeaderValues {
    /// From the inflated bytes of the first `header` and `header2`
    /// sections.
    pub fn read(header: Option<&[u8]>, header2: Option<&[u8]>) -> HeaderValues {
        HeaderValues {
            header: header.and_then(|b| main_table(&decode_header(b))),
            header2: header2.and_then(|b| main_table(&decode_utf16(b))),
        }
    }

    /// A value by code, from `header2` (UTF-16, so free of codepage doubt)
    /// else `header`, with the section it came from.
    pub fn get(&self, code: &str) -> Option<(&'static str, &str)> {
        fn from<'t>(t: &'t Option<BTreeMap<String, String>>, code: &str) -> Option<&'t str> {
            t.as_ref()
                .and_then(|t| t.get(code))
                .map(String::as_str)
                .filter(|v| !v.trim().is_empty())
        }
        from(&self.header2, code)
            .map(|v| ("header2", v))
            .or_else(|| from(&self.header, code).map(|v| ("header", v)))
    }

    /// The acquisition date as each section states it.
    pub fn acquired(&self) -> Vec<FoundTime> {
        let mut out = Vec::new();
        if let Some(raw) = self.header.as_ref().and_then(|t| t.get("m")) {
            out.push(local_time("header m", raw));
        }
        if let Some(raw) = self.header2.as_ref().and_then(|t| t.get("m")) {
            out.push(posix_time("header2 m", raw));
        }
        out
    }
}

/// The `header` section's text: UTF-8 when it is, else one character per
/// byte (Latin-1), so that no byte is lost.
fn decode_header(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => b.iter().map(|&c| c as char).collect(),
    }
}

/// The `header2` section's text: UTF-16 with its byte-order mark
/// (little-endian when there is none); unpaired surrogates become U+FFFD.
fn decode_utf16(b: &[u8]) -> String {
    let (big, body) = match b {
        [0xfe, 0xff, rest @ ..] => (true, rest),
        [0xff, 0xfe, rest @ ..] => (false, rest),
        _ => (false, b),
    };
    let units = body.chunks_exact(2).map(|c| {
        if big {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// The "main" category: the line after `main` names the codes, the next
/// holds the values, both tab-separated.
fn main_table(text: &str) -> Option<BTreeMap<String, String>> {
    let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    let at = lines.iter().position(|l| *l == "main")?;
    let names = lines.get(at + 1)?.split('\t');
    let mut values = lines.get(at + 2)?.split('\t');
    let mut out = BTreeMap::new();
    for name in names {
        let value = values.next().unwrap_or("");
        // `p` is a hash of the image's password: not provenance, and not
        // something to print or sign.
        if !name.is_empty() && !value.is_empty() && name != "p" {
            out.entry(name.to_string())
                .or_insert_with(|| value.to_string());
        }
    }
    Some(out)
}

/// A `header` date: six numbers `YYYY M D h m s` of the acquiring
/// machine's local time; the zone is not stated.
fn local_time(field: &str, raw: &str) -> FoundTime {
    let n: Vec<u32> = raw
        .split_whitespace()
        .map_while(|w| w.parse().ok())
        .collect();
    let rfc3339 = match n[..] {
        [y, mo, d, h, mi, s] => chrono::NaiveDate::from_ymd_opt(y as i32, mo, d)
            .and_then(|date| date.and_hms_opt(h, mi, s))
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
        _ => None,
    };
    FoundTime {
        field: field.into(),
        raw: raw.into(),
        rfc3339,
        zone: ZONE_UNKNOWN.into(),
    }
}

/// A `header2` date: POSIX time, so UTC; when it is not a number it is
/// read as a `header` date instead.
fn posix_time(field: &str, raw: &str) -> FoundTime {
    match raw
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
    {
        Some(t) => FoundTime {
            field: field.into(),
            raw: raw.into(),
            rfc3339: Some(t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            zone: "UTC".into(),
        },
        None => local_time(field, raw),
    }
}

/// What the image says about the device it was made from: model and
/// serial (header sections), sector size and count (volume section).
/// `image` names the image in each value's `header_source`.
pub fn device_values(v: &super::ewf::EwfVerification, image: &str) -> SourceDevice {
    let h = &v.header;
    let from_header = |code: &str| {
        h.get(code).map(|(section, value)| {
            Sourced::header(
                value.to_string(),
                format!("EWF {section} section of {image}"),
            )
        })
    };
    let volume = format!("EWF volume section of {image}");
    let bps = v.bytes_per_sector.filter(|b| *b > 0);
    SourceDevice {
        model: from_header("md"),
        serial: from_header("sn"),
        sector_size: bps.map(|b| Sourced::header(b, volume.clone())),
        sector_count: bps.map(|b| Sourced::header(v.media_size / b, volume.clone())),
        imaging: Some(imaging_record(v, image)),
        ..SourceDevice::default()
    }
}

/// What the imaging program recorded, as found: its version and system,
/// the acquisition date of each header section, the case values and
/// notes, the sectors it could not read and the digests it stored.
pub fn imaging_record(v: &super::ewf::EwfVerification, image: &str) -> ImagingRecord {
    let h = &v.header;
    let get = |code: &str| h.get(code).map(|(_, value)| value.to_string());
    let mut hashes = BTreeMap::new();
    if let Some(m) = &v.stored_md5 {
        hashes.insert("md5".to_string(), m.clone());
    }
    if let Some(s) = &v.stored_sha1 {
        hashes.insert("sha1".to_string(), s.clone());
    }
    ImagingRecord {
        source: format!("EWF header of {image}"),
        tool: None,
        tool_version: get("av"),
        tool_os: get("ov"),
        acquired: h.acquired(),
        finished: Vec::new(),
        examiner: get("e"),
        case_number: get("c"),
        evidence_number: get("n"),
        description: get("a"),
        notes: get("t"),
        bad_sectors: v
            .acquisition_errors
            .iter()
            .map(|(first, count)| SectorRange {
                first: u64::from(*first),
                count: u64::from(*count),
            })
            .collect(),
        hashes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u8> {
        let mut b = vec![0xff, 0xfe];
        for u in s.encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        b
    }

    #[test]
    fn both_sections_are_read_and_header2_wins() {
        let header = b"1\r\nmain\r\nc\tn\ta\te\tt\tav\tov\tm\tu\tp\r\nC-1\tE-1\td\tJ. Doe\tnote\t20140813\tLinux\t2026 12 7 9 32 43\t2026 12 7 9 32 43\t0\r\n\r\n";
        let header2 = utf16("3\nmain\na\tc\tn\te\tt\tmd\tsn\tav\tov\tm\tu\tp\tdc\nd\tC-1\tE-1\tJ. Doe\tnote \u{e9}\tSamsung SSD 860\tS3Z9NB0K123\t20140813\tLinux\t1796653963\t1796653963\t0\t\n\nsrce\n0\t1\n");
        let h = HeaderValues::read(Some(header), Some(&header2));
        assert_eq!(h.get("t"), Some(("header2", "note \u{e9}")));
        assert_eq!(h.get("md"), Some(("header2", "Samsung SSD 860")));
        assert_eq!(h.get("sn"), Some(("header2", "S3Z9NB0K123")));
        assert_eq!(h.get("nothing"), None);
        let t = h.acquired();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].raw, "2026 12 7 9 32 43");
        assert_eq!(t[0].rfc3339.as_deref(), Some("2026-12-07T09:32:43"));
        assert_eq!(t[0].zone, "unknown");
        assert_eq!(t[1].raw, "1796653963");
        assert_eq!(t[1].rfc3339.as_deref(), Some("2026-12-07T14:32:43Z"));
        assert_eq!(t[1].zone, "UTC");
    }

    #[test]
    fn hostile_header_text_never_panics_and_keeps_what_it_finds() {
        for text in [
            &b""[..],
            b"main",
            b"main\n",
            b"main\nc\tn\n",
            b"main\nc\tn\nA",
            b"\xff\xfe\x00",
            b"1\nmain\nm\n9999 99 99 99 99 99\n",
            b"1\nmain\nm\n2026 2 30 0 0 0\n",
        ] {
            let h = HeaderValues::read(Some(text), Some(text));
            let _ = h.acquired();
        }
        let h = HeaderValues::read(Some(b"1\nmain\nm\tc\n2026 2 30 0 0 0\tX\xe9\n"), None);
        assert_eq!(h.get("c"), Some(("header", "X\u{e9}")));
        let t = h.acquired();
        assert_eq!(t[0].rfc3339, None, "30 February is not a date");
        assert_eq!(t[0].raw, "2026 2 30 0 0 0");
        // A header2 date that is not POSIX time is kept, zone unknown.
        assert_eq!(posix_time("header2 m", "2026 1 2 3 4 5").zone, "unknown");
    }
}
