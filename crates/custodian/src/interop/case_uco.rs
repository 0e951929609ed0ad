//! CASE 1.x / UCO 1.x JSON-LD export of a case (mapping: `docs/guide/interop.md`).
//!
//! The graph holds the investigation, one `uco-observable:ObservableObject`
//! per exhibit (and per regular file of a folder exhibit, and per
//! manifest), the acquisition and every custody event as
//! `case-investigation:InvestigativeAction` with its performer (the signer's
//! `uco-identity:Identity`), times, objects and results, and one
//! `case-investigation:ProvenanceRecord` per action, chained: an action's
//! object is the exhibit's previous provenance record, its result the next.
//!
//! Authorities become `case-investigation:Authorization` nodes (linked from
//! the investigation by `relevantAuthorization`), notes `uco-core:Annotation`
//! nodes about the investigation.
//!
//! Output is deterministic: keys sorted (serde_json's map is ordered), nodes
//! sorted by `@id`, and every `@id` is `kb:<Type>-<UUIDv5>` with the UUID
//! derived from the case id, the ledger entry hash and the node's role (no
//! random UUIDs), so the same ledger always gives the same bytes
//! (`docs/guide/case-uco.md`).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde_json::{json, Value};

use super::ExportError;
use crate::case::Case;
use crate::hashing::{Algorithm, FileKind, ManifestReader};
use crate::ledger::{principal_map, Body, Entry, ExhibitAcquire, ExhibitId};
use crate::Fingerprint;

/// CASE ontology version the vocabulary follows.
pub const CASE_VERSION: &str = "1.4.0";

/// The `@context`: the prefixes the graph uses.
pub fn context(kb: &str) -> Value {
    json!({
        "kb": kb,
        "case-investigation": "https://ontology.caseontology.org/case/investigation/",
        "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
        "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
        "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
        "uco-location": "https://ontology.unifiedcyberontology.org/uco/location/",
        "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
        "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
        "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
        "uco-vocabulary": "https://ontology.unifiedcyberontology.org/uco/vocabulary/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
    })
}

/// The `kb:` namespace of a case: `urn:x-custodian:case:<case id>:`, the
/// case id percent-encoded outside `[A-Za-z0-9._~-]`.
pub fn kb_namespace(case_id: &str) -> String {
    format!("urn:x-custodian:case:{}:", slug(case_id))
}

/// Percent-encodes everything but unreserved IRI characters.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// UCO's `HashNameVocab` spelling, or `None` for an algorithm the
/// vocabulary lacks (written as a plain string instead).
pub fn hash_vocab(a: Algorithm) -> Option<&'static str> {
    match a {
        Algorithm::Md5 => Some("MD5"),
        Algorithm::Sha1 => Some("SHA1"),
        Algorithm::Sha256 => Some("SHA256"),
        Algorithm::Sha512 => Some("SHA512"),
        Algorithm::Sha3_256 => Some("SHA3-256"),
        Algorithm::Blake3 => None,
    }
}

fn typed(t: &str, v: impl Into<Value>) -> Value {
    json!({"@type": t, "@value": v.into()})
}

fn id(s: &str) -> Value {
    json!({"@id": s})
}

fn hash_node(node_id: &str, algo: &str, hex: &str) -> Value {
    // UCO 1.4 wants a plain xsd:string, drawn from HashNameVocab when it
    // has the algorithm.
    let method = match algo.parse::<Algorithm>().ok().and_then(hash_vocab) {
        Some(v) => v.to_string(),
        None => algo.to_ascii_uppercase(),
    };
    json!({
        "@id": node_id,
        "@type": "uco-types:Hash",
        "uco-types:hashMethod": method,
        "uco-types:hashValue": typed("xsd:hexBinary", hex.to_ascii_uppercase()),
    })
}

/// A content-data facet holding `digests` (and the size, if known).
fn content_facet<'a>(
    node_id: &str,
    size: Option<u64>,
    digests: impl Iterator<Item = (&'a str, &'a str)>,
    nodes: &mut Vec<Value>,
) -> Value {
    let mut hashes = Vec::new();
    for (algo, hex) in digests {
        let h = format!("{node_id}-{}", slug(algo));
        nodes.push(hash_node(&h, algo, hex));
        hashes.push(id(&h));
    }
    let mut f = json!({
        "@id": node_id,
        "@type": "uco-observable:ContentDataFacet",
        "uco-observable:hash": hashes,
    });
    if let Some(s) = size {
        f["uco-observable:sizeInBytes"] = typed("xsd:integer", s);
    }
    f
}

