//! `custodian ewf-verify` against images made at run time by the installed
//! `ewfacquire` (ewf-tools) in every format it offers (the `-f` list of
//! `ewfacquire -h`, so a new version's formats are tested too), compressed
//! (`-c fast`, `-c best`) and not (`-c none`), in one segment and in
//! several (`-S 1M`), intact and damaged: a byte altered inside a chunk in
//! a middle segment and in the last segment, the last segment truncated.
//! custodian and `ewfverify` must agree on every image (both intact or both
//! damaged), and on a flipped byte name the same sectors.
//!
//! Without ewf-tools the tests skip, saying so, unless
//! `CUSTODIAN_REQUIRE_EWF` is set (.ci/run sets it): then they fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Whether ewf-tools can be used; panics when it must be and is not.
fn ewf_tools() -> bool {
    let ok = ["ewfacquire", "ewfverify"].iter().all(|t| {
        Command::new(t)
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !ok {
        assert!(
            std::env::var_os("CUSTODIAN_REQUIRE_EWF").is_none(),
            "CUSTODIAN_REQUIRE_EWF is set but ewfacquire/ewfverify (ewf-tools) cannot be run"
        );
        eprintln!("skipped: ewfacquire/ewfverify (ewf-tools) not installed");
    }
    ok
}

/// The formats `ewfacquire -h` lists after `-f:` (up to the next option).
fn formats() -> Vec<String> {
    let out = Command::new("ewfacquire").arg("-h").output().unwrap();
    let help =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let start = help.find("-f:").expect("ewfacquire -h lists no -f option");
    let rest = &help[start + 3..];
    let text = &rest[..rest.find("\n\t-").unwrap_or(rest.len())];
    let list = &text[text.find("options:").expect("-f: without options") + 8..];
    let found: Vec<String> = list
        .split([',', '\n', '\t', ' '])
        .map(|w| w.trim_end_matches('.').to_string())
        .filter(|w| !w.is_empty() && w != "or" && !w.starts_with('('))
        .collect();
    assert!(
        found.iter().any(|f| f == "smart") && found.iter().any(|f| f == "encase6"),
        "unexpected ewfacquire -f list {found:?} in:\n{help}"
    );
    found
}

/// 2 MiB + 77 sectors: 32 KiB blocks alternately text (compressible) and
/// pseudo-random (not), so compressed images hold both compressed chunks
/// and chunks stored as they are, and the last chunk is short.
fn source(dir: &Path) -> PathBuf {
    let size = 2 * 1024 * 1024 + 77 * 512;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = (0..size)
        .map(|i| {
            if (i / 32768) % 2 == 0 {
                b"custodian format matrix line\n"[i % 29]
            } else {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            }
        })
        .collect();
    let raw = dir.join("source.raw");
    std::fs::write(&raw, bytes).unwrap();
    raw
}

/// Runs ewfacquire; returns the segment files, in name order (the first
/// segment first), or None if it refused the combination.
fn acquire(raw: &Path, dir: &Path, format: &str, compression: &str, segment: &str) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let out = Command::new("ewfacquire")
        .args(["-u", "-q", "-t"])
        .arg(dir.join("img"))
        .args(["-f", format, "-c", compression, "-S", segment])
        .args(["-C", "CASE-17", "-D", "format matrix", "-E", "EXH-7"])
        .args(["-e", "J. Doe", "-N", "n", "-d", "sha1"])
        .arg(raw)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ewfacquire -f {format} -c {compression} -S {segment}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut segs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    segs.sort();
    assert!(!segs.is_empty(), "ewfacquire -f {format} wrote nothing");
    segs
}

fn le_u64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().unwrap())
}

/// A file offset in the middle of the chunk data of an EWF v1 segment,
/// found from the format specification, not from custodian: the data of
/// its `sectors` section (E01), or what follows the entries of its `table`
/// section when the chunks are stored there (SMART, EWF).
fn chunk_data_middle(segment: &Path) -> usize {
    let d = std::fs::read(segment).unwrap();
    let mut off = 13usize;
    while off + 76 <= d.len() {
        let kind: Vec<u8> = d[off..off + 16]
            .iter()
            .copied()
            .take_while(|b| *b != 0)
            .collect();
        let next = le_u64(&d[off + 16..]) as usize;
        let size = le_u64(&d[off + 24..]) as usize;
        let entries_end = off
            + 76
            + 24
            + 4 * u32::from_le_bytes(d[off + 76..off + 80].try_into().unwrap()) as usize;
        match kind.as_slice() {
            b"sectors" => return off + 76 + (size - 76) / 2,
            b"table" if off + size > entries_end + 4 => return (entries_end + off + size) / 2,
            _ => {}
        }
        if next <= off {
            break;
        }
        off = next;
    }
    panic!("no chunk data found in {}", segment.display())
}

