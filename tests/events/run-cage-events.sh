#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: the cage launcher's security events, from their real triggers.
#
#   run-cage-events.sh CLOISON_CAGE CAGE_INIT SIGSYS POST_EVENT RECORDER
#
# A private dbus-daemon is the core bus and cl-test-event-recorder owns
# org.cloison.Notify1 on it; real cages run with CLOISON_CORE_BUS_ADDRESS
# set (CLOISON_POST_EVENT names the built cloison-post-event).  Checked: a
# cage started then stopped (in that order), a main program that crashes
# (SIGSEGV), a main program killed by seccomp (an x32 system call, see
# tests/cage/sigsys.c), five applications of a session killed by seccomp
# (one event, then "4 more" as the cage stops), the variable unset (no
# poster is even spawned) and notifyd absent (the cage runs as before).
set -u

# shellcheck source=tests/cage/lib.sh
. "$(dirname "$0")/../cage/lib.sh"
# shellcheck source=tests/events/events-lib.sh
. "$(dirname "$0")/events-lib.sh"

CAGE_BIN=${1:-}
CAGE_INIT=${2:-}
SIGSYS=${3:-}
POSTER=${4:-}
RECORDER=${5:-}
HERE=$(cd "$(dirname "$0")" && pwd)
LISTEN=$HERE/../cage/listen.py
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
PYTHON=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
unset DBUS_SESSION_BUS_ADDRESS CLOISON_CORE_BUS_ADDRESS
# shellcheck disable=SC3045
ulimit -c 0 2>/dev/null

n=0
failed=0
skip_reason=
MSG=
T=
LISTENER_PID=
DBUS_PID=
RECORDER_PID=
SESSION_PID=
TIMEOUT=
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout -k 5 60"

cleanup() {
	stop_pids $SESSION_PID
	stop_pids $RECORDER_PID $DBUS_PID $LISTENER_PID
	if [ -n "$T" ] && [ -d "$T" ] && [ "${CLOISON_TEST_KEEP:-0}" != 1 ]; then
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# check DESCRIPTION FUNCTION: one TAP line; FUNCTION may set MSG.
check() {
	desc=$1
	shift
	n=$((n + 1))
	if [ -n "$skip_reason" ]; then
		if [ "$MUST_RUN" = 1 ]; then
			echo "not ok $n - $desc: cannot run: $skip_reason"
			failed=$((failed + 1))
		else
			echo "ok $n - $desc # SKIP $skip_reason"
		fi
		return
	fi
	MSG=
	if "$@"; then
		echo "ok $n - $desc${MSG:+: $MSG}"
	else
		echo "not ok $n - $desc${MSG:+: $MSG}"
		failed=$((failed + 1))
	fi
}

cage() {
	# shellcheck disable=SC2086
	$TIMEOUT "$CAGE_BIN" --config "$CONF" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}

setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/cloison-events-cage.XXXXXX") || return 1
	chmod 0700 "$T"
	RUN=$T/run
	DATA=$T/data
	mkdir -m 0700 "$RUN" "$DATA" "$T/home" "$T/config" "$T/state" "$T/cache" || return 1
	for d in cloison cloison/cages cloison/core; do
		mkdir -m 0700 "$RUN/$d" "$DATA/$d" || return 1
	done
	for c in alpha beta; do
		mkdir -m 0700 "$RUN/cloison/cages/$c" "$DATA/cloison/cages/$c" \
			"$DATA/cloison/cages/$c/home" || return 1
		cp "$SIGSYS" "$DATA/cloison/cages/$c/home/sigsys" &&
			chmod 0755 "$DATA/cloison/cages/$c/home/sigsys" || return 1
	done
	export XDG_RUNTIME_DIR="$RUN" XDG_DATA_HOME="$DATA" HOME="$T/home"
	export XDG_CONFIG_HOME="$T/config" XDG_STATE_HOME="$T/state" XDG_CACHE_HOME="$T/cache"
	export CLOISON_CAGE_INIT="$CAGE_INIT" CLOISON_POST_EVENT="$POSTER"
	CONF=$T/cloison.conf
	s=/home/user/sigsys
	cat >"$CONF" <<-EOF
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

		[cage beta]
		level=high
		applications=$s;$s;$s;$s;$s;sleep 1000
	EOF
	set --
	for c in alpha beta; do
		for s in wayland-0 transfer notify; do
			set -- "$@" "unix:$RUN/cloison/cages/$c/$s"
		done
	done
	"$PYTHON" "$LISTEN" "$T/ready" "$@" >"$T/listen.log" 2>&1 &
	LISTENER_PID=$!
	i=0
	while [ ! -f "$T/ready" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -f "$T/ready" ] || {
		diag "listen.py did not start:" "$(cat "$T/listen.log")"
		return 1
	}
	start_core_bus "$T" "$RECORDER" || {
		diag "the core bus or the recorder did not start:" \
			"$(cat "$T/dbus.log" "$T/recorder.err")"
		return 1
	}
}

# The line numbers of the first Posts of CATEGORY for CAGE.
line_of() {
	awk -F'\t' -v c="$1" -v g="$2" '$1 == "post" && $3 == c && $4 == g { print NR; exit }' "$EVENTS"
}