/// Builds the JSON-LD graph of `case`, limited to `exhibits` (all when
/// empty). The case is verified first.
///
/// The entries are replayed in ledger order by a `Graph`, one step per
/// kind of entry (authority, note, acquisition, custody event), because a
/// custody action's object is the provenance record the previous action
/// on the same exhibit left.
pub fn export(case: &Case, exhibits: &[String]) -> Result<Value, ExportError> {
    let report = super::verified(case)?;
    super::check_exhibits(case, &report, exhibits)?;
    let open = report.state.case.clone();
    let case_id = open.as_ref().map(|c| c.case_id.clone()).unwrap_or_default();
    let kb = kb_namespace(&case_id);
    let entries: Vec<(Entry, String)> = case
        .ledger()
        .entries()?
        .into_iter()
        .filter_map(Result::ok)
        .map(|(e, h)| (e, h.to_hex()))
        .collect();
    let mut graph = Graph::new(
        case,
        exhibits,
        principal_map(entries.iter().map(|(e, _)| e)),
    );
    for (e, hash) in &entries {
        graph.entry(e, hash)?;
    }
    let mut nodes = graph.finish(&case_id, open.as_ref());
    let hashes: HashMap<u64, &str> = entries.iter().map(|(e, h)| (e.seq, h.as_str())).collect();
    rename_ids(&mut nodes, &case_id, &hashes);
    nodes.sort_by(|a, b| a["@id"].as_str().cmp(&b["@id"].as_str()));
    Ok(json!({
        "@context": context(&kb),
        "@graph": nodes,
    }))
}

/// The graph as it is built, entry by entry, with internal ids
/// (`kb:<role>-<seq>…`, renamed by [`rename_ids`] at the end).
struct Graph<'a> {
    case: &'a Case,
    /// The exhibits to export (all when empty).
    exhibits: &'a [String],
    /// Signer key to principal.
    names: HashMap<Fingerprint, String>,
    nodes: Vec<Value>,
    /// Every node the investigation lists as its object, in ledger order.
    in_case: Vec<String>,
    /// One node per signer key, per tool version and per issuer, added at
    /// the end: they are shared by many entries.
    identities: BTreeMap<String, Value>,
    tools: BTreeMap<String, Value>,
    issuers: BTreeMap<String, Value>,
    /// Stated locations and seals, one node each.
    places: BTreeMap<String, Value>,
    /// Per exhibit: its object IRI and its latest provenance record.
    exhibit_iri: BTreeMap<ExhibitId, String>,
    last_record: BTreeMap<ExhibitId, String>,
    authorizations: Vec<String>,
}

/// What every node made from one entry cites: the entry, its signer's
/// identity and a note naming the entry and its hash.
struct At<'e> {
    entry: &'e Entry,
    seq: u64,
    performer: String,
    ledger_note: String,
}

impl<'a> Graph<'a> {
    fn new(case: &'a Case, exhibits: &'a [String], names: HashMap<Fingerprint, String>) -> Self {
        Graph {
            case,
            exhibits,
            names,
            nodes: Vec::new(),
            in_case: Vec::new(),
            identities: BTreeMap::new(),
            tools: BTreeMap::new(),
            issuers: BTreeMap::new(),
            places: BTreeMap::new(),
            exhibit_iri: BTreeMap::new(),
            last_record: BTreeMap::new(),
            authorizations: Vec::new(),
        }
    }

    /// Whether exhibit `x` is exported.
    fn selected(&self, x: &str) -> bool {
        self.exhibits.is_empty() || self.exhibits.iter().any(|e| e == x)
    }

    /// The identity node of a signer key (made on first use); its IRI.
    fn identity(&mut self, fp: &Fingerprint) -> String {
        let iri = format!("kb:identity-{}", slug(fp.as_str()));
        let names = &self.names;
        self.identities.entry(iri.clone()).or_insert_with(|| {
            json!({
                "@id": iri,
                "@type": "uco-identity:Identity",
                "uco-core:name": names.get(fp).cloned().unwrap_or_else(|| fp.to_string()),
                "uco-core:description": format!("holder of the Ed25519 signing key {fp} in the custodian ledger"),
            })
        });
        iri
    }

