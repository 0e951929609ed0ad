//! Facts about the acquiring machine that an acquisition records: its
//! system (uname, os-release) and whether its clock was synchronised.
//!
//! Everything here is read, never changed, and never fails an
//! acquisition: a fact that cannot be read is recorded as unknown. The
//! clock probes run local programs only (no network: `chronyc -n` does no
//! name lookups, `timedatectl` asks the local system bus), each bounded by
//! [`PROBE_TIMEOUT`], so a hung daemon costs seconds, not the acquisition.
//!
//! `CUSTODIAN_CLOCK_PROBE` chooses the probes: unset or `auto` tries
//! `chronyc`, `timedatectl` and `adjtimex` in that order and records the
//! first that answers; a comma-separated list of those words tries only
//! them, in that order; `off` tries none (the clock is then recorded as
//! "not known", method `none`: what a machine with none of them records).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use custodian_format::source::{ClockMethod, ClockState, HostSystem};

/// The environment variable that chooses the clock probes.
pub const CLOCK_PROBE_ENV: &str = "CUSTODIAN_CLOCK_PROBE";

/// How long one clock probe may run before it is killed.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The most bytes read from a probe's output or from os-release.
const MAX_READ: u64 = 64 * 1024;

/// The acquiring machine's name, operating system and kernel.
pub fn system() -> HostSystem {
    let u = uname();
    HostSystem {
        name: u
            .as_ref()
            .map(|u| u.0.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(crate::process::host_name),
        os: os_release(),
        kernel: u.map(|u| u.1),
    }
}

/// (node name, "sysname release version machine") from uname(2).
#[cfg(unix)]
fn uname() -> Option<(String, String)> {
    // SAFETY: utsname is plain old data (arrays of c_char), valid when
    // zeroed; uname(2) only writes NUL-terminated strings into it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let kernel = [
        field(&u.sysname),
        field(&u.release),
        field(&u.version),
        field(&u.machine),
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .cloned()
    .collect::<Vec<_>>()
    .join(" ");
    Some((field(&u.nodename), kernel))
}

#[cfg(not(unix))]
fn uname() -> Option<(String, String)> {
    None
}

/// `PRETTY_NAME` of /etc/os-release (else /usr/lib/os-release), else
/// `NAME` and `VERSION`; `None` when neither file can be read.
fn os_release() -> Option<String> {
    ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|p| read_bounded(p))
        .and_then(|text| pretty_name(&text))
}

fn read_bounded(path: &str) -> Option<String> {
    let f = std::fs::File::open(path).ok()?;
    let mut s = String::new();
    f.take(MAX_READ).read_to_string(&mut s).ok()?;
    Some(s)
}

/// The OS name of an os-release file (shell-style `KEY=value` lines).
fn pretty_name(text: &str) -> Option<String> {
    let mut vars = std::collections::HashMap::new();
    for line in text.lines() {
        if let Some((k, v)) = line.trim().split_once('=') {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            vars.insert(k.trim(), v.replace("\\\"", "\""));
        }
    }
    let nonblank = |k: &str| vars.get(k).filter(|v| !v.trim().is_empty()).cloned();
    nonblank("PRETTY_NAME").or_else(|| {
        let name = nonblank("NAME")?;
        Some(match nonblank("VERSION") {
            Some(v) => format!("{name} {v}"),
            None => name,
        })
    })
}

/// One clock probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    Chronyc,
    Timedatectl,
    Adjtimex,
}

impl Probe {
    fn word(self) -> &'static str {
        match self {
            Probe::Chronyc => "chronyc",
            Probe::Timedatectl => "timedatectl",
            Probe::Adjtimex => "adjtimex",
        }
    }
}

/// The probes `CUSTODIAN_CLOCK_PROBE` (given as `setting`) asks for, or
/// why none is run.
fn probes(setting: Option<&str>) -> Result<Vec<Probe>, String> {
    let all = vec![Probe::Chronyc, Probe::Timedatectl, Probe::Adjtimex];
    let Some(s) = setting.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(all);
    };
    match s {
        "auto" => Ok(all),
        "off" => Err(format!("{CLOCK_PROBE_ENV}=off: the clock was not examined")),
        _ => {
            let mut out = Vec::new();
            for w in s.split(',').map(str::trim) {
                match all.iter().find(|p| p.word() == w) {
                    Some(p) => out.push(*p),
                    None => {
                        return Err(format!(
                        "{CLOCK_PROBE_ENV}={s}: unknown probe {w:?} (use auto, off, or chronyc, timedatectl, adjtimex); the clock was not examined"
                    ))
                    }
                }
            }
            Ok(out)
        }
    }
}

