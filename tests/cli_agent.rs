//! Signing through a real `ssh-agent` (`--key agent:FINGERPRINT`, or
//! CUSTODIAN_KEY=agent:…): every kind of signature custodian makes
//! (ledger entries, checkpoints, detached report signatures) is made by
//! the agent, verifies, and is byte for byte what the key file would have
//! made (Ed25519 is deterministic); a locked agent, an agent without the
//! key and a missing SSH_AUTH_SOCK each end with exit 2 and one line
//! naming the fingerprint or the variable.
//!
//! Needs `ssh-agent`, `ssh-add` and `ssh-keygen` (openssh-client) and
//! `setsid` (util-linux).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::*;

const LEAD_FP: &str = "SHA256:PdMNSBekvNswrkFc75VlU5a+MULKjNequ3XBBe/CiGA";
const ANALYST: &str = "a.silva@pj.lisboa.example";

/// An `ssh-agent -D` listening in its own temporary folder, killed when
/// dropped.
struct Agent {
    dir: tempfile::TempDir,
    child: Child,
}

impl Agent {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("ssh-agent")
            .arg("-a")
            .arg(dir.path().join("agent.sock"))
            .arg("-D")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent (openssh-client) is installed");
        let agent = Agent { dir, child };
        for _ in 0..200 {
            if agent.socket().exists() {
                return agent;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("ssh-agent did not create its socket");
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("agent.sock")
    }

    fn ssh_add(&self, args: &[&str], input: &str) -> std::process::Output {
        use std::io::Write;
        // setsid: no controlling terminal, so ssh-add reads a lock
        // password from its standard input.
        let mut child = Command::new("setsid")
            .arg("ssh-add")
            .args(args)
            .env("SSH_AUTH_SOCK", self.socket())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Adds a fixture key (copied with mode 0600: ssh-add refuses a key
    /// others can read).
    fn add(&self, name: &str) {
        use std::os::unix::fs::PermissionsExt;
        let copy = self.dir.path().join(name);
        std::fs::copy(key_path(name), &copy).unwrap();
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600)).unwrap();
        let out = self.ssh_add(&[copy.to_str().unwrap()], "");
        expect_code(&out, 0);
    }

    /// `custodian ARGS` with SSH_AUTH_SOCK set to this agent.
    fn custodian(&self) -> assert_cmd::Command {
        let mut c = custodian();
        c.env("SSH_AUTH_SOCK", self.socket());
        c
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent_key(fp: &str) -> String {
    format!("agent:{fp}")
}

fn output(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `init` with the lead key given as `key` (a path or agent:FP).
fn init(c: &mut assert_cmd::Command, dir: &Path, key: &str) -> PathBuf {
    let case = dir.join("case");
    let out = c
        .arg("init")
        .arg(&case)
        .args(["--case-id", "FR-LYON-2026-0042", "--title", "Agent test"])
        .args(["--key", key])
        .output()
        .unwrap();
    expect_code(&out, 0);
    case
}

#[test]
fn entries_signed_through_the_agent_verify_and_match_the_key_files() {
    let agent = Agent::start();
    agent.add("lead");
    let dir = tempfile::tempdir().unwrap();
    let case = init(&mut agent.custodian(), dir.path(), &agent_key(LEAD_FP));
    // signer add, then a note by the key given in the environment.
    let out = agent
        .custodian()
        .args(["signer", "add"])
        .arg(&case)
        .arg("--pubkey")
        .arg(key_path("analyst.pub"))
        .args(["--principal", ANALYST, "--role", "examiner"])
        .env("CUSTODIAN_KEY", agent_key(LEAD_FP))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let out = agent
        .custodian()
        .arg("note")
        .arg(&case)
        .args(["--text", "signed by the agent"])
        .env("CUSTODIAN_KEY", agent_key(LEAD_FP))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let (code, v) = verify_json(&case, &["--trust", LEAD_FP]);
    assert_eq!(code, 0, "{v}");
    // Each signature is exactly what the key file makes of the same bytes.
    let file_key = key("lead");
    for line in split_lines(&std::fs::read(ledger_of(&case)).unwrap()) {
        let entry = parse_entry(&line);
        let again = signed_line(
            custodian::ledger::Entry {
                sig: None,
                ..entry.clone()
            },
            &file_key,
        );
        assert_eq!(again, line, "entry {}", entry.seq);
    }
    // The allowed_signers file checks them with ssh-keygen too.
    let out = custodian()
        .arg("signers")
        .arg(&case)
        .arg("--allowed-signers")
        .output()
        .unwrap();
    expect_code(&out, 0);
}

#[test]
fn the_library_signs_the_same_bytes_through_the_agent_as_from_the_file() {
    let agent = Agent::start();
    agent.add("lead");
    let fp = custodian::Fingerprint::parse(LEAD_FP).unwrap();
    let via_agent = custodian::SigningKey::from_agent(&agent.socket(), &fp).unwrap();
    assert!(via_agent.is_agent());
    assert_eq!(via_agent.comment(), "j.dupont@cyber.lyon.police.example");
    let file = key("lead");
    for msg in [&b""[..], b"hello", &[0u8; 5000][..]] {
        assert_eq!(via_agent.sign(msg).unwrap(), file.sign(msg).unwrap());
        assert_eq!(
            via_agent.sign_detached("custodian-report-v1", msg).unwrap(),
            file.sign_detached("custodian-report-v1", msg).unwrap()
        );
    }
    // A key file written from an agent key: there is none to write.
    assert!(via_agent.write(&agent.dir.path().join("x"), None).is_err());
}

#[test]
fn checkpoints_and_report_signatures_are_made_through_the_agent() {
    let agent = Agent::start();
    agent.add("lead");
    let dir = tempfile::tempdir().unwrap();
    let by_agent = write_case(&dir.path().join("a"), &fixture_bytes());
    let by_file = write_case(&dir.path().join("f"), &fixture_bytes());
    // Checkpoint: a C2SP note signature is the raw Ed25519 signature of
    // the note text, which the agent makes for an ssh-ed25519 key.
    let out = agent
        .custodian()
        .arg("checkpoint")
        .arg(&by_agent)
        .args(["--key", &agent_key(LEAD_FP)])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let out = custodian()
        .arg("checkpoint")
        .arg(&by_file)
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let read = |case: &Path| {
        let dir = case.join("checkpoints");
        let name = std::fs::read_dir(&dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        std::fs::read_to_string(name).unwrap()
    };
    assert_eq!(read(&by_agent), read(&by_file));
    let checkpoint = std::fs::read_dir(by_agent.join("checkpoints"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let out = custodian()
        .arg("verify")
        .arg(&by_agent)
        .arg("--expect-checkpoint")
        .arg(&checkpoint)
        .output()
        .unwrap();
    expect_code(&out, 0);

    // report --sign: the detached signature checks with ssh-keygen.
    let report = dir.path().join("report.md");
    let out = agent
        .custodian()
        .env_remove("SOURCE_DATE_EPOCH")
        .arg("report")
        .arg(&by_agent)
        .args(["--format", "md", "--generated-at", REPORT_TIME, "-o"])
        .arg(&report)
        .args(["--sign", "--key", &agent_key(LEAD_FP)])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let allowed = dir.path().join("allowed_signers");
    let out = custodian()
        .arg("signers")
        .arg(&by_agent)
        .arg("--allowed-signers")
        .output()
        .unwrap();
    std::fs::write(&allowed, &out.stdout).unwrap();
    let mut sig = report.clone().into_os_string();
    sig.push(".sig");
    let out = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&allowed)
        .args([
            "-I",
            "j.dupont@cyber.lyon.police.example",
            "-n",
            "custodian-report-v1",
            "-s",
        ])
        .arg(&sig)
        .stdin(std::fs::File::open(&report).unwrap())
        .output()
        .unwrap();
    expect_code(&out, 0);
}

#[test]
fn an_agent_without_the_key_is_exit_2_naming_the_fingerprint() {
    let agent = Agent::start();
    agent.add("analyst");
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &fixture_bytes());
    let before = std::fs::read(ledger_of(&case)).unwrap();
    let out = agent
        .custodian()
        .arg("note")
        .arg(&case)
        .args(["--text", "x", "--key", &agent_key(LEAD_FP)])
        .output()
        .unwrap();
    expect_code(&out, 2);
    let (_, err) = output(&out);
    assert!(
        err.contains(LEAD_FP) && err.contains("does not hold") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), before);
}

#[test]
fn a_locked_agent_is_exit_2_naming_the_fingerprint() {
    let agent = Agent::start();
    agent.add("lead");
    expect_code(&agent.ssh_add(&["-x"], "lock-pw\nlock-pw\n"), 0);
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &fixture_bytes());
    let out = agent
        .custodian()
        .arg("note")
        .arg(&case)
        .args(["--text", "x", "--key", &agent_key(LEAD_FP)])
        .output()
        .unwrap();
    expect_code(&out, 2);
    let (_, err) = output(&out);
    assert!(
        err.contains(LEAD_FP) && err.contains("locked") && err.lines().count() == 1,
        "{err}"
    );
    // Unlocked, the same command works.
    expect_code(&agent.ssh_add(&["-X"], "lock-pw\n"), 0);
    let out = agent
        .custodian()
        .arg("note")
        .arg(&case)
        .args(["--text", "x", "--key", &agent_key(LEAD_FP)])
        .output()
        .unwrap();
    expect_code(&out, 0);
}

#[test]
fn no_agent_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &fixture_bytes());
    // No SSH_AUTH_SOCK at all.
    let out = custodian()
        .arg("note")
        .arg(&case)
        .args(["--text", "x", "--key", &agent_key(LEAD_FP)])
        .output()
        .unwrap();
    expect_code(&out, 2);
    let (_, err) = output(&out);
    assert!(
        err.contains("SSH_AUTH_SOCK is not set") && err.contains(LEAD_FP),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A socket nobody listens on.
    let out = custodian()
        .env("SSH_AUTH_SOCK", dir.path().join("nothing-here"))
        .arg("note")
        .arg(&case)
        .args(["--text", "x", "--key", &agent_key(LEAD_FP)])
        .output()
        .unwrap();
    expect_code(&out, 2);
    let (_, err) = output(&out);
    assert!(err.contains("cannot reach the SSH agent"), "{err}");
    // Not a fingerprint.
    let out = custodian()
        .env("SSH_AUTH_SOCK", dir.path().join("nothing-here"))
        .arg("note")
        .arg(&case)
        .args(["--text", "x", "--key", "agent:lead"])
        .output()
        .unwrap();
    expect_code(&out, 2);
    let (_, err) = output(&out);
    assert!(err.contains("invalid key fingerprint"), "{err}");
}

/// docs/guide/keys.md §3, end to end: an examiner's key is lost; a
/// supervisor revokes it and adds a replacement held in an agent. Entries
/// the old key signed before stay valid; a later one by it fails; the old
/// key cannot append; `signers` shows both keys' windows.
#[test]
fn a_lost_key_is_revoked_and_replaced_and_earlier_entries_stay_valid() {
    let dir = tempfile::tempdir().unwrap();
    let case = init(
        &mut custodian(),
        dir.path(),
        key_path("lead").to_str().unwrap(),
    );
    let analyst_fp = key("analyst").fingerprint().to_string();
    let run = |args: &[&str], key: &str| {
        let mut c = custodian();
        c.args(args).arg(&case).args(["--key", key]);
        c
    };
    let lead = key_path("lead").to_str().unwrap().to_string();
    let old = key_path("analyst").to_str().unwrap().to_string();
    let mut add = run(&["signer", "add"], &lead);
    add.arg("--pubkey").arg(key_path("analyst.pub"));
    add.args(["--principal", ANALYST, "--role", "examiner"]);
    expect_code(&add.output().unwrap(), 0);
    let mut note = run(&["note"], &old);
    note.args(["--text", "before the loss"]);
    expect_code(&note.output().unwrap(), 0);
    let before_loss = split_lines(&std::fs::read(ledger_of(&case)).unwrap()).len() as u64 - 1;

    // 1. The loss: the supervisor revokes the key.
    let mut revoke = run(&["signer", "revoke"], &lead);
    revoke.args(["--fingerprint", &analyst_fp]);
    revoke.args([
        "--reason",
        "laptop stolen; last under control 2026-11-19 18:00",
    ]);
    expect_code(&revoke.output().unwrap(), 0);
    let revoked_at = before_loss + 1;

    // 2. The replacement, a new key the examiner keeps in ssh-agent.
    let agent = Agent::start();
    let new_key = dir.path().join("analyst-2");
    let out = custodian()
        .args([
            "key",
            "new",
            "--no-passphrase",
            "--principal",
            ANALYST,
            "--out",
        ])
        .arg(&new_key)
        .output()
        .unwrap();
    expect_code(&out, 0);
    let new_fp = custodian::keys::read_signer_key(&new_key)
        .unwrap()
        .fingerprint()
        .to_string();
    expect_code(&agent.ssh_add(&[new_key.to_str().unwrap()], ""), 0);
    let mut add = run(&["signer", "add"], &lead);
    add.arg("--pubkey")
        .arg(custodian::keys::pub_path_for(&new_key));
    add.args(["--principal", ANALYST, "--role", "examiner"]);
    expect_code(&add.output().unwrap(), 0);
    let mut note = run(&["note"], &agent_key(&new_fp));
    note.env("SSH_AUTH_SOCK", agent.socket());
    note.args(["--text", "with the new key"]);
    expect_code(&note.output().unwrap(), 0);

    // The old key cannot append any more, and the ledger is unchanged.
    let good = std::fs::read(ledger_of(&case)).unwrap();
    let mut note = run(&["note"], &old);
    note.args(["--text", "by the thief"]);
    let out = note.output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), good);
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");

