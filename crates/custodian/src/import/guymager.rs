//! Guymager's `.info` file: titled sections ("Guymager", "Device
//! information", "Acquisition", "Generated image files and their MD5
//! hashes"), each title underlined with `=`, holding `Name : value` rows
//! padded with spaces or tabs (docs/spec/import-logs.md §3).
//!
//! "Device information" is the output of the commands Guymager ran on
//! the device (smartctl, hdparm), each block headed "Command executed:";
//! only their model, vendor and serial lines are read, and each block is
//! its own section, since two commands legitimately print the same name.

use super::log::HashStage;
use super::log::{
    first_line, key, local_time, numbered_lines, shown, split_field, LogError, ParsedLog, Recorder,
};
use crate::provenance::SectorRange;

const SIGNATURE: &str = "GUYMAGER ACQUISITION INFO FILE";

/// Guymager writes `QDateTime::toString(Qt::ISODate)` with the `T`
/// replaced by a space: local time, no zone.
const TIME_FORMATS: &[&str] = &["%Y-%m-%d %H:%M:%S"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Before the first title, or a title this parser does not know.
    None,
    Guymager,
    Device,
    Acquisition,
    ImageFiles,
}

/// A run of sectors Guymager lists (`300-11556`, `26406`), inclusive.
fn sector_range(item: &str, line: usize) -> Result<SectorRange, LogError> {
    let bad = || {
        LogError::at(
            line,
            format!(
                "bad sector list: {:?} is not a sector or a range",
                shown(item)
            ),
        )
    };
    let (first, last) = match item.split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (item, item),
    };
    let first: u64 = first.parse().map_err(|_| bad())?;
    let last: u64 = last.parse().map_err(|_| bad())?;
    if last < first {
        return Err(bad());
    }
    let count = (last - first).checked_add(1).ok_or_else(bad)?;
    // The run must end inside the sector numbers (first + count, exclusive).
    first.checked_add(count).ok_or_else(bad)?;
    Ok(SectorRange { first, count })
}

/// The count in "During acquisition, 24773 bad sectors have been
/// encountered…".
fn bad_count(rest: &str, line: usize) -> Result<u64, LogError> {
    let word = rest.split_whitespace().next().unwrap_or("");
    super::log::number("bad sectors", word, line)
}

