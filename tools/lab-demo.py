#!/usr/bin/env python3
"""Trace across a built-in lab network: real Linux routers in network
namespaces, with per-flow ECMP load balancing, IPv4 and IPv6.

    src - r1 => {r2a, r2b, r2c, r2d} => r3 - dst      (4-wide fan-out)

Usage: tools/lab-demo.py [path/to/hoplite]   (root; nothing leaves the machine)
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "lab"))
import lab  # noqa: E402


def show(title, argv, rc_out_err):
    rc, out, err = rc_out_err
    print("\n$ hoplite " + " ".join(argv))
    print("# " + title)
    sys.stdout.write(out)
    if err.strip():
        sys.stdout.write(err)
    if rc != 0:
        print("(exit status %d)" % rc)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "HOPLITE", "src/hoplite")
    os.environ["HOPLITE"] = os.path.abspath(binary)
    lab.require_lab()
    lab.require_hoplite()
    with lab.Lab("demo") as L:
        topo = lab.build_fan(L, 4)
        print("Lab: src - r1 => {r2a, r2b, r2c, r2d} => r3 - dst")
        print("     dst is %s and %s; r1 balances per flow (ECMP)"
              % (topo.dst4, topo.dst6))
        runs = [
            ("ICMP Paris traceroute, IPv4",
             ["trace", "-o", "text", "-n", topo.dst4]),
            ("UDP Paris, IPv6, flows 0-3: each flow keeps one path, "
             "different flows take different branches",
             ["trace", "-o", "text", "-n", "-U", "-F", "0-3",
              topo.dst6]),
            ("TCP SYN Paris, IPv4, one JSON object per line (hoplite-json(5))",
             ["trace", "-o", "json", "-T", topo.dst4]),
            ("Multipath detection (MDA-Lite, UDP, IPv4 and IPv6): every "
             "branch of r1's balancer and which link leads where",
             ["mda", "-o", "text", "-n", "-U", topo.dst4, topo.dst6]),
            ("mtr-like report over 20 cycles with 8 UDP flows: one row per "
             "branch (address and the flows that reach it)",
             ["watch", "-n", "-r", "-c", "20", "--interval", "0.1", "-U",
              "-F", "0-7", topo.dst4]),
        ]
        for title, argv in runs:
            show(title, argv, L.run_hoplite(topo.src, argv))
        L.blackhole(topo.dst)
        argv = ["trace", "-o", "text", "-n", "-q", "2", "-w", "1", "--gap-limit", "3",
                topo.dst4]
        show("The destination now drops everything: the silent tail costs "
             "one round of timeouts (2 x 1 s), not one per silent hop",
             argv, L.run_hoplite(topo.src, argv))
    print("\nLab removed.")


if __name__ == "__main__":
    main()