    // 3. The windows.
    let out = custodian().arg("signers").arg(&case).output().unwrap();
    expect_code(&out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("until entry {revoked_at} (")) && text.contains("still active"),
        "{text}"
    );
    let out = custodian()
        .arg("signers")
        .arg(&case)
        .arg("--json")
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let row = |fp: &str| {
        rows.iter()
            .find(|r| r["fingerprint"] == fp)
            .unwrap()
            .clone()
    };
    assert_eq!(row(&analyst_fp)["valid"]["until"]["entry"], revoked_at);
    assert_eq!(row(&new_fp)["valid"]["until"], serde_json::Value::Null);
    assert_eq!(row(&new_fp)["valid"]["from"]["entry"], revoked_at + 1);

    // A later entry by the old key, forged into the file, fails; the one
    // it signed before the revocation stays valid.
    let mut lines = split_lines(&good);
    let last = lines.last().unwrap().clone();
    let mut forged = note_entry(lines.len() as u64, &last, 0, "by the thief");
    forged.v = custodian::ledger::FORMAT_VERSION;
    forged.time = custodian::time::format(chrono::Utc::now());
    lines.push(signed_line(forged, &key("analyst")));
    std::fs::write(ledger_of(&case), join_lines(&lines)).unwrap();
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        errors(&v),
        vec![("revoked-signer".to_string(), Some(lines.len() as u64 - 1))],
        "entry {before_loss} (before the loss) stays valid: {v}"
    );
}
