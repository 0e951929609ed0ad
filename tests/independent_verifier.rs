//! `contrib/verify-ledger.py` is a verifier written from
//! `docs/spec/ledger.md` alone (Python standard library + `ssh-keygen`).
//! It must agree with `custodian verify`: that is our evidence that the
//! spec is sufficient for a third party.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn python_verify(ledger: &Path, trust: Option<&str>) -> i32 {
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("contrib/verify-ledger.py")).arg(ledger);
    if let Some(t) = trust {
        cmd.args(["--trust", t]);
    }
    let out = cmd.output().expect("python3 runs (CI installs it)");
    out.status.code().expect("exit code")
}

fn custodian_verify(case: &Path) -> i32 {
    assert_cmd::Command::cargo_bin("custodian")
        .unwrap()
        .arg("verify")
        .arg(case)
        .arg("--quiet")
        .output()
        .unwrap()
        .status
        .code()
        .unwrap()
}

const LEAD: &str = "SHA256:PdMNSBekvNswrkFc75VlU5a+MULKjNequ3XBBe/CiGA";

#[test]
fn independent_verifier_accepts_the_fixture_ledger() {
    let ledger = root().join("fixtures/ledger/ledger.jsonl");
    assert_eq!(python_verify(&ledger, Some(LEAD)), 0);
    assert_eq!(python_verify(&ledger, Some("SHA256:nottheroot")), 1);
}

#[test]
fn independent_verifier_agrees_on_tampered_ledgers() {
    let original = std::fs::read_to_string(root().join("fixtures/ledger/ledger.jsonl")).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    let swapped = {
        let mut l = lines.clone();
        l.swap(2, 3);
        l.join("\n") + "\n"
    };
    let deleted = {
        let mut l = lines.clone();
        l.remove(2);
        l.join("\n") + "\n"
    };
    let cases = [
        ("edited text", original.replacen("Bag 17", "Bag 71", 1)),
        ("swapped", swapped),
        ("deleted", deleted),
        ("torn", original[..original.len() - 20].to_string()),
        ("spaced", original.replacen("{\"body\"", "{ \"body\"", 1)),
    ];
    for (name, text) in cases {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.jsonl");
        std::fs::write(&ledger, text).unwrap();
        assert_eq!(python_verify(&ledger, None), 1, "python verifier on {name}");
        assert_eq!(custodian_verify(dir.path()), 1, "custodian on {name}");
    }
}

#[test]
fn independent_verifier_accepts_a_fresh_cli_ledger_with_unicode() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let key = root().join("fixtures/keys/lead");
    let run = |args: &[&str]| {
        assert_cmd::Command::cargo_bin("custodian")
            .unwrap()
            .args(args)
            .env("CUSTODIAN_KEY", &key)
            .assert()
            .success();
    };
    let case_s = case.to_str().unwrap();
    run(&[
        "init",
        case_s,
        "--case-id",
        "X-1",
        "--title",
        "Ünïcödé \u{1F600} \"quoted\" \\ tab\t",
    ]);
    run(&[
        "note",
        case_s,
        "--text",
        "line1\nline2 \u{7f} \u{1} </script> ½",
    ]);
    assert_eq!(python_verify(&case.join("ledger.jsonl"), Some(LEAD)), 0);
}

/// Integers outside ±(2^53−1) have no canonical form (docs/spec/ledger.md
/// §3): one JSON reader would keep them exact, another round them to a
/// double. Both verifiers must call every such line `not-canonical`, and
/// no line inside the range.
#[test]
fn both_verifiers_draw_the_integer_range_at_the_same_place() {
    let original = std::fs::read_to_string(root().join("fixtures/ledger/ledger.jsonl")).unwrap();
    let first = original.lines().next().unwrap();
    for (n, out_of_range) in [
        ("9007199254740991", false),
        ("-9007199254740991", false),
        ("9007199254740992", true),
        ("-9007199254740993", true),
        ("1152921504606846976", true),
        ("100000000000000000000", true),
        ("18446744073709551616", true),
    ] {
        // "aaa" sorts first, so the line stays canonical but for the number.
        let line = first.replacen("\"body\":{", &format!("\"body\":{{\"aaa\":{n},"), 1);
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.jsonl");
        std::fs::write(&ledger, line + "\n").unwrap();
        let py = Command::new("python3")
            .arg(root().join("contrib/verify-ledger.py"))
            .arg(&ledger)
            .output()
            .unwrap();
        let py_text =
            String::from_utf8_lossy(&py.stdout).to_string() + &String::from_utf8_lossy(&py.stderr);
        let ours = assert_cmd::Command::cargo_bin("custodian")
            .unwrap()
            .args(["verify", "--json"])
            .arg(dir.path())
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap();
        let ours_flags = v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "not-canonical");
        assert_eq!(ours_flags, out_of_range, "custodian on {n}: {v}");
        assert_eq!(
            py_text.contains("[not-canonical]"),
            out_of_range,
            "python on {n}: {py_text}"
        );
    }
}

