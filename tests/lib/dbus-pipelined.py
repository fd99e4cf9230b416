#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# dbus-pipelined.py SOCKET PATH INTERFACE MEMBER: one write holding the
# EXTERNAL authentication, BEGIN and a call without arguments, as GDBus
# clients sometimes send them; prints the reply's type ("method-return" or
# "error") when it comes within 5 s, else fails saying what came.
# SPLIT=1 sends the call 0.3 s after BEGIN instead (the case that always
# worked).
import os, socket, sys, time
import gi
gi.require_version("Gio", "2.0")
from gi.repository import Gio
sock_path, path, iface, member = sys.argv[1:5]
msg = Gio.DBusMessage.new_method_call(None, path, iface, member)
msg.set_serial(1)
blob = msg.to_blob(Gio.DBusCapabilityFlags.NONE)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sock_path)
uid = str(os.getuid()).encode().hex().encode()
if os.environ.get("SPLIT"):
    s.sendall(b"\0AUTH EXTERNAL " + uid + b"\r\nBEGIN\r\n")
    time.sleep(0.3)
    s.sendall(bytes(blob))
else:
    s.sendall(b"\0AUTH EXTERNAL " + uid + b"\r\nBEGIN\r\n" + bytes(blob))
buf = b""
try:
    while b"\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("closed during the authentication: %r" % buf)
        buf += chunk
    line, rest = buf.split(b"\r\n", 1)
    if not line.startswith(b"OK "):
        sys.exit("authentication refused: %r" % line)
    while len(rest) < 16:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("closed before the reply")
        rest += chunk
    need = Gio.DBusMessage.bytes_needed(rest[:16])
    while len(rest) < need:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("closed in the reply")
        rest += chunk
    reply = Gio.DBusMessage.new_from_blob(rest[:need], Gio.DBusCapabilityFlags.NONE)
except socket.timeout:
    sys.exit("no reply within 5 s")
if reply.get_reply_serial() != 1:
    sys.exit("unexpected message: %s" % reply.print_(0))
print(reply.get_message_type().value_nick)
