"""Shared by the tests in tests/deploy: paths, running commands, installing
into a scratch root."""
import os
import re
import subprocess
import sys
import tempfile

SRC = os.path.abspath(os.environ.get("top_srcdir") or
                      os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("top_builddir") or SRC)
sys.path.insert(0, os.path.join(SRC, "tests", "lab"))
import lab  # noqa: E402  (Check, log)

log = lab.log
ROOT = os.geteuid() == 0
HOPLITE = os.path.join(BUILD, "src", "hoplite")
HOPLITED = os.path.join(BUILD, "src", "hoplited")
CONVERT = os.path.join(BUILD, "tools", "convert", "hoplite-convert")


def run(argv, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("universal_newlines", True)
    return subprocess.run(argv, **kw)


def read(path):
    with open(path) as f:
        return f.read()


def make_env():
    """The environment for a make run from inside `make check`."""
    env = dict(os.environ)
    for v in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(v, None)
    return env


def make_install(ck, destdir, prefix=None):
    env = make_env()
    argv = [os.environ.get("MAKE", "make"), "-s", "-C", BUILD, "install",
            "DESTDIR=" + destdir]
    if prefix:
        argv.append("prefix=" + prefix)
    r = run(argv, env=env)
    ck.eq(r.returncode, 0, "make install DESTDIR %s prefix %s" %
          (destdir, prefix or "(configured)"))
    if r.returncode != 0:
        log(r.stdout[-1500:] + r.stderr[-1500:])
    return r.returncode == 0


def find_installed(root, name, sub):
    """/prefix/sub/name inside root, as the path the system sees."""
    for d, _, files in os.walk(root):
        if name in files and os.path.basename(d) == sub:
            return os.path.join(d, name)[len(root):]
    return None


_HELP = None


def env_known(ck, var, where):
    global _HELP
    if not var.startswith("HOPLITED_"):
        return
    if _HELP is None:
        _HELP = run([HOPLITED, "--help"]).stdout
    opt = "--" + var[len("HOPLITED_"):].lower().replace("_", "-")
    ck.ok(re.search(re.escape(opt) + r"\b", _HELP) is not None,
          "%s: %s is hoplited's %s" % (where, var, opt))


def scratch(name):
    return tempfile.mkdtemp(prefix="hoplite-%s-" % name)
