//! FTK Imager's image summary (`IMAGE.E01.txt`, `IMAGE.001.txt`,
//! `IMAGE.ad1.txt`): a "Created By … FTK® Imager VERSION" line, then
//! sections headed `Name:` at the left margin ("Case Information:",
//! "Image Information:", "Image Verification Results:", "ATTENTION:")
//! or `[Name]` ("[Drive Geometry]", "[Computed Hashes]"), holding
//! ` Name: value` rows (docs/spec/import-logs.md §4).

use super::log::{
    first_line, key, local_time, numbered_lines, shown, split_field, HashStage, LogError,
    ParsedLog, Recorder,
};
use crate::provenance::SectorRange;

/// `ctime()` style, the machine's local time: "Wed Aug 13 00:10:23 2025".
const TIME_FORMATS: &[&str] = &["%a %b %d %H:%M:%S %Y"];

/// The sections this parser reads; any other heading ends the current
/// section and its rows are skipped.
const SECTIONS: &[&str] = &[
    "case information",
    "physical evidentiary item (source) information",
    "image information",
    "image verification results",
    "attention",
    "[device info]",
    "[drive geometry]",
    "[physical drive information]",
    "[image]",
    "[computed hashes]",
];

/// The signature line: "Created By AccessData® FTK® Imager 4.7.1.2" (or
/// Exterro® since 2021). The registered signs are not compared, so a
/// UTF-8 log read as Latin-1 still matches; the version is the word after
/// "Imager".
fn signature(line: &str) -> Option<Option<String>> {
    let line = line.trim();
    let rest = line.strip_prefix("Created By ")?;
    if !rest.contains("FTK") {
        return None;
    }
    let (_, after) = rest.split_once("Imager")?;
    Some(after.split_whitespace().next().map(str::to_string))
}

/// `491584 through 491591`: inclusive.
fn sector_range(text: &str, line: usize) -> Result<SectorRange, LogError> {
    let bad = || {
        LogError::at(
            line,
            format!(
                "unreadable sectors: {:?} is not \"FIRST through LAST\"",
                shown(text)
            ),
        )
    };
    let (a, b) = text.split_once(" through ").ok_or_else(bad)?;
    let first = super::log::parse_count(a).ok_or_else(bad)?;
    let last = super::log::parse_count(b).ok_or_else(bad)?;
    if last < first {
        return Err(bad());
    }
    let count = (last - first).checked_add(1).ok_or_else(bad)?;
    // The run must end inside the sector numbers (first + count, exclusive).
    first.checked_add(count).ok_or_else(bad)?;
    Ok(SectorRange { first, count })
}

pub(super) fn parse(text: &str) -> Result<ParsedLog, LogError> {
    let version = match first_line(text) {
        Some((_, l)) => signature(l).ok_or_else(|| {
            LogError::Whole(format!(
                "not an FTK Imager log: its first line is {:?}, not \"Created By AccessData® FTK® Imager VERSION\"",
                shown(l.trim())
            ))
        })?,
        None => return Err(LogError::Whole("not an FTK Imager log: it is empty".into())),
    };
    let mut r = Recorder::default();
    if let (Some(v), Some((n, _))) = (&version, first_line(text)) {
        r.text(|l| &mut l.tool_version, "tool version", "Created By", v, n)?;
    }
    let mut section = String::new();
    let mut known = false;
    let mut in_segments = false;
    for (n, raw) in numbered_lines(text)
        .skip_while(|(_, l)| l.trim().is_empty())
        .skip(1)
    {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            in_segments = false;
            continue;
        }
        if in_segments && raw.starts_with("  ") {
            r.log.image_files.push(trimmed.to_string());
            continue;
        }
        in_segments = false;
        let at_margin = !raw.starts_with(char::is_whitespace);
        // Headings: "[Name]", or "Name:" with nothing after the colon.
        let heading = if trimmed.starts_with('[') && trimmed.ends_with(']') {
            Some(trimmed.to_string())
        } else if trimmed.starts_with("ATTENTION:") {
            Some("ATTENTION".to_string())
        } else if at_margin && trimmed.ends_with(':') {
            // "Examiner:" with nothing stated also ends in a colon: only
            // the known headings are headings.
            trimmed
                .strip_suffix(':')
                .map(|s| s.trim().to_string())
                .filter(|h| SECTIONS.contains(&key(h).as_str()))
        } else {
            None
        };
        if let Some(h) = heading {
            known = SECTIONS.contains(&key(&h).as_str());
            section = h;
            continue;
        }
        if let Some(source) = trimmed
            .strip_prefix("Information for ")
            .and_then(|s| s.strip_suffix(':'))
        {
            r.field("", "Information for", n)?;
            r.other("", "Information for", source);
            known = false;
            continue;
        }
        if !known {
            continue;
        }
        if key(&section) == "attention" {
            if trimmed.contains(" through ") {
                // The range may follow the sentence on the same line.
                let text = trimmed.rsplit(':').next().unwrap_or(trimmed).trim();
                let range = sector_range(text, n)?;
                r.log.bad_sectors.push(range);
            }
            continue;
        }
        let Some((name, value)) = split_field(raw) else {
            continue;
        };
        row(&mut r, &section, &name, value, n, &mut in_segments)?;
    }
    Ok(r.log)
}