/// The clock's synchronisation as the first answering probe reports it;
/// `synchronised: null` (method `none`) with what each probe said when none
/// could tell.
pub fn clock() -> ClockState {
    let setting = std::env::var(CLOCK_PROBE_ENV).ok();
    let probes = match probes(setting.as_deref()) {
        Ok(p) => p,
        Err(why) => return not_known(why),
    };
    let mut tried = Vec::new();
    for p in probes {
        match run_probe(p) {
            Ok(state) => return state,
            Err(why) => tried.push(format!("{}: {why}", p.word())),
        }
    }
    not_known(if tried.is_empty() {
        "no probe was run".into()
    } else {
        tried.join("; ")
    })
}

fn not_known(detail: String) -> ClockState {
    ClockState {
        synchronised: None,
        source: None,
        offset_ms: None,
        method: ClockMethod::None,
        detail: Some(detail),
    }
}

fn run_probe(p: Probe) -> Result<ClockState, String> {
    match p {
        Probe::Chronyc => parse_chronyc(&run_bounded("chronyc", &["-n", "tracking"])?),
        Probe::Timedatectl => parse_timedatectl(&run_bounded("timedatectl", &["show"])?),
        Probe::Adjtimex => adjtimex(),
    }
}

/// Runs `program args` with no input, killed after [`PROBE_TIMEOUT`];
/// its standard output when it exits with status 0.
fn run_bounded(program: &str, args: &[&str]) -> Result<String, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env("LC_ALL", "C")
        .spawn()
        .map_err(|e| format!("cannot run it ({e})"))?;
    let deadline = Instant::now() + PROBE_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "no answer within {} s (stopped)",
                    PROBE_TIMEOUT.as_secs()
                ));
            }
            Err(e) => return Err(format!("cannot wait for it ({e})")),
        }
    };
    let mut out = String::new();
    if let Some(stdout) = child.stdout.take() {
        let mut bytes = Vec::new();
        let _ = stdout.take(MAX_READ).read_to_end(&mut bytes);
        out = String::from_utf8_lossy(&bytes).into_owned();
    }
    if !status.success() {
        return Err(format!("exited with {status}"));
    }
    Ok(out)
}

/// `chronyc -n tracking`: `Leap status : Not synchronised` means not
/// synchronised; `Reference ID : HEX (ADDRESS)` names the source;
/// `System time : X seconds fast|slow of NTP time` is the offset.
fn parse_chronyc(text: &str) -> Result<ClockState, String> {
    let field = |name: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    };
    let leap = field("Leap status").ok_or("no \"Leap status\" in its output")?;
    let synchronised = leap != "Not synchronised";
    let source = field("Reference ID").and_then(|r| {
        let inner = r
            .split_once('(')
            .and_then(|(_, rest)| rest.strip_suffix(')'))
            .map(str::trim)
            .filter(|s| !s.is_empty());
        match inner {
            Some(s) => Some(s.to_string()),
            None => r.split_whitespace().next().map(str::to_string),
        }
    });
    let offset_ms = field("System time").and_then(|t| {
        let mut words = t.split_whitespace();
        let secs: f64 = words.next()?.parse().ok()?;
        let sign = match words.nth(1)? {
            "fast" => 1.0,
            "slow" => -1.0,
            _ => return None,
        };
        Some((sign * secs * 1000.0).round() as i64)
    });
    Ok(ClockState {
        synchronised: Some(synchronised),
        source: source.filter(|_| synchronised),
        offset_ms: offset_ms.filter(|_| synchronised),
        method: ClockMethod::Chronyc,
        detail: Some(format!("leap status {leap}")),
    })
}

/// `timedatectl show`: `NTPSynchronized=yes|no`, and whether an NTP
/// service is enabled (`NTP=`).
fn parse_timedatectl(text: &str) -> Result<ClockState, String> {
    let prop = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .map(str::trim)
    };
    let synced = match prop("NTPSynchronized") {
        Some("yes") => true,
        Some("no") => false,
        _ => return Err("no NTPSynchronized=yes|no in its output".into()),
    };
    Ok(ClockState {
        synchronised: Some(synced),
        source: None,
        offset_ms: None,
        method: ClockMethod::Timedatectl,
        detail: prop("NTP").map(|n| format!("NTP service enabled: {n}")),
    })
}

