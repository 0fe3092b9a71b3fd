#!/usr/bin/env python3
"""Deploy files that start: what `make install` puts where, checked against
the systemd unit, the Dockerfile, .dockerignore and the Kubernetes sample.

- make install DESTDIR=A (the configured prefix) and DESTDIR=B with the
  Dockerfile's prefix: the unit's ExecStart and the ENTRYPOINT are the
  installed hoplited; `systemd-analyze verify --root` passes silently on
  both installed units; the hardening directives are there; the unit's
  user is the one sysusers.d creates.
- ldd of the installed programs, each library resolved to its Debian
  package with dpkg -S: every library the programs link directly comes
  from a package the Dockerfile's runtime stage installs, every other one
  from their dependencies; dropping any listed package is caught.
- .dockerignore keeps every tracked file and drops every build product.
- the DaemonSet: own name, metrics on 127.0.0.1 on a port free beside
  M-Lab's ndt pod and excluded by tcp-info, pinned images, output in
  /var/spool/ndt/scamper1, one event socket path on both sides.
- every HOPLITED_* variable the files set is an option of hoplited.
- make install-setcap: hoplite runs as nobody with cap_net_raw+ep.
"""
import os
import re
import shutil
import tempfile

from deploy import (BUILD, ROOT, SRC, env_known, find_installed,
                    make_env, make_install, read, run, scratch)
import lab

ck = lab.Check("test_deploy")
BASE_PKGS = {"libc6"}   # in every Debian image: the C library
WORK = scratch("deploy")


# --- the Dockerfile ---------------------------------------------------------

def parse_dockerfile(path):
    """Stages as lists of (instruction, text), continuation lines joined."""
    text = re.sub(r"\\\n", " ", read(path))
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        ins, _, rest = line.partition(" ")
        ins = ins.upper()
        if ins == "FROM":
            stages.append([])
        stages[-1].append((ins, rest.strip()))
    return stages


def apt_packages(stage):
    pkgs = []
    for ins, rest in stage:
        if ins != "RUN":
            continue
        for cmd in re.split(r"&&|;", rest):
            w = cmd.split()
            if "apt-get" in w and "install" in w:
                pkgs += [x for x in w[w.index("install") + 1:]
                         if not x.startswith("-")]
    return pkgs


def dockerfile_facts():
    stages = parse_dockerfile(os.path.join(SRC, "deploy", "Dockerfile"))
    ck.eq(len(stages), 2, "Dockerfile: a build and a runtime stage")
    build, rt = stages[0], stages[-1]
    facts = {"runtime_pkgs": apt_packages(rt)}
    image = rt[0][1].split()[0]
    facts["image"] = image
    facts["codename"] = image.split(":")[1].split("-")[0] if ":" in image else ""
    runs = " ".join(r for i, r in build if i == "RUN")
    m = re.search(r"--prefix=(\S+)", runs)
    facts["prefix"] = m.group(1) if m else "/usr/local"
    m = re.search(r"make install DESTDIR=(\S+)", runs)
    facts["destdir"] = m.group(1) if m else ""
    facts["copies"] = [r.split()[1:] for i, r in rt
                       if i == "COPY" and r.startswith("--from=")]
    ep = [r for i, r in rt if i == "ENTRYPOINT"]
    facts["entrypoint"] = re.findall(r'"([^"]*)"', ep[0])[0] if ep else ""
    env = " ".join(r for i, r in rt if i == "ENV")
    facts["env"] = dict(re.findall(r"(\w+)=(\S+)", env))
    return facts


def unit_lines(path):
    out = {}
    for line in read(path).splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


HARDENING = {
    "SystemCallFilter": "@system-service", "ProtectClock": "yes",
    "ProtectKernelLogs": "yes", "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes", "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes", "UMask": "0027", "NoNewPrivileges": "yes",
    "ProtectSystem": "strict", "CapabilityBoundingSet": "CAP_NET_RAW",
    "AmbientCapabilities": "CAP_NET_RAW",
}


