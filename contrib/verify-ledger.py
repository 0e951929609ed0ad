#!/usr/bin/env python3
"""Independent verifier for custodian ledgers (format version 1).

Written from docs/spec/ledger.md alone, with no custodian code: Python's
standard library for JSON, hashing and the replay rules, and stock OpenSSH
`ssh-keygen -Y verify` for every signature. It exists so that a defence expert
or a partner agency can check a ledger with tools that are not ours, and so
that our test suite proves the spec is sufficient.

Usage: verify-ledger.py LEDGER [--trust SHA256:...]...
Exit status: 0 as recorded, 1 not as recorded, 2 could not check.
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime

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


def verify(path, trusted):
    problems = []  # (severity, code, entry, message)
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    torn = lines.pop()  # bytes after the last LF ("" if none)
    signers = {}  # fingerprint -> {"key", "role", "active"}
    exhibits = {}  # exhibit id -> (entry, manifest reference)
    prev_hash, prev_seq, prev_time = GENESIS, None, None
    root = None
    workdir = tempfile.mkdtemp(prefix="verify-ledger-")

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
            signers[fp] = signer
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
            if not re.match(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$", ex) or ex in exhibits \
                    or body["manifest"]["path"] != mpath:
                err("exhibit-rule", i, "invalid exhibit.acquire")
            else:
                exhibits[ex] = (i, body["manifest"])
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
    return problems, prev_hash, len(lines)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    trusted = [argv[i + 1] for i, a in enumerate(argv) if a == "--trust" and i + 1 < len(argv)]
    try:
        problems, head, n = verify(argv[1], trusted)
    except (OSError, KeyError, TypeError, ValueError) as e:
        print("verify-ledger: cannot check %s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    for severity, code, entry, msg in problems:
        print("%s: [%s] entry %s: %s" % (severity, code, entry, msg))
    errors = [p for p in problems if p[0] == "error"]
    print("%s: %d entries, head %s" % ("NOT AS RECORDED" if errors else "VALID", n, head))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
