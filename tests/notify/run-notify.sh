#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: cloison-notifyd end to end.
#
#   run-notify.sh NOTIFYD FORWARD CLOISON_CAGE CAGE_INIT CLIENT
#
# A private dbus-daemon is the core bus; a real cloison-notifyd serves the
# cages' notify sockets; cl-test-notify talks to those sockets directly from
# the host (the socket is the cage's identity, so this is what a process in
# that cage could do) and to the core bus as the bar would, and records every
# NotifyDisplay1 signal.  notify-send then runs inside real cages
# (`cloison-cage run CAGE -- notify-send …`, as the cloison-cage account
# under root), activating cloison-notify-forward on the cage's own bus.
# Placeholder listeners stand for the compositor's and the broker's sockets.
# Each group of checks uses its own cages, so that one group's use of the
# per-cage rate limit does not affect the next.
#
# Without dbus-daemon every test is skipped; without usable cages the
# in-cage tests are skipped; under CLOISON_TESTS_MUST_RUN=1 both fail.
# Everything started is stopped by pid.
# shellcheck source=tests/cage/lib.sh
. "$(dirname "$0")/../cage/lib.sh"
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

set -u

NOTIFYD=${1:-}
FORWARD=${2:-}
CAGE_BIN=${3:-}
CAGE_INIT=${4:-}
CLIENT=${5:-}
HERE=$(cd "$(dirname "$0")" && pwd)
LISTEN=$HERE/../cage/listen.py
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
TEST_NAME=notify
PYTHON=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3

n=0
failed=0
skip_reason=
T=
NOTIFYD_PID=
WATCH_PID=
LISTENER_PID=
DBUS_PID=
ACT_PID=