    /// Adds what entry `e` (of hash `hash`) contributes. Entries whose body
    /// does not parse are skipped (the verification reported them); every
    /// other entry's signer gets an identity node, whatever its kind.
    fn entry(&mut self, e: &Entry, hash: &str) -> Result<(), ExportError> {
        let Ok(body) = Body::parse(&e.kind, &e.body) else {
            return Ok(());
        };
        let at = At {
            entry: e,
            seq: e.seq,
            performer: self.identity(&e.signer),
            ledger_note: format!("custodian ledger entry {} ({}), hash {hash}", e.seq, e.kind),
        };
        match body {
            Body::CaseOpen(o) => self.opening_authority(&at, &o),
            Body::Authority(a)
                if self.exhibits.is_empty()
                    || a.scope.all
                    || a.scope.exhibits.iter().any(|x| self.selected(x)) =>
            {
                self.authority(&at, &a)
            }
            Body::Note(n) => self.note(&at, &n),
            Body::ExhibitAcquire(a) if self.selected(&a.exhibit) => self.acquisition(&at, &a)?,
            Body::Custody(ev) => self.custody(&at, &ev),
            _ => {}
        }
        Ok(())
    }

    /// The authority named when the case was opened, if any.
    fn opening_authority(&mut self, at: &At, o: &crate::ledger::CaseOpen) {
        let Some(reference) = &o.authority else {
            return;
        };
        let ledger_note = &at.ledger_note;
        let iri = format!("kb:authorization-{}", at.seq);
        let mut node = json!({
            "@id": iri,
            "@type": "case-investigation:Authorization",
            "case-investigation:authorizationIdentifier": [reference],
            "uco-core:description": format!("authority named when the case was opened; {ledger_note}"),
            "uco-core:objectCreatedTime": typed("xsd:dateTime", at.entry.time.clone()),
        });
        if let Some(j) = &o.jurisdiction {
            node["uco-core:description"] = Value::String(format!(
                "authority named when the case was opened (jurisdiction {j}); {ledger_note}"
            ));
        }
        self.nodes.push(node);
        self.authorizations.push(iri.clone());
        self.in_case.push(iri);
    }

    /// A registered legal authority, its issuer as an organisation and its
    /// scope and validity in words.
    fn authority(&mut self, at: &At, a: &crate::custody::Authority) {
        let iri = format!("kb:authorization-{}", at.seq);
        let issuer = format!("kb:issuer-{}", slug(&a.issuer));
        self.issuers.entry(issuer.clone()).or_insert_with(|| {
            json!({
                "@id": issuer,
                "@type": "uco-identity:Organization",
                "uco-core:name": a.issuer,
                "uco-core:description": "issuer of a legal authority registered in the custodian ledger",
            })
        });
        let scope = if a.scope.all {
            "every exhibit of the case".to_string()
        } else {
            format!("exhibits {}", a.scope.exhibits.join(", "))
        };
        let mut desc = format!(
            "{} issued {} by {} ({}); scope: {scope}",
            a.kind, a.issued, a.issuer, a.jurisdiction
        );
        if let Some(d) = &a.scope.description {
            desc.push_str(&format!(" ({d})"));
        }
        desc.push_str(&format!(
            "; valid {} to {} inclusive (UTC); {}",
            a.valid_from_or_issued(),
            a.valid_until.as_deref().unwrap_or("(open-ended)"),
            at.ledger_note
        ));
        let mut node = json!({
            "@id": iri,
            "@type": "case-investigation:Authorization",
            "uco-core:name": a.reference,
            "case-investigation:authorizationIdentifier": [a.reference],
            "case-investigation:authorizationType": a.kind,
            "uco-core:createdBy": id(&issuer),
            "uco-core:startTime": typed("xsd:dateTime", format!("{}T00:00:00Z", a.valid_from_or_issued())),
            "uco-core:description": desc,
            "uco-core:objectCreatedTime": typed("xsd:dateTime", at.entry.time.clone()),
        });
        if let Some(u) = &a.valid_until {
            node["uco-core:endTime"] = typed("xsd:dateTime", format!("{u}T23:59:59Z"));
        }
        self.nodes.push(node);
        self.authorizations.push(iri.clone());
        self.in_case.push(iri);
    }

    /// A note, as an annotation about the investigation.
    fn note(&mut self, at: &At, n: &crate::ledger::Note) {
        let iri = format!("kb:annotation-{}", at.seq);
        self.nodes.push(json!({
            "@id": iri,
            "@type": "uco-core:Annotation",
            "uco-core:statement": n.text,
            "uco-core:object": [id("kb:investigation")],
            "uco-core:createdBy": id(&at.performer),
            "uco-core:objectCreatedTime": typed("xsd:dateTime", at.entry.time.clone()),
            "uco-core:description": format!("note recorded in the case; {}", at.ledger_note),
        }));
        self.in_case.push(iri);
    }

