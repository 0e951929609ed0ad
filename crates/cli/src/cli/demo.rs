//! `custodian demo`: a throw-away case built from the bundled sample.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use custodian::acquire::{acquire, AcquireRequest, Acquired};
use custodian::audit::{audit_case, AuditAlgorithms};
use custodian::custody::{Authority, Common, Event, ExhibitId, Policy, Scope};
use custodian::hashing::{HashOptions, NoProgress};
use custodian::ledger::{Appended, Body, Role, SignerInfo, VerifyOptions};
use custodian::provenance::{SourceKind, StatedSource};
use custodian::{Case, CaseInit, SigningKey, Stamp};

use super::term::outln;

/// Build a throw-away case from the bundled sample and verify it.
///
/// A realistic cross-border case: two unencrypted demo keys (a supervisor in
/// Lyon, an examiner in Lisbon); a case opened under a French search
/// warrant; the two sample devices in fixtures/sample acquired and sealed;
/// an MLAT request registered; the bag transferred to Lisbon and received
/// there; the bag opened in Lisbon (unsealing both), the laptop resealed in
/// bag 18, the USB stick analysed and released; Lyon sends Lisbon an
/// evidence package of the laptop encrypted to the Lisbon examiner's key,
/// which Lisbon decrypts, verifies and extracts. Then the ledger,
/// manifests and evidence are verified and everything is listed with
/// commands to try next. Nothing outside DIR (default ./custodian-demo) is
/// written; the sample is only read. DIR is marked as a demo folder
/// (.custodian-demo), so that running the demo again replaces it; any other
/// existing folder is refused and left as it is.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Folder to build the demo in (default: ./custodian-demo). A previous
    /// demo folder there is replaced; any other existing folder is refused.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The sample evidence folder (default: the sample built into the
    /// binary, written out to DIR/sample).
    #[arg(long, value_name = "DIR")]
    pub sample: Option<PathBuf>,
}

/// The bundled sample (`fixtures/sample/` in the source tree), embedded so
/// that `custodian demo` works wherever the binary is run from.
const SAMPLE: &[(&str, &[u8])] = &[
    (
        "README.txt",
        include_bytes!("../../../../fixtures/sample/README.txt"),
    ),
    (
        "laptop/Documents/empty.txt",
        include_bytes!("../../../../fixtures/sample/laptop/Documents/empty.txt"),
    ),
    (
        "laptop/Documents/invoice-2026-03.txt",
        include_bytes!("../../../../fixtures/sample/laptop/Documents/invoice-2026-03.txt"),
    ),
    (
        "laptop/Documents/notes.txt",
        include_bytes!("../../../../fixtures/sample/laptop/Documents/notes.txt"),
    ),
    (
        "laptop/Pictures/IMG_0001.png",
        include_bytes!("../../../../fixtures/sample/laptop/Pictures/IMG_0001.png"),
    ),
    (
        "usb-stick/wallet.dat",
        include_bytes!("../../../../fixtures/sample/usb-stick/wallet.dat"),
    ),
];

/// The sample folder to acquire: the one given, or the embedded sample
/// written out under `dir/sample`.
fn sample_dir(given: Option<PathBuf>, dir: &Path) -> Result<PathBuf> {
    if let Some(given) = given {
        return Ok(given);
    }
    let out = dir.join("sample");
    for (rel, bytes) in SAMPLE {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(out)
}

/// Builds the demo case act by act (see [`DemoArgs`]), verifies it and
/// lists what was made.
pub fn run(args: DemoArgs) -> Result<ExitCode> {
    let dir = new_demo_dir(args.dir)?;
    let sample = sample_dir(args.sample, &dir)?;
    let demo = Demo::with_keys(dir, sample)?;
    let case = demo.open_case()?;
    let exhibits = demo.acquire_sample(&case)?;
    demo.seal_in_lyon(&case)?;
    demo.hand_over_to_lisbon(&case)?;
    demo.examine_in_lisbon(&case)?;
    let shared = demo.share_encrypted(&case)?;
    let verified = demo.verify_and_report(&case, &exhibits)?;
    demo.print(&case, &exhibits, &verified, &shared);
    Ok(if verified.report.is_valid() && shared.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_INVALID)
    })
}

/// Where the demo is built when no `--dir` is given: beside the user, not
/// hidden under the system temp dir, so that it is found again.
const DEFAULT_DIR: &str = "custodian-demo";

