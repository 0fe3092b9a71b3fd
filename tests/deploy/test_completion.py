#!/usr/bin/env python3
"""bash and zsh completion, as `make install` installs them: they load
without errors, complete subcommands, options and their values, offer
every long option each program's --help lists, and no option the program
rejects (so the lists follow the programs).
"""
import os
import re
import shutil

from deploy import (CONVERT, HOPLITE, HOPLITED, make_install, run, scratch)
import lab

ck = lab.Check("test_completion")
WORK = scratch("completion")
BIN_PATH = os.path.dirname(CONVERT) + ":" + os.environ.get("PATH",
                                                           "/usr/bin:/bin")


def help_longopts(argv):
    r = run(argv)
    return r.returncode, set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)",
                                        r.stdout + r.stderr))


def rejected(argv):
    """The program's getopt does not know the last argument."""
    r = run(argv)
    e = r.stderr
    return "unrecognized option" in e or "invalid option" in e


BASH_T = r'''
source "$1"
t() { COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); COMPREPLY=(); _hoplite
      printf '%s\n' "${COMPREPLY[*]}"; }
'''


def bash_complete(bashfile, words):
    script = BASH_T + "t " + " ".join("'%s'" % w for w in words) + "\n"
    r = run(["bash", "--norc", "--noprofile", "-c", script, "bash", bashfile],
            env=dict(os.environ, PATH=BIN_PATH))
    ck.ok(not r.stderr, "bash: no errors completing %r" % words, r.stderr)
    return r.stdout.split()


def check_bash(root):
    comp = None
    for d, _, files in os.walk(root):
        if d.endswith("bash-completion/completions"):
            comp = d
    ck.ok(comp is not None, "bash: completions installed")
    if comp is None:
        return
    names = sorted(os.listdir(comp))
    ck.eq(names, ["hoplite", "hoplite-convert", "hoplited"],
          "bash: one file per command name (bash-completion loads by name)")
    f = os.path.join(comp, "hoplite")
    r = run(["bash", "--norc", "--noprofile", "-c",
             'source "$1" && complete -p hoplite hoplited hoplite-convert',
             "bash", f])
    ck.ok(r.returncode == 0 and not r.stderr and r.stdout.count("_hoplite") == 3,
          "bash: loads without errors and registers three commands",
          r.stdout + r.stderr)
    cases = [
        (["hoplite", "tr"], ["trace"]),
        (["hoplite", "su"], ["submit"]),
        (["hoplite", "md"], ["mda"]),
        (["hoplite", "wa"], ["watch"]),
        (["hoplite", "help", "w"], ["watch"]),
        (["hoplite", "watch", "--rep"], ["--report"]),
        (["hoplite", "trace", "-P", "udp"], ["udp-paris"]),
        (["hoplite", "trace", "--method", "=", "tcp-a"], ["tcp-ack-paris"]),
        (["hoplite", "trace", "-o", ""], ["json", "text"]),
        (["hoplite", "mda", "-o", ""], ["json", "text", "dot"]),
        (["hoplite", "mda", "-C", ""], ["95", "99"]),
        (["hoplite", "mda", "--fl"], ["--flowlabel-fixed"]),
        (["hoplite", "mda", "--pro"], ["--probe-gap", "--probec-max"]),
        (["hoplite", "mda", "--fu"], ["--full"]),
        (["hoplite", "submit", "--so"], ["--socket"]),
        (["hoplited", "--anonymize", ""], ["none", "netblock"]),
        (["hoplited", "--max-i"], ["--max-inflight"]),
        (["hoplite-convert", "-f", "it"], ["itdk"]),
        (["hoplite-convert", "merge", "--str"], []),
        (["hoplite-convert", "--str"], ["--strict"]),
    ]
    for words, want in cases:
        ck.eq(bash_complete(f, words), want, "bash: %s" % " ".join(words))
    # Every long option of each --help is offered, and none the program
    # rejects (so the lists follow the programs).
    progs = [("trace", [HOPLITE, "trace"]), ("submit", [HOPLITE, "submit"]),
             ("watch", [HOPLITE, "watch"]),
             ("hoplited", [HOPLITED]), ("convert", [CONVERT])]
    rc, _ = help_longopts([HOPLITE, "mda", "--help"])
    if rc == 0:
        progs.append(("mda", [HOPLITE, "mda"]))
    else:
        ck.note("hoplite mda is not built here: its options unchecked "
                "against --help")
    for key, base in progs:
        lead = {"trace": ["hoplite", "trace"], "submit": ["hoplite", "submit"],
                "mda": ["hoplite", "mda"], "watch": ["hoplite", "watch"],
                "hoplited": ["hoplited"],
                "convert": ["hoplite-convert"]}[key]
        offered = set(bash_complete(f, lead + ["-"]))
        _, helped = help_longopts(base + ["--help"])
        ck.ok(helped and helped <= offered, "bash: %s offers every long "
              "option of its --help" % " ".join(lead),
              " ".join(sorted(helped - offered)))
        bad = [o for o in sorted(offered) if rejected(base + [o])]
        ck.ok(not bad, "bash: %s offers no option it rejects" %
              " ".join(lead), " ".join(bad))
    return f