    /// An acquisition: the exhibit, its manifest, each file of a folder
    /// exhibit, the first provenance record, and the action that produced
    /// them with its tool.
    fn acquisition(&mut self, at: &At, a: &ExhibitAcquire) -> Result<(), ExportError> {
        let (e, seq) = (at.entry, at.seq);
        let tool_iri = self.tool(e);
        let ex = format!("kb:exhibit-{seq}");
        self.exhibit_iri.insert(a.exhibit.clone(), ex.clone());
        let mut results = vec![id(&ex)];
        self.exhibit_object(&ex, a);
        let device = self.source_device(&ex, a);
        let blocker = self.write_blocker(&ex, a);
        let host = self.host(&ex, a);
        results.push(id(&self.manifest_object(seq, a)));
        if a.digests.is_none() {
            self.file_objects(&ex, a, &mut results)?;
        }

        let record = provenance(
            &mut self.nodes,
            seq,
            &a.exhibit,
            std::slice::from_ref(&ex),
            &at.ledger_note,
        );
        self.last_record.insert(a.exhibit.clone(), record.clone());
        results.push(id(&record));
        let action = json!({
            "@id": format!("kb:action-{seq}"),
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": e.kind,
            "uco-core:description": format!("acquisition of exhibit {} on host {}: {} file(s), {} byte(s); {}", a.exhibit, a.host, a.counts.files, a.counts.bytes, at.ledger_note),
            "uco-action:performer": id(&at.performer),
            "uco-action:instrument": id(&tool_iri),
            "uco-action:startTime": typed("xsd:dateTime", a.started.clone()),
            "uco-action:endTime": typed("xsd:dateTime", a.finished.clone()),
            "uco-action:result": results,
        });
        let mut action = action;
        if let Some(d) = device {
            action["uco-action:object"] = json!([id(&d)]);
        }
        if let Some(b) = blocker {
            action["uco-action:instrument"] = json!([id(&tool_iri), id(&b)]);
        }
        if let Some(h) = host {
            action["uco-action:environment"] = id(&h);
        }
        self.nodes.push(action);
        self.in_case.push(format!("kb:action-{seq}"));
        self.in_case.push(record);
        Ok(())
    }

    /// The exhibit itself (`ex`): a file or folder, with its digests when
    /// it is a single file.
    fn exhibit_object(&mut self, ex: &str, a: &ExhibitAcquire) {
        let mut facets = Vec::new();
        let single = a.digests.is_some();
        let root_name = a.roots.first().cloned().unwrap_or_default();
        let mut file_facet = json!({
            "@id": format!("{ex}-file"),
            "@type": "uco-observable:FileFacet",
            "uco-observable:fileName": root_name.rsplit('/').find(|s| !s.is_empty()).unwrap_or(&root_name),
            "uco-observable:filePath": root_name,
            "uco-observable:isDirectory": !single,
        });
        if single {
            file_facet["uco-observable:sizeInBytes"] = typed("xsd:integer", a.counts.bytes);
        }
        facets.push(id(&format!("{ex}-file")));
        self.nodes.push(file_facet);
        if let Some(d) = &a.digests {
            let f = format!("{ex}-content");
            let facet = content_facet(
                &f,
                Some(a.counts.bytes),
                d.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                &mut self.nodes,
            );
            self.nodes.push(facet);
            facets.push(id(&f));
        }
        let mut desc = a.description.clone().unwrap_or_default();
        if let Some(s) = &a.source {
            desc = format!("{desc} (source: {s})").trim().to_string();
        }
        let mut obj = json!({
            "@id": ex,
            "@type": "uco-observable:ObservableObject",
            "uco-core:name": a.exhibit,
            "uco-core:hasFacet": facets,
        });
        if !desc.is_empty() {
            obj["uco-core:description"] = Value::String(desc);
        }
        self.nodes.push(obj);
        self.in_case.push(ex.to_string());
    }