/// The damage done to a copy of the image.
#[derive(Clone, Copy, Debug)]
enum Damage {
    None,
    FlipMiddleSegment,
    FlipLastSegment,
    TruncateLastSegment,
    /// The last 10 bytes cut: only the closing `done` section is hurt.
    TrimLastSegment,
}

fn damage(segs: &[PathBuf], how: Damage) {
    // Not the last segment (the middle one of three, the first of two).
    let middle = &segs[(segs.len() - 1) / 2];
    let last = &segs[segs.len() - 1];
    match how {
        Damage::None => {}
        Damage::FlipMiddleSegment | Damage::FlipLastSegment => {
            let seg = if matches!(how, Damage::FlipLastSegment) {
                last
            } else {
                middle
            };
            let at = chunk_data_middle(seg);
            let mut b = std::fs::read(seg).unwrap();
            b[at] ^= 0x5a;
            std::fs::write(seg, b).unwrap();
        }
        Damage::TruncateLastSegment | Damage::TrimLastSegment => {
            let len = std::fs::metadata(last).unwrap().len();
            let f = std::fs::OpenOptions::new().write(true).open(last).unwrap();
            f.set_len(if matches!(how, Damage::TrimLastSegment) {
                len - 10
            } else {
                len / 2
            })
            .unwrap();
        }
    }
}

fn is_ewf2(first: &Path) -> bool {
    let b = std::fs::read(first).unwrap();
    b.starts_with(b"EVF2") || b.starts_with(b"LEF2")
}

/// ewfverify's verdict and the sector ranges it lists (`a-b`).
fn ewfverify(first: &Path) -> (bool, Vec<String>) {
    let out = Command::new("ewfverify")
        .arg("-q")
        .arg(first)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let ranges = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("at sector(s): "))
        .filter_map(|l| l.split(" (").next())
        .map(|r| r.replace(" - ", "-"))
        .collect();
    (out.status.success(), ranges)
}

