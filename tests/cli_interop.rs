//! End-to-end tests of the interop formats: DFXML (`hash --format dfxml`,
//! `export dfxml`, read back by `diff`), CASE/UCO JSON-LD (`export
//! case-uco`) and E01 (`ewf-verify`). xmllint is required (DFXML output
//! is validated against the committed official schema); the other external
//! checkers (case_validate, ewfverify, ewfexport) run when installed
//! (.ci/run installs them), otherwise the test prints why that check was
//! skipped.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

const MD5: &str = "ea1191b1a124f0b5289144bb923d5234";
const SHA1: &str = "5f39a4555a681e9333b21104af3a23d9d7903b15";

fn have(tool: &str) -> bool {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("skipped: {tool} is not installed");
    }
    ok
}

/// Validates `file` against the official DFXML 1.2.0 schema committed in
/// fixtures/dfxml (see its PROVENANCE.md). Not skippable: .ci/run installs
/// xmllint (libxml2-utils).
fn dfxml_schema_valid(file: &Path) {
    let out = Command::new("xmllint")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args(["--noout", "--nonet", "--schema", "fixtures/dfxml/dfxml.xsd"])
        .arg(file)
        .output()
        .expect("xmllint (libxml2-utils) must be installed: .ci/run installs it");
    assert!(
        out.status.success(),
        "{} does not validate against fixtures/dfxml/dfxml.xsd:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A case with a folder exhibit, a single-file exhibit and a seal.
fn case() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("case");
    let run = |args: &[&str]| {
        let mut cmd = custodian();
        cmd.args(args).arg("--key").arg(key_path("lead"));
        expect_code(&cmd.output().unwrap(), 0);
    };
    let cs = c.to_str().unwrap();
    run(&[
        "init",
        cs,
        "--case-id",
        "FR-2026/0042",
        "--title",
        "Seized laptop",
        "--authority",
        "Warrant 1",
    ]);
    run(&[
        "acquire",
        cs,
        "--exhibit=EXH-001",
        "-q",
        "fixtures/sample/laptop",
    ]);
    run(&[
        "acquire",
        cs,
        "--exhibit=EXH-002",
        "-q",
        "fixtures/sample/usb-stick/wallet.dat",
    ]);
    run(&[
        "custody",
        "seal",
        cs,
        "--exhibit",
        "EXH-001",
        "--seal",
        "S-1",
        "--location",
        "evidence room 2",
    ]);
    run(&[
        "authority",
        "add",
        cs,
        "--reference",
        "TJ-LYON-26/1187",
        "--kind",
        "search-warrant",
        "--issuer",
        "Tribunal judiciaire de Lyon",
        "--jurisdiction",
        "FR",
        "--issued",
        "2026-03-01",
        "--valid-from",
        "2026-03-01",
        "--valid-until",
        "2026-09-01",
        "--scope-exhibit",
        "EXH-001",
    ]);
    run(&["note", cs, "--text", "Laptop screen cracked on arrival"]);
    dir
}

/// The case_validate to run: $CASE_VALIDATE (set by .ci/run to its pinned
/// venv install; then it must work), else one on PATH, else None (the
/// validation is skipped, saying so).
fn case_validate() -> Option<String> {
    if let Ok(cv) = std::env::var("CASE_VALIDATE") {
        return Some(cv);
    }
    have("case_validate").then(|| "case_validate".to_string())
}

#[test]
fn hash_format_dfxml_is_well_formed_and_diff_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = custodian()
        .args(["hash", "-r", "--format", "dfxml", "-q", "fixtures/sample"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dfxml version=\"1.2.0\" xmlns=\"http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\""));
    for el in [
        "<metadata>",
        "<creator>",
        "<program>custodian</program>",
        "<execution_environment>",
        "<command_line>",
        "<start_time>",
        "<filesize>",
        "<mtime>",
        "<hashdigest type=\"sha256\">",
    ] {
        assert!(xml.contains(el), "no {el} in\n{xml}");
    }
    assert_eq!(xml.matches("<fileobject>").count(), 6);
    let file = dir.path().join("h.xml");
    std::fs::write(&file, &xml).unwrap();
    dfxml_schema_valid(&file);
    let sums = dir.path().join("sums");
    let out = custodian()
        .args(["hash", "-r", "-q", "fixtures/sample"])
        .output()
        .unwrap();
    std::fs::write(&sums, out.stdout).unwrap();
    let out = custodian()
        .arg("diff")
        .arg(&file)
        .arg(&sums)
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("(DFXML, 6 files"));
}

