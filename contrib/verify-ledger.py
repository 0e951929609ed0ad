#!/usr/bin/env python3
"""Independent verifier for custodian ledgers (format versions 1 and 2).

Written from docs/spec/ledger.md alone, with no custodian code: Python's
standard library for JSON, hashing and the replay rules, and stock OpenSSH
`ssh-keygen -Y verify` for every signature. It exists so that a defence expert
or a partner agency can check a ledger with tools that are not ours, and so
that our test suite proves the spec is sufficient.

The custody rules (custody.*, authority.register, the authority policy of
case.open, overrides) are implemented from docs/spec/custody.md; section
numbers in comments ("custody §3") refer to it, "ledger §7" to
docs/spec/ledger.md. Format version 2 (custody §14: one exhibit per custody
entry, the parts of an event tied by `event`, each exhibit's entries chained
by `prior`, the rules of custody §13 held as errors) is implemented beside
version 1, which keeps its rules: a ledger may hold version-1 entries then
version-2 entries (ledger §2).

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
VERSIONS = (1, 2)  # ledger §2: the format versions this verifier reads
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


# Key types of signer records, with the first format version allowing each
# (ledger §6, §6.1).
KEY_TYPES = {"ssh-ed25519": 1, "sk-ssh-ed25519@openssh.com": 2}


def fingerprint(openssh_key, v=1):
    parts = openssh_key.split()
    if len(parts) != 2 or KEY_TYPES.get(parts[0], 99) > v:
        raise ValueError("not an ssh-ed25519 key (or, from version 2, "
                         "sk-ssh-ed25519@openssh.com) without comment")
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


def sk_user_present(sig_b64):
    """ledger §6.1: for a hardware-key (sk-ssh-ed25519) signature, whether
    its flags have user presence (0x01); None for any other signature.
    ssh-keygen -Y verify does not check this flag."""
    try:
        blob = base64.b64decode(sig_b64, validate=True)

        def string(b, o):
            n = int.from_bytes(b[o:o + 4], "big")
            return b[o + 4:o + 4 + n], o + 4 + n
        o = 6 + 4  # "SSHSIG", version
        for _ in range(4):  # public key, namespace, reserved, hash algorithm
            _, o = string(blob, o)
        sig, _ = string(blob, o)
        kind, p = string(sig, 0)
        if kind != b"sk-ssh-ed25519@openssh.com":
            return None
        _, p = string(sig, p)
        return bool(sig[p] & 0x01)
    except (ValueError, IndexError):
        return None


# ---------------------------------------------------------------------------
# Custody rules, from docs/spec/custody.md ("custody §n" below).
# ---------------------------------------------------------------------------

HEX64 = re.compile(r"^[0-9a-f]{64}\Z")
EVENT_ID = re.compile(r"^[0-9a-f]{32}\Z")  # custody §14.3
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
# docs/spec/package.md §9.2: the recipients of an encrypted package.
ENCRYPTED_TO = {"recipient": (STR, True), "agency": (STR, False)}
# docs/spec/package.md §9.2: the ciphertext of an encrypted package.
PACKAGE_ENCRYPTED = {"package": (STR, True), "disclosure": (U64, True),
                     "sha256": (STR, True), "bytes": (U64, True)}
# custody §1, §14.2: `exhibits` (version 1) or `exhibit` (version 2), exactly
# one of them; `authority_default`, `event` and `prior` are version-2 members.
EVENT_PART = {"id": (STR, True), "part": (U64, True), "of": (U64, True)}
COMMON = {"exhibits": ([STR], False), "exhibit": (STR, False), "at": (STR, False),
          "location": (STR, False), "purpose": (STR, False), "authority": (STR, False),
          "override": (STR, False), "authority_default": (BOOL, False),
          "event": (EVENT_PART, False), "prior": (STR, False)}
UNSEAL_CAUSES = ("opened", "shared-seal")
# custody §14.3: the members in which the parts of one event may differ.
PER_PART = ("exhibit", "prior", "cause", "transfer")
EVENT_MEMBERS = {
    "custody.seal": {"seal": (STR, True)},
    "custody.unseal": {"seal": (STR, True), "reason": (STR, True),
                       "cause": (STR, False), "covers": (U64, False)},
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
                         "salt_commitment": (STR, False), "mixed": (STR, False),
                         "revealed": ([STR], False),
                         "encrypted_to": ([ENCRYPTED_TO], False),
                         "attachments": ([{"sha256": (STR, True), "name": (STR, True),
                                           "entry": (U64, True)}], False)},
}
AUTHORITY_MEMBERS = {
    "reference": (STR, True), "kind": (STR, True), "issuer": (STR, True),
    "jurisdiction": (STR, True), "issued": (STR, True), "valid_from": (STR, False),
    "valid_until": (STR, False),
    "scope": ({"all": (BOOL, False), "exhibits": ([STR], False),
               "description": (STR, False)}, True),
}
POLICY_MEMBERS = {"authority": (STR, True), "clock_skew_seconds": (U64, False)}
MAX_CLOCK_SKEW_SECONDS = 86400  # ledger §7.1: at most a day
# ledger §7.1 (version 2): what entry 0 states about its authority.
AUTHORITY_DETAILS = {m: (STR, False) for m in (
    "kind", "issuer", "jurisdiction", "issued", "valid_from", "valid_until", "scope")}

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
    """A custody body (custody §1, §14.2), with `exhibits` always a list:
    a version-2 body's `exhibit` becomes `exhibits` [exhibit] and `single`
    says which form the entry used."""
    spec = dict(COMMON)
    spec.update(EVENT_MEMBERS[kind])
    ev = members(body, spec)
    if ("exhibits" in ev) == ("exhibit" in ev):
        raise BadBody("exactly one of `exhibits` and `exhibit`")
    if "authority_default" in ev and (ev["authority_default"] is not True
                                      or "authority" not in ev):
        raise BadBody("`authority_default` is only ever true, beside an `authority`")
    if "cause" in ev and ev["cause"] not in UNSEAL_CAUSES:
        raise BadBody("unknown cause %r" % ev["cause"])
    ev["single"] = "exhibit" in ev
    if ev["single"]:
        ev["exhibits"] = [ev["exhibit"]]
    return ev


def has_v2_members(ev):
    """custody §14.2: members a version-1 custody entry may not use."""
    return any(m in ev for m in ("exhibit", "authority_default", "event", "prior",
                                 "cause", "covers"))


def shape_of(body):
    """custody §14.3: a part's body without the members parts may differ in
    (and without `event.part`), as comparable text."""
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in PER_PART}
        if isinstance(body.get("event"), dict):
            body["event"] = {k: v for k, v in body["event"].items() if k != "part"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False)


def valid_from(a):
    """custody §7.2: the first day of validity, the issue date when
    `valid_from` is not stated (version 2)."""
    return a.get("valid_from") or a.get("issued")


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
# ledger §7.13: attachment.add.
ATTACHMENT_KINDS = {"photo", "scan", "form", "log", "other"}
EXIF = {"captured": (FOUND_TIME, False), "camera_make": (STR, False),
        "camera_model": (STR, False), "gps": (BOOL, True)}
ATTACHMENT = {"sha256": (STR, True), "bytes": (U64, True), "media_type": (STR, True),
              "name": (STR, True), "kind": (STR, True), "description": (STR, False),
              "exhibit": (STR, False), "entry": (U64, False), "exif": (EXIF, False)}
# ledger §7.14: exhibit.import.
IMPORT_FORMATS = {"guymager", "ftk", "ewfacquire", "dc3dd"}
HASH_HEX = {"md5": 32, "sha1": 40, "sha256": 64}
HASH_STAGES = {"acquisition", "verification-source", "verification-image"}
LOG_REF = {"sha256": (STR, True), "bytes": (U64, True), "name": (STR, True),
           "encoding": (STR, True)}
IMAGE_READ = {"layout": (STR, True), "files": ([STR], True), "media_bytes": (U64, True),
              "problem": (STR, False)}
HASH_CHECK = {"algorithm": (STR, True), "stage": (STR, True), "logged": (STR, True),
              "computed": (STR, False), "matched": (BOOL, True), "line": (U64, True)}
IMPORT = {"exhibit": (STR, True), "acquire": (U64, True), "format": (STR, True),
          "log": (LOG_REF, True), "image": (IMAGE_READ, True), "checks": ([HASH_CHECK], True)}


def check_attachment(body):
    """ledger §7.13: the body of attachment.add. Raises BadBody."""
    b = members(body, ATTACHMENT)
    if not HEX64.match(b["sha256"]):
        raise BadBody("sha256 is not 64 lowercase hex digits")
    if not b["name"] or "/" in b["name"] or "\0" in b["name"]:
        raise BadBody("name is empty or holds '/' or NUL")
    if not b["media_type"]:
        raise BadBody("media_type is empty")
    if b["kind"] not in ATTACHMENT_KINDS:
        raise BadBody("unknown kind %r" % b["kind"])
    if "description" in b and not b["description"].strip():
        raise BadBody("description is blank")
    return b


def check_import(body):
    """ledger §7.14: the body of exhibit.import. Raises BadBody."""
    b = members(body, IMPORT)
    if b["format"] not in IMPORT_FORMATS:
        raise BadBody("unknown log format %r" % b["format"])
    if not HEX64.match(b["log"]["sha256"]):
        raise BadBody("log.sha256 is not 64 lowercase hex digits")
    if b["image"]["layout"] not in ("raw", "split-raw", "ewf") or not b["image"]["files"]:
        raise BadBody("bad image layout or no image file")
    for c in b["checks"]:
        n = HASH_HEX.get(c["algorithm"])
        if n is None or c["stage"] not in HASH_STAGES:
            raise BadBody("unknown algorithm or stage in checks")
        computed = c.get("computed")
        hexn = re.compile(r"^[0-9a-f]{%d}\Z" % n)
        if not hexn.match(c["logged"]) or (computed is not None and not hexn.match(computed)):
            raise BadBody("a %s check does not hold %d lowercase hex digits" % (c["algorithm"], n))
        if c["matched"] != (computed == c["logged"]):
            raise BadBody("matched is not exactly: computed equals logged")
    return b


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
    """The replayed custody state of a case (custody §2-§10, §13, §14)."""

    def __init__(self):
        self.policy = "off"
        self.jurisdiction = None
        self.authorities = {}  # reference -> authority body
        self.exhibits = {}  # id -> {"status", "holder", "seal", "transfer", "checkout"}
        self.findings = []  # recorded findings, in ledger order (custody §10)
        self.seals = {}  # seal id -> {"exhibits", "applied", "broken"} (custody §13.1)
        self.opened_at = EPOCH  # entry 0's time (custody §13.4)
        self.clock_skew = CLOCK_SKEW_SECONDS  # the case policy's (custody §13.4)
        # custody §14.3: the event whose parts are being read, and the ids
        # of the events completed so far.
        self.open_event = None
        self.used_ids = set()

    # custody §7.1, §7.6
    def opened(self, body, time):
        self.opened_at = parse_time(time) or EPOCH
        policy = body.get("policy")
        self.policy = policy["authority"] if policy else "off"
        if policy and policy.get("clock_skew_seconds") is not None:
            self.clock_skew = policy["clock_skew_seconds"]
        self.jurisdiction = body.get("jurisdiction")
        if body.get("authority") is not None:
            day = time[:10]
            details = body.get("authority_details") or {}
            self.authorities[body["authority"]] = {
                "reference": body["authority"],
                "valid_from": details.get("valid_from") or day,
                "valid_until": details.get("valid_until"),
                "scope": {"all": True}}

    # custody §7.2
    def check_authority(self, a):
        if blank(a["reference"]):
            return "an authority needs a reference"
        if a["reference"] in self.authorities:
            return "authority %s is already registered" % a["reference"]
        if a["kind"] not in AUTHORITY_KINDS:
            return "unknown authority kind %r" % a["kind"]
        for d in (a["issued"], a.get("valid_from"), a.get("valid_until")):
            if d is not None and parse_date(d) is None:
                return "invalid date %r" % d
        if a.get("valid_until") is not None and a["valid_until"] < valid_from(a):
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
        start, end = parse_date(valid_from(a)), parse_date(a.get("valid_until"))
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
        listed = [m["exhibit"] for m in ev["manifests"]]
        part = ev.get("event")
        if part is None:
            in_order = listed == ev["exhibits"]
        else:  # custody §14.5: every exhibit of the event, this part's at its place
            in_order = len(listed) == part["of"] and 1 <= part["part"] <= len(listed) \
                and listed[part["part"] - 1] == ev["exhibits"][0]
        if not in_order:
            return "a disclosure must list one manifest per exhibit, in order"
        for m in ev["manifests"]:
            if not HEX64.match(m["sha256"]):
                return "manifest of %s: sha256 is not 64 lowercase hex digits" % m["exhibit"]
        salt = ev.get("salt_commitment")
        if ev["redacted_paths"] != (salt is not None):
            return "salt_commitment must be present exactly when redacted_paths"
        if salt is not None and not HEX64.match(salt):
            return "salt_commitment is not 64 lowercase hex digits"
        for a in ev.get("attachments") or []:  # package.md §10
            if not HEX64.match(a["sha256"]) or not a["name"]:
                return "attachment %r: sha256 is not 64 lowercase hex digits" % a["name"]
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

    def acquired(self, exhibit, holder, time, head):
        self.exhibits[exhibit] = {"status": "available", "holder": holder, "seal": None,
                                  "transfer": None, "checkout": None, "seal_broken": None,
                                  "acquired": parse_time(time) or EPOCH,
                                  "head": head}  # custody §14.4: what `prior` must be

    # custody §14.6: the exhibits under the intact seal `sid`
    def under_seal(self, sid):
        return [x for x in sorted(self.exhibits)
                if self.exhibits[x]["seal"] == sid and self.exhibits[x]["seal_broken"] is None]

    # custody §14.3: the event structure, before the signer rules. Returns
    # (code, message) or None. `ev` is the parsed custody body, or None when
    # the entry is not a custody entry or its body is bad.
    def check_part(self, v, seq, kind, signer, body, ev):
        if self.open_event is not None:
            problem = self.next_part_problem(seq, kind, signer, body, ev)
            if problem:
                return problem
        if ev is None:
            return None
        if v < 2:
            if has_v2_members(ev):
                return "bad-body", "a version-1 custody entry uses members of version 2"
            return None
        if not ev["single"] or "event" not in ev or "prior" not in ev:
            return "bad-body", "a version-2 custody entry names one exhibit and has event and prior"
        if kind == "custody.unseal" and ("cause" not in ev or "covers" not in ev):
            return "bad-body", "a version-2 unseal has cause and covers"
        part = ev["event"]
        if not EVENT_ID.match(part["id"]) or not 1 <= part["part"] <= part["of"]:
            return "event-rule", "event %r part %d of %d" % (part["id"], part["part"], part["of"])
        if self.open_event is None:
            if part["part"] != 1:
                return "event-rule", "part %d of event %s without part 1" % (part["part"], part["id"])
            if part["id"] in self.used_ids:
                return "event-rule", "event id %s was used before" % part["id"]
        x = ev["exhibits"][0]
        if x in self.exhibits and ev["prior"] != self.exhibits[x]["head"]:
            return "prior-mismatch", "prior is not the last entry concerning %s" % x
        return None

    def next_part_problem(self, seq, kind, signer, body, ev):
        """custody §14.3: while an event is open, the entry is its next part."""
        o = self.open_event
        part = ev.get("event") if ev is not None else None
        if part is None or part["id"] != o["id"] or part["part"] != o["seen"] + 1:
            return "event-rule", "entry %d interrupts event %s (from entry %d)" % (seq, o["id"], o["first"])
        if kind != o["kind"]:
            return "event-rule", "part %d differs from part 1 in its type" % part["part"]
        if signer != o["signer"]:
            return "event-rule", "part %d differs from part 1 in its signer" % part["part"]
        if shape_of(body) != o["shape"]:
            return "event-rule", "part %d differs from part 1 in its body" % part["part"]
        if any(x in o["exhibits"] for x in ev["exhibits"]):
            return "event-rule", "an exhibit is named twice in event %s" % o["id"]
        return None

    # custody §14.6: `covers` of an unseal's part 1 (a custody rule, checked
    # after the signer rules).
    def check_covers(self, kind, ev):
        part = ev.get("event")
        if kind != "custody.unseal" or part is None or part["part"] != 1 \
                or ev["exhibits"][0] not in self.exhibits:
            return None
        under = len(self.under_seal(ev["seal"]))
        if ev["covers"] != under:
            return "the unseal says seal %s covers %d exhibits; %d are under it" % (
                ev["seal"], ev["covers"], under)
        return None

    def enter_part(self, seq, kind, signer, body, ev):
        """custody §14.3: where the parts stand once this entry took effect;
        (the open event as it is after this part, whether it was the last)."""
        part = ev.get("event")
        if part is None:
            return None
        if self.open_event is None:
            self.open_event = {"id": part["id"], "of": part["of"], "seen": 0, "first": seq,
                               "kind": kind, "signer": signer, "shape": shape_of(body),
                               "exhibits": []}
        o = self.open_event
        o["seen"] += 1
        o["exhibits"] += ev["exhibits"]
        last = o["seen"] >= o["of"]
        snapshot = dict(o, exhibits=list(o["exhibits"]))
        if last:
            self.used_ids.add(o["id"])
            self.open_event = None
        return snapshot, last

    # custody §14.6: part 2 and later of one event seal under the seal its
    # part 1 applied: that is one seal over several exhibits, not a reuse.
    def sealed_by_open_event(self, sid, ev):
        o, part = self.open_event, ev.get("event")
        return o is not None and part is not None and o["id"] == part["id"] \
            and sid in self.seals and self.seals[sid]["applied"] == o["first"]

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
        if kind == "custody.seal" and ev["seal"] in self.seals \
                and not self.sealed_by_open_event(ev["seal"], ev):
            out.append(("CUS-SEAL-REUSED", "seal %s was applied before" % ev["seal"]))
        if kind == "custody.unseal" and ev["seal"] in self.seals \
                and self.seals[ev["seal"]]["broken"] is not None:
            out.append(("CUS-SEAL-BROKEN", "seal %s was already broken" % ev["seal"]))
        part = ev.get("event")
        if kind == "custody.unseal" and part is not None and part["part"] == part["of"]:
            # custody §14.6 (B5): checked with the last part
            left = [y for y in self.under_seal(ev["seal"]) if y not in ev["exhibits"]]
            if left:
                out.append(("CUS-SEAL-SHARED", "seal %s also covers %s" % (ev["seal"], ", ".join(left))))
        if "at" in ev and when > recorded + timedelta(seconds=self.clock_skew):
            out.append(("CUS-FUTURE", "the event is dated %s, after its recording" % ev["at"]))
        return out

    def record_later(self, seq, exhibits, breaches, override):
        """custody §13.5: CUS-TERMINAL is never excused; the others as §10."""
        for b in breaches:
            self.record(seq, exhibits, [b], None if b[0] == "CUS-TERMINAL" else override)

    def break_seals(self, broken, named, seq):
        """custody §13.2: an unseal of `named` breaks each intact seal of
        `broken`, marked as broken by entry `seq`; the other exhibits still
        under it are no longer sealed."""
        for sid in broken:
            s = self.seals.get(sid)
            if s is None or s["broken"] is not None:
                continue
            s["broken"] = seq
            for y in s["exhibits"]:
                ex = self.exhibits[y]
                if y in named or ex["seal"] != sid or ex["seal_broken"] is not None:
                    continue
                ex["seal_broken"] = seq
                self.findings.append({
                    "id": "CUS-SEAL-SHARED", "severity": "medium",
                    "entries": [s["applied"], seq], "exhibits": [y], "rule": "",
                    "message": "exhibit %s was under seal %s, broken at entry %d; %s is no longer sealed"
                               % (y, sid, seq, y)})

    def apply_seals(self, kind, ev, seq, broken, part):
        """custody §13.1-§13.2, §14.7: seals as objects."""
        xs = ev["exhibits"]
        if kind == "custody.seal":
            s = self.seals.get(ev["seal"])
            if s is not None and s["broken"] is None:
                s["exhibits"] += [x for x in xs if x not in s["exhibits"]]
            else:
                self.seals[ev["seal"]] = {"exhibits": list(xs), "applied": seq, "broken": None}
        elif kind == "custody.unseal":
            self.break_seals(broken, xs, seq)
            if part is not None and part[1]:
                # custody §14.7: the event's last part breaks the seal it
                # names, for every exhibit of the event, as its part 1.
                opened, _ = part
                self.break_seals([ev["seal"]], opened["exhibits"], opened["first"])

    def apply(self, kind, ev, seq, recorded, signer, breaches, later, body, this_hash):
        """custody §3-§6, §10, §13, §14.7: the state change of an accepted
        event."""
        xs = ev["exhibits"]
        self.record(seq, xs, breaches, ev.get("override"))
        self.record_later(seq, xs, later, ev.get("override"))
        part = self.enter_part(seq, kind, signer, body, ev)
        broken = []  # custody §13.2: the seals an unseal breaks
        if kind == "custody.unseal":
            # custody §14.7: a version-2 part breaks the seal it names only
            # with the event's last part (below)
            own = [self.exhibits[x]["seal"] for x in xs if self.exhibits[x]["seal"] is not None]
            broken = ([] if part is not None else [ev["seal"]]) + [sid for sid in own if sid != ev["seal"]]
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
            ex["head"] = this_hash  # custody §14.4
        self.apply_seals(kind, ev, seq, broken, part)

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


def check_person(v, signer):
    """ledger §7.2 (version 2): a signer's `name` and `qualifications` are
    not blank when given, and only a version-2 entry gives them."""
    for m in ("name", "qualifications"):
        value = signer.get(m)
        if value is None:
            continue
        if v < 2 or not isinstance(value, str) or blank(value):
            raise BadBody("signer %s" % m)


def check_authority_details(v, body):
    """ledger §7.1 (version 2): what entry 0 states about its authority."""
    details = body.get("authority_details")
    if details is None:
        return
    if v < 2 or body.get("authority") is None:
        raise BadBody("authority_details")
    details = members(details, AUTHORITY_DETAILS)
    for value in details.values():
        if value is not None and blank(value):
            raise BadBody("authority_details: a blank member")
    if details.get("kind") is not None and details["kind"] not in AUTHORITY_KINDS:
        raise BadBody("authority_details: unknown kind %r" % details["kind"])
    dates = {}
    for m in ("issued", "valid_from", "valid_until"):
        if details.get(m) is not None:
            dates[m] = parse_date(details[m])
            if dates[m] is None:
                raise BadBody("authority_details: %s is not a date" % m)
    start = dates.get("valid_from") or dates.get("issued")
    if start is not None and dates.get("valid_until") is not None and dates["valid_until"] < start:
        raise BadBody("authority_details: valid_until is before it starts")


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
    # package.md §9.2: package id -> [disclosure entry, encrypted, ciphertext recorded]
    packages = {}
    imported = set()  # ledger §7.14: exhibits imported once
    version = 0  # ledger §2: the highest version of the entries that took effect

    def when(recorded, at):
        """custody §2: the time of an event is `at` if given, else `time`."""
        return parse_time(at) or parse_time(recorded) or datetime(1970, 1, 1, tzinfo=timezone.utc)

    def err(code, i, msg, severity="error"):
        problems.append((severity, code, i, msg))

    def type_rules(i, entry, signer, ev, this_hash):
        """The rules of the entry's type (ledger §7, custody); True if the
        entry takes effect."""
        kind, body, fp, v = entry["type"], entry["body"], entry["signer"], entry["v"]
        if kind == "case.open":
            try:  # custody §7.1: the authority policy
                policy = body.get("policy")
                if policy is not None:
                    policy = members(policy, POLICY_MEMBERS)
                    if policy["authority"] not in ("strict", "warn", "off"):
                        raise BadBody("unknown authority policy %r" % policy["authority"])
                    skew = policy.get("clock_skew_seconds")
                    if skew is not None and (v < 2 or skew > MAX_CLOCK_SKEW_SECONDS):
                        raise BadBody("policy.clock_skew_seconds %r" % skew)
                check_person(v, body["signer"])
                check_authority_details(v, body)
            except BadBody as e:
                err("bad-body", i, "case.open: %s" % e)
                return False
            signers[fp] = signer
            custody.opened(dict(body, policy=policy), entry["time"])
        elif kind == "signer.add":
            try:
                check_person(v, body)
            except BadBody as e:
                err("bad-body", i, "signer.add: %s" % e)
                return False
            try:
                new_fp = fingerprint(body["key"], v)
            except ValueError as e:
                err("bad-body", i, "signer.add: %s" % e)
                return False
            if signer["role"] != "supervisor":
                err("signer-rule", i, "signer.add by a non-supervisor")
                return False
            if new_fp in signers or body["role"] not in ROLES or \
                    not body["principal"] or BAD_PRINCIPAL.search(body["principal"]):
                err("signer-rule", i, "invalid signer.add")
                return False
            signers[new_fp] = {"key": body["key"], "role": body["role"], "active": True}
        elif kind == "signer.revoke":
            target = signers.get(body["fingerprint"])
            if body["fingerprint"] != fp and signer["role"] != "supervisor":
                err("signer-rule", i, "revocation by a non-supervisor")
                return False
            if target is None or not target["active"] or not body["reason"].strip():
                err("signer-rule", i, "invalid revocation")
                return False
            target["active"] = False
        elif kind == "exhibit.acquire":
            ex = body["exhibit"]
            mpath = "manifests/%s.jsonl" % ex
            if not re.match(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\Z", ex) \
                    or body["manifest"]["path"] != mpath or not HEX64.match(body["manifest"]["sha256"]):
                err("bad-body", i, "invalid exhibit id or manifest reference")
                return False
            try:  # ledger §7.5: the provenance members
                check_provenance(body)
            except BadBody as e:
                err("bad-body", i, "exhibit.acquire: %s" % e)
                return False
            if ex in exhibits:
                err("exhibit-rule", i, "exhibit %s was already acquired" % ex)
                return False
            # custody §7.5: the authority of an acquisition, at the entry's time.
            breaches = custody.acquisition_breaches(body, when(entry["time"], None))
            refused = custody.refusal(breaches, body.get("override"))
            if refused:
                err(refused[0], i, refused[1])
                return False
            exhibits[ex] = (i, body["manifest"])
            custody.record(i, [ex], breaches, body.get("override"))
            custody.acquired(ex, fp, entry["time"], this_hash)
        elif kind == "authority.register":  # custody §7.2
            try:
                a = parse_authority(body)
                if v < 2 and a.get("valid_from") is None:
                    raise BadBody("valid_from is required in format version 1")
            except BadBody as e:
                err("bad-body", i, "authority.register: %s" % e)
                return False
            problem = custody.check_authority(a)
            if problem:
                err("authority-rule", i, problem)
                return False
            custody.authorities[a["reference"]] = a
        elif kind in EVENT_MEMBERS:  # custody §2-§9, §13, §14
            if ev is None:
                return True  # bad-body, reported with the line: no custody effect (custody §1)
            applied = custody_rules(i, entry, signer, ev, this_hash)
            if applied and kind == "custody.disclose":  # package.md §9.2: part 1 names it
                packages.setdefault(ev["package"], [i, bool(ev.get("encrypted_to")), False])
            return applied
        elif kind == "package.encrypted":  # package.md §9.2
            try:
                b = members(body, PACKAGE_ENCRYPTED)
            except BadBody as e:
                err("bad-body", i, "package.encrypted: %s" % e)
                return False
            known = packages.get(b["package"])
            if known is None:
                err("package-rule", i, "package %s has no disclosure entry" % b["package"])
                return False
            if known[0] != b["disclosure"]:
                err("package-rule", i, "package %s was disclosed by entry %d" % (b["package"], known[0]))
                return False
            if not known[1]:
                err("package-rule", i, "package %s was not disclosed as encrypted" % b["package"])
                return False
            if known[2]:
                err("package-rule", i, "the ciphertext of package %s is already recorded" % b["package"])
                return False
            if not HEX64.match(b["sha256"]):
                err("bad-body", i, "package.encrypted: sha256 is not 64 lowercase hex digits")
                return False
            known[2] = True
        elif kind == "attachment.add":  # ledger §7.13
            try:
                b = check_attachment(body)
            except BadBody as e:
                err("bad-body", i, "attachment.add: %s" % e)
                return False
            if "exhibit" in b and b["exhibit"] not in exhibits:
                err("exhibit-rule", i, "exhibit %s was not acquired" % b["exhibit"])
                return False
            if "entry" in b and b["entry"] >= i:
                err("attachment-rule", i, "an attachment documents only an earlier entry")
                return False
        elif kind == "exhibit.import":  # ledger §7.14
            try:
                b = check_import(body)
            except BadBody as e:
                err("bad-body", i, "exhibit.import: %s" % e)
                return False
            if b["exhibit"] not in exhibits:
                err("exhibit-rule", i, "exhibit %s was not acquired" % b["exhibit"])
                return False
            if exhibits[b["exhibit"]][0] != b["acquire"] or b["exhibit"] in imported:
                err("import-rule", i, "not the acquisition of %s, or imported twice" % b["exhibit"])
                return False
            imported.add(b["exhibit"])
        elif kind != "note":
            err("unknown-type", i, "type %r not interpreted" % kind, "warning")
        return True

    def custody_rules(i, entry, signer, ev, this_hash):
        """custody §6, §8, §9, §13, §14.6: whether a custody event takes
        effect; if it does, its effect."""
        kind, fp, v = entry["type"], entry["signer"], entry["v"]
        if kind == "custody.transfer" and not signers.get(ev["to"], {}).get("active"):
            err("custody-rule", i, "%s is not an active signer" % ev["to"])  # custody §6
            return False
        problem = custody.check_covers(kind, ev)  # custody §14.6
        if problem:
            err("custody-rule", i, problem)
            return False
        supervisor = signer["role"] == "supervisor"
        moment = when(entry["time"], ev.get("at"))
        hard, breaches = custody.check_event(kind, ev, fp, supervisor, moment)
        if hard:
            err("custody-rule", i, hard)
            return False
        later = custody.later_breaches(kind, ev, fp, supervisor, moment,
                                       parse_time(entry["time"]) or EPOCH)
        if v >= 2:  # custody §14.6: the rules of §13 are errors
            if kind in ("custody.seal", "custody.unseal") and blank(ev["seal"]):
                err("custody-rule", i, "a seal needs a non-blank id")
                return False
            terminal = [b for b in later if b[0] == "CUS-TERMINAL"]
            if terminal:
                err("custody-rule", i, "%s [CUS-TERMINAL]" % terminal[0][1])
                return False
            refused = custody.refusal(breaches + later, ev.get("override"))
        else:
            refused = custody.refusal(breaches, ev.get("override"))
        if refused:
            err(refused[0], i, refused[1])
            return False
        custody.apply(kind, ev, i, entry["time"], fp, breaches, later, entry["body"], this_hash)
        return True

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
        if type(entry["v"]) is not int or entry["v"] < 0:
            err("bad-field", i, "v is not a version number")
            continue
        if entry["v"] not in VERSIONS:
            err("unsupported-version", i, "v=%r" % entry["v"])
            continue
        if not TIME_RE.match(str(entry["time"])):
            err("bad-timestamp", i, "time %r" % entry["time"])
        ev = None  # custody §1: a custody body is read with its line
        if entry["type"] in EVENT_MEMBERS:
            try:
                ev = parse_event(entry["type"], entry["body"])
            except BadBody as e:
                err("bad-body", i, "%s: %s" % (entry["type"], e))
        expected_seq = 0 if prev_seq is None else prev_seq + 1
        if entry["seq"] != expected_seq:
            err("seq-mismatch", i, "seq %r, expected %d" % (entry["seq"], expected_seq))
        prev_seq = entry["seq"] if isinstance(entry["seq"], int) else expected_seq
        if entry["prev"] != expected_prev:
            err("prev-mismatch", i, "chain broken")
        if prev_time is not None and entry["time"] < prev_time:
            err("clock-regression", i, "time goes backwards", "warning")
        prev_time = entry["time"]

        kind, body, fp, v = entry["type"], entry["body"], entry["signer"], entry["v"]
        signer = signers.get(fp)
        rule = None  # the rule problem (code, message) that refuses the entry
        if v < version:  # ledger §2: never an older version after a newer one
            rule = ("version-regression", "format version %d after version %d" % (v, version))
        elif i == 0:
            if kind != "case.open":
                err("bad-genesis", i, "entry 0 is not case.open")
                continue
            key = body["signer"]["key"]
            try:
                opening_fp = fingerprint(key, v)
            except ValueError as e:
                err("bad-body", i, "case.open: %s" % e)
                continue
            if opening_fp != fp:
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
            # custody §14.3: the version-2 structure comes before the signer
            # rules (an entry that interrupts an event does, whoever signed it)
            rule = custody.check_part(v, i, kind, fp, body, ev)
            if rule is None:
                if kind == "case.open":
                    rule = ("bad-genesis", "case.open after entry 0")
                elif signer is None:
                    rule = ("unknown-signer", "%s is not a signer" % fp)
                elif not signer["active"]:
                    rule = ("revoked-signer", "%s was revoked" % fp)
        ok = rule is None
        if rule is not None:
            err(rule[0], i, rule[1])
        if signer is None:
            continue
        unsigned = {k: v for k, v in entry.items() if k != "sig"}
        try:
            signed_bytes = canonical(unsigned).encode("utf-8")
        except ValueError:
            signed_bytes = None  # no canonical form: already not-canonical
        if sk_user_present(entry["sig"]) is False:
            err("sk-no-user-presence", i, "hardware-key signature without user presence")
            ok = False
        elif signed_bytes is None or not check_signature(signer["key"], signed_bytes,
                                                         entry["sig"], workdir):
            err("bad-signature", i, "ssh-keygen rejects the signature")
            ok = False
        if not ok:
            continue
        if type_rules(i, entry, signer, ev, this_hash):
            version = max(version, v)  # ledger §2: entries that took effect

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
    if custody.open_event is not None:  # custody §14.3: a torn event
        o = custody.open_event
        err("event-torn", o["first"], "event %s has %d of its %d parts at the end of the ledger"
            % (o["id"], o["seen"], o["of"]))
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