cleanup() {
	# shellcheck disable=SC2086
	stop_pids $ACT_PID $WATCH_PID $NOTIFYD_PID $LISTENER_PID $DBUS_PID
	remove_tmp
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

skip() {
	if [ "$MUST_RUN" = 1 ]; then
		not_ok "$1 (cannot run: $skip_reason)"
	else
		n=$((n + 1))
		echo "ok $n - $1 # SKIP $skip_reason"
	fi
}


# client_tap ARGS...: run cl-test-notify, its PASS/FAIL lines become TAP.
client_tap() {
	"$CLIENT" "$@" >"$T/client.out" 2>"$T/client.err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"PASS "*) ok "${line#PASS }" ;;
		"FAIL "*) not_ok "${line#FAIL }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$T/client.out"
	if [ $rc -gt 1 ] || ! grep -q '^PASS\|^FAIL' "$T/client.out"; then
		not_ok "cl-test-notify $1 ran (status $rc)"
		diag "$(cat "$T/client.err")"
	fi
}

# wait_grep PATTERN FILE [TENTHS]: up to 20 s (or TENTHS/10 s) for a line to
# appear (a bound for a loaded machine, not a measurement).
wait_grep() {
	i=0
	while ! grep -q -- "$1" "$2" 2>/dev/null && [ $i -lt "${3:-200}" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q -- "$1" "$2"
}

# --- prerequisites -----------------------------------------------------------

for f in "$NOTIFYD" "$FORWARD" "$CLIENT"; do
	if [ -z "$f" ] || [ ! -x "$f" ]; then
		skip_reason="usage: run-notify.sh NOTIFYD FORWARD CLOISON_CAGE CAGE_INIT CLIENT"
		skip_all
	fi
done
if ! command -v dbus-daemon >/dev/null 2>&1; then
	skip_reason="dbus-daemon is not installed (tools/install-deps)"
	skip_all
fi
CAGES_OK=1
if ! cage_prereqs "$CAGE_BIN" "$CAGE_INIT"; then
	CAGES_OK=0
elif ! command -v notify-send >/dev/null 2>&1; then
	CAGES_OK=0
	skip_reason="notify-send is not installed (libnotify-bin, tools/install-deps)"
fi
CAGE_SKIP_REASON=$skip_reason

# --- set-up --------------------------------------------------------------------

private_dirs cloison-notify-test
CAGES="alpha beta sa sb ha hb fl"
export CLOISON_CAGE_INIT="$CAGE_INIT" CLOISON_NOTIFY_FORWARD="$FORWARD"

CONF=$T/cloison.conf
{
	cat <<EOF
[level low]
label=Low
colour=#2e7d32
rank=0

[level high]
label=High
colour=#c62828
rank=10
EOF
	for c in alpha sa ha fl; do
		printf '\n[cage %s]\nlevel=low\napplications=\n' "$c"
	done
	for c in beta sb hb; do
		printf '\n[cage %s]\nlevel=high\napplications=\n' "$c"
	done
} >"$CONF"

start_bus "$T/bus" "$T/dbus.log"
DBUS_PID=$BUS_PID
if ! [ -S "$T/bus" ]; then
	diag "dbus-daemon did not start:" "$(cat "$T/dbus.log")"
	echo "1..1"
	echo "not ok 1 - set-up"
	exit 1
fi

start_notifyd() {
	rm -f "$T/notifyd-ready"
	"$NOTIFYD" --config "$CONF" --bus "$BUS" --ready-fd 3 --verbose 3>"$T/notifyd-ready" \
		2>>"$T/notifyd.log" &
	NOTIFYD_PID=$!
	i=0
	while [ ! -s "$T/notifyd-ready" ] && [ $i -lt 100 ]; do
		kill -0 "$NOTIFYD_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$T/notifyd-ready" ]
}

if ! start_notifyd; then
	diag "cloison-notifyd did not start:" "$(tail -n 20 "$T/notifyd.log")"
	echo "1..1"
	echo "not ok 1 - cloison-notifyd starts"
	exit 1
fi
"$CLIENT" watch "$BUS" "$T/shown.log" "$T/watch-ready" 2>"$T/watch.err" &
WATCH_PID=$!
if ! wait_file "$T/watch-ready"; then
	diag "cl-test-notify watch did not start:" "$(cat "$T/watch.err")"
	echo "1..1"
	echo "not ok 1 - the display watcher starts"
	exit 1
fi
S=$RUN/cloison/cages

# --- the service ------------------------------------------------------------------

check "the notify sockets exist, 0600" \
	test "$(stat -c %a "$S/alpha/notify")" = 600 -a -S "$S/hb/notify"
"$NOTIFYD" --config "$CONF" --bus "$BUS" 2>"$T/second.err"
rc=$?
check "a second cloison-notifyd refuses the sockets in use" \
	sh -c "[ $rc != 0 ] && grep -q 'in use' '$T/second.err'"

client_tap spec "$S/sa/notify" "$S/sb/notify" "$BUS" sa
client_tap hostile "$S/ha/notify" "$S/hb/notify" "$BUS" ha
client_tap invalid-utf8 "$S/ha/notify"
# A call sent in the same write as the authentication's BEGIN (GDBus clients
# under load, the forwarder among them) is answered: sd-bus kept it in its
# buffer until the client sent more.
check "a call sent with the authentication's BEGIN is answered at once" \
	sh -c "'$PYTHON' '$HERE/../lib/dbus-pipelined.py' '$S/sa/notify' /org/freedesktop/Notifications \
		org.freedesktop.Notifications GetServerInformation >'$T/pipelined.out' 2>&1 &&
		grep -qx method-return '$T/pipelined.out'"
check "cloison-notifyd is still running after the hostile clients" kill -0 "$NOTIFYD_PID"
check "the invalid UTF-8 notification was never shown" \
	sh -c "! grep -q 'summary=bad' '$T/shown.log'"
check "the oversized one neither" sh -c "! grep -q 'summary=oversized' '$T/shown.log'"

out=$("$CLIENT" post "$BUS" bogus transfer.denied s b "")
check "Post with a bad severity is InvalidArgs naming it" \
	sh -c "echo '$out' | grep -q 'InvalidArgs.*bogus'"
out=$("$CLIENT" post "$BUS" warning no.such.category s b "")
check "Post with a bad category is InvalidArgs naming it" \
	sh -c "echo '$out' | grep -q 'InvalidArgs.*no.such.category'"
out=$("$CLIENT" post "$BUS" warning transfer.denied s b nosuchcage)
check "Post naming an unknown cage is InvalidArgs" \
	sh -c "echo '$out' | grep -q 'InvalidArgs.*nosuchcage'"
out=$("$CLIENT" post "$BUS" critical cage.seccomp "seccomp-$$" "killed" alpha)
check "Post of a valid event returns an id" sh -c "[ '$out' -gt 0 ] 2>/dev/null"
check "the security event is Shown with style security and its cage's level" \
	wait_grep "style=security cage=alpha level=low label=Low colour=#2e7d32 urgency=2 timeout=0 .*severity=critical category=cage.seccomp count=1 .*summary=seccomp-$$" "$T/shown.log"

client_tap burst "$S/fl/notify" "$BUS" 1000

# --- inside real cages ---------------------------------------------------------------

skip_reason=$CAGE_SKIP_REASON
set --
for c in alpha beta; do
	mkdir -m 0700 -p "$DATA/cloison/cages/$c/home"
	set -- "$@" "unix:$S/$c/wayland-0" "unix:$S/$c/transfer"
done
if [ $CAGES_OK = 1 ]; then
	"$PYTHON" "$LISTEN" "$T/listen-ready" "$@" >"$T/listen.log" 2>&1 &
	LISTENER_PID=$!
	wait_file "$T/listen-ready" || diag "listen.py did not start: $(cat "$T/listen.log")"
fi

TIMEOUT=
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout -k 5 60"

in_cage() {
	cage=$1
	shift
	# shellcheck disable=SC2086
	$TIMEOUT "$CAGE_BIN" --config "$CONF" run "$cage" -- "$@" >"$T/out" 2>"$T/err"
}

if [ $CAGES_OK = 1 ]; then
	in_cage alpha notify-send "hello-$$" "from alpha"
	rc=$?
	check "notify-send works in a cage (status $rc)" test $rc = 0
	[ $rc = 0 ] || diag "$(cat "$T/err")"
	check "… and is Shown on NotifyDisplay1 tagged with the cage, level, label and colour" \
		wait_grep "style=cage cage=alpha level=low label=Low colour=#2e7d32 .*app=notify-send summary=hello-$$ body=from\\\\x20alpha" "$T/shown.log"

	in_cage beta notify-send -u critical "Security: transfer approved" "forged-$$"
	check "a cage forging “Security: transfer approved” is shown in style cage, with its level" \
		wait_grep "style=cage cage=beta level=high label=High colour=#c62828 urgency=2 timeout=15000 .*body=forged-$$" "$T/shown.log"
	check "… never in style security" \
		sh -c "! grep 'body=forged-$$' '$T/shown.log' | grep -q 'style=security'"

	# An action chosen on the display reaches the application in the cage.
	${TIMEOUT:+timeout -k 5 120} "$CAGE_BIN" --config "$CONF" run beta -- \
		notify-send -A "yes=Yes" -A "no=No" "act-$$" "choose" >"$T/act.out" 2>"$T/act.err" &
	ACT_PID=$!
	if wait_grep "summary=act-$$" "$T/shown.log" 600; then
		id=$(grep "summary=act-$$" "$T/shown.log" | head -n 1 | sed 's/^shown id=\([0-9]*\) .*/\1/')
		"$CLIENT" invoke "$BUS" "$id" no >"$T/invoke.out" 2>&1
		wait "$ACT_PID"
		rc=$?
		ACT_PID=
		check "InvokeAction reaches notify-send in the cage through the forwarder" \
			sh -c "[ $rc = 0 ] && grep -qx no '$T/act.out'"
		[ $rc = 0 ] || diag "$(cat "$T/act.err" "$T/invoke.out")"
		check "… and the notification is closed (reason 2)" \
			wait_grep "^closed $id 2\$" "$T/shown.log"
	else
		not_ok "InvokeAction reaches notify-send in the cage (never shown)"
		diag "$(cat "$T/act.err")" "notifyd log:" "$(tail -n 15 "$T/notifyd.log")"
	fi
else
	skip "notify-send works in a cage"
	skip "a cage forging “Security: transfer approved” is shown in style cage"
	skip "InvokeAction reaches notify-send in the cage through the forwarder"
fi

# --- restart and stop ------------------------------------------------------------------

kill -KILL "$NOTIFYD_PID"
wait "$NOTIFYD_PID" 2>/dev/null
NOTIFYD_PID=
check "a killed notifyd leaves stale sockets behind" test -S "$S/alpha/notify"
check "a new cloison-notifyd replaces the stale sockets" start_notifyd
check "… and serves them" sh -c "'$CLIENT' post '$BUS' info cage.started 'restarted-$$' '' alpha >/dev/null"
kill -TERM "$NOTIFYD_PID"
wait "$NOTIFYD_PID"
rc=$?
NOTIFYD_PID=
check "SIGTERM stops it cleanly (status $rc)" test $rc = 0
check "… and removes the sockets" test ! -e "$S/alpha/notify"

echo "1..$n"
if [ $failed -gt 0 ]; then
	diag "notifyd log (last lines):" "$(tail -n 30 "$T/notifyd.log")"
	exit 1
fi
exit 0
