//! Command-line interface: argument parsing and printing only. Every
//! subcommand calls into the library; nothing here touches a ledger directly.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod acquire;
mod args;
pub mod attach;
pub mod checkpoint;
mod common;
pub mod custody;
pub mod demo;
pub mod diff;
pub mod ewf;
pub mod export;
pub mod hash;
pub mod hashset;
pub mod import;
pub mod index;
pub mod init;
pub mod key;
pub mod label;
pub mod log;
pub mod note;
pub mod package;
mod progress;
pub mod prove;
pub mod repair;
pub mod report;
pub mod shell;
pub mod signer;
mod term;
pub mod timestamp;
pub mod verify;
pub mod version;
mod words;

/// Exit code: everything checked is as recorded.
pub const EXIT_OK: u8 = 0;
/// Exit code: something is not as recorded (ledger, manifest or evidence).
pub const EXIT_INVALID: u8 = 1;
/// Exit code: usage or operational error (bad flag, unreadable case, I/O).
pub const EXIT_ERROR: u8 = 2;

const AFTER_HELP: &str = "\
Exit codes:
  0  everything checked is as recorded
  1  something is not as recorded (ledger, manifest or evidence)
  2  usage or operational error (bad flag, missing case, unreadable file)

Environment:
  CUSTODIAN_KEY         signing key for commands that append (--key)
  CUSTODIAN_PASSPHRASE  passphrase of an encrypted key, for scripts
  CUSTODIAN_HASHSETS    hash-set store folder (hashset, acquire --hashset)
  CUSTODIAN_INDEX       the cross-case index: SQLite file or postgres:// URL (--index)
  CUSTODIAN_STATE_DIR   where appends keep their verified-state records
                        (default $XDG_STATE_HOME/custodian); CUSTODIAN_NO_CACHE=1
                        makes every append re-verify the whole ledger

Start with `custodian demo`, then read docs/README.md (docs/spec/ledger.md is the spec).";