/// The file that marks a folder as one `custodian demo` made. Only a folder
/// carrying it is ever deleted (to be rebuilt); the demo never removes
/// anything it did not make.
const MARKER: &str = ".custodian-demo";

/// The first line of [`MARKER`]; a file by that name with another first
/// line does not count.
const MARKER_LINE: &str = "made by custodian demo";

/// Makes the folder to build in (the one given, or `./custodian-demo`) and
/// marks it. A previous demo (a folder carrying the marker) is replaced;
/// any other existing path is refused and left untouched.
fn new_demo_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    let dir = given.unwrap_or_else(|| PathBuf::from(DEFAULT_DIR));
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    match std::fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => anyhow::bail!("{}: {e}", dir.display()),
        Ok(_) if is_previous_demo(&dir) => {
            outln!(
                "custodian demo: replacing the previous demo in {}",
                dir.display()
            );
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove the previous demo {}", dir.display()))?;
        }
        Ok(_) => anyhow::bail!(
            "{} already exists and is not a custodian demo folder (no {MARKER} in it); \
             refusing to touch it: give a new folder with --dir",
            dir.display()
        ),
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    // create_dir, not create_dir_all: a folder appearing meanwhile is not ours.
    std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let marker = dir.join(MARKER);
    std::fs::write(
        &marker,
        format!(
            "{MARKER_LINE} {} (a throw-away case on sample evidence);\n\
             running custodian demo again deletes and rebuilds this folder.\n",
            env!("CARGO_PKG_VERSION")
        ),
    )
    .with_context(|| format!("cannot write {}", marker.display()))?;
    Ok(dir)
}

/// Whether `dir` is a real folder (not a link) holding a demo marker.
fn is_previous_demo(dir: &Path) -> bool {
    let is_dir = std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
    let marker = dir.join(MARKER);
    let is_file = std::fs::symlink_metadata(&marker).is_ok_and(|m| m.is_file());
    is_dir && is_file && std::fs::read_to_string(&marker).is_ok_and(|t| t.starts_with(MARKER_LINE))
}

/// The exhibits every act of the story is about.
const BOTH: [&str; 2] = ["EXH-001", "EXH-002"];
/// The USB stick, examined and released on its own in Lisbon.
const USB: [&str; 1] = ["EXH-002"];
/// The mutual legal assistance request the hand-over to Lisbon cites.
const MLAT: &str = "MLAT-PT-2026-311";

/// What every act of the demo uses: where things go and the two keys, a
/// supervisor in Lyon (`lead`) and an examiner in Lisbon (`analyst`).
struct Demo {
    dir: PathBuf,
    keys_dir: PathBuf,
    case_dir: PathBuf,
    sample: PathBuf,
    lead: SigningKey,
    analyst: SigningKey,
}

/// What the final verification produced, for the listing.
struct Verified {
    report: custodian::ledger::Report,
    allowed: PathBuf,
    html: PathBuf,
    /// The same report as PDF, and an A4 sheet of the exhibit and bag
    /// labels, in builds with the typesetter.
    pdf: Option<(PathBuf, PathBuf)>,
}

/// The encrypted package of the demo, as sent and as received.
struct Shared {
    path: PathBuf,
    recipient: String,
    ciphertext: custodian::package::encrypt::Ciphertext,
    received: PathBuf,
    valid: bool,
}

impl Shared {
    fn print(&self) {
        outln!(
            "  package:         {} (encrypted with age to {})",
            self.path.display(),
            self.recipient
        );
        outln!(
            "  its ciphertext:  sha256 {}, {} bytes (recorded in the ledger)",
            self.ciphertext.sha256,
            self.ciphertext.bytes
        );
        outln!(
            "  received:        opened with the Lisbon examiner's key: {}, extracted to {}",
            if self.valid {
                "as recorded"
            } else {
                "NOT AS RECORDED"
            },
            self.received.display()
        );
    }
}

/// A custody event's common part: `exhibits` at `location`, for `purpose`,
/// under `authority`.
fn common(
    exhibits: &[&str],
    location: &str,
    purpose: Option<&str>,
    authority: Option<&str>,
) -> Common {
    Common {
        exhibits: exhibits.iter().map(|x| ExhibitId::unchecked(*x)).collect(),
        location: Some(location.into()),
        purpose: purpose.map(Into::into),
        authority: authority.map(Into::into),
        ..Common::default()
    }
}

