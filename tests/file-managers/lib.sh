# shellcheck shell=sh disable=SC2034
# Shared by tests/file-managers/run-actions.sh and run-transfer-gtk.sh
# (sourced, POSIX sh): a headless cloison-compositor (tests/compositor/lib.sh,
# no bar), a private dbus-daemon as the core bus, a real cloison-transferd,
# cl-test-agent answering the prompts by document name (tests/transfer:
# deny*, slow*, ignore*, otherwise approve), placeholder notify sockets
# (tests/cage/listen.py), and four cages: alpha and delta (level low), beta
# and gamma (level high).  alpha may send to beta, gamma (low -> high) and
# delta (low -> low, text only); beta may send nothing down but text.
#
# The caller sets COMP, CTL, TRANSFERD, CAGE_BIN, CAGE_INIT, AGENT and the TAP
# state (n, failed, skip_reason, MUST_RUN); fm_setup sets T, RUN, DATA,
# CONF, CTLSOCK, the homes A B G D, and starts everything (pids in FM_PIDS,
# the broker's in BROKER_PID); fm_cleanup stops them by pid.
#
# is DESCRIPTION COMMAND...      one TAP line from a command's status
#                                (tests/lib/common.sh's tap_check: here
#                                check is tests/compositor/lib.sh's).
# in_cage CAGE PROGRAM ARGS...   a program of the cage's home, in a fresh
#                                cage; $T/out, $T/err, status in rc.
# start_broker                   (again, after a kill): BROKER_PID.
# sha FILE, xattr FILE NAME      as in tests/transfer/run-transfer.sh.
# tests/bar/lib.sh for shot, reference and click_at (it sets REFDIR-relative
# screenshots) and, through it, tests/lib/common.sh (TAP lines, wait_file,
# private_dirs, start_bus), then tests/compositor/lib.sh, whose start_compositor (no bar)
# replaces the bar's.
# shellcheck source=tests/bar/lib.sh
. "$(dirname "$0")/../bar/lib.sh"
# shellcheck source=tests/compositor/lib.sh
. "$(dirname "$0")/../compositor/lib.sh"

LISTEN=$(cd "$(dirname "$0")/../cage" && pwd)/listen.py
FM_PIDS=
BROKER_PID=
FM_CAGES="alpha beta gamma delta"

fm_cleanup() {
	# shellcheck disable=SC2086
	stop_pids $BROKER_PID $FM_PIDS
	remove_tmp
}

is() {
	tap_check "$@"
}

start_broker() {
	rm -f "$T/broker-ready"
	"$TRANSFERD" --config "$CONF" --bus "$DBUS_SESSION_BUS_ADDRESS" --ready-fd 3 \
		3>"$T/broker-ready" 2>>"$T/broker.log" &
	BROKER_PID=$!
	wait_until 100 test -s "$T/broker-ready"
}

# fm_setup: everything above; returns 1 (with a diagnostic) when something
# does not start.
fm_setup() {
	private_dirs cloison-fm-test
	# shellcheck disable=SC2086
	cage_homes $FM_CAGES || return 1
	A=$DATA/cloison/cages/alpha/home
	B=$DATA/cloison/cages/beta/home
	G=$DATA/cloison/cages/gamma/home
	D=$DATA/cloison/cages/delta/home
	export CLOISON_CAGE_INIT="$CAGE_INIT"
	CONF=$T/cloison.conf
	WIDTH=${WIDTH:-1024}
	HEIGHT=${HEIGHT:-768}
	CTLSOCK=$RUN/cloison/core/ctl
	cat >"$CONF" <<-EOF
		[general]
		transfer-expiry=30

		[level low]
		label=Low
		colour=#2e7d32
		rank=0

		[level high]
		label=High
		colour=#c62828
		rank=10

		[cage alpha]
		level=low
		applications=

		[cage delta]
		level=low
		applications=

		[cage beta]
		level=high
		applications=

		[cage gamma]
		level=high
		applications=

		[transfer low high]
		action=ask
		types=text/*;application/octet-stream
		max-size=10MiB

		[transfer low low]
		action=ask
		types=text/plain
		max-size=1MiB

		[transfer high low]
		action=deny
	EOF

	start_bus "$T/bus" "$T/dbus.log"
	FM_PIDS="$FM_PIDS $BUS_PID"
	export DBUS_SESSION_BUS_ADDRESS="$BUS"
	if ! [ -S "$T/bus" ]; then
		diag "dbus-daemon did not start:" "$(cat "$T/dbus.log")"
		return 1
	fi
	if ! start_compositor "$RUN" "$T/compositor.log" --test-input; then
		FM_PIDS="$FM_PIDS $STARTED_PID"
		return 1
	fi
	FM_PIDS="$FM_PIDS $STARTED_PID"
	set --
	for c in $FM_CAGES; do
		set -- "$@" "unix:$RUN/cloison/cages/$c/notify"
	done
	"${PYTHON:-python3}" "$LISTEN" "$T/listen-ready" "$@" >"$T/listen.log" 2>&1 &
	FM_PIDS="$FM_PIDS $!"
	if ! wait_file "$T/listen-ready"; then
		diag "listen.py did not start:" "$(cat "$T/listen.log")"
		return 1
	fi
	if ! start_broker; then
		diag "cloison-transferd did not start:" "$(tail -n 20 "$T/broker.log")"
		return 1
	fi
	"$AGENT" --bus "$DBUS_SESSION_BUS_ADDRESS" --ready "$T/agent-ready" >"$T/agent.log" 2>&1 &
	FM_PIDS="$FM_PIDS $!"
	if ! wait_file "$T/agent-ready"; then
		diag "cl-test-agent did not start:" "$(cat "$T/agent.log")"
		return 1
	fi
	return 0
}

# in_cage CAGE PROGRAM ARGS...: PROGRAM (a path in the cage) in a fresh cage.
in_cage() {
	cage=$1
	shift
	timeout -k 5 120 "$CAGE_BIN" --config "$CONF" run "$cage" -- "$@" </dev/null \
		>"$T/out" 2>"$T/err"
	rc=$?
	return $rc
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

xattr() {
	"${PYTHON:-python3}" -c 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())' \
		"$1" "$2" 2>/dev/null
}