/// Offline forensic evidence cataloguing with a signed, hash-chained custody ledger.
///
/// custodian catalogues seized data with strong hashes and records every
/// action on every exhibit in a signed, append-only, hash-chained JSON ledger
/// inside a case folder. Anyone can verify a ledger offline, with custodian or
/// with stock tools (ssh-keygen, sha256sum, a JSON canonicaliser).
#[derive(Parser, Debug)]
#[command(name = "custodian", version = version::VERSION_LINE, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Colour verdict lines: auto (on a terminal, unless NO_COLOR is set
    /// or TERM=dumb), always or never.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        global = true
    )]
    pub color: term::ColorWhen,
    /// Plain ASCII output for old consoles and printers: custodian's
    /// symbols spelled out ("..." for "…"), other characters as \u{…}
    /// escapes. JSON and the machine formats are unchanged.
    #[arg(long, global = true)]
    pub ascii: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Build a throw-away case from the bundled sample and verify it.
    Demo(demo::DemoArgs),
    /// Create a case folder and open its ledger.
    Init(init::InitArgs),
    /// Make and inspect OpenSSH ed25519 signing keys.
    Key(key::KeyArgs),
    /// Add or revoke a trusted signer of a case.
    Signer(signer::SignerArgs),
    /// List a case's signers, or print them as an allowed_signers file.
    Signers(signer::SignersArgs),
    /// Catalogue files or folders as an exhibit (manifest + signed entry).
    Acquire(acquire::AcquireArgs),
    /// Import an acquisition made by Guymager, FTK Imager, ewfacquire or dc3dd (log + image).
    Import(import::ImportArgs),
    /// List an exhibit's files and digests.
    Show(acquire::ShowArgs),
    /// Record a custody event: seal, unseal, location, check-out, check-in,
    /// analysis, transfer, receipt, release, dispose.
    Custody(custody::CustodyArgs),
    /// Register or list legal authorities (warrants, orders, MLAT/EIO …).
    Authority(custody::AuthorityArgs),
    /// Show every exhibit's custody state, holder, location and findings.
    Status(custody::StatusArgs),
    /// Append a signed free-text note.
    Note(note::NoteArgs),
    /// Store a photo, scan, form or log in the case, recorded in a signed entry.
    Attach(attach::AttachArgs),
    /// List ledger entries.
    Log(log::LogArgs),
    /// Verify a case ledger (exit 0 valid, 1 not as recorded, 2 error).
    Verify(verify::VerifyArgs),
    /// Sign (or cosign) a checkpoint of the case's Merkle tree.
    Checkpoint(checkpoint::CheckpointArgs),
    /// Print a Merkle inclusion or consistency proof for a case.
    Prove(prove::ProveArgs),
    /// Check a proof from `prove` without the ledger (exit 0 holds, 1 not, 2 error).
    VerifyProof(prove::VerifyProofArgs),
    /// Compare two hash lists (manifest, hashdeep, sha256sum …) without evidence.
    Diff(diff::DiffArgs),
    /// Write the admissibility report (HTML, Markdown or JSON).
    Report(report::ReportArgs),
    /// Print exhibit and bag labels (PDF, PNG, SVG) with a QR code that custodian checks.
    Label(label::LabelArgs),
    /// Move a torn final ledger line aside after a crash.
    Repair(repair::RepairArgs),
    /// Hash files and folders (no case needed): a sha256sum/hashdeep replacement.
    #[command(long_about = hash::LONG_ABOUT)]
    Hash(hash::HashArgs),
    /// Build an evidence package of some exhibits for a partner, court or defence.
    #[command(long_about = package::PACKAGE_LONG_ABOUT)]
    Package(package::PackageArgs),
    /// Verify an evidence package offline (exit 0 as recorded, 1 not, 2 error).
    #[command(long_about = package::VERIFY_LONG_ABOUT)]
    VerifyPackage(package::VerifyPackageArgs),
    /// Export a case as DFXML or CASE/UCO JSON-LD (docs/guide/interop.md).
    Export(export::ExportArgs),
    /// Verify an E01 image: re-hash its media, compare with the stored digests.
    EwfVerify(ewf::EwfVerifyArgs),
    /// RFC 3161 timestamps of checkpoints: write a request, attach a reply.
    #[command(long_about = timestamp::LONG_ABOUT)]
    Timestamp(timestamp::TimestampArgs),
    /// Import, list and match hash sets (known-good, known-bad, notable).
    #[command(long_about = hashset::LONG_ABOUT)]
    Hashset(hashset::HashsetArgs),
    /// Cross-case index: shared files between cases, blinded matching (docs/guide/cross-case.md).
    Index(index::IndexArgs),
    /// Print version, git commit, features and executable SHA-256 (--json for records).
    #[command(long_about = version::LONG_ABOUT)]
    Version(version::VersionArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(shell::CompletionsArgs),
    /// Write man pages (custodian.1 and one per subcommand) into a folder.
    Man(shell::ManArgs),
}

