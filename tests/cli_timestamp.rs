//! RFC 3161 timestamps end to end (docs/guide/timestamps.md): `timestamp
//! request`, a local test TSA made with `openssl ts -reply`, `timestamp
//! attach` and `verify --tsa-ca`, with `openssl ts -verify` as the second
//! opinion on every token we accept or refuse.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

/// Runs openssl in `dir`, panicking with its stderr if it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What key a test CA and TSA use.
#[derive(Clone, Copy)]
enum Alg {
    Rsa,
    P256,
    P384,
}

impl Alg {
    fn newkey(self) -> Vec<&'static str> {
        match self {
            Alg::Rsa => vec!["-newkey", "rsa:2048"],
            Alg::P256 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            Alg::P384 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        }
    }
}

const EXTENSIONS: &str = "\
[tsa_ext]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

/// A local test TSA: a CA (`ca.pem`) and a TSA certificate with critical
/// EKU timeStamping issued by it, and an `openssl ts` configuration.
struct Tsa {
    dir: tempfile::TempDir,
}

impl Tsa {
    fn new(alg: Alg) -> Tsa {
        Self::with_ext(alg, "tsa_ext", "365")
    }

    fn with_ext(alg: Alg, ext: &str, days: &str) -> Tsa {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("ext.cnf"), EXTENSIONS).unwrap();
        let mut ca = vec!["req", "-x509"];
        ca.extend(alg.newkey());
        ca.extend([
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "3650",
            "-subj",
            "/CN=Test Root CA",
            "-addext",
            "basicConstraints=critical,CA:true",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(d, &ca);
        let mut req = vec!["req"];
        req.extend(alg.newkey());
        req.extend([
            "-nodes",
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            "/O=Test/CN=Test TSA",
        ]);
        openssl(d, &req);
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "tsa.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "tsa.pem",
                "-days",
                days,
                "-extfile",
                "ext.cnf",
                "-extensions",
                ext,
            ],
        );
        std::fs::write(
            d.join("ts.cnf"),
            "[ tsa ]\ndefault_tsa = tsa_config1\n[ tsa_config1 ]\ndir = .\nserial = $dir/tsaserial\n\
             crypto_device = builtin\nsigner_cert = $dir/tsa.pem\nsigner_key = $dir/tsa.key\n\
             signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256, sha384, sha512\n\
             accuracy = secs:1\nordering = no\ntsa_name = yes\ness_cert_id_chain = no\n\
             ess_cert_id_alg = sha256\n",
        )
        .unwrap();
        std::fs::write(d.join("tsaserial"), "01\n").unwrap();
        Tsa { dir }
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// `openssl ts -reply` to the request `tsq`, written to `tsr`.
    fn reply(&self, tsq: &Path, tsr: &Path) {
        openssl(
            self.dir.path(),
            &[
                "ts",
                "-reply",
                "-config",
                "ts.cnf",
                "-queryfile",
                tsq.to_str().unwrap(),
                "-out",
                tsr.to_str().unwrap(),
            ],
        );
    }
}

/// `openssl ts -verify`: does openssl accept `tsr` as the answer to `tsq`
/// under `ca`?
fn openssl_accepts(tsq: &Path, tsr: &Path, ca: &Path) -> bool {
    Command::new("openssl")
        .args(["ts", "-verify", "-queryfile"])
        .arg(tsq)
        .arg("-in")
        .arg(tsr)
        .arg("-CAfile")
        .arg(ca)
        .output()
        .unwrap()
        .status
        .success()
}

/// The fixture ledger in a temporary case with a checkpoint of its 6
/// entries.
fn case_with_checkpoint() -> TestCase {
    let dir = tempfile::tempdir().unwrap();
    let path = write_case(dir.path(), &fixture_bytes());
    let t = TestCase { dir, path };
    let out = custodian()
        .args(["checkpoint"])
        .arg(t.p())
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap();
    expect_code(&out, 0);
    t
}

/// `timestamp request CASE --out TMP/q.tsq`; returns the copy's path.
fn request(t: &TestCase) -> PathBuf {
    let q = t.tmp().join("q.tsq");
    let out = custodian()
        .args(["timestamp", "request"])
        .arg(t.p())
        .arg("--out")
        .arg(&q)
        .output()
        .unwrap();
    expect_code(&out, 0);
    q
}

