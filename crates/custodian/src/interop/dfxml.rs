//! Digital Forensics XML (DFXML) 1.x: writing hash lists and reading them
//! back (mapping and escaping rules: `docs/guide/interop.md`).
//!
//! Output follows the DFXML schema's element order (`dfxml.xsd` from
//! github.com/dfxml-working-group/dfxml_schema): `<metadata>`, `<creator>`
//! (program, version, execution environment), then one `<fileobject>` per
//! regular file with `<filename>`, `<filesize>`, `<mtime>`, `<ctime>`,
//! `<atime>` and one `<hashdigest>` per algorithm.
//!
//! Names XML cannot carry exactly (not UTF-8, or holding a character XML 1.0
//! forbids or a parser rewrites: C0 controls other than tab and newline,
//! carriage return, U+FFFE, U+FFFF) are written as text with U+FFFD in place
//! of each offending byte or character, plus the exact bytes in base64 in a
//! `custodian:name_b64` attribute (allowed by the schema's `anyAttribute`).
//! The reader prefers that attribute, so a round trip is byte-exact.
//! Digests DFXML has no type for (sha3-256, blake3) are written as
//! `type="other"` with `custodian:type="sha3-256"`.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::hashing::{Algorithm, Digests, Record};

/// The DFXML namespace.
pub const DFXML_NS: &str = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML";
/// Dublin Core, used in `<metadata>`.
pub const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
/// Our own namespace, for the attributes DFXML has no element for.
pub const CUSTODIAN_NS: &str = "urn:x-custodian:dfxml:1";
/// The DFXML version written.
pub const DFXML_VERSION: &str = "1.2.0";

/// Who wrote the file and how (`<creator>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creator {
    pub program: String,
    pub version: String,
    /// The command line, arguments joined by spaces (lossy for non-UTF-8).
    pub command_line: String,
    /// RFC 3339 UTC.
    pub start_time: String,
    pub host: Option<String>,
}

impl Creator {
    /// This process: `custodian`, its version, its arguments and host.
    pub fn current(start: chrono::DateTime<chrono::Utc>) -> Creator {
        Creator {
            program: "custodian".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command_line: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" "),
            start_time: crate::time::format(start),
            host: Some(crate::process::host_name()),
        }
    }
}

/// What `<metadata>` says about the list (Dublin Core).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// `dc:type`, e.g. `Hash List`.
    pub kind: String,
    /// `dc:source`: where the list comes from (case, exhibit, manifest hash).
    pub source: Option<String>,
}

/// One file to write.
#[derive(Debug, Clone)]
pub struct FileObject<'a> {
    /// The name as raw bytes.
    pub name: &'a [u8],
    pub size: Option<u64>,
    pub mtime: Option<&'a str>,
    pub ctime: Option<&'a str>,
    pub atime: Option<&'a str>,
    pub digests: &'a Digests,
}

impl<'a> FileObject<'a> {
    /// A manifest record, under the display name `name`.
    pub fn from_record(r: &'a Record, name: &'a [u8]) -> Self {
        FileObject {
            name,
            size: r.size,
            mtime: r.mtime.as_deref(),
            ctime: r.ctime.as_deref(),
            atime: r.atime.as_deref(),
            digests: &r.digests,
        }
    }
}

