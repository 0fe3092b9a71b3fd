"""daemon: run hoplited inside a lab namespace and look at what it did.

Stdlib only; used by the test_daemon_*.py lab tests and the daemon
benchmark.  hoplited is $HOPLITED, or `hoplited` beside $HOPLITE.

    wd = daemon.Workdir("events")              # 0755 temp dir, removed at exit
    d = daemon.Daemon(L, t.src, wd, ["--eventsocket", wd.path("ev.sock")],
                      control=True, metrics=True).start()
    reply = d.control().request({"uuid": "u1", "ip": t.dst4})
    path = d.wait_file("u1")
    lines, objs = daemon.read_file(path)
    daemon.check_mlab_file(ck, path, "u1")
    m = d.scrape(); m.get("traces_performed_total")
    rc = d.stop()                              # SIGTERM, bounded wait

The daemon runs as `ip netns exec NS hoplited ...` (exec'd in place, so
the Popen pid is hoplited's).  Its stderr goes to a file in the work dir;
it is killed on every exit path (lab.py's child list).  Metrics listen on
127.0.0.1:PORT inside the namespace and are fetched by a one-line Python
run in that namespace.
"""

import ipaddress
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
ALLOW = ["--allow", "198.18.0.0/15", "--allow", "2001:db8::/32"]
# The journal of pending requests, in the output root (hoplited(8) FILES).
JOURNAL = ".hoplited.journal"
NAME_RE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})/"
                     r"((\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z)_"
                     r"(.+)\.jsonl$")


def find_hoplited():
    h = os.environ.get("HOPLITED")
    if not h and os.environ.get("HOPLITE"):
        h = os.path.join(os.path.dirname(os.environ["HOPLITE"]), "hoplited")
    return os.path.abspath(h) if h else None


def require_hoplited():
    """Skip (77) unless hoplited is there; sets HOPLITED (absolute)."""
    lab.hoplite_only("hoplited")
    h = find_hoplited()
    if not h:
        lab.skip("neither HOPLITED nor HOPLITE is set")
    if not (os.path.isfile(h) and os.access(h, os.X_OK)):
        lab.skip("hoplited not found at %s" % h)
    os.environ["HOPLITED"] = h
    return h


# --------------------------------------------------------------------------
# files and directories

_WORKDIRS = []


def _cleanup_workdirs():
    for w in list(_WORKDIRS):
        w.remove()


class Workdir:
    """A temp directory everyone can traverse (the daemon drops to nobody
    and must still reach its output and sockets), removed at exit."""

    def __init__(self, tag):
        if not _WORKDIRS:
            import atexit
            atexit.register(_cleanup_workdirs)
        self.root = tempfile.mkdtemp(prefix="hoplited-%s-" % tag)
        os.chmod(self.root, 0o755)
        _WORKDIRS.append(self)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def mkdir(self, name, owner=None, mode=0o755):
        p = self.path(name)
        os.makedirs(p, exist_ok=True)
        os.chmod(p, mode)
        if owner is not None:
            pw = pwd.getpwnam(owner)
            os.chown(p, pw.pw_uid, pw.pw_gid)
        return p

    def remove(self):
        if os.environ.get("LAB_KEEP"):
            lab.log("  kept %s (LAB_KEEP)" % self.root)
            _WORKDIRS.remove(self)
            return
        # chattr'd or read-only leftovers must not stop the cleanup
        for dirpath, dirnames, _ in os.walk(self.root):
            for d in dirnames:
                try:
                    os.chmod(os.path.join(dirpath, d), 0o755)
                except OSError:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)
        if self in _WORKDIRS:
            _WORKDIRS.remove(self)


def tree(root):
    """Every non-directory entry under root, as relative paths."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for f in filenames:
            out.append(os.path.relpath(os.path.join(dirpath, f), root))
    return sorted(out)


def jsonl_files(root):
    """{uuid: path} of every well-named .jsonl under root."""
    out = {}
    for rel in tree(root):
        m = NAME_RE.match(rel)
        if m:
            out[m.group(11)] = os.path.join(root, rel)
    return out


def read_file(path):
    """(raw lines with their '\\n', parsed objects or None per line)."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data.decode("utf-8", "replace").splitlines(keepends=True)
    objs = []
    for line in lines:
        try:
            o = json.loads(line)
            objs.append(o if isinstance(o, dict) else None)
        except ValueError:
            objs.append(None)
    return lines, objs


