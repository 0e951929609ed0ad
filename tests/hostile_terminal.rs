//! Terminal escapes and bidi controls in ledger text and seized file names
//! (issue 17 item 4). A case title, a note, a location, a seal, an
//! examiner's stated name, an authority's issuer and a file name each hold
//! ESC `[2J` (clear the screen), a C1 CSI (U+009B), BEL and U+202E (which
//! makes `…\u{202e}exe.txt` read as "txt.exe"). Every human output of
//! every command that shows them must hold none of these raw (asserted on
//! the raw bytes of stdout and stderr) and show them as visible escapes
//! (`\u{1b}`, `\u{9b}`, `\u{7}`, `\u{202e}`); `--json` keeps the exact
//! value; the HTML and Markdown reports hold no raw control or bidi
//! character either.

mod common;

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Output;

use common::*;
use serde_json::Value;

/// ESC [2J, a C1 CSI, BEL and a right-to-left override.
const HOSTILE: &str = "X\u{1b}[2J\u{9b}31m\u{7}\u{202e}exe.txt";
/// How [`HOSTILE`] is shown to a person.
const SHOWN: &str = "X\\u{1b}[2J\\u{9b}31m\\u{7}\\u{202e}exe.txt";

/// No control or bidi character other than line feeds in `bytes`.
fn assert_visible(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for (i, c) in text.char_indices() {
        assert!(
            c == '\n' || !custodian::text::is_hidden(c),
            "{what}: raw {c:?} at byte {i}:\n{text}"
        );
    }
}

