#!/usr/bin/env python3
"""Check traceroute files against M-Lab's acceptance rules (stdlib only).

M-Lab's pipeline (traceroute-caller's parser, used by the ETL's scamper1
and scamper2 parsers) reads a file as exactly four '\\n'-terminated lines and
decodes each with Go's encoding/json into fixed structs:

  1. metadata    {"UUID", "TracerouteCallerVersion", "CachedResult",
                  "CachedUUID"}
  2. cycle-start {"type":"cycle-start", "list_name", "id", "hostname",
                  "start_time"}
  3. the trace   {"type":"trace", ... "hops":[...]} (scamper2) or
                 {"type":"tracelb", ... "nodes":[...]} (scamper1)
  4. cycle-stop  {"type":"cycle-stop", "list_name", "id", "hostname",
                  "stop_time"}

A file is rejected when the split does not give four lines and an empty
fifth, when a line is not JSON or a known field has the wrong JSON type
(Go refuses a string in an int field, a fraction or an out-of-range value
in an int32, ...), when the UUID is empty, or when a line's "type" is wrong.
Unknown keys are ignored, null leaves a field unset, key matching is
case-insensitive when there is no exact match: all as Go does.  `mlab` mode
applies exactly these rules.

`strict` mode (the default) adds what hoplite promises on top, which M-Lab
does not check:
  - the four metadata keys and the cycle-start/stop keys are present with
    their exact names and types (no nulls), CachedUUID is set exactly when
    CachedResult is true, and stop_time >= start_time;
  - no known field is null anywhere;
  - tracelb nodes: a node with linkc > 0 has a non-empty "links" array of
    non-empty arrays of objects, and one with linkc == 0 has none.  (M-Lab's
    own test suite names a file that breaks this "invalid-tracelb-links"
    but expects its parser to accept it; strict mode rejects it.)
With --name, the file name must be YYYYMMDDTHHMMSSZ_<UUID>.jsonl with the
metadata's UUID, inside .../YYYY/MM/DD/ of the same date.

scamper1 (MDA) files: M-Lab's parser (traceroute-caller parser/scamper1.go)
decodes line 3 into TracelbLine, whose numbers are float64 except inside
the nodes: node q_ttl int and linkc int64, links [][]ScamperLink, probe
ttl and flowid int64, replyc and attempt int, reply ttl, icmp_* int and
rtt float64; it then requires type "tracelb".  `mlab` and `strict` modes
apply these as they apply scamper2's.  --shape adds the shape scamper's
tracelb writer keeps and hoplite's promises (hoplite-json(5)), which
M-Lab does not check:
  - a node with linkc > 1 has one inner array of linkc elements; one with
    linkc 1 has one inner array per hop of its link, the last with one
    element;
  - every element has an "addr"; a probe's replyc is its number of replies;
  - header linkc is the sum of the printed nodes' linkc, and nodec is at
    least the number of printed nodes.

The one-object ".json" variant ({"Metadata":..., "Trace":...}) is out of
scope.

Usage: mlab_check.py [--mlab] [--name] [--shape] [--type trace|tracelb] FILE...
       mlab_check.py [--self-test]
Exit 0 when every file is valid, 1 otherwise (reasons on stdout), 2 on
usage errors.  With no FILE it runs its self-test, so `make check` can list
it in TESTS as is.  Importable: check_bytes(data, ...) and check_file(path, ...)
return a list of reasons (empty when valid).  --self-test runs the rules on
built-in cases and on real M-Lab files: tests/unit/data/mlab-scamper1 (in
the tree) and ../shared/data/mlab-scamper{1,2}/*.jsonl (found from
$top_srcdir or this file's place) when present.

Limits: Go's decoder is emulated, not run.  Known gaps: Go's Unicode case
folding of keys beyond ASCII (the Kelvin sign, long s) and float underflow
corner cases.
"""

import json
import math
import os
import re
import sys

__all__ = ["check_bytes", "check_file", "main"]

# Go field types.
STR, BOOL, F64 = "string", "bool", "float64"
I32, I64, INT = "int32", "int64", "int"
INT_BITS = {I32: 32, I64: 64, INT: 64}


def _slice(elem):
    return ("slice", elem)