def trace_of(path):
    _, objs = read_file(path)
    return objs[2] if len(objs) == 4 and objs[2] is not None else {}


# --------------------------------------------------------------------------
# M-Lab acceptance (PROTOCOLS.md section 2)

def _mlab_checker():
    """tests/unit/mlab_check.py's checker, if it is there."""
    d = os.path.join(ROOT, "tests", "unit")
    if not os.path.isfile(os.path.join(d, "mlab_check.py")):
        return None
    if d not in sys.path:
        sys.path.insert(0, d)
    try:
        import mlab_check
    except Exception as e:  # a broken checker is reported, not fatal
        lab.log("  (tests/unit/mlab_check.py did not import: %s)" % e)
        return None
    return getattr(mlab_check, "check_file", None)


def mlab_rules(path):
    """Problems with the file under M-Lab's rules ([] when it passes):
    the shared checker's when present, plus these minimal ones."""
    probs = []
    chk = _mlab_checker()
    if chk is not None:
        try:
            try:
                r = chk(path, strict=True, name=True)
            except TypeError:
                r = chk(path)
        except Exception as e:
            r = ["mlab_check raised %r" % e]
        if r is False:
            probs.append("mlab_check.check_file: rejected")
        elif isinstance(r, (list, tuple)):
            probs += ["mlab_check: %s" % x for x in r]
        elif isinstance(r, str) and r:
            probs.append("mlab_check: " + r)
    lines, objs = read_file(path)
    if len(lines) != 4:
        return probs + ["%d lines, not 4" % len(lines)]
    for i, (line, o) in enumerate(zip(lines, objs), 1):
        if not line.endswith("\n"):
            probs.append("line %d does not end in a newline" % i)
        if o is None:
            probs.append("line %d is not a JSON object" % i)
    if None in objs:
        return probs
    meta, start, tr, stop = objs
    if not (isinstance(meta.get("UUID"), str) and meta["UUID"]):
        probs.append("line 1: UUID missing or empty")
    for k, typ in (("TracerouteCallerVersion", str), ("CachedResult", bool),
                   ("CachedUUID", str)):
        if not isinstance(meta.get(k), typ):
            probs.append("line 1: %s is not a %s" % (k, typ.__name__))
    for o, want, tkey, n in ((start, "cycle-start", "start_time", 2),
                             (stop, "cycle-stop", "stop_time", 4)):
        if o.get("type") != want:
            probs.append("line %d: type %r, not %s" % (n, o.get("type"), want))
        if o.get("list_name") != "default" or o.get("id") != 0:
            probs.append("line %d: list_name/id %r/%r" % (
                n, o.get("list_name"), o.get("id")))
        if not isinstance(o.get("hostname"), str) or not o.get("hostname"):
            probs.append("line %d: hostname" % n)
        if not isinstance(o.get(tkey), int) or isinstance(o.get(tkey), bool):
            probs.append("line %d: %s not an integer" % (n, tkey))
    if tr.get("type") not in ("trace", "tracelb"):
        probs.append("line 3: type %r" % tr.get("type"))
    if isinstance(start.get("start_time"), int) and \
            isinstance(stop.get("stop_time"), int) and \
            stop["stop_time"] < start["start_time"]:
        probs.append("cycle-stop before cycle-start")
    return probs