    /// The device the exhibit was acquired from (`ex` is the exhibit's IRI),
    /// when the entry records a source-device record: a `Device` with a
    /// `DeviceFacet` (kind, manufacturer, model, serial) and, when sector
    /// size and count are both known, a `StorageMediumFacet` with their
    /// product. UCO has no place for a value's origin, so the description
    /// says, for each value, where it came from. Its IRI.
    fn source_device(&mut self, ex: &str, a: &ExhibitAcquire) -> Option<String> {
        let d = a.source_device.as_ref()?;
        let iri = format!("{ex}-device");
        let facet_iri = format!("{iri}-facet");
        let mut facet = json!({
            "@id": facet_iri,
            "@type": "uco-observable:DeviceFacet",
        });
        if let Some(k) = &d.kind {
            facet["uco-observable:deviceType"] = json!(k.value.as_str());
        }
        if let Some(m) = &d.model {
            facet["uco-observable:model"] = json!(m.value);
        }
        if let Some(sn) = &d.serial {
            facet["uco-observable:serialNumber"] = json!(sn.value);
        }
        if let Some(make) = &d.make {
            facet["uco-observable:manufacturer"] = id(&self.manufacturer(&make.value));
        }
        let mut facets = vec![id(&facet_iri)];
        self.nodes.push(facet);
        let capacity = match (&d.sector_size, &d.sector_count) {
            (Some(size), Some(count)) => size.value.checked_mul(count.value),
            _ => None,
        };
        if let Some(bytes) = capacity {
            let m = format!("{iri}-medium");
            self.nodes.push(json!({
                "@id": m,
                "@type": "uco-observable:StorageMediumFacet",
                "uco-observable:totalStorageCapacityInBytes": typed("xsd:integer", bytes),
            }));
            facets.push(id(&m));
        }
        let said: Vec<String> = d
            .members()
            .into_iter()
            .map(|(name, v)| match v {
                Some(v) => format!("{name} {v}"),
                None => format!("{name} not stated"),
            })
            .collect();
        let mut desc = format!(
            "source device of exhibit {}, as recorded at acquisition: {}",
            a.exhibit,
            said.join("; ")
        );
        if capacity.is_some() {
            desc.push_str("; capacity = sector size × sector count");
        }
        self.nodes.push(json!({
            "@id": iri,
            "@type": "uco-observable:Device",
            "uco-core:name": format!("source device of exhibit {}", a.exhibit),
            "uco-core:description": desc,
            "uco-core:hasFacet": facets,
        }));
        self.in_case.push(iri.clone());
        Some(iri)
    }

    /// The write-blocker the examiner states was used, as a `WriteBlocker`
    /// with a `DeviceFacet` (model, serial); its IRI. None when none was
    /// stated or "none" was (the source device's description says so).
    fn write_blocker(&mut self, ex: &str, a: &ExhibitAcquire) -> Option<String> {
        let w = a.source_device.as_ref()?.write_blocker.as_ref()?;
        let crate::provenance::WriteBlocker::Device(dev) = &w.value else {
            return None;
        };
        let iri = format!("{ex}-blocker");
        let facet_iri = format!("{iri}-facet");
        let mut facet = json!({
            "@id": facet_iri,
            "@type": "uco-observable:DeviceFacet",
            "uco-observable:model": dev.model,
        });
        if let Some(sn) = &dev.serial {
            facet["uco-observable:serialNumber"] = json!(sn);
        }
        self.nodes.push(facet);
        self.nodes.push(json!({
            "@id": iri,
            "@type": "uco-observable:WriteBlocker",
            "uco-core:name": dev.model,
            "uco-core:description": format!("write-blocker used to acquire exhibit {} ({})", a.exhibit, w.origin_words()),
            "uco-core:hasFacet": [id(&facet_iri)],
        }));
        self.in_case.push(iri.clone());
        Some(iri)
    }

    /// The acquiring machine, when the entry records its system: a
    /// `Computer` with its host name; operating system, kernel and clock
    /// state in the description. Its IRI.
    fn host(&mut self, ex: &str, a: &ExhibitAcquire) -> Option<String> {
        let h = a.host_system.as_ref()?;
        let iri = format!("{ex}-host");
        let facet_iri = format!("{iri}-facet");
        self.nodes.push(json!({
            "@id": facet_iri,
            "@type": "uco-observable:ComputerSpecificationFacet",
            "uco-observable:hostname": h.name,
        }));
        let clock = a
            .clock
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_else(|| "not stated".into());
        self.nodes.push(json!({
            "@id": iri,
            "@type": "uco-observable:Computer",
            "uco-core:name": h.name,
            "uco-core:description": format!(
                "machine that acquired exhibit {}: operating system {}; kernel {}; clock at acquisition: {clock}",
                a.exhibit,
                h.os.as_deref().unwrap_or("not stated"),
                h.kernel.as_deref().unwrap_or("not stated"),
            ),
            "uco-core:hasFacet": [id(&facet_iri)],
        }));
        self.in_case.push(iri.clone());
        Some(iri)
    }

