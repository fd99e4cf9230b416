# shellcheck shell=sh disable=SC2034
# Shared by the TAP suites of tests/compositor/ (and tests/bar/run-bar-gtk.sh)
# that drive a headless cloison-compositor (sourced, POSIX sh).  Sources
# tests/cage/lib.sh for diag, stop_pids and need_executables.
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
#
# For the suites of this folder (the caller sets PNGPIX, TOLERANCE and
# SHOT_PREFIX where it uses them):
# comp_test_defaults the TAP state (n, failed, skip_reason, MSG), MUST_RUN,
#                    PYTHON, SHOTS, TIMEOUT, REFDIR, UPDATE_REFS; T, PIDS and
#                    COMP_PID empty; RUN, CONF, CTLSOCK /nonexistent.
# stop_all [PID...]  SIGTERM to every pid of PIDS, then stop_pid them and
#                    the PIDs given; remove $T.
# need_executables USAGE FILE... (tests/cage/lib.sh)
#                    skip_reason and 1 unless every FILE is executable.
# need_commands COMMAND...
#                    skip_reason and 1 unless every COMMAND is installed.
# write_config_cages CAGE:LEVEL...
#                    write_config with other cages.
# install_window_query
#                    windows.py (the window and output queries) as $T/q.py.
# start_program PROGRAM NAME CAGE ARGS...
#                    start_client with another test client.
# wait_exit PID TENTHS
#                    0 once PID ended (reaped, its status in EXIT_STATUS), 1
#                    if it still runs after TENTHS tenths of a second.
# keep_shot NAME PNG NOTE [POINTS...]
#                    a failing screenshot into $SHOTS, the points marked.
# pixels_are NAME PNG RRGGBB POINTS...
#                    every point within TOLERANCE (MSG: what they are).

# shellcheck source=tests/cage/lib.sh
. "$(dirname "$0")/../cage/lib.sh"

COMP_TEST_DIR=$(dirname "$0")/../compositor

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

# ctl_timed REQUEST...: each REQUEST (one JSON object, as the control socket
# reads them) sent in turn over one connection to $CTLSOCK; prints the
# milliseconds they took together.  Fails, saying why, when a reply is not
# ok.  For input that must land within a deadline: one process instead of a
# cloison-ctl run per request (hundreds of ms each under the sanitizers).
ctl_timed() {
	"${PYTHON:-python3}" - "$CTLSOCK" "$@" <<'PYEOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rw")
t0 = time.monotonic()
for req in sys.argv[2:]:
    f.write(req + "\n")
    f.flush()
    reply = json.loads(f.readline())
    if not reply.get("ok"):
        sys.exit("control socket: %s: %s" % (req, reply.get("error")))
print(int((time.monotonic() - t0) * 1000))
PYEOF
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
	start_program "$TOPLEVEL" "$@"
}

# start_program PROGRAM NAME CAGE ARGS...: start_client with PROGRAM.
start_program() {
	prog=$1
	name=$2
	cage=$3
	shift 3
	WAYLAND_DISPLAY=$RUN/cloison/cages/$cage/wayland-0 "$prog" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
	PIDS="$PIDS $pid"
	eval "PID_$name=\$pid"
}

write_config() {
	write_config_cages alpha:low beta:high
}

# write_config_cages CAGE:LEVEL...: the levels low and high, these cages.
write_config_cages() {
	{
		printf '[level low]\nlabel=Low\ncolour=#%s\nrank=0\n\n' "$LOW"
		printf '[level high]\nlabel=High\ncolour=#%s\nrank=10\n' "$HIGH"
		for c in "$@"; do
			printf '\n[cage %s]\nlevel=%s\nnetwork=false\napplications=\n' "${c%%:*}" "${c#*:}"
		done
	} >"$CONF"
}

comp_test_defaults() {
	n=0
	failed=0
	skip_reason=
	MSG=
	MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
	PYTHON=${PYTHON3:-/usr/bin/python3}
	[ -x "$PYTHON" ] || PYTHON=python3
	SHOTS=${CLOISON_BUILD_ROOT:-${TMPDIR:-/tmp}}/test-shots
	REFDIR=$COMP_TEST_DIR/reference
	[ -z "${CLOISON_SOURCE_ROOT:-}" ] || REFDIR=$CLOISON_SOURCE_ROOT/tests/compositor/reference
	REFDIR=${CLOISON_REFERENCE_DIR:-$REFDIR}
	UPDATE_REFS=${CLOISON_UPDATE_REFERENCES:-0}
	T=
	PIDS=
	COMP_PID=
	RUN=/nonexistent
	CONF=/nonexistent
	CTLSOCK=/nonexistent
	TIMEOUT=
	command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout -k 2"
}

stop_all() {
	for pid in $PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $PIDS "$@"; do
		stop_pid "$pid"
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		rm -rf "$T"
	fi
}

need_commands() {
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			skip_reason="$c is not installed"
			return 1
		fi
	done
}

install_window_query() {
	cp "$COMP_TEST_DIR/windows.py" "$T/q.py"
}

wait_exit() {
	wait_until "$(($2 + 1))" has_ended "$1" || return 1
	wait "$1"
	EXIT_STATUS=$?
	return 0
}

has_ended() {
	! kill -0 "$1" 2>/dev/null
}

keep_shot() {
	name=$1
	png=$2
	note=$3
	shift 3
	mkdir -p "$SHOTS" 2>/dev/null || return 0
	base=$SHOTS/${SHOT_PREFIX:-compositor}-$((n + 1))-$name
	cp "$png" "$base.png" 2>/dev/null
	[ $# = 0 ] || "$PNGPIX" "$png" --mark "$base-marked.png" "$@" 2>/dev/null
	{
		echo "$note"
		echo "points (x y): $*"
		echo "window list:"
		cat "$T/w.json" 2>/dev/null
	} >"$base.txt"
	diag "screenshot kept: $base.png (probed points marked in $base-marked.png, note $base.txt)"
}

pixels_are() {
	name=$1
	png=$2
	want=$3
	shift 3
	out=$("$PNGPIX" "$png" --expect "$want" --tolerance "$TOLERANCE" "$@" 2>&1)
	rc=$?
	MSG="want #$want: $(echo "$out" | awk '{ printf "(%s,%s)=%s ", $1, $2, $3 }')"
	if [ $rc != 0 ]; then
		keep_shot "$name" "$png" "expected #$want (tolerance $TOLERANCE): $out" "$@"
		return 1
	fi
	return 0
}
