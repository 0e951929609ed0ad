//! dc3dd's job log (`log=`) and hash log (`hlog=`): a "dc3dd VERSION
//! started at TIME" line, the device and sector size it probed, then
//! "input results for device `NAME':" with the digests computed while
//! reading, one "output results for file `NAME':" per output with, when
//! `hof=` asked for it, each digest recomputed by reading the output back
//! and marked `[ok]` or `[MISMATCH]`, and "dc3dd completed at TIME"
//! (docs/spec/import-logs.md §6).

use super::log::{
    first_line, number, numbered_lines, offset_time, shown, split_field, HashStage, LogError,
    ParsedLog, Recorder,
};

/// dc3dd prints `strftime("%F %T %z")`: the offset is always stated.
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S %z";
const LOCAL_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

#[derive(PartialEq, Eq)]
enum Part {
    Header,
    /// Input results.
    Input,
    /// Output results for a file (or a split set of files): an image.
    OutputFile,
    /// Output results for a device (a disk-to-disk copy or a wipe
    /// target): not an image file.
    OutputDevice,
}

/// "dc3dd 7.2.646 started at 2022-07-27 21:33:40 -0400": version, time.
fn started(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim().strip_prefix("dc3dd ")?;
    let (version, time) = rest.split_once(" started at ")?;
    if version.is_empty() || version.contains(char::is_whitespace) {
        return None;
    }
    Some((version, time.trim()))
}

/// "input results for device `/dev/sdb':" → ("input", "device", "/dev/sdb").
fn results_heading(line: &str) -> Option<(&str, &str, &str)> {
    let line = line.trim();
    let (direction, rest) = line.split_once(" results for ")?;
    if !matches!(direction, "input" | "output") {
        return None;
    }
    let (kind, quoted) = rest.split_once(' ')?;
    let name = quoted.strip_suffix(':')?;
    let name = name
        .strip_prefix('`')
        .and_then(|n| n.strip_suffix('\''))
        .unwrap_or(name);
    Some((direction, kind, name))
}

/// A digest line: "HEX (md5)", "[ok] HEX (sha1)", "[MISMATCH] HEX
/// (sha256)" → (verdict, hex, algorithm as dc3dd names it).
fn digest_line(line: &str) -> Option<(Option<&str>, &str, &str)> {
    let line = line.trim();
    let inner = line.strip_suffix(')')?;
    let (before, alg) = inner.rsplit_once(" (")?;
    let (verdict, hex) = match before.strip_prefix('[') {
        Some(rest) => {
            let (v, hex) = rest.split_once(']')?;
            (Some(v), hex.trim())
        }
        None => (None, before.trim()),
    };
    if hex.is_empty() || hex.contains(char::is_whitespace) {
        return None;
    }
    Some((verdict, hex, alg))
}

/// dc3dd's algorithm names to custodian's; others are kept in `other`.
fn algorithm(name: &str) -> Option<&'static str> {
    match name {
        "md5" => Some("md5"),
        "sha1" => Some("sha1"),
        "sha256" => Some("sha256"),
        _ => None,
    }
}

