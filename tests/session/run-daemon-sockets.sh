#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: the cage sockets of cloison-transferd and cloison-notifyd, without
# a session (a private dbus-daemon is the core bus).
#
#   run-daemon-sockets.sh TRANSFERD NOTIFYD PASS_FDS_PY
#
# For each daemon:
#  - started by hand, it creates every cage's socket (0600) and removes them
#    when it stops;
#  - a second instance fails with an error naming the socket in use, and the
#    first one's sockets are untouched (same inodes) and still served;
#  - given the sockets the way cloison-session passes them (LISTEN_FDS,
#    LISTEN_PID, LISTEN_FDNAMES with the cage ids; pass-fds.py), it serves
#    those very sockets, and leaves them in place when it stops;
#  - what is passed is checked: an unknown cage, a missing cage, a socket
#    that does not listen, a datagram socket, another daemon's socket, names
#    that do not match the count: exit 1 with an error saying what is wrong.
#
# "Served" means a D-Bus authentication on the socket gets "OK".
# shellcheck source=tests/cage/lib.sh
. "$(dirname "$0")/../cage/lib.sh"
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

set -u

TRANSFERD=${1:-}
NOTIFYD=${2:-}
PASS=${3:-}
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
TEST_NAME="daemon socket"
PYTHON=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3

n=0
failed=0
T=
PIDS=