/// The committed schema is really applied: a fileobject with its elements
/// out of the schema's order is refused.
#[test]
fn committed_dfxml_schema_rejects_misordered_elements() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.dfxml");
    std::fs::write(
        &bad,
        "<?xml version=\"1.0\"?>\n<dfxml version=\"1.2.0\" xmlns=\"http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML\">\n<metadata/><creator><program>x</program><version>1</version></creator>\n<fileobject><filesize>1</filesize><filename>a</filename></fileobject>\n</dfxml>\n",
    )
    .unwrap();
    let out = Command::new("xmllint")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args(["--noout", "--nonet", "--schema", "fixtures/dfxml/dfxml.xsd"])
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("filename': This element is not expected"),
        "{err}"
    );
}

#[test]
fn export_dfxml_and_case_uco() {
    let dir = case();
    let c = dir.path().join("case");
    let x = dir.path().join("x.dfxml");
    let out = custodian()
        .args(["export", "dfxml"])
        .arg(&c)
        .args(["--exhibit", "EXH-001", "-o"])
        .arg(&x)
        .output()
        .unwrap();
    expect_code(&out, 0);
    dfxml_schema_valid(&x);
    let xml = std::fs::read_to_string(&x).unwrap();
    assert_eq!(xml.matches("<fileobject>").count(), 4);
    assert!(xml.contains("exhibit EXH-001"));
    // Never overwrites.
    let out = custodian()
        .args(["export", "dfxml"])
        .arg(&c)
        .args(["--exhibit", "EXH-001", "-o"])
        .arg(&x)
        .output()
        .unwrap();
    expect_code(&out, 2);

    let j = dir.path().join("case.jsonld");
    let out = custodian()
        .args(["export", "case-uco"])
        .arg(&c)
        .arg("-o")
        .arg(&j)
        .output()
        .unwrap();
    expect_code(&out, 0);
    let text = std::fs::read_to_string(&j).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let graph = v["@graph"].as_array().unwrap();
    let by_type = |t: &str| graph.iter().filter(|n| n["@type"] == t).collect::<Vec<_>>();
    let names: Vec<&str> = by_type("uco-observable:ObservableObject")
        .iter()
        .filter_map(|n| n["uco-core:name"].as_str())
        .collect();
    assert!(
        names.contains(&"EXH-001") && names.contains(&"EXH-002"),
        "{names:?}"
    );
    // Nodes are sorted by id, and ids are UUIDs: compare as a set.
    let mut actions: Vec<&str> = by_type("case-investigation:InvestigativeAction")
        .iter()
        .filter_map(|n| n["uco-core:name"].as_str())
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        ["custody.seal", "exhibit.acquire", "exhibit.acquire"]
    );
    for a in by_type("case-investigation:InvestigativeAction") {
        assert!(a["uco-action:performer"]["@id"]
            .as_str()
            .unwrap()
            .starts_with("kb:Identity-"));
    }
    // A custody action names its instruments (the program that recorded
    // it, and the seal) and the stated location as nodes (issue 17 item 19).
    let node = |iri: &str| graph.iter().find(|n| n["@id"] == iri).unwrap();
    let seal = by_type("case-investigation:InvestigativeAction")
        .into_iter()
        .find(|a| a["uco-core:name"] == "custody.seal")
        .unwrap();
    let instruments: Vec<&Value> = seal["uco-action:instrument"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| node(i["@id"].as_str().unwrap()))
        .collect();
    assert!(
        instruments.iter().any(|n| n["@type"] == "uco-tool:Tool"),
        "{instruments:?}"
    );
    assert!(
        instruments
            .iter()
            .any(|n| n["@type"] == "uco-observable:ObservableObject" && n["uco-core:name"] == "S-1"),
        "{instruments:?}"
    );
    let place = node(seal["uco-action:location"]["@id"].as_str().unwrap());
    assert_eq!(place["@type"], "uco-location:Location");
    assert_eq!(place["uco-core:name"], "evidence room 2");
    // Every node: kb:<its type>-<UUIDv5>.
    for n in graph {
        let idv = n["@id"].as_str().unwrap();
        let ty = n["@type"].as_str().unwrap();
        let local = ty.rsplit(':').next().unwrap();
        let u = idv
            .strip_prefix(&format!("kb:{local}-"))
            .unwrap_or_else(|| panic!("{idv} is not kb:{local}-UUID"));
        assert_eq!(
            uuid::Uuid::parse_str(u).unwrap().get_version_num(),
            5,
            "{idv}"
        );
    }
    // Authorities: the one named at init and the registered one.
    let auths = by_type("case-investigation:Authorization");
    assert_eq!(auths.len(), 2, "{auths:?}");
    let reg = auths
        .iter()
        .find(|a| a["uco-core:name"] == "TJ-LYON-26/1187")
        .expect("registered authority");
    assert_eq!(
        reg["case-investigation:authorizationIdentifier"],
        serde_json::json!(["TJ-LYON-26/1187"])
    );
    assert_eq!(
        reg["case-investigation:authorizationType"],
        "search-warrant"
    );
    assert_eq!(reg["uco-core:startTime"]["@value"], "2026-03-01T00:00:00Z");
    assert_eq!(reg["uco-core:endTime"]["@value"], "2026-09-01T23:59:59Z");
    assert!(reg["uco-core:description"]
        .as_str()
        .unwrap()
        .contains("scope: exhibits EXH-001"));
    let issuer = reg["uco-core:createdBy"]["@id"].as_str().unwrap();
    assert!(graph.iter().any(|n| n["@id"] == issuer
        && n["@type"] == "uco-identity:Organization"
        && n["uco-core:name"] == "Tribunal judiciaire de Lyon"));
    assert!(auths.iter().any(
        |a| a["case-investigation:authorizationIdentifier"] == serde_json::json!(["Warrant 1"])
    ));
    let inv = &by_type("case-investigation:Investigation")[0];
    assert_eq!(
        inv["case-investigation:relevantAuthorization"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The note.
    let notes = by_type("uco-core:Annotation");
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0]["uco-core:statement"],
        "Laptop screen cracked on arrival"
    );
    assert_eq!(notes[0]["uco-core:object"][0]["@id"], inv["@id"]);
    assert!(notes[0]["uco-core:createdBy"]["@id"]
        .as_str()
        .unwrap()
        .starts_with("kb:Identity-"));
    // Hashes equal the manifest's: every sha256 of the sample is present.
    let sums = custodian()
        .args([
            "hash",
            "-r",
            "-q",
            "fixtures/sample/laptop",
            "fixtures/sample/usb-stick/wallet.dat",
        ])
        .output()
        .unwrap();
    for line in String::from_utf8(sums.stdout).unwrap().lines() {
        let hex = line.split(' ').next().unwrap().to_ascii_uppercase();
        assert!(
            graph.iter().any(|n| n["uco-types:hashMethod"] == "SHA256"
                && n["uco-types:hashValue"]["@value"] == hex.as_str()),
            "{hex} missing"
        );
    }
    // Deterministic.
    let again = custodian()
        .args(["export", "case-uco"])
        .arg(&c)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
    // Ids depend on the ledger, not on where the case folder is.
    let moved = dir.path().join("moved");
    std::fs::rename(&c, &moved).unwrap();
    let again = custodian()
        .args(["export", "case-uco"])
        .arg(&moved)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
    if let Some(cv) = case_validate() {
        // No --allow-info: not even an informational notice is accepted.
        let out = Command::new(&cv)
            .args(["--built-version", "case-1.4.0"])
            .arg(&j)
            .output()
            .unwrap_or_else(|e| panic!("{cv}: {e}"));
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "case_validate:\n{report}");
        assert!(
            report.contains("Conforms: True") && !report.contains("Severity"),
            "{report}"
        );
    }
}

