//! Markdown renderer: plain CommonMark/GFM tables that read well as text and
//! render cleanly on common viewers. Every value from the ledger is escaped
//! so that a hostile file name cannot inject markup or break a table.

use std::fmt::Write;

use super::outline::{outline, Outline, Section, SectionHead};
use super::{ExhibitId, ExhibitSection, Report, INLINE_FILES, NOT_STATED};

/// Escapes text for a Markdown table cell or paragraph: HTML-significant
/// characters become entities, Markdown punctuation is backslash-escaped,
/// `|` cannot end a cell, and control and bidi characters (line breaks
/// included, so none can end a row) are shown as the visible escapes of
/// [`crate::text`] (`\n`, `\u{202e}`: a backslash before a letter is
/// literal in CommonMark).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if crate::text::is_hidden(c) => crate::text::push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Code span for digests and hashes (hex only, so never escaped).
fn code(s: &str) -> String {
    if s.is_empty() {
        "—".into()
    } else {
        format!("`{}`", s.replace('`', "'"))
    }
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(esc).unwrap_or_else(|| "—".into())
}

/// An examiner's statement, or "not stated".
fn stated(s: &Option<String>) -> String {
    s.as_deref().map(esc).unwrap_or_else(|| NOT_STATED.into())
}

fn entries(e: &[u64]) -> String {
    e.iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders the report as Markdown, in memory (see [`write()`]).
pub fn render(r: &Report) -> std::io::Result<String> {
    let mut out = Vec::new();
    write(r, &mut out)?;
    String::from_utf8(out).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Writes the report as Markdown to `w` (which should be buffered).
///
/// One step per section of the [`outline`], in its order, each headed as
/// the contents name it; the complete file lists of the exhibits too long
/// to show whole ([`super::appendix::exhibits`]) are the appendix at the
/// end, read from their manifests as they are written, or, when they were
/// written to a separate file, the appendix says where it is.
pub fn write(r: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let o = outline(r);
    let mut m = String::new();
    title(&mut m, r, &o);
    for h in o.heads() {
        match h.section {
            Section::Case => case_section(&mut m, h, &r.case),
            Section::Summary => summary_section(&mut m, h, &r.summary, &r.case.authority_policy),
            Section::Exhibits => exhibits_section(&mut m, h, r, &o),
            Section::Custody => custody_section(&mut m, h, &r.timelines, &r.attachments),
            Section::Verification => verification_section(&mut m, h, r),
            Section::Reliability => reliability_section(&mut m, h, r, &o),
            Section::Signers => signers_section(&mut m, h, &r.signers),
            Section::Standards => standards_section(&mut m, h, r),
            Section::Certification => {
                if let Some(c) = &r.certification {
                    certification(&mut m, h, c);
                }
            }
            Section::Limitations => limitations_section(&mut m, h, &r.limitations),
            Section::FileLists => {
                flush(w, &mut m)?;
                appendix_section(w, h, r, &o)?;
            }
        }
    }
    flush(w, &mut m)
}

/// Writes the appendix of the report as a Markdown document of its own,
/// for a separate file ([`super::appendix::write_separate`]): the
/// complete file list of every exhibit of [`super::appendix::exhibits`],
/// read from the manifests as they are written.
pub fn write_appendix(r: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let o = outline(r);
    let label = o.appendix_label(Section::FileLists);
    let mut m = format!(
        "# {}. {}

To the admissibility report of case {}, generated {} by {} {}, report model version {}. The report names this file by its SHA-256, size and number of rows.

",
        esc(&label),
        esc(Section::FileLists.title()),
        esc(&r.case.case_id),
        r.generated_at,
        esc(&r.tool.name),
        esc(&r.tool.version),
        r.version
    );
    file_lists(w, &mut m, r, &o, "##")?;
    flush(w, &mut m)
}

/// The heading of a section, as the contents name it.
fn heading(m: &mut String, h: &SectionHead) {
    let _ = writeln!(m, "## {}\n", esc(&h.heading()));
}

/// Text of the document buffered before it is written ([`flush`]).
const CHUNK: usize = 64 * 1024;

/// Writes `m` through [`visible_document`] (which works character by
/// character, so a document written in pieces is the same) and empties it.
fn flush(w: &mut dyn std::io::Write, m: &mut String) -> std::io::Result<()> {
    w.write_all(visible_document(m).as_bytes())?;
    m.clear();
    Ok(())
}

/// The document with every character of [`crate::text::is_hidden`] other
/// than the template's own line feeds written as its visible escape: a
/// safety net under [`esc`] for any value that reaches the page without it
/// (values' own line breaks are escaped by [`esc`]).
fn visible_document(m: &str) -> String {
    let mut out = String::with_capacity(m.len());
    for c in m.chars() {
        if c != '\n' && crate::text::is_hidden(c) {
            crate::text::push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// The title, what the report is made of, and the table of contents: the
/// first thing a reader needs is how far to trust every line that follows.
fn title(m: &mut String, r: &Report, o: &Outline) {
    let _ = writeln!(m, "# Admissibility report: case {}\n", esc(&r.case.case_id));
    let _ = writeln!(
        m,
        "Generated {} by {} {} ({}), report model version {}.\n\n{}\n",
        r.generated_at,
        esc(&r.tool.name),
        esc(&r.tool.version),
        esc(&r.tool.platform),
        r.version,
        esc(&r.basis)
    );
    let contents: Vec<String> = o
        .heads()
        .iter()
        .map(|h| format!("{} {}", esc(&h.label()), esc(h.title)))
        .collect();
    let _ = writeln!(m, "Contents: {}\n", contents.join(" · "));
}

/// The case as opened in entry 0, and the legal authorities every later
/// action is measured against.
fn case_section(m: &mut String, h: &SectionHead, c: &super::CaseSection) {
    heading(m, h);
    m.push_str("| | |\n|---|---|\n");
    let _ = writeln!(m, "| Case id | {} |", esc(&c.case_id));
    let _ = writeln!(m, "| Title (stated) | {} |", esc(&c.title));
    let _ = writeln!(m, "| Jurisdiction (stated) | {} |", stated(&c.jurisdiction));
    let _ = writeln!(m, "| Opening examiner (stated) | {} |", stated(&c.examiner));
    let _ = writeln!(m, "| Opened | {} (entry {}) |", c.opened, c.entry);
    let _ = writeln!(
        m,
        "| Events may be dated after their recording by | {} |",
        esc(&c.clock_skew)
    );
    let _ = writeln!(
        m,
        "| Authority policy | {}{} |\n",
        esc(&c.authority_policy),
        if c.authority_policy_stated {
            ""
        } else {
            " (not stated in entry 0: custodian then checks no legal authority)"
        }
    );
    m.push_str("**Legal authorities**\n\n");
    if c.authorities.is_empty() {
        m.push_str("None registered.\n\n");
        return;
    }
    m.push_str("Every field is as stated by the examiner in the entry given; the authority the case was opened under states a reference only.\n\n");
    m.push_str("| Reference | Kind | Issuer | Jurisdiction | Issued | Valid | Scope | Entry |\n|---|---|---|---|---|---|---|---|\n");
    for a in &c.authorities {
        let [kind, issuer, jurisdiction, issued, valid, scope] = a.cells().map(|c| esc(&c));
        let _ = writeln!(
            m,
            "| {} | {kind} | {issuer} | {jurisdiction} | {issued} | {valid} | {scope} | {} ({}) |",
            esc(&a.reference),
            a.entry,
            esc(&a.origin)
        );
    }
    m.push('\n');
}

/// The three verdicts (ledger, evidence, custody) kept apart, then every
/// finding with what it means, so that a reader who stops here has the
/// whole answer.
fn summary_section(m: &mut String, h: &SectionHead, s: &super::Summary, policy: &str) {
    heading(m, h);
    let _ = writeln!(
        m,
        "- **Ledger integrity:** {}\n- **Evidence integrity:** {}\n- **Custody continuity:** {}\n",
        match s.ledger.as_str() {
            "intact" => "INTACT: every entry is as it was written and signed",
            _ => "NOT AS RECORDED: the ledger was altered or damaged (see findings)",
        },
        match s.evidence.as_str() {
            "intact" => format!(
                "INTACT: the evidence of {} re-hashed now matches its manifest{}",
                esc(&s.audited.join(", ")),
                not_audited(&s.not_audited)
            ),
            "changed" => format!(
                "CHANGED: the evidence of {} does not match its manifest (see findings){}",
                esc(&s.audited.join(", ")),
                not_audited(&s.not_audited)
            ),
            _ => "NOT CHECKED: the evidence was not re-hashed for this report".to_string(),
        },
        match s.custody.as_str() {
            "continuous" => "CONTINUOUS: no custody or authority findings",
            _ => "FINDINGS: see below",
        }
    );
    if policy == "off" {
        m.push_str("The case's authority policy is off: legal authorities were not checked, so the absence of authority findings says nothing about them.\n\n");
    }
    if s.findings.is_empty() {
        m.push_str("No findings.\n\n");
        return;
    }
    m.push_str("| Id | Severity | Entries | Exhibits | What happened | What it means |\n|---|---|---|---|---|---|\n");
    for f in &s.findings {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} | {} |",
            f.id,
            f.severity,
            entries(&f.entries),
            esc(&f.exhibits.join(", ")),
            esc(&f.message),
            esc(&f.explanation)
        );
    }
    m.push('\n');
}

/// One subsection per exhibit; a file list cut after [`INLINE_FILES`]
/// rows says where the rest is.
fn exhibits_section(m: &mut String, h: &SectionHead, r: &Report, o: &Outline) {
    heading(m, h);
    for x in &r.exhibits {
        exhibit_facts(m, x, &r.tool);
        exhibit_files(m, x, r, o);
        if let Some(h) = x.hashsets.as_ref().filter(|h| h.known_good_hidden) {
            let _ = writeln!(
                m,
                "{} known-good file(s) of exhibit {} are not listed (hidden with --hide-known-good).\n",
                h.known_good,
                esc(&x.id)
            );
        }
        if let Some(a) = &x.audit {
            exhibit_audit(m, a);
        }
    }
}

/// An exhibit's key/value table: what was acquired, from where, by whom,
/// how, with which manifest, where it is now, and what the hash sets said.
fn exhibit_facts(m: &mut String, x: &ExhibitSection, tool: &super::ToolInfo) {
    let _ = writeln!(m, "### Exhibit {}\n", esc(&x.id));
    m.push_str("| | |\n|---|---|\n");
    let _ = writeln!(m, "| Description (stated) | {} |", stated(&x.description));
    let _ = writeln!(m, "| Source (stated) | {} |", stated(&x.source));
    let _ = writeln!(
        m,
        "| Authority cited in the entry | {} |",
        stated(&x.authority)
    );
    let _ = writeln!(
        m,
        "| Acquired | by {} ({}) from {} to {}, entry {} |",
        esc(&x.acquired_by),
        code(x.acquired_by_fingerprint.as_str()),
        x.started,
        x.finished,
        x.acquired_entry
    );
    let _ = writeln!(m, "| Acquired from | {} |", esc(&x.roots.join(", ")));
    let _ = writeln!(m, "| Algorithms | {} |", esc(&x.algorithms.join(", ")));
    let _ = writeln!(
        m,
        "| Files, bytes, errors | {}, {}, {} |",
        x.files, x.bytes, x.errors
    );
    let _ = writeln!(
        m,
        "| Manifest | {} SHA-256 {} |",
        esc(&x.manifest_path),
        code(&x.manifest_sha256)
    );
    let _ = writeln!(
        m,
        "| Custody now | {}, held by {}; location (stated): {}; seal (stated): {} |",
        esc(&x.state),
        esc(&x.holder),
        stated(&x.location),
        x.seal.as_deref().map(esc).unwrap_or_else(|| "none".into())
    );
    for (algo, hex) in &x.digests {
        let _ = writeln!(m, "| {} | {} |", esc(algo), code(hex));
    }
    if let Some(h) = &x.hashsets {
        exhibit_hashsets(m, h);
    }
    m.push('\n');
    exhibit_provenance(m, x, tool);
}

/// An exhibit's provenance: the source device (each value with where it
/// came from), what the imaging program recorded, the acquiring host,
/// paths and clock, and the acquiring executable beside the one that
/// generated this report.
fn exhibit_provenance(m: &mut String, x: &ExhibitSection, tool: &super::ToolInfo) {
    let _ = writeln!(
        m,
        "**Provenance of exhibit {}** (as recorded by acquisition entry {}; \"not stated\": the entry does not record it)\n",
        esc(&x.id),
        x.acquired_entry
    );
    m.push_str("| | |\n|---|---|\n");
    for r in x.provenance.rows(&x.host) {
        let _ = writeln!(m, "| {} | {} |", esc(&r.label), esc(&r.text));
    }
    let _ = writeln!(m, "| Acquired with | {} |", esc(&x.acquired_with_words()));
    let _ = writeln!(
        m,
        "| Report generated with | {} {}, executable SHA-256 {} |",
        esc(&tool.name),
        esc(&tool.version),
        tool.exe_sha256.as_deref().unwrap_or("not recorded")
    );
    let _ = writeln!(m, "| Binaries | {} |\n", esc(x.binary_match_words()));
}

/// The hash-set rows of an exhibit's table: which sets (with the SHA-256
/// of their source, so the set can be identified), and the counts.
fn exhibit_hashsets(m: &mut String, h: &super::HashsetSummary) {
    let sets: Vec<String> = h
        .sets
        .iter()
        .map(|s| {
            format!(
                "{} ({}{}, source SHA-256 {})",
                esc(&s.name),
                esc(&s.kind),
                s.version
                    .as_deref()
                    .map(|v| format!(", version {}", esc(v)))
                    .unwrap_or_default(),
                code(&s.source_sha256)
            )
        })
        .collect();
    let _ = writeln!(
        m,
        "| Hash sets | {}; entries {} |",
        sets.join("; "),
        entries(&h.entries)
    );
    let _ = writeln!(
        m,
        "| Known-good files | {}{} |",
        h.known_good,
        if h.known_good_hidden {
            " (not listed below)"
        } else {
            ""
        }
    );
    let _ = writeln!(m, "| Known-bad or notable matches | {} |", h.matches);
}

/// The first [`INLINE_FILES`] files of an exhibit, and where the
/// complete list is when there are more (the appendix).
fn exhibit_files(m: &mut String, x: &ExhibitSection, r: &Report, o: &Outline) {
    if x.file_list.is_empty() {
        return;
    }
    m.push_str("| Path | Size | Digests |\n|---|---|---|\n");
    for f in x.file_list.first() {
        file_row(m, f);
    }
    if x.file_list.len() > INLINE_FILES {
        let _ = writeln!(
            m,
            "\n{} more file(s) of exhibit {} are listed in {}{}.",
            x.file_list.len() - INLINE_FILES,
            esc(&x.id),
            esc(&o.reference(Section::FileLists)),
            r.appendix
                .as_ref()
                .map(|a| format!(", the separate file {}", esc(&a.file)))
                .unwrap_or_default()
        );
    }
    m.push('\n');
}

/// The evidence audit run for this report: the counts, then every file
/// that is not as recorded.
fn exhibit_audit(m: &mut String, a: &crate::audit::ExhibitAudit) {
    let k = &a.counts;
    let _ = writeln!(
        m,
        "**Evidence audit now** ({}, at {}): {} examined: {} matched, {} changed, {} missing, {} new, {} moved, {} type-changed, {} unreadable, {} unverifiable.\n",
        esc(&a.algorithms.join("+")),
        esc(&a.roots.join(", ")),
        k.examined,
        k.matched,
        k.changed,
        k.missing,
        k.new,
        k.moved,
        k.type_changed,
        k.unreadable,
        k.unverifiable
    );
    if a.differences.is_empty() {
        return;
    }
    m.push_str("| Status | Path | Recorded | Found |\n|---|---|---|---|\n");
    for d in &a.differences {
        let path = match &d.from {
            Some(from) => format!("{} (from {})", esc(&d.path), esc(from)),
            None => esc(&d.path),
        };
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} |",
            d.status.as_str(),
            path,
            opt(&d.expected),
            opt(&d.found)
        );
    }
    m.push('\n');
}

/// Every signed entry about each exhibit, in ledger order, overrides
/// marked where they happened.
fn custody_section(
    m: &mut String,
    h: &SectionHead,
    timelines: &[super::Timeline],
    attachments: &[super::attachments::AttachmentRow],
) {
    heading(m, h);
    for t in timelines {
        let _ = writeln!(m, "### Exhibit {}\n", esc(&t.exhibit));
        m.push_str("| When | Entry | Who | What | Where (stated) | Why (stated) | Authority cited |\n|---|---|---|---|---|---|---|\n");
        for e in &t.events {
            let what = match &e.override_reason {
                Some(r) => format!("{} **OVERRIDE: {}**", esc(&e.what), esc(r)),
                None => esc(&e.what),
            };
            let when = if e.time_stated {
                format!("{} (stated; recorded {})", e.time, e.recorded)
            } else {
                e.time.clone()
            };
            let _ = writeln!(
                m,
                "| {} | {} | {} ({}) | {} | {} | {} | {} |",
                esc(&when),
                e.entry,
                esc(&e.who),
                code(e.fingerprint.as_str()),
                what,
                opt(&e.location),
                opt(&e.purpose),
                opt(&Some(e.authority_words()).filter(|a| !a.is_empty()))
            );
        }
        m.push('\n');
    }
    attachments_table(m, attachments);
}

/// The attached photos, scans, forms and logs (no images: the HTML report
/// shows thumbnails).
fn attachments_table(m: &mut String, rows: &[super::attachments::AttachmentRow]) {
    m.push_str(
        "### Attachments

",
    );
    if rows.is_empty() {
        m.push_str(
            "No file is attached to the case or to the exhibits of this report.

",
        );
        return;
    }
    m.push_str("Each is stored in the case folder under its SHA-256 and recorded in a signed entry; the description is the examiner's statement, EXIF values are the file's, as found in it.\n\n");
    m.push_str(
        "| Entry | File | Documents (stated) | SHA-256 | Stored copy |\n|---|---|---|---|---|\n",
    );
    for a in rows {
        let mut file = format!(
            "{} ({}, {}, {} bytes)",
            esc(&a.name),
            a.kind,
            esc(&a.media_type),
            a.bytes
        );
        if let Some(x) = a.exif_words() {
            file.push_str(&format!("; {}", esc(&x)));
        }
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} |",
            a.entry,
            file,
            esc(&a.about_words()),
            code(&a.sha256),
            esc(&a.stored_words())
        );
    }
    m.push('\n');
}