def check_unit(root, label):
    unit_rel = find_installed(root, "hoplited.service", "system")
    ck.ok(unit_rel and "/lib/systemd/system/" in unit_rel,
          "%s: unit installed under lib/systemd/system" % label, str(unit_rel))
    if not unit_rel:
        return
    unit = root + unit_rel
    sbin = find_installed(root, "hoplited", "sbin")
    ck.ok(sbin is not None, "%s: hoplited installed in sbin" % label)
    u = unit_lines(unit)
    ck.eq(u.get("ExecStart"), [sbin], "%s: ExecStart is the installed "
          "hoplited" % label)
    ck.ok(os.access(root + (sbin or "/nonexistent"), os.X_OK),
          "%s: ... and executable" % label)
    for k, v in HARDENING.items():
        ck.ok(v in u.get(k, []), "%s: %s=%s" % (label, k, v), str(u.get(k)))
    ck.ok("DynamicUser" not in u, "%s: a static user (files readable by "
          "its group), not DynamicUser" % label)
    # The user the unit runs as is the one sysusers.d creates.
    su = find_installed(root, "hoplited.conf", "sysusers.d")
    ck.ok(su is not None, "%s: sysusers.d/hoplited.conf installed" % label)
    if su:
        ulines = [l.split() for l in read(root + su).splitlines()
                  if l.startswith("u ")]
        ck.ok(ulines and [ulines[0][1]] == u.get("User"),
              "%s: sysusers creates the unit's User" % label,
              "%r vs %r" % (ulines, u.get("User")))
        r = run(["systemd-sysusers", "--dry-run", "--root=" +
                 tempfile.mkdtemp(dir=WORK), root + su])
        ck.ok(r.returncode == 0 and "Creating user 'hoplite'" in
              r.stdout + r.stderr, "%s: systemd-sysusers accepts it" % label,
              r.stdout + r.stderr)
    for e in u.get("Environment", []):
        env_known(ck, e.split("=", 1)[0], "%s: unit Environment=" % label)

    # systemd-analyze resolves the unit's dependencies (sysinit.target,
    # network-online.target) in the root too: give it the host's.
    for d in ("/usr/lib/systemd/system", "/lib/systemd/system"):
        if os.path.isdir(d) and not os.path.islink(os.path.dirname(
                os.path.dirname(d))):
            dst = os.path.join(root, d.lstrip("/"))
            os.makedirs(dst, exist_ok=True)
            for n in os.listdir(d):
                if not os.path.exists(os.path.join(dst, n)):
                    p = os.path.join(d, n)
                    if os.path.islink(p):
                        os.symlink(os.readlink(p), os.path.join(dst, n))
                    elif os.path.isfile(p):
                        shutil.copy(p, dst)
    env = dict(os.environ)
    manroot = None
    for dd, _, files in os.walk(root):
        if "hoplited.8" in files:
            manroot = os.path.dirname(dd)
    have_man = shutil.which("man") is not None and manroot is not None
    if have_man:
        env["MANPATH"] = manroot
    r = run(["systemd-analyze", "verify", "--root=" + root,
             "--man=" + ("yes" if have_man else "no"), "hoplited.service"],
            env=env)
    ck.ok(r.returncode == 0 and not (r.stdout + r.stderr).strip(),
          "%s: systemd-analyze verify --root passes silently%s" %
          (label, "" if have_man else " (no man(1): Documentation= unchecked)"),
          "rc %d: %s" % (r.returncode, (r.stdout + r.stderr).strip()[:800]))


# --- libraries ----------------------------------------------------------------

def dpkg_package(path):
    """The installed package holding a library path, trying the merged-/usr
    twin and the resolved file, as dpkg records any of them."""
    cands = [path]
    if path.startswith("/usr/"):
        cands.append(path[4:])
    else:
        cands.append("/usr" + path)
    real = os.path.realpath(path)
    cands += [real, real[4:] if real.startswith("/usr/") else "/usr" + real]
    for c in cands:
        r = run(["dpkg", "-S", c])
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    return None


def dep_closure(pkgs):
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        r = run(["dpkg-query", "-W", "-f=${Pre-Depends}, ${Depends}", p])
        for alt in r.stdout.split(","):
            for dep in alt.split("|"):
                name = dep.strip().split(" ")[0].split(":")[0]
                if name:
                    todo.append(name)
    return seen


