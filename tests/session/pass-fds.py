#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start a program with sockets passed the way cloison-session passes them.

    pass-fds.py READY_FILE NAMES SPEC... -- PROGRAM ARG...

Each SPEC becomes one passed file descriptor, from 3 on: "listen:PATH" a
listening AF_UNIX stream socket bound to PATH (created here), "stream" an
unbound AF_UNIX stream socket, "dgram" an AF_UNIX datagram socket, "file"
/dev/null.  NAMES is LISTEN_FDNAMES ("-": unset).  READY_FILE is opened as
the descriptor after the passed ones, and "{ready}" in the arguments is
replaced by its number.  This process becomes PROGRAM (exec), so that
LISTEN_PID is the program's pid.
"""
import os
import socket
import sys


def make(spec):
    if spec.startswith("listen:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(spec[len("listen:"):])
        s.listen(16)
        return s.detach()
    if spec == "stream":
        return socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).detach()
    if spec == "dgram":
        return socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).detach()
    if spec == "file":
        return os.open("/dev/null", os.O_RDONLY)
    sys.exit("pass-fds.py: unknown socket kind " + spec)


def main():
    args = sys.argv[1:]
    split = args.index("--")
    ready, names, specs, argv = args[0], args[1], args[2:split], args[split + 1:]
    # Out of the way of the targets first (100…), then in place (3…).
    fds = []
    for i, spec in enumerate(specs):
        fd = make(spec)
        fds.append(os.dup2(fd, 100 + i))
        os.close(fd)
    ready_fd = os.open(ready, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(ready_fd, 100 + len(fds))
    os.close(ready_fd)
    ready_fd = 100 + len(fds)
    for i, fd in enumerate(fds):
        os.dup2(fd, 3 + i)
        os.close(fd)
    target = 3 + len(fds)
    os.dup2(ready_fd, target)
    os.close(ready_fd)
    env = dict(os.environ)
    env["LISTEN_FDS"] = str(len(fds))
    env["LISTEN_PID"] = str(os.getpid())
    if names != "-":
        env["LISTEN_FDNAMES"] = names
    else:
        env.pop("LISTEN_FDNAMES", None)
    argv = [a.replace("{ready}", str(target)) for a in argv]
    os.execve(argv[0], argv, env)


main()