cleanup() {
	# shellcheck disable=SC2086
	[ -n "$PIDS" ] && stop_pids $PIDS
	remove_tmp
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

for f in "$TRANSFERD" "$NOTIFYD"; do
	if [ -z "$f" ] || [ ! -x "$f" ]; then
		skip_with "usage: run-daemon-sockets.sh TRANSFERD NOTIFYD PASS_FDS_PY"
	fi
done
[ -f "$PASS" ] || skip_with "usage: run-daemon-sockets.sh TRANSFERD NOTIFYD PASS_FDS_PY"
command -v dbus-daemon >/dev/null 2>&1 || skip_with "dbus-daemon is not installed (tools/install-deps)"
command -v "$PYTHON" >/dev/null 2>&1 || skip_with "python3 is not installed"

private_dirs cloison-daemon-sockets
CAGES=$T/run/cloison/cages
CONF=$T/cloison.conf
cat >"$CONF" <<'EOF2'
[level low]
label=Low
colour=#00aa00
rank=0

[cage alpha]
level=low

[cage beta]
level=low
EOF2

cat >"$T/probe.py" <<'EOF2'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
    s.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
    r = s.recv(256)
except OSError as e:
    print("probe %s: %s" % (sys.argv[1], e), file=sys.stderr)
    sys.exit(1)
sys.exit(0 if r.startswith(b"OK ") else 1)
EOF2
served() { # served PATH: a D-Bus server answers on it
	"$PYTHON" "$T/probe.py" "$1"
}
inode() {
	stat -c %i "$1" 2>/dev/null
}
is_socket_0600() {
	[ -S "$1" ] && [ "$(stat -c %a "$1")" = 600 ]
}

start_bus "$T/bus" "$T/bus.log"
PIDS=$BUS_PID
[ -S "$T/bus" ] || skip_with "dbus-daemon did not start: $(cat "$T/bus.log")"

wait_ready() { # wait_ready FILE PID
	i=0
	while [ ! -s "$1" ] && [ $i -lt 100 ]; do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	grep -q '^READY=1$' "$1" 2>/dev/null
}

stop() { # stop PID: SIGTERM, wait; 0 if it exited with status 0
	kill -TERM "$1" 2>/dev/null
	wait "$1"
}

for which in transfer notify; do
	if [ $which = transfer ]; then
		D=$TRANSFERD name=cloison-transferd other=notify
	else
		D=$NOTIFYD name=cloison-notifyd other=transfer
	fi
	A=$CAGES/alpha/$which
	B=$CAGES/beta/$which

	# --- by hand -------------------------------------------------------------------
	"$D" --config "$CONF" --bus "$BUS" --ready-fd 3 3>"$T/ready" 2>"$T/$which-1.log" &
	P1=$!
	PIDS="$P1 $PIDS"
	if wait_ready "$T/ready" "$P1"; then
		ok "$name started by hand is ready"
	else
		not_ok "$name started by hand is ready"
		diag "$(cat "$T/$which-1.log")"
		continue
	fi
	check "$name started by hand creates every cage's socket, 0600" \
		sh -c "[ -S '$A' ] && [ -S '$B' ] && [ \"\$(stat -c %a '$A' '$B')\" = '600
600' ]"
	ia=$(inode "$A") ib=$(inode "$B")

	"$D" --config "$CONF" --bus "$BUS" 2>"$T/$which-2.log"
	rc=$?
	if [ $rc = 1 ] && grep -q "$A is in use: is another $name running?" "$T/$which-2.log"; then
		ok "a second $name fails, naming the socket in use: $(head -n 1 "$T/$which-2.log")"
	else
		not_ok "a second $name fails, naming the socket in use (exit $rc)"
		diag "$(cat "$T/$which-2.log")"
	fi
	check "... the first one's sockets are untouched (same inodes)" \
		test "$(inode "$A") $(inode "$B")" = "$ia $ib"
	check "... and the first one still serves both" sh -c "kill -0 $P1 && '$PYTHON' '$T/probe.py' '$A' && '$PYTHON' '$T/probe.py' '$B'"
	check "$name started by hand removes its sockets when it stops (exit 0)" \
		sh -c "kill -TERM $P1; wait $P1 2>/dev/null; for i in \$(seq 50); do [ -e '$A' ] || break; sleep 0.1; done; [ ! -e '$A' ] && [ ! -e '$B' ]"
	wait "$P1" 2>/dev/null

	# --- passed (LISTEN_FDS) -------------------------------------------------------------
	rm -f "$T/ready"
	"$PYTHON" "$PASS" "$T/ready" beta:alpha "listen:$B" "listen:$A" -- \
		"$D" --config "$CONF" --bus "$BUS" --ready-fd '{ready}' 2>"$T/$which-3.log" &
	P3=$!
	PIDS="$P3 $PIDS"
	if wait_ready "$T/ready" "$P3"; then
		ok "$name given the sockets (LISTEN_FDS, names beta:alpha) is ready"
	else
		not_ok "$name given the sockets (LISTEN_FDS, names beta:alpha) is ready"
		diag "$(cat "$T/$which-3.log")"
		continue
	fi
	ia=$(inode "$A") ib=$(inode "$B")
	check "... serves the sockets passed (both cages)" sh -c "'$PYTHON' '$T/probe.py' '$A' && '$PYTHON' '$T/probe.py' '$B'"
	check "... logs that it serves the sockets passed" grep -q "serving the 2 cage sockets passed by the session" "$T/$which-3.log"
	stop "$P3"
	rc=$?
	check "... and when it stops (exit $rc), leaves them in place (the session owns them)" \
		sh -c "[ $rc = 0 ] && [ -S '$A' ] && [ -S '$B' ] && [ \"\$(stat -c %i '$A') \$(stat -c %i '$B')\" = '$ia $ib' ]"
	rm -f "$A" "$B"

	# --- what is passed is checked ---------------------------------------------------------
	refused() { # refused DESCRIPTION MESSAGE NAMES SPEC...
		desc=$1 msg=$2 names=$3
		shift 3
		rm -f "$A" "$B" "$T/ready"
		"$PYTHON" "$PASS" "$T/ready" "$names" "$@" -- \
			"$D" --config "$CONF" --bus "$BUS" --ready-fd '{ready}' >"$T/bad.log" 2>&1
		rc=$?
		if [ $rc = 1 ] && [ ! -s "$T/ready" ] && grep -qF -- "$msg" "$T/bad.log"; then
			ok "$name refuses $desc: $(head -n 1 "$T/bad.log")"
		else
			not_ok "$name refuses $desc (exit $rc)"
			diag "$(cat "$T/bad.log")"
		fi
	}
	# shellcheck disable=SC1111 # the quotes are the message's
	refused "a socket for a cage that is not configured" "“gamma”, which is not a configured cage" \
		alpha:gamma "listen:$A" "listen:$B"
	refused "sockets for some cages only" "no socket was passed for cage beta (1 passed)" \
		alpha "listen:$A"
	refused "a socket that does not listen" "file descriptor 4 is not a listening socket" \
		alpha:beta "listen:$A" stream
	refused "a datagram socket" "file descriptor 3 is not an AF_UNIX stream socket" \
		alpha:beta dgram "listen:$B"
	refused "a file" "file descriptor 4 is not a socket" alpha:beta "listen:$A" file
	# shellcheck disable=SC1111 # the quotes are the message's
	refused "the other daemon's socket" "is bound to “$CAGES/alpha/$other”, not to $A" \
		alpha:beta "listen:$CAGES/alpha/$other" "listen:$B"
	refused "a cage named twice" "two sockets were passed for cage alpha" \
		alpha:alpha "listen:$A" "listen:$B"
	refused "names that do not match the sockets" "LISTEN_FDNAMES must name each of the LISTEN_FDS sockets" \
		alpha "listen:$A" "listen:$B"
	rm -f "$A" "$B" "$CAGES/alpha/$other"
done

echo "1..$n"
[ $failed = 0 ]