# The structs of github.com/m-lab/traceroute-caller/parser and tracer.
TS = {"sec": I64, "usec": I64}
METADATA = {"UUID": STR, "TracerouteCallerVersion": STR,
            "CachedResult": BOOL, "CachedUUID": STR}
CYCLE_START = {"type": STR, "list_name": STR, "id": F64, "hostname": STR,
               "start_time": F64}
CYCLE_STOP = {"type": STR, "list_name": STR, "id": F64, "hostname": STR,
              "stop_time": F64}
HOP = {"addr": STR, "probe_ttl": I32, "probe_id": I32, "probe_size": I32,
       "tx": TS, "rtt": F64, "reply_ttl": I32, "reply_tos": I32,
       "reply_ipid": I32, "reply_size": I32, "icmp_type": I32,
       "icmp_code": I32, "icmp_q_ttl": I32, "icmp_q_ipl": I32,
       "icmp_q_tos": I32}
TRACE = {"type": STR, "version": STR, "userid": I32, "method": STR,
         "src": STR, "dst": STR, "icmp_sum": I32, "stop_reason": STR,
         "stop_data": I32, "start": TS, "hop_count": I32, "attempts": I32,
         "hoplimit": I32, "firsthop": I32, "wait": I32, "wait_probe": I32,
         "tos": I32, "probe_size": I32, "probe_count": I32,
         "hops": _slice(HOP)}
REPLY = {"rx": TS, "ttl": INT, "rtt": F64, "icmp_type": INT,
         "icmp_code": INT, "icmp_q_tos": INT, "icmp_q_ttl": INT}
PROBE = {"tx": TS, "replyc": INT, "ttl": I64, "attempt": INT,
         "flowid": I64, "replies": _slice(REPLY)}
LINK = {"addr": STR, "probes": _slice(PROBE)}
NODE = {"addr": STR, "name": STR, "q_ttl": INT, "linkc": I64,
        "links": _slice(_slice(LINK))}
TRACELB = {"type": STR, "version": STR, "userid": F64, "method": STR,
           "src": STR, "dst": STR, "start": TS, "probe_size": F64,
           "firsthop": F64, "attempts": F64, "confidence": F64, "tos": F64,
           "gaplint": F64, "wait_timeout": F64, "wait_probe": F64,
           "probec": F64, "probec_max": F64, "nodec": F64, "linkc": F64,
           "nodes": _slice(NODE)}

