# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=sh disable=SC2034
# Set-up shared by the integration tests' TAP scripts across tests/*/ (sourced,
# POSIX sh).  They use the caller's variables: n and failed (the TAP counters),
# T (the test's private directory), SPID (the session it started, if any),
# MUST_RUN, skip_reason and TEST_NAME (the words before "tests cannot run").
#
# ok TEXT, not_ok TEXT   one TAP line (not_ok counts a failure)
# check TEXT COMMAND...  ok TEXT if COMMAND succeeds, else not_ok TEXT
#                        (tap_check: the same, under a name that
#                        tests/compositor/lib.sh's check does not replace)
# diag LINE...           TAP diagnostic lines
# wait_for TENTHS COMMAND...
#                        retry COMMAND every 0.1 s until it succeeds, at most
#                        TENTHS times
# wait_file FILE [TENTHS]
#                        wait until FILE exists (10 s, or TENTHS × 0.1 s)
# skip_all               skip the whole test ($skip_reason says why), or fail
#                        it under CLOISON_TESTS_MUST_RUN=1
# skip_with REASON       skip_all with skip_reason=REASON
# have_font              0 if fontconfig finds a font; else 1 with $skip_reason
# abs PATH               PATH made absolute (the session takes absolute paths)
# wait_gone PID TENTHS   wait, at most TENTHS × 0.1 s, until PID has ended
# stop_session           SIGTERM to the session $SPID, SIGKILL after 30 s, reaped
# remove_tmp             remove $T (kept with CLOISON_TEST_KEEP=1)
# private_dirs NAME [DIR...]
#                        T: a new 0700 directory (NAME.XXXXXX); RUN, DATA,
#                        STATE and $T/home, config, cache (and $T/DIR...) in
#                        it, 0700; XDG_* and HOME point there; no inherited
#                        display, session bus or socket passing; GTK drawn
#                        with cairo, C locale
# cage_homes CAGE...     $DATA/cloison/cages/CAGE/home, each level 0700
# session_env            the session's programs ($COMP, $BAR, $TRANSFERD,
#                        $NOTIFYD, $CAGE_BIN, $CAGE_INIT) in its environment
# descendants PID        every pid below PID (not PID itself), from /proc
#                        ($PYTHON)
# alive_of PID...        those of the PIDs still running (not zombies)
# start_bus SOCKET LOG   a private dbus-daemon (the core bus) listening on
#                        SOCKET, its stderr in LOG: BUS (its address) and
#                        BUS_PID set; 1 if the socket is not there in 10 s

ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}

not_ok() {
	n=$((n + 1))
	echo "not ok $n - $*"
	failed=$((failed + 1))
}

tap_check() {
	desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

check() {
	tap_check "$@"
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

wait_for() {
	tries=$1
	shift
	i=0
	while ! "$@"; do
		i=$((i + 1))
		[ $i -ge "$tries" ] && return 1
		sleep 0.1
	done
	return 0
}

wait_file() {
	wait_for "${2:-100}" test -e "$1"
}

skip_all() {
	if [ "${MUST_RUN:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - $TEST_NAME tests cannot run: $skip_reason"
		exit 1
	fi
	echo "1..0 # SKIP $skip_reason"
	exit 0
}

skip_with() {
	skip_reason=$1
	skip_all
}

have_font() {
	if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list 2>/dev/null | head -n 1)" ]; then
		skip_reason="no font is installed (fontconfig finds none)"
		return 1
	fi
}

abs() {
	case $1 in
	/* | '') printf '%s' "$1" ;;
	*) printf '%s/%s' "$(pwd)" "$1" ;;
	esac
}

wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt "$2" ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

stop_session() {
	[ -n "${SPID:-}" ] || return 0
	kill -TERM "$SPID" 2>/dev/null
	wait_gone "$SPID" 300
	kill -KILL "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	SPID=
}

remove_tmp() {
	if [ -n "${T:-}" ] && [ -d "$T" ] && [ "${CLOISON_TEST_KEEP:-0}" != 1 ]; then
		rm -rf "$T"
	fi
}

private_dirs() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 1
	shift
	chmod 0700 "$T"
	RUN=$T/run
	DATA=$T/data
	STATE=$T/state
	mkdir -m 0700 "$RUN" "$DATA" "$STATE" "$T/home" "$T/config" "$T/cache" || exit 1
	for d in "$@"; do
		mkdir -m 0700 "$T/$d" || exit 1
	done
	export XDG_RUNTIME_DIR="$RUN" XDG_DATA_HOME="$DATA" XDG_STATE_HOME="$STATE" HOME="$T/home"
	export XDG_CONFIG_HOME="$T/config" XDG_CACHE_HOME="$T/cache"
	unset WAYLAND_DISPLAY WAYLAND_SOCKET DISPLAY DBUS_SESSION_BUS_ADDRESS LISTEN_FDS LISTEN_PID \
		LISTEN_FDNAMES
	export GSK_RENDERER=cairo GTK_A11Y=none LANGUAGE=C LC_ALL=C.UTF-8
}

cage_homes() {
	for d in "$DATA/cloison" "$DATA/cloison/cages"; do
		[ -d "$d" ] || mkdir -m 0700 "$d" || return 1
	done
	for c in "$@"; do
		mkdir -m 0700 "$DATA/cloison/cages/$c" "$DATA/cloison/cages/$c/home" || return 1
	done
}

session_env() {
	export CLOISON_COMPOSITOR="$COMP" CLOISON_BAR="$BAR" CLOISON_TRANSFERD="$TRANSFERD"
	export CLOISON_NOTIFYD="$NOTIFYD" CLOISON_CAGE_COMMAND="$CAGE_BIN" CLOISON_CAGE_INIT="$CAGE_INIT"
}

descendants() {
	"${PYTHON:-python3}" - "$1" <<'EOF'
import os, sys
parent = {}
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        with open("/proc/%s/stat" % p) as f:
            s = f.read()
    except OSError:
        continue
    parent[int(p)] = int(s[s.rindex(")") + 2:].split()[1])
todo, out = [int(sys.argv[1])], []
while todo:
    cur = todo.pop()
    for pid, pp in parent.items():
        if pp == cur:
            out.append(pid)
            todo.append(pid)
print(" ".join(map(str, sorted(out))))
EOF
}

alive_of() {
	for p in "$@"; do
		if [ -r "/proc/$p/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$p/stat" 2>/dev/null; then
			printf '%s ' "$p"
		fi
	done
}

start_bus() {
	dbus-daemon --session --address="unix:path=$1" --nofork --nopidfile >/dev/null 2>"$2" &
	BUS_PID=$!
	BUS="unix:path=$1"
	wait_for 100 test -S "$1"
}