def linked(binary):
    """{soname: path}: every library ldd resolves, and the direct ones."""
    r = run(["ldd", binary])
    libs = {}
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line)
        if m:
            libs[m.group(1)] = m.group(2)
    missing = [l for l in r.stdout.splitlines() if "not found" in l]
    ck.ok(not missing, "%s: ldd finds every library" % binary,
          "\n".join(missing))
    d = run(["readelf", "-d", binary]).stdout
    direct = set(re.findall(r"\(NEEDED\).*\[(.+)\]", d))
    return libs, direct


def missing_packages(bins, runtime):
    """Direct libraries whose package the runtime list lacks, and indirect
    ones outside the list's dependency closure."""
    have = set(runtime) | BASE_PKGS
    closure = dep_closure(have)
    bad = []
    for b in bins:
        libs, direct = linked(b)
        for so, path in sorted(libs.items()):
            pkg = dpkg_package(path)
            if pkg is None:
                bad.append("%s: %s (%s) in no package" % (b, so, path))
            elif so in direct and pkg not in have:
                bad.append("%s links %s from %s" % (os.path.basename(b), so,
                                                    pkg))
            elif pkg not in closure:
                bad.append("%s needs %s from %s (no dependency of the list)"
                           % (os.path.basename(b), so, pkg))
    return bad


def check_libraries(root, df):
    osr = {}
    if os.path.exists("/etc/os-release"):
        for line in read("/etc/os-release").splitlines():
            k, _, v = line.partition("=")
            osr[k] = v.strip('"')
    rel = osr.get("VERSION_CODENAME", "")
    if not shutil.which("dpkg") or rel != df["codename"]:
        ck.note("SKIP libraries: the Dockerfile's runtime is %s, this is "
                "%s (package names differ between releases)" %
                (df["image"], rel or "not Debian"))
        return
    bins = [root + p for p in (find_installed(root, "hoplite", "bin"),
                               find_installed(root, "hoplited", "sbin"),
                               find_installed(root, "hoplite-convert", "bin"))
            if p]
    ck.eq(len(bins), 3, "three programs installed")
    runtime = df["runtime_pkgs"]
    bad = missing_packages(bins, runtime)
    ck.ok(not bad, "the runtime stage's packages (%s) hold every library "
          "the programs link" % " ".join(runtime), "\n".join(bad))
    # Not vacuous: without any one listed package, the check fails.
    for p in runtime:
        ck.ok(missing_packages(bins, [x for x in runtime if x != p]),
              "dropping %s from the list is caught" % p)
    for k in df["env"]:
        env_known(ck, k, "Dockerfile ENV")


# --- .dockerignore ------------------------------------------------------------

def dockerignore_rules():
    rules = []
    for line in read(os.path.join(SRC, ".dockerignore")).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        neg = line.startswith("!")
        pat = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        # Docker's matcher: ** spans directories, * and ? stay within one.
        rx, i = "", 0
        while i < len(pat):
            if pat.startswith("**/", i):
                rx += "(?:.*/)?"
                i += 3
            elif pat.startswith("**", i):
                rx += ".*"
                i += 2
            elif pat[i] == "*":
                rx += "[^/]*"
                i += 1
            elif pat[i] == "?":
                rx += "[^/]"
                i += 1
            else:
                rx += re.escape(pat[i])
                i += 1
        rules.append((re.compile("^" + rx + "$"), neg))
    return rules