    /// The identity of a device manufacturer (one node per name), its IRI.
    fn manufacturer(&mut self, name: &str) -> String {
        let iri = format!("kb:manufacturer-{}", slug(name));
        self.issuers.entry(iri.clone()).or_insert_with(|| {
            json!({
                "@id": iri,
                "@type": "uco-identity:Organization",
                "uco-core:name": name,
                "uco-core:description": "manufacturer of a source device, as recorded at acquisition",
            })
        });
        iri
    }

    /// The exhibit's manifest, cited by hash in the signed entry; its IRI.
    fn manifest_object(&mut self, seq: u64, a: &ExhibitAcquire) -> String {
        let m = format!("kb:manifest-{seq}");
        let mc = format!("{m}-content");
        let facet = content_facet(
            &mc,
            Some(a.manifest.bytes),
            [("sha256", a.manifest.sha256.as_str())].into_iter(),
            &mut self.nodes,
        );
        self.nodes.push(facet);
        self.nodes.push(json!({
            "@id": m,
            "@type": "uco-observable:ObservableObject",
            "uco-core:name": a.manifest.path,
            "uco-core:description": format!("custodian manifest of exhibit {} (docs/spec/manifest.md)", a.exhibit),
            "uco-core:hasFacet": [id(&mc)],
        }));
        self.in_case.push(m.clone());
        m
    }

    /// Each regular file of a folder exhibit `ex`, read from its manifest,
    /// added to the acquisition's `results`.
    fn file_objects(
        &mut self,
        ex: &str,
        a: &ExhibitAcquire,
        results: &mut Vec<Value>,
    ) -> Result<(), ExportError> {
        let path = self.case.dir().join(&a.manifest.path);
        let merr = |source| ExportError::Manifest {
            exhibit: a.exhibit.to_string(),
            path: path.clone(),
            source,
        };
        let reader = ManifestReader::open(&path).map_err(merr)?;
        for (i, r) in reader.enumerate() {
            let r = r.map_err(merr)?;
            if r.kind != FileKind::File {
                continue;
            }
            let f = format!("{ex}-f{i}");
            let rel = if a.roots.len() > 1 {
                format!("{}/{}", r.root, r.path)
            } else {
                r.path.clone()
            };
            self.nodes.push(json!({
                "@id": format!("{f}-file"),
                "@type": "uco-observable:FileFacet",
                "uco-observable:fileName": rel.rsplit('/').next().unwrap_or(&rel),
                "uco-observable:filePath": rel,
                "uco-observable:sizeInBytes": typed("xsd:integer", r.size.unwrap_or(0)),
            }));
            let facet = content_facet(
                &format!("{f}-content"),
                r.size,
                r.digests.iter().map(|(a, h)| (a.name(), h)),
                &mut self.nodes,
            );
            self.nodes.push(facet);
            self.nodes.push(json!({
                "@id": f,
                "@type": "uco-observable:ObservableObject",
                "uco-core:name": rel,
                "uco-core:hasFacet": [id(&format!("{f}-file")), id(&format!("{f}-content"))],
            }));
            results.push(id(&f));
            self.in_case.push(f);
        }
        Ok(())
    }

    /// The Tool node of the program that wrote `e` (one per name and
    /// version), as its IRI.
    fn tool(&mut self, e: &Entry) -> String {
        let tool_iri = format!("kb:tool-{}-{}", slug(&e.tool.name), slug(&e.tool.version));
        self.tools.entry(tool_iri.clone()).or_insert_with(|| {
            json!({
                "@id": tool_iri,
                "@type": "uco-tool:Tool",
                "uco-core:name": e.tool.name,
                "uco-tool:version": e.tool.version,
            })
        });
        tool_iri
    }

    /// The Location node of a stated location (one per distinct text), as
    /// its IRI. Only the signer's words: no address is parsed or invented.
    fn location(&mut self, text: &str) -> String {
        let iri = format!("kb:location-{}", slug(text));
        self.places.entry(iri.clone()).or_insert_with(|| {
            json!({
                "@id": iri,
                "@type": "uco-location:Location",
                "uco-core:name": text,
                "uco-core:description": "location as stated by the signer of the custody entry",
            })
        });
        iri
    }

    /// The seal of a seal or unseal event, as an observable object (one per
    /// seal id), its IRI. What the seal is (bag, tape, label) is not
    /// recorded, so the node says only that it is a stated seal.
    fn seal(&mut self, seal: &str) -> String {
        let iri = format!("kb:seal-{}", slug(seal));
        self.places.entry(iri.clone()).or_insert_with(|| {
            json!({
                "@id": iri,
                "@type": "uco-observable:ObservableObject",
                "uco-core:name": seal,
                "uco-core:description": "tamper-evident seal, identified by the number the signer stated",
            })
        });
        iri
    }

