//! `custodian ewf-verify`: re-hash an E01 image's media and compare it
//! with the digests the imager stored.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use custodian::interop::ewf;

use super::common::sanitize;
use super::term::{errln, outln};
use super::{EXIT_ERROR, EXIT_INVALID, EXIT_OK};

/// Verify an E01/EWF image: re-hash its media, compare with the stored digests.
///
/// Reads the whole media stream (every chunk, decompressed), computes MD5
/// and SHA-1, and compares them with the MD5 (hash section) and SHA-1
/// (digest section) the imager stored. Prints the image's case metadata
/// (with the device's model and serial, the acquisition date as stored,
/// and the notes), media size, when the check started and ended (this
/// machine's clock, UTC), time taken, speed, stored and computed digests,
/// and on
/// failure exactly what failed: which chunk fails its checksum or does not
/// decompress (index, media bytes, sectors, segment file and offset), which
/// segment is missing or truncated, which digest differs.
///
/// Exit code: 0 the media matches every stored digest, 1 it does not (or
/// a chunk is damaged, or no digest is stored), 2 the file cannot be opened
/// as an E01.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  custodian ewf-verify /mnt/evidence/laptop.E01")]
pub struct EwfVerifyArgs {
    /// The first segment (.E01) of the image.
    pub image: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: EwfVerifyArgs) -> Result<ExitCode> {
    let v = match ewf::verify(&args.image, &|_| {}) {
        Ok(v) => v,
        Err(e) => {
            errln!("custodian: {e}");
            return Ok(ExitCode::from(if e.is_corruption() {
                EXIT_INVALID
            } else {
                EXIT_ERROR
            }));
        }
    };
    let problems = v.problems();
    if args.json {
        let mut value = serde_json::to_value(&v)?;
        value["seconds"] = serde_json::json!(v.elapsed.as_secs_f64());
        value["intact"] = serde_json::json!(problems.is_empty());
        value["problems"] = serde_json::json!(problems);
        outln!("{}", serde_json::to_string(&value)?);
    } else {
        let secs = v.elapsed.as_secs_f64();
        let none = || "-".to_string();
        let m = &v.metadata;
        let h = |code: &str| v.header.get(code).map(|(_, value)| value.to_string());
        outln!("image:            {}", v.image.display());
        for (k, val) in [
            ("case number", &m.case_number),
            ("evidence number", &m.evidence_number),
            ("examiner", &m.examiner),
            ("description", &m.description),
            ("notes", &h("t").or(m.notes.clone())),
            ("device model", &h("md")),
            ("device serial", &h("sn")),
            ("software", &m.acquisition_software),
        ] {
            outln!(
                "{:<18}{}",
                format!("{k}:"),
                sanitize(&val.clone().unwrap_or_else(none))
            );
        }
        let acquired = v.header.acquired();
        if acquired.is_empty() {
            outln!("acquired:         -");
        }
        for t in &acquired {
            outln!("acquired:         {}", sanitize(&t.to_string()));
        }
        outln!(
            "media size:       {} bytes ({} chunks of {} bytes)",
            v.media_size,
            v.chunks,
            v.chunk_size
        );
        outln!(
            "segments:         {}",
            v.segments
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        outln!(
            "chunk checks:     {} damaged chunk(s) ({})",
            v.chunk_faults_total,
            if v.chunk_checksums_checked {
                "zlib of compressed, Adler-32 of uncompressed chunks"
            } else {
                "zlib of compressed chunks only: not an EWF v1 image"
            }
        );
        outln!("check started:    {}", v.started);
        outln!("check completed:  {}", v.finished);
        outln!(
            "time:             {secs:.3} s ({:.1} MiB/s)",
            v.media_size as f64 / (1 << 20) as f64 / secs.max(1e-9)
        );
        outln!(
            "MD5   stored:     {}",
            v.stored_md5.clone().unwrap_or_else(none)
        );
        outln!("MD5   computed:   {}", v.computed_md5);
        outln!(
            "SHA-1 stored:     {}",
            v.stored_sha1.clone().unwrap_or_else(none)
        );
        outln!("SHA-1 computed:   {}", v.computed_sha1);
        for (first, count) in &v.acquisition_errors {
            outln!("read error at acquisition: sectors {first}..+{count}");
        }
        if problems.is_empty() {
            outln!("verdict:          intact (media matches every stored digest)");
        } else {
            outln!("verdict:          NOT as stored");
        }
    }
    for p in &problems {
        errln!("custodian: {}: {p}", v.image.display());
    }
    Ok(ExitCode::from(if problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_INVALID
    }))
}