pub(super) fn parse(text: &str) -> Result<ParsedLog, LogError> {
    match first_line(text) {
        Some((_, l)) if l.trim() == SIGNATURE => {}
        Some((n, l)) => {
            return Err(LogError::Whole(format!(
                "not a Guymager log: its first line ({n}) is {:?}, not {SIGNATURE:?}",
                shown(l.trim())
            )))
        }
        None => return Err(LogError::Whole("not a Guymager log: it is empty".into())),
    }
    let lines: Vec<(usize, &str)> = numbered_lines(text).collect();
    let mut r = Recorder::default();
    let mut part = Part::None;
    let mut section = String::new();
    // Inside a bad-sector list: which list (true: acquisition).
    let mut sector_list: Option<bool> = None;
    let mut verify_list = String::new();
    let mut image_file_rows = false;
    // Device information: the current command block's name.
    let mut block = 0usize;

    let mut i = 0;
    while let Some(&(n, raw)) = lines.get(i) {
        i += 1;
        let trimmed = raw.trim();
        // A title is a line underlined by `=` on the next line.
        if let Some(&(_, next)) = lines.get(i) {
            let next = next.trim();
            if !trimmed.is_empty() && next.len() >= 3 && next.bytes().all(|b| b == b'=') {
                i += 1;
                section = trimmed.to_string();
                part = match key(trimmed).as_str() {
                    "guymager" => Part::Guymager,
                    "device information" => Part::Device,
                    "acquisition" => Part::Acquisition,
                    "generated image files and their md5 hashes" => Part::ImageFiles,
                    _ => Part::None,
                };
                sector_list = None;
                image_file_rows = false;
                continue;
            }
        }
        if trimmed == SIGNATURE {
            continue;
        }

        if let Some(acq) = sector_list {
            if trimmed.is_empty() {
                continue;
            }
            if trimmed
                .bytes()
                .all(|b| b.is_ascii_digit() || b"-, ".contains(&b))
            {
                for item in trimmed.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let range = sector_range(item, n)?;
                    if acq {
                        r.log.bad_sectors.push(range);
                    } else {
                        if !verify_list.is_empty() {
                            verify_list.push_str(", ");
                        }
                        verify_list.push_str(item);
                    }
                }
                continue;
            }
            sector_list = None;
        }

        match part {
            Part::None => {}
            Part::Guymager => {
                let Some((name, value)) = split_field(raw) else {
                    continue;
                };
                let k = key(&name);
                let known = [
                    "version",
                    "version timestamp",
                    "compilation timestamp",
                    "compiled with",
                    "libewf version",
                    "libguytools version",
                    "host name",
                    "domain name",
                    "system",
                ];
                if !known.contains(&k.as_str()) {
                    continue;
                }
                r.field(&section, &name, n)?;
                match k.as_str() {
                    "version" => {
                        r.text(|l| &mut l.tool_version, "tool version", &name, value, n)?
                    }
                    "system" => r.text(|l| &mut l.tool_os, "tool system", &name, value, n)?,
                    _ => r.other(&section, &name, value),
                }
            }
            Part::Device => {
                if trimmed.starts_with("Command executed:") {
                    block += 1;
                    continue;
                }
                let Some((name, value)) = split_field(raw) else {
                    continue;
                };
                let sub = format!("{section} (command {block})");
                match key(&name).as_str() {
                    "device model" | "model number" | "product" => {
                        r.field(&sub, &name, n)?;
                        r.text(|l| &mut l.model, "model", &name, value, n)?;
                    }
                    "serial number" => {
                        r.field(&sub, &name, n)?;
                        r.text(|l| &mut l.serial, "serial", &name, value, n)?;
                    }
                    "vendor" => {
                        r.field(&sub, &name, n)?;
                        r.text(|l| &mut l.make, "make", &name, value, n)?;
                    }
                    "hidden areas" if block_is_over(raw) => {
                        r.field(&section, &name, n)?;
                        r.other(&section, &name, value);
                    }
                    _ => {}
                }
            }
            Part::Acquisition => {
                if let Some(rest) = trimmed.strip_prefix("During acquisition, ") {
                    r.field(&section, "During acquisition, … bad sectors", n)?;
                    let c = bad_count(rest, n)?;
                    r.set(
                        |l| &mut l.bad_sector_count,
                        "bad sector count",
                        "bad sectors",
                        c,
                        n,
                    )?;
                    sector_list = Some(true);
                    continue;
                }
                if let Some(rest) = trimmed.strip_prefix("During verification, ") {
                    r.field(&section, "During verification, … bad sectors", n)?;
                    let c = bad_count(rest, n)?;
                    r.other(&section, "bad sectors during verification", &c.to_string());
                    sector_list = Some(false);
                    continue;
                }
                if trimmed == "No bad sectors encountered during acquisition." {
                    r.field(&section, "During acquisition, … bad sectors", n)?;
                    r.set(
                        |l| &mut l.bad_sector_count,
                        "bad sector count",
                        "bad sectors",
                        0,
                        n,
                    )?;
                    continue;
                }
                if trimmed.starts_with("Source verification OK")
                    || trimmed.starts_with("Source verification FAILED")
                {
                    r.other(&section, "source verification result", trimmed);
                    continue;
                }
                if trimmed.starts_with("Image verification OK")
                    || trimmed.starts_with("Image verification FAILED")
                {
                    r.other(&section, "image verification result", trimmed);
                    continue;
                }
                let Some((name, value)) = split_field(raw) else {
                    continue;
                };
                acquisition_field(&mut r, &section, &name, value, n)?;
            }
            Part::ImageFiles => {
                if trimmed.is_empty() {
                    image_file_rows = false;
                    continue;
                }
                let mut words = trimmed.split_whitespace();
                let first = words.next().unwrap_or("");
                if first == "MD5" && trimmed.ends_with("Image file") {
                    image_file_rows = true;
                    continue;
                }
                if !image_file_rows {
                    continue;
                }
                // "<md5 or n/a>  <file name>": the name is the rest of the
                // row after the first run of spaces.
                let name = trimmed.strip_prefix(first).unwrap_or("").trim();
                if name.is_empty() {
                    continue;
                }
                if first != "n/a" {
                    let value =
                        super::log::digest("md5", &format!("MD5 of image file {name}"), first, n)?;
                    r.other(&section, &format!("MD5 {name}"), &value);
                }
                r.log.image_files.push(name.to_string());
            }
        }
    }
    if !verify_list.is_empty() {
        r.other(
            "Acquisition",
            "bad sectors during verification, list",
            &verify_list,
        );
    }
    Ok(r.log)
}