/// Writes the XML declaration, the `<dfxml>` start tag, `<metadata>` and
/// `<creator>`. Follow with [`write_fileobject`] calls and [`write_footer`].
pub fn write_header<W: Write + ?Sized>(
    w: &mut W,
    creator: &Creator,
    meta: &Metadata,
) -> io::Result<()> {
    let mut x = quick_xml::Writer::new(&mut *w);
    x.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let root = BytesStart::new("dfxml").with_attributes([
        ("version", DFXML_VERSION),
        ("xmlns", DFXML_NS),
        ("xmlns:dc", DC_NS),
        ("xmlns:custodian", CUSTODIAN_NS),
    ]);
    nl(&mut x, 0)?;
    x.write_event(Event::Start(root))?;
    nl(&mut x, 1)?;
    x.write_event(Event::Start(BytesStart::new("metadata")))?;
    leaf(&mut x, 2, "dc:type", &[], &meta.kind)?;
    if let Some(s) = &meta.source {
        leaf(&mut x, 2, "dc:source", &[], s)?;
    }
    end(&mut x, 1, "metadata")?;
    nl(&mut x, 1)?;
    x.write_event(Event::Start(BytesStart::new("creator")))?;
    leaf(&mut x, 2, "program", &[], &creator.program)?;
    leaf(&mut x, 2, "version", &[], &creator.version)?;
    nl(&mut x, 2)?;
    x.write_event(Event::Start(BytesStart::new("execution_environment")))?;
    if let Some(h) = &creator.host {
        leaf(&mut x, 3, "host", &[], h)?;
    }
    leaf(&mut x, 3, "command_line", &[], &creator.command_line)?;
    leaf(&mut x, 3, "start_time", &[], &creator.start_time)?;
    end(&mut x, 2, "execution_environment")?;
    end(&mut x, 1, "creator")
}

/// Writes one `<fileobject>`.
pub fn write_fileobject<W: Write + ?Sized>(w: &mut W, f: &FileObject<'_>) -> io::Result<()> {
    let mut x = quick_xml::Writer::new(&mut *w);
    nl(&mut x, 1)?;
    x.write_event(Event::Start(BytesStart::new("fileobject")))?;
    let (text, b64) = xml_name(f.name);
    match &b64 {
        Some(b) => leaf(&mut x, 2, "filename", &[("custodian:name_b64", b)], &text)?,
        None => leaf(&mut x, 2, "filename", &[], &text)?,
    }
    if let Some(s) = f.size {
        leaf(&mut x, 2, "filesize", &[], &s.to_string())?;
    }
    for (name, t) in [("mtime", f.mtime), ("ctime", f.ctime), ("atime", f.atime)] {
        if let Some(t) = t {
            leaf(&mut x, 2, name, &[], t)?;
        }
    }
    for (a, hex) in f.digests.iter() {
        match dfxml_type(a) {
            Some(t) => leaf(&mut x, 2, "hashdigest", &[("type", t)], hex)?,
            None => leaf(
                &mut x,
                2,
                "hashdigest",
                &[("type", "other"), ("custodian:type", a.name())],
                hex,
            )?,
        }
    }
    end(&mut x, 1, "fileobject")
}

/// Closes the `<dfxml>` element.
pub fn write_footer<W: Write + ?Sized>(w: &mut W) -> io::Result<()> {
    let mut x = quick_xml::Writer::new(&mut *w);
    end(&mut x, 0, "dfxml")?;
    w.write_all(b"\n")
}

/// DFXML's `hashDigestType` spelling, if it has one.
pub fn dfxml_type(a: Algorithm) -> Option<&'static str> {
    match a {
        Algorithm::Md5 => Some("md5"),
        Algorithm::Sha1 => Some("sha1"),
        Algorithm::Sha256 => Some("sha256"),
        Algorithm::Sha512 => Some("sha512"),
        _ => None,
    }
}

/// The text XML can carry for `raw`, and the base64 of `raw` when that
/// text is not exactly `raw`.
pub fn xml_name(raw: &[u8]) -> (String, Option<String>) {
    let lossy = String::from_utf8_lossy(raw);
    let exact = matches!(lossy, std::borrow::Cow::Borrowed(_)) && lossy.chars().all(xml_exact);
    if exact {
        return (lossy.into_owned(), None);
    }
    let text = lossy
        .chars()
        .map(|c| if xml_exact(c) { c } else { '\u{FFFD}' })
        .collect();
    (
        text,
        Some(base64::engine::general_purpose::STANDARD.encode(raw)),
    )
}

/// Characters an XML 1.0 parser hands back unchanged in element content.
fn xml_exact(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Text that XML can carry: forbidden characters become U+FFFD.
fn xml_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if xml_exact(c) || c == '\r' {
                c
            } else {
                '\u{FFFD}'
            }
        })
        .collect()
}