/// Signs and appends one custody event with `key`, as `custodian custody`
/// does (an unseal names every exhibit under the seal; an event without an
/// authority cites the one that covers it); returns its first part.
fn record(case: &Case, key: &SigningKey, event: Event) -> Result<Appended> {
    Ok(case.record_custody(key, event)?.0.remove(0))
}

impl Demo {
    /// Makes the two demo keys, unencrypted, under `dir/keys`.
    fn with_keys(dir: PathBuf, sample: PathBuf) -> Result<Demo> {
        let keys_dir = dir.join("keys");
        std::fs::create_dir_all(&keys_dir)
            .with_context(|| format!("cannot create {}", keys_dir.display()))?;
        let lead = SigningKey::generate("j.dupont@cyber.lyon.police.example")?;
        lead.write(&keys_dir.join("lead"), None)?;
        let analyst = SigningKey::generate("a.silva@pj.lisboa.example")?;
        analyst.write(&keys_dir.join("analyst"), None)?;
        Ok(Demo {
            case_dir: dir.join("case"),
            dir,
            keys_dir,
            sample,
            lead,
            analyst,
        })
    }

    /// Lyon opens the case under a French search warrant, with the strict
    /// authority policy, and trusts the Lisbon examiner's key.
    fn open_case(&self) -> Result<Case> {
        let init = CaseInit {
            case_id: "DEMO-FR-LYON-2026-0042".into(),
            title: "Seized laptop (demo on the bundled sample)".into(),
            authority: Some("Search warrant 26/1187, Tribunal judiciaire de Lyon".into()),
            authority_details: Some(custodian::ledger::AuthorityDetails {
                kind: Some("search-warrant".into()),
                issuer: Some("Tribunal judiciaire de Lyon".into()),
                scope: Some("the seized laptop and any storage media found with it".into()),
                ..Default::default()
            }),
            jurisdiction: Some("FR".into()),
            examiner: Some("Jeanne Dupont".into()),
            principal: None,
            role: Role::Supervisor,
            qualifications: Some(
                "Digital forensic examiner, cybercrime unit, Lyon (demo statement)".into(),
            ),
            policy: Some(Policy::default()),
        };
        let (case, _) = Case::create(&self.case_dir, &init, &self.lead, &Stamp::now())?;
        let add = SignerInfo {
            principal: self.analyst.comment().to_string(),
            role: Role::Examiner,
            key: self.analyst.public().to_openssh(),
            name: Some("Ana Silva".into()),
            qualifications: Some(
                "Forensic examiner, Polícia Judiciária, Lisbon (demo statement)".into(),
            ),
        };
        case.append(&self.lead, &Body::SignerAdd(add))?;
        Ok(case)
    }

    /// Lyon acquires the two sample "devices" under the search warrant the
    /// case was opened with.
    fn acquire_sample(&self, case: &Case) -> Result<Vec<Acquired>> {
        let mut exhibits = Vec::new();
        for (id, sub, desc, make, model, serial, blocker) in [
            (
                "EXH-001",
                "laptop",
                "Laptop home folder (sample)",
                "Dell",
                "Latitude 7420",
                "DEMO-5CG1234XYZ",
                "Tableau T35u:DEMO-000ECC01",
            ),
            (
                "EXH-002",
                "usb-stick",
                "USB stick found in bag 17 (sample)",
                "SanDisk",
                "Ultra Fit 32 GB",
                "DEMO-4C5300011",
                "Tableau T8u:DEMO-000ECD02",
            ),
        ] {
            // The device as the examiner read it off its label (the sample
            // is a folder, so nothing can be read from a header).
            let stated_source = StatedSource {
                kind: Some(SourceKind::LogicalCopy),
                make: Some(make.into()),
                model: Some(model.into()),
                serial: Some(serial.into()),
                write_blocker: Some(blocker.parse()?),
                ..StatedSource::default()
            };
            let req = AcquireRequest {
                exhibit: id.into(),
                description: Some(desc.into()),
                source: Some("Search at rue Mercière, Lyon, bag 17".into()),
                // Cites the case's opening authority (the search warrant).
                authority: None,
                roots: vec![self.sample.join(sub)],
                options: HashOptions::default(),
                strict: false,
                override_reason: None,
                stated_source,
                logged_source: None,
                media_algorithms: Vec::new(),
            };
            let done = acquire(case, &self.lead, &req, &NoProgress)
                .with_context(|| format!("acquiring {}", self.sample.join(sub).display()))?;
            exhibits.push(done);
        }
        Ok(exhibits)
    }