fn attach(t: &TestCase, tsr: &Path, key: &str, ca: Option<&Path>) -> std::process::Output {
    let mut c = custodian();
    c.args(["timestamp", "attach"])
        .arg(t.p())
        .arg(tsr)
        .arg("--key")
        .arg(key_path(key));
    if let Some(ca) = ca {
        c.arg("--tsa-ca").arg(ca);
    }
    c.output().unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn entries(t: &TestCase) -> usize {
    split_lines(&std::fs::read(ledger_of(t.p())).unwrap()).len()
}

fn stored_replies(t: &TestCase) -> usize {
    std::fs::read_dir(t.p().join("timestamps"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tsr")
        })
        .count()
}

/// A refused reply: exit 1, the reason on stderr, nothing recorded.
fn assert_refused(t: &TestCase, out: &std::process::Output, reason: &str) {
    expect_code(out, 1);
    let err = stderr(out);
    assert!(err.contains("not attached"), "{err}");
    assert!(err.contains(reason), "expected {reason:?} in {err}");
    assert_eq!(entries(t), 6, "nothing appended");
    assert_eq!(stored_replies(t), 0, "no reply stored");
}

fn levels(v: &Value) -> Vec<String> {
    ["structure", "imprint", "signature", "chain"]
        .iter()
        .map(|l| v["levels"][l]["result"].as_str().unwrap().to_string())
        .collect()
}

fn accepted_at_every_level(alg: Alg) {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(alg);
    let q = request(&t);
    let r = t.tmp().join("r.tsr");
    tsa.reply(&q, &r);
    assert!(
        openssl_accepts(&q, &r, &tsa.ca()),
        "openssl accepts the token"
    );

    let out = attach(&t, &r, "lead", Some(&tsa.ca()));
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("verdict verified"), "{text}");
    assert_eq!(entries(&t), 7);
    assert_eq!(stored_replies(&t), 1);

    let (code, v) = verify_json(t.p(), &["--tsa-ca", tsa.ca().to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let ts = &v["timestamps"][0];
    assert_eq!(ts["verdict"], "verified", "{ts}");
    assert_eq!(levels(ts), ["pass", "pass", "pass", "pass"]);
    assert_eq!(ts["size"], 6);
    assert_eq!(ts["entry"], 6);
    assert_eq!(ts["tsa"], "CN=Test TSA,O=Test");
    assert_eq!(ts["policy"], "1.2.3.4.1");
    assert_eq!(v["types"]["timestamp.attach"], 1);

    // Without a CA, level 4 is "not checked", never a pass.
    let (code, v) = verify_json(t.p(), &[]);
    assert_eq!(code, 0);
    let ts = &v["timestamps"][0];
    assert_eq!(ts["verdict"], "unverified-chain");
    assert_eq!(levels(ts), ["pass", "pass", "pass", "not-checked"]);

    // The stored request and reply are what openssl checks by hand.
    let stored = t.p().join(ts["reply"].as_str().unwrap());
    let stored_q = stored.with_extension("tsq");
    assert!(openssl_accepts(&stored_q, &stored, &tsa.ca()));
}

#[test]
fn rsa_token_from_openssl_is_accepted_at_every_level_and_openssl_agrees() {
    accepted_at_every_level(Alg::Rsa);
}

#[test]
fn ecdsa_p256_token_is_accepted_at_every_level() {
    accepted_at_every_level(Alg::P256);
}

#[test]
fn ecdsa_p384_token_is_accepted_at_every_level() {
    accepted_at_every_level(Alg::P384);
}

/// Flips the byte at `at` (negative: from the end) of a copy of `src`.
fn flipped(src: &Path, at: isize, name: &str) -> PathBuf {
    let mut b = std::fs::read(src).unwrap();
    let i = if at < 0 {
        (b.len() as isize + at) as usize
    } else {
        at as usize
    };
    b[i] ^= 0x01;
    let dst = src.with_file_name(name);
    std::fs::write(&dst, b).unwrap();
    dst
}

#[test]
fn flipped_signature_byte_is_refused_and_openssl_agrees() {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(Alg::Rsa);
    let q = request(&t);
    let r = t.tmp().join("r.tsr");
    tsa.reply(&q, &r);
    // The SignerInfo's signature is the last field of the reply.
    let bad = flipped(&r, -5, "bad-sig.tsr");
    assert!(!openssl_accepts(&q, &bad, &tsa.ca()));
    let out = attach(&t, &bad, "lead", Some(&tsa.ca()));
    assert_refused(&t, &out, "level 3 (signature)");
    assert!(stderr(&out).contains("does not verify"));
}

#[test]
fn altered_tstinfo_is_refused_and_openssl_agrees() {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(Alg::Rsa);
    let q = request(&t);
    let r = t.tmp().join("r.tsr");
    tsa.reply(&q, &r);
    // genTime: GeneralizedTime (tag 0x18, 15 bytes) in the TSTInfo; change
    // its last digit of seconds.
    let bytes = std::fs::read(&r).unwrap();
    let at = bytes
        .windows(2)
        .position(|w| w == [0x18, 0x0f])
        .expect("a GeneralizedTime in the TSTInfo");
    let bad = flipped(&r, (at + 2 + 13) as isize, "bad-tst.tsr");
    assert!(!openssl_accepts(&q, &bad, &tsa.ca()));
    let out = attach(&t, &bad, "lead", Some(&tsa.ca()));
    assert_refused(&t, &out, "message-digest");
}

#[test]
fn reply_to_another_request_other_nonce_is_refused() {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(Alg::Rsa);
    let q = request(&t);
    // A request for other data, with its own nonce.
    let other_q = t.tmp().join("other.tsq");
    std::fs::write(t.tmp().join("data.txt"), "other data\n").unwrap();
    openssl(
        t.tmp(),
        &[
            "ts",
            "-query",
            "-data",
            "data.txt",
            "-sha256",
            "-cert",
            "-out",
            "other.tsq",
        ],
    );
    let r = t.tmp().join("other.tsr");
    tsa.reply(&other_q, &r);
    assert!(!openssl_accepts(&q, &r, &tsa.ca()));
    let out = attach(&t, &r, "lead", Some(&tsa.ca()));
    assert_refused(&t, &out, "matches no request");
}

#[test]
fn reply_with_another_imprint_is_refused_and_openssl_agrees() {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(Alg::Rsa);
    let q = request(&t);
    // The same nonce, but the TSA was sent another imprint.
    let qb = std::fs::read(&q).unwrap();
    let imprint_at = qb
        .windows(2)
        .position(|w| w == [0x04, 0x20])
        .expect("the 32-byte imprint")
        + 2;
    let forged_q = flipped(&q, imprint_at as isize, "forged.tsq");
    let r = t.tmp().join("forged.tsr");
    tsa.reply(&forged_q, &r);
    assert!(!openssl_accepts(&q, &r, &tsa.ca()));
    let out = attach(&t, &r, "lead", Some(&tsa.ca()));
    assert_refused(&t, &out, "level 2 (imprint)");
    assert!(stderr(&out).contains("timestamps something else"));
}

#[test]
fn tsa_not_under_the_given_ca_is_refused_and_openssl_agrees() {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(Alg::Rsa);
    let stranger = Tsa::new(Alg::Rsa);
    let q = request(&t);
    let r = t.tmp().join("r.tsr");
    tsa.reply(&q, &r);
    assert!(!openssl_accepts(&q, &r, &stranger.ca()));
    let out = attach(&t, &r, "lead", Some(&stranger.ca()));
    assert_refused(&t, &out, "level 4 (certificate chain)");

    // Attached under the right CA, then verified under the wrong one.
    expect_code(&attach(&t, &r, "lead", Some(&tsa.ca())), 0);
    let (code, v) = verify_json(t.p(), &["--tsa-ca", stranger.ca().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(v["timestamps"][0]["verdict"], "invalid");
    assert_eq!(errors(&v), [("timestamp-invalid".to_string(), Some(6))]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn expired_tsa_certificate_is_refused_and_openssl_agrees() {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(Alg::Rsa);
    let d = tsa.dir.path();
    // Re-issue the TSA certificate for 2020 only (`openssl ca` can backdate).
    std::fs::write(d.join("index.txt"), "").unwrap();
    std::fs::write(d.join("caserial"), "1000\n").unwrap();
    std::fs::write(
        d.join("ca.cnf"),
        "[ca]\ndefault_ca = myca\n[myca]\ndatabase = index.txt\nnew_certs_dir = .\n\
         serial = caserial\ndefault_md = sha256\npolicy = pol\nx509_extensions = tsa_ext\n\
         unique_subject = no\n[pol]\ncommonName = supplied\norganizationName = optional\n\
         [tsa_ext]\nbasicConstraints = CA:false\nkeyUsage = critical, digitalSignature\n\
         extendedKeyUsage = critical, timeStamping\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-in",
            "tsa.csr",
            "-out",
            "tsa.pem",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20210101000000Z",
            "-notext",
        ],
    );
    let q = request(&t);
    let r = t.tmp().join("r.tsr");
    tsa.reply(&q, &r);
    assert!(!openssl_accepts(&q, &r, &tsa.ca()));
    let out = attach(&t, &r, "lead", Some(&tsa.ca()));
    assert_refused(&t, &out, "not at genTime");
    // Without the CA the expiry is not checked: levels 1-3 hold.
    let out = attach(&t, &r, "lead", None);
    expect_code(&out, 0);
    let (code, v) = verify_json(t.p(), &["--tsa-ca", tsa.ca().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        levels(&v["timestamps"][0]),
        ["pass", "pass", "pass", "fail"]
    );
}

#[test]
fn malformed_and_truncated_replies_are_refused() {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(Alg::Rsa);
    let q = request(&t);
    let r = t.tmp().join("r.tsr");
    tsa.reply(&q, &r);
    let bytes = std::fs::read(&r).unwrap();
    let cut = t.tmp().join("cut.tsr");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert_refused(&t, &attach(&t, &cut, "lead", None), "level 1 (structure)");
    let junk = t.tmp().join("junk.tsr");
    std::fs::write(&junk, b"this is not DER\n").unwrap();
    assert_refused(
        &t,
        &attach(&t, &junk, "lead", None),
        "not a DER TimeStampResp",
    );
    // A request is not a reply.
    assert_refused(&t, &attach(&t, &q, "lead", None), "level 1 (structure)");
}

#[test]
fn a_key_that_is_not_a_signer_cannot_attach() {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(Alg::Rsa);
    let q = request(&t);
    let r = t.tmp().join("r.tsr");
    tsa.reply(&q, &r);
    let out = attach(&t, &r, "intruder", None);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("cannot append"), "{}", stderr(&out));
    assert_eq!(entries(&t), 6);
    assert_eq!(stored_replies(&t), 0);
}

#[test]
fn swapped_reply_file_fails_verify_naming_the_file() {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(Alg::Rsa);
    let q = request(&t);
    let r = t.tmp().join("r.tsr");
    tsa.reply(&q, &r);
    expect_code(&attach(&t, &r, "lead", Some(&tsa.ca())), 0);
    let (_, v) = verify_json(t.p(), &[]);
    let rel = v["timestamps"][0]["reply"].as_str().unwrap().to_string();
    // Another genuine token for the same request: valid, but not the one
    // that was recorded.
    let r2 = t.tmp().join("r2.tsr");
    tsa.reply(&q, &r2);
    std::fs::copy(&r2, t.p().join(&rel)).unwrap();
    let (code, v) = verify_json(t.p(), &["--tsa-ca", tsa.ca().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(errors(&v), [("timestamp-file".to_string(), Some(6))]);
    let p = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "timestamp-file")
        .unwrap();
    assert_eq!(p["path"], rel.as_str());
    assert!(p["message"].as_str().unwrap().contains(&rel));
    // In the human output too.
    let out = custodian().arg("verify").arg(t.p()).output().unwrap();
    expect_code(&out, 1);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&rel));
    // A deleted reply is named as well.
    std::fs::remove_file(t.p().join(&rel)).unwrap();
    let (code, v) = verify_json(t.p(), &[]);
    assert_eq!(code, 1);
    assert_eq!(errors(&v), [("timestamp-file".to_string(), Some(6))]);
}

#[test]
fn request_needs_a_checkpoint_of_this_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &fixture_bytes());
    let out = custodian()
        .args(["timestamp", "request"])
        .arg(&case)
        .output()
        .unwrap();
    expect_code(&out, 2);
    assert!(stderr(&out).contains("make one first"), "{}", stderr(&out));
    // The checkpoint of the first 3 entries of the same case matches.
    let out = custodian()
        .args(["timestamp", "request"])
        .arg(&case)
        .arg("--checkpoint")
        .arg(root().join("fixtures/merkle/checkpoint-3.txt"))
        .output()
        .unwrap();
    expect_code(&out, 0);
    // A checkpoint the ledger does not extend is refused.
    let forged = dir.path().join("forged.txt");
    let text = std::fs::read_to_string(root().join("fixtures/merkle/checkpoint-6.txt")).unwrap();
    std::fs::write(&forged, text.replace("\n6\n", "\n5\n")).unwrap();
    let out = custodian()
        .args(["timestamp", "request"])
        .arg(&case)
        .arg("--checkpoint")
        .arg(&forged)
        .output()
        .unwrap();
    expect_code(&out, 1);
    assert!(stderr(&out).contains("forged.txt"), "{}", stderr(&out));
}

#[test]
fn request_is_a_der_timestampreq_that_openssl_reads() {
    let t = case_with_checkpoint();
    let q = request(&t);
    let out = Command::new("openssl")
        .args(["ts", "-query", "-text", "-in"])
        .arg(&q)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Hash Algorithm: sha256"), "{text}");
    assert!(text.contains("Certificate required: yes"), "{text}");
    assert!(text.contains("Nonce: 0x"), "{text}");
    // The imprint is SHA-256 of the checkpoint body (three lines).
    let cp = std::fs::read_to_string(t.p().join("checkpoints/6.txt")).unwrap();
    let body = cp.split("\n\n").next().unwrap().to_string() + "\n";
    let der = std::fs::read(&q).unwrap();
    let imprint = hex::decode(sha256_hex(body.as_bytes())).unwrap();
    assert!(der.windows(32).any(|w| w == imprint.as_slice()));
    // --out never overwrites.
    let out = custodian()
        .args(["timestamp", "request"])
        .arg(t.p())
        .arg("--out")
        .arg(&q)
        .output()
        .unwrap();
    expect_code(&out, 2);
    assert!(stderr(&out).contains("refusing to overwrite"));
}

/// `custodian report --format json`, parsed.
fn report_json(t: &TestCase, args: &[&str], code: i32) -> Value {
    let out = custodian()
        .arg("report")
        .arg(t.p())
        .args(["--format", "json", "--generated-at", "2026-06-01T00:00:00Z"])
        .args(args)
        .output()
        .unwrap();
    expect_code(&out, code);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn finding_ids(r: &Value) -> Vec<String> {
    r["summary"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn report_shows_each_token_with_its_verdict_and_findings() {
    let t = case_with_checkpoint();
    // No timestamps: no section at all.
    let r = report_json(&t, &[], 0);
    assert!(r.get("timestamps").is_none());

    let tsa = Tsa::new(Alg::Rsa);
    let q = request(&t);
    let r_path = t.tmp().join("r.tsr");
    tsa.reply(&q, &r_path);
    expect_code(&attach(&t, &r_path, "lead", None), 0);

    let ca = tsa.ca();
    let r = report_json(&t, &["--tsa-ca", ca.to_str().unwrap()], 0);
    let row = &r["timestamps"][0];
    assert_eq!(row["verdict"], "verified", "{row}");
    assert_eq!(row["entry"], 6);
    assert!(row["covers"]
        .as_str()
        .unwrap()
        .contains("first 6 ledger entries"));
    assert!(row["gen_time"].as_str().unwrap().ends_with('Z'));
    assert!(!finding_ids(&r).iter().any(|f| f.starts_with("TSA-")));

    // Without a CA: a low TSA-UNVERIFIED finding, not a failure.
    let r = report_json(&t, &[], 0);
    assert_eq!(r["timestamps"][0]["verdict"], "unverified-chain");
    assert!(finding_ids(&r).contains(&"TSA-UNVERIFIED".to_string()));
    assert_eq!(r["verification"]["ledger_result"], "valid");

    // A replaced reply file: TSA-INVALID, and the Markdown names the file.
    let rel = r["timestamps"][0]["reply"].as_str().unwrap().to_string();
    std::fs::write(t.p().join(&rel), b"replaced").unwrap();
    let r = report_json(&t, &[], 1);
    assert_eq!(r["timestamps"][0]["verdict"], "invalid");
    assert!(finding_ids(&r).contains(&"TSA-INVALID".to_string()));
    let md = custodian()
        .arg("report")
        .arg(t.p())
        .args(["--format", "md"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("Trusted timestamps (RFC 3161)"));
    assert!(md.contains(&rel));
}

/// The committed token of docs/guide/timestamps.md (fixtures/timestamps) attaches
/// to a copy of the fixture ledger: the worked example holds end to end,
/// and openssl agrees with it.
#[test]
fn fixture_token_attaches_to_the_fixture_ledger_and_openssl_agrees() {
    let fx = root().join("fixtures/timestamps");
    let tsq = fx.join("6-4142434445464748.tsq");
    let tsr = fx.join("6-4142434445464748.tsr");
    let ca = fx.join("tsa-ca.pem");
    // openssl checks certificates now; the fixture's are valid until 2046.
    assert!(openssl_accepts(&tsq, &tsr, &ca));

    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &fixture_bytes());
    std::fs::create_dir_all(case.join("timestamps")).unwrap();
    std::fs::copy(&tsq, case.join("timestamps/6-4142434445464748.tsq")).unwrap();
    let t = TestCase { dir, path: case };
    let out = attach(&t, &tsr, "lead", Some(&ca));
    expect_code(&out, 0);
    let (code, v) = verify_json(t.p(), &["--tsa-ca", ca.to_str().unwrap()]);
    assert_eq!(code, 0);
    let ts = &v["timestamps"][0];
    assert_eq!(ts["verdict"], "verified");
    assert_eq!(ts["serial"], "2b");
    assert_eq!(ts["reply"], "timestamps/6-4142434445464748.tsr");
    assert_eq!(ts["root"], "jjXy6uJ7rQdEZc7KPCYkgc6hUEqufXoLiRsLQUwxLSc=");
    // The entry records the files' SHA-256 as sha256sum prints them.
    let last = split_lines(&std::fs::read(ledger_of(t.p())).unwrap())
        .pop()
        .unwrap();
    let entry = parse_entry(&last);
    assert_eq!(entry.kind, "timestamp.attach");
    assert_eq!(
        entry.body["reply_sha256"],
        sha256_hex(&std::fs::read(&tsr).unwrap())
    );
    assert_eq!(
        entry.body["imprint"],
        "129580eab7bd704296522e00251293cd3ff92a2feb3bab46fb1b44f789718696"
    );
    // Attaching the same reply again records nothing more.
    let out = attach(&t, &tsr, "lead", Some(&ca));
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("already attached"));
    assert_eq!(entries(&t), 7);
}

/// A ledger rewritten after the timestamp: the checkpoint the token covers
/// is no longer the ledger's.
#[test]
fn rewritten_ledger_no_longer_matches_its_timestamp() {
    let fx = root().join("fixtures/timestamps");
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &fixture_bytes());
    std::fs::create_dir_all(case.join("timestamps")).unwrap();
    std::fs::copy(
        fx.join("6-4142434445464748.tsq"),
        case.join("timestamps/6-4142434445464748.tsq"),
    )
    .unwrap();
    let t = TestCase { dir, path: case };
    expect_code(
        &attach(&t, &fx.join("6-4142434445464748.tsr"), "lead", None),
        0,
    );
    // Re-sign entry 5 with other text and re-chain the attach entry: every
    // signature verifies, but the first 6 entries have another root.
    let mut lines = split_lines(&std::fs::read(ledger_of(t.p())).unwrap());
    let mut e5 = parse_entry(&lines[5]);
    let key5 = key_for(&e5);
    e5.body = serde_json::json!({"text": "rewritten"});
    lines[5] = signed_line(e5, &key5);
    rechain(&mut lines, 6);
    std::fs::write(ledger_of(t.p()), join_lines(&lines)).unwrap();
    let (code, v) = verify_json(t.p(), &[]);
    assert_eq!(code, 1);
    assert!(
        errors(&v).contains(&("timestamp-checkpoint".to_string(), Some(6))),
        "{v}"
    );
}

/// RFC 3161 allows fractions of a second in genTime (many TSAs send
/// them); openssl writes them with `clock_precision_digits`.
#[test]
fn gen_time_with_fractions_of_a_second_is_accepted() {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(Alg::P256);
    let cnf = tsa.dir.path().join("ts.cnf");
    let mut text = std::fs::read_to_string(&cnf).unwrap();
    text.push_str("clock_precision_digits = 3\n");
    std::fs::write(&cnf, text).unwrap();
    let q = request(&t);
    // A fraction ending in 0 is written shorter; ask until one has digits.
    let r = t.tmp().join("r.tsr");
    let mut fractional = false;
    for _ in 0..20 {
        tsa.reply(&q, &r);
        let out = Command::new("openssl")
            .args(["ts", "-reply", "-text", "-in"])
            .arg(&r)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = text
            .lines()
            .find(|l| l.starts_with("Time stamp:"))
            .unwrap_or_default()
            .to_string();
        if line.contains('.') {
            fractional = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(7));
    }
    assert!(fractional, "openssl wrote a genTime with a fraction");
    assert!(openssl_accepts(&q, &r, &tsa.ca()));
    let out = attach(&t, &r, "lead", Some(&tsa.ca()));
    expect_code(&out, 0);
    let (code, v) = verify_json(t.p(), &["--tsa-ca", tsa.ca().to_str().unwrap()]);
    assert_eq!(code, 0);
    let ts = &v["timestamps"][0];
    assert_eq!(ts["verdict"], "verified");
    let gen_time = ts["gen_time"].as_str().unwrap();
    assert!(
        gen_time.contains('.') && gen_time.ends_with('Z'),
        "{gen_time}"
    );
}

/// A TSA that sends its whole chain, the signer certificate included
/// twice (`certs` in openssl's configuration): the certificates are an
/// unsorted SET OF with a repeat, which openssl accepts and so do we.
#[test]
fn token_carrying_its_chain_and_a_repeated_certificate_is_accepted() {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(Alg::Rsa);
    let d = tsa.dir.path();
    let chain = [
        std::fs::read_to_string(d.join("tsa.pem")).unwrap(),
        std::fs::read_to_string(d.join("ca.pem")).unwrap(),
    ]
    .concat();
    std::fs::write(d.join("chain.pem"), chain).unwrap();
    let cnf = d.join("ts.cnf");
    let mut text = std::fs::read_to_string(&cnf).unwrap();
    text.push_str("certs = $dir/chain.pem\n");
    std::fs::write(&cnf, text).unwrap();
    let q = request(&t);
    let r = t.tmp().join("r.tsr");
    tsa.reply(&q, &r);
    assert!(openssl_accepts(&q, &r, &tsa.ca()));
    let out = attach(&t, &r, "lead", Some(&tsa.ca()));
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("verdict verified"));
}

/// A TSA certificate issued by an intermediate CA that the token carries:
/// the chain is followed to the root given with --tsa-ca; under another
/// root it is refused.
#[test]
fn chain_through_an_intermediate_carried_in_the_token() {
    let t = case_with_checkpoint();
    let tsa = Tsa::new(Alg::P384);
    let d = tsa.dir.path();
    let mut ext = std::fs::read_to_string(d.join("ext.cnf")).unwrap();
    ext.push_str(
        "[sub_ca]\nbasicConstraints = critical, CA:true\nkeyUsage = critical, keyCertSign\n",
    );
    std::fs::write(d.join("ext.cnf"), ext).unwrap();
    // root (ca.pem) -> intermediate (sub.pem) -> TSA (tsa.pem, re-issued)
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "sub.key",
            "-out",
            "sub.csr",
            "-subj",
            "/CN=Test Intermediate CA",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "sub.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "sub.pem",
            "-days",
            "365",
            "-extfile",
            "ext.cnf",
            "-extensions",
            "sub_ca",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "sub.pem",
            "-CAkey",
            "sub.key",
            "-CAcreateserial",
            "-out",
            "tsa.pem",
            "-days",
            "365",
            "-extfile",
            "ext.cnf",
            "-extensions",
            "tsa_ext",
        ],
    );
    let cnf = d.join("ts.cnf");
    let mut text = std::fs::read_to_string(&cnf).unwrap();
    text.push_str("certs = $dir/sub.pem\n");
    std::fs::write(&cnf, text).unwrap();
    let q = request(&t);
    let r = t.tmp().join("r.tsr");
    tsa.reply(&q, &r);
    assert!(openssl_accepts(&q, &r, &tsa.ca()));
    let out = attach(&t, &r, "lead", Some(&tsa.ca()));
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("CN=Test TSA,O=Test <- CN=Test Intermediate CA <- CN=Test Root CA"),
        "{text}"
    );
    // Under another root the same token is refused, by openssl too.
    let stranger = Tsa::new(Alg::Rsa);
    assert!(!openssl_accepts(&q, &r, &stranger.ca()));
    let (code, v) = verify_json(t.p(), &["--tsa-ca", stranger.ca().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        levels(&v["timestamps"][0]),
        ["pass", "pass", "pass", "fail"]
    );
}