/// What was checked, the ledger result and its problems, the attached
/// timestamps, and the commands a third party runs to repeat it.
fn verification_section(m: &mut String, h: &SectionHead, r: &Report) {
    let v = &r.verification;
    heading(m, h);
    m.push_str("Checked when this report was generated:\n\n");
    for c in &v.checked {
        let _ = writeln!(m, "- {}", esc(c));
    }
    let _ = writeln!(
        m,
        "\nLedger result: **{}**; {} entries, {} bytes; head {}; root of trust: {}.\n",
        v.ledger_result.to_uppercase(),
        v.entries,
        v.bytes,
        code(&v.head.map(|h| h.to_hex()).unwrap_or_default()),
        serde_json::to_value(&v.root_of_trust)
            .ok()
            .and_then(|x| x.as_str().map(str::to_string))
            .unwrap_or_default()
    );
    if !v.problems.is_empty() {
        m.push_str("| Severity | Code | Entry | Message |\n|---|---|---|---|\n");
        for p in &v.problems {
            let _ = writeln!(
                m,
                "| {:?} | {} | {} | {} |",
                p.severity,
                p.code,
                p.entry.map(|e| e.to_string()).unwrap_or_default(),
                esc(&p.message)
            );
        }
        m.push('\n');
    }
    timestamps(m, &r.timestamps);
    m.push_str("To repeat these checks:\n\n```\n");
    for c in &v.commands {
        let _ = writeln!(m, "{}", crate::text::visible(c));
    }
    m.push_str("```\n\n");
}