    /// A custody event on exported, acquired exhibits: an action whose
    /// object is each exhibit's previous provenance record and whose result
    /// is the next one; its instruments are the program that recorded it
    /// and, for a seal or unseal, the seal; its location the stated one.
    fn custody(&mut self, at: &At, ev: &crate::custody::Event) {
        let (e, seq) = (at.entry, at.seq);
        let c = ev.common();
        let touched: Vec<&ExhibitId> = c
            .exhibits
            .iter()
            .filter(|x| self.selected(x) && self.exhibit_iri.contains_key(*x))
            .collect();
        if touched.is_empty() {
            return;
        }
        let mut objects = Vec::new();
        let mut results = Vec::new();
        for x in &touched {
            if let Some(prev) = self.last_record.get(*x) {
                objects.push(id(prev));
            }
        }
        let exs: Vec<String> = touched
            .iter()
            .map(|x| self.exhibit_iri[*x].clone())
            .collect();
        let label = touched
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let record = provenance(&mut self.nodes, seq, &label, &exs, &at.ledger_note);
        for x in &touched {
            self.last_record.insert((*x).clone(), record.clone());
        }
        results.push(id(&record));
        let start = c.at.clone().unwrap_or_else(|| e.time.clone());
        let mut instruments = vec![id(&self.tool(e))];
        if let crate::custody::Event::Seal { seal, .. }
        | crate::custody::Event::Unseal { seal, .. } = ev
        {
            instruments.push(id(&self.seal(seal)));
        }
        let mut action = json!({
            "@id": format!("kb:action-{seq}"),
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": e.kind,
            "uco-core:description": self.custody_description(at, ev),
            "uco-action:performer": id(&at.performer),
            "uco-action:instrument": instruments,
            "uco-action:startTime": typed("xsd:dateTime", start),
            "uco-action:endTime": typed("xsd:dateTime", e.time.clone()),
            "uco-action:object": objects,
            "uco-action:result": results,
        });
        if let Some(l) = &c.location {
            action["uco-action:location"] = id(&self.location(l));
        }
        self.nodes.push(action);
        self.in_case.push(format!("kb:action-{seq}"));
        self.in_case.push(record);
    }

    /// A custody event in words, keys replaced by their principals, with
    /// the entry and the stated location, purpose and authority.
    fn custody_description(&self, at: &At, ev: &crate::custody::Event) -> String {
        let c = ev.common();
        let mut what = ev.summary();
        for (fp, name) in &self.names {
            what = what.replace(fp.as_str(), name);
        }
        let mut desc = format!("{what}; {}", at.ledger_note);
        if let Some(l) = &c.location {
            desc.push_str(&format!("; location: {l}"));
        }
        if let Some(p) = &c.purpose {
            desc.push_str(&format!("; purpose: {p}"));
        }
        if let Some(auth) = &c.authority {
            desc.push_str(&format!("; authority: {auth}"));
        }
        desc
    }

    /// Every node: those made entry by entry, then the shared identities,
    /// tools and issuers, then the investigation listing what it holds.
    fn finish(mut self, case_id: &str, open: Option<&crate::ledger::CaseOpen>) -> Vec<Value> {
        self.nodes.extend(self.identities.into_values());
        self.nodes.extend(self.tools.into_values());
        self.nodes.extend(self.places.into_values());
        self.nodes.extend(self.issuers.into_values());
        let mut inv = json!({
            "@id": "kb:investigation",
            "@type": "case-investigation:Investigation",
            "uco-core:name": case_id,
            "uco-core:object": self.in_case.iter().map(|s| id(s)).collect::<Vec<_>>(),
        });
        if let Some(o) = open {
            inv["uco-core:description"] = Value::String(o.title.clone());
        }
        if !self.authorizations.is_empty() {
            inv["case-investigation:relevantAuthorization"] =
                Value::Array(self.authorizations.iter().map(|s| id(s)).collect());
        }
        self.nodes.push(inv);
        self.nodes
    }
}

/// The namespace of custodian's UUIDv5 node ids: UUIDv5 (URL namespace) of
/// `urn:x-custodian:case-uco`.
pub fn uuid_namespace() -> uuid::Uuid {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:x-custodian:case-uco")
}

