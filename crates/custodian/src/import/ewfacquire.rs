//! ewfacquire (libewf's ewftools): both what it writes to the `-l` log
//! file and its console output saved by the examiner. The `-l` file holds
//! only the device read errors and the digests
//! (`device_handle_read_errors_fprint`, `imaging_handle_print_hashes`):
//!
//! ```text
//! Errors reading device:
//! <TAB>total number: 2
//! <TAB>at sector(s): 1000 - 1008 number: 8 (offset: 0x0007d000 of size: 4096)
//!
//! MD5 hash calculated over data:<TAB><TAB>4d319b12088b3990bded7834211308eb
//! ```
//!
//! The console output adds the "ewfacquire VERSION" banner, the device
//! and media information, the acquiry parameters and the times
//! (docs/spec/import-logs.md §5).

use super::log::{
    first_line, key, local_time, numbered_lines, shown, split_field, HashStage, LogError,
    ParsedLog, Recorder,
};
use crate::provenance::SectorRange;

/// libewf's own format ("Jun 22, 2015 21:22:47") and, in old versions,
/// `ctime()` ("Sun Aug  5 11:32:42 2012"); local time, no zone.
const TIME_FORMATS: &[&str] = &["%b %d, %Y %H:%M:%S", "%a %b %d %H:%M:%S %Y"];

/// Section headings: each runs to the next blank line.
const SECTIONS: &[&str] = &[
    "device information:",
    "storage media information:",
    "errors reading device:",
    "using the following acquiry parameters:",
    "the following acquiry parameters were provided:",
    "acquiry parameters required, please provide the necessary input",
];

/// `MD5 hash calculated over data:` and its kin: the algorithm.
fn calculated(name_key: &str) -> Option<&'static str> {
    match name_key {
        "md5 hash calculated over data" => Some("md5"),
        "sha1 hash calculated over data" => Some("sha1"),
        "sha256 hash calculated over data" => Some("sha256"),
        _ => None,
    }
}

/// The program and version of a banner line "ewfacquire 20140814".
fn banner(line: &str) -> Option<(&str, &str)> {
    let mut words = line.split_whitespace();
    let program = words.next()?;
    let version = words.next()?;
    if words.next().is_some() || !matches!(program, "ewfacquire" | "ewfacquirestream") {
        return None;
    }
    Some((program, version))
}

/// "at sector(s): 1000 - 1008 number: 8 (offset: …)": the first sector
/// and the number of sectors (libewf's end is `first + number`, so the
/// number is read, not the end).
fn read_error(value: &str, line: usize) -> Result<SectorRange, LogError> {
    let bad = || {
        LogError::at(
            line,
            format!(
                "at sector(s): {:?} is not \"FIRST - END number: N\"",
                shown(value)
            ),
        )
    };
    let (range, rest) = value.split_once("number:").ok_or_else(bad)?;
    let (first, end) = range.split_once('-').ok_or_else(bad)?;
    let first = super::log::parse_count(first).ok_or_else(bad)?;
    let end = super::log::parse_count(end).ok_or_else(bad)?;
    let count =
        super::log::parse_count(rest.split_whitespace().next().unwrap_or("")).ok_or_else(bad)?;
    // libewf writes END as FIRST + NUMBER: a run that is empty or does not
    // add up was not written by it.
    if count == 0 || first.checked_add(count) != Some(end) {
        return Err(bad());
    }
    Ok(SectorRange { first, count })
}

/// "33 MB (33554432 bytes)": the exact byte count in parentheses.
fn media_bytes(value: &str) -> Option<&str> {
    let (_, inner) = value.split_once('(')?;
    inner
        .strip_suffix(')')?
        .strip_suffix("bytes")
        .map(str::trim)
}