#[test]
fn ewf_verify_matches_stored_digests_and_ewfverify() {
    let dir = tempfile::tempdir().unwrap();
    let img = root().join("fixtures/ewf/small.E01");
    let out = custodian()
        .arg("ewf-verify")
        .arg("--json")
        .arg(&img)
        .output()
        .unwrap();
    expect_code(&out, 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["computed_md5"], MD5);
    assert_eq!(v["computed_sha1"], SHA1);
    assert_eq!(v["stored_md5"], MD5);
    assert_eq!(v["media_size"], 131072);
    assert_eq!(v["metadata"]["case_number"], "CASE-0042");
    assert_eq!(v["metadata"]["evidence_number"], "EXH-001");
    assert_eq!(v["metadata"]["examiner"], "J. Doe");
    if have("ewfverify") {
        let ok = Command::new("ewfverify")
            .arg("-q")
            .arg(&img)
            .status()
            .unwrap();
        assert!(ok.success());
    }
    if have("ewfexport") && have("md5sum") {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ewfexport -q -u -t '{}/raw' -f raw '{}' >/dev/null && md5sum '{}/raw.raw'",
                dir.path().display(),
                img.display(),
                dir.path().display()
            ))
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with(MD5),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn ewf_verify_reports_a_flipped_byte_precisely() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("bad.E01");
    let mut bytes = std::fs::read(root().join("fixtures/ewf/small.E01")).unwrap();
    // Chunk data of this uncompressed image starts after the headers; a
    // byte in the middle of the file lies inside chunk 1 or 2.
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(&img, &bytes).unwrap();
    let out = custodian().arg("ewf-verify").arg(&img).output().unwrap();
    expect_code(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("media MD5 mismatch: stored {MD5}, computed ")),
        "{err}"
    );
    assert!(
        err.contains(&format!("media SHA-1 mismatch: stored {SHA1}")),
        "{err}"
    );
    // Located: the chunk, its media bytes and sectors, segment and offset,
    // and the reason (its Adler-32).
    assert!(
        err.contains(&format!(
            "chunk 1 (media bytes 32768..65536, sectors 64-127) in segment {} at file offset 34822: uncompressed chunk checksum mismatch: Adler-32 stored ",
            img.display()
        )),
        "{err}"
    );
    if have("ewfverify") {
        let out = Command::new("ewfverify")
            .arg("-q")
            .arg(&img)
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "ewfverify accepted the corrupted image"
        );
        // ewfverify names the same sectors (and nothing more precise).
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("at sector(s): 64 - 127 (number: 64)"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // Not an image at all: exit 2, naming the file.
    let out = custodian()
        .arg("ewf-verify")
        .arg(root().join("fixtures/sample/README.txt"))
        .output()
        .unwrap();
    expect_code(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("README.txt: cannot open as an E01"));
}