pub(super) fn parse(text: &str) -> Result<ParsedLog, LogError> {
    let Some((first_n, first)) = first_line(text) else {
        return Err(LogError::Whole("not a dc3dd log: it is empty".into()));
    };
    let Some((version, start)) = started(first) else {
        return Err(LogError::Whole(format!(
            "not a dc3dd log: its first line is {:?}, not \"dc3dd VERSION started at TIME\"",
            shown(first.trim())
        )));
    };
    let mut r = Recorder::default();
    r.text(
        |l| &mut l.tool_version,
        "tool version",
        "dc3dd",
        version,
        first_n,
    )?;
    r.log
        .acquired
        .push(offset_time("started at", start, TIME_FORMAT, LOCAL_FORMAT));

    let mut part = Part::Header;
    let mut section = String::new();
    for (n, raw) in numbered_lines(text).skip(first_n) {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some((direction, kind, name)) = results_heading(trimmed) {
            section = trimmed.trim_end_matches(':').to_string();
            r.field("", &section, n)?;
            part = match (direction, kind) {
                ("input", "pattern") => {
                    return Err(LogError::at(
                        n,
                        "the input is a pattern: this is a dc3dd wipe log, not an acquisition",
                    ))
                }
                ("input", _) => Part::Input,
                ("output", "device") => {
                    r.other("", "output device", name);
                    Part::OutputDevice
                }
                ("output", _) => {
                    r.log.image_files.push(name.to_string());
                    Part::OutputFile
                }
                _ => Part::Header,
            };
            if part == Part::Input {
                r.other("", &format!("input {kind}"), name);
            }
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("dc3dd ") {
            for (field, result) in [("completed at", "completed"), ("aborted at", "aborted")] {
                if let Some(time) = rest.strip_prefix(field) {
                    r.field("", "completed at / aborted at", n)?;
                    r.log
                        .finished
                        .push(offset_time(field, time.trim(), TIME_FORMAT, LOCAL_FORMAT));
                    r.other("", "result", result);
                }
            }
            continue;
        }
        match part {
            Part::Header => {
                let Some((name, value)) = split_field(raw) else {
                    continue;
                };
                match name.as_str() {
                    "device size" => {
                        r.field("", &name, n)?;
                        // "1024000 sectors (probed), 524,288,000 bytes"
                        let (sectors, bytes) = match value.split_once("),") {
                            Some((s, b)) => (s, Some(b)),
                            None => (value, None),
                        };
                        let count = sectors.split_whitespace().next().unwrap_or("");
                        r.count(|l| &mut l.sector_count, "sector count", &name, count, n)?;
                        if let Some((_, how)) = sectors.split_once('(') {
                            r.other("", "device size", how.trim_end_matches(')'));
                        }
                        if let Some(b) = bytes {
                            let b = b.trim().strip_suffix("bytes").unwrap_or(b).trim();
                            r.count(|l| &mut l.source_bytes, "source size", &name, b, n)?;
                        }
                    }
                    "sector size" => {
                        r.field("", &name, n)?;
                        let size = value.split_whitespace().next().unwrap_or("");
                        r.count(|l| &mut l.sector_size, "sector size", &name, size, n)?;
                        if let Some(how) =
                            value.split_once('(').and_then(|(_, h)| h.strip_suffix(')'))
                        {
                            r.other("", "sector size", how);
                        }
                    }
                    "command line" | "compiled options" => {
                        r.field("", &name, n)?;
                        r.other("", &name, value);
                    }
                    _ => {}
                }
            }
            Part::Input | Part::OutputFile | Part::OutputDevice => {
                if let Some(count) = trimmed.strip_suffix(" bad sectors replaced by zeros") {
                    r.field(&section, "bad sectors replaced by zeros", n)?;
                    let c = number("bad sectors replaced by zeros", count, n)?;
                    r.set(
                        |l| &mut l.bad_sector_count,
                        "bad sector count",
                        "bad sectors replaced by zeros",
                        c,
                        n,
                    )?;
                    continue;
                }
                if trimmed.ends_with(" sectors in")
                    || trimmed.ends_with(" sectors out")
                    || trimmed.ends_with(" bytes in")
                    || trimmed.ends_with(" bytes out")
                {
                    let which = if part == Part::Input {
                        "sectors in"
                    } else {
                        "sectors out"
                    };
                    r.field(&section, which, n)?;
                    r.other(&section, which, trimmed);
                    continue;
                }
                // Piecewise digests ("HEX, sectors 0 - 32767") and the
                // output device's "additional sectors" are not the image's.
                if trimmed.contains(", sectors ") || trimmed.starts_with("additional ") {
                    continue;
                }
                let Some((verdict, hex, alg_name)) = digest_line(trimmed) else {
                    continue;
                };
                if let Some(total) = alg_name.strip_prefix("device total ") {
                    r.other(
                        &section,
                        &format!("{total} of the whole output device"),
                        hex,
                    );
                    continue;
                }
                let field = format!("({alg_name})");
                r.field(&section, &field, n)?;
                let Some(alg) = algorithm(alg_name) else {
                    r.other(&section, alg_name, hex);
                    continue;
                };
                match part {
                    Part::Input => {
                        if verdict.is_some() {
                            return Err(LogError::at(
                                n,
                                format!(
                                    "{alg_name} in the input results carries a verdict [{}]",
                                    verdict.unwrap_or("")
                                ),
                            ));
                        }
                        r.hash(
                            alg,
                            HashStage::Acquisition,
                            &format!("input {alg_name}"),
                            hex,
                            n,
                        )?;
                    }
                    Part::OutputFile => {
                        let Some(v) = verdict else {
                            return Err(LogError::at(
                                n,
                                format!(
                                    "{alg_name} in the output results has no [ok] or [MISMATCH]"
                                ),
                            ));
                        };
                        r.hash(
                            alg,
                            HashStage::VerifyImage,
                            &format!("output {alg_name}"),
                            hex,
                            n,
                        )?;
                        r.other(&section, &format!("{alg_name} verification"), v);
                    }
                    _ => {
                        let value = super::log::digest(alg, &format!("output {alg_name}"), hex, n)?;
                        r.other(&section, alg_name, &value);
                        if let Some(v) = verdict {
                            r.other(&section, &format!("{alg_name} verification"), v);
                        }
                    }
                }
            }
        }
    }
    Ok(r.log)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::log::{parse_log, LogFormat, LoggedHash};
    use crate::provenance::FoundTime;

    const IMAGE: &[u8] = include_bytes!("../../../../fixtures/import/dc3dd/image.log");
    const MOOPBIAN: &[u8] = include_bytes!("../../../../fixtures/import/dc3dd/moopbian.log");

    #[test]
    fn image_log_sha1_verified_with_hof() {
        let (_, log) = parse_log(LogFormat::Dc3dd, IMAGE).unwrap();
        assert_eq!(log.tool_version.as_deref(), Some("7.2.646"));
        assert_eq!(log.sector_count, Some(1_024_000));
        assert_eq!(log.source_bytes, Some(524_288_000));
        assert_eq!(log.sector_size, Some(512));
        assert_eq!(log.bad_sector_count, Some(0));
        let sha1 = "094123df4792b18a1f0f64f1e2fc609028695f85";
        assert_eq!(
            log.hashes,
            vec![
                LoggedHash {
                    algorithm: "sha1".into(),
                    stage: HashStage::Acquisition,
                    value: sha1.into(),
                    line: 12
                },
                LoggedHash {
                    algorithm: "sha1".into(),
                    stage: HashStage::VerifyImage,
                    value: sha1.into(),
                    line: 16
                },
            ]
        );
        assert_eq!(
            log.acquired,
            vec![FoundTime {
                field: "started at".into(),
                raw: "2022-07-27 21:33:40 -0400".into(),
                rfc3339: Some("2022-07-27T21:33:40-04:00".into()),
                zone: "-04:00".into(),
            }]
        );
        assert_eq!(
            log.finished,
            vec![FoundTime {
                field: "completed at".into(),
                raw: "2022-07-27 21:33:42 -0400".into(),
                rfc3339: Some("2022-07-27T21:33:42-04:00".into()),
                zone: "-04:00".into(),
            }]
        );
        assert_eq!(log.image_files, vec!["image.raw".to_string()]);
        assert_eq!(
            log.other.get("input device").map(String::as_str),
            Some("/dev/sdb")
        );
        assert_eq!(
            log.other.get("device size").map(String::as_str),
            Some("probed")
        );
        assert_eq!(
            log.other.get("command line").map(String::as_str),
            Some("dc3dd if=/dev/sdb hof=image.raw hash=sha1 log=image.log")
        );
        assert_eq!(
            log.other
                .get("output results for file `image.raw' / sha1 verification")
                .map(String::as_str),
            Some("ok")
        );
        assert_eq!(
            log.other.get("result").map(String::as_str),
            Some("completed")
        );
    }

    #[test]
    fn moopbian_md5_utc_offset() {
        let (_, log) = parse_log(LogFormat::Dc3dd, MOOPBIAN).unwrap();
        assert_eq!(log.sector_count, Some(30_031_872));
        assert_eq!(log.source_bytes, Some(15_376_318_464));
        assert_eq!(
            log.acquired[0].rfc3339.as_deref(),
            Some("2016-11-04T07:28:11+00:00")
        );
        assert_eq!(log.acquired[0].zone, "+00:00");
        assert_eq!(
            log.image_files,
            vec!["./MOOPBIAN/moopbian_live_full.img".to_string()]
        );
        assert_eq!(
            log.hashes
                .iter()
                .map(|h| (h.algorithm.as_str(), h.stage, h.value.as_str(), h.line))
                .collect::<Vec<_>>(),
            vec![
                (
                    "md5",
                    HashStage::Acquisition,
                    "4383ee5b3f1b3d70418375ea72afc00e",
                    12
                ),
                (
                    "md5",
                    HashStage::VerifyImage,
                    "4383ee5b3f1b3d70418375ea72afc00e",
                    16
                ),
            ]
        );
    }

    #[test]
    fn a_doctored_input_digest_is_read_as_written() {
        // One digit changed: the right length, so the parser accepts it;
        // the import's re-hash is what catches it.
        let bytes = include_bytes!(
            "../../../../fixtures/import/dc3dd/hostile/image-doctored-input-sha1.log"
        );
        let (_, log) = parse_log(LogFormat::Dc3dd, bytes).unwrap();
        assert_eq!(
            log.hashes
                .iter()
                .map(|h| (h.stage, h.value.as_str()))
                .collect::<Vec<_>>(),
            vec![
                (
                    HashStage::Acquisition,
                    "094123df4792b18a1f0f64f1e2fc609028695f86"
                ),
                (
                    HashStage::VerifyImage,
                    "094123df4792b18a1f0f64f1e2fc609028695f85"
                ),
            ]
        );
    }

    #[test]
    fn truncated_between_lines_keeps_what_it_has() {
        let bytes = include_bytes!("../../../../fixtures/import/dc3dd/hostile/image-truncated.log");
        let (_, log) = parse_log(LogFormat::Dc3dd, bytes).unwrap();
        assert_eq!(log.hashes.len(), 1);
        assert_eq!(log.hashes[0].stage, HashStage::Acquisition);
        assert!(log.finished.is_empty());
        assert!(log.image_files.is_empty());
        assert_eq!(log.other.get("result"), None);
    }

    #[test]
    fn refusals() {
        let text = std::str::from_utf8(IMAGE).unwrap();
        let err = |t: &str| parse(t).unwrap_err();
        assert_eq!(
            err("GUYMAGER ACQUISITION INFO FILE\n"),
            LogError::Whole("not a dc3dd log: its first line is \"GUYMAGER ACQUISITION INFO FILE\", not \"dc3dd VERSION started at TIME\"".into())
        );
        assert_eq!(
            err(&text.replace("(sha1)\n\noutput", "(sha1)\n   094123df4792b18a1f0f64f1e2fc609028695f85 (sha1)\n\noutput")),
            LogError::at(13, "\"(sha1)\" is given twice in \"input results for device `/dev/sdb'\" (first on line 12)")
        );
        assert_eq!(
            err(&text.replace("   0 bad sectors", "   O bad sectors")),
            LogError::at(11, "bad sectors replaced by zeros: \"O\" is not a number")
        );
        assert_eq!(
            err(&text.replace(
                "[ok] 094123df4792b18a1f0f64f1e2fc609028695f85",
                "[ok] 094123df4792b18a1f0f64f1e2fc60902869"
            )),
            LogError::at(16, "output sha1: 36 hex digits, but a SHA-1 digest has 40")
        );
        assert_eq!(
            err("dc3dd 7.2.646 started at 2016-01-16 00:03:16 +0100\ninput results for pattern `00':\n   29305206 sectors in\n"),
            LogError::at(2, "the input is a pattern: this is a dc3dd wipe log, not an acquisition")
        );
        // A mismatch is still the digest of the image as read back.
        let mismatch = parse(&text.replace("[ok]", "[MISMATCH]")).unwrap();
        assert_eq!(mismatch.hashes[1].stage, HashStage::VerifyImage);
        assert_eq!(
            mismatch
                .other
                .get("output results for file `image.raw' / sha1 verification")
                .map(String::as_str),
            Some("MISMATCH")
        );
        // A time without a readable offset has no invented zone.
        let local = parse("dc3dd 7.2.646 started at 2022-07-27 21:33:40\n").unwrap();
        assert_eq!(
            local.acquired[0].rfc3339.as_deref(),
            Some("2022-07-27T21:33:40")
        );
        assert_eq!(local.acquired[0].zone, "unknown");
    }
}
