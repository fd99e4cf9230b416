#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: the compositor's security events, from their real triggers.
#
#   run-compositor-events.sh COMPOSITOR CL_TEST_TOPLEVEL CL_TEST_GLOBALS RECORDER
#
# A private dbus-daemon is the core bus and cl-test-event-recorder owns
# org.cloison.Notify1 on it; cloison-compositor runs headless with
# CLOISON_CORE_BUS_ADDRESS pointing there.  Cage clients then break the
# protocol (a wl_shm pool of size 0), bind the hidden zcloison_shell_v1 by
# number, and open more windows than the per-client limit; each must yield
# one event naming the cage and what happened.  A loop of bad clients
# (cl-test-globals guessing every hidden name, hundreds of connections) must
# yield a handful of events and "N more" summaries, not one per client.  A
# compositor without the variable must work and post nothing.
set -u

# shellcheck source=tests/compositor/lib.sh
. "$(dirname "$0")/../compositor/lib.sh"
# shellcheck source=tests/events/events-lib.sh
. "$(dirname "$0")/events-lib.sh"

COMP=${1:-}
TOPLEVEL=${2:-}
GLOBALS=${3:-}
RECORDER=${4:-}
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
WIDTH=1280
HEIGHT=720
LOW=00aa00
HIGH=cc0000

n=0
failed=0
skip_reason=
MSG=
T=
PIDS=
COMP_PID=
DBUS_PID=
RECORDER_PID=
TIMEOUT=
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout -k 2"

