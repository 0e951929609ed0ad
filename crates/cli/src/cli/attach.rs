//! `custodian attach`: store a photo, scan, form or log in the case and
//! record it in a signed entry.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use custodian::attachment::{attach, AttachRequest, Kind};
use serde_json::json;

use super::args::KeyArg;
use super::common::{open_case, print_json, sanitize};
use super::term::outln;

/// Attach a file that documents the case or an exhibit: a photo of the seal
/// or of the device in place, the scanned warrant, the signed seizure form,
/// a log.
///
/// The file is stored in the case folder under its SHA-256
/// (attachments/sha256/HEX, read-only), byte for byte: nothing is stripped,
/// not even a photo's GPS position. A signed attachment.add entry records
/// its digest, size, the media type recognised from its content, its name,
/// the kind and description you give, the exhibit (or the case) and the
/// entry it documents, and for an image the EXIF capture time and camera as
/// found in the file. `custodian verify` re-hashes every stored attachment.
///
/// Refused (exit 2, nothing recorded): a symbolic link, a folder, a FIFO or
/// device, a file over 512 MiB (acquire it as an exhibit instead), a file
/// that changes while it is read.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian attach cases/0042 seal-bag17.jpg --exhibit EXH-001 --kind photo \\\n      --description \"Seal 0042-17 intact, before opening\" --entry 7\n  custodian attach cases/0042 warrant-26-1187.pdf --case --kind scan --description \"Search warrant 26/1187\""
)]
pub struct AttachArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The file to attach.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The exhibit it documents.
    #[arg(
        long,
        value_name = "ID",
        required_unless_present = "whole_case",
        conflicts_with = "whole_case"
    )]
    pub exhibit: Option<String>,
    /// It documents the case as a whole (a warrant, a seizure form for
    /// several exhibits).
    #[arg(long = "case", id = "whole_case")]
    pub whole_case: bool,
    /// What it is: photo, scan, form, log or other.
    #[arg(long, value_name = "KIND")]
    pub kind: Kind,
    /// What it documents, in your words.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// The `seq` of the earlier entry it documents (a seal, a transfer …).
    #[arg(long, value_name = "SEQ")]
    pub entry: Option<u64>,
    /// Print the recorded entry as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub key: KeyArg,
}

pub fn run(args: AttachArgs) -> Result<ExitCode> {
    if args
        .description
        .as_deref()
        .is_some_and(|d| d.trim().is_empty())
    {
        bail!("the description is blank: leave --description out to record it as not stated");
    }
    let case = open_case(&args.case)?;
    let key = args.key.load()?;
    let req = AttachRequest {
        file: args.file.clone(),
        kind: args.kind,
        description: args.description.clone(),
        exhibit: args.exhibit.clone(),
        entry: args.entry,
    };
    let done = attach(&case, &key, &req).with_context(|| {
        format!(
            "cannot attach {} to case {}",
            args.file.display(),
            args.case.display()
        )
    })?;
    if args.json {
        print_json(&json!({
            "seq": done.appended.entry.seq,
            "head": done.appended.hash.to_string(),
            "stored": done.stored.rel_path,
            "already_stored": done.stored.already_stored,
            "body": done.body,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let b = &done.body;
    outln!(
        "attached {} ({}, {}, {} bytes) to {}",
        sanitize(&b.name),
        b.kind,
        b.media_type,
        b.bytes,
        b.exhibit
            .as_ref()
            .map_or_else(|| "the case".to_string(), |e| format!("exhibit {e}"))
    );
    outln!("  sha256: {}", b.sha256);
    outln!(
        "  stored: {}{}",
        done.stored.rel_path,
        if done.stored.already_stored {
            " (the same content was already stored)"
        } else {
            ""
        }
    );
    if let Some(x) = &b.exif {
        if let Some(t) = &x.captured {
            outln!(
                "  captured: {} (as found in the file)",
                sanitize(&t.to_string())
            );
        }
        let camera = [x.camera_make.as_deref(), x.camera_model.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !camera.is_empty() {
            outln!("  camera: {} (as found in the file)", sanitize(&camera));
        }
        if x.gps {
            outln!("  the file holds a GPS position (kept in the stored file, not copied into the ledger)");
        }
    }
    outln!(
        "  entry: {} (head {})",
        done.appended.entry.seq,
        done.appended.hash
    );
    Ok(ExitCode::SUCCESS)
}