    /// Lyon seals both exhibits in one evidence bag, and keeps the signed
    /// seal record (here a text file the demo writes) with the case,
    /// documenting that entry.
    fn seal_in_lyon(&self, case: &Case) -> Result<()> {
        let sealed = record(
            case,
            &self.lead,
            Event::Seal {
                common: common(&BOTH, "Lyon cybercrime unit, evidence room 2", None, None),
                seal: "BAG-0017".into(),
            },
        )?;
        let form = self.dir.join("seal-record-BAG-0017.txt");
        std::fs::write(
            &form,
            "SEAL RECORD (custodian demo)\nBag BAG-0017, sealed at the Lyon cybercrime unit, evidence room 2.\nContents: EXH-001 (laptop), EXH-002 (USB stick).\nSigned: J. Dupont\n",
        )
        .with_context(|| format!("cannot write {}", form.display()))?;
        custodian::attachment::attach(
            case,
            &self.lead,
            &custodian::attachment::AttachRequest {
                file: form,
                kind: custodian::attachment::Kind::Form,
                description: Some(
                    "Seal record of bag BAG-0017, signed by the lead examiner".into(),
                ),
                exhibit: None,
                entry: Some(sealed.entry.seq),
            },
        )?;
        Ok(())
    }

    /// Portugal's request for the evidence arrives; the hand-over to the
    /// Lisbon examiner crosses a border, so it must cite it. Lisbon signs
    /// for the bag with its own key.
    fn hand_over_to_lisbon(&self, case: &Case) -> Result<()> {
        let mlat = Authority {
            reference: MLAT.into(),
            kind: "mlat".into(),
            issuer: "Procuradoria-Geral da República".into(),
            jurisdiction: "PT".into(),
            issued: "2026-03-01".into(),
            valid_from: Some("2026-03-01".into()),
            valid_until: None,
            scope: Scope {
                all: false,
                exhibits: BOTH.iter().map(|x| ExhibitId::unchecked(*x)).collect(),
                description: Some("the laptop and USB stick seized in bag 17".into()),
            },
        };
        case.append(&self.lead, &Body::Authority(Box::new(mlat)))?;
        let transfer = record(
            case,
            &self.lead,
            Event::Transfer {
                common: common(
                    &BOTH,
                    "Lyon, courier hand-over",
                    Some("MLAT request PT-2026-311"),
                    Some(MLAT),
                ),
                to: self.analyst.fingerprint().clone(),
                to_jurisdiction: Some("PT".into()),
            },
        )?;
        record(
            case,
            &self.analyst,
            Event::Receipt {
                common: common(
                    &BOTH,
                    "Polícia Judiciária, Lisbon, evidence store",
                    None,
                    None,
                ),
                transfer: transfer.entry.seq,
            },
        )?;
        Ok(())
    }

    /// Lisbon opens bag 17 (which unseals both exhibits), reseals the
    /// laptop in bag 18, analyses the USB stick and releases it.
    fn examine_in_lisbon(&self, case: &Case) -> Result<()> {
        let lab = "Polícia Judiciária, Lisbon, lab 3";
        record(
            case,
            &self.analyst,
            Event::Unseal {
                common: common(&USB, lab, Some("examination"), None),
                seal: "BAG-0017".into(),
                reason: "examination under MLAT-PT-2026-311".into(),
                cause: None,
                covers: None,
            },
        )?;
        record(
            case,
            &self.analyst,
            Event::Seal {
                common: common(&BOTH[..1], lab, Some("kept for later examination"), None),
                seal: "BAG-0018".into(),
            },
        )?;
        record(
            case,
            &self.analyst,
            Event::Analysis {
                common: common(&USB, lab, Some("wallet recovery"), Some(MLAT)),
                tool: "custodian".into(),
                tool_version: env!("CARGO_PKG_VERSION").into(),
                description: "re-verified the exhibit's digests; examined wallet.dat".into(),
                outputs: Vec::new(),
            },
        )?;
        record(
            case,
            &self.analyst,
            Event::Release {
                common: common(
                    &USB,
                    "Polícia Judiciária, Lisbon",
                    Some("no longer needed"),
                    None,
                ),
                to: "the owner, in person, against signature".into(),
            },
        )?;
        Ok(())
    }