/// The attached RFC 3161 timestamps: one table row each, then each token's
/// check level by level (nothing when none is attached).
fn timestamps(m: &mut String, timestamps: &[super::TimestampRow]) {
    if timestamps.is_empty() {
        return;
    }
    m.push_str("### Trusted timestamps (RFC 3161)\n\n| Entry | genTime | TSA | Serial | Covers | Verdict |\n|---|---|---|---|---|---|\n");
    for t in timestamps {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} | **{}** |",
            t.entry,
            esc(&t.gen_time),
            esc(&t.tsa),
            code(&t.serial),
            esc(&t.covers),
            esc(&t.verdict)
        );
    }
    m.push('\n');
    for t in timestamps {
        let _ = writeln!(m, "Timestamp {} (entry {}):\n", code(&t.reply), t.entry);
        for d in &t.details {
            let _ = writeln!(m, "- {}", esc(d));
        }
        m.push('\n');
    }
}

/// The known-answer self-tests run now and the exact tool, so that the
/// reliability of the method can be argued from this page.
fn reliability_section(m: &mut String, h: &SectionHead, r: &Report, o: &Outline) {
    let rel = &r.reliability;
    heading(m, h);
    let _ = writeln!(
        m,
        "Known-answer self-tests run when this report was generated: **{}**.\n",
        if rel.all_passed {
            "ALL PASSED"
        } else {
            "FAILURES (see below): do not rely on this report"
        }
    );
    m.push_str("| Test | Source | Expected | Computed | Result |\n|---|---|---|---|---|\n");
    for t in &rel.selftests {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} |",
            esc(&t.name),
            esc(&t.source),
            code(&t.expected),
            code(&t.computed),
            if t.passed { "pass" } else { "**FAIL**" }
        );
    }
    let _ = writeln!(
        m,
        "\nThis report was generated by: {} {} on {}; executable SHA-256 {}; source commit not recorded. The programs that acquired the exhibits are named in {}.\n\nSpecification: {}.\n\nIndependent verifier: {}.\n",
        esc(&r.tool.name),
        esc(&r.tool.version),
        esc(&r.tool.platform),
        code(r.tool.exe_sha256.as_deref().unwrap_or("unknown")),
        esc(&o.reference(Section::Exhibits)),
        esc(&rel.spec),
        esc(&rel.independent_verifier)
    );
}