/// "Hidden areas: …" closes the device section at the left margin; the
/// same words indented belong to a command's output.
fn block_is_over(raw: &str) -> bool {
    !raw.starts_with(char::is_whitespace)
}

fn acquisition_field(
    r: &mut Recorder,
    section: &str,
    name: &str,
    value: &str,
    n: usize,
) -> Result<(), LogError> {
    let k = key(name);
    let hash = |k: &str| -> Option<(&'static str, HashStage)> {
        let (alg, rest) = if let Some(rest) = k.strip_prefix("md5 hash") {
            ("md5", rest)
        } else if let Some(rest) = k.strip_prefix("sha1 hash") {
            ("sha1", rest)
        } else if let Some(rest) = k.strip_prefix("sha256 hash") {
            ("sha256", rest)
        } else {
            return None;
        };
        match rest {
            "" => Some((alg, HashStage::Acquisition)),
            " verified source" => Some((alg, HashStage::VerifySource)),
            " verified image" => Some((alg, HashStage::VerifyImage)),
            _ => None,
        }
    };
    if let Some((alg, stage)) = hash(&k) {
        r.field(section, name, n)?;
        // "--": not computed.
        if value != "--" {
            r.hash(alg, stage, name, value, n)?;
        }
        return Ok(());
    }
    match k.as_str() {
        "case number" => {
            r.field(section, name, n)?;
            r.text(|l| &mut l.case_number, "case number", name, value, n)
        }
        "evidence number" => {
            r.field(section, name, n)?;
            r.text(
                |l| &mut l.evidence_number,
                "evidence number",
                name,
                value,
                n,
            )
        }
        "examiner" => {
            r.field(section, name, n)?;
            r.text(|l| &mut l.examiner, "examiner", name, value, n)
        }
        "description" => {
            r.field(section, name, n)?;
            r.text(|l| &mut l.description, "description", name, value, n)
        }
        "notes" => {
            r.field(section, name, n)?;
            r.text(|l| &mut l.notes, "notes", name, value, n)
        }
        "device size" => {
            r.field(section, name, n)?;
            // "4004511744 (4.0GB)": the bytes, then a rounded size.
            let bytes = value.split_whitespace().next().unwrap_or("");
            r.count(|l| &mut l.source_bytes, "source size", name, bytes, n)
        }
        "acquisition started" => {
            r.field(section, name, n)?;
            let t = local_time(
                name,
                value,
                value.split(" (").next().unwrap_or(""),
                TIME_FORMATS,
            );
            r.log.acquired.push(t);
            Ok(())
        }
        "ended" => {
            r.field(section, name, n)?;
            let t = local_time(
                name,
                value,
                value.split(" (").next().unwrap_or(""),
                TIME_FORMATS,
            );
            r.log.finished.push(t);
            Ok(())
        }
        "linux device"
        | "format"
        | "image path and file name"
        | "info path and file name"
        | "hash calculation"
        | "source verification"
        | "image verification"
        | "state"
        | "verification started"
        | "acquisition speed"
        | "verification speed" => {
            r.field(section, name, n)?;
            r.other(section, name, value);
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::log::test_util::{h, local};
    use crate::import::log::{parse_log, LogFormat, TextEncoding};

    const TEST01: &[u8] = include_bytes!("../../../../fixtures/import/guymager/Test01.info");
    const EVIDENCE1: &[u8] = include_bytes!("../../../../fixtures/import/guymager/evidence1.info");

    #[test]
    fn test01_with_bad_sectors_and_both_verifications() {
        let (enc, log) = parse_log(LogFormat::Guymager, TEST01).unwrap();
        assert_eq!(enc, TextEncoding::Utf8);
        assert_eq!(log.tool_version.as_deref(), Some("0.8.8-3"));
        assert_eq!(
            log.tool_os.as_deref(),
            Some("Linux computer-name 5.4.0-100-generic #113-Ubuntu SMP Thu Feb 3 18:43:29 UTC 2022 x86_64")
        );
        assert_eq!(log.make.as_deref(), Some("TSSTcorp"));
        assert_eq!(log.model.as_deref(), Some("DVD+-RW TS-H653G"));
        assert_eq!(log.serial, None);
        assert_eq!(log.source_bytes, Some(54083584));
        assert_eq!(log.sector_size, None);
        assert_eq!(log.sector_count, None);
        assert_eq!(log.bad_sector_count, Some(24773));
        assert_eq!(
            log.bad_sectors,
            vec![
                SectorRange {
                    first: 300,
                    count: 11257
                },
                SectorRange {
                    first: 12002,
                    count: 6757
                },
                SectorRange {
                    first: 19204,
                    count: 6757
                },
                SectorRange {
                    first: 26406,
                    count: 2
                },
            ]
        );
        assert_eq!(log.bad_sectors.iter().map(|r| r.count).sum::<u64>(), 24773);
        let md5 = "35659ff9fdf25d394622b4e64368d08d";
        let sha1 = "71bd797e6fe66966d9fc96ac6bd83908d4994c79";
        let sha256 = "1562e71dc3e58e928cd230a312a76b17c979eb884a60e2725676d0e67c681309";
        assert_eq!(
            log.hashes,
            vec![
                h("md5", HashStage::Acquisition, md5, 92),
                h("md5", HashStage::VerifySource, md5, 93),
                h("md5", HashStage::VerifyImage, md5, 94),
                h("sha1", HashStage::Acquisition, sha1, 95),
                h("sha1", HashStage::VerifySource, sha1, 96),
                h("sha1", HashStage::VerifyImage, sha1, 97),
                h("sha256", HashStage::Acquisition, sha256, 98),
                h("sha256", HashStage::VerifySource, sha256, 99),
                h("sha256", HashStage::VerifyImage, sha256, 100),
            ]
        );
        assert_eq!(
            log.acquired,
            vec![local(
                "Acquisition started",
                "2022-05-16 14:46:53 (ISO format YYYY-MM-DD HH:MM:SS)",
                "2022-05-16T14:46:53"
            )]
        );
        assert_eq!(
            log.finished,
            vec![local(
                "Ended",
                "2022-05-16 15:55:58 (1 hours, 9 minutes and 5 seconds)",
                "2022-05-16T15:55:58"
            )]
        );
        assert_eq!(log.image_files, vec!["Test01.000".to_string()]);
        assert_eq!(log.case_number, None);
        assert_eq!(
            log.other
                .get("Acquisition / Linux device")
                .map(String::as_str),
            Some("/dev/sr0")
        );
        assert_eq!(
            log.other
                .get("Acquisition / bad sectors during verification")
                .map(String::as_str),
            Some("24773")
        );
        assert_eq!(
            log.other
                .get("Acquisition / bad sectors during verification, list")
                .map(String::as_str),
            Some("300-11556, 12002-18758, 19204-25960, 26406-26407")
        );
        assert_eq!(
            log.other.get("Acquisition / State").map(String::as_str),
            Some("Finished successfully (with 24773 bad sectors)")
        );
        assert_eq!(
            log.other
                .get("Device information / Hidden areas")
                .map(String::as_str),
            Some("unknown")
        );
    }

    #[test]
    fn evidence1_with_case_data_and_no_bad_sectors() {
        let (_, log) = parse_log(LogFormat::Guymager, EVIDENCE1).unwrap();
        assert_eq!(log.tool_version.as_deref(), Some("0.7.3-1"));
        assert_eq!(log.tool_os, None);
        assert_eq!(
            (log.make.clone(), log.model.clone(), log.serial.clone()),
            (None, None, None)
        );
        assert_eq!(log.source_bytes, Some(4004511744));
        assert_eq!(log.case_number.as_deref(), Some("Lab-1"));
        assert_eq!(log.evidence_number.as_deref(), Some("0001"));
        assert_eq!(log.examiner.as_deref(), Some("Emil A. Sharifullin"));
        assert_eq!(log.description.as_deref(), Some("Red evidence flash drive"));
        assert_eq!(log.notes.as_deref(), Some("4C532000060816106053"));
        assert_eq!(log.bad_sector_count, Some(0));
        assert!(log.bad_sectors.is_empty());
        let md5 = "50decb45c3d56ffe1a3c538bb7898fd9";
        let sha256 = "69bf6a0a408347390fcbebaa99aef95b1e1df81ca24643186daff935b1e88429";
        assert_eq!(
            log.hashes,
            vec![
                h("md5", HashStage::Acquisition, md5, 75),
                h("md5", HashStage::VerifyImage, md5, 77),
                h("sha256", HashStage::Acquisition, sha256, 81),
                h("sha256", HashStage::VerifyImage, sha256, 83),
            ]
        );
        assert_eq!(
            log.acquired[0].rfc3339.as_deref(),
            Some("2017-01-09T11:50:17")
        );
        assert_eq!(
            log.finished[0].rfc3339.as_deref(),
            Some("2017-01-09T11:53:38")
        );
        assert_eq!(log.image_files, vec!["evidence1.E01".to_string()]);
        assert_eq!(
            log.other
                .get("Acquisition / Info path and file name")
                .map(String::as_str),
            Some("/root/Desktop/evidence1.info")
        );
    }

    #[test]
    fn latin1_examiner_is_read_one_character_per_byte() {
        let bytes =
            include_bytes!("../../../../fixtures/import/guymager/hostile/evidence1-latin1.info");
        let (enc, log) = parse_log(LogFormat::Guymager, bytes).unwrap();
        assert_eq!(enc, TextEncoding::Latin1);
        assert_eq!(log.examiner.as_deref(), Some("Ren\u{e9} Sharifullin"));
        assert_eq!(log.hashes.len(), 4);
    }

    #[test]
    fn truncated_in_a_digest_names_the_line() {
        let bytes =
            include_bytes!("../../../../fixtures/import/guymager/hostile/evidence1-truncated.info");
        assert_eq!(
            parse_log(LogFormat::Guymager, bytes).unwrap_err(),
            LogError::at(
                81,
                "SHA256 hash: 16 hex digits, but a SHA-256 digest has 64"
            )
        );
    }

    #[test]
    fn refusals() {
        let text = std::str::from_utf8(EVIDENCE1).unwrap();
        let err = |t: &str| parse(t).unwrap_err();
        assert_eq!(
            err("dc3dd 7.2.646 started at 2022-07-27 21:33:40 -0400\n"),
            LogError::Whole("not a Guymager log: its first line (1) is \"dc3dd 7.2.646 started at 2022-07-27 21:33:40 -0400\", not \"GUYMAGER ACQUISITION INFO FILE\"".into())
        );
        assert_eq!(
            err("\n \n"),
            LogError::Whole("not a Guymager log: it is empty".into())
        );
        // The same field twice, even with the same value.
        let twice = text.replace(
            "MD5 hash verified image    : 50decb45c3d56ffe1a3c538bb7898fd9",
            "MD5 hash verified image    : 50decb45c3d56ffe1a3c538bb7898fd9\nMD5 hash verified image    : 50decb45c3d56ffe1a3c538bb7898fd9",
        );
        assert_eq!(
            err(&twice),
            LogError::at(
                78,
                "\"MD5 hash verified image\" is given twice in \"Acquisition\" (first on line 77)"
            )
        );
        let not_hex = text.replace(
            "MD5 hash                   : 50decb45c3d56ffe1a3c538bb7898fd9",
            "MD5 hash                   : 50decb45c3d56ffe1a3c538bb7898fdz",
        );
        assert_eq!(
            err(&not_hex),
            LogError::at(
                75,
                "MD5 hash: \"50decb45c3d56ffe1a3c538bb7898fdz\" is not hexadecimal"
            )
        );
        let bad_size = text.replace("4004511744 (4.0GB)", "4,004,51,744 (4.0GB)");
        assert_eq!(
            err(&bad_size),
            LogError::at(58, "Device size: \"4,004,51,744\" is not a number")
        );
        let grouped = text.replace("4004511744 (4.0GB)", "4,004,511,744 (4.0GB)");
        assert_eq!(parse(&grouped).unwrap().source_bytes, Some(4_004_511_744));
        let reversed = text.replace(
            "No bad sectors encountered during acquisition.",
            "During acquisition, 2 bad sectors have been encountered. They have been replaced by zeroed sectors. The sector numbers are:\n   9-8",
        );
        assert_eq!(
            err(&reversed),
            LogError::at(73, "bad sector list: \"9-8\" is not a sector or a range")
        );
        // Upper-case digests are read, lowercased.
        let upper = text.replace(
            "50decb45c3d56ffe1a3c538bb7898fd9",
            "50DECB45C3D56FFE1A3C538BB7898FD9",
        );
        assert_eq!(
            parse(&upper).unwrap().hashes[0].value,
            "50decb45c3d56ffe1a3c538bb7898fd9"
        );
        // CRLF reads like LF.
        assert_eq!(
            parse(&text.replace('\n', "\r\n")).unwrap(),
            parse(text).unwrap()
        );
    }
}