    /// Lyon shares the laptop's records with Lisbon as an evidence package
    /// encrypted to the Lisbon examiner's key (named by its fingerprint in
    /// the case); Lisbon decrypts it with that key, verifies it trusting
    /// Lyon's key, and extracts it (docs/spec/package.md §9).
    fn share_encrypted(&self, case: &Case) -> Result<Shared> {
        use custodian::package::{self, encrypt::Identities, BuildOptions, VerifyOptions};
        let path = self.dir.join("exh001-for-lisbon.tar.age");
        let opts = BuildOptions {
            exhibits: vec!["EXH-001".into()],
            recipient: "Polícia Judiciária, Lisbon".into(),
            authority: Some(MLAT.into()),
            purpose: Some("MLAT reply: records of the laptop".into()),
            attachments: false,
            encrypt_to: vec![format!(
                "Polícia Judiciária (PT)={}",
                self.analyst.fingerprint()
            )],
            ..BuildOptions::default()
        };
        let built = package::build(case, &self.lead, &opts)?;
        let ciphertext = package::write_encrypted(&path, &built.files, &built.recipients)?;
        package::record_ciphertext(case, &self.lead, &built, &ciphertext)?;
        let received = self.dir.join("received-exh001");
        let identity = self.keys_dir.join("analyst");
        let report = package::verify(
            &path,
            &VerifyOptions {
                trust: vec![self.lead.fingerprint().clone()],
                identities: Some(Identities::from_ssh_key(
                    self.analyst
                        .signer()
                        .file_key()
                        .context("the demo's analyst key is a key file")?,
                    &identity.display().to_string(),
                )?),
                extract: Some(received.clone()),
                ..VerifyOptions::default()
            },
        )?;
        Ok(Shared {
            path,
            recipient: format!(
                "{} ({})",
                self.analyst.comment(),
                self.analyst.fingerprint()
            ),
            ciphertext,
            received,
            valid: report.is_valid(),
        })
    }

    /// Verifies everything, re-hashing the evidence, and writes the report
    /// a court would receive, trusting the key the demo made for Lyon; also
    /// writes the case's allowed_signers file for ssh-keygen.
    fn verify_and_report(&self, case: &Case, exhibits: &[Acquired]) -> Result<Verified> {
        let mut report = case.verify(&VerifyOptions {
            trusted_roots: vec![self.lead.fingerprint().clone().into()],
            ..VerifyOptions::default()
        })?;
        let plan: Vec<_> = exhibits
            .iter()
            .map(|d| {
                (
                    d.body.exhibit.clone(),
                    d.body.roots.iter().map(PathBuf::from).collect(),
                )
            })
            .collect();
        let audits = audit_case(
            case,
            &mut report,
            plan,
            AuditAlgorithms::Strongest,
            0,
            &NoProgress,
        )?;
        let allowed = self.dir.join("allowed_signers");
        std::fs::write(&allowed, report.state.allowed_signers())
            .with_context(|| format!("cannot write {}", allowed.display()))?;
        let model = custodian::report::build(
            case,
            &report,
            &audits,
            &custodian::report::Options::default(),
        )?;
        let html = self.dir.join("report.html");
        std::fs::write(&html, custodian::report::html::render(&model)?)
            .with_context(|| format!("cannot write {}", html.display()))?;
        let pdf = self.write_pdf(case, &model)?;
        Ok(Verified {
            report,
            allowed,
            html,
            pdf,
        })
    }

    /// The report as PDF (A4) and a label sheet of every exhibit and bag
    /// (A4, 2 × 4 labels), when this build has the typesetter.
    #[cfg(feature = "pdf")]
    fn write_pdf(
        &self,
        case: &Case,
        model: &custodian::report::Report,
    ) -> Result<Option<(PathBuf, PathBuf)>> {
        use custodian::label::{prepare, Choice, Size};
        use custodian::report::pdf::{write, Paper, PdfOptions};
        let report = self.dir.join("report.pdf");
        let mut bytes = Vec::new();
        write(model, &PdfOptions::new(model, Paper::A4)?, &mut bytes)?;
        std::fs::write(&report, bytes)
            .with_context(|| format!("cannot write {}", report.display()))?;
        let labels = self.dir.join("labels.pdf");
        let set = prepare(
            case,
            &Choice {
                exhibits: Vec::new(),
                seals: Vec::new(),
                all: true,
            },
        )?;
        let pdf = set.typeset(Size::SheetA4)?.pdf(&set.pdf_meta())?;
        std::fs::write(&labels, pdf)
            .with_context(|| format!("cannot write {}", labels.display()))?;
        Ok(Some((report, labels)))
    }