/// Every key that could sign for the case, when it was added and whether
/// it was revoked.
fn signers_section(m: &mut String, h: &SectionHead, signers: &[super::SignerRow]) {
    heading(m, h);
    m.push_str("Principals and roles are as stated when each key was added; a role limits what the key may record and is not a qualification.\n\n| Principal (stated) | Role (stated) | Fingerprint | Added | Revoked |\n|---|---|---|---|---|\n");
    for s in signers {
        let _ = writeln!(
            m,
            "| {} | {} | {} | entry {} ({}) | {} |",
            esc(&s.principal),
            esc(&s.role),
            code(s.fingerprint.as_str()),
            s.added_entry,
            s.added,
            opt(&s.revoked)
        );
    }
    m.push('\n');
}

/// What custodian's records prove, what is the examiner's statement and
/// what is not covered, for each principle of the frameworks.
fn standards_section(m: &mut String, h: &SectionHead, r: &Report) {
    heading(m, h);
    let _ = writeln!(
        m,
        "{}\n\n| Framework | Principle | Proven by the ledger or a check for this report | Only the examiner's statement | Not covered by custodian |\n|---|---|---|---|---|",
        esc(super::standards::CAPTION)
    );
    for s in &r.standards {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} |",
            esc(&s.framework),
            esc(&s.principle),
            esc(&s.proven),
            esc(&s.stated),
            esc(&s.not_covered)
        );
    }
    m.push('\n');
}

