#!/usr/bin/env python3
"""Independent verifier for custodian ledgers (format version 1).

Written from docs/spec/ledger.md alone, with no custodian code: Python's
standard library for JSON, hashing and the replay rules, and stock OpenSSH
`ssh-keygen -Y verify` for every signature. It exists so that a defence expert
or a partner agency can check a ledger with tools that are not ours, and so
that our test suite proves the spec is sufficient.

The custody rules (custody.*, authority.register, the authority policy of
case.open, overrides) are implemented from docs/spec/custody.md; section
numbers in comments ("custody §3") refer to it, "ledger §7" to
docs/spec/ledger.md.

Usage: verify-ledger.py LEDGER [--trust SHA256:...]... [--json] [--now TIME]
  --json      print one JSON object: result, problems, findings
  --now TIME  the time findings are computed as of (custody §10), in the
              ledger's time form; default: the current time
Exit status: 0 as recorded, 1 not as recorded, 2 could not check.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone

NAMESPACE = "custodian-ledger-v1"
GENESIS = "0" * 64
MEMBERS = {"v", "seq", "prev", "time", "type", "signer", "tool", "body", "sig"}
ROLES = {"supervisor", "examiner", "evidence-officer", "witness", "auditor"}
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
BAD_PRINCIPAL = re.compile(r'[\s,"*?!#\x00-\x1f\x7f]')


def canonical(value):
    """RFC 8785 for the JSON values a version-1 ledger may hold."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        # §3: integers outside the I-JSON range have no canonical form.
        if abs(value) > 2**53 - 1:
            raise ValueError("integer outside ±(2^53-1)")
        return str(value)
    if isinstance(value, float):
        raise ValueError("floating-point numbers do not occur in version 1")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(canonical(k) + ":" + canonical(v) for k, v in items) + "}"
    raise ValueError("unexpected JSON value")


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate member")
    return dict(pairs)


def fingerprint(openssh_key):
    parts = openssh_key.split()
    if len(parts) != 2 or parts[0] != "ssh-ed25519":
        raise ValueError("not an ssh-ed25519 key without comment")
    blob = base64.b64decode(parts[1], validate=True)
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def check_signature(key, signed_bytes, sig_b64, workdir):
    armoured = "-----BEGIN SSH SIGNATURE-----\n"
    armoured += "".join(sig_b64[i:i + 70] + "\n" for i in range(0, len(sig_b64), 70))
    armoured += "-----END SSH SIGNATURE-----\n"
    sig_path = os.path.join(workdir, "sig")
    signers_path = os.path.join(workdir, "allowed_signers")
    with open(sig_path, "w") as f:
        f.write(armoured)
    with open(signers_path, "w") as f:
        f.write('signer namespaces="%s" %s\n' % (NAMESPACE, key))
    run = subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", signers_path, "-I", "signer",
         "-n", NAMESPACE, "-s", sig_path],
        input=signed_bytes, capture_output=True)
    return run.returncode == 0


# ---------------------------------------------------------------------------
# Custody rules, from docs/spec/custody.md ("custody §n" below).
# ---------------------------------------------------------------------------