/// The version-2 members of entry 0 and signer records (clock skew,
/// the opening authority's details, signer names and qualifications) and
/// the committed custody case: both verifiers accept what custodian
/// writes, apply the stated clock skew alike, and refuse the same
/// tampering.
#[test]
fn independent_verifier_agrees_on_the_version_2_case_members() {
    let committed = root().join("fixtures/custody-case");
    assert_eq!(
        python_verify(&committed.join("ledger.jsonl"), Some(LEAD)),
        0
    );
    assert_eq!(custodian_verify(&committed), 0);

    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let run = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("custodian")
            .unwrap()
            .current_dir(root())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let c = case.to_str().unwrap();
    let lead = root().join("fixtures/keys/lead");
    let lead = lead.to_str().unwrap();
    run(&[
        "init",
        c,
        "--case-id",
        "V2-1",
        "--title",
        "v2 members",
        "--authority",
        "W-1",
        "--authority-kind",
        "court-order",
        "--authority-valid-until",
        "2099-12-31",
        "--examiner",
        "Jeanne Dupont",
        "--qualifications",
        "GCFA",
        "--clock-skew",
        "3600",
        "--key",
        lead,
    ]);
    let analyst_pub = root().join("fixtures/keys/analyst.pub");
    run(&[
        "signer",
        "add",
        c,
        "--pubkey",
        analyst_pub.to_str().unwrap(),
        "--principal",
        "a.silva@pj.lisboa.example",
        "--role",
        "examiner",
        "--name",
        "Ana Silva",
        "--qualifications",
        "EnCE",
        "--key",
        lead,
    ]);
    run(&[
        "acquire",
        c,
        "--exhibit",
        "E1",
        "-q",
        "--authority",
        "W-1",
        "--key",
        lead,
        "fixtures/sample/laptop",
    ]);
    // Dated 30 minutes ahead: inside the hour this case allows.
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(30))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    run(&[
        "custody",
        "location",
        c,
        "--exhibit",
        "E1",
        "--location",
        "safe",
        "--at",
        &soon,
        "--key",
        lead,
    ]);
    let ledger = case.join("ledger.jsonl");
    assert_eq!(python_verify(&ledger, Some(LEAD)), 0);
    assert_eq!(custodian_verify(&case), 0);
    // A blank qualification slipped into entry 0 (re-signed): both refuse.
    let text = std::fs::read_to_string(&ledger).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut e0: custodian::ledger::Entry = serde_json::from_str(&lines[0]).unwrap();
    e0.body["signer"]["qualifications"] = serde_json::json!("  ");
    e0.sign(&custodian::keys::SigningKey::load(Path::new(lead), || Ok(None)).unwrap())
        .unwrap();
    lines[0] = String::from_utf8(e0.line()).unwrap();
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("ledger.jsonl"), lines.join("\n") + "\n").unwrap();
    assert_eq!(python_verify(&bad.join("ledger.jsonl"), Some(LEAD)), 1);
    assert_eq!(custodian_verify(&bad), 1);
}