/// The certification: who certifies (from the ledger), what they state
/// (qualifications, place, the text), and lines to sign by hand.
fn certification(m: &mut String, h: &SectionHead, c: &super::Certification) {
    heading(m, h);
    m.push_str("The certifier is a signer of the case, identified from the ledger; the qualifications, the place and the statement are the certifier's own, to be signed by hand.\n\n| | |\n|---|---|\n");
    let rows = [
        ("Certifier (principal, from the ledger)", esc(&c.principal)),
        ("Key fingerprint", code(c.fingerprint.as_str())),
        (
            "Role",
            format!("{} (entry {})", esc(&c.role), c.signer_entry),
        ),
        (
            "Qualifications",
            format!(
                "{} ({})",
                esc(&c.qualifications),
                esc(&c.qualifications_basis)
            ),
        ),
        (
            "Declaration",
            format!(
                "{} ({})",
                esc(&c.declaration_title),
                code(c.declaration.as_str())
            ),
        ),
        ("Date", esc(&c.date)),
        (
            "Place",
            format!("{} (stated by the certifier)", esc(&c.place)),
        ),
        (
            "Evidence",
            esc(super::certify::evidence_examined_label(
                &c.evidence_examined,
            )),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(m, "| {k} | {v} |");
    }
    let _ = writeln!(m, "\n**{}**\n", esc(&c.declaration_title));
    for p in c.statement.split("\n\n") {
        let _ = writeln!(m, "{}\n", esc(p));
    }
    m.push_str("Signature: ______________________________  Date: ______________\n\n");
}

/// What the report does not prove, stated as plainly as what it does.
fn limitations_section(m: &mut String, h: &SectionHead, limitations: &[String]) {
    heading(m, h);
    m.push_str("This report does not prove:\n\n");
    for l in limitations {
        let _ = writeln!(m, "- {}", esc(l));
    }
    m.push('\n');
}

/// The appendix: the complete file lists cut short in the exhibits
/// section, so that every digest is disclosed; or, when they were written
/// to a separate file, which file, with its digest.
fn appendix_section(
    w: &mut dyn std::io::Write,
    h: &SectionHead,
    r: &Report,
    o: &Outline,
) -> std::io::Result<()> {
    let mut m = String::new();
    heading(&mut m, h);
    match &r.appendix {
        Some(a) => {
            let _ = writeln!(m, "{}\n", esc(&a.sentences()));
        }
        None => file_lists(w, &mut m, r, o, "###")?,
    }
    flush(w, &mut m)
}

/// The complete file list of each exhibit of the appendix, under a
/// heading of `level`, the rows read from the manifest and written in
/// pieces of [`CHUNK`] (`m` holds what is not written yet).
fn file_lists(
    w: &mut dyn std::io::Write,
    m: &mut String,
    r: &Report,
    o: &Outline,
    level: &str,
) -> std::io::Result<()> {
    let mut any = false;
    for x in super::appendix::exhibits(r) {
        any = true;
        let _ = writeln!(
            m,
            "{level} Exhibit {}\n\n| Path | Size | Digests |\n|---|---|---|",
            esc(&x.id)
        );
        let mut rows = x.file_list.rows();
        for f in &mut rows {
            file_row(m, &f);
            if m.len() >= CHUNK {
                flush(w, m)?;
            }
        }
        rows.finish()?;
        m.push('\n');
    }
    if !any {
        let _ = writeln!(
            m,
            "No exhibit has more than {INLINE_FILES} files: every file is listed in {} of the report.\n",
            esc(&o.reference(Section::Exhibits))
        );
    }
    Ok(())
}

fn not_audited(ids: &[ExhibitId]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!("; not re-hashed: {}", esc(&ids.join(", ")))
    }
}

