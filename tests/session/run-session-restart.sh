#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: a restarted broker or notifyd keeps serving the cages already
# running (cloison-session owns the cages' listening sockets and passes them
# to every start of cloison-transferd and cloison-notifyd: LISTEN_FDS).
#
#   run-session-restart.sh SESSION COMPOSITOR BAR TRANSFERD NOTIFYD CAGE CAGE_INIT TRANSFER_CLI
#
# A real headless session with the real notifyd and a real cage alpha
# (application: sleep) that stays up the whole time:
#  - the broker and notifyd get the sockets (LISTEN_FDS, LISTEN_FDNAMES with
#    the cage ids, LISTEN_PID their own pid); the cage launcher and the
#    compositor get none of it;
#  - inside the running cage (`cloison-cage exec alpha`), cloison-transfer
#    --targets and notify-send work;
#  - SIGKILL to the broker: restarted, and --targets works again in the SAME
#    cage, on the same socket inode;
#  - SIGKILL to notifyd: restarted, and notify-send works again in the same
#    cage, the call reaching the new notifyd;
#  - a broker started by hand on a runtime directory makes a session there
#    fail (exit 2, the socket in use named) without touching its socket.
# Daemons started by hand creating their own sockets, and the checks of
# what is passed: run-daemon-sockets.sh.
#
# Missing programs or cage support skip everything, or fail under
# CLOISON_TESTS_MUST_RUN=1.  Everything started is stopped by pid.
# shellcheck source=tests/cage/lib.sh
. "$(dirname "$0")/../cage/lib.sh"
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

set -u

SESSION=$(abs "${1:-}") COMP=$(abs "${2:-}") BAR=$(abs "${3:-}") TRANSFERD=$(abs "${4:-}")
NOTIFYD=$(abs "${5:-}") CAGE_BIN=$(abs "${6:-}") CAGE_INIT=$(abs "${7:-}") CLI=$(abs "${8:-}")
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
TEST_NAME="session restart"
PYTHON=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3

n=0
failed=0
skip_reason=
T=
SPID=
HAND=

