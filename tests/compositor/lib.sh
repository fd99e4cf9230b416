# shellcheck shell=sh disable=SC2034
# Shared by the TAP suites of tests/compositor/ (and tests/bar/run-bar-gtk.sh)
# that drive a headless cloison-compositor (sourced, POSIX sh).  Sources
# tests/cage/lib.sh for diag and stop_pids.
#
# The caller sets: n, failed, skip_reason, MSG, MUST_RUN (TAP state);
# COMP, CONF, WIDTH, HEIGHT, TIMEOUT (start_compositor); CTL, CTLSOCK, T,
# PYTHON (cloison-ctl and the window list); RUN, TOPLEVEL, PIDS, LOW, HIGH
# (start_client, write_config).
#
# skip_one DESC      one skipped TAP line (a failure when MUST_RUN=1).
# check DESC FUNCTION [ARGS...]
#                    one TAP line, numbered after FUNCTION ran; FUNCTION
#                    returns 0 for a pass and may set MSG to what it saw;
#                    while it runs, its number is $((n + 1)).
# stop_pid PID       SIGTERM, up to 5 s, then SIGKILL; reap it.
# wait_until TENTHS COMMAND...
#                    retry COMMAND every 0.1 s.
# start_compositor RUNTIME_DIR LOG [ARGS...]
#                    headless, with a readiness fd; STARTED_PID, and 0 once
#                    READY=1 came.
# ctl ARGS..., windows, q ARGS..., wfield SELECTOR FIELD, is_mapped SELECTOR,
# is_focused SELECTOR
#                    cloison-ctl on CTLSOCK; the window list in $T/w.json and
#                    queries on it through $T/q.py.
# start_client NAME CAGE ARGS...
#                    cl-test-toplevel through CAGE's socket.
# write_config       two levels (low, high) and two cages (alpha, beta).

# shellcheck source=tests/cage/lib.sh
. "$(dirname "$0")/../cage/lib.sh"

skip_one() {
	n=$((n + 1))
	if [ "$MUST_RUN" = 1 ]; then
		echo "not ok $n - $1: cannot run: $skip_reason"
		failed=$((failed + 1))
	else
		echo "ok $n - $1 # SKIP $skip_reason"
	fi
}

# check DESCRIPTION FUNCTION [ARGS...]: one TAP line.  FUNCTION returns 0
# for a pass and sets MSG to what it saw.
check() {
	desc=$1
	shift
	if [ -n "$skip_reason" ]; then
		skip_one "$desc"
		return
	fi
	MSG=
	"$@"
	rc=$?
	n=$((n + 1))
	if [ $rc = 0 ]; then
		echo "ok $n - $desc${MSG:+: $MSG}"
	else
		echo "not ok $n - $desc${MSG:+: $MSG}"
		failed=$((failed + 1))
	fi
}

# Stop PID: SIGTERM, up to 5 s, then SIGKILL; reap it.
stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# wait_until TENTHS COMMAND...: retry COMMAND every 0.1 s.
wait_until() {
	tries=$1
	shift
	i=0
	while [ $i -lt "$tries" ]; do
		"$@" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# start_compositor RUNTIME_DIR LOG [ARGS...]: start it, wait for READY=1 on
# its readiness fd (a FIFO, 20 s at most).  Sets STARTED_PID.
start_compositor() {
	rdir=$1
	log=$2
	shift 2
	fifo=$rdir.ready
	rm -f "$fifo"
	mkfifo -m 0600 "$fifo" || return 1
	XDG_RUNTIME_DIR=$rdir "$COMP" --config "$CONF" --headless --size "${WIDTH}x$HEIGHT" \
		--ready-fd 3 "$@" 3>"$fifo" >"$log" 2>&1 &
	STARTED_PID=$!
	# shellcheck disable=SC2086
	line=$(${TIMEOUT:+$TIMEOUT 20} head -n 1 "$fifo")
	if [ "$line" != "READY=1" ]; then
		diag "cloison-compositor $* did not signal readiness (got '$line'):" \
			"$(tail -n 30 "$log")"
		return 1
	fi
	return 0
}

ctl() {
	"$CTL" --timeout 20 --socket "$CTLSOCK" "$@"
}

# windows: the window list into $T/w.json.
windows() {
	ctl windows >"$T/w.json" 2>"$T/ctl.err"
}

q() {
	"$PYTHON" "$T/q.py" "$T/w.json" "$@" 2>/dev/null
}

# wfield SELECTOR FIELD: a field of a window, from a fresh list.
wfield() {
	windows && q get "$1" "$2"
}

is_mapped() {
	[ "$(wfield "$1" mapped)" = true ]
}

is_focused() {
	[ "$(wfield "$1" focused)" = true ]
}

# start_client NAME CAGE ARGS...: cl-test-toplevel through CAGE's socket;
# its pid in PID_NAME, output in $T/NAME.out.
start_client() {
	name=$1
	cage=$2
	shift 2
	WAYLAND_DISPLAY=$RUN/cloison/cages/$cage/wayland-0 "$TOPLEVEL" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
	PIDS="$PIDS $pid"
	eval "PID_$name=\$pid"
}

write_config() {
	cat >"$CONF" <<-EOF
		[level low]
		label=Low
		colour=#$LOW
		rank=0

		[level high]
		label=High
		colour=#$HIGH
		rank=10

		[cage alpha]
		level=low
		network=false
		applications=

		[cage beta]
		level=high
		network=false
		applications=
	EOF
}
