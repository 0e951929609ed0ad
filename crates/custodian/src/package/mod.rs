//! Evidence packages with selective disclosure (docs/spec/package.md).
//!
//! A package gives a partner agency, a court or the defence what concerns
//! some exhibits of a case, and nothing about the others: the ledger entries
//! about those exhibits (plus the case opening and the signers), their
//! manifests (optionally with file paths replaced by salted hashes), a
//! signed checkpoint of the whole ledger and an RFC 9162 inclusion proof for
//! every entry given. Entries that concern a chosen exhibit *and* another one
//! are withheld: only their position, hash and inclusion proof are given.
//!
//! Building a package is a custody event (`custody.disclose`) appended to
//! the home ledger before the checkpoint is signed, so the package proves
//! its own disclosure record. [`verify()`] checks a package offline, without
//! the home case.
//!
//! The layout, the member limits and `package.json` ([`Index`]) are
//! [`custodian_format::package`], re-exported here; this module builds,
//! writes, reads and verifies packages.

mod archive;
mod chain;
pub mod encrypt;
pub mod redact;
mod select;
mod stream;
pub mod verify;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::case::Case;
use crate::checkpoint::{self, Checkpoint, CheckpointError, NoteSigner, SignedCheckpoint};
use crate::custody::{Common, Disclosure, Event, SharedManifest};
use crate::keys::{Fingerprint, KeyError, SigningKey};
use crate::ledger::{self, CaseId, ExhibitId, LedgerError, RawLedger};
use crate::merkle::{self, proof::InclusionProof, proof::Proof, MerkleError};

pub use archive::{
    read_package, read_package_with, write_encrypted, write_package, Contents, Member,
    PackageFiles, ReadOptions, SharedFile, Source,
};
pub use select::{classify, Share};
pub use verify::{verify, Finding, Level, PackageReport, VerifyOptions};

/// SSHSIG namespace of the detached signature of `package.json`.
pub use crate::keys::PACKAGE_NAMESPACE;
pub use custodian_format::package::{
    manifest_path, member_limit, proof_path, FileRef, Index, IndexParseError, Withheld,
    CHECKPOINT_FILE, ENTRIES_FILE, INDEX_FILE, LAYOUT_DIRS, PACKAGE_FORMAT, README_FILE,
    SIGNATURE_FILE, SIGNERS_FILE,
};
/// Folder of the home case keeping what each disclosure needs later.
pub const DISCLOSURES_DIR: &str = "disclosures";