fn file_row(m: &mut String, f: &super::FileRow) {
    let digests: Vec<String> = f
        .digests
        .iter()
        .map(|(a, h)| format!("{}: {}", esc(a), code(h)))
        .collect();
    let mut marks = String::new();
    if f.known_good {
        marks.push_str(" (known-good)");
    }
    for h in &f.hashsets {
        let _ = write!(marks, " **IN HASH SET {}**", esc(h));
    }
    let _ = writeln!(
        m,
        "| {}{} | {} | {}{} |",
        esc(&f.path),
        marks,
        f.size.map(|s| s.to_string()).unwrap_or_default(),
        digests.join("<br>"),
        f.error
            .as_deref()
            .map(|e| format!(" ERROR: {}", esc(e)))
            .unwrap_or_default()
    );
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn hostile_text_cannot_inject_markup_or_break_tables() {
        assert_eq!(
            esc("<script>alert(1)</script>.jpg"),
            "&lt;script&gt;alert(1)&lt;/script&gt;.jpg"
        );
        // A line break cannot end a row: it is shown, escaped.
        assert_eq!(esc("a|b\nc"), "a\\|b\\nc");
        assert_eq!(esc("\u{202e}exe.txt\u{1b}"), "\\u{202e}exe.txt\\u{1b}");
        assert_eq!(esc("*x* [l](u) `c`"), "\\*x\\* \\[l\\](u) \\`c\\`");
    }
}