pub fn main() -> ExitCode {
    custodian::process::default_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    term::init(cli.color, cli.ascii);
    let result = match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Init(a) => init::run(a),
        Command::Key(a) => key::run(a),
        Command::Signer(a) => signer::run(a),
        Command::Signers(a) => signer::run_list(a),
        Command::Acquire(a) => acquire::run(a),
        Command::Import(a) => import::run(a),
        Command::Show(a) => acquire::run_show(a),
        Command::Custody(a) => custody::run(a),
        Command::Authority(a) => custody::run_authority(a),
        Command::Status(a) => custody::run_status(a),
        Command::Note(a) => note::run(a),
        Command::Attach(a) => attach::run(a),
        Command::Log(a) => log::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Checkpoint(a) => checkpoint::run(a),
        Command::Prove(a) => prove::run(a),
        Command::VerifyProof(a) => prove::run_verify(a),
        Command::Diff(a) => diff::run(a),
        Command::Report(a) => report::run(a),
        Command::Label(a) => label::run(a),
        Command::Repair(a) => repair::run(a),
        Command::Hash(a) => hash::run(a),
        Command::Package(a) => package::run(a),
        Command::VerifyPackage(a) => package::run_verify(a),
        Command::Export(a) => export::run(a),
        Command::EwfVerify(a) => ewf::run(a),
        Command::Timestamp(a) => timestamp::run(a),
        Command::Hashset(a) => hashset::run(a),
        Command::Index(a) => index::run(a),
        Command::Version(a) => version::run(a),
        Command::Completions(a) => shell::run_completions(a),
        Command::Man(a) => shell::run_man(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Errors quote paths, ids and ledger text: shown visibly too.
            eprintln!(
                "custodian: error: {}",
                term::visible(&one_line(&error_chain(&e)))
            );
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The error and its causes joined with `: `, skipping a cause whose text
/// the message already holds (library errors name their path and include
/// the OS error, which is also their source).
fn error_chain(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let c = words::in_cli_words(cause).unwrap_or_else(|| cause.to_string());
        if msg.contains(&c) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&c);
    }
    msg
}

/// Errors are printed on one line, whatever their sources contain.
fn one_line(s: &str) -> String {
    s.split('\n').map(str::trim).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// Every command line that has its own help: `["custodian"]`,
    /// `["custodian", "verify"]`, `["custodian", "index", "add"]` … (clap's
    /// generated `help` subcommand aside).
    fn command_lines(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let mut line = prefix.to_vec();
        line.push(cmd.get_name().to_string());
        for sub in cmd.get_subcommands() {
            command_lines(sub, &line, out);
        }
        out.push(line);
    }

    /// The help snapshots of the trycmd suite (tests/cli_snapshots.rs).
    fn help_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cmd/help")
    }

    /// `--help` and `-h` of every command and subcommand are snapshotted:
    /// `tests/cmd/help/WORDS.long.toml` runs `WORDS --help` and
    /// `WORDS.short.toml` runs `WORDS -h` (WORDS joined by `_`), each with
    /// its `.stdout`. A new subcommand fails here until its cases exist
    /// (copy a neighbour's `.toml`, then `TRYCMD=overwrite cargo test --test
    /// cli_snapshots` and read the new snapshot); a removed one fails until
    /// its files are deleted.
    #[test]
    fn every_command_has_help_snapshots() {
        let mut lines = Vec::new();
        command_lines(&super::Cli::command(), &[], &mut lines);
        lines.sort();
        let mut problems = Vec::new();
        let mut expected = std::collections::BTreeSet::new();
        for words in &lines {
            let stem = words.join("_");
            for (kind, flag) in [("long", "--help"), ("short", "-h")] {
                let toml = help_dir().join(format!("{stem}.{kind}.toml"));
                let stdout = toml.with_extension("stdout");
                let args: Vec<String> = words[1..]
                    .iter()
                    .map(|w| format!("{w:?}"))
                    .chain([format!("{flag:?}")])
                    .collect();
                let want = format!("args = [{}]", args.join(", "));
                match std::fs::read_to_string(&toml) {
                    Ok(text) if text.lines().any(|l| l == want) => {}
                    Ok(_) => problems.push(format!("{}: no line `{want}`", toml.display())),
                    Err(_) => problems.push(format!("missing {}", toml.display())),
                }
                if !stdout.exists() {
                    problems.push(format!("missing {}", stdout.display()));
                }
                expected.insert(toml.file_name().unwrap().to_owned());
                expected.insert(stdout.file_name().unwrap().to_owned());
            }
        }
        for entry in std::fs::read_dir(help_dir()).expect("tests/cmd/help exists") {
            let name = entry.unwrap().file_name();
            if !expected.contains(&name) {
                problems.push(format!("{name:?} is not the help of any command"));
            }
        }
        assert!(
            problems.is_empty(),
            "help snapshots out of step with the command tree:\n{}",
            problems.join("\n")
        );
    }
}