pub(super) fn parse(text: &str) -> Result<ParsedLog, LogError> {
    let mut r = Recorder::default();
    let Some((first_n, first)) = first_line(text) else {
        return Err(LogError::Whole("not an ewfacquire log: it is empty".into()));
    };
    let first_key = split_field(first).map(|(name, _)| key(&name));
    if let Some((program, version)) = banner(first) {
        r.text(
            |l| &mut l.tool_version,
            "tool version",
            program,
            version,
            first_n,
        )?;
        r.other("", "program", program);
    } else if key(first.trim()) != "errors reading device:"
        && first_key.as_deref().and_then(calculated).is_none()
    {
        return Err(LogError::Whole(format!(
            "not an ewfacquire log: its first line is {:?}, not \"ewfacquire VERSION\", \"Errors reading device:\" or \"MD5 hash calculated over data:\"",
            shown(first.trim())
        )));
    }

    let mut section = String::new();
    for (n, raw) in numbered_lines(text) {
        let trimmed = raw.trim();
        if n == first_n && banner(trimmed).is_some() {
            continue;
        }
        if trimmed.is_empty() {
            section.clear();
            continue;
        }
        if SECTIONS.contains(&key(trimmed).as_str()) {
            section = trimmed.trim_end_matches(':').to_string();
            continue;
        }
        if let Some((program, result)) = trimmed.split_once(": ") {
            if matches!(program, "ewfacquire" | "ewfacquirestream")
                && matches!(result, "SUCCESS" | "FAILURE" | "ABORTED")
            {
                r.field("", "result", n)?;
                r.other("", "result", result);
                continue;
            }
        }
        let Some((name, value)) = split_field(raw) else {
            continue;
        };
        let k = key(&name);
        if k.ends_with("hash stored in file") {
            return Err(LogError::at(
                n,
                format!("{name:?} is written by ewfverify, not ewfacquire; import the acquisition's own log"),
            ));
        }
        if let Some(alg) = calculated(&k) {
            r.field("", &name, n)?;
            if value != "N/A" {
                r.hash(alg, HashStage::Acquisition, &name, value, n)?;
            }
            continue;
        }
        match (key(&section).as_str(), k.as_str()) {
            ("device information", "vendor") => {
                r.field(&section, &name, n)?;
                r.text(|l| &mut l.make, "make", &name, value, n)?;
            }
            ("device information", "model") => {
                r.field(&section, &name, n)?;
                r.text(|l| &mut l.model, "model", &name, value, n)?;
            }
            ("device information", "serial") => {
                r.field(&section, &name, n)?;
                r.text(|l| &mut l.serial, "serial", &name, value, n)?;
            }
            ("storage media information", "media size") => {
                r.field(&section, &name, n)?;
                let bytes = media_bytes(value).ok_or_else(|| {
                    LogError::at(
                        n,
                        format!("{name}: {:?} does not end in \"(N bytes)\"", shown(value)),
                    )
                })?;
                r.count(|l| &mut l.source_bytes, "source size", &name, bytes, n)?;
            }
            (
                "storage media information"
                | "using the following acquiry parameters"
                | "the following acquiry parameters were provided",
                "bytes per sector",
            ) => {
                r.field(&section, &name, n)?;
                r.count(|l| &mut l.sector_size, "sector size", &name, value, n)?;
            }
            ("device information" | "storage media information", _) => {
                r.field(&section, &name, n)?;
                r.other(&section, &name, value);
            }
            (
                "using the following acquiry parameters"
                | "the following acquiry parameters were provided",
                _,
            ) => {
                r.field(&section, &name, n)?;
                match k.as_str() {
                    "image path and filename" => {
                        if !value.is_empty() {
                            r.log.image_files.push(value.to_string());
                        }
                    }
                    "case number" => {
                        r.text(|l| &mut l.case_number, "case number", &name, value, n)?
                    }
                    "description" => {
                        r.text(|l| &mut l.description, "description", &name, value, n)?
                    }
                    "evidence number" => r.text(
                        |l| &mut l.evidence_number,
                        "evidence number",
                        &name,
                        value,
                        n,
                    )?,
                    "examiner name" => r.text(|l| &mut l.examiner, "examiner", &name, value, n)?,
                    "notes" => r.text(|l| &mut l.notes, "notes", &name, value, n)?,
                    _ => r.other(&section, &name, value),
                }
            }
            ("errors reading device", "total number") => {
                r.field(&section, &name, n)?;
                r.other(&section, &name, value);
            }
            ("errors reading device", "at sector(s)") => {
                let range = read_error(value, n)?;
                r.log.bad_sectors.push(range);
            }
            ("", "acquiry started at") => {
                r.field("", &name, n)?;
                r.log
                    .acquired
                    .push(local_time(&name, value, value, TIME_FORMATS));
            }
            ("", "acquiry completed at") => {
                r.field("", &name, n)?;
                r.log
                    .finished
                    .push(local_time(&name, value, value, TIME_FORMATS));
            }
            ("", "written") => {
                r.field("", &name, n)?;
                r.other("", &name, value);
            }
            _ => {}
        }
    }
    Ok(r.log)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::log::{parse_log, LogFormat, LoggedHash};

    const CONSOLE: &[u8] =
        include_bytes!("../../../../fixtures/import/ewfacquire/files-data.console.txt");
    const ERRDISK: &[u8] = include_bytes!("../../../../fixtures/import/ewfacquire/errdisk.log");

    #[test]
    fn console_output_with_md5_and_sha256() {
        let (_, log) = parse_log(LogFormat::Ewfacquire, CONSOLE).unwrap();
        assert_eq!(log.tool_version.as_deref(), Some("20140814"));
        assert_eq!(
            (log.make.clone(), log.model.clone(), log.serial.clone()),
            (None, None, None)
        );
        assert_eq!(log.source_bytes, Some(33_554_432));
        assert_eq!(log.sector_size, Some(512));
        assert_eq!(log.sector_count, None);
        assert_eq!(
            log.hashes,
            vec![
                LoggedHash {
                    algorithm: "md5".into(),
                    stage: HashStage::Acquisition,
                    value: "3260d6031df48a9f68dd1d7cb7578fda".into(),
                    line: 15,
                },
                LoggedHash {
                    algorithm: "sha256".into(),
                    stage: HashStage::Acquisition,
                    value: "eae7ac5a6c3fdefeba94adcb9f73955babaf7ffe4f54f20cb02e0d2cee186475"
                        .into(),
                    line: 16,
                },
            ]
        );
        assert_eq!(log.other.get("result").map(String::as_str), Some("SUCCESS"));
        assert_eq!(
            log.other
                .get("Storage media information / Media type")
                .map(String::as_str),
            Some("Fixed")
        );
    }

    #[test]
    fn log_file_with_read_errors() {
        let (_, log) = parse_log(LogFormat::Ewfacquire, ERRDISK).unwrap();
        assert_eq!(log.tool_version, None);
        assert_eq!(
            log.bad_sectors,
            vec![
                SectorRange {
                    first: 1000,
                    count: 8
                },
                SectorRange {
                    first: 2000,
                    count: 8
                }
            ]
        );
        assert_eq!(log.bad_sector_count, None);
        assert_eq!(
            log.other
                .get("Errors reading device / total number")
                .map(String::as_str),
            Some("2")
        );
        assert_eq!(
            log.hashes,
            vec![LoggedHash {
                algorithm: "md5".into(),
                stage: HashStage::Acquisition,
                value: "4d319b12088b3990bded7834211308eb".into(),
                line: 6,
            }]
        );
    }

    #[test]
    fn parameters_and_times_of_a_full_console_run() {
        let text = "ewfacquire 20140608\n\nThe following acquiry parameters were provided:\nImage path and filename:\t\tcase1.E01\nCase number:\t\t\tC-1\nDescription:\t\t\tlaptop disk\nEvidence number:\t\tE-7\nExaminer name:\t\t\tRen\u{e9}\nNotes:\t\t\t\t\nBytes per sector:\t\t512\nCompression method:\t\tdeflate\n\nAcquiry started at: Jun 22, 2015 21:22:47\nThis could take a while.\n\nAcquiry completed at: Jun 22, 2015 21:30:25\nWritten: 3.7 GiB (4001526432 bytes) in 7 minute(s) and 38 second(s).\nMD5 hash calculated over data:\t\tE86D952A68546FBDAB55D0B205CD1C6E\nSHA1 hash calculated over data:\t\tN/A\newfacquire: SUCCESS\n";
        let log = parse(text).unwrap();
        assert_eq!(log.image_files, vec!["case1.E01".to_string()]);
        assert_eq!(log.case_number.as_deref(), Some("C-1"));
        assert_eq!(log.description.as_deref(), Some("laptop disk"));
        assert_eq!(log.evidence_number.as_deref(), Some("E-7"));
        assert_eq!(log.examiner.as_deref(), Some("Ren\u{e9}"));
        assert_eq!(log.notes, None);
        assert_eq!(log.sector_size, Some(512));
        assert_eq!(
            log.acquired[0].rfc3339.as_deref(),
            Some("2015-06-22T21:22:47")
        );
        assert_eq!(log.acquired[0].raw, "Jun 22, 2015 21:22:47");
        assert_eq!(log.acquired[0].field, "Acquiry started at");
        assert_eq!(
            log.finished[0].rfc3339.as_deref(),
            Some("2015-06-22T21:30:25")
        );
        assert_eq!(log.hashes.len(), 1);
        assert_eq!(log.hashes[0].value, "e86d952a68546fbdab55d0b205cd1c6e");
        assert_eq!(log.hashes[0].line, 18);
        assert_eq!(
            log.other
                .get("The following acquiry parameters were provided / Compression method")
                .map(String::as_str),
            Some("deflate")
        );
    }

    #[test]
    fn md5_of_31_digits_is_refused() {
        let bytes = include_bytes!(
            "../../../../fixtures/import/ewfacquire/hostile/files-data-md5-31-digits.console.txt"
        );
        assert_eq!(
            parse_log(LogFormat::Ewfacquire, bytes).unwrap_err(),
            LogError::at(
                15,
                "MD5 hash calculated over data: 31 hex digits, but an MD5 digest has 32"
            )
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(
            parse("ewfverify 20140814\n\nMD5 hash stored in file:\t\tN/A\n").unwrap_err(),
            LogError::Whole("not an ewfacquire log: its first line is \"ewfverify 20140814\", not \"ewfacquire VERSION\", \"Errors reading device:\" or \"MD5 hash calculated over data:\"".into())
        );
        assert_eq!(
            parse("MD5 hash calculated over data:\t\t3260d6031df48a9f68dd1d7cb7578fda\nMD5 hash stored in file:\t\t3260d6031df48a9f68dd1d7cb7578fda\n").unwrap_err(),
            LogError::at(2, "\"MD5 hash stored in file\" is written by ewfverify, not ewfacquire; import the acquisition's own log")
        );
        assert_eq!(
            parse("MD5 hash calculated over data:\t\t3260d6031df48a9f68dd1d7cb7578fda\nMD5 hash calculated over data:\t\t3260d6031df48a9f68dd1d7cb7578fda\n").unwrap_err(),
            LogError::at(2, "\"MD5 hash calculated over data\" is given twice (first on line 1)")
        );
        let text = std::str::from_utf8(CONSOLE).unwrap();
        assert_eq!(
            parse(&text.replace("33 MB (33554432 bytes)", "33 MB")).unwrap_err(),
            LogError::at(12, "Media size: \"33 MB\" does not end in \"(N bytes)\"")
        );
        assert_eq!(
            parse("Errors reading device:\n\tat sector(s): 10 - x number: 8\n").unwrap_err(),
            LogError::at(
                2,
                "at sector(s): \"10 - x number: 8\" is not \"FIRST - END number: N\""
            )
        );
    }
}