fn nl<W: Write>(x: &mut quick_xml::Writer<W>, depth: usize) -> io::Result<()> {
    let mut s = String::from("\n");
    s.push_str(&"  ".repeat(depth));
    x.get_mut().write_all(s.as_bytes())
}

fn leaf<W: Write>(
    x: &mut quick_xml::Writer<W>,
    depth: usize,
    name: &str,
    attrs: &[(&str, &str)],
    text: &str,
) -> io::Result<()> {
    nl(x, depth)?;
    let start = BytesStart::new(name).with_attributes(attrs.iter().copied());
    x.write_event(Event::Start(start))?;
    // Carriage returns are written as a character reference, which parsers
    // keep (a literal CR would be read back as a newline).
    let text = xml_text(text);
    for (i, part) in text.split('\r').enumerate() {
        if i > 0 {
            x.get_mut().write_all(b"&#13;")?;
        }
        x.write_event(Event::Text(BytesText::new(part)))?;
    }
    x.write_event(Event::End(BytesEnd::new(name)))
}

fn end<W: Write>(x: &mut quick_xml::Writer<W>, depth: usize, name: &str) -> io::Result<()> {
    nl(x, depth)?;
    x.write_event(Event::End(BytesEnd::new(name)))
}

/// Writes exhibit `exhibit` of `case` as DFXML: every regular file of its
/// manifest, named as `custodian hash` names it (root as given, then the
/// path below it). The case is verified first; the manifest's SHA-256 and
/// the acquiring entry are cited in `<dc:source>`. Returns the number of
/// files written.
pub fn export_exhibit<W: Write + ?Sized>(
    case: &crate::case::Case,
    exhibit: &str,
    creator: &Creator,
    w: &mut W,
) -> Result<u64, super::ExportError> {
    use super::ExportError;
    let report = super::verified(case)?;
    super::check_exhibits(case, &report, &[exhibit.to_string()])?;
    let x = &report.state.exhibits[exhibit];
    let a = &x.acquisition;
    let case_id = report
        .state
        .case
        .as_ref()
        .map(|c| c.case_id.clone())
        .unwrap_or_default();
    let manifest = case.dir().join(&a.manifest.path);
    let merr = |source| ExportError::Manifest {
        exhibit: exhibit.to_string(),
        path: manifest.clone(),
        source,
    };
    let reader = crate::hashing::ManifestReader::open(&manifest).map_err(merr)?;
    let roots: Vec<Vec<u8>> = reader
        .header()
        .roots
        .iter()
        .map(|r| {
            crate::hashing::decode_bytes(&r.path, r.path_b64.as_deref())
                .map(|c| c.into_owned())
                .unwrap_or_else(|| r.path.clone().into_bytes())
        })
        .collect();
    let meta = Metadata {
        kind: "Hash List".into(),
        source: Some(format!(
            "custodian case {case_id}, exhibit {exhibit}, acquired in ledger entry {} \
             ({} to {}); manifest {} sha256:{}",
            x.acquired_seq, a.started, a.finished, a.manifest.path, a.manifest.sha256
        )),
    };
    write_header(w, creator, &meta).map_err(ExportError::Output)?;
    let mut n = 0;
    for record in reader {
        let r = record.map_err(merr)?;
        if r.kind != crate::hashing::FileKind::File || r.error.is_some() {
            continue;
        }
        let mut name = roots.get(r.root as usize).cloned().unwrap_or_default();
        let rel = r.path_bytes();
        if &*rel != b"." {
            if !name.ends_with(b"/") {
                name.push(b'/');
            }
            name.extend_from_slice(&rel);
        }
        write_fileobject(w, &FileObject::from_record(&r, &name)).map_err(ExportError::Output)?;
        n += 1;
    }
    write_footer(w).map_err(ExportError::Output)?;
    Ok(n)
}

/// A child element of a fileobject being read: name, attributes, text.
type Leaf = (String, Vec<(String, String)>, String);

/// One `<fileobject>` as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfxmlFile {
    /// The exact name (from `custodian:name_b64` when present).
    pub name: Vec<u8>,
    pub size: Option<u64>,
    pub digests: Digests,
    /// `<name_type>`, when given (`r` is a regular file).
    pub name_type: Option<String>,
}