NAME_RE = re.compile(
    r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z_(.+)\.jsonl$")


class _Num:
    """A JSON number kept as its literal, to judge it as Go would."""
    __slots__ = ("lit",)

    def __init__(self, lit):
        self.lit = lit

    def __repr__(self):
        return self.lit


def _reject_constant(name):
    raise ValueError("invalid JSON literal " + name)


def _pairs(pairs):
    # Keep duplicate keys, in order: Go assigns each in turn (last wins).
    return ("object", pairs)


def _decode(line):
    """Parse one line as Go's decoder would accept it; raise ValueError."""
    # Go replaces invalid UTF-8 with U+FFFD rather than failing.
    text = line.decode("utf-8", errors="replace")
    return json.loads(text, object_pairs_hook=_pairs, parse_int=_Num,
                      parse_float=_Num, parse_constant=_reject_constant)


def _jtype(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, _Num):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _field(struct, key):
    """Go's field lookup: exact name, else ASCII case-insensitive."""
    if key in struct:
        return key
    low = key.lower()
    for name in struct:
        if name.lower() == low:
            return name
    return None


class _Decoder:
    def __init__(self, strict):
        self.strict = strict
        self.errors = []

    def value(self, v, typ, where):
        """Check v against a Go type; return the decoded Python value."""
        if v is None:
            if self.strict:
                self.errors.append("%s: null" % where)
            return None
        if isinstance(typ, dict):
            if _jtype(v) != "object":
                return self._mismatch(v, "struct", where)
            out = {}
            for key, sub in v[1]:
                name = _field(typ, key)
                if name is None:
                    continue        # unknown keys are ignored
                out[name] = self.value(sub, typ[name], where + "." + key)
            return out
        if isinstance(typ, tuple):
            if _jtype(v) != "array":
                return self._mismatch(v, "slice", where)
            return [self.value(e, typ[1], "%s[%d]" % (where, i))
                    for i, e in enumerate(v)]
        if typ == STR:
            if not isinstance(v, str):
                return self._mismatch(v, typ, where)
            return v
        if typ == BOOL:
            if not isinstance(v, bool):
                return self._mismatch(v, typ, where)
            return v
        if not isinstance(v, _Num):
            return self._mismatch(v, typ, where)
        if typ == F64:
            f = float(v.lit)
            if math.isinf(f):
                self.errors.append("%s: %s overflows float64" % (where, v.lit))
                return None
            return f
        # Go's strconv.ParseInt: digits only, no fraction or exponent.
        if not re.fullmatch(r"-?\d+", v.lit):
            self.errors.append("%s: %s is not an integer (%s)" %
                               (where, v.lit, typ))
            return None
        n = int(v.lit)
        bits = INT_BITS[typ]
        if not -(1 << (bits - 1)) <= n < (1 << (bits - 1)):
            self.errors.append("%s: %s overflows %s" % (where, v.lit, typ))
            return None
        return n

    def _mismatch(self, v, typ, where):
        self.errors.append("%s: JSON %s where Go wants %s" %
                           (where, _jtype(v), typ))
        return None


def _require(obj, keys, pytypes, where, reasons):
    """Strict: exact key names present with the given Python types."""
    for key, want in zip(keys, pytypes):
        names = [k for k, _ in obj[1]] if _jtype(obj) == "object" else []
        if key not in names:
            reasons.append("%s: missing \"%s\"" % (where, key))
            continue
        val = [v for k, v in obj[1] if k == key][-1]
        ok = (isinstance(val, bool) if want is bool else
              isinstance(val, str) if want is str else
              isinstance(val, _Num) and re.fullmatch(r"-?\d+", val.lit))
        if not ok:
            reasons.append("%s: \"%s\" is JSON %s, want %s" %
                           (where, key, _jtype(val),
                            {bool: "a boolean", str: "a string",
                             int: "an integer"}[want]))


def _check_links(tracelb, reasons):
    for i, node in enumerate(tracelb.get("nodes") or []):
        if not isinstance(node, dict):
            continue
        linkc = node.get("linkc") or 0
        links = node.get("links")
        where = "line 3: nodes[%d]" % i
        if linkc > 0:
            if not links:
                reasons.append("%s: linkc %d but no links" % (where, linkc))
                continue
            for j, hop in enumerate(links):
                if not hop:
                    reasons.append("%s: links[%d] is empty" % (where, j))
        elif links:
            reasons.append("%s: linkc %d but %d links" %
                           (where, linkc, len(links)))


def _check_shape(tracelb, reasons):
    """--shape: the structure scamper's and hoplite's tracelb writers keep."""
    nodes = tracelb.get("nodes") or []
    total = 0
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            continue
        where = "line 3: nodes[%d]" % i
        linkc = node.get("linkc") or 0
        links = node.get("links") or []
        total += linkc
        if linkc > 1 and (len(links) != 1 or len(links[0] or []) != linkc):
            reasons.append("%s: linkc %d but links is not one array of %d"
                           % (where, linkc, linkc))
        if linkc == 1 and links and len(links[-1] or []) != 1:
            reasons.append("%s: the last hop of its link has %d elements"
                           % (where, len(links[-1] or [])))
        for j, hop in enumerate(links):
            for k, elem in enumerate(hop or []):
                w = "%s.links[%d][%d]" % (where, j, k)
                if not isinstance(elem, dict) or "addr" not in elem:
                    reasons.append("%s: no addr" % w)
                    continue
                for m, probe in enumerate(elem.get("probes") or []):
                    if not isinstance(probe, dict):
                        continue
                    n = len(probe.get("replies") or [])
                    if (probe.get("replyc") or 0) != n:
                        reasons.append("%s.probes[%d]: replyc %s, %d replies"
                                       % (w, m, probe.get("replyc"), n))
    linkc, nodec = tracelb.get("linkc"), tracelb.get("nodec")
    if isinstance(linkc, float) and linkc != total:
        reasons.append("line 3: linkc %d, the nodes' linkc add up to %d" %
                       (linkc, total))
    if isinstance(nodec, float) and nodec < len(nodes):
        reasons.append("line 3: nodec %d, %d nodes printed" %
                       (nodec, len(nodes)))


def check_bytes(data, strict=True, want_type=None, shape=False):
    """Reasons the file content would be rejected; [] when it is valid."""
    reasons = []
    lines = data.split(b"\n")
    if len(lines) != 5 or lines[4] != b"":
        n = data.count(b"\n")
        reasons.append("not exactly 4 lines each ending in \\n "
                       "(%d newlines%s)" %
                       (n, "" if data.endswith(b"\n") else
                        ", no final newline"))
        return reasons

    parsed = []
    for i, line in enumerate(lines[:4]):
        try:
            parsed.append(_decode(line))
        except ValueError as e:
            reasons.append("line %d: invalid JSON: %s" % (i + 1, e))
            parsed.append(None)
    if reasons:
        return reasons

    dec = _Decoder(strict)
    meta = dec.value(parsed[0], METADATA, "line 1") or {}
    start = dec.value(parsed[1], CYCLE_START, "line 2") or {}
    # The trace line's own type picks the parser (scamper2 or scamper1).
    raw_type = None
    if _jtype(parsed[2]) == "object":
        for k, v in parsed[2][1]:
            if _field({"type": STR}, k) and isinstance(v, str):
                raw_type = v
    schema = TRACELB if raw_type == "tracelb" else TRACE
    trace = dec.value(parsed[2], schema, "line 3") or {}
    stop = dec.value(parsed[3], CYCLE_STOP, "line 4") or {}
    reasons.extend(dec.errors)
    if shape and trace.get("type") == "tracelb":
        _check_shape(trace, reasons)

    if not meta.get("UUID"):
        reasons.append("line 1: empty or missing UUID")
    if start.get("type") != "cycle-start":
        reasons.append("line 2: type %r, want \"cycle-start\"" %
                       start.get("type"))
    ttype = trace.get("type")
    allowed = (want_type,) if want_type else ("trace", "tracelb")
    if ttype not in allowed:
        reasons.append("line 3: type %r, want %s" %
                       (ttype, " or ".join('"%s"' % t for t in allowed)))
    if stop.get("type") != "cycle-stop":
        reasons.append("line 4: type %r, want \"cycle-stop\"" %
                       stop.get("type"))
    if not strict:
        return reasons

    if b"\r" in data:
        reasons.append("carriage return in a line")
    _require(parsed[0], list(METADATA), [str, str, bool, str],
             "line 1", reasons)
    _require(parsed[1], ["type", "list_name", "id", "hostname", "start_time"],
             [str, str, int, str, int], "line 2", reasons)
    _require(parsed[3], ["type", "list_name", "id", "hostname", "stop_time"],
             [str, str, int, str, int], "line 4", reasons)
    if meta.get("CachedResult") is True and not meta.get("CachedUUID"):
        reasons.append("line 1: CachedResult true but no CachedUUID")
    if meta.get("CachedResult") is False and meta.get("CachedUUID"):
        reasons.append("line 1: CachedUUID set but CachedResult false")
    t0, t1 = start.get("start_time"), stop.get("stop_time")
    if isinstance(t0, float) and isinstance(t1, float) and t1 < t0:
        reasons.append("line 4: stop_time %d before start_time %d" %
                       (t1, t0))
    if ttype == "tracelb":
        _check_links(trace, reasons)
    return reasons


def _check_name(path, data):
    reasons = []
    base = os.path.basename(path)
    m = NAME_RE.match(base)
    if not m:
        return ["file name is not YYYYMMDDTHHMMSSZ_<UUID>.jsonl"]
    y, mo, d = m.group(1), m.group(2), m.group(3)
    parts = os.path.abspath(path).split(os.sep)
    if parts[-4:-1] != [y, mo, d]:
        reasons.append("not in a %s/%s/%s directory" % (y, mo, d))
    try:
        meta = json.loads(data.split(b"\n", 1)[0].decode("utf-8", "replace"))
        uuid = meta.get("UUID") if isinstance(meta, dict) else None
    except ValueError:
        uuid = None
    if uuid is not None and uuid != m.group(7):
        reasons.append("name's UUID %r differs from metadata UUID %r" %
                       (m.group(7), uuid))
    return reasons


def check_file(path, strict=True, want_type=None, name=False, shape=False):
    """Reasons the file would be rejected; [] when it is valid."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return ["cannot read: %s" % e.strerror]
    reasons = check_bytes(data, strict=strict, want_type=want_type,
                          shape=shape)
    if name:
        reasons.extend(_check_name(path, data))
    return reasons


def _self_test():
    """The rules above on small cases: (M-Lab accepts, strict accepts)."""
    l1 = ('{"UUID":"u","TracerouteCallerVersion":"v","CachedResult":false,'
          '"CachedUUID":""}')
    l2 = ('{"type":"cycle-start","list_name":"default","id":0,'
          '"hostname":"h","start_time":1}')
    l3 = ('{"type":"trace","hops":[{"addr":"192.0.2.1","probe_ttl":1,'
          '"rtt":0.5,"tx":{"sec":1,"usec":2}}]}')
    l4 = ('{"type":"cycle-stop","list_name":"default","id":0,'
          '"hostname":"h","stop_time":2}')
    lb = ('{"type":"tracelb","nodes":[{"addr":"192.0.2.1","linkc":1,'
          '"links":[[{"addr":"192.0.2.2","probes":[]}]]}]}')
    lbp = ('{"type":"tracelb","method":"icmp-echo","nodec":2,"linkc":1,'
           '"wait_probe":150,"nodes":[{"addr":"192.0.2.1","q_ttl":1,'
           '"linkc":1,"links":[[{"addr":"192.0.2.2","probes":[{"tx":'
           '{"sec":1,"usec":2},"replyc":1,"ttl":2,"attempt":0,"flowid":1,'
           '"replies":[{"rx":{"sec":1,"usec":9},"ttl":250,"rtt":0.5,'
           '"icmp_type":11,"icmp_code":0,"icmp_q_tos":0,"icmp_q_ttl":1}]}]}]]'
           '}]}')

    def f(a=l1, b=l2, c=l3, d=l4, end="\n"):
        return (a + end + b + end + c + end + d + end).encode()

    cases = [
        ("base", f(), True, True),
        ("tracelb", f(c=lb), True, True),
        ("no final newline", f()[:-1], False, False),
        ("blank fifth line", f() + b"\n", False, False),
        ("three lines", (l1 + "\n" + l2 + "\n" + l4 + "\n").encode(),
         False, False),
        ("CRLF", f(end="\r\n"), True, False),
        ("empty UUID", f(a=l1.replace('"u"', '""')), False, False),
        ("uuid key case", f(a=l1.replace("UUID", "uuid", 1)), True, False),
        ("UUID then empty uuid", f(a=l1[:-1] + ',"uuid":""}'), False, False),
        ("CachedResult string", f(a=l1.replace("false", '"false"')),
         False, False),
        ("metadata null", f(a="null"), False, False),
        ("metadata array", f(a="[]"), False, False),
        ("cached without CachedUUID", f(a=l1.replace("false", "true")),
         True, False),
        ("start_time fraction", f(b=l2.replace(":1}", ":1.5}")), True, False),
        ("cycle-start type", f(b=l2.replace("cycle-start", "cycle-start ")),
         False, False),
        ("probe_ttl 1.0", f(c=l3.replace('"probe_ttl":1', '"probe_ttl":1.0')),
         False, False),
        ("probe_ttl 1e0", f(c=l3.replace('"probe_ttl":1', '"probe_ttl":1e0')),
         False, False),
        ("probe_ttl int32 max", f(c=l3.replace('"probe_ttl":1',
                                               '"probe_ttl":2147483647')),
         True, True),
        ("probe_ttl int32 overflow", f(c=l3.replace('"probe_ttl":1',
                                                    '"probe_ttl":2147483648')),
         False, False),
        ("rtt string", f(c=l3.replace("0.5", '"0.5"')), False, False),
        ("rtt NaN", f(c=l3.replace("0.5", "NaN")), False, False),
        ("rtt 1e400", f(c=l3.replace("0.5", "1e400")), False, False),
        ("hops object", f(c='{"type":"trace","hops":{}}'), False, False),
        ("hops null", f(c='{"type":"trace","hops":null}'), True, False),
        ("unknown keys", f(c=l3[:-1] + ',"icmpext":[{"x":"y"}]}'), True, True),
        ("trace type missing", f(c='{"hops":[]}'), False, False),
        ("trace type other", f(c='{"type":"ping"}'), False, False),
        ("stop before start", f(d=l4.replace(":2}", ":0}")), True, False),
        ("trailing garbage", f(d=l4 + " x"), False, False),
        ("duplicate type", f(d=l4.replace('"type":"cycle-stop"',
                                          '"type":"x","type":"cycle-stop"')),
         True, True),
        ("links missing", f(c=lb.replace(',"links":[[{"addr":"192.0.2.2",'
                                         '"probes":[]}]]', "")), True, False),
        # Go decodes invalid UTF-8 as U+FFFD rather than failing.
        ("invalid UTF-8", f().replace(b'"v"', b'"\xff"'), True, True),
        # scamper1: the tracelb line's Go types.
        ("tracelb probe", f(c=lbp), True, True),
        ("tracelb flowid int64", f(c=lbp.replace('"flowid":1',
                                                 '"flowid":4294967296')),
         True, True),
        ("tracelb flowid string", f(c=lbp.replace('"flowid":1',
                                                  '"flowid":"1"')),
         False, False),
        ("tracelb flowid fraction", f(c=lbp.replace('"flowid":1',
                                                    '"flowid":1.5')),
         False, False),
        ("tracelb rtt string", f(c=lbp.replace('"rtt":0.5', '"rtt":"0.5"')),
         False, False),
        ("tracelb reply ttl real", f(c=lbp.replace('"ttl":250',
                                                   '"ttl":250.0')),
         False, False),
        ("tracelb q_ttl real", f(c=lbp.replace('"q_ttl":1', '"q_ttl":1.0')),
         False, False),
        ("tracelb links not [][]", f(c=lbp.replace('"links":[[', '"links":[')
                                     .replace(']]}]}', ']}]}')),
         False, False),
        ("tracelb nodec real", f(c=lbp.replace('"nodec":2', '"nodec":2.5')),
         True, True),
        ("tracelb nodes object", f(c='{"type":"tracelb","nodes":{}}'),
         False, False),
        ("tracelb type", f(c=lbp.replace('"tracelb"', '"tracelbx"')),
         False, False),
    ]
    failed = 0
    for name, data, want_mlab, want_strict in cases:
        for strict, want in ((False, want_mlab), (True, want_strict)):
            got = check_bytes(data, strict=strict)
            if (not got) != want:
                failed += 1
                print("self-test %s (%s): %s" %
                      (name, "strict" if strict else "mlab",
                       got or "accepted"))
    ncases = 2 * len(cases)

    # --shape on tracelb lines: (case, reason expected or None).
    lb2 = lbp.replace('"linkc":1,"links":[[{"addr":"192.0.2.2",',
                      '"linkc":2,"links":[[{"addr":"192.0.2.3","probes":[]},'
                      '{"addr":"192.0.2.2",').replace('"linkc":1,"wait',
                                                      '"linkc":2,"wait')
    shape_cases = [
        ("shape ok", lbp, None),
        ("shape two links", lb2, None),
        ("shape replyc", lbp.replace('"replyc":1', '"replyc":2'),
         "replyc 2, 1 replies"),
        ("shape linkc sum", lbp.replace('"linkc":1,"wait', '"linkc":3,"wait'),
         "add up to 1"),
        ("shape nodec", lbp.replace('"nodec":2', '"nodec":0'),
         "nodec 0, 1 nodes printed"),
        ("shape two links in two arrays",
         lb2.replace('"probes":[]},{', '"probes":[]}],[{'),
         "not one array of 2"),
        ("shape last hop", lbp.replace('"links":[[{"addr":"192.0.2.2",',
                                       '"links":[[{"addr":"*"}],[{"addr":"*"},'
                                       '{"addr":"192.0.2.2",'),
         "last hop of its link has 2"),
        ("shape no addr", lbp.replace('{"addr":"192.0.2.2",', '{'),
         "no addr"),
    ]
    for name, line, reason in shape_cases:
        got = check_bytes(f(c=line), shape=True)
        ncases += 1
        if (reason is None and got) or (reason is not None and
                                         not any(reason in g for g in got)):
            failed += 1
            print("self-test %s: %s" % (name, got or "accepted"))

    # The real files: the copies in tests/unit/data, and the shared data
    # when it is beside the repository.  Valid ones pass both ways (and
    # --shape, but for etl-valid, which M-Lab cut down); invalid ones fail
    # strict for the reason their name says, and fail M-Lab's rules too
    # except the one M-Lab's own tests expect it to accept.
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    top = os.environ.get("top_srcdir",
                         os.path.join(os.path.dirname(__file__), "..", ".."))
    shared = os.path.join(top, "..", "shared", "data")
    mlab_accepts = {"invalid-tracelb-links.jsonl"}
    no_shape = {"etl-valid.jsonl"}
    why = {"invalid-num-lines": "not exactly 4 lines",
           "invalid-last-line": "not exactly 4 lines",
           "invalid-metadata-uuid": "line 1: empty or missing UUID",
           "invalid-cycle-stop-type": "line 4: type",
           "invalid-cycle-start-type": "line 2: type",
           "invalid-cycle-start": "line 2",
           "invalid-cycle-stop": "line 4",
           "invalid-tracelb-links": "linkc 1 but no links",
           "invalid-trace-links": "links",
           "invalid-metadata": "line 1",
           "invalid-trace-type": "line 3: type",
           "invalid-trace": "line 3"}
    seen = set()
    for d in (os.path.join(here, "mlab-scamper1"),
              os.path.join(shared, "mlab-scamper1"),
              os.path.join(shared, "mlab-scamper2")):
        if not os.path.isdir(d):
            if d.startswith(here):
                failed += 1
                print("self-test: %s missing" % d)
            continue
        sub = os.path.basename(d)
        for name in sorted(os.listdir(d)):
            if not name.endswith(".jsonl") or (sub, name) in seen:
                continue
            seen.add((sub, name))
            valid = "valid" in name and not name.startswith("invalid")
            path = os.path.join(d, name)
            for strict in (False, True):
                want = valid or (not strict and name in mlab_accepts)
                got = check_file(path, strict=strict)
                ncases += 1
                if (not got) != want:
                    failed += 1
                    print("self-test %s/%s (%s): %s" %
                          (sub, name, "strict" if strict else "mlab",
                           got or "accepted"))
            stem = name[:-len(".jsonl")]
            if not valid:
                reason = why.get(stem)
                got = check_file(path)
                ncases += 1
                if reason is None or not any(reason in g for g in got):
                    failed += 1
                    print("self-test %s/%s: rejected for %s, want %r" %
                          (sub, name, got, reason))
            elif sub == "mlab-scamper1" and name not in no_shape:
                got = check_file(path, shape=True, want_type="tracelb")
                ncases += 1
                if got:
                    failed += 1
                    print("self-test %s/%s (shape): %s" % (sub, name, got))
    print("self-test: %d cases, %d failed" % (ncases, failed))
    return 1 if failed else 0


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(
        description="Check trace files against M-Lab's acceptance rules.")
    ap.add_argument("--mlab", action="store_true",
                    help="only M-Lab's parser rules, "
                    "not hoplite's stricter ones")
    ap.add_argument("--name", action="store_true",
                    help="also check YYYY/MM/DD/YYYYMMDDTHHMMSSZ_<UUID>.jsonl")
    ap.add_argument("--shape", action="store_true",
                    help="also the shape of tracelb nodes and links that "
                    "scamper's and hoplite's writers keep")
    ap.add_argument("--type", choices=("trace", "tracelb"),
                    help="require this measurement type on line 3")
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="print nothing for valid files")
    ap.add_argument("--self-test", action="store_true",
                    help="check the rules themselves on built-in cases")
    ap.add_argument("files", nargs="*", metavar="FILE")
    args = ap.parse_args(argv)
    # With no files (as `make check` runs it), the self-test.
    if args.self_test or not args.files:
        return _self_test()
    bad = 0
    for path in args.files:
        reasons = check_file(path, strict=not args.mlab, want_type=args.type,
                             name=args.name, shape=args.shape)
        if reasons:
            bad += 1
            print("%s: INVALID" % path)
            for r in reasons:
                print("  " + r)
        elif not args.quiet:
            print("%s: ok" % path)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