/// Runs `custodian ARGS`, expecting `code`; stdout and stderr hold no raw
/// control or bidi character. Returns stdout and stderr together, lossy.
fn human<A: AsRef<OsStr>>(what: &str, code: i32, args: &[A]) -> String {
    let out = custodian().args(args).output().unwrap();
    expect_code(&out, code);
    assert_visible(&format!("{what} (stdout)"), &out.stdout);
    assert_visible(&format!("{what} (stderr)"), &out.stderr);
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// [`human`], and the hostile value must be shown, escaped.
fn shows<A: AsRef<OsStr>>(what: &str, code: i32, args: &[A]) -> String {
    let text = human(what, code, args);
    assert!(text.contains(SHOWN), "{what}: {SHOWN} not shown:\n{text}");
    text
}

/// `custodian ARGS --json`, expecting exit 0: the JSON values, one per line.
fn json_lines(args: &[&OsStr]) -> Vec<Value> {
    let out: Output = custodian().args(args).arg("--json").output().unwrap();
    expect_code(&out, 0);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn os<S: AsRef<OsStr> + ?Sized>(s: &S) -> &OsStr {
    s.as_ref()
}

/// A case whose every free-text field holds [`HOSTILE`], with an exhibit
/// acquired from a folder holding a file named [`HOSTILE`].
struct Hostile {
    _dir: tempfile::TempDir,
    tmp: PathBuf,
    case: PathBuf,
    ev: PathBuf,
}

fn hostile_case() -> Hostile {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().to_path_buf();
    let case = tmp.join("case");
    let ev = tmp.join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join(HOSTILE), b"hostile name\n").unwrap();
    std::fs::write(ev.join("plain.txt"), b"plain\n").unwrap();
    let lead = key_path("lead");
    let h = |prefix: &str| format!("{prefix} {HOSTILE}");
    let with_key = |args: &[&OsStr]| -> Vec<std::ffi::OsString> {
        let mut all: Vec<std::ffi::OsString> = args.iter().map(|a| a.to_os_string()).collect();
        all.push("--key".into());
        all.push(lead.clone().into_os_string());
        all
    };
    human(
        "init",
        0,
        &with_key(&[
            os("init"),
            case.as_os_str(),
            os("--case-id"),
            os("C-TERM"),
            os("--title"),
            os(&h("title")),
            os("--authority"),
            os("W-1"),
            os("--examiner"),
            os(&h("examiner")),
        ]),
    );
    let added = human(
        "signer add",
        0,
        &with_key(&[
            os("signer"),
            os("add"),
            case.as_os_str(),
            os("--pubkey"),
            key_path("analyst.pub").as_os_str(),
            os("--principal"),
            os("a\u{202e}b@x"),
            os("--role"),
            os("examiner"),
            os("--name"),
            os(&h("name")),
        ]),
    );
    assert!(added.contains("a\\u{202e}b@x"), "{added}");
    human(
        "acquire",
        0,
        &with_key(&[
            os("acquire"),
            case.as_os_str(),
            os("--exhibit"),
            os("EXH-1"),
            os("--authority"),
            os("W-1"),
            os("--description"),
            os(&h("description")),
            ev.as_os_str(),
        ]),
    );
    human(
        "note",
        0,
        &with_key(&[os("note"), case.as_os_str(), os("--text"), os(&h("note"))]),
    );
    shows(
        "authority add",
        0,
        &with_key(&[
            os("authority"),
            os("add"),
            case.as_os_str(),
            os("--reference"),
            os("R-1"),
            os("--kind"),
            os("court-order"),
            os("--issuer"),
            os(&h("issuer")),
            os("--jurisdiction"),
            os("FR"),
            os("--issued"),
            os("2026-01-01"),
            os("--scope-all"),
            os("--scope"),
            os(&h("scope")),
        ]),
    );
    shows(
        "custody location",
        0,
        &with_key(&[
            os("custody"),
            os("location"),
            case.as_os_str(),
            os("--exhibit"),
            os("EXH-1"),
            os("--location"),
            os(&h("location")),
        ]),
    );
    shows(
        "custody seal",
        0,
        &with_key(&[
            os("custody"),
            os("seal"),
            case.as_os_str(),
            os("--exhibit"),
            os("EXH-1"),
            os("--seal"),
            os(&format!("SEAL-{HOSTILE}")),
        ]),
    );
    Hostile {
        _dir: dir,
        tmp,
        case,
        ev,
    }
}

#[test]
fn every_human_output_shows_control_and_bidi_characters_visibly() {
    let t = hostile_case();
    let case = t.case.as_os_str();
    // Reading commands: each shows the hostile value, escaped.
    for (what, args) in [
        ("status", vec![os("status"), case]),
        ("log", vec![os("log"), case]),
        (
            "log --exhibit",
            vec![os("log"), case, os("--exhibit"), os("EXH-1")],
        ),
        ("verify", vec![os("verify"), case]),
        ("show", vec![os("show"), case, os("--exhibit"), os("EXH-1")]),
        ("signers", vec![os("signers"), case]),
        ("authority list", vec![os("authority"), os("list"), case]),
    ] {
        shows(what, 0, &args);
    }
    // An error quoting what the user typed.
    shows(
        "show of an unknown exhibit",
        2,
        &[os("show"), case, os("--exhibit"), os(HOSTILE)],
    );
    // The file named HOSTILE changed: verify --evidence names it.
    std::fs::write(t.ev.join(HOSTILE), b"changed\n").unwrap();
    let evidence = format!("EXH-1={}", t.ev.display());
    shows(
        "verify --evidence",
        1,
        &[os("verify"), case, os("--evidence"), os(&evidence)],
    );
    // diff of the manifest against today's list names it.
    let list = t.tmp.join("now.jsonl");
    let out = custodian()
        .args(["hash", "-r", "--format", "json"])
        .arg(&t.ev)
        .output()
        .unwrap();
    expect_code(&out, 0);
    std::fs::write(&list, &out.stdout).unwrap();
    let manifest = t.case.join("manifests/EXH-1.jsonl");
    shows(
        "diff",
        1,
        &[os("diff"), manifest.as_os_str(), list.as_os_str()],
    );
    // hash: an error naming a path that holds the hostile name.
    let missing = t.tmp.join(HOSTILE);
    shows("hash error", 1, &[os("hash"), missing.as_os_str()]);
    // A package, and verify-package's findings on the changed file.
    let pkg = t.tmp.join("pkg");
    let lead = key_path("lead");
    human(
        "package",
        0,
        &[
            os("package"),
            case,
            os("--exhibit"),
            os("EXH-1"),
            os("--for"),
            os(&format!("court {HOSTILE}")),
            os("--authority"),
            os("R-1"),
            os("--out"),
            pkg.as_os_str(),
            os("--key"),
            lead.as_os_str(),
        ],
    );
    shows(
        "verify-package --evidence",
        1,
        &[
            os("verify-package"),
            pkg.as_os_str(),
            os("--evidence"),
            os(&evidence),
        ],
    );
}

#[test]
fn json_keeps_the_exact_values() {
    let t = hostile_case();
    let case = t.case.as_os_str();
    let h = |prefix: &str| format!("{prefix} {HOSTILE}");
    let log = json_lines(&[os("log"), case]);
    assert!(log.iter().any(|e| e["entry"]["body"]["text"] == h("note")));
    assert!(log
        .iter()
        .any(|e| e["entry"]["body"]["title"] == h("title")));
    let status = json_lines(&[os("status"), case]);
    assert_eq!(status[0]["location"], h("location"));
    assert_eq!(status[0]["seal"], format!("SEAL-{HOSTILE}"));
    let show = json_lines(&[os("show"), case, os("--exhibit"), os("EXH-1")]);
    assert!(show.iter().any(|r| r["path"] == HOSTILE), "{show:?}");
    let authorities = json_lines(&[os("authority"), os("list"), case]);
    assert!(authorities
        .iter()
        .any(|a| a["authority"]["issuer"] == h("issuer")));
    let signers = json_lines(&[os("signers"), case]);
    assert!(
        signers.iter().any(|s| s["name"] == h("name")),
        "{signers:?}"
    );
    assert!(signers.iter().any(|s| s["principal"] == "a\u{202e}b@x"));
    let timeline = json_lines(&[os("log"), case, os("--exhibit"), os("EXH-1")]);
    assert!(timeline
        .iter()
        .any(|e| e["entry"]["body"]["location"] == h("location")));
    // verify --json: the changed file's path exactly.
    std::fs::write(t.ev.join(HOSTILE), b"changed\n").unwrap();
    let evidence = format!("EXH-1={}", t.ev.display());
    let (code, v) = verify_json(&t.case, &["--evidence", &evidence]);
    assert_eq!(code, 1);
    let changed = v["evidence"][0]["differences"][0]["path"].as_str().unwrap();
    assert!(changed.ends_with(HOSTILE), "{changed:?}");
}

/// The HTML and Markdown reports of the case hold no raw control or bidi
/// character: `\u{202e}exe.txt` cannot render as "txt.exe".
#[test]
fn reports_show_control_and_bidi_characters_visibly() {
    let t = hostile_case();
    for format in ["html", "md"] {
        let out = custodian()
            .arg("report")
            .arg(&t.case)
            .args(["--format", format])
            .output()
            .unwrap();
        expect_code(&out, 0);
        let text = String::from_utf8(out.stdout).unwrap();
        for (i, c) in text.char_indices() {
            // The page's own layout keeps its line breaks (HTML's style
            // sheet and commands, Markdown's rows).
            assert!(
                c == '\n' || !custodian::text::is_hidden(c),
                "{format}: raw {c:?} at byte {i}"
            );
        }
        assert!(text.contains("\\u{202e}exe.txt"), "{format}");
        // (Markdown also escapes the `[` that follows.)
        assert!(
            text.contains("\\u{1b}") && text.contains("\\u{9b}31m"),
            "{format}"
        );
    }
}

/// `--color always` colours the verdict line, and only with custodian's
/// own escape sequences; `--color never`, NO_COLOR and a pipe under
/// `auto` give none (issue 22 item 10).
#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let case = root().join("fixtures/ledger");
    let run = |args: &[&str], no_color: bool| {
        let mut c = custodian();
        c.arg("verify").arg(&case).args(args);
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    let coloured = run(&["--color", "always"], false);
    assert!(
        coloured.contains("\u{1b}[1;32mresult:  VALID"),
        "{coloured:?}"
    );
    assert_eq!(coloured.matches('\u{1b}').count(), 2, "{coloured:?}");
    for (args, no_color) in [
        (&["--color", "never"][..], false),
        (&[][..], true),
        (&[][..], false),
    ] {
        let plain = run(args, no_color);
        assert!(plain.contains("result:  VALID"), "{plain}");
        assert!(
            !plain.contains('\u{1b}'),
            "{args:?} NO_COLOR={no_color}: {plain:?}"
        );
    }
}

/// `--ascii` writes only ASCII: custodian's symbols spelled out, other
/// characters (the fixture's "Mercière") as escapes, nothing dropped.
#[test]
fn ascii_output_is_ascii_and_loses_nothing() {
    let case = root().join("fixtures/ledger");
    let out = custodian()
        .args(["--ascii", "verify"])
        .arg(&case)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.is_ascii(), "{text}");
    assert!(text.contains("Merci\\u{e8}re"), "{text}");
    let normal = String::from_utf8(
        custodian()
            .arg("verify")
            .arg(&case)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(normal.contains("Mercière"));
}