/// Why a DFXML file could not be read; names the file, line and element.
#[derive(Debug, thiserror::Error)]
pub enum DfxmlError {
    #[error("{path}: {source}", path = .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}:{line}: {problem}", path = .path.display())]
    Parse {
        path: PathBuf,
        line: u64,
        problem: DfxmlProblem,
    },
}

/// What is wrong in a DFXML document, at the line [`DfxmlError`] names.
#[derive(Debug, thiserror::Error)]
pub enum DfxmlProblem {
    #[error("not well-formed XML: {0}")]
    NotWellFormed(quick_xml::Error),
    #[error("no <dfxml> element")]
    NoRoot,
    #[error("root element is <{found}>, not <dfxml>")]
    WrongRoot { found: String },
    #[error("unknown entity &{name};")]
    UnknownEntity { name: String },
    #[error("a DOCTYPE is not accepted in a DFXML hash list")]
    DocType,
    #[error("the document ends inside a <fileobject>")]
    EndsInsideFileobject,
    #[error("bad attribute: {0}")]
    BadAttribute(quick_xml::events::attributes::AttrError),
    #[error("bad attribute value: {reason}")]
    BadAttributeValue { reason: String },
    #[error("<filename> name_b64 is not base64: {0}")]
    NameNotBase64(base64::DecodeError),
    #[error("<filesize> {text:?} is not a size in bytes")]
    BadSize { text: String },
    #[error("<hashdigest type={kind:?}>: unknown digest type")]
    UnknownDigestType { kind: String },
    #[error("<hashdigest type={kind:?}> {digest:?} is not a {len}-digit hex digest")]
    NotHex {
        kind: String,
        digest: String,
        len: usize,
    },
}

/// Reads every `<fileobject>` of a DFXML document. Elements it does not
/// know are skipped; no DTD or external entity is ever processed.
pub fn read(path: &Path, input: impl BufRead) -> Result<Vec<DfxmlFile>, DfxmlError> {
    let mut r = quick_xml::Reader::from_reader(input);
    r.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut state = ReadState::default();
    // Line numbers are counted from the bytes consumed so far.
    let mut lines = LineCounter::new(path);
    loop {
        let pos = r.buffer_position();
        let step = match r.read_event_into(&mut buf) {
            Ok(ev) => state.event(ev),
            Err(quick_xml::Error::Io(e)) => {
                return Err(DfxmlError::Io {
                    path: path.to_path_buf(),
                    source: io::Error::new(e.kind(), e.to_string()),
                })
            }
            Err(e) => Err(DfxmlProblem::NotWellFormed(e)),
        };
        match step {
            Ok(false) => {}
            Ok(true) => break,
            Err(problem) => {
                return Err(DfxmlError::Parse {
                    path: path.to_path_buf(),
                    line: lines.line_at(pos),
                    problem,
                })
            }
        }
        buf.clear();
    }
    if !state.seen_root {
        return Err(DfxmlError::Parse {
            path: path.to_path_buf(),
            line: 1,
            problem: DfxmlProblem::NoRoot,
        });
    }
    Ok(state.files)
}

/// What [`read`] knows between two XML events: the files read so far and
/// the `<fileobject>` (and its child element) being read.
#[derive(Default)]
struct ReadState {
    files: Vec<DfxmlFile>,
    current: Option<DfxmlFile>,
    /// Leaf element being read inside a fileobject: (name, attrs, text).
    leaf: Option<Leaf>,
    /// Depth below the current `<fileobject>` (0: directly inside it).
    depth_in_file: usize,
    seen_root: bool,
}