/// One row of the agreement table: format, compression, segments, damage,
/// both verdicts.
fn check(raw: &Path, work: &Path, format: &str, compression: &str, segment: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let made = work.join(format!("{format}-{compression}-{segment}"));
    let segs = acquire(raw, &made, format, compression, segment);
    for how in [
        Damage::None,
        Damage::FlipMiddleSegment,
        Damage::FlipLastSegment,
        Damage::TruncateLastSegment,
        Damage::TrimLastSegment,
    ] {
        let dir = work.join(format!("{format}-{compression}-{segment}-{how:?}"));
        std::fs::create_dir_all(&dir).unwrap();
        let copies: Vec<PathBuf> = segs
            .iter()
            .map(|s| {
                let c = dir.join(s.file_name().unwrap());
                std::fs::copy(s, &c).unwrap();
                c
            })
            .collect();
        damage(&copies, how);
        let (theirs, ranges) = ewfverify(&copies[0]);
        let out = custodian()
            .arg("ewf-verify")
            .arg(&copies[0])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        let code = out.status.code().unwrap_or(-1);
        if is_ewf2(&copies[0]) {
            // An ewfacquire that really writes EWF2 (`encase7-v2`; the
            // 20140813 one falls back to encase6): refused, never judged.
            assert_eq!(code, 2, "-f {format}: {err}");
            assert!(
                err.contains(
                    ": cannot open as an E01/EWF image: unsupported format: EWF version 2"
                ),
                "{err}"
            );
            rows.push(format!(
                "{format:<11} {compression:<5} EWF2: custodian refuses it (exit 2)"
            ));
            std::fs::remove_dir_all(&dir).unwrap();
            continue;
        }
        let what = format!(
            "-f {format} -c {compression} -S {segment} ({} segment(s)), {how:?}: ewfverify {}, custodian exit {code}: {err}",
            segs.len(),
            if theirs { "SUCCESS" } else { "FAILURE" }
        );
        assert!(code == 0 || code == 1, "{what}");
        assert_eq!(code == 0, theirs, "disagreement: {what}");
        assert_eq!(
            theirs,
            matches!(how, Damage::None),
            "ewfverify itself: {what}"
        );
        // One altered byte is one damaged chunk; ewfverify merges the
        // ranges of a truncation, so only flips are compared range by range.
        let flipped = matches!(how, Damage::FlipMiddleSegment | Damage::FlipLastSegment);
        for r in ranges.iter().filter(|_| flipped) {
            assert!(
                err.contains(&format!("sectors {r})")),
                "ewfverify names sectors {r}, custodian does not: {what}"
            );
        }
        rows.push(format!(
            "{format:<11} {compression:<5} {:>2} seg  {:<20} ewfverify {:<7} custodian {}",
            segs.len(),
            format!("{how:?}"),
            if theirs { "intact" } else { "damaged" },
            if code == 0 { "intact" } else { "damaged" }
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::remove_dir_all(&made).unwrap();
    rows
}

/// Every format, one compression, one and several segments.
fn matrix(compression: &str) {
    if !ewf_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let raw = source(tmp.path());
    let mut rows = Vec::new();
    for format in formats() {
        for segment in ["64M", "1M"] {
            rows.extend(check(&raw, tmp.path(), &format, compression, segment));
        }
    }
    // The table, for `cargo test -- --nocapture`.
    println!("{}", rows.join("\n"));
}

#[test]
fn every_ewfacquire_format_uncompressed() {
    matrix("none");
}

#[test]
fn every_ewfacquire_format_compressed_fast() {
    matrix("fast");
}

#[test]
fn every_ewfacquire_format_compressed_best() {
    matrix("best");
}

/// A SMART image in several segments whose chunks are incompressible: the
/// last chunk of each segment's table is stored (zlib "stored" blocks) a
/// little larger than the chunk, which the `ewf` crate's table cut short.
/// Intact, with the metadata read.
#[test]
fn smart_multi_segment_reads_every_last_chunk() {
    if !ewf_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let raw = source(tmp.path());
    let segs = acquire(&raw, &tmp.path().join("s"), "smart", "none", "1M");
    assert!(segs.len() >= 3, "{segs:?}");
    assert!(segs[0].to_str().unwrap().ends_with(".s01"));
    let out = custodian()
        .args(["ewf-verify", "--json"])
        .arg(&segs[0])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], true, "{v}");
    assert_eq!(v["segments"].as_array().unwrap().len(), segs.len(), "{v}");
    assert_eq!(v["media_size"], 2 * 1024 * 1024 + 77 * 512);
    assert_eq!(v["metadata"]["case_number"], "CASE-17", "{v}");
    assert_eq!(v["chunk_faults_total"], 0);
}

/// The sections of a segment file: (type, descriptor offset, size).
fn sections(d: &[u8]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut off = 13usize;
    while off + 76 <= d.len() {
        let kind: Vec<u8> = d[off..off + 16]
            .iter()
            .copied()
            .take_while(|b| *b != 0)
            .collect();
        let next = le_u64(&d[off + 16..]) as usize;
        let size = le_u64(&d[off + 24..]) as usize;
        out.push((String::from_utf8(kind).unwrap(), off, size));
        if next <= off {
            break;
        }
        off = next;
    }
    out
}

/// Damage to each section of each segment, not only to the media: a byte
/// of its descriptor (its type), a byte of its data (the tenth), in four
/// formats of both layouts (chunks in `sectors` sections: encase6, ftk;
/// chunks inside the `table` section: smart, ewf). custodian and ewfverify
/// agree on each: a damaged descriptor, header, volume, data, table,
/// table2, hash or digest section is refused by both.
#[test]
fn section_damage_agrees_with_ewfverify() {
    if !ewf_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let raw = source(tmp.path());
    let mut rows = Vec::new();
    for format in ["encase6", "smart", "ftk", "ewf"] {
        let segs = acquire(&raw, &tmp.path().join(format), format, "fast", "1M");
        for (i, seg) in segs.iter().enumerate() {
            let bytes = std::fs::read(seg).unwrap();
            for (kind, off, size) in sections(&bytes) {
                for (part, at) in [
                    ("descriptor", off + 3),
                    ("data", off + 76 + 10.min(size.saturating_sub(77))),
                ] {
                    if at >= bytes.len() || (part == "data" && size <= 76) {
                        continue;
                    }
                    let dir = tmp.path().join("copy");
                    let _ = std::fs::remove_dir_all(&dir);
                    std::fs::create_dir_all(&dir).unwrap();
                    let copies: Vec<PathBuf> = segs
                        .iter()
                        .map(|s| {
                            let c = dir.join(s.file_name().unwrap());
                            std::fs::copy(s, &c).unwrap();
                            c
                        })
                        .collect();
                    let mut b = bytes.clone();
                    b[at] ^= 0x41;
                    std::fs::write(&copies[i], b).unwrap();
                    let (theirs, _) = ewfverify(&copies[0]);
                    let out = custodian()
                        .arg("ewf-verify")
                        .arg(&copies[0])
                        .output()
                        .unwrap();
                    let code = out.status.code().unwrap_or(-1);
                    let what = format!(
                        "-f {format}: segment {} {kind} section {part} (byte {at}): ewfverify {}, custodian exit {code}: {}",
                        i + 1,
                        if theirs { "SUCCESS" } else { "FAILURE" },
                        String::from_utf8_lossy(&out.stderr)
                    );
                    assert!(code == 0 || code == 1, "{what}");
                    assert_eq!(code == 0, theirs, "disagreement: {what}");
                    rows.push(format!(
                        "{format:<8} seg {} {kind:<8} {part:<10} both {}",
                        i + 1,
                        if theirs { "intact" } else { "damaged" }
                    ));
                }
            }
        }
    }
    println!("{}", rows.join("\n"));
}

/// Formats custodian does not read are refused by name, exit 2, one line:
/// never "damaged", never "intact".
#[test]
fn unsupported_formats_are_named_not_judged() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, sig, says) in [
        (
            "disk.Ex01",
            &b"EVF2\r\n\x81\x00"[..],
            "unsupported format: EWF version 2 (Ex01",
        ),
        (
            "files.Lx01",
            &b"LEF2\r\n\x81\x00"[..],
            "unsupported format: EWF version 2 logical evidence (Lx01)",
        ),
        (
            "files.L01",
            &b"LVF\x09\x0d\x0a\xff\x00"[..],
            "unsupported format: EWF logical evidence (L01)",
        ),
    ] {
        let path = tmp.path().join(name);
        let mut bytes = sig.to_vec();
        bytes.extend(std::iter::repeat_n(0u8, 4096));
        std::fs::write(&path, bytes).unwrap();
        let out = custodian().arg("ewf-verify").arg(&path).output().unwrap();
        expect_code(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!(
                "{}: cannot open as an E01/EWF image: {says}",
                path.display()
            )),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

/// 160 MiB, sparse (zeros) but for pseudo-random 8 KiB blocks: the first
/// 120 (about 1 MiB, so that they fill the first 1 MiB segment) and one in
/// 997 after them. With `-b 16` (8 KiB chunks) that is 20,480 chunks, more
/// than one table holds (16,375 in EnCase 2-5, FTK, linen 5), and a chunk
/// read under the wrong table, or one dropped or repeated where one table
/// ends and the next begins, changes the digest.
fn many_chunk_source(dir: &Path) -> PathBuf {
    use std::io::{Seek, SeekFrom, Write};
    let (size, chunk) = (160u64 << 20, 8192u64);
    let raw = dir.join("many.raw");
    let mut f = std::fs::File::create(&raw).unwrap();
    f.set_len(size).unwrap();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for c in (0..size / chunk).filter(|c| *c < 120 || c % 997 == 0) {
        let block: Vec<u8> = (0..chunk)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        f.seek(SeekFrom::Start(c * chunk)).unwrap();
        f.write_all(&block).unwrap();
    }
    raw
}

/// ewfverify's `MD5 hash calculated over data` and `SHA1 …` (`-d sha1`).
fn ewfverify_digests(first: &Path) -> (String, String) {
    let out = Command::new("ewfverify")
        .args(["-q", "-d", "sha1"])
        .arg(first)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let find = |label: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("ewfverify prints no {label:?}: {text}"))
    };
    (
        find("MD5 hash calculated over data:"),
        find("SHA1 hash calculated over data:"),
    )
}

