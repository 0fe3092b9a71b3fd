#!/usr/bin/env python3
"""cli_usage: what each hoplite command says to a bad invocation.  Each
case exits 2 with nothing on stdout and two lines on stderr: "hoplite CMD:
" and the reason, then the hint "Try 'hoplite help CMD' for the options."
The options the commands share are parsed in one place (src/cli/cmd_parse.c);
these cases pin that every command keeps its own letters, ranges and words
(unknown letters, the words for letters traceroute uses otherwise, values
out of range, options another command has, checks after parsing).

Cases with a destination stop at the configuration check, before any
socket.  As root they run in an empty network namespace, so that nothing
could leave even if one did not; otherwise they are skipped."""
import os
import shutil
import subprocess
import sys

HOPLITE = os.environ.get("HOPLITE") or os.path.join(
    os.environ.get("top_builddir", os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", "..")), "src", "hoplite")
D = "198.18.0.1"

CASES = {
    "trace": [
        ([], 'no destination given'),
        (['-f', '0', '-h'], "-f '0': must be a number from 1 to 255"),
        (['-p', '0'], "-p '0': must be a number from 1 to 65535"),
        (['--sport', '0'], "--sport '0': must be a number from 1 to 65535"),
        (['-m', '0'], "-m '0': must be a number from 1 to 255"),
        (['--gap-limit', '0'],
         "--gap-limit '0': must be a number from 1 to 255"),
        (['-w', '0'], "-w '0': must be seconds from 0.001 to 60"),
        (['-N', '0'], "-N '0': must be a number from 1 to 255"),
        (['--size', '0'], "--size '0': must be a number from 1 to 1500"),
        (['-t', '256'], "-t '256': must be a number from 0 to 255"),
        (['--pps', '0'], "--pps '0': must be a number from 1 to 100000"),
        (['-c', '0'], "-c '0': must be a number from 1 to 65536"),
        (['-q', '0'], "-q '0': must be a number from 1 to 10"),
        (['-o', 'xml'], "-o 'xml': must be json or text"),
        (['-P', 'bogus'],
         "-P 'bogus': unknown method (icmp-paris, udp-paris, "
         "tcp-paris, tcp-ack-paris; icmp, udp, tcp; 1, 17, 6)"),
        (['-C', '90'], 'unknown option -C'),
        (['-F', 'bad'],
         "-F 'bad': must be a number or a range A-B within 0-65535"),
        (['--names-timeout', '0'],
         "--names-timeout '0': must be seconds from 0.001 to 60"),
        (['-W', '1'],
         'unknown option -W: the wait is -w SECONDS (fractions allowed)'),
        (['-g', '1'],
         "unknown option -g: traceroute's gateway is not supported; "
         "the gap limit is --gap-limit N"),
        (['-S', '1'], 'unknown option -S: the source port is --sport N'),
        (['-z', '1'],
         'unknown option -z: the pacing is --pps N, all destinations together'),
        (['-x'],
         'unknown option -x: checksums are always right (Paris keeps '
         'them per flow)'),
        (['-r'], 'unknown option -r: routing tables are always used'),
        (['-?'], 'unknown option -?'),
        (['--bogus=1'], 'unknown option --bogus=1'),
        (['--targets'], '--targets needs a value'),
        (['-n', '--ptr', D], '-n and --ptr contradict each other'),
        (['-p', '80', D], '-p: ICMP probes have no port (use -U or -T)'),
        (['-f', '10', '-m', '5', D],
         'first TTL 10 is above the maximum TTL 5'),
        (['--size', '10', D],
         'probe size 10 out of range 38-1500 for icmp-paris'),
        (['-T', '--size', '20', D],
         'probe size 20 out of range 40-1500 for tcp-paris'),
        (['--dport=0'], "-p '0': must be a number from 1 to 65535"),
        (['--sp', 'x'], "--sport 'x': must be a number from 1 to 65535"),
        (['--first-ttl=0'], "-f '0': must be a number from 1 to 255"),
        (['-w', 'nan'], "-w 'nan': must be seconds from 0.001 to 60"),
        (['-w', '0.0004'], "-w '0.0004': must be seconds from 0.001 to 60"),
        (['--p', '1'], 'unknown option --p'),
        (['-c'], '-c needs a value'),
        (['-P', 'bogus', '-f', '0'],
         "-P 'bogus': unknown method (icmp-paris, udp-paris, "
         "tcp-paris, tcp-ack-paris; icmp, udp, tcp; 1, 17, 6)"),
        (['-f', '0', '-P', 'bogus'], "-f '0': must be a number from 1 to 255"),
    ],
    "mda": [
        ([], 'no destination given'),
        (['-f', '0', '-h'], "-f '0': must be a number from 1 to 255"),
        (['-p', '0'], "-p '0': must be a number from 1 to 65535"),
        (['--sport', '0'], "--sport '0': must be a number from 1 to 65535"),
        (['-m', '0'], "-m '0': must be a number from 1 to 255"),
        (['--gap-limit', '0'],
         "--gap-limit '0': must be a number from 1 to 255"),
        (['-w', '0'], "-w '0': must be seconds from 0.001 to 60"),
        (['-N', '0'], "-N '0': must be a number from 1 to 255"),
        (['--size', '0'], "--size '0': must be a number from 1 to 1500"),
        (['-t', '256'], "-t '256': must be a number from 0 to 255"),
        (['--pps', '0'], "--pps '0': must be a number from 1 to 100000"),
        (['-c', '0'], "-c '0': must be a number from 1 to 65536"),
        (['-q', '0'], "-q '0': must be a number from 1 to 10"),
        (['-o', 'xml'], "-o 'xml': must be json, text or dot"),
        (['-P', 'bogus'],
         "-P 'bogus': unknown method (icmp-echo, udp-dport, "
         "udp-sport, tcp-sport, tcp-ack-sport, flowlabel)"),
        (['-C', '90'], "-C '90': must be a number from 95 to 99"),
        (['-C', '97'], "-C '97': must be 95 or 99"),
        (['--probe-gap', '-1'],
         "--probe-gap '-1': must be a number from 0 to 60000"),
        (['-Q', '0'], "-Q '0': must be a number from 1 to 65535"),
        (['-Q'], '-Q needs a value'),
        (['--cycles', '1000001'], 'unknown option --cycles'),
        (['-W', '1'],
         'unknown option -W: the wait is -w SECONDS (fractions allowed)'),
        (['-g', '1'],
         "unknown option -g: traceroute's gateway is not supported; "
         "the gap limit is --gap-limit N"),
        (['-S', '1'], 'unknown option -S: the source port is --sport N'),
        (['-z', '1'],
         'unknown option -z: the pacing is --pps N, all destinations together'),
        (['-x'],
         'unknown option -x: checksums are always right (Paris keeps '
         'them per flow)'),
        (['-r'], 'unknown option -r: routing tables are always used'),
        (['-?'], 'unknown option -?'),
        (['--bogus=1'], 'unknown option --bogus=1'),
        (['-f', '10', '-m', '5', D],
         'first TTL 10 is above the maximum TTL 5'),
        (['--size', '10', D],
         'probe size 10 out of range 38-1500 for udp-dport'),
        (['-T', '--size', '20', D],
         'probe size 20 out of range 40-1500 for tcp-sport'),
        (['-P', 'flowlabel', '-4', D], '-P flowlabel is IPv6 only'),
        (['-P', 'udp-sport', '--sport', '65530', D],
         'port base 65530 leaves fewer than 16 flows'),
        (['--dp', 'x'], "-p 'x': must be a number from 1 to 65535"),
        (['-P', 'icmp'],
         "-P 'icmp': unknown method (icmp-echo, udp-dport, udp-sport, "
         "tcp-sport, tcp-ack-sport, flowlabel)"),
        (['--pro', '1'], 'unknown option --pro'),
    ],
    "watch": [
        ([], 'no destination given'),
        (['-f', '0', '-h'], "-f '0': must be a number from 1 to 255"),
        (['-p', '0'], "-p '0': must be a number from 1 to 65535"),
        (['--sport', '0'], "--sport '0': must be a number from 1 to 65535"),
        (['-m', '0'], "-m '0': must be a number from 1 to 255"),
        (['--gap-limit', '0'],
         "--gap-limit '0': must be a number from 1 to 255"),
        (['-w', '0'], "-w '0': must be seconds from 0.001 to 60"),
        (['-N', '0'], "-N '0': must be a number from 1 to 255"),
        (['--size', '0'], "--size '0': must be a number from 1 to 1500"),
        (['-t', '256'], "-t '256': must be a number from 0 to 255"),
        (['--pps', '0'], "--pps '0': must be a number from 1 to 100000"),
        (['--concurrency', 'x'], 'unknown option --concurrency'),
        (['-o', 'xml'], "-o 'xml': must be json or text"),
        (['-P', 'bogus'],
         "-P 'bogus': unknown method (icmp-paris, udp-paris, "
         "tcp-paris, tcp-ack-paris; icmp, udp, tcp; 1, 17, 6)"),
        (['-c', '-1'], "-c '-1': must be a number from 0 to 1000000"),
        (['--interval', '0'],
         "--interval '0': must be seconds from 0.010 to 3600"),
        (['-F', 'bad'],
         "-F 'bad': must be a number or a range A-B within 0-65535"),
        (['-F', '0-64'], "-F '0-64': at most 64 flows"),
        (['-W', '1'],
         'unknown option -W: the wait is -w SECONDS (fractions allowed)'),
        (['-g', '1'],
         "unknown option -g: traceroute's gateway is not supported; "
         "the gap limit is --gap-limit N"),
        (['-S', '1'], 'unknown option -S: the source port is --sport N'),
        (['-z', '1'],
         'unknown option -z: the pacing is --pps N, all destinations together'),
        (['-x'],
         'unknown option -x: checksums are always right (Paris keeps '
         'them per flow)'),
        (['-?'], 'unknown option -?'),
        (['--bogus=1'], 'unknown option --bogus=1'),
        (['--user'], '--user needs a value'),
        (['--', '-f', '0'], 'watches exactly one destination'),
        (['-n', '--ptr', D], '-n and --ptr contradict each other'),
        (['-p', '80', D], '-p: ICMP probes have no port (use -U or -T)'),
        (['-f', '10', '-m', '5', D],
         'first TTL 10 is above the maximum TTL 5'),
        (['--size', '10', D],
         'probe size 10 out of range 38-1500 for icmp-paris'),
        (['-T', '--size', '20', D],
         'probe size 20 out of range 40-1500 for tcp-paris'),
        (['-q', '0'], 'unknown option -q'),
        ([D, '198.18.0.2', '-f', '0'],
         "-f '0': must be a number from 1 to 255"),
    ],
    "submit": [
        (['-V'], 'unknown option -V'),
        ([], 'takes exactly one IP'),
        (['--po=x'], 'unknown option --po=x'),
        (['--dp', 'x'], "--dport 'x': must be a number from 0 to 65535"),
        (['--sport', '65536'],
         "--sport '65536': must be a number from 0 to 65535"),
        (['--first-ttl=0'], 'unknown option --first-ttl=0'),
        (['-t', '-1'], "-t '-1': must be a number from 1 to 3600000"),
        (['-P', 'bogus'],
         "-P 'bogus': unknown method (icmp-paris, udp-paris, "
         "tcp-paris, tcp-ack-paris)"),
        (['-?'], 'unknown option -?'),
        (['--bogus=1'], 'unknown option --bogus=1'),
        (['-P'], '-P needs a value'),
        (['not-an-ip-at-all'],
         "IP 'not-an-ip-at-all': not a numeric IPv4 or IPv6 address"),
        (['-W', '1'], 'unknown option -W'),
    ],
}


def main():
    wrap = []
    if os.geteuid() == 0 and shutil.which("unshare"):
        wrap = ["unshare", "-n"]
    failures = checked = skipped = 0
    for cmd, cases in CASES.items():
        hint = "Try 'hoplite help %s' for the options." % cmd
        for args, why in cases:
            if D in args and not wrap:
                skipped += 1
                continue
            r = subprocess.run(wrap + [HOPLITE, cmd] + args,
                               capture_output=True, text=True, timeout=30)
            want = ["hoplite %s: %s" % (cmd, why), hint]
            checked += 1
            if (r.returncode, r.stdout, r.stderr.splitlines()) != (2, "",
                                                                    want):
                failures += 1
                print("FAIL: hoplite %s %s\n  want exit 2, %r\n"
                      "  got exit %d, stdout %r, stderr %r" %
                      (cmd, " ".join(args), want, r.returncode,
                       r.stdout[:200], r.stderr))
    print("cli_usage: %d cases checked, %d skipped (not root), %d failed" %
          (checked, skipped, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