/// A case with attachments, an imported acquisition (whose log's digest
/// does not match: a finding, not a ledger fault) and a package that
/// carries the attachments: both verifiers accept it; an attachment entry
/// re-signed to document a later entry, or an import whose check lies
/// about matching, both refuse (ledger §7.13, §7.14, package §10).
#[test]
fn independent_verifier_agrees_on_attachments_and_imports() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let c = case.to_str().unwrap();
    let lead = root().join("fixtures/keys/lead");
    let lead = lead.to_str().unwrap();
    let run = |args: &[&str], code: i32| {
        let out = assert_cmd::Command::cargo_bin("custodian")
            .unwrap()
            .current_dir(root())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        &[
            "init",
            c,
            "--case-id",
            "ATT-1",
            "--title",
            "t",
            "--authority",
            "W-1",
            "--key",
            lead,
        ],
        0,
    );
    run(
        &[
            "acquire",
            c,
            "--exhibit",
            "E1",
            "-q",
            "--key",
            lead,
            "fixtures/sample/laptop",
        ],
        0,
    );
    run(
        &[
            "attach",
            c,
            "fixtures/sample/laptop/Pictures/IMG_0001.png",
            "--exhibit",
            "E1",
            "--kind",
            "photo",
            "--description",
            "the laptop in place",
            "--entry",
            "1",
            "--key",
            lead,
        ],
        0,
    );
    run(
        &[
            "attach",
            c,
            "README.md",
            "--case",
            "--kind",
            "other",
            "--key",
            lead,
        ],
        0,
    );
    let image = dir.path().join("image.raw");
    std::fs::write(&image, b"not the imaged disk").unwrap();
    run(
        &[
            "import",
            c,
            "--exhibit",
            "E2",
            "-q",
            "--from",
            "dc3dd",
            "fixtures/import/dc3dd/image.log",
            "--image",
            image.to_str().unwrap(),
            "--key",
            lead,
        ],
        1,
    );
    let pkg = dir.path().join("pkg");
    run(
        &[
            "package",
            c,
            "--exhibit",
            "E1",
            "--exhibit",
            "E2",
            "--for",
            "Court",
            "--authority",
            "W-1",
            "--attachments",
            "--out",
            pkg.to_str().unwrap(),
            "--key",
            lead,
        ],
        0,
    );
    let ledger = case.join("ledger.jsonl");
    assert_eq!(python_verify(&ledger, Some(LEAD)), 0);
    assert_eq!(custodian_verify(&case), 0);

    let key = custodian::keys::SigningKey::load(Path::new(lead), || Ok(None)).unwrap();
    let lines: Vec<String> = std::fs::read_to_string(&ledger)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let tampered = |seq: usize, edit: &dyn Fn(&mut serde_json::Value)| {
        let mut out = lines.clone();
        let mut e: custodian::ledger::Entry = serde_json::from_str(&out[seq]).unwrap();
        edit(&mut e.body);
        e.sign(&key).unwrap();
        out[seq] = String::from_utf8(e.line()).unwrap();
        // Re-chain and re-sign what follows, so that only the edit is wrong.
        for i in seq + 1..out.len() {
            let mut e: custodian::ledger::Entry = serde_json::from_str(&out[i]).unwrap();
            e.prev = custodian::ledger::entry_hash(out[i - 1].as_bytes()).to_hex();
            e.sign(&key).unwrap();
            out[i] = String::from_utf8(e.line()).unwrap();
        }
        // The whole case folder (manifests, attachments), only the ledger
        // changed, so that custodian's verdict is about the edit.
        let bad = dir.path().join(format!("bad-{seq}"));
        assert!(std::process::Command::new("cp")
            .arg("-a")
            .arg(&case)
            .arg(&bad)
            .status()
            .unwrap()
            .success());
        // The package's checkpoint would catch the rewrite by itself.
        std::fs::remove_dir_all(bad.join("checkpoints")).unwrap();
        std::fs::write(bad.join("ledger.jsonl"), out.join("\n") + "\n").unwrap();
        bad
    };
    let first_error = |case: &Path| {
        let out = assert_cmd::Command::cargo_bin("custodian")
            .unwrap()
            .arg("verify")
            .arg(case)
            .arg("--json")
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["severity"] == "error")
            .map(|p| (p["code"].as_str().unwrap().to_string(), p["entry"].as_u64()))
    };
    let bad = tampered(2, &|b| b["entry"] = serde_json::json!(5));
    assert_eq!(python_verify(&bad.join("ledger.jsonl"), Some(LEAD)), 1);
    assert_eq!(custodian_verify(&bad), 1);
    assert_eq!(first_error(&bad), Some(("attachment-rule".into(), Some(2))));
    let bad = tampered(5, &|b| b["checks"][0]["matched"] = serde_json::json!(true));
    assert_eq!(python_verify(&bad.join("ledger.jsonl"), Some(LEAD)), 1);
    assert_eq!(custodian_verify(&bad), 1);
    assert_eq!(first_error(&bad), Some(("bad-body".into(), Some(5))));
}
