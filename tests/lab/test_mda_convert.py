#!/usr/bin/env python3
"""test_mda_convert: hoplite-convert reads hoplite's own tracelb output
exactly as it reads scamper's.

On the MDA diamond lab (tests/lab/mdalab.py, src-r0-r1=>{r2a,r2b}=>r3-dst,
7 true links per family), `hoplite mda` and Debian's scamper `tracelb`
trace the same destinations (udp-sport, 99 %, the same flow base, IPv4 and
IPv6); `hoplite-convert -f links` turns each tool's JSON into IP links.
Checks: both conversions succeed with no problem reported; the IP links
(gap 0) from hoplite's file are exactly the true links of both families;
scamper's file converts to the same IP links (both tools find all 7 per
family on this lab).  Without scamper the comparison is skipped and the
rest still runs.
"""

import csv
import io
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
import mdalab  # noqa: E402

SPORT = 40000


def convert(ck, label, path):
    """IP links (gap 0) of a file, as hoplite-convert -f links sees them."""
    conv = os.path.join(os.environ.get("top_builddir", "."), "tools",
                        "convert", "hoplite-convert")
    r = lab._run([conv, "-f", "links", "-o", "-", path], timeout=60,
                 check=False)
    ck.ok(r.returncode == 0, "%s: hoplite-convert exits 0" % label,
          r.stderr[-300:])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    ck.ok(rows, "%s: links converted" % label, r.stdout[:300])
    return {(x["near"], x["far"]) for x in rows if x.get("gap") == "0"}


def main():
    lab.hoplite_only("test_mda_convert")
    lab.require_lab()
    lab.require_hoplite()
    if mdalab.hoplite_help() is None:
        lab.skip("test_mda_convert: this hoplite has no mda command")
    ck = lab.Check("test_mda_convert")
    tmp = tempfile.mkdtemp(prefix="hoplite-mdaconv-")
    try:
        with lab.Lab("mc") as L:
            t = mdalab.build(L, mdalab.spec_diamond())
            dests = [t.dst4, t.dst6]
            truth = set()
            for fam in (4, 6):
                truth |= {(a, b) for a, b in mdalab.expected_links(t, fam)
                          if b is not None}

            r = L.run(t.src, [os.environ["HOPLITE"], "mda", "-P",
                              "udp-sport", "-C", "99", "--sport", str(SPORT),
                              "-o", "json"] + dests, timeout=120)
            ck.ok(r.returncode == 0, "hoplite mda exits 0", r.stderr[-300:])
            hpath = os.path.join(tmp, "hoplite.jsonl")
            with open(hpath, "w") as f:
                f.write(r.stdout)
            got = convert(ck, "hoplite's tracelb", hpath)
            ck.eq(sorted(got), sorted(truth),
                  "hoplite's tracelb: the IP links are the true links")

            if shutil.which("scamper") is None:
                ck.note("no scamper: the comparison with its tracelb is "
                        "skipped")
            else:
                r = L.run(t.src, ["scamper", "-O", "json", "-p", "1000",
                                  "-c", "tracelb -P udp-sport -c 99 -q 2 "
                                  "-W 15 -s %d" % SPORT, "-i"] + dests,
                          timeout=300)
                ck.ok(r.returncode == 0, "scamper exits 0", r.stderr[-300:])
                spath = os.path.join(tmp, "scamper.jsonl")
                with open(spath, "w") as f:
                    f.write(r.stdout)
                sgot = convert(ck, "scamper's tracelb", spath)
                ck.eq(sorted(sgot), sorted(got),
                      "scamper's tracelb converts to the same IP links")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.done()


if __name__ == "__main__":
    main()