ZSH_T = r'''
zmodload zsh/zpty || exit 1
zpty z 'zsh -f -i'
zpty -w z 'PS1="%% "; fpath=(%s $fpath); path=(%s $path); autoload -Uz compinit; compinit -u -D; print READY'
zpty -r -m z out '*READY*' || exit 1
try() {
	local out chunk i
	zpty -w -n z "$1"$'\t'
	out=
	for i in {1..40}; do
		zpty -r -t z chunk && out+=$chunk
		[[ $out == *$2* ]] && break
		sleep 0.05
	done
	print -r -- "${${out//$'\r'/}//$'\n'/ }"
	zpty -w -n z $'\C-u'
	sleep 0.1
	zpty -r -t z chunk
}
'''


ANSI = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|[=>])|[^\x20-\x7e\n]")


def check_zsh(root):
    if not shutil.which("zsh"):
        ck.note("SKIP zsh: not installed")
        return
    d = None
    for dd, _, files in os.walk(root):
        if "_hoplite" in files:
            d = dd
    ck.ok(d is not None and d.endswith("zsh/site-functions"),
          "zsh: _hoplite installed in zsh/site-functions", str(d))
    if d is None:
        return
    r = run(["zsh", "-n", os.path.join(d, "_hoplite")])
    ck.ok(r.returncode == 0 and not r.stderr, "zsh: _hoplite parses", r.stderr)
    r = run(["zsh", "-f", "-c",
             'fpath=(%s $fpath); autoload -Uz compinit && compinit -u -D && '
             'print -r -- $_comps[hoplite] $_comps[hoplited] '
             '$_comps[hoplite-convert] && autoload +X _hoplite' % d])
    ck.ok(r.returncode == 0 and not r.stderr and
          r.stdout.split() == ["_hoplite"] * 3,
          "zsh: compinit registers _hoplite for the three commands",
          r.stdout + r.stderr)
    cases = [("hoplite tr", "trace"), ("hoplited --anon", "--anonymize="),
             ("hoplite-convert -f grap", "graphml"),
             ("hoplite mda -o ", "json"), ("hoplite trace --meth", "--method=")]
    script = ZSH_T % (d, os.path.dirname(CONVERT)) + "".join(
        "try '%s' '%s'\n" % c for c in cases) + "zpty -d z\n"
    r = run(["zsh", "-f", "-c", script], timeout=60)
    outs = [ANSI.sub("", l) for l in r.stdout.splitlines()]
    ck.eq(len(outs), len(cases), "zsh: every completion ran")
    for (typed, want), got in zip(cases, outs):
        ck.ok(want in got, "zsh: %r completes to %s" % (typed, want), got)
    r = run(["zsh", "-f", "-c", script.replace(
        "".join("try '%s' '%s'\n" % c for c in cases),
        "try 'hoplite mda -o ' 'text'\n")], timeout=60)
    ck.ok(all(w in ANSI.sub("", r.stdout) for w in ("json", "text", "dot")),
          "zsh: hoplite mda -o lists json, text, dot", r.stdout)


def main():
    try:
        root = os.path.join(WORK, "root")
        if make_install(ck, root):
            check_bash(root)
            check_zsh(root)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    ck.done()


if __name__ == "__main__":
    main()