/// `acquire` opens an `.E01` it is given as an image: the entry records
/// the image's own metadata and its stored and computed media digests; a
/// damaged image is still catalogued (its file is evidence as it is), but
/// the mismatch is recorded and becomes an `EWF-MISMATCH` finding.
#[test]
fn acquire_records_e01_metadata_and_flags_a_damaged_image() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.E01");
    let bad = dir.path().join("bad.E01");
    std::fs::copy(root().join("fixtures/ewf/small.E01"), &good).unwrap();
    let mut bytes = std::fs::read(&good).unwrap();
    bytes[60_000] ^= 0xff;
    std::fs::write(&bad, bytes).unwrap();
    let case = dir.path().join("case");
    let lead = key_path("lead");
    custodian()
        .args([
            "init",
            case.to_str().unwrap(),
            "--case-id",
            "E01-1",
            "--title",
            "images",
        ])
        .args(["--authority", "Warrant 1"])
        .arg("--key")
        .arg(&lead)
        .assert()
        .success();
    for (id, image) in [("IMG-1", &good), ("IMG-2", &bad)] {
        custodian()
            .args(["acquire", case.to_str().unwrap(), "--exhibit", id, "-q"])
            .arg("--key")
            .arg(&lead)
            .arg(image)
            .assert()
            .success();
    }
    let ledger = std::fs::read_to_string(case.join("ledger.jsonl")).unwrap();
    let bodies: Vec<Value> = ledger
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["type"] == "exhibit.acquire")
        .map(|e| e["body"].clone())
        .collect();
    let g = &bodies[0]["ewf"][0];
    assert_eq!(g["stored_md5"], MD5);
    assert_eq!(g["computed_md5"], MD5);
    assert_eq!(g["computed_sha1"], SHA1);
    assert_eq!(g["case_number"], "CASE-0042");
    assert_eq!(g["evidence_number"], "EXH-001");
    assert_eq!(g["media_size"], 131072);
    assert!(g.get("problems").is_none(), "{g}");
    let b = &bodies[1]["ewf"][0];
    assert_eq!(b["stored_md5"], MD5);
    assert_ne!(b["computed_md5"], MD5);
    let problems: Vec<&str> = b["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    // Byte 60,000 of the file is inside chunk 1's stored data.
    assert!(
        problems[0].starts_with("chunk 1 (media bytes 32768..65536, sectors 64-127) in segment ")
            && problems[0].contains("Adler-32 stored"),
        "{b}"
    );
    assert!(
        problems.iter().any(|p| p.contains("media MD5 mismatch")),
        "{b}"
    );
    // The ledger is as recorded; the damaged image is a finding.
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"EWF-MISMATCH"), "{v}");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["id"] != "EWF-MISMATCH" || f["exhibits"] == serde_json::json!(["IMG-2"])));
}