/// The kernel's view (adjtimex(2) with no change requested): a clock
/// whose state is `TIME_ERROR` or whose `STA_UNSYNC` flag is set has not
/// been disciplined by a time service.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn adjtimex() -> Result<ClockState, String> {
    // SAFETY: timex is plain old data, valid when zeroed; with modes = 0
    // adjtimex(2) only reads the kernel's clock state into it and changes
    // nothing (no privilege needed).
    let mut t: libc::timex = unsafe { std::mem::zeroed() };
    t.modes = 0;
    let state = unsafe { libc::adjtimex(&mut t) };
    if state < 0 {
        return Err(format!("failed ({})", std::io::Error::last_os_error()));
    }
    let unsync = t.status & libc::STA_UNSYNC != 0;
    let synchronised = !unsync && state != libc::TIME_ERROR;
    let state_name = match state {
        libc::TIME_OK => "TIME_OK",
        libc::TIME_INS => "TIME_INS",
        libc::TIME_DEL => "TIME_DEL",
        libc::TIME_OOP => "TIME_OOP",
        libc::TIME_WAIT => "TIME_WAIT",
        libc::TIME_ERROR => "TIME_ERROR",
        _ => "unknown",
    };
    let mut detail = format!(
        "kernel clock state {state_name}, STA_UNSYNC {}, estimated error {} µs, maximum error {} µs",
        if unsync { "set" } else { "clear" },
        t.esterror,
        t.maxerror
    );
    if !synchronised {
        detail.push_str(
            "; no time service is disciplining the kernel clock (a clock kept by a hypervisor is not seen by this check)",
        );
    }
    Ok(ClockState {
        synchronised: Some(synchronised),
        source: None,
        offset_ms: None,
        method: ClockMethod::Adjtimex,
        detail: Some(detail),
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn adjtimex() -> Result<ClockState, String> {
    Err("not available on this system".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chronyc_tracking_is_read_as_printed() {
        let out = "Reference ID    : C0000201 (192.0.2.1)\nStratum         : 3\nRef time (UTC)  : Thu Dec 07 14:00:00 2026\nSystem time     : 0.002500000 seconds slow of NTP time\nLast offset     : +0.000012 seconds\nLeap status     : Normal\n";
        let c = parse_chronyc(out).unwrap();
        assert_eq!(c.synchronised, Some(true));
        assert_eq!(c.source.as_deref(), Some("192.0.2.1"));
        assert_eq!(c.offset_ms, Some(-3));
        assert_eq!(c.method, ClockMethod::Chronyc);
        let unsync = "Reference ID    : 00000000 ()\nSystem time     : 0.000000000 seconds fast of NTP time\nLeap status     : Not synchronised\n";
        let c = parse_chronyc(unsync).unwrap();
        assert_eq!(c.synchronised, Some(false));
        assert_eq!((c.source, c.offset_ms), (None, None));
        assert!(parse_chronyc("506 Cannot talk to daemon\n").is_err());
    }

    #[test]
    fn timedatectl_show_is_read_as_printed() {
        let c = parse_timedatectl("Timezone=UTC\nNTP=yes\nNTPSynchronized=no\n").unwrap();
        assert_eq!(c.synchronised, Some(false));
        assert_eq!(c.detail.as_deref(), Some("NTP service enabled: yes"));
        assert!(parse_timedatectl("Timezone=UTC\n").is_err());
    }

    #[test]
    fn the_probe_setting_is_honoured_and_never_fails() {
        assert_eq!(probes(None).unwrap().len(), 3);
        assert_eq!(probes(Some("auto")).unwrap().len(), 3);
        assert_eq!(
            probes(Some("adjtimex, chronyc")).unwrap(),
            vec![Probe::Adjtimex, Probe::Chronyc]
        );
        assert!(probes(Some("off")).unwrap_err().contains("not examined"));
        assert!(probes(Some("ntpq")).unwrap_err().contains("unknown probe"));
    }

    #[test]
    fn os_release_names_the_system() {
        assert_eq!(
            pretty_name(
                "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
            )
            .as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(
            pretty_name("NAME=Alpine\nVERSION='3.19'\n").as_deref(),
            Some("Alpine 3.19")
        );
        assert_eq!(pretty_name("ID=x\n"), None);
    }

    #[test]
    fn the_system_is_read() {
        let s = system();
        assert!(!s.name.is_empty());
        assert!(s.kernel.is_some());
    }
}