cleanup() {
	[ -n "$HAND" ] && stop_pids "$HAND"
	stop_session
	remove_tmp
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

cage_prereqs "$SESSION" "$COMP" "$BAR" "$TRANSFERD" "$NOTIFYD" "$CAGE_BIN" "$CAGE_INIT" "$CLI" ||
	skip_all
for p in dbus-daemon notify-send; do
	command -v $p >/dev/null 2>&1 || {
		skip_reason="$p is not installed (tools/install-deps)"
		skip_all
	}
done
if [ -z "${CLOISON_NOTIFY_FORWARD:-}" ] || [ ! -x "${CLOISON_NOTIFY_FORWARD:-}" ]; then
	skip_reason="CLOISON_NOTIFY_FORWARD does not name the built cloison-notify-forward"
	skip_all
fi

# --- set-up ------------------------------------------------------------------------------

private_dirs cloison-session-restart run2
session_env
cage_homes alpha
cp "$CLI" "$DATA/cloison/cages/alpha/home/cloison-transfer"
chmod 0755 "$DATA/cloison/cages/alpha/home/cloison-transfer"

CONF=$T/cloison.conf
cat >"$CONF" <<'EOF2'
[level low]
label=Low
colour=#00aa00
rank=0

[level high]
label=High
colour=#cc0000
rank=10

[cage alpha]
level=low
applications=sleep 100000

[cage beta]
level=high
autostart=false

[transfer low high]
action=ask
types=text/*
EOF2
LOG=$T/session.log

# The pid of the session's child running PROGRAM (argv[0]).
child_of_session() {
	"$PYTHON" - "$SPID" "$1" <<'EOF2'
import os, sys
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        s = open("/proc/%s/stat" % p).read()
        argv0 = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")[0].decode()
    except OSError:
        continue
    if int(s[s.rindex(")") + 2:].split()[1]) == int(sys.argv[1]) and argv0 == sys.argv[2]:
        print(p)
        sys.exit(0)
sys.exit(1)
EOF2
}
env_of() { # env_of PID NAME
	tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed -n "s/^$2=//p"
}
in_alpha() { # in_alpha OUT COMMAND...: run in the running cage alpha
	out=$1
	shift
	timeout 30 "$CAGE_BIN" --config "$CONF" exec alpha -- "$@" >"$T/$out.out" 2>"$T/$out.err"
}
targets_work() {
	in_alpha targets /home/user/cloison-transfer --targets && grep -q '^beta	' "$T/targets.out"
}
ready_count() {
	grep -c "$1 is ready" "$LOG"
}
inodes() {
	stat -c %i "$RUN/cloison/cages/alpha/transfer" "$RUN/cloison/cages/alpha/notify" 2>/dev/null | tr '\n' ' '
}

# --- a session, the cage running ------------------------------------------------------------

"$SESSION" --config "$CONF" --headless --verbose >"$LOG" 2>&1 &
SPID=$!
if wait_for 600 grep -q "the session is running" "$LOG" && wait_for 300 targets_work; then
	ok "the session runs and cloison-transfer --targets works in cage alpha"
else
	not_ok "the session runs and cloison-transfer --targets works in cage alpha"
	diag "$(cat "$T/targets.err" 2>/dev/null)" "$(tail -n 30 "$LOG")"
	echo "1..$n"
	exit 1
fi
LAUNCHER=$(child_of_session "$CAGE_BIN")
BROKER=$(child_of_session "$TRANSFERD")
NOTIFY=$(child_of_session "$NOTIFYD")
COMP_PID=$(child_of_session "$COMP")
check "the broker gets alpha's and beta's sockets: LISTEN_FDS=2 LISTEN_FDNAMES=alpha:beta LISTEN_PID=its pid" \
	test "$(env_of "$BROKER" LISTEN_FDS) $(env_of "$BROKER" LISTEN_FDNAMES) $(env_of "$BROKER" LISTEN_PID)" = "2 alpha:beta $BROKER"
check "notifyd too: LISTEN_FDS=2 LISTEN_FDNAMES=alpha:beta LISTEN_PID=its pid" \
	test "$(env_of "$NOTIFY" LISTEN_FDS) $(env_of "$NOTIFY" LISTEN_FDNAMES) $(env_of "$NOTIFY" LISTEN_PID)" = "2 alpha:beta $NOTIFY"
check "... and their readiness pipe comes after the sockets (--ready-fd 5)" \
	sh -c "tr '\\0' ' ' </proc/$BROKER/cmdline | grep -q -- '--ready-fd 5 ' && tr '\\0' ' ' </proc/$NOTIFY/cmdline | grep -q -- '--ready-fd 5 '"
check "the cage launcher and the compositor get no LISTEN_* variable" \
	test -n "$LAUNCHER" -a -n "$COMP_PID" -a -z "$(env_of "$LAUNCHER" 'LISTEN_[A-Z]*')$(env_of "$COMP_PID" 'LISTEN_[A-Z]*')"
check "both daemons say they serve the sockets passed by the session" \
	test "$(grep -c "serving the 2 cage sockets passed by the session" "$LOG")" -ge 2
if in_alpha notify1 notify-send "before-$$" "first"; then
	ok "notify-send works in cage alpha"
else
	not_ok "notify-send works in cage alpha"
	diag "$(cat "$T/notify1.err")"
fi
INODES=$(inodes)

# --- SIGKILL to the broker ------------------------------------------------------------------

kill -KILL "$BROKER"
broker_back() {
	[ "$(ready_count cloison-transferd)" -ge 2 ]
}
check "a killed broker is restarted and ready again" wait_for 150 broker_back
NEW_BROKER=$(child_of_session "$TRANSFERD")
check "... a new process ($BROKER -> $NEW_BROKER) given the sockets again" \
	test -n "$NEW_BROKER" -a "$NEW_BROKER" != "$BROKER" -a "$(env_of "$NEW_BROKER" LISTEN_PID)" = "$NEW_BROKER"
if targets_work; then
	ok "cloison-transfer --targets works again in the same running cage alpha"
else
	not_ok "cloison-transfer --targets works again in the same running cage alpha"
	diag "$(cat "$T/targets.err")"
fi
check "... the cage was not restarted (same launcher, pid $LAUNCHER)" \
	test "$(child_of_session "$CAGE_BIN")" = "$LAUNCHER"
check "... and the sockets are the same inodes ($INODES)" test "$(inodes)" = "$INODES"

# --- SIGKILL to notifyd -----------------------------------------------------------------------

kill -KILL "$NOTIFY"
notifyd_back() {
	[ "$(ready_count cloison-notifyd)" -ge 2 ]
}
check "a killed notifyd is restarted and ready again" wait_for 150 notifyd_back
NEW_NOTIFY=$(child_of_session "$NOTIFYD")
if in_alpha notify2 notify-send "after-$$" "second"; then
	ok "notify-send works again in the same running cage alpha"
else
	not_ok "notify-send works again in the same running cage alpha"
	diag "$(cat "$T/notify2.err")"
fi
# The old one is dead: what is logged after the new one started is the new one's.
notify_reached_new() {
	awk -v start="started cloison-notifyd (pid $NEW_NOTIFY)" \
		'index($0, start) { on = 1 } on && /^cloison-notifyd: debug: cage alpha: Notify$/ { found = 1 }
		END { exit !found }' "$LOG"
}
check "... the call reached the new notifyd (pid $NEW_NOTIFY): it logged cage alpha's Notify" \
	wait_for 50 notify_reached_new
check "... the cage was not restarted, the sockets are the same inodes" \
	test "$(child_of_session "$CAGE_BIN") $(inodes)" = "$LAUNCHER $INODES"

# --- the configuration damaged while the session runs ----------------------------------------

# A restarted child reads the file again: the session checks it first, posts one
# session.config-error naming the problem, and restarts the child only once the
# file is valid again.
cp "$CONF" "$T/conf.good"
printf '[cage gamma]\nlevel=nowhere\n' >>"$CONF"
BROKER=$(child_of_session "$TRANSFERD")
kill -KILL "$BROKER"
config_error_posted() {
	gdbus call --address "unix:path=$RUN/cloison/core/bus" --dest org.cloison.Notify1 \
		--object-path /org/cloison/Notify1 --method org.cloison.NotifyDisplay1.History \
		>"$T/history.txt" 2>&1 &&
		grep -q "'category': <'session.config-error'>" "$T/history.txt" &&
		grep -q "nowhere" "$T/history.txt"
}
if wait_for 150 config_error_posted; then
	ok "a killed broker with a damaged configuration: session.config-error posted, naming the bad value"
else
	not_ok "a killed broker with a damaged configuration: session.config-error posted, naming the bad value"
	diag "$(cat "$T/history.txt")" "$(tail -n 20 "$LOG")"
fi
check "... the session says so on stderr, naming the file" \
	grep -q "the configuration is no longer valid: .*cloison.conf" "$LOG"
check "... and does not restart the broker while the file is invalid" \
	test -z "$(child_of_session "$TRANSFERD")" -a "$(ready_count cloison-transferd)" -eq 2
check "... posted once, not at every retry" \
	test "$(grep -c "the configuration is no longer valid" "$LOG")" -eq 1
cp "$T/conf.good" "$CONF"
broker_back_again() {
	[ "$(ready_count cloison-transferd)" -ge 3 ]
}
check "the file repaired: the broker is restarted and ready" wait_for 300 broker_back_again
check "... and serves the running cage again" targets_work

# --- stop --------------------------------------------------------------------------------------

kill -TERM "$SPID"
wait "$SPID"
rc=$?
SPID=
check "SIGTERM: exit 0 and the runtime directory (with the sockets) removed" \
	test "$rc" = 0 -a ! -e "$RUN/cloison"

# --- a broker started by hand holds the socket: the session refuses to start ---------------------

dbus-daemon --session --address="unix:path=$T/bus2" --nofork --nopidfile --print-address=1 \
	>"$T/bus2.addr" 2>/dev/null &
HAND=$!
wait_for 100 test -s "$T/bus2.addr"
XDG_RUNTIME_DIR=$T/run2 "$TRANSFERD" --config "$CONF" --bus "unix:path=$T/bus2" --ready-fd 3 \
	3>"$T/hand.ready" 2>"$T/hand.log" &
HAND="$! $HAND"
wait_for 100 test -s "$T/hand.ready"
HAND_INODE=$(stat -c %i "$T/run2/cloison/cages/alpha/transfer" 2>/dev/null)
XDG_RUNTIME_DIR=$T/run2 timeout 60 "$SESSION" --config "$CONF" --headless >"$T/refused.log" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q "$T/run2/cloison/cages/alpha/transfer is in use: is another cloison-transferd running?" "$T/refused.log"; then
	ok "a session where a hand-started broker listens fails (exit 2), naming the socket in use"
else
	not_ok "a session where a hand-started broker listens fails (exit 2), naming the socket in use"
	diag "exit $rc" "$(tail -n 10 "$T/refused.log")"
fi
check "... and the hand-started broker's socket is untouched" \
	test -n "$HAND_INODE" -a "$(stat -c %i "$T/run2/cloison/cages/alpha/transfer" 2>/dev/null)" = "$HAND_INODE"
# shellcheck disable=SC2086
stop_pids $HAND
HAND=

echo "1..$n"
[ $failed = 0 ]