/// Errors from building, writing or reading a package, each naming the
/// file or entry concerned.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The output path exists (or appeared during the write): a package
    /// never overwrites anything.
    #[error("{}: {}", .path.display(), if *.appeared { "appeared while the package was written; refusing to overwrite it" } else { "already exists; refusing to overwrite it" })]
    OutputExists { path: PathBuf, appeared: bool },
    #[error("{}: not a file name", .path.display())]
    NotAFileName { path: PathBuf },
    /// An entry of the home ledger that no longer parses between the
    /// verification and the packaging.
    #[error("ledger entry {seq}: {source}")]
    Entry {
        seq: usize,
        #[source]
        source: serde_json::Error,
    },
    /// The evidence given to check a package against.
    #[error(transparent)]
    EvidenceSpec(#[from] crate::audit::EvidenceSpecError),
    /// The evidence of an exhibit could not be audited at all.
    #[error("exhibit {exhibit}: {source}")]
    Audit {
        exhibit: String,
        #[source]
        source: crate::hashing::HashError,
    },
    /// The home case's ledger does not verify: nothing is disclosed from it.
    #[error("{}: {source}", .case.display())]
    NotVerified {
        case: PathBuf,
        #[source]
        source: checkpoint::NotVerified,
    },
    #[error("{}: {source}", .case.display())]
    NoCaseOpen {
        case: PathBuf,
        #[source]
        source: checkpoint::NoCaseOpen,
    },
    #[error("no exhibit to share: name at least one exhibit")]
    NoExhibits,
    #[error("the recipient must not be blank")]
    BlankRecipient,
    #[error("entries {entries:?} were written by format version 1 and each names a shared exhibit together with {others:?}, which are not shared; a signed entry is given whole or not at all: choose to reveal them or to withhold them (the shared exhibits' custody then shows a hole there)")]
    MixedEntries {
        entries: Vec<u64>,
        others: Vec<ExhibitId>,
    },
    #[error("exhibit {exhibit}: named twice")]
    ExhibitTwice { exhibit: String },
    #[error("exhibit {exhibit}: not acquired in case {case_id}")]
    NotAcquired { exhibit: String, case_id: String },
    #[error("key {fingerprint}: not an active signer of case {case_id}")]
    NotActiveSigner {
        fingerprint: Fingerprint,
        case_id: String,
    },
    /// A manifest differs from the digest its acquisition entry records.
    #[error("{}: does not match the digest recorded for exhibit {exhibit}; run `custodian verify`", .path.display())]
    ManifestChanged { path: PathBuf, exhibit: String },
    /// A stored attachment to be shared differs from its recorded digest.
    #[error("{}: the stored attachment does not match the digest its entry records; run `custodian verify`", .path.display())]
    AttachmentChanged { path: PathBuf },
    #[error("{what}: {source}")]
    NoRandomness {
        what: &'static str,
        #[source]
        source: ssh_key::rand_core::Error,
    },
    /// `verify-package --extract` of a package that is a folder already.
    #[error("{}: a folder package; there is nothing to extract", .path.display())]
    ExtractFolder { path: PathBuf },
    /// An age-encrypted package given without an identity.
    #[error("{}: an age-encrypted package; give --identity with the private key it was encrypted to", .path.display())]
    Encrypted { path: PathBuf },
    /// No identity given opens the package: it was encrypted to others.
    #[error("{}: not encrypted to this identity ({identity})", .path.display())]
    NotForThisIdentity {
        path: PathBuf,
        identity: String,
        /// The recipient stanzas of its header, for naming who can open it.
        stanzas: Vec<encrypt::Stanza>,
    },
    /// The age ciphertext does not authenticate: truncated or altered.
    #[error("{}: the encrypted package is damaged or altered: {reason}; nothing in it is trusted", .path.display())]
    Ciphertext { path: PathBuf, reason: String },
    #[error(transparent)]
    Recipient(#[from] encrypt::RecipientError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Note(#[from] crate::checkpoint::NoteError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Merkle(#[from] MerkleError),
    #[error(transparent)]
    Hash(#[from] crate::hashing::HashError),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |source| PackageError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What to share, with whom, under what authority.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub exhibits: Vec<String>,
    pub recipient: String,
    pub authority: Option<String>,
    pub purpose: Option<String>,
    pub override_reason: Option<String>,
    pub redact_paths: bool,
    /// What to do with version-1 entries naming a shared and an unshared
    /// exhibit; `None` refuses when there are any.
    pub mixed: Option<crate::custody::MixedChoice>,
    /// `--encrypt-to` values (`[AGENCY=]RECIPIENT`): when any, the package
    /// is to be written encrypted to them ([`write_encrypted`]) and the
    /// disclosure records them (docs/spec/package.md §9).
    pub encrypt_to: Vec<String>,
    /// `--attachments`: carry the files attached to the case and to the
    /// shared exhibits, and disclose their entries (docs/spec/package.md
    /// §10); without it their entries are withheld.
    pub attachments: bool,
}

/// A package ready to write: its small files in memory, its manifests
/// to be streamed from the home case.
#[derive(Debug)]
pub struct Built {
    pub index: Index,
    pub files: Contents,
    /// Where the home case keeps the checkpoint and (if redacted) the salt.
    pub checkpoint_path: PathBuf,
    pub salt_path: Option<PathBuf>,
    /// The recipients the disclosure recorded, to encrypt to; empty for
    /// a package in clear.
    pub recipients: Vec<encrypt::Recipient>,
}

/// A new package id: `pkg-` and 16 random lowercase hex digits.
pub fn new_package_id() -> Result<String, PackageError> {
    use ssh_key::rand_core::RngCore;
    let mut b = [0u8; 8];
    ssh_key::rand_core::OsRng
        .try_fill_bytes(&mut b)
        .map_err(|source| PackageError::NoRandomness {
            what: "package id",
            source,
        })?;
    Ok(format!("pkg-{}", hex::encode(b)))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Builds a package of `opts.exhibits` of `case`, signing with `key`.
///
/// In this order: checks the ledger verifies, the exhibits exist and `key`
/// is an active signer whose principal can name a checkpoint signature;
/// reads (and, with `redact_paths`, redacts) the manifests; saves the salt
/// in `CASE/disclosures/ID/salt`; appends the `custody.disclose` entry;
/// signs and saves a checkpoint of the whole ledger; then assembles the
/// package: its small files in memory, its manifests as references to the
/// home case's files with their digests as shared (measured by one
/// streamed read; [`write_package`] streams them again and checks they
/// did not change). Nothing is written to the output here.
pub fn build(case: &Case, key: &SigningKey, opts: &BuildOptions) -> Result<Built, PackageError> {
    let Checked {
        state,
        case_id,
        exhibits,
        note_signer,
        mixed,
        recipients,
    } = check_build(case, key, opts)?;

    // The manifests, checked against the ledger, redacted if asked.
    let package_id = new_package_id()?;
    let salt = if opts.redact_paths {
        use ssh_key::rand_core::RngCore;
        let mut s = [0u8; redact::SALT_BYTES];
        ssh_key::rand_core::OsRng
            .try_fill_bytes(&mut s)
            .map_err(|source| PackageError::NoRandomness {
                what: "redaction salt",
                source,
            })?;
        Some(s)
    } else {
        None
    };
    let manifests = shared_manifests(case, &state, &exhibits, salt.as_ref())?;

    // Keep the salt before recording its commitment.
    let salt_path = match &salt {
        Some(s) => Some(redact::save_salt(case.dir(), &package_id, s)?),
        None => None,
    };
    let attachments = if opts.attachments {
        shared_attachments(case, &state, &exhibits)?
    } else {
        Vec::new()
    };
    let mut event = disclosure_event(opts, &exhibits, &package_id, &manifests, salt.as_ref());
    if let Event::Disclose { disclosure, .. } = &mut event {
        disclosure.encrypted_to = recipients.iter().map(|r| r.recorded.clone()).collect();
        disclosure.attachments = attachments
            .iter()
            .map(|(seq, a)| custodian_format::custody::SharedAttachment {
                sha256: a.sha256.clone(),
                name: a.name.clone(),
                entry: *seq,
            })
            .collect();
    }
    if let (Event::Disclose { disclosure, .. }, Some((choice, revealed))) = (&mut event, mixed) {
        // The choice is recorded only where there was one to make.
        disclosure.mixed = Some(choice);
        disclosure.revealed = revealed;
    }
    // One entry per shared exhibit (format version 2); the package names
    // the first.
    let appended = match case.append_event(key, &event) {
        Ok(mut parts) => parts.remove(0),
        Err(e) => {
            if let Some(p) = &salt_path {
                if let Some(dir) = p.parent() {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
            return Err(e.into());
        }
    };
    let disclosure_seq = appended.entry.seq;

    // A checkpoint whose tree holds the disclosure entry.
    let raw = case.ledger().read_raw()?;
    let mut signed = SignedCheckpoint::new(checkpoint::checkpoint_of_ledger(&raw, &case_id, None)?);
    signed.sign(&note_signer)?;
    let (checkpoint_path, signed) = checkpoint::save(case.dir(), &signed)?;

    let mut files = Contents::default();
    files.insert(CHECKPOINT_FILE, signed.to_text().into_bytes());
    for m in manifests {
        files.insert_manifest(&manifest_path(&m.exhibit), m);
    }
    for (_, a) in &attachments {
        let rel = custodian_format::attachment::attachment_rel_path(&a.sha256);
        files.insert_stored(&rel, case.dir().join(&rel), &a.sha256, a.bytes);
    }
    let chosen: std::collections::BTreeSet<ExhibitId> = exhibits.iter().cloned().collect();
    let (disclosed, withheld) = assemble_entries(&raw, &signed, &chosen, opts, &mut files)?;
    // The ledger's allowed_signers: it lists every key for the package
    // namespace too, so `ssh-keygen -Y verify` checks package.json.sig with
    // the same file.
    let signers = state_after(&raw).allowed_signers();
    files.insert(SIGNERS_FILE, signers.into_bytes());

    let mut index = Index {
        format: PACKAGE_FORMAT.into(),
        package: package_id,
        case_id: case_id.clone(),
        origin: checkpoint::origin_for_case(&case_id),
        recipient: opts.recipient.clone(),
        exhibits,
        created: appended.entry.time.clone(),
        packager: key.fingerprint().clone(),
        disclosure: disclosure_seq,
        redacted_paths: opts.redact_paths,
        entries: disclosed,
        withheld,
        files: Vec::new(),
    };
    files.insert(README_FILE, readme(&index, &signed.checkpoint).into_bytes());
    index.files = files.file_refs();
    let index_bytes = index.to_bytes();
    let sig = key.sign_detached(PACKAGE_NAMESPACE, &index_bytes)?;
    files.insert(INDEX_FILE, index_bytes);
    files.insert(SIGNATURE_FILE, sig.into_bytes());
    Ok(Built {
        index,
        files,
        checkpoint_path,
        salt_path,
        recipients,
    })
}

/// The attachments a package of `exhibits` carries with `--attachments`:
/// those of the case and of the shared exhibits, and the shared exhibits'
/// imported logs, in ledger order (docs/spec/package.md §10). Listed
/// before anything is written, so that the examiner sees what will go
/// (`custodian package` prints them).
pub fn attachments_to_share(
    state: &ledger::CaseState,
    exhibits: &[ExhibitId],
) -> Vec<(u64, custodian_format::attachment::AttachmentAdd)> {
    state
        .recorded_attachments()
        .into_iter()
        .filter(|(_, a)| a.exhibit.as_ref().is_none_or(|x| exhibits.contains(x)))
        .collect()
}

/// [`attachments_to_share`], each stored copy checked intact first.
fn shared_attachments(
    case: &Case,
    state: &ledger::CaseState,
    exhibits: &[ExhibitId],
) -> Result<Vec<(u64, custodian_format::attachment::AttachmentAdd)>, PackageError> {
    let list = attachments_to_share(state, exhibits);
    for (_, a) in &list {
        if crate::attachment::check_stored(case.dir(), &a.sha256, a.bytes)
            != crate::attachment::StoredCheck::Intact
        {
            return Err(PackageError::AttachmentChanged {
                path: case
                    .dir()
                    .join(custodian_format::attachment::attachment_rel_path(&a.sha256)),
            });
        }
    }
    Ok(list)
}

/// Records the ciphertext of the encrypted package `built`, written as
/// `ct`, in a `package.encrypted` entry following its disclosure
/// (docs/spec/package.md §9.2), signed with `key`.
pub fn record_ciphertext(
    case: &Case,
    key: &SigningKey,
    built: &Built,
    ct: &encrypt::Ciphertext,
) -> Result<ledger::Appended, PackageError> {
    let body = ledger::Body::PackageEncrypted(Box::new(custodian_format::body::PackageEncrypted {
        package: built.index.package.clone(),
        disclosure: built.index.disclosure,
        sha256: ct.sha256.clone(),
        bytes: ct.bytes,
    }));
    Ok(case.append(key, &body)?)
}

/// The `custody.disclose` event recording package `package_id`: what is
/// shared, with whom, and the digest of each manifest as shared and of the
/// redaction salt.
fn disclosure_event(
    opts: &BuildOptions,
    exhibits: &[ExhibitId],
    package_id: &str,
    manifests: &[SharedFile],
    salt: Option<&[u8; redact::SALT_BYTES]>,
) -> Event {
    Event::Disclose {
        common: Common {
            exhibits: exhibits.to_vec(),
            purpose: opts.purpose.clone(),
            authority: opts.authority.clone(),
            override_reason: opts.override_reason.clone(),
            ..Common::default()
        },
        disclosure: Disclosure {
            recipient: opts.recipient.clone(),
            package: package_id.to_string(),
            redacted_paths: opts.redact_paths,
            manifests: manifests
                .iter()
                .map(|m| SharedManifest {
                    exhibit: m.exhibit.clone(),
                    sha256: m.sha256.clone(),
                    bytes: m.bytes,
                })
                .collect(),
            salt_commitment: salt.map(|s| sha256_hex(s)),
            mixed: None,
            revealed: Vec::new(),
            encrypted_to: Vec::new(),
            attachments: Vec::new(),
        },
    }
}

/// What [`check_build`] established.
struct Checked {
    state: ledger::CaseState,
    case_id: CaseId,
    /// The exhibits to share, each once, in the order given.
    exhibits: Vec<ExhibitId>,
    note_signer: NoteSigner,
    /// The choice made for version-1 entries naming shared and unshared
    /// exhibits, when there are any, with the unshared exhibits revealed.
    mixed: Option<(crate::custody::MixedChoice, Vec<ExhibitId>)>,
    /// The `--encrypt-to` recipients, resolved.
    recipients: Vec<encrypt::Recipient>,
}

/// Checks, before anything is written, that the ledger verifies, that the
/// exhibits are named once each and acquired, that there is a recipient,
/// and that `key` is an active signer whose principal can name a checkpoint
/// signature.
fn check_build(
    case: &Case,
    key: &SigningKey,
    opts: &BuildOptions,
) -> Result<Checked, PackageError> {
    let raw = case.ledger().read_raw()?;
    let state = checkpoint::verified_state(&raw).map_err(|source| PackageError::NotVerified {
        case: case.dir().to_path_buf(),
        source,
    })?;
    let case_id = state
        .case
        .as_ref()
        .map(|c| c.case_id.clone())
        .ok_or_else(|| PackageError::NoCaseOpen {
            case: case.dir().to_path_buf(),
            source: checkpoint::NoCaseOpen,
        })?;
    if opts.exhibits.is_empty() {
        return Err(PackageError::NoExhibits);
    }
    if opts.recipient.trim().is_empty() {
        return Err(PackageError::BlankRecipient);
    }
    let mut exhibits: Vec<ExhibitId> = Vec::new();
    for x in &opts.exhibits {
        if exhibits.iter().any(|e| e == x) {
            return Err(PackageError::ExhibitTwice { exhibit: x.clone() });
        }
        let Some((id, _)) = state.exhibits.get_key_value(x.as_str()) else {
            return Err(PackageError::NotAcquired {
                exhibit: x.clone(),
                case_id: case_id.to_string(),
            });
        };
        exhibits.push(id.clone());
    }
    let signer = state
        .signers
        .get(key.fingerprint())
        .filter(|s| s.is_active())
        .ok_or_else(|| PackageError::NotActiveSigner {
            fingerprint: key.fingerprint().clone(),
            case_id: case_id.to_string(),
        })?;
    let note_signer = NoteSigner::new(
        &checkpoint::note_key_name(&signer.principal),
        key.signer(),
        &format!("key {}", key.fingerprint()),
    )?;
    let mixed = mixed_entries(&raw, &exhibits, opts.mixed)?;
    let recipients = encrypt::resolve_all(&opts.encrypt_to, &state)?;
    Ok(Checked {
        recipients,
        state,
        case_id,
        exhibits,
        note_signer,
        mixed,
    })
}

/// The choice for version-1 entries that name a shared and an unshared
/// exhibit, when there are any, with the unshared exhibits they reveal if
/// given whole; refuses when there are such entries and no choice was made.
fn mixed_entries(
    raw: &RawLedger,
    exhibits: &[ExhibitId],
    choice: Option<crate::custody::MixedChoice>,
) -> Result<Option<(crate::custody::MixedChoice, Vec<ExhibitId>)>, PackageError> {
    let chosen: std::collections::BTreeSet<ExhibitId> = exhibits.iter().cloned().collect();
    let mut entries = Vec::new();
    let mut others = std::collections::BTreeSet::new();
    for i in 0..raw.lines.len() {
        let Ok(entry) = serde_json::from_slice::<ledger::Entry>(raw.line(i)) else {
            continue;
        };
        let other = select::mixed_with(&entry, &chosen);
        if !other.is_empty() {
            entries.push(entry.seq);
            others.extend(other);
        }
    }
    use crate::custody::MixedChoice;
    match choice {
        _ if entries.is_empty() => Ok(None),
        None => Err(PackageError::MixedEntries {
            entries,
            others: others.into_iter().collect(),
        }),
        Some(MixedChoice::Reveal) => Ok(Some((MixedChoice::Reveal, others.into_iter().collect()))),
        Some(MixedChoice::Withhold) => Ok(Some((MixedChoice::Withhold, Vec::new()))),
    }
}

/// Each exhibit's manifest as it will be shared: checked against the
/// digest its acquisition entry records and measured as shared (redacted
/// with `salt` if given), in one streamed read each.
fn shared_manifests(
    case: &Case,
    state: &ledger::CaseState,
    exhibits: &[ExhibitId],
    salt: Option<&[u8; redact::SALT_BYTES]>,
) -> Result<Vec<SharedFile>, PackageError> {
    let mut manifests = Vec::new();
    for x in exhibits {
        let acq = &state.exhibits[x].acquisition;
        let path = case.dir().join(&acq.manifest.path);
        match SharedFile::prepare(x, &path, salt, |sha| sha == acq.manifest.sha256)? {
            Some(m) => manifests.push(m),
            None => {
                return Err(PackageError::ManifestChanged {
                    path,
                    exhibit: x.to_string(),
                })
            }
        }
    }
    Ok(manifests)
}

/// The case state after replaying every entry of `raw`.
fn state_after(raw: &RawLedger) -> ledger::CaseState {
    ledger::verify::verify_raw(raw, &ledger::VerifyOptions::default()).state
}

/// Adds the disclosed lines and every proof to `files`; returns the
/// disclosed and withheld entries.
fn assemble_entries(
    raw: &RawLedger,
    signed: &SignedCheckpoint,
    chosen: &std::collections::BTreeSet<ExhibitId>,
    opts: &BuildOptions,
    files: &mut Contents,
) -> Result<(Vec<u64>, Vec<Withheld>), PackageError> {
    let reveal = opts.mixed == Some(crate::custody::MixedChoice::Reveal);
    let cp = &signed.checkpoint;
    let leaves = merkle::ledger_leaf_hashes(raw);
    let mut lines = Vec::new();
    let mut disclosed = Vec::new();
    let mut withheld = Vec::new();
    for i in 0..(cp.size as usize) {
        let line = raw.line(i);
        let entry: ledger::Entry = serde_json::from_slice(line)
            .map_err(|source| PackageError::Entry { seq: i, source })?;
        let share = classify(&entry, chosen, opts.redact_paths, reveal, opts.attachments);
        if share == Share::Omit {
            continue;
        }
        let hash: [u8; 32] = Sha256::digest(line).into();
        let proof = Proof::Inclusion(InclusionProof {
            origin: cp.origin.clone(),
            tree_size: cp.size,
            root: cp.root,
            leaf_index: i as u64,
            entry_hash: hash,
            path: merkle::inclusion_proof(&leaves, i as u64, cp.size)?,
        });
        files.insert(&proof_path(i as u64), proof.to_json().into_bytes());
        match share {
            Share::Disclose => {
                lines.extend_from_slice(line);
                lines.push(b'\n');
                disclosed.push(i as u64);
            }
            Share::Withhold(reason) => withheld.push(Withheld {
                seq: i as u64,
                entry_hash: hex::encode(hash),
                reason: reason.to_string(),
            }),
            Share::Omit => {}
        }
    }
    files.insert(ENTRIES_FILE, lines);
    Ok((disclosed, withheld))
}

/// The package's README: what it is and how to verify it, with and without
/// custodian.
pub fn readme(index: &Index, cp: &Checkpoint) -> String {
    let n = index.withheld.len();
    let withheld = match n {
        0 => "No entry was withheld.".to_string(),
        1 => "1 entry concerning these exhibits and others is withheld: package.json\n\
              lists its position and hash, proofs/SEQ.json proves it is in the\n\
              ledger, its content is not given."
            .to_string(),
        _ => format!(
            "{n} entries concerning these exhibits and others are withheld:\n\
             package.json lists their positions and hashes, proofs/SEQ.json proves\n\
             they are in the ledger, their content is not given."
        ),
    };
    let title = format!("Evidence package {}", index.package);
    format!(
        "{title}\n\
         {underline}\n\
         \n\
         Case:        {case}\n\
         Exhibits:    {exhibits}\n\
         Recipient:   {recipient}\n\
         Created:     {created}\n\
         Packager:    {packager}\n\
         Checkpoint:  {size} entries, root {root}\n\
         Paths:       {paths}\n\
         \n\
         This package holds the ledger entries of the case that concern the\n\
         exhibits above (ledger/entries.jsonl: the exact signed lines), the\n\
         manifests of those exhibits (manifests/), a signed checkpoint of the\n\
         whole ledger (checkpoint.txt), an RFC 9162 inclusion proof of each\n\
         entry given (proofs/SEQ.json), the signers' public keys\n\
         (signers/allowed_signers) and an index of every file with its SHA-256\n\
         (package.json), signed by the packager (package.json.sig). Entry {disclosure}\n\
         records this disclosure itself. Notes and entries about other exhibits\n\
         are not included.\n\
         \n\
         {withheld}\n\
         \n\
         To verify it with custodian (offline, no access to the home case):\n\
         \n\
         \x20   custodian verify-package PACKAGE --trust FINGERPRINT\n\
         \x20   custodian verify-package PACKAGE --trust FINGERPRINT --evidence EXHIBIT=PATH\n\
         \n\
         where FINGERPRINT is the key that opened the case, obtained from the\n\
         lab by another channel (not from this package). Exit status 0 means\n\
         everything checked is as recorded, 1 that something is not, 2 that\n\
         the package could not be read.\n\
         \n\
         To verify it with standard tools, see custodian's docs/spec/package.md\n\
         (\"Verifying by hand\"): sha256sum for the files listed in package.json,\n\
         ssh-keygen -Y verify -f signers/allowed_signers -n {ns} for\n\
         package.json.sig, -n {ledger_ns} for each entry, and RFC 9162 for\n\
         the proofs.\n",
        underline = "=".repeat(title.chars().count()),
        case = index.case_id,
        exhibits = index.exhibits.join(", "),
        recipient = index.recipient,
        created = index.created,
        packager = index.packager,
        size = cp.size,
        root = checkpoint::encode_hash(&cp.root),
        paths = if index.redacted_paths {
            "redacted (HMAC-SHA256 with a salt kept by the lab; digests unchanged)"
        } else {
            "as acquired"
        },
        disclosure = index.disclosure,
        ns = PACKAGE_NAMESPACE,
        ledger_ns = crate::keys::LEDGER_NAMESPACE,
    )
}

/// Sizes and digests of a package's files, for messages.
pub fn describe_files(files: &BTreeMap<String, Vec<u8>>) -> Vec<FileRef> {
    files.iter().map(|(p, b)| FileRef::of(p, b)).collect()
}