cleanup() {
	for pid in $PIDS $COMP_PID; do
		stop_pid "$pid"
	done
	stop_pids $RECORDER_PID $DBUS_PID
	if [ -n "$T" ] && [ -d "$T" ] && [ "${CLOISON_TEST_KEEP:-0}" != 1 ]; then
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

for f in "$COMP" "$TOPLEVEL" "$GLOBALS" "$RECORDER"; do
	if [ -z "$f" ] || [ ! -x "$f" ]; then
		skip_reason="${f:-a program} is not built"
	fi
done
if [ -z "$skip_reason" ] && ! command -v dbus-daemon >/dev/null 2>&1; then
	skip_reason="dbus-daemon is not installed (tools/install-deps)"
fi
if [ -z "$skip_reason" ] && ! command -v mkfifo >/dev/null 2>&1; then
	skip_reason="mkfifo is not installed"
fi

if [ -z "$skip_reason" ]; then
	T=$(mktemp -d "${TMPDIR:-/tmp}/cloison-events-comp.XXXXXX") || exit 1
	chmod 0700 "$T"
	RUN=$T/run
	mkdir -m 0700 "$RUN"
	CONF=$T/cloison.conf
	write_config
fi

c_start() {
	if ! start_core_bus "$T" "$RECORDER"; then
		MSG="the core bus or the recorder did not start: $(cat "$T/dbus.log" "$T/recorder.err")"
		return 1
	fi
	CLOISON_CORE_BUS_ADDRESS=$BUS start_compositor "$RUN" "$T/comp.log" --verbose || return 1
	COMP_PID=$STARTED_PID
	# Nothing is posted, and the bus not even connected, before an event.
	if grep -q "core bus: connecting" "$T/comp.log" || [ -s "$EVENTS" ]; then
		MSG="the compositor connected or posted before any event"
		return 1
	fi
	return 0
}

c_protocol_error() {
	WAYLAND_DISPLAY=$RUN/cloison/cages/beta/wayland-0 $TIMEOUT 20 "$GLOBALS" --protocol-error \
		>"$T/perr.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		MSG="cl-test-globals --protocol-error: exit $rc: $(cat "$T/perr.out")"
		return 1
	fi
	event warning compositor.protocol-error beta "broke the protocol on wl_shm (error " ||
		return 1
	event warning compositor.protocol-error beta "Cage beta: a client was disconnected" ||
		return 1
	MSG="$(tr "\n" " " <"$T/perr.out"); $(awk -F'\t' '$3 == "compositor.protocol-error" { print $6; exit }' "$EVENTS")"
}

c_limit() {
	WAYLAND_DISPLAY=$RUN/cloison/cages/beta/wayland-0 $TIMEOUT 30 "$TOPLEVEL" --title many \
		--size 32x32 --count 70 >"$T/many.out" 2>"$T/many.err"
	event warning compositor.limit beta "Cage beta hit a limit: more than 64 windows" || return 1
	event warning compositor.limit beta "went past a limit (more than 64 windows) and was disconnected" ||
		return 1
	# The limit's event only: its protocol error is the same incident
	# (not even offered to the coalescing).
	if grep -q "compositor.protocol-error of cage beta coalesced" "$T/comp.log"; then
		MSG="the limit was also posted as a protocol error"
		return 1
	fi
}

c_hidden_flood() {
	WAYLAND_DISPLAY=$RUN/cloison/cages/alpha/wayland-0 $TIMEOUT 120 "$GLOBALS" --expect-hidden \
		>"$T/flood.out" 2>"$T/flood.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		MSG="cl-test-globals exit $rc: $(tail -n 3 "$T/flood.out" "$T/flood.err")"
		return 1
	fi
	refused=$(sed -n 's/^error [0-9]*: \([0-9]*\) binds refused.*/\1/p' "$T/flood.out" |
		awk '{ s += $1 } END { print s + 0 }')
	event critical compositor.hidden-protocol alpha "tried to bind zcloison_shell_v1, a protocol cages are not offered" ||
		return 1
	MSG="$refused bad clients"
}

c_coalesced() {
	# The windows end after CL_EVENT_LIMIT_WINDOW_US (5 s): then "N more".
	event warning compositor.protocol-error alpha "more clients of cage alpha disconnected for protocol errors" 80 ||
		return 1
	perr=$(count_events compositor.protocol-error alpha)
	hidden=$(count_events compositor.hidden-protocol alpha)
	total=$(grep -c '^post' "$EVENTS")
	MSG="$refused bad clients gave $perr protocol-error and $hidden hidden-protocol events ($total posts in all)"
	[ "$refused" -gt 100 ] && [ "$perr" -le 6 ] && [ "$hidden" -le 2 ] && [ "$total" -le 20 ] &&
		! grep -q '^refused' "$EVENTS"
}

c_no_bus() {
	# The compositor is still there and serves clients normally.
	if ! kill -0 "$COMP_PID" 2>/dev/null; then
		MSG="the compositor died"
		return 1
	fi
	stop_pid "$COMP_PID"
	COMP_PID=
	# notifyd absent: the Post fails quietly, nothing else changes.
	stop_pids "$RECORDER_PID"
	RECORDER_PID=
	CLOISON_CORE_BUS_ADDRESS=$BUS start_compositor "$RUN" "$T/comp2.log" || return 1
	COMP_PID=$STARTED_PID
	WAYLAND_DISPLAY=$RUN/cloison/cages/beta/wayland-0 $TIMEOUT 20 "$GLOBALS" --protocol-error \
		>/dev/null 2>&1
	WAYLAND_DISPLAY=$RUN/cloison/cages/beta/wayland-0 $TIMEOUT 20 "$TOPLEVEL" --title ok \
		--size 32x32 --quit-after-configure >"$T/ok.out" 2>&1 || {
		MSG="a client fails once a post failed: $(cat "$T/ok.out")"
		return 1
	}
	kill -0 "$COMP_PID" 2>/dev/null || {
		MSG="the compositor died without notifyd"
		return 1
	}
	stop_pid "$COMP_PID"
	COMP_PID=
	# Unset: no connection at all.
	start_compositor "$RUN" "$T/comp3.log" --verbose || return 1
	COMP_PID=$STARTED_PID
	WAYLAND_DISPLAY=$RUN/cloison/cages/beta/wayland-0 $TIMEOUT 20 "$GLOBALS" --protocol-error \
		>/dev/null 2>&1
	sleep 0.5
	if grep -q "core bus\|security event" "$T/comp3.log"; then
		MSG="without CLOISON_CORE_BUS_ADDRESS: $(grep "core bus\|security event" "$T/comp3.log" | head -n 2)"
		return 1
	fi
	MSG="without notifyd and without the variable: clients served, nothing posted"
}

check "compositor starts with a core bus and does not connect before an event" c_start
if [ -z "$skip_reason" ] && [ -z "$COMP_PID" ]; then
	skip_reason="the compositor did not start"
	diag "$(tail -n 20 "$T/comp.log" 2>/dev/null)"
fi
check "a cage client's protocol error: one warning naming the cage, interface and error" \
	c_protocol_error
check "a per-client limit (65th window): one limit event naming it, no second event" c_limit
check "binding the hidden zcloison_shell_v1 by number: a critical event naming it" \
	c_hidden_flood
check "a loop of bad clients is coalesced per cage and category, then 'N more'" c_coalesced
check "notifyd absent or no core bus: the compositor is unaffected" c_no_bus
if [ -n "$T" ] && grep -q "Sanitizer\|runtime error" "$T"/comp*.log 2>/dev/null; then
	check "no sanitizer report in the compositor's logs" false
	diag "$(grep -h -A5 "Sanitizer\|runtime error" "$T"/comp*.log | head -n 30)"
fi

echo "1..$n"
[ $failed -eq 0 ]