impl ReadState {
    /// Takes one event; `Ok(true)` at the end of the document. An error is
    /// the problem, to which [`read`] adds the file and line.
    fn event(&mut self, ev: Event<'_>) -> Result<bool, DfxmlProblem> {
        match ev {
            Event::Start(s) | Event::Empty(s)
                if !self.seen_root && local(s.name().0) != "dfxml" =>
            {
                return Err(DfxmlProblem::WrongRoot {
                    found: s.name().0.to_string(),
                });
            }
            Event::Start(s) => self.start(&s)?,
            // An empty element (even an empty fileobject) names nothing.
            Event::Empty(_) => self.seen_root = true,
            Event::Text(t) => self.text(&t.xml10_content()),
            Event::GeneralRef(g) if self.leaf.is_some() => {
                let name = g.xml10_content().into_owned();
                let c = match g.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => predefined_entity(&name)
                        .ok_or_else(|| DfxmlProblem::UnknownEntity { name: name.clone() })?
                        .to_string(),
                };
                self.text(&c);
            }
            Event::CData(c) => self.text(&c.xml10_content()),
            Event::End(_) => self.end()?,
            Event::DocType(_) => return Err(DfxmlProblem::DocType),
            Event::Eof if self.current.is_some() => return Err(DfxmlProblem::EndsInsideFileobject),
            Event::Eof => return Ok(true),
            _ => {}
        }
        Ok(false)
    }

    /// A start tag: a `<fileobject>` begins, or a child element of one
    /// whose text and attributes are collected until its end tag.
    fn start(&mut self, s: &BytesStart<'_>) -> Result<(), DfxmlProblem> {
        self.seen_root = true;
        let name = local(s.name().0).to_string();
        if self.current.is_none() {
            if name == "fileobject" {
                self.current = Some(DfxmlFile {
                    name: Vec::new(),
                    size: None,
                    digests: Digests::default(),
                    name_type: None,
                });
                self.depth_in_file = 0;
            }
            return Ok(());
        }
        self.depth_in_file += 1;
        if self.depth_in_file == 1 {
            self.leaf = Some((name, attributes(s)?, String::new()));
        }
        Ok(())
    }

    /// Text of the child element being read (ignored elsewhere).
    fn text(&mut self, t: &str) {
        if let Some((_, _, text)) = self.leaf.as_mut() {
            text.push_str(t);
        }
    }

    /// An end tag: `</fileobject>` completes a file; the end of one of its
    /// children applies that child to it.
    fn end(&mut self) -> Result<(), DfxmlProblem> {
        let Some(file) = self.current.as_mut() else {
            return Ok(());
        };
        if self.depth_in_file == 0 {
            self.files
                .push(self.current.take().expect("inside a fileobject"));
            return Ok(());
        }
        if self.depth_in_file == 1 {
            if let Some((name, attrs, text)) = self.leaf.take() {
                apply(file, &name, &attrs, &text)?;
            }
        }
        self.depth_in_file -= 1;
        Ok(())
    }
}

/// The five entities XML predefines.
fn predefined_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        _ => return None,
    })
}

/// The local part of a possibly prefixed name.
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn attributes(s: &BytesStart<'_>) -> Result<Vec<(String, String)>, DfxmlProblem> {
    let mut out = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(DfxmlProblem::BadAttribute)?;
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| DfxmlProblem::BadAttributeValue {
                reason: e.to_string(),
            })?;
        out.push((attr_key(a.key.0), v.into_owned()));
    }
    Ok(out)
}

/// Attribute names keep their prefix only for ours (`custodian:type`).
fn attr_key(key: &str) -> String {
    match key.strip_prefix("custodian:") {
        Some(rest) => format!("custodian:{rest}"),
        None => local(key).to_string(),
    }
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Applies one child element of a fileobject.
fn apply(
    f: &mut DfxmlFile,
    name: &str,
    attrs: &[(String, String)],
    text: &str,
) -> Result<(), DfxmlProblem> {
    match name {
        "filename" => {
            f.name = match attr(attrs, "custodian:name_b64") {
                Some(b) => base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .map_err(DfxmlProblem::NameNotBase64)?,
                None => text.as_bytes().to_vec(),
            }
        }
        "filesize" => {
            f.size = Some(text.trim().parse().map_err(|_| DfxmlProblem::BadSize {
                text: text.to_string(),
            })?)
        }
        "name_type" => f.name_type = Some(text.trim().to_string()),
        "hashdigest" => {
            let mut t = attr(attrs, "type").unwrap_or("");
            if t.eq_ignore_ascii_case("other") {
                t = attr(attrs, "custodian:type").unwrap_or(t);
            }
            let a: Algorithm = t.parse().map_err(|_| DfxmlProblem::UnknownDigestType {
                kind: t.to_string(),
            })?;
            let hex = text.trim().to_ascii_lowercase();
            if hex.len() != a.hex_len() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(DfxmlProblem::NotHex {
                    kind: t.to_string(),
                    digest: hex,
                    len: a.hex_len(),
                });
            }
            f.digests.insert(a, hex);
        }
        _ => {}
    }
    Ok(())
}

