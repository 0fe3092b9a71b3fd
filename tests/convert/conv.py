"""Helpers for the hoplite-convert tests (imported, not run)."""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

TOP_SRCDIR = os.environ.get(
    "top_srcdir", os.path.join(os.path.dirname(__file__), "..", ".."))
TOP_BUILDDIR = os.environ.get("top_builddir", TOP_SRCDIR)
HC = os.path.join(TOP_BUILDDIR, "tools", "convert", "hoplite-convert")
# Real data (M-Lab, RouteViews) and hand-made cases: tests/convert/data.
FIX = os.path.join(TOP_SRCDIR, "tests", "convert", "data")
DATA = FIX
S1 = os.path.join(DATA, "mlab-scamper1")
S2 = os.path.join(DATA, "mlab-scamper2")
RV = os.path.join(DATA, "routeviews")

failures = []
# Built with AddressSanitizer (.ci/run's second build): no valgrind, no
# address-space limit, and memory figures that mean nothing.
ASAN = os.path.exists(HC) and b"libasan" in subprocess.run(
    ["ldd", HC], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout


def need_data():
    """The data ships with the tests: its absence is a failure, not a skip."""
    if not os.path.isdir(S1) or not os.path.isdir(S2):
        print("FAIL: %s not found" % DATA)
        sys.exit(1)


def tmpdir():
    d = tempfile.mkdtemp(prefix="hc-test-")
    import atexit
    atexit.register(shutil.rmtree, d, True)
    return d


def run(args, stdin=None, check=None):
    """Run hoplite-convert; returns (rc, stdout text, stderr text)."""
    p = subprocess.run([HC] + list(args), input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    if check is not None and p.returncode != check:
        fail("exit %d, wanted %d: %s\n%s" % (p.returncode, check,
                                             " ".join(args), err))
    return p.returncode, out, err


def rows(text):
    """CSV text as a list of dicts."""
    return list(csv.DictReader(io.StringIO(text)))


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def eq(got, want, what):
    if got != want:
        fail("%s:\n  got  %r\n  want %r" % (what, got, want))


def ok(cond, what):
    if not cond:
        fail(what)


def trace_line(path):
    """The trace/tracelb object (3rd line) of an M-Lab 4-line file."""
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")[2]


def done():
    if failures:
        print("%d failed checks" % len(failures))
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)