def check_mlab_file(ck, path, uuid, cached=False, cached_uuid="",
                    label=None):
    """The file's name and place, the 4-line rules, and hoplite's line 1.
    Returns the parsed trace object ({} when unreadable)."""
    L = label or uuid
    if not ck.ok(path is not None and os.path.isfile(path),
                 L + ": file written"):
        return {}
    m = re.search(r"(\d{4})/(\d{2})/(\d{2})/(\d{8}T\d{6}Z)_(.+)\.jsonl$",
                  path)
    if ck.ok(m is not None, L + ": name DIR/YYYY/MM/DD/YYYYMMDDTHHMMSSZ_"
             "<UUID>.jsonl", path):
        y, mo, d, stamp, u = m.groups()
        ck.eq(u, uuid, L + ": UUID in the name")
        ck.eq(stamp[:8], y + mo + d, L + ": directory is the name's date")
    probs = mlab_rules(path)
    ck.ok(not probs, L + ": M-Lab's 4-line rules", "; ".join(probs))
    lines, objs = read_file(path)
    if len(objs) != 4 or None in objs:
        return {}
    meta = objs[0]
    ck.eq(meta.get("UUID"), uuid, L + ": UUID")
    ck.ok("hoplite" in str(meta.get("TracerouteCallerVersion")),
          L + ": TracerouteCallerVersion names hoplite",
          repr(meta.get("TracerouteCallerVersion")))
    ck.eq(meta.get("CachedResult"), cached, L + ": CachedResult")
    ck.eq(meta.get("CachedUUID"), cached_uuid, L + ": CachedUUID")
    return objs[2]


def name_time(path):
    """The UTC time in a file's name, as a unix time."""
    m = re.search(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z_[^/]*$",
                  path)
    if not m:
        return None
    import calendar
    y, mo, d, H, M, S = map(int, m.groups())
    return calendar.timegm((y, mo, d, H, M, S, 0, 0, 0))