/// Where the entries of each `table` section of a segment lie, by the
/// specification: (descriptor offset, entry count, first entry's file
/// offset, base offset).
fn tables(d: &[u8]) -> Vec<(usize, usize, usize, u64)> {
    sections(d)
        .into_iter()
        .filter(|(kind, _, _)| kind == "table")
        .map(|(_, off, _)| {
            let count = u32::from_le_bytes(d[off + 76..off + 80].try_into().unwrap());
            (off, count as usize, off + 100, le_u64(&d[off + 84..]))
        })
        .collect()
}

/// File offset of chunk `i` of a table, by its entry.
fn entry_offset(d: &[u8], table: (usize, usize, usize, u64), i: usize) -> usize {
    let at = table.2 + 4 * i;
    let v = u32::from_le_bytes(d[at..at + 4].try_into().unwrap());
    (table.3 + u64::from(v & 0x7fff_ffff)) as usize
}

/// An image whose chunks span several table sections, in one segment
/// and across segments (`-b 16 -S 1M`: the second segment holds a table
/// of 16,375 chunks and another after it), is read table by table: the
/// digests equal ewfverify's and the stored MD5; a byte altered in the
/// last chunk of the first table and in the second chunk of the second
/// is located at the sectors ewfverify names; and a damaged second table
/// is read from its table2 mirror, every chunk still in its place.
#[test]
fn many_table_sections_are_read_in_order() {
    if !ewf_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let raw = many_chunk_source(tmp.path());
    let made = tmp.path().join("img");
    std::fs::create_dir_all(&made).unwrap();
    let out = Command::new("ewfacquire")
        .args(["-u", "-q", "-t"])
        .arg(made.join("img"))
        .args(["-f", "encase5", "-c", "empty-block", "-b", "16", "-S", "1M"])
        .args(["-C", "CASE-18", "-e", "J. Doe", "-d", "sha1"])
        .arg(&raw)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut segs: Vec<PathBuf> = std::fs::read_dir(&made)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    segs.sort();
    assert!(segs.len() >= 2, "{segs:?}");
    let (seg, bytes, t) = segs
        .iter()
        .find_map(|s| {
            let d = std::fs::read(s).unwrap();
            let t = tables(&d);
            (t.len() >= 2).then(|| (s.clone(), d, t))
        })
        .expect("no segment holds two table sections: ewfacquire changed its layout");
    assert!(t[0].1 >= 16_375, "{t:?}");

    // Intact: the same digests as ewfverify, and as stored.
    let (md5, sha1) = ewfverify_digests(&segs[0]);
    let verify = |first: &Path| {
        let out = custodian()
            .args(["ewf-verify", "--json"])
            .arg(first)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            out.status.code(),
            v,
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, v, err) = verify(&segs[0]);
    assert_eq!(code, Some(0), "{err}\n{v}");
    assert_eq!(v["computed_md5"], md5.as_str(), "{v}");
    assert_eq!(v["stored_md5"], md5.as_str(), "{v}");
    assert_eq!(v["computed_sha1"], sha1.as_str(), "{v}");
    assert_eq!(v["chunks"], 20_480, "{v}");
    assert_eq!(v["segments"].as_array().unwrap().len(), segs.len(), "{v}");
    assert_eq!(v["metadata"]["case_number"], "CASE-18", "{v}");

    // A copy of the image with one segment changed by `change`.
    let copy = |name: &str, change: &dyn Fn(&mut Vec<u8>)| -> Vec<PathBuf> {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        segs.iter()
            .map(|s| {
                let c = dir.join(s.file_name().unwrap());
                let mut b = std::fs::read(s).unwrap();
                if *s == seg {
                    change(&mut b);
                }
                std::fs::write(&c, b).unwrap();
                c
            })
            .collect()
    };

    // Altered chunks on both sides of the table boundary (not next to
    // each other: ewfverify would name them as one range).
    let last_of_first = entry_offset(&bytes, t[0], t[0].1 - 1);
    let second_of_second = entry_offset(&bytes, t[1], 1);
    let flipped = copy("flipped", &|b| {
        b[last_of_first + 4] ^= 0x5a;
        b[second_of_second + 4] ^= 0x5a;
    });
    let (theirs, ranges) = ewfverify(&flipped[0]);
    assert!(!theirs);
    assert_eq!(ranges.len(), 2, "ewfverify: {ranges:?}");
    let (code, v, err) = verify(&flipped[0]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(v["chunk_faults_total"], 2, "{v}");
    for r in &ranges {
        assert!(
            err.contains(&format!("sectors {r})")),
            "ewfverify names {r}: {err}"
        );
    }

    // The second table's entries damaged: its table2 mirror is read.
    let mirrored = copy("mirrored", &|b| b[t[1].2 + 8] ^= 0x01);
    let (code, v, err) = verify(&mirrored[0]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(v["computed_md5"], md5.as_str(), "{v}");
    assert_eq!(v["chunk_faults_total"], 0, "{v}");
    let faults = v["section_faults"].as_array().unwrap();
    assert_eq!(faults.len(), 1, "{v}");
    assert!(
        faults[0]
            .as_str()
            .unwrap()
            .ends_with("table entries checksum mismatch; its table2 mirror is read instead"),
        "{v}"
    );
}