    #[cfg(not(feature = "pdf"))]
    fn write_pdf(
        &self,
        _: &Case,
        _: &custodian::report::Report,
    ) -> Result<Option<(PathBuf, PathBuf)>> {
        Ok(None)
    }

    /// Lists what was made and the verdict, then commands to try next.
    fn print(&self, case: &Case, exhibits: &[Acquired], verified: &Verified, shared: &Shared) {
        let report = &verified.report;
        outln!("custodian demo: built in {}", self.dir.display());
        outln!("  case folder:     {}", self.case_dir.display());
        outln!(
            "  ledger:          {} ({} entries)",
            case.ledger().path().display(),
            report.entries
        );
        outln!(
            "  demo keys:       {} (UNENCRYPTED, demo only)",
            self.keys_dir.display()
        );
        outln!("  allowed_signers: {}", verified.allowed.display());
        outln!(
            "  report:          {} (open it in a browser)",
            verified.html.display()
        );
        if let Some((pdf, labels)) = &verified.pdf {
            outln!("  report (PDF):    {} (PDF/A-2b, A4)", pdf.display());
            outln!(
                "  labels:          {} (A4 sheet; check one with verify --label)",
                labels.display()
            );
        }
        outln!("  sample evidence: {}", self.sample.display());
        for done in exhibits {
            outln!(
                "  exhibit {}:   {} file(s), {} byte(s), manifest sha256 {}",
                done.body.exhibit,
                done.body.counts.files,
                done.body.counts.bytes,
                done.body.manifest.sha256
            );
        }
        outln!(
            "  verify:          {}",
            if report.is_valid() {
                "VALID"
            } else {
                "NOT AS RECORDED"
            }
        );
        if let Some(h) = &report.head {
            outln!("  head:            {h}");
        }
        shared.print();
        self.print_next_steps(shared);
    }

    /// Commands to try on the demo case, spelled with the path this
    /// executable was run as.
    fn print_next_steps(&self, shared: &Shared) {
        let case_dir = &self.case_dir;
        let exe = std::env::args()
            .next()
            .filter(|a| a.contains('/'))
            .unwrap_or_else(|| "custodian".into());
        outln!();
        outln!("Try next:");
        outln!("  {exe} log {}", case_dir.display());
        outln!("  {exe} show {} --exhibit EXH-001", case_dir.display());
        outln!(
            "  {exe} verify {} --trust {}",
            case_dir.display(),
            self.lead.fingerprint()
        );
        outln!("  {exe} signers {} --allowed-signers", case_dir.display());
        outln!("  {exe} status {}", case_dir.display());
        outln!("  {exe} log {} --exhibit EXH-002", case_dir.display());
        outln!(
            "  {exe} verify {} --evidence EXH-001={}",
            case_dir.display(),
            self.sample.join("laptop").display()
        );
        outln!("  {exe} report {} --format md", case_dir.display());
        outln!(
            "  {exe} verify-package {} --identity {} --trust {}",
            shared.path.display(),
            self.keys_dir.join("analyst").display(),
            self.lead.fingerprint()
        );
        outln!(
            "  {exe} note {} --text \"Bag 17 resealed\" --key {}",
            case_dir.display(),
            self.keys_dir.join("lead").display()
        );
    }
}

#[cfg(test)]
mod tests {
    /// The embedded sample is the whole of fixtures/sample, file for file.
    #[test]
    fn embedded_sample_is_fixtures_sample() {
        let root = std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/sample"
        ));
        let mut on_disk = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(root).unwrap();
                    on_disk.push((
                        rel.to_str().unwrap().replace('\\', "/"),
                        std::fs::read(&path).unwrap(),
                    ));
                }
            }
        }
        on_disk.sort();
        let embedded: Vec<(String, Vec<u8>)> = super::SAMPLE
            .iter()
            .map(|(p, b)| (p.to_string(), b.to_vec()))
            .collect();
        assert_eq!(embedded, on_disk);
    }
}