fn row(
    r: &mut Recorder,
    section: &str,
    name: &str,
    value: &str,
    n: usize,
    in_segments: &mut bool,
) -> Result<(), LogError> {
    let s = key(section);
    let k = key(name);
    let hash_alg = match k.as_str() {
        "md5 checksum" => Some("md5"),
        "sha1 checksum" => Some("sha1"),
        "sha256 checksum" => Some("sha256"),
        _ => None,
    };
    match (s.as_str(), k.as_str()) {
        ("case information", "case number") => {
            r.field(section, name, n)?;
            r.text(|l| &mut l.case_number, "case number", name, value, n)
        }
        ("case information", "evidence number") => {
            r.field(section, name, n)?;
            r.text(
                |l| &mut l.evidence_number,
                "evidence number",
                name,
                value,
                n,
            )
        }
        ("case information", "unique description") => {
            r.field(section, name, n)?;
            r.text(|l| &mut l.description, "description", name, value, n)
        }
        ("case information", "examiner") => {
            r.field(section, name, n)?;
            r.text(|l| &mut l.examiner, "examiner", name, value, n)
        }
        ("case information", "notes") => {
            r.field(section, name, n)?;
            r.text(|l| &mut l.notes, "notes", name, value, n)
        }
        ("case information", "acquired using") => {
            r.field(section, name, n)?;
            r.other(section, name, value);
            Ok(())
        }
        ("[drive geometry]", "bytes per sector") => {
            r.field(section, name, n)?;
            r.count(|l| &mut l.sector_size, "sector size", name, value, n)
        }
        ("[drive geometry]" | "[image]" | "[physical drive information]", "sector count") => {
            r.field(section, name, n)?;
            r.count(|l| &mut l.sector_count, "sector count", name, value, n)
        }
        ("[physical drive information]", "drive model") => {
            r.field(section, name, n)?;
            r.text(|l| &mut l.model, "model", name, value, n)
        }
        ("[physical drive information]", "drive serial number") => {
            r.field(section, name, n)?;
            r.text(|l| &mut l.serial, "serial", name, value, n)
        }
        ("[device info]" | "[drive geometry]" | "[physical drive information]" | "[image]", _) => {
            r.field(section, name, n)?;
            r.other(section, name, value);
            Ok(())
        }
        ("[computed hashes]", _) => {
            let Some(alg) = hash_alg else { return Ok(()) };
            r.field(section, name, n)?;
            r.hash(alg, HashStage::Acquisition, name, value, n)
        }
        ("image information", "acquisition started") => {
            r.field(section, name, n)?;
            r.log
                .acquired
                .push(local_time(name, value, value, TIME_FORMATS));
            Ok(())
        }
        ("image information", "acquisition finished") => {
            r.field(section, name, n)?;
            r.log
                .finished
                .push(local_time(name, value, value, TIME_FORMATS));
            Ok(())
        }
        ("image information", "segment list") => {
            r.field(section, name, n)?;
            *in_segments = true;
            Ok(())
        }
        ("image verification results", "verification started" | "verification finished") => {
            r.field(section, name, n)?;
            r.other(section, name, value);
            Ok(())
        }
        ("image verification results", _) => {
            let Some(alg) = hash_alg else { return Ok(()) };
            r.field(section, name, n)?;
            // "<hex> : verified", or ": does NOT match (…)".
            let (digest, verdict) = match value.split_once(':') {
                Some((d, v)) => (d.trim(), v.trim()),
                None => (value, ""),
            };
            r.hash(alg, HashStage::VerifyImage, name, digest, n)?;
            r.other(section, &format!("{name} result"), verdict);
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

    const DISKDRIGGER: &[u8] =
        include_bytes!("../../../../fixtures/import/ftk/DiskDrigger.ad1.txt");
    const HORCRUX: &[u8] = include_bytes!("../../../../fixtures/import/ftk/Horcrux.E01.txt");
    const RECIPE: &[u8] = include_bytes!("../../../../fixtures/import/ftk/recipe_usb.E01.txt");

    #[test]
    fn recipe_usb_physical_drive_utf8_bom_crlf() {
        let (enc, log) = parse_log(LogFormat::Ftk, RECIPE).unwrap();
        assert_eq!(enc, TextEncoding::Utf8);
        assert_eq!(log.tool_version.as_deref(), Some("4.7.1.2"));
        assert_eq!(
            log.model.as_deref(),
            Some("SanDisk Cruzer Blade USB Device")
        );
        assert_eq!(log.serial.as_deref(), Some("0875920F047172B7"));
        assert_eq!(log.sector_size, Some(512));
        // "7.856.127" in [Drive Geometry], "7856127" in [Physical Drive
        // Information]: the same number.
        assert_eq!(log.sector_count, Some(7_856_127));
        assert_eq!(log.case_number.as_deref(), Some("BrunnerCTF"));
        assert_eq!(log.evidence_number.as_deref(), Some("Digging For Treasure"));
        assert_eq!(log.description, None);
        assert_eq!(log.examiner.as_deref(), Some("You!"));
        assert_eq!(log.notes, None);
        let md5 = "3e6daf20ce837abc27c6841d379eae66";
        let sha1 = "20f3565203bccc47cbf6045aead1ac7fc2a10d39";
        assert_eq!(
            log.hashes,
            vec![
                h("md5", HashStage::Acquisition, md5, 32),
                h("sha1", HashStage::Acquisition, sha1, 33),
                h("md5", HashStage::VerifyImage, md5, 44),
                h("sha1", HashStage::VerifyImage, sha1, 45),
            ]
        );
        assert_eq!(
            log.acquired,
            vec![local(
                "Acquisition started",
                "Wed Aug 13 00:10:23 2025",
                "2025-08-13T00:10:23"
            )]
        );
        assert_eq!(
            log.finished,
            vec![local(
                "Acquisition finished",
                "Wed Aug 13 00:19:15 2025",
                "2025-08-13T00:19:15"
            )]
        );
        assert_eq!(
            log.image_files,
            vec![r"C:\Users\User\recipe_usb.E01".to_string()]
        );
        assert_eq!(
            log.other.get("Information for").map(String::as_str),
            Some(r"C:\Users\User\recipe_usb")
        );
        assert_eq!(
            log.other
                .get("Image Verification Results / MD5 checksum result")
                .map(String::as_str),
            Some("verified")
        );
        assert_eq!(
            log.other
                .get("[Physical Drive Information] / Source data size")
                .map(String::as_str),
            Some("3835 MB")
        );
        assert!(log.bad_sectors.is_empty());
        assert_eq!(log.bad_sector_count, None);
    }

    #[test]
    fn horcrux_fourteen_segments_and_comma_grouping() {
        let (_, log) = parse_log(LogFormat::Ftk, HORCRUX).unwrap();
        assert_eq!(log.tool_version.as_deref(), Some("4.1.1.1"));
        assert_eq!(log.sector_count, Some(104_857_600));
        assert_eq!(log.sector_size, Some(512));
        assert_eq!((log.model.clone(), log.serial.clone()), (None, None));
        assert_eq!(log.description.as_deref(), Some("Lbh'er n jvmneq Uneel!"));
        assert_eq!(log.examiner.as_deref(), Some("Minerva"));
        assert_eq!(log.image_files.len(), 14);
        assert_eq!(
            log.image_files.last().map(String::as_str),
            Some(r"C:\Users\amanda.johnson01\Downloads\Horcrux\Horcrux.E14")
        );
        assert_eq!(
            log.hashes
                .iter()
                .map(|h| (h.algorithm.as_str(), h.stage, h.line))
                .collect::<Vec<_>>(),
            vec![
                ("md5", HashStage::Acquisition, 31),
                ("sha1", HashStage::Acquisition, 32),
                ("md5", HashStage::VerifyImage, 56),
                ("sha1", HashStage::VerifyImage, 57),
            ]
        );
        assert_eq!(
            log.other
                .get("[Drive Geometry] / Cylinders")
                .map(String::as_str),
            Some("6,527")
        );
    }

    #[test]
    fn diskdrigger_logical_ad1() {
        let (_, log) = parse_log(LogFormat::Ftk, DISKDRIGGER).unwrap();
        assert_eq!(log.tool_version.as_deref(), Some("4.5.0.3"));
        assert_eq!(log.case_number, None);
        assert_eq!(log.sector_count, None);
        assert_eq!(
            log.image_files,
            vec![r"D:\Users\Mawso3a\Desktop\DiskDrigger.ad1".to_string()]
        );
        assert_eq!(
            log.hashes,
            vec![
                h(
                    "md5",
                    HashStage::Acquisition,
                    "9471e69c95d8909ae60ddff30d50ffa1",
                    13
                ),
                h(
                    "sha1",
                    HashStage::Acquisition,
                    "167aa08db25dfeeb876b0176ddc329a3d9f2803a",
                    14
                ),
                h(
                    "md5",
                    HashStage::VerifyImage,
                    "9471e69c95d8909ae60ddff30d50ffa1",
                    25
                ),
                h(
                    "sha1",
                    HashStage::VerifyImage,
                    "167aa08db25dfeeb876b0176ddc329a3d9f2803a",
                    26
                ),
            ]
        );
        assert_eq!(
            log.acquired[0].rfc3339.as_deref(),
            Some("2021-06-15T12:28:20")
        );
    }

    #[test]
    fn utf16le_with_bom_reads_like_the_utf8_original() {
        let bytes = include_bytes!(
            "../../../../fixtures/import/ftk/hostile/recipe_usb-utf16le-bom.E01.txt"
        );
        let (enc, log) = parse_log(LogFormat::Ftk, bytes).unwrap();
        assert_eq!(enc, TextEncoding::Utf16Le);
        assert_eq!(log, parse_log(LogFormat::Ftk, RECIPE).unwrap().1);
    }

    #[test]
    fn a_serial_given_twice_is_refused_at_the_second_line() {
        let bytes = include_bytes!(
            "../../../../fixtures/import/ftk/hostile/recipe_usb-serial-twice.E01.txt"
        );
        assert_eq!(
            parse_log(LogFormat::Ftk, bytes).unwrap_err(),
            LogError::at(
                27,
                "\"Drive Serial Number\" is given twice in \"[Physical Drive Information]\" (first on line 26)"
            )
        );
    }

    #[test]
    fn refusals_and_bad_sectors() {
        let text = std::str::from_utf8(HORCRUX).unwrap();
        let err = |t: &str| parse(t).unwrap_err();
        assert_eq!(
            err("Case Information:\nAcquired using: FTK\n"),
            LogError::Whole("not an FTK Imager log: its first line is \"Case Information:\", not \"Created By AccessData® FTK® Imager VERSION\"".into())
        );
        // Two fields stating the sector count differently.
        let differ = text.replace(" Sector count:    104857600", " Sector count:    104857601");
        assert_eq!(
            err(&differ),
            LogError::at(29, "\"Sector count\" states sector count 104857601, but \"Sector Count\" on line 23 states 104857600")
        );
        let bad = text.replace("Sector Count: 104,857,600", "Sector Count: 104,857,6OO");
        assert_eq!(
            err(&bad),
            LogError::at(23, "Sector Count: \"104,857,6OO\" is not a number")
        );
        let sha1_short = text.replace(
            " SHA1 checksum:   0fa6ab4bd9a707d49ded70e8b9198fe18114b369\n\nImage",
            " SHA1 checksum:   0fa6ab4bd9a707d49ded70e8b9198fe18114b36\n\nImage",
        );
        assert_eq!(
            err(&sha1_short),
            LogError::at(
                32,
                "SHA1 checksum: 39 hex digits, but a SHA-1 digest has 40"
            )
        );
        let attention = text.replace(
            "\nImage Verification Results:",
            "\nATTENTION:\nThe following sector(s) on the source drive could not be read:\n\t491584 through 491591\n\t491928 through 491935\nThe contents of these sectors were replaced with zeros in the image.\n\nImage Verification Results:",
        );
        let log = parse(&attention).unwrap();
        assert_eq!(
            log.bad_sectors,
            vec![
                SectorRange {
                    first: 491584,
                    count: 8
                },
                SectorRange {
                    first: 491928,
                    count: 8
                }
            ]
        );
        assert_eq!(log.hashes.len(), 4);
        // The Exterro signature.
        let exterro = text.replace("AccessData®", "Exterro®");
        assert_eq!(
            parse(&exterro).unwrap().tool_version.as_deref(),
            Some("4.1.1.1")
        );
    }
}
