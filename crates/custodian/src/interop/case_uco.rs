//! CASE 1.x / UCO 1.x JSON-LD export of a case (mapping: `docs/interop.md`).
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
//! (`docs/case-uco.md`).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde_json::{json, Value};

use super::ExportError;
use crate::case::Case;
use crate::hashing::{Algorithm, FileKind, ManifestReader};
use crate::ledger::{principal_map, Body, Entry};
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
pub fn export(case: &Case, exhibits: &[String]) -> Result<Value, ExportError> {
    let report = super::verified(case)?;
    super::check_exhibits(case, &report, exhibits)?;
    let selected = |x: &str| exhibits.is_empty() || exhibits.iter().any(|e| e == x);
    let state = &report.state;
    let open = state.case.clone();
    let case_id = open.as_ref().map(|c| c.case_id.clone()).unwrap_or_default();
    let kb = kb_namespace(&case_id);
    let entries: Vec<(Entry, String)> = case
        .ledger()
        .entries()?
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    let names: HashMap<Fingerprint, String> = principal_map(entries.iter().map(|(e, _)| e));
    let mut nodes: Vec<Value> = Vec::new();
    let mut in_case: Vec<String> = Vec::new();
    let mut identities: BTreeMap<String, Value> = BTreeMap::new();
    let mut identity = |fp: &Fingerprint| -> String {
        let iri = format!("kb:identity-{}", slug(fp.as_str()));
        identities.entry(iri.clone()).or_insert_with(|| {
            json!({
                "@id": iri,
                "@type": "uco-identity:Identity",
                "uco-core:name": names.get(fp).cloned().unwrap_or_else(|| fp.to_string()),
                "uco-core:description": format!("holder of the Ed25519 signing key {fp} in the custodian ledger"),
            })
        });
        iri
    };
    // Per exhibit: its object IRI and its latest provenance record.
    let mut exhibit_iri: BTreeMap<String, String> = BTreeMap::new();
    let mut last_record: BTreeMap<String, String> = BTreeMap::new();
    let mut tools: BTreeMap<String, Value> = BTreeMap::new();
    let mut authorizations: Vec<String> = Vec::new();
    let mut issuers: BTreeMap<String, Value> = BTreeMap::new();

    for (e, hash) in &entries {
        let body = match Body::parse(&e.kind, &e.body) {
            Ok(b) => b,
            Err(_) => continue,
        };
        let seq = e.seq;
        let performer = identity(&e.signer);
        let tool_iri = format!("kb:tool-{}-{}", slug(&e.tool.name), slug(&e.tool.version));
        let ledger_note = format!("custodian ledger entry {seq} ({}), hash {hash}", e.kind);
        match body {
            Body::CaseOpen(o) => {
                if let Some(reference) = &o.authority {
                    let iri = format!("kb:authorization-{seq}");
                    let mut node = json!({
                        "@id": iri,
                        "@type": "case-investigation:Authorization",
                        "case-investigation:authorizationIdentifier": [reference],
                        "uco-core:description": format!("authority named when the case was opened; {ledger_note}"),
                        "uco-core:objectCreatedTime": typed("xsd:dateTime", e.time.clone()),
                    });
                    if let Some(j) = &o.jurisdiction {
                        node["uco-core:description"] = Value::String(format!(
                            "authority named when the case was opened (jurisdiction {j}); {ledger_note}"
                        ));
                    }
                    nodes.push(node);
                    authorizations.push(iri.clone());
                    in_case.push(iri);
                }
            }
            Body::Authority(a)
                if exhibits.is_empty()
                    || a.scope.all
                    || a.scope.exhibits.iter().any(|x| selected(x)) =>
            {
                let iri = format!("kb:authorization-{seq}");
                let issuer = format!("kb:issuer-{}", slug(&a.issuer));
                issuers.entry(issuer.clone()).or_insert_with(|| {
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
                    "; valid {} to {} inclusive (UTC); {ledger_note}",
                    a.valid_from,
                    a.valid_until.as_deref().unwrap_or("(open-ended)")
                ));
                let mut node = json!({
                    "@id": iri,
                    "@type": "case-investigation:Authorization",
                    "uco-core:name": a.reference,
                    "case-investigation:authorizationIdentifier": [a.reference],
                    "case-investigation:authorizationType": a.kind,
                    "uco-core:createdBy": id(&issuer),
                    "uco-core:startTime": typed("xsd:dateTime", format!("{}T00:00:00Z", a.valid_from)),
                    "uco-core:description": desc,
                    "uco-core:objectCreatedTime": typed("xsd:dateTime", e.time.clone()),
                });
                if let Some(u) = &a.valid_until {
                    node["uco-core:endTime"] = typed("xsd:dateTime", format!("{u}T23:59:59Z"));
                }
                nodes.push(node);
                authorizations.push(iri.clone());
                in_case.push(iri);
            }
            Body::Note(n) => {
                let iri = format!("kb:annotation-{seq}");
                nodes.push(json!({
                    "@id": iri,
                    "@type": "uco-core:Annotation",
                    "uco-core:statement": n.text,
                    "uco-core:object": [id("kb:investigation")],
                    "uco-core:createdBy": id(&performer),
                    "uco-core:objectCreatedTime": typed("xsd:dateTime", e.time.clone()),
                    "uco-core:description": format!("note recorded in the case; {ledger_note}"),
                }));
                in_case.push(iri);
            }
            Body::ExhibitAcquire(a) if selected(&a.exhibit) => {
                tools.entry(tool_iri.clone()).or_insert_with(|| {
                    json!({
                        "@id": tool_iri,
                        "@type": "uco-tool:Tool",
                        "uco-core:name": e.tool.name,
                        "uco-tool:version": e.tool.version,
                    })
                });
                let ex = format!("kb:exhibit-{seq}");
                exhibit_iri.insert(a.exhibit.clone(), ex.clone());
                let mut results = vec![id(&ex)];
                // The exhibit itself.
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
                nodes.push(file_facet);
                if let Some(d) = &a.digests {
                    let f = format!("{ex}-content");
                    let facet = content_facet(
                        &f,
                        Some(a.counts.bytes),
                        d.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                        &mut nodes,
                    );
                    nodes.push(facet);
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
                nodes.push(obj);
                in_case.push(ex.clone());

                // The manifest, cited by hash in the signed entry.
                let m = format!("kb:manifest-{seq}");
                let mc = format!("{m}-content");
                let facet = content_facet(
                    &mc,
                    Some(a.manifest.bytes),
                    [("sha256", a.manifest.sha256.as_str())].into_iter(),
                    &mut nodes,
                );
                nodes.push(facet);
                nodes.push(json!({
                    "@id": m,
                    "@type": "uco-observable:ObservableObject",
                    "uco-core:name": a.manifest.path,
                    "uco-core:description": format!("custodian manifest of exhibit {} (docs/manifest-format.md)", a.exhibit),
                    "uco-core:hasFacet": [id(&mc)],
                }));
                results.push(id(&m));
                in_case.push(m.clone());

                // Each regular file of a folder exhibit.
                if !single {
                    let path = case.dir().join(&a.manifest.path);
                    let merr = |source| ExportError::Manifest {
                        exhibit: a.exhibit.clone(),
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
                        nodes.push(json!({
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
                            &mut nodes,
                        );
                        nodes.push(facet);
                        nodes.push(json!({
                            "@id": f,
                            "@type": "uco-observable:ObservableObject",
                            "uco-core:name": rel,
                            "uco-core:hasFacet": [id(&format!("{f}-file")), id(&format!("{f}-content"))],
                        }));
                        results.push(id(&f));
                        in_case.push(f);
                    }
                }

                let record = provenance(
                    &mut nodes,
                    seq,
                    &a.exhibit,
                    std::slice::from_ref(&ex),
                    &ledger_note,
                );
                last_record.insert(a.exhibit.clone(), record.clone());
                results.push(id(&record));
                let action = json!({
                    "@id": format!("kb:action-{seq}"),
                    "@type": "case-investigation:InvestigativeAction",
                    "uco-core:name": e.kind,
                    "uco-core:description": format!("acquisition of exhibit {} on host {}: {} file(s), {} byte(s); {ledger_note}", a.exhibit, a.host, a.counts.files, a.counts.bytes),
                    "uco-action:performer": id(&performer),
                    "uco-action:instrument": id(&tool_iri),
                    "uco-action:startTime": typed("xsd:dateTime", a.started.clone()),
                    "uco-action:endTime": typed("xsd:dateTime", a.finished.clone()),
                    "uco-action:result": results,
                });
                nodes.push(action);
                in_case.push(format!("kb:action-{seq}"));
                in_case.push(record);
            }
            Body::Custody(ev) => {
                let c = ev.common();
                let touched: Vec<&String> = c
                    .exhibits
                    .iter()
                    .filter(|x| selected(x) && exhibit_iri.contains_key(*x))
                    .collect();
                if touched.is_empty() {
                    continue;
                }
                let mut objects = Vec::new();
                let mut results = Vec::new();
                for x in &touched {
                    if let Some(prev) = last_record.get(*x) {
                        objects.push(id(prev));
                    }
                }
                let exs: Vec<String> = touched.iter().map(|x| exhibit_iri[*x].clone()).collect();
                let label = touched
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let record = provenance(&mut nodes, seq, &label, &exs, &ledger_note);
                for x in &touched {
                    last_record.insert((*x).clone(), record.clone());
                }
                results.push(id(&record));
                let mut what = ev.summary();
                for (fp, name) in &names {
                    what = what.replace(fp.as_str(), name);
                }
                let mut desc = format!("{what}; {ledger_note}");
                if let Some(l) = &c.location {
                    desc.push_str(&format!("; location: {l}"));
                }
                if let Some(p) = &c.purpose {
                    desc.push_str(&format!("; purpose: {p}"));
                }
                if let Some(auth) = &c.authority {
                    desc.push_str(&format!("; authority: {auth}"));
                }
                let start = c.at.clone().unwrap_or_else(|| e.time.clone());
                nodes.push(json!({
                    "@id": format!("kb:action-{seq}"),
                    "@type": "case-investigation:InvestigativeAction",
                    "uco-core:name": e.kind,
                    "uco-core:description": desc,
                    "uco-action:performer": id(&performer),
                    "uco-action:startTime": typed("xsd:dateTime", start),
                    "uco-action:endTime": typed("xsd:dateTime", e.time.clone()),
                    "uco-action:object": objects,
                    "uco-action:result": results,
                }));
                in_case.push(format!("kb:action-{seq}"));
                in_case.push(record);
            }
            _ => {}
        }
    }
    nodes.extend(identities.into_values());
    nodes.extend(tools.into_values());
    nodes.extend(issuers.into_values());
    let mut inv = json!({
        "@id": "kb:investigation",
        "@type": "case-investigation:Investigation",
        "uco-core:name": case_id,
        "uco-core:object": in_case.iter().map(|s| id(s)).collect::<Vec<_>>(),
    });
    if let Some(o) = &open {
        inv["uco-core:description"] = Value::String(o.title.clone());
    }
    if !authorizations.is_empty() {
        inv["case-investigation:relevantAuthorization"] =
            Value::Array(authorizations.iter().map(|s| id(s)).collect());
    }
    nodes.push(inv);
    let hashes: HashMap<u64, &str> = entries.iter().map(|(e, h)| (e.seq, h.as_str())).collect();
    rename_ids(&mut nodes, &case_id, &hashes);
    nodes.sort_by(|a, b| a["@id"].as_str().cmp(&b["@id"].as_str()));
    Ok(json!({
        "@context": context(&kb),
        "@graph": nodes,
    }))
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
    fn walk(v: &mut Value, map: &HashMap<String, String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(s)) = o.get_mut("@id") {
                    if let Some(new) = map.get(s.as_str()) {
                        *s = new.clone();
                    }
                }
                for (k, x) in o.iter_mut() {
                    if k != "@id" {
                        walk(x, map);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, map)),
            _ => {}
        }
    }
    for n in nodes.iter_mut() {
        walk(n, &map);
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

    /// The worked example of docs/case-uco.md.
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