/// Turns byte offsets into line numbers by re-reading the file on error
/// only (the reader streams and does not keep what it has read).
struct LineCounter {
    path: PathBuf,
}

impl LineCounter {
    fn new(path: &Path) -> Self {
        LineCounter {
            path: path.to_path_buf(),
        }
    }

    fn line_at(&mut self, offset: u64) -> u64 {
        let Ok(bytes) = std::fs::read(&self.path) else {
            return 0;
        };
        let end = (offset as usize).min(bytes.len());
        1 + bytes[..end].iter().filter(|b| **b == b'\n').count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &[u8], digests: &Digests) -> Vec<u8> {
        let mut out = Vec::new();
        let creator = Creator {
            program: "custodian".into(),
            version: "0".into(),
            command_line: "custodian hash <x> & \u{1}".into(),
            start_time: "2026-01-01T00:00:00Z".into(),
            host: None,
        };
        write_header(
            &mut out,
            &creator,
            &Metadata {
                kind: "Hash List".into(),
                source: None,
            },
        )
        .unwrap();
        write_fileobject(
            &mut out,
            &FileObject {
                name,
                size: Some(3),
                mtime: Some("2026-01-01T00:00:00.000000000Z"),
                ctime: None,
                atime: None,
                digests,
            },
        )
        .unwrap();
        write_footer(&mut out).unwrap();
        out
    }

    #[test]
    fn hostile_names_round_trip_exactly() {
        let mut d = Digests::default();
        d.insert(Algorithm::Md5, "0".repeat(32));
        d.insert(Algorithm::Blake3, "a".repeat(64));
        for name in [
            b"plain.txt".to_vec(),
            b"a<b>&\"'c".to_vec(),
            b"caf\xe9 \xff".to_vec(),
            b"cr\rlf\n\ttab".to_vec(),
            b"ctl\x01\x1b]0;x\x07".to_vec(),
            "\u{FFFF}x ]]> é".as_bytes().to_vec(),
            b"  spaces  ".to_vec(),
        ] {
            let xml = sample(&name, &d);
            let files = read(Path::new("t.xml"), &xml[..]).unwrap();
            assert_eq!(files.len(), 1, "{}", String::from_utf8_lossy(&xml));
            assert_eq!(files[0].name, name, "{}", String::from_utf8_lossy(&xml));
            assert_eq!(files[0].digests, d);
            assert_eq!(files[0].size, Some(3));
        }
    }

    #[test]
    fn hostile_documents_are_errors_not_panics() {
        for doc in [
            &b""[..],
            b"<notdfxml/>",
            b"<dfxml><fileobject><filesize>x</filesize></fileobject></dfxml>",
            b"<dfxml><fileobject><hashdigest type='md5'>zz</hashdigest></fileobject></dfxml>",
            b"<dfxml><fileobject><hashdigest type='crc'>00</hashdigest></fileobject></dfxml>",
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><dfxml>&e;</dfxml>",
            b"<dfxml><fileobject><filename>&bogus;</filename></fileobject></dfxml>",
            b"<dfxml><fileobject><filename custodian:name_b64='!!'>x</filename></fileobject></dfxml>",
            b"<dfxml><fileobject>",
            b"\xff\xfe<",
        ] {
            assert!(read(Path::new("t.xml"), doc).is_err(), "{doc:?}");
        }
    }
}