# --------------------------------------------------------------------------
# metrics (Prometheus text format)

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    """A parsed scrape: samples[(name, frozenset(labels))] = value."""

    def __init__(self, text):
        self.text = text
        self.samples = {}
        self.types = {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                parts = line.split()
                if len(parts) >= 4:
                    self.types[parts[2]] = parts[3]
                continue
            if not line.strip() or line.startswith("#"):
                continue
            m = _SAMPLE.match(line)
            if not m:
                continue
            labels = frozenset(_LABEL.findall(m.group(3) or ""))
            try:
                v = float(m.group(4))
            except ValueError:
                continue
            self.samples[(m.group(1), labels)] = v

    def get(self, name, default=None, **labels):
        return self.samples.get((name, frozenset(labels.items())), default)

    def v(self, name, **labels):
        """The value, 0 when the series does not exist (yet)."""
        return self.get(name, 0.0, **labels)

    def series(self, name):
        """[(labels dict, value)] of one metric name."""
        return [(dict(k[1]), val) for k, val in self.samples.items()
                if k[0] == name]

    def has(self, name):
        return any(k[0] == name for k in self.samples)

    def total(self, name):
        return sum(v for k, v in self.samples.items() if k[0] == name)


_FETCH = r"""
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5)
    sys.stdout.write("%d\n" % r.status + r.read().decode())
except urllib.error.HTTPError as e:
    sys.stdout.write("%d\n" % e.code)
"""


def http_get(L, node, url, timeout=10):
    """(status, body) of a GET made inside node's namespace."""
    p = L.run(node, [sys.executable, "-c", _FETCH, url], timeout=timeout)
    if p.returncode != 0 or not p.stdout:
        return None, p.stderr.strip()
    status, _, body = p.stdout.partition("\n")
    return int(status), body


# --------------------------------------------------------------------------
# the control socket

class Control:
    """One connection to the control socket; request() sends one line and
    reads one reply line (bounded)."""

    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def send_line(self, line):
        if isinstance(line, dict):
            line = json.dumps(line, separators=(",", ":"))
        if isinstance(line, str):
            line = line.encode()
        self.s.sendall(line + b"\n")

    def read_line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("control socket closed")
            self.buf += chunk
            if len(self.buf) > 1 << 20:
                raise ValueError("reply too long")
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def request(self, line):
        """The reply as a dict ({"_raw": text} when it is not JSON, or
        {"_exception": ...} when nothing came back)."""
        try:
            self.send_line(line)
            raw = self.read_line()
        except (OSError, EOFError, ValueError) as e:
            return {"_exception": repr(e)}
        try:
            o = json.loads(raw)
            return o if isinstance(o, dict) else {"_raw": raw}
        except ValueError:
            return {"_raw": raw}

    def close(self):
        self.s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# --------------------------------------------------------------------------
# the daemon

def free_port():
    # A fresh namespace has nothing listening; any port will do.  Vary it
    # so two daemons in one namespace do not collide.
    return 20000 + (os.getpid() * 7 + int(time.monotonic() * 1000)) % 20000


class Daemon:
    """hoplited in `node`'s namespace.  args: extra options.  control /
    metrics True add --control WD/NAME.sock / --metrics 127.0.0.1:PORT;
    output defaults to WD/NAME-out.  prefix: argv before hoplited (e.g.
    setpriv ...).  env: replaces the environment (plus PATH).  mode: the
    --mode given ("paris": the tests written for one-flow traces; "mda";
    None: the daemon's default, mda)."""

    def __init__(self, L, node, wd, args=(), name="d", control=True,
                 metrics=True, output=None, prefix=(), env=None,
                 allow=True, binary=None, eventserver=None, mode="paris"):
        self.L, self.node, self.wd, self.name = L, node, wd, name
        self.output = output if output is not None else \
            wd.path(name + "-out")
        self.control_path = wd.path(name + ".sock") if control is True \
            else control
        self.port = free_port() if metrics is True else metrics
        self.eventserver = eventserver
        self.binary = binary or os.environ["HOPLITED"]
        argv = list(prefix) + [self.binary]
        if self.output:
            argv += ["--output", self.output]
        if self.control_path:
            argv += ["--control", self.control_path]
        if self.port:
            argv += ["--metrics", "127.0.0.1:%d" % self.port]
        if allow:
            argv += ALLOW
        if mode:
            argv += ["--mode", mode]
        self.argv = argv + [str(a) for a in args]
        self.env = env
        self.proc = None
        self.rc = None
        self.errpath = wd.path(name + ".stderr")
        self.outpath = wd.path(name + ".stdout")

    # ---- life cycle ----------------------------------------------------

    def start(self, wait=True, timeout=15.0):
        env = None
        if self.env is not None:
            env = dict(self.env)
            env.setdefault("PATH", os.environ.get("PATH", "/usr/bin:/bin"))
        self._err = open(self.errpath, "wb")
        self._out = open(self.outpath, "wb")
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.node.ns] + self.argv,
            stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL,
            env=env)
        lab._CHILDREN.append(self.proc)
        if wait and not self.wait_ready(timeout):
            raise lab.LabError("hoplited did not come up (rc %r):\n%s\n%s" % (
                self.proc.poll(), " ".join(self.argv), self.stderr()[-2000:]))
        return self

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout=15.0):
        """Until every configured way in answers: the control socket
        accepts, the metrics endpoint serves, the event server has seen
        the daemon connect."""
        deadline = time.monotonic() + timeout
        need_ctl = bool(self.control_path)
        need_met = bool(self.port)
        need_ev = self.eventserver is not None
        while time.monotonic() < deadline:
            if not self.alive():
                return False
            if need_ctl:
                try:
                    Control(self.control_path, timeout=2).close()
                    need_ctl = False
                except OSError:
                    pass
            if need_met and not need_ctl:
                st, _ = http_get(self.L, self.node, self.url())
                need_met = st != 200
            if need_ev and self.eventserver.nclients() >= 1:
                need_ev = False
            if not (need_ctl or need_met or need_ev):
                return True
            if not need_ctl and not need_met and need_ev:
                time.sleep(0.02)
            else:
                time.sleep(0.05)
        return False

    def send_signal(self, sig=signal.SIGTERM):
        if self.alive():
            self.proc.send_signal(sig)

    def wait(self, timeout=20.0):
        """rc, or None if still running after timeout."""
        try:
            self.rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.rc

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Signal, wait (bounded), kill if it is still there; the rc
        (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            self.rc = self.proc.returncode
        else:
            self.proc.send_signal(sig)
            if self.wait(timeout) is None:
                self.kill()
                self.rc = None
        self._close_logs()
        return self.rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._close_logs()

    def _close_logs(self):
        for f in (getattr(self, "_err", None), getattr(self, "_out", None)):
            if f is not None and not f.closed:
                f.close()

    def stderr(self):
        try:
            with open(self.errpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stdout(self):
        try:
            with open(self.outpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def status(self):
        """/proc/PID/status as a dict (None once gone)."""
        try:
            with open("/proc/%d/status" % self.pid) as f:
                return dict(l.split(":", 1) for l in f.read().splitlines()
                            if ":" in l)
        except (FileNotFoundError, ProcessLookupError):
            return None

    # ---- what it did ---------------------------------------------------------

    def files(self):
        """Every file in the output tree but the journal."""
        return [f for f in tree(self.output) if f != JOURNAL]

    def journal(self):
        """The journal's lines (bytes, with their newlines), [] if none."""
        try:
            with open(os.path.join(self.output, JOURNAL), "rb") as f:
                return f.read().splitlines(keepends=True)
        except FileNotFoundError:
            return []

    def jsonl(self):
        return jsonl_files(self.output)

    def wait_file(self, uuid, timeout=10.0, interval=0.01):
        """The path of UUID's file once it is there, or None."""
        deadline = time.monotonic() + timeout
        while True:
            p = self.jsonl().get(uuid)
            if p is not None or time.monotonic() >= deadline:
                return p
            time.sleep(interval)

    def wait_files(self, uuids, timeout=10.0, interval=0.02):
        """{uuid: path} of those that appeared within timeout."""
        deadline = time.monotonic() + timeout
        want = set(uuids)
        while True:
            have = {u: p for u, p in self.jsonl().items() if u in want}
            if len(have) == len(want) or time.monotonic() >= deadline:
                return have
            time.sleep(interval)

    def control(self, timeout=10.0):
        return Control(self.control_path, timeout)

    def url(self, path="/metrics"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def scrape(self):
        """Metrics, or an empty Metrics when the scrape failed."""
        st, body = http_get(self.L, self.node, self.url())
        return Metrics(body if st == 200 else "")

    def wait_metric(self, pred, timeout=10.0, interval=0.1):
        """Scrape until pred(metrics) holds; the last scrape."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.scrape()
            if pred(m) or time.monotonic() >= deadline:
                return m
            time.sleep(interval)


# --------------------------------------------------------------------------
# helpers shared by the tests

def nobody_binary(L, node, path, wd):
    """A path to `path` that nobody can execute (a copy in wd if the build
    tree is not reachable by nobody)."""
    nb = pwd.getpwnam("nobody")
    p = L.run(node, ["setpriv", "--reuid=%d" % nb.pw_uid,
                     "--regid=%d" % nb.pw_gid, "--clear-groups",
                     "test", "-x", path], timeout=10)
    if p.returncode == 0:
        return path
    copy = wd.path(os.path.basename(path))
    shutil.copy2(path, copy)
    os.chmod(copy, 0o755)
    return copy


def wait_dropped(d, timeout=10.0):
    """Poll /proc until hoplited runs as nobody with no effective
    capabilities (then once more); the last status seen."""
    nb = pwd.getpwnam("nobody")
    last = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and d.alive():
        st = d.status()
        if st is None:
            break
        last = st
        if st.get("Uid", "").split() == [str(nb.pw_uid)] * 4 and \
                int(st.get("CapEff", "1").strip(), 16) == 0:
            time.sleep(0.05)
            return d.status() or last
        time.sleep(0.01)
    return last


def family(addr):
    return ipaddress.ip_address(addr).version


def no_crash(ck, d, label):
    """stderr has no sanitizer report or fatal message."""
    err = d.stderr()
    bad = [l for l in err.splitlines()
           if "AddressSanitizer" in l or "runtime error" in l or
           "LeakSanitizer" in l or "Segmentation" in l]
    ck.ok(not bad, label + ": no sanitizer or crash report", "\n".join(bad[:5]))
