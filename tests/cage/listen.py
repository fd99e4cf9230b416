#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host-side listeners for the cage tests.

    listen.py READY_FILE SPEC...

SPEC is one of:
    unix:PATH       a listening AF_UNIX stream socket at PATH
    abstract:NAME   a listening abstract AF_UNIX socket @NAME
    tcp:HOST        a listening TCP socket on HOST, port chosen by the kernel

Every connection is accepted and closed at once.  When all sockets listen,
READY_FILE is written (atomically) with one line per TCP listener,
"tcp HOST PORT", and one line "hostip ADDR" per non-loopback IPv4 address of
the host.  Runs until SIGTERM or SIGINT; removes its unix socket files then.
"""

import fcntl
import os
import selectors
import signal
import socket
import struct
import sys

SIOCGIFADDR = 0x8915


def host_ipv4_addresses():
    addrs = []
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _, name in socket.if_nameindex():
            if name == "lo":
                continue
            try:
                req = struct.pack("256s", name.encode()[:15])
                res = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, req)
                addrs.append(socket.inet_ntoa(res[20:24]))
            except OSError:
                pass
    finally:
        probe.close()
    return addrs


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    ready = sys.argv[1]
    sel = selectors.DefaultSelector()
    lines = []
    paths = []
    for spec in sys.argv[2:]:
        kind, _, arg = spec.partition(":")
        if kind == "unix":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(arg)
            paths.append(arg)
        elif kind == "abstract":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind("\0" + arg)
        elif kind == "tcp":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((arg, 0))
            lines.append("tcp %s %d" % (arg, s.getsockname()[1]))
        else:
            print("listen.py: bad spec %r" % spec, file=sys.stderr)
            return 2
        s.listen(64)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    for addr in host_ipv4_addresses():
        lines.append("hostip %s" % addr)

    running = [True]

    def stop(signum, frame):
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    tmp = ready + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    os.rename(tmp, ready)

    while running[0]:
        for key, _ in sel.select(timeout=0.5):
            try:
                conn, _ = key.fileobj.accept()
                conn.close()
            except OSError:
                pass
    for p in paths:
        try:
            os.unlink(p)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