/// Renames every node from its internal id (`kb:exhibit-5-f3-content`:
/// role, ledger entry seq, part) to `kb:<Type>-<UUIDv5>`, where `<Type>` is
/// the local name of its `@type` and the UUID is UUIDv5 in
/// [`uuid_namespace`] of `<case id> LF <entry hash> LF <internal id>` (the
/// entry hash of the seq the internal id names, empty for nodes not tied
/// to one entry: identities, tools, issuers, the investigation). Every
/// `{"@id": …}` reference is rewritten the same way. Same ledger, same ids.
fn rename_ids(nodes: &mut [Value], case_id: &str, hashes: &HashMap<u64, &str>) {
    let ns = uuid_namespace();
    let mut map: HashMap<String, String> = HashMap::new();
    for n in nodes.iter() {
        let (Some(old), Some(ty)) = (n["@id"].as_str(), n["@type"].as_str()) else {
            continue;
        };
        let local = ty.rsplit(':').next().unwrap_or(ty);
        let seq = old
            .strip_prefix("kb:")
            .and_then(|r| r.split('-').nth(1))
            .and_then(|s| s.parse::<u64>().ok());
        let entry_hash = match old.split('-').next() {
            Some(
                "kb:exhibit" | "kb:manifest" | "kb:action" | "kb:provenance" | "kb:authorization"
                | "kb:annotation",
            ) => seq.and_then(|s| hashes.get(&s).copied()).unwrap_or(""),
            _ => "",
        };
        let name = format!("{case_id}\n{entry_hash}\n{old}");
        let u = uuid::Uuid::new_v5(&ns, name.as_bytes());
        map.insert(old.to_string(), format!("kb:{local}-{u}"));
    }
    for n in nodes.iter_mut() {
        rewrite_ids(n, &map);
    }
}

/// Rewrites every `@id` in `v`, at any depth, through `map` (ids it does
/// not hold are kept).
fn rewrite_ids(v: &mut Value, map: &HashMap<String, String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(s)) = o.get_mut("@id") {
                if let Some(new) = map.get(s.as_str()) {
                    *s = new.clone();
                }
            }
            for (k, x) in o.iter_mut() {
                if k != "@id" {
                    rewrite_ids(x, map);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_ids(x, map)),
        _ => {}
    }
}

/// Adds a provenance record for `exhibits` after entry `seq`; returns its IRI.
fn provenance(
    nodes: &mut Vec<Value>,
    seq: u64,
    label: &str,
    exhibits: &[String],
    note: &str,
) -> String {
    let iri = format!("kb:provenance-{seq}");
    nodes.push(json!({
        "@id": iri,
        "@type": "case-investigation:ProvenanceRecord",
        "case-investigation:exhibitNumber": label,
        "uco-core:description": format!("state of exhibit(s) {label} after {note}"),
        "uco-core:object": exhibits.iter().map(|s| id(s)).collect::<Vec<_>>(),
    }));
    iri
}

/// Writes the graph as pretty-printed JSON (keys sorted), newline-terminated.
pub fn write<W: Write + ?Sized>(graph: &Value, w: &mut W) -> Result<(), ExportError> {
    serde_json::to_writer_pretty(&mut *w, graph)
        .map_err(|e| ExportError::Output(std::io::Error::other(e)))?;
    w.write_all(b"\n").map_err(ExportError::Output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_iri_safe_and_injective_enough() {
        assert_eq!(slug("2026/0042 a"), "2026%2F0042%20a");
        assert_eq!(slug("SHA256:ab+/="), "SHA256%3Aab%2B%2F%3D");
        assert_eq!(kb_namespace("X"), "urn:x-custodian:case:X:");
    }

    /// The worked example of docs/guide/case-uco.md.
    #[test]
    fn node_ids_are_the_documented_uuidv5() {
        assert_eq!(
            uuid_namespace().to_string(),
            "eed990b5-1373-5e54-8c97-c28a42c3fd1b"
        );
        let mut nodes = vec![
            json!({"@id": "kb:investigation", "@type": "case-investigation:Investigation"}),
            json!({"@id": "kb:annotation-2", "@type": "uco-core:Annotation",
                   "uco-core:object": [{"@id": "kb:investigation"}]}),
        ];
        let hashes = HashMap::from([(2u64, "ab")]);
        rename_ids(&mut nodes, "FR-2026/0042", &hashes);
        let inv = "kb:Investigation-ba9195a3-aa34-5bdb-84d9-5363e536395b";
        assert_eq!(nodes[0]["@id"], inv);
        assert_eq!(nodes[1]["uco-core:object"][0]["@id"], inv);
        let note = uuid::Uuid::new_v5(&uuid_namespace(), b"FR-2026/0042\nab\nkb:annotation-2");
        assert_eq!(nodes[1]["@id"], format!("kb:Annotation-{note}"));
    }
}