def docker_ignored(rules, path):
    """As docker build: the last rule matching the path or a parent wins."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    out = False
    for rx, neg in rules:
        if any(rx.match(p) for p in prefixes):
            out = not neg
    return out


def check_dockerignore():
    rules = dockerignore_rules()
    for p in ("configure.ac", "Makefile.am", "m4/.gitkeep",
              "src/daemon/hoplited.c", "tools/convert/local.mk",
              "tests/unit/test_addr.c", "deploy/hoplited.service",
              "contrib/completion/hoplite.bash", "man/hoplited.8"):
        ck.ok(not docker_ignored(rules, p), ".dockerignore keeps " + p)
    for p in ("config.status", "Makefile", "src/hoplited", "src/hoplite",
              "src/util/log.o", "src/libhoplite.a", "autom4te.cache/output.0",
              "tests/unit/test_addr", "tools/convert/hoplite-convert",
              "m4/libtool.m4", ".git"):
        ck.ok(docker_ignored(rules, p), ".dockerignore drops " + p)
    if not os.path.exists(os.path.join(SRC, ".git")) or not shutil.which("git"):
        ck.note("not a git checkout: tracked/ignored file lists unchecked")
        return
    tracked = run(["git", "-C", SRC, "ls-files"]).stdout.split()
    kept_out = [p for p in tracked if docker_ignored(rules, p)]
    ck.ok(tracked and not kept_out, ".dockerignore keeps all %d tracked "
          "files" % len(tracked), " ".join(kept_out[:10]))
    products = run(["git", "-C", SRC, "ls-files", "--others", "--ignored",
                    "--exclude-standard"]).stdout.split()
    products = [p for p in products if not p.startswith(".ci")]
    let_in = [p for p in products if not docker_ignored(rules, p)]
    ck.ok(not let_in, ".dockerignore drops all %d build products in the "
          "source tree" % len(products), " ".join(let_in[:10]))


# --- Kubernetes ---------------------------------------------------------------

NDT_PORTS = {9990, 9991, 9993, 9994, 9995, 9996, 9997}  # ndt pod, not 9992


def check_k8s():
    try:
        import yaml
    except ImportError:
        ck.ok(False, "python3-yaml for the DaemonSet check")
        return
    with open(os.path.join(SRC, "deploy", "k8s-daemonset.yaml")) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    ck.eq([d["kind"] for d in docs], ["DaemonSet"], "k8s: one DaemonSet")
    ds = docs[0]
    ck.ok(ds["metadata"]["name"] not in ("ndt", ""),
          "k8s: its own DaemonSet name (%s), not ndt's" % ds["metadata"]["name"])
    spec = ds["spec"]["template"]["spec"]
    cs = {c["name"]: c for c in spec["containers"]}
    for c in spec["containers"]:
        img = c["image"]
        tag = img.rsplit(":", 1)[1] if ":" in img.split("/")[-1] else ""
        ck.ok(tag and tag != "latest", "k8s: %s pinned (%s)" % (c["name"], img))
    h = cs.get("hoplited")
    t = cs.get("tcp-info")
    ck.ok(h is not None and t is not None, "k8s: hoplited and tcp-info")
    if h is None or t is None:
        return
    version = re.search(r"AC_INIT\(\[hoplite\],\s*\[([^]]+)\]",
                        read(os.path.join(SRC, "configure.ac"))).group(1)
    ck.ok(h["image"].endswith(":" + version),
          "k8s: hoplited's image is this version (%s)" % version, h["image"])
    env = {e["name"]: e.get("value") for e in h.get("env", [])}
    for k in env:
        env_known(ck, k, "k8s env")
    metrics = env.get("HOPLITED_METRICS", "")
    m = re.match(r"^(127\.0\.0\.1|\[::1\]):(\d+)$", metrics)
    hostnet = spec.get("hostNetwork", False)
    ck.ok(not hostnet or m, "k8s: under hostNetwork, metrics on the "
          "loopback only", metrics)
    port = int(m.group(2)) if m else -1
    ck.eq(port, 9992, "k8s: hoplited's metrics on traceroute-caller's 9992")
    targs = " ".join(t.get("args", []))
    tm = re.search(r"-prometheusx\.listen-address=(\S+):(\d+)", targs)
    tport = int(tm.group(2)) if tm else -1
    ck.ok(tport not in NDT_PORTS | {port}, "k8s: tcp-info's port %d is free "
          "beside ndt's pod and hoplited" % tport)
    ex = re.search(r"-exclude-srcport=(\S+)", targs)
    excl = {int(x) for x in ex.group(1).split(",")} if ex else set()
    ck.ok({port, tport} <= excl, "k8s: tcp-info excludes the metrics ports "
          "%d, %d" % (port, tport), str(sorted(excl)))
    sock = re.search(r"-tcpinfo\.eventsocket=(\S+)", targs)
    ck.ok(sock and env.get("HOPLITED_EVENTSOCKET") == sock.group(1),
          "k8s: hoplited reads tcp-info's event socket",
          "%s vs %s" % (sock and sock.group(1), env.get("HOPLITED_EVENTSOCKET")))

    def volume_of(c, path):
        best = None
        for vm in c.get("volumeMounts", []):
            mp = vm["mountPath"].rstrip("/")
            if path == mp or path.startswith(mp + "/"):
                if best is None or len(mp) > len(best[1]):
                    best = (vm["name"], mp)
        return best and best[0]

    if sock:
        ck.ok(volume_of(h, sock.group(1)) is not None and
              volume_of(h, sock.group(1)) == volume_of(t, sock.group(1)),
              "k8s: the socket's folder is one volume in both containers")
    out = env.get("HOPLITED_OUTPUT", "")
    ck.eq(out, "/var/spool/ndt/scamper1", "k8s: output in the datatype "
          "folder ndt's pusher uploads")
    vol = volume_of(h, out)
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    hp = vols.get(vol, {}).get("hostPath", {}).get("path")
    ck.eq(hp, "/cache/data/ndt", "k8s: ... on the node's ndt data folder")


# --- setcap ---------------------------------------------------------------------

def check_setcap(root, prefix):
    if not ROOT or not shutil.which("setcap"):
        ck.note("SKIP make install-setcap: needs root and setcap")
        return
    env = make_env()
    r = run([os.environ.get("MAKE", "make"), "-s", "-C", BUILD,
             "install-setcap", "DESTDIR=" + root, "prefix=" + prefix], env=env)
    h = root + (find_installed(root, "hoplite", "bin") or "/x")
    g = run(["getcap", h]).stdout
    ck.ok(r.returncode == 0 and "cap_net_raw" in g and "ep" in g.split("cap_net_raw")[1],
          "make install-setcap: hoplite has cap_net_raw+ep", r.stderr + g)
    d = run(["getcap", root + (find_installed(root, "hoplited", "sbin") or "/x")])
    ck.eq(d.stdout.strip(), "", "make install-setcap leaves hoplited alone")
    # As nobody with the file capability: hoplite passes its CAP_NET_RAW
    # check and gets to name resolution (an unresolvable name, so nothing
    # is sent); without it, the CAP_NET_RAW message.
    os.chmod(WORK, 0o755)
    for p in (root,):
        for dd, dirs, _ in os.walk(p):
            os.chmod(dd, 0o755)
    r1 = run(["unshare", "-n", "setpriv", "--reuid=nobody", "--regid=nogroup",
              "--clear-groups", h, "trace", "no-such-host.invalid"])
    ck.ok("CAP_NET_RAW" not in r1.stderr and "no-such-host.invalid" in r1.stderr,
          "as nobody with cap_net_raw+ep, hoplite opens its sockets", r1.stderr)
    run(["setcap", "-r", h])
    r2 = run(["unshare", "-n", "setpriv", "--reuid=nobody", "--regid=nogroup",
              "--clear-groups", h, "trace", "no-such-host.invalid"])
    ck.ok(r2.returncode != 0 and "CAP_NET_RAW" in r2.stderr,
          "... and without it, hoplite says it needs CAP_NET_RAW", r2.stderr)


# --------------------------------------------------------------------------------

def main():
    try:
        df = dockerfile_facts()
        a = os.path.join(WORK, "a")
        b = os.path.join(WORK, "b")
        if make_install(ck, a):
            check_unit(a, "configured prefix")
        if make_install(ck, b, df["prefix"]):
            check_unit(b, "Dockerfile prefix " + df["prefix"])
            ep = df["entrypoint"]
            ck.ok(ep and os.access(b + ep, os.X_OK) and
                  ep == find_installed(b, "hoplited", "sbin"),
                  "Dockerfile: ENTRYPOINT %s is the installed hoplited" % ep)
            ck.ok([df["destdir"] + df["prefix"], df["prefix"]] in df["copies"],
                  "Dockerfile: the runtime stage copies the installed tree",
                  str(df["copies"]))
            check_libraries(b, df)
            check_setcap(b, df["prefix"])
        check_dockerignore()
        check_k8s()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    ck.done()


if __name__ == "__main__":
    main()