c_started_stopped() {
	CLOISON_CORE_BUS_ADDRESS=$BUS cage run alpha -- /bin/true
	if [ $rc -ne 0 ]; then
		MSG="exit $rc: $(head -c 300 "$T/err")"
		return 1
	fi
	event info cage.started alpha "Cage alpha (level Low) started to run “/bin/true”." &&
		event info cage.stopped alpha "Cage alpha (level Low) stopped: exited with status 0." ||
		return 1
	[ "$(line_of cage.started alpha)" -lt "$(line_of cage.stopped alpha)" ] || {
		MSG="stopped was posted before started"
		return 1
	}
	[ ! -s "$T/err" ] || {
		MSG="the launcher wrote: $(head -c 300 "$T/err")"
		return 1
	}
}

c_crashed() {
	CLOISON_CORE_BUS_ADDRESS=$BUS cage run alpha -- /bin/sh -c 'kill -SEGV $$'
	if [ $rc -ne 139 ]; then
		MSG="exit $rc (expected 139): $(head -c 300 "$T/err")"
		return 1
	fi
	event warning cage.crashed alpha "Cage alpha (level Low) ended abnormally: killed by signal 11" ||
		return 1
	event warning cage.crashed alpha "Cage alpha crashed"
}

c_seccomp() {
	CLOISON_CORE_BUS_ADDRESS=$BUS cage run alpha -- /home/user/sigsys
	if [ $rc -eq 77 ]; then
		MSG="no x32 system call on this architecture"
		return 1
	fi
	if [ $rc -ne 159 ]; then
		MSG="exit $rc (expected 159, SIGSYS): $(head -c 300 "$T/out" "$T/err")"
		return 1
	fi
	event critical cage.seccomp alpha "A process of cage alpha (level Low), its main command “/home/user/sigsys”, made a system call the cage forbids and was killed (SIGSYS)." ||
		return 1
	event warning cage.crashed alpha "ended abnormally: killed by seccomp (SIGSYS)"
}

c_seccomp_coalesced() {
	CLOISON_CORE_BUS_ADDRESS=$BUS "$CAGE_BIN" --config "$CONF" run beta </dev/null \
		>"$T/beta.out" 2>"$T/beta.err" &
	SESSION_PID=$!
	event critical cage.seccomp beta "the application “/home/user/sigsys”" 100 || {
		stop_pids "$SESSION_PID"
		SESSION_PID=
		return 1
	}
	# All five were killed (the launcher logs each).
	i=0
	while [ "$(grep -c 'was killed by seccomp' "$T/beta.err")" -lt 5 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	stop_pids "$SESSION_PID"
	SESSION_PID=
	killed=$(grep -c 'was killed by seccomp' "$T/beta.err")
	event critical cage.seccomp beta "4 more processes of cage beta killed by seccomp" || return 1
	event info cage.stopped beta "Cage beta (level High) stopped: it was asked to stop." || return 1
	posted=$(count_events cage.seccomp beta)
	MSG="$killed processes killed, $posted seccomp events posted"
	[ "$killed" = 5 ] && [ "$posted" = 2 ] &&
		[ "$(line_of cage.seccomp beta)" -lt "$(line_of cage.stopped beta)" ]
}

c_unset() {
	# A poster that would leave a trace: it must not even be spawned.
	printf '#!/bin/sh\ntouch "%s"\n' "$T/spawned" >"$T/spy"
	chmod 0755 "$T/spy"
	before=$(wc -l <"$EVENTS")
	CLOISON_POST_EVENT=$T/spy cage run alpha -- /bin/true
	[ $rc -eq 0 ] || {
		MSG="exit $rc: $(head -c 300 "$T/err")"
		return 1
	}
	CLOISON_POST_EVENT=$T/spy cage run alpha -- /bin/sh -c 'kill -SEGV $$'
	sleep 0.5
	if [ -e "$T/spawned" ] || [ "$(wc -l <"$EVENTS")" != "$before" ]; then
		MSG="a poster ran or an event was posted without CLOISON_CORE_BUS_ADDRESS"
		return 1
	fi
}

c_no_notifyd() {
	stop_pids "$RECORDER_PID"
	RECORDER_PID=
	CLOISON_CORE_BUS_ADDRESS=$BUS cage run alpha -- /bin/sh -c 'echo fine'
	if [ $rc -ne 0 ] || [ "$(cat "$T/out")" != fine ] || [ -s "$T/err" ]; then
		MSG="exit $rc, stdout '$(cat "$T/out")', stderr '$(head -c 300 "$T/err")'"
		return 1
	fi
	MSG="the cage ran as before, nothing printed"
}

if ! cage_prereqs "$CAGE_BIN" "$CAGE_INIT" "$SIGSYS" "$POSTER" "$RECORDER"; then
	:
elif ! command -v dbus-daemon >/dev/null 2>&1; then
	skip_reason="dbus-daemon is not installed (tools/install-deps)"
elif ! setup; then
	echo "1..1"
	echo "not ok 1 - set-up"
	exit 1
fi

check "a cage started then stopped: two info events, in that order, naming cage and command" \
	c_started_stopped
check "a main program that crashes (SIGSEGV): a crashed warning naming the signal" c_crashed
check "a main program killed by seccomp (x32 system call): a critical event, then crashed" \
	c_seccomp
check "five applications killed by seccomp: one event, \"4 more\" as the cage stops, then stopped" \
	c_seccomp_coalesced
check "CLOISON_CORE_BUS_ADDRESS unset: no poster spawned, nothing posted" c_unset
check "notifyd absent: the cage runs as before, the launcher prints nothing" c_no_notifyd

echo "1..$n"
[ $failed -eq 0 ]
