#!/usr/bin/env python3
"""tcpinfo_server: a stand-in for tcp-info's event socket (the producer).

Speaks the format of ../shared/PROTOCOLS.md section 1: an AF_UNIX stream
socket the producer listens on; any number of consumers connect and only
read; every event goes to every connected consumer as one compact JSON
object per line.  Open carries the flow in `ID`, Close only the UUID
(`ID` null).

Used in-process by the daemon tests (a thread accepts; writes happen in
the caller's thread, under a lock, like tcp-info's):

    srv = TcpInfoServer(path).start()
    srv.wait_clients(1)
    srv.open(uuid, src, sport, dst, dport)
    srv.close(uuid)
    srv.raw(b"junk\\n")          # anything, byte for byte
    srv.stop(); srv.start()      # the producer going away and coming back

By hand: `python3 tcpinfo_server.py PATH` forwards stdin lines to every
consumer.  Stdlib only.
"""

import datetime
import json
import os
import select
import socket
import sys
import threading
import time

OPEN, CLOSE = 0, 1


def timestamp(t=None):
    """RFC 3339 in UTC with nanoseconds, as tcp-info prints it."""
    t = time.time() if t is None else t
    sec = int(t)
    ns = int(round((t - sec) * 1e9))
    if ns >= 1000000000:
        sec, ns = sec + 1, ns - 1000000000
    d = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % ns


def event_line(event, uuid, flow=None, ts=None, cookie=0):
    """One event as tcp-info writes it (compact JSON and '\\n')."""
    obj = {"Event": event, "Timestamp": timestamp(ts), "UUID": uuid,
           "ID": flow}
    if flow is not None:
        obj["ID"] = dict(flow)
        obj["ID"].setdefault("Interface", 0)
        obj["ID"].setdefault("Cookie", cookie)
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


class TcpInfoServer:
    """The producer side.  Send timeouts bound every write: a consumer
    that does not read for `send_timeout` seconds is disconnected (real
    tcp-info would block forever; a test must not)."""

    def __init__(self, path, send_timeout=5.0):
        self.path = path
        self.send_timeout = send_timeout
        self.lock = threading.Lock()
        self.clients = []
        self.accepted = 0        # consumers ever accepted
        self.sent = []           # (monotonic time, line) of every write
        self._lsock = None
        self._thread = None
        self._stop_r = self._stop_w = None

    # ---- life cycle ------------------------------------------------------

    def start(self):
        """Listen (again, after stop()).  The socket is 0666 so a daemon
        that dropped to another user can still connect."""
        if self._lsock is not None:
            return self
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.path)
        os.chmod(self.path, 0o666)
        s.listen(128)
        self._lsock = s
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._accept_loop,
                                        name="tcpinfo-accept", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Close every consumer and the listening socket; remove the path
        (consumers see EOF, then connection refused/absent)."""
        if self._lsock is None:
            return
        os.write(self._stop_w, b"x")
        self._thread.join(timeout=5)
        os.close(self._stop_r)
        os.close(self._stop_w)
        self._lsock.close()
        self._lsock = None
        with self.lock:
            for c in self.clients:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
            self.clients = []
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def restart(self):
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def _accept_loop(self):
        while True:
            r, _, _ = select.select([self._lsock, self._stop_r], [], [], 1.0)
            if self._stop_r in r:
                return
            if self._lsock not in r:
                continue
            try:
                c, _ = self._lsock.accept()
            except OSError:
                continue
            c.settimeout(self.send_timeout)
            with self.lock:
                self.clients.append(c)
                self.accepted += 1

    # ---- consumers ---------------------------------------------------------

    def nclients(self):
        """Connected consumers (those that hung up are noticed here)."""
        with self.lock:
            alive = []
            for c in self.clients:
                try:
                    # Consumers never write: readable means EOF (gone).
                    r, _, _ = select.select([c], [], [], 0)
                    if r and c.recv(1, socket.MSG_PEEK) == b"":
                        c.close()
                        continue
                except OSError:
                    c.close()
                    continue
                alive.append(c)
            self.clients = alive
            return len(alive)

    def wait_clients(self, n=1, timeout=10.0, accepted_at_least=None):
        """Until n consumers are connected (and, if given, at least
        `accepted_at_least` were ever accepted); True if so in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.nclients() >= n and (accepted_at_least is None or
                                         self.accepted >= accepted_at_least):
                return True
            time.sleep(0.02)
        return False

    # ---- writing -----------------------------------------------------------

    def raw(self, data):
        """Write bytes to every consumer as they are; returns the monotonic
        time the write finished.  A consumer whose write fails is dropped."""
        if isinstance(data, str):
            data = data.encode()
        with self.lock:
            keep = []
            for c in self.clients:
                try:
                    c.sendall(data)
                    keep.append(c)
                except OSError:
                    c.close()
            self.clients = keep
            t = time.monotonic()
            self.sent.append((t, data))
            return t

    def open(self, uuid, src, sport, dst, dport, ts=None, cookie=None):
        flow = {"SPort": int(sport), "DPort": int(dport), "SrcIP": src,
                "DstIP": dst, "Interface": 0,
                "Cookie": cookie if cookie is not None else
                (hash(uuid) & 0x7fffffffffff)}
        return self.raw(event_line(OPEN, uuid, flow, ts))

    def close(self, uuid, ts=None):
        return self.raw(event_line(CLOSE, uuid, None, ts))

    def flow(self, uuid, src, sport, dst, dport):
        """Open then Close in one write (a short test); returns the time
        the Close was written."""
        flow = {"SPort": int(sport), "DPort": int(dport), "SrcIP": src,
                "DstIP": dst}
        return self.raw(event_line(OPEN, uuid, flow) +
                        event_line(CLOSE, uuid))


def main(argv):
    if len(argv) != 2:
        print("usage: tcpinfo_server.py PATH  (stdin lines go to every "
              "consumer)", file=sys.stderr)
        return 2
    with TcpInfoServer(argv[1]) as srv:
        for line in sys.stdin.buffer:
            srv.raw(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