HEX64 = re.compile(r"^[0-9a-f]{64}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
AUTHORITY_KINDS = {"search-warrant", "court-order", "production-order", "mlat", "eio",
                   "preservation-request", "consent", "other"}
# Unicode White_Space (custody §7.4: what the cross-border test trims).
WHITE_SPACE = ("\u0009\u000a\u000b\u000c\u000d\u0020\u0085\u00a0\u1680"
               "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
               "\u2028\u2029\u202f\u205f\u3000")
GAP_HOURS, BACKDATE_HOURS, OVERDUE_DAYS = 72, 24, 30  # custody §10
CLOCK_SKEW_SECONDS = 300  # custody §13.4
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Member types of the bodies (custody §1). "u64" is a JSON integer 0..2**64-1.
STR, BOOL, U64 = "string", "boolean", "u64"
OUTPUT = {"name": (STR, True), "sha256": (STR, True)}
SHARED = {"exhibit": (STR, True), "sha256": (STR, True), "bytes": (U64, True)}
COMMON = {"exhibits": ([STR], True), "at": (STR, False), "location": (STR, False),
          "purpose": (STR, False), "authority": (STR, False), "override": (STR, False)}
EVENT_MEMBERS = {
    "custody.seal": {"seal": (STR, True)},
    "custody.unseal": {"seal": (STR, True), "reason": (STR, True)},
    "custody.location": {},
    "custody.check-out": {},
    "custody.check-in": {},
    "custody.analysis": {"tool": (STR, True), "tool_version": (STR, True),
                         "description": (STR, True), "outputs": ([OUTPUT], True)},
    "custody.transfer": {"to": (STR, True), "to_jurisdiction": (STR, False)},
    "custody.receipt": {"transfer": (U64, True)},
    "custody.release": {"to": (STR, True)},
    "custody.dispose": {"method": (STR, True), "witness": (STR, True)},
    "custody.disclose": {"recipient": (STR, True), "package": (STR, True),
                         "redacted_paths": (BOOL, True), "manifests": ([SHARED], True),
                         "salt_commitment": (STR, False)},
}
AUTHORITY_MEMBERS = {
    "reference": (STR, True), "kind": (STR, True), "issuer": (STR, True),
    "jurisdiction": (STR, True), "issued": (STR, True), "valid_from": (STR, True),
    "valid_until": (STR, False),
    "scope": ({"all": (BOOL, False), "exhibits": ([STR], False),
               "description": (STR, False)}, True),
}
POLICY_MEMBERS = {"authority": (STR, True)}

# custody §3: the states each event is allowed in.
ALL_STATES = {"available", "sealed", "checked-out", "in-transit", "released", "disposed"}
ALLOWED = {
    "custody.seal": {"available"},
    "custody.unseal": {"sealed"},
    "custody.location": {"available", "sealed", "checked-out"},
    "custody.check-out": {"available"},
    "custody.check-in": {"checked-out"},
    "custody.analysis": {"available", "checked-out"},
    "custody.transfer": {"available", "sealed"},
    "custody.receipt": {"in-transit"},
    "custody.release": {"available", "sealed"},
    "custody.dispose": {"available", "sealed"},
    "custody.disclose": ALL_STATES,
}


class BadBody(ValueError):
    pass


def typed(value, kind):
    """Checks `value` against a member type of custody §1."""
    if kind == STR:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == U64:
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2 ** 64
    if kind == "i64":
        return isinstance(value, int) and not isinstance(value, bool) \
            and -2 ** 63 <= value < 2 ** 63
    if isinstance(kind, list):
        return isinstance(value, list) and all(typed(v, kind[0]) for v in value)
    if isinstance(kind, dict):
        try:
            members(value, kind)
            return True
        except BadBody:
            return False
    raise AssertionError(kind)


def members(obj, spec):
    """The object with exactly the members of `spec` (custody §1): no other
    member, every required one present, each of its type; an optional
    member that is null counts as absent (as custodian reads it)."""
    if not isinstance(obj, dict):
        raise BadBody("body is not an object")
    out = {}
    for name, value in obj.items():
        if name not in spec:
            raise BadBody("unknown member %r" % name)
        kind, required = spec[name]
        if value is None and not required:
            continue
        if not typed(value, kind):
            raise BadBody("member %r is not of type %s" % (name, kind))
        out[name] = value
    for name, (_, required) in spec.items():
        if required and name not in out:
            raise BadBody("missing member %r" % name)
    return out


def parse_event(kind, body):
    spec = dict(COMMON)
    spec.update(EVENT_MEMBERS[kind])
    return members(body, spec)


def parse_authority(body):
    a = members(body, AUTHORITY_MEMBERS)
    a["scope"] = members(a["scope"], AUTHORITY_MEMBERS["scope"][0])
    return a


# ledger §7.5, version-2 members of exhibit.acquire (provenance).
SOURCE_KINDS = {"physical-disk", "logical-copy", "phone-extraction", "cloud-export",
                "memory", "other"}
ORIGINS = {"measured", "header", "stated"}
CLOCK_METHODS = {"chronyc tracking", "timedatectl", "adjtimex", "stated", "none"}
FOUND_TIME = {"field": (STR, True), "raw": (STR, True), "rfc3339": (STR, False),
              "zone": (STR, True)}
SECTORS = {"first": (U64, True), "count": (U64, True)}
IMAGING = {"source": (STR, True), "tool": (STR, False), "tool_version": (STR, False),
           "tool_os": (STR, False), "acquired": ([FOUND_TIME], False),
           "finished": ([FOUND_TIME], False), "examiner": (STR, False),
           "case_number": (STR, False), "evidence_number": (STR, False),
           "description": (STR, False), "notes": (STR, False),
           "bad_sectors": ([SECTORS], False)}
HOST_SYSTEM = {"name": (STR, True), "os": (STR, False), "kernel": (STR, False)}


def write_blocker(v):
    if v == "none":
        return True
    return typed(v, {"model": (STR, True), "serial": (STR, False)})


SOURCED = {"kind": lambda v: v in SOURCE_KINDS, "make": lambda v: typed(v, STR),
           "model": lambda v: typed(v, STR), "serial": lambda v: typed(v, STR),
           "sector_size": lambda v: typed(v, U64), "sector_count": lambda v: typed(v, U64),
           "write_blocker": write_blocker}


def check_provenance(body):
    """The version-2 members of exhibit.acquire (ledger §7.5): every sourced
    value with a known origin, `header_source` exactly with origin header, a
    differing `stated` only beside a value that is not itself stated; the
    clock and host objects with exactly their members. Raises BadBody."""
    d = body.get("source_device")
    if d is not None:
        if not isinstance(d, dict):
            raise BadBody("source_device is not an object")
        for name, v in d.items():
            if v is None:
                continue
            if name == "imaging":
                rest = {k: x for k, x in v.items() if k != "hashes"} if isinstance(v, dict) else v
                members(rest, IMAGING)
                hashes = v.get("hashes") or {}
                if not isinstance(hashes, dict) or not all(
                        isinstance(x, str) for x in hashes.values()):
                    raise BadBody("imaging.hashes is not an object of strings")
                continue
            if name not in SOURCED:
                raise BadBody("unknown member %r of source_device" % name)
            if not isinstance(v, dict) or set(v) - {"value", "origin", "header_source", "stated"}:
                raise BadBody("source_device.%s is not a sourced value" % name)
            ok = SOURCED[name]
            origin, source = v.get("origin"), v.get("header_source")
            stated = v.get("stated")
            if not ok(v.get("value")) or origin not in ORIGINS \
                    or (source is not None and not isinstance(source, str)) \
                    or (stated is not None and not ok(stated)):
                raise BadBody("source_device.%s: bad value or origin" % name)
            if (origin == "header") != (source is not None):
                raise BadBody("source_device.%s: header_source goes with origin header" % name)
            if origin == "stated" and stated is not None:
                raise BadBody("source_device.%s: a stated value stated twice" % name)
    c = body.get("clock")
    if c is not None:
        rest = {k: x for k, x in c.items() if k != "synchronised"} if isinstance(c, dict) else c
        m = members(rest, {"source": (STR, False), "offset_ms": ("i64", False),
                           "method": (STR, True), "detail": (STR, False)})
        if m["method"] not in CLOCK_METHODS or c.get("synchronised") not in (True, False, None):
            raise BadBody("clock: bad method or synchronised")
    h = body.get("host_system")
    if h is not None:
        members(h, HOST_SYSTEM)


def parse_time(s):
    """A time in the ledger form (ledger §3), or None."""
    if not isinstance(s, str) or not TIME_RE.match(s):
        return None
    try:
        return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def parse_date(s):
    """A YYYY-MM-DD date with one spelling (custody §7.2), or None."""
    if not isinstance(s, str) or not DATE_RE.match(s):
        return None
    try:
        return date.fromisoformat(s)
    except ValueError:
        return None


def whole(delta, unit_seconds):
    """Whole units in a time difference, truncated toward zero (custody §10)."""
    us = (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds
    secs = abs(us) // 1000000
    units = secs // unit_seconds
    return units if us >= 0 else -units


def blank(s):
    return s.strip(WHITE_SPACE) == ""


class Custody:
    """The replayed custody state of a case (custody §2-§10)."""

    def __init__(self):
        self.policy = "off"
        self.jurisdiction = None
        self.authorities = {}  # reference -> authority body
        self.exhibits = {}  # id -> {"status", "holder", "seal", "transfer", "checkout"}
        self.findings = []  # recorded findings, in ledger order (custody §10)
        self.seals = {}  # seal id -> {"exhibits", "applied", "broken"} (custody §13.1)
        self.opened_at = EPOCH  # entry 0's time (custody §13.4)

    # custody §7.1, §7.6
    def opened(self, body, time):
        self.opened_at = parse_time(time) or EPOCH
        policy = body.get("policy")
        self.policy = policy["authority"] if policy else "off"
        self.jurisdiction = body.get("jurisdiction")
        if body.get("authority") is not None:
            day = time[:10]
            self.authorities[body["authority"]] = {
                "reference": body["authority"], "valid_from": day, "valid_until": None,
                "scope": {"all": True}}

    # custody §7.2
    def check_authority(self, a):
        if blank(a["reference"]):
            return "an authority needs a reference"
        if a["reference"] in self.authorities:
            return "authority %s is already registered" % a["reference"]
        if a["kind"] not in AUTHORITY_KINDS:
            return "unknown authority kind %r" % a["kind"]
        for d in (a["issued"], a["valid_from"], a.get("valid_until")):
            if d is not None and parse_date(d) is None:
                return "invalid date %r" % d
        if a.get("valid_until") is not None and a["valid_until"] < a["valid_from"]:
            return "valid_until is before valid_from"
        if not a["scope"].get("all", False) and not a["scope"].get("exhibits"):
            return "an authority's scope must name exhibits or be all"
        return None

    # custody §7.3: None if `reference` covers `exhibits` at `when`, else the breach.
    def covers(self, reference, exhibits, when):
        if reference is None:
            return ("AUT-MISSING", "no legal authority is cited")
        a = self.authorities.get(reference)
        if a is None:
            return ("AUT-MISSING", "authority %r is not registered" % reference)
        day = when.date()
        start, end = parse_date(a["valid_from"]), parse_date(a.get("valid_until"))
        if (start and day < start) or (end and day > end):
            return ("AUT-EXPIRED", "authority %s is not valid on %s" % (reference, day))
        if not a["scope"].get("all", False):
            for x in exhibits:
                if x not in a["scope"].get("exhibits", []):
                    return ("AUT-SCOPE", "authority %s does not cover exhibit %s" % (reference, x))
        return None

    # custody §7.5
    def acquisition_breaches(self, body, when):
        if self.policy == "off":
            return []
        b = self.covers(body.get("authority"), [body["exhibit"]], when)
        return [b] if b else []

    # custody §7.4
    def needs_authority(self, kind, ev):
        if kind in ("custody.analysis", "custody.disclose"):
            return True
        if kind == "custody.transfer" and ev.get("to_jurisdiction") is not None:
            norm = lambda j: None if j is None else j.strip(WHITE_SPACE).lower()
            return norm(ev["to_jurisdiction"]) != norm(self.jurisdiction)
        return False

    def check_event(self, kind, ev, signer, supervisor, when):
        """custody §8: (hard error, None) or (None, breaches), in the order
        the spec lists them."""
        xs = ev["exhibits"]
        if not xs:
            return "a custody event must name at least one exhibit", None
        seen = set()
        for x in xs:
            if x in seen:
                return "exhibit %s is named twice" % x, None
            seen.add(x)
            if x not in self.exhibits:
                return "exhibit %s has not been acquired" % x, None
        if "at" in ev and parse_time(ev["at"]) is None:
            return "invalid at %r" % ev["at"], None
        if "override" in ev and blank(ev["override"]):
            return "an override needs a reason", None
        if kind == "custody.transfer" and ev["to"] == signer:
            return "an exhibit cannot be transferred to its sender", None
        breaches = []
        for x in xs:
            ex = self.exhibits[x]
            if ex["status"] not in ALLOWED[kind]:  # custody §3
                breaches.append(("CUS-STATE", "exhibit %s is %s" % (x, ex["status"])))
            if kind == "custody.receipt":  # custody §6
                t = ex["transfer"]
                if t is None or t["entry"] != ev["transfer"]:
                    return "exhibit %s has no pending transfer at entry %d" % (x, ev["transfer"]), None
                if t["to"] != signer:
                    breaches.append(("CUS-RECEIPT", "exhibit %s was transferred to %s" % (x, t["to"])))
            elif kind == "custody.transfer" and ex["holder"] == ev["to"]:
                return "exhibit %s is already held by %s" % (x, ev["to"]), None
            elif kind != "custody.disclose":  # custody §4
                if ex["holder"] != signer and not supervisor:
                    breaches.append(("CUS-HOLDER", "exhibit %s is held by %s" % (x, ex["holder"])))
            if kind == "custody.unseal" and ex["seal"] is not None and ex["seal"] != ev["seal"]:
                breaches.append(("CUS-SEAL", "exhibit %s is under seal %s" % (x, ex["seal"])))  # §5
        if kind == "custody.analysis":
            for o in ev["outputs"]:
                if not HEX64.match(o["sha256"]):
                    return "output %r: sha256 is not 64 lowercase hex digits" % o["name"], None
        if kind == "custody.disclose":
            err = self.check_disclosure(ev)
            if err:
                return err, None
        if self.needs_authority(kind, ev) and self.policy != "off":  # custody §7.4
            b = self.covers(ev.get("authority"), xs, when)
            if b:
                breaches.append(b)
        elif ev.get("authority") is not None and ev["authority"] not in self.authorities:
            breaches.append(("AUT-MISSING", "authority %r is not registered" % ev["authority"]))
        return None, breaches

    @staticmethod
    def check_disclosure(ev):
        if blank(ev["recipient"]):
            return "a disclosure needs a recipient"
        if blank(ev["package"]):
            return "a disclosure needs a package id"
        if [m["exhibit"] for m in ev["manifests"]] != ev["exhibits"]:
            return "a disclosure must list one manifest per exhibit, in order"
        for m in ev["manifests"]:
            if not HEX64.match(m["sha256"]):
                return "manifest of %s: sha256 is not 64 lowercase hex digits" % m["exhibit"]
        salt = ev.get("salt_commitment")
        if ev["redacted_paths"] != (salt is not None):
            return "salt_commitment must be present exactly when redacted_paths"
        if salt is not None and not HEX64.match(salt):
            return "salt_commitment is not 64 lowercase hex digits"
        return None

    def refusal(self, breaches, override):
        """custody §9: the problem code that refuses the entry, or None."""
        if override is not None and not blank(override):
            return None
        for finding, msg in breaches:
            if self.policy == "warn" and finding.startswith("AUT-"):
                continue  # tolerated under warn
            return ("authority-rule" if finding.startswith("AUT-") else "custody-rule"), msg
        return None

    def record(self, seq, exhibits, breaches, override):
        """custody §10: one finding per breach of an accepted entry."""
        for finding, msg in breaches:
            if override is not None:
                fid, msg = "CUS-OVERRIDE", "recorded by override (%s) although %s" % (override, msg)
            else:
                fid = finding
            self.findings.append({"id": fid, "severity": "high", "entries": [seq],
                                  "exhibits": list(exhibits), "rule": finding,
                                  "message": "%s [%s]" % (msg, finding)})

    def acquired(self, exhibit, holder, time):
        self.exhibits[exhibit] = {"status": "available", "holder": holder, "seal": None,
                                  "transfer": None, "checkout": None, "seal_broken": None,
                                  "acquired": parse_time(time) or EPOCH}

    def later_breaches(self, kind, ev, signer, supervisor, when, recorded):
        """custody §13: the rules version-1 entries are now held to, in the
        order of §13.5."""
        out = []
        for x in ev["exhibits"]:
            ex = self.exhibits[x]
            if ex["status"] in ("released", "disposed") and kind != "custody.disclose":
                out.append(("CUS-TERMINAL", "exhibit %s was %s" % (x, ex["status"])))
            exempt = kind in ("custody.disclose", "custody.receipt")
            if not exempt and supervisor and ex["holder"] != signer:
                out.append(("CUS-HOLDER", "exhibit %s is held by %s" % (x, ex["holder"])))
            if when < ex["acquired"] or when < self.opened_at:
                out.append(("CUS-TIME", "exhibit %s: the event is dated before it existed" % x))
        if kind == "custody.seal" and ev["seal"] in self.seals:
            out.append(("CUS-SEAL-REUSED", "seal %s was applied before" % ev["seal"]))
        if kind == "custody.unseal" and ev["seal"] in self.seals \
                and self.seals[ev["seal"]]["broken"] is not None:
            out.append(("CUS-SEAL-BROKEN", "seal %s was already broken" % ev["seal"]))
        if "at" in ev and when > recorded + timedelta(seconds=CLOCK_SKEW_SECONDS):
            out.append(("CUS-FUTURE", "the event is dated %s, after its recording" % ev["at"]))
        return out

    def record_later(self, seq, exhibits, breaches, override):
        """custody §13.5: CUS-TERMINAL is never excused; the others as §10."""
        for b in breaches:
            self.record(seq, exhibits, [b], None if b[0] == "CUS-TERMINAL" else override)

    def apply_seals(self, kind, ev, seq, time, signer, broken):
        """custody §13.1-§13.2: seals as objects."""
        xs = ev["exhibits"]
        if kind == "custody.seal":
            s = self.seals.get(ev["seal"])
            if s is not None and s["broken"] is None:
                s["exhibits"] += [x for x in xs if x not in s["exhibits"]]
            else:
                self.seals[ev["seal"]] = {"exhibits": list(xs), "applied": seq, "broken": None}
        elif kind == "custody.unseal":
            for sid in broken:
                s = self.seals.get(sid)
                if s is None or s["broken"] is not None:
                    continue
                s["broken"] = seq
                for y in s["exhibits"]:
                    ex = self.exhibits[y]
                    if y in xs or ex["seal"] != sid or ex["seal_broken"] is not None:
                        continue
                    ex["seal_broken"] = seq
                    self.findings.append({
                        "id": "CUS-SEAL-SHARED", "severity": "medium",
                        "entries": [s["applied"], seq], "exhibits": [y], "rule": "",
                        "message": "exhibit %s was under seal %s, broken at entry %d; %s is no longer sealed"
                                   % (y, sid, seq, y)})

    def apply(self, kind, ev, seq, recorded, signer, breaches, later):
        """custody §3-§6, §10, §13: the state change of an accepted event."""
        xs = ev["exhibits"]
        self.record(seq, xs, breaches, ev.get("override"))
        self.record_later(seq, xs, later, ev.get("override"))
        broken = []  # custody §13.2: the seals an unseal breaks
        if kind == "custody.unseal":
            broken = [ev["seal"]] + [self.exhibits[x]["seal"] for x in xs
                                     if self.exhibits[x]["seal"] is not None]
        if "at" in ev:  # custody §10: CUS-BACKDATED
            at, rec = parse_time(ev["at"]), parse_time(recorded)
            if rec is not None and (whole(rec - at, 3600) > BACKDATE_HOURS or at > rec):
                self.findings.append({"id": "CUS-BACKDATED", "severity": "low", "entries": [seq],
                                      "exhibits": list(xs), "rule": "",
                                      "message": "happened at %s, recorded %s" % (ev["at"], recorded)})
        time = ev.get("at", recorded)
        for x in xs:
            ex = self.exhibits[x]
            if kind == "custody.seal":
                ex["status"], ex["seal"], ex["seal_broken"] = "sealed", ev["seal"], None
            elif kind == "custody.unseal":
                ex["status"], ex["seal"], ex["seal_broken"] = "available", None, None
            elif kind == "custody.check-out":
                ex["status"], ex["checkout"] = "checked-out", (seq, time)
            elif kind == "custody.check-in":
                ex["status"], ex["checkout"] = "available", None
            elif kind == "custody.transfer":
                resume = "sealed" if ex["status"] == "sealed" else "available"
                ex["transfer"] = {"entry": seq, "to": ev["to"], "sent": time, "resume": resume}
                ex["status"] = "in-transit"
            elif kind == "custody.receipt":
                t = ex["transfer"]
                sent, got = (parse_time(t["sent"]), parse_time(time)) if t else (None, None)
                if sent is not None and got is not None:  # unreadable times: no gap
                    if whole(got - sent, 3600) > GAP_HOURS:
                        self.findings.append({
                            "id": "CUS-GAP", "severity": "medium", "entries": [t["entry"], seq],
                            "exhibits": [x], "rule": "",
                            "message": "exhibit %s in transit from %s to %s" % (x, t["sent"], time)})
                ex["status"] = t["resume"] if t else "available"
                ex["transfer"], ex["holder"] = None, signer
            elif kind == "custody.release":
                ex["status"] = "released"
            elif kind == "custody.dispose":
                ex["status"] = "disposed"
        self.apply_seals(kind, ev, seq, time, signer, broken)

    def open_findings(self, now):
        """custody §10: CUS-TRANSIT and CUS-CHECKOUT as of `now`."""
        out = []
        for x in sorted(self.exhibits):
            ex = self.exhibits[x]
            if ex["transfer"] is not None:
                out.append({"id": "CUS-TRANSIT", "severity": "high",
                            "entries": [ex["transfer"]["entry"]], "exhibits": [x], "rule": "",
                            "message": "exhibit %s was transferred and never received" % x})
            if ex["checkout"] is not None:
                seq, time = ex["checkout"]
                out_at = parse_time(time)
                if out_at is not None and whole(now - out_at, 86400) >= OVERDUE_DAYS:
                    out.append({"id": "CUS-CHECKOUT", "severity": "medium", "entries": [seq],
                                "exhibits": [x], "rule": "",
                                "message": "exhibit %s checked out at %s" % (x, time)})
        return out


def verify(path, trusted, now):
    problems = []  # (severity, code, entry, message)
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    torn = lines.pop()  # bytes after the last LF ("" if none)
    signers = {}  # fingerprint -> {"key", "role", "active"}
    exhibits = {}  # exhibit id -> (entry, manifest reference)
    prev_hash, prev_seq, prev_time = GENESIS, None, None
    root = None
    workdir = tempfile.mkdtemp(prefix="verify-ledger-")
    custody = Custody()

    def when(recorded, at):
        """custody §2: the time of an event is `at` if given, else `time`."""
        return parse_time(at) or parse_time(recorded) or datetime(1970, 1, 1, tzinfo=timezone.utc)

    def err(code, i, msg, severity="error"):
        problems.append((severity, code, i, msg))

    for i, line in enumerate(lines):
        this_hash = hashlib.sha256(line).hexdigest()
        expected_prev, prev_hash = prev_hash, this_hash
        try:
            entry = json.loads(line.decode("utf-8"), object_pairs_hook=no_duplicates)
        except ValueError as e:
            err("malformed-json", i, str(e))
            prev_seq = i if prev_seq is None else prev_seq + 1
            continue
        try:
            if canonical(entry).encode("utf-8") != line:
                err("not-canonical", i, "line is not canonical JSON")
        except ValueError as e:
            err("not-canonical", i, str(e))
        if not isinstance(entry, dict) or set(entry) != MEMBERS:
            err("bad-field", i, "members are not exactly %s" % sorted(MEMBERS))
            continue
        if entry["v"] != 1:
            err("unsupported-version", i, "v=%r" % entry["v"])
            continue
        if not TIME_RE.match(str(entry["time"])):
            err("bad-timestamp", i, "time %r" % entry["time"])
        expected_seq = 0 if prev_seq is None else prev_seq + 1
        if entry["seq"] != expected_seq:
            err("seq-mismatch", i, "seq %r, expected %d" % (entry["seq"], expected_seq))
        prev_seq = entry["seq"] if isinstance(entry["seq"], int) else expected_seq
        if entry["prev"] != expected_prev:
            err("prev-mismatch", i, "chain broken")
        if prev_time is not None and entry["time"] < prev_time:
            err("clock-regression", i, "time goes backwards", "warning")
        prev_time = entry["time"]

        kind, body, fp = entry["type"], entry["body"], entry["signer"]
        ok = True
        if i == 0:
            if kind != "case.open":
                err("bad-genesis", i, "entry 0 is not case.open")
                continue
            key = body["signer"]["key"]
            if fingerprint(key) != fp:
                err("bad-genesis", i, "entry 0 not signed by the opening key")
                continue
            principal = body["signer"].get("principal")
            if not isinstance(principal, str) or not principal or BAD_PRINCIPAL.search(principal):
                # §7.1: the principal rule of §7.2 applies to entry 0 too
                err("bad-body", i, "case.open: invalid principal %r" % (principal,))
                continue
            root = fp
            signer = {"key": key, "role": body["signer"]["role"], "active": True}
        else:
            signer = signers.get(fp)
            if kind == "case.open":
                err("bad-genesis", i, "case.open after entry 0")
                ok = False
            elif signer is None:
                err("unknown-signer", i, "%s is not a signer" % fp)
                ok = False
            elif not signer["active"]:
                err("revoked-signer", i, "%s was revoked" % fp)
                ok = False
        if signer is None:
            continue
        unsigned = {k: v for k, v in entry.items() if k != "sig"}
        try:
            signed_bytes = canonical(unsigned).encode("utf-8")
        except ValueError:
            signed_bytes = None  # no canonical form: already not-canonical
        if signed_bytes is None or not check_signature(signer["key"], signed_bytes,
                                                       entry["sig"], workdir):
            err("bad-signature", i, "ssh-keygen rejects the signature")
            ok = False
        if not ok:
            continue
        if kind == "case.open":
            try:  # custody §7.1: the authority policy
                policy = body.get("policy")
                if policy is not None:
                    policy = members(policy, POLICY_MEMBERS)
                    if policy["authority"] not in ("strict", "warn", "off"):
                        raise BadBody("unknown authority policy %r" % policy["authority"])
            except BadBody as e:
                err("bad-body", i, "case.open: %s" % e)
                continue
            signers[fp] = signer
            custody.opened(dict(body, policy=policy), entry["time"])
        elif kind == "signer.add":
            new_fp = fingerprint(body["key"])
            if signer["role"] != "supervisor":
                err("signer-rule", i, "signer.add by a non-supervisor")
            elif new_fp in signers or body["role"] not in ROLES or \
                    not body["principal"] or BAD_PRINCIPAL.search(body["principal"]):
                err("signer-rule", i, "invalid signer.add")
            else:
                signers[new_fp] = {"key": body["key"], "role": body["role"], "active": True}
        elif kind == "signer.revoke":
            target = signers.get(body["fingerprint"])
            if body["fingerprint"] != fp and signer["role"] != "supervisor":
                err("signer-rule", i, "revocation by a non-supervisor")
            elif target is None or not target["active"] or not body["reason"].strip():
                err("signer-rule", i, "invalid revocation")
            else:
                target["active"] = False
        elif kind == "exhibit.acquire":
            ex = body["exhibit"]
            mpath = "manifests/%s.jsonl" % ex
            try:
                check_provenance(body)
                provenance = None
            except BadBody as e:
                provenance = str(e)
            if not re.match(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$", ex) \
                    or body["manifest"]["path"] != mpath or not HEX64.match(body["manifest"]["sha256"]):
                err("bad-body", i, "invalid exhibit id or manifest reference")
            elif provenance:
                err("bad-body", i, "exhibit.acquire: %s" % provenance)
            elif ex in exhibits:
                err("exhibit-rule", i, "exhibit %s was already acquired" % ex)
            else:
                # custody §7.5: the authority of an acquisition, at the entry's time.
                breaches = custody.acquisition_breaches(body, when(entry["time"], None))
                refused = custody.refusal(breaches, body.get("override"))
                if refused:
                    err(refused[0], i, refused[1])
                else:
                    exhibits[ex] = (i, body["manifest"])
                    custody.record(i, [ex], breaches, body.get("override"))
                    custody.acquired(ex, fp, entry["time"])
        elif kind == "authority.register":  # custody §7.2
            try:
                a = parse_authority(body)
            except BadBody as e:
                err("bad-body", i, "authority.register: %s" % e)
                continue
            problem = custody.check_authority(a)
            if problem:
                err("authority-rule", i, problem)
            else:
                custody.authorities[a["reference"]] = a
        elif kind in EVENT_MEMBERS:  # custody §2-§9
            try:
                ev = parse_event(kind, body)
            except BadBody as e:
                err("bad-body", i, "%s: %s" % (kind, e))
                continue
            if kind == "custody.transfer" and not signers.get(ev["to"], {}).get("active"):
                err("custody-rule", i, "%s is not an active signer" % ev["to"])  # custody §6
                continue
            supervisor = signer["role"] == "supervisor"
            moment = when(entry["time"], ev.get("at"))
            hard, breaches = custody.check_event(kind, ev, fp, supervisor, moment)
            if hard:
                err("custody-rule", i, hard)
                continue
            refused = custody.refusal(breaches, ev.get("override"))
            if refused:
                err(refused[0], i, refused[1])
                continue
            later = custody.later_breaches(kind, ev, fp, supervisor, moment,
                                           parse_time(entry["time"]) or EPOCH)
            custody.apply(kind, ev, i, entry["time"], fp, breaches, later)
        elif kind != "note":
            err("unknown-type", i, "type %r not interpreted" % kind, "warning")

    case_dir = os.path.dirname(os.path.abspath(path))
    for ex, (i, manifest) in sorted(exhibits.items()):
        try:
            with open(os.path.join(case_dir, manifest["path"]), "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
        except OSError as e:
            err("manifest-missing", i, "%s: %s" % (manifest["path"], e))
            continue
        if digest != manifest["sha256"]:
            err("manifest-mismatch", i, "%s hashes to %s" % (manifest["path"], digest))
    if torn:
        err("torn-tail", len(lines), "torn final line at byte offset %d" % (len(data) - len(torn)))
    if not lines:
        err("empty-ledger", None, "no entries")
    if trusted and root not in trusted:
        err("untrusted-root", 0, "entry 0's key is not trusted")
    elif not trusted:
        err("self-asserted-root", 0, "root of trust is self-asserted", "warning")
    findings = custody.findings + custody.open_findings(now)  # custody §10
    return problems, findings, prev_hash, len(lines)


def main(argv):
    parser = argparse.ArgumentParser(add_help=True, usage=__doc__)
    parser.add_argument("ledger")
    parser.add_argument("--trust", action="append", default=[])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--now")
    try:
        args = parser.parse_args(argv[1:])
    except SystemExit:
        return 2
    now = datetime.now(timezone.utc) if args.now is None else parse_time(args.now)
    if now is None:
        print("verify-ledger: --now must be in the form YYYY-MM-DDTHH:MM:SS.ffffffZ", file=sys.stderr)
        return 2
    try:
        problems, findings, head, n = verify(args.ledger, args.trust, now)
    except (OSError, KeyError, TypeError, ValueError) as e:
        print("verify-ledger: cannot check %s: %s" % (args.ledger, e), file=sys.stderr)
        return 2
    errors = [p for p in problems if p[0] == "error"]
    if args.json:
        print(json.dumps({
            "result": "invalid" if errors else "valid",
            "entries": n,
            "head": head,
            "problems": [{"severity": sev, "code": code, "entry": entry, "message": msg}
                         for sev, code, entry, msg in problems],
            "findings": findings,
        }, ensure_ascii=False))
        return 1 if errors else 0
    for severity, code, entry, msg in problems:
        print("%s: [%s] entry %s: %s" % (severity, code, entry, msg))
    for f in findings:
        rule = " (%s)" % f["rule"] if f["id"] == "CUS-OVERRIDE" else ""
        print("finding: [%s]%s %s entries %s: %s" % (
            f["id"], rule, f["severity"], ",".join(map(str, f["entries"])), f["message"]))
    print("%s: %d entries, head %s" % ("NOT AS RECORDED" if errors else "VALID", n, head))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
