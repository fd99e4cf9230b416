#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: real Wayland clients inside a real cage.
#
#   run-gui.sh CLOISON_CAGE CAGE_INIT GTK_HELLO
#
# Starts sway headless (pixman renderer, no input devices) in a private
# runtime directory, hard-links its Wayland socket to the cage's socket path
# $XDG_RUNTIME_DIR/cloison/cages/alpha/wayland-0, then runs foot and gtk-hello
# in cage alpha with `cloison-cage run` and checks with swaymsg that their
# windows map (and go away when the cage is stopped with SIGTERM).
#
# sway refuses to run as root: when this script runs as root, sway runs as
# the account `nobody` (through setpriv).  Everything started here is stopped
# by pid on exit.  Tests are skipped when something is missing, unless
# CLOISON_TESTS_MUST_RUN=1 (then they fail).
# shellcheck source=tests/cage/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

set -u

CAGE_BIN=${1:-}
CAGE_INIT=${2:-}
GTK_HELLO=${3:-}
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
MAP_TIMEOUT=30
PYTHON=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
STOP_TIMEOUT=10

n=0
failed=0
skip_reason=

T=
SWAY_PID=
CAGE_PID=
SWAYSOCK=
LISTENER_PID=

cleanup() {
	# shellcheck disable=SC2086
	stop_pids $CAGE_PID $SWAY_PID $LISTENER_PID
	if [ -n "$T" ] && [ -d "$T" ]; then
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

skip() {
	n=$((n + 1))
	if [ "$MUST_RUN" = 1 ]; then
		echo "not ok $n - $1: cannot run: $skip_reason"
		failed=$((failed + 1))
	else
		echo "ok $n - $1 # SKIP $skip_reason"
	fi
}

check_prerequisites() {
	cage_prereqs "$CAGE_BIN" "$CAGE_INIT" || return 1
	for p in sway swaymsg foot; do
		if ! command -v $p >/dev/null 2>&1; then
			skip_reason="$p is not installed (tools/install-deps)"
			return 1
		fi
	done
	if [ "$(id -u)" = 0 ] && ! id nobody >/dev/null 2>&1; then
		skip_reason="running as root: sway needs the account nobody"
		return 1
	fi
	return 0
}

# The command prefix that runs a program as the account sway runs as.
if [ "$(id -u)" = 0 ]; then
	AS_SWAY_USER="setpriv --reuid=nobody --regid=$(id -g nobody 2>/dev/null || echo 65534) --clear-groups"
else
	AS_SWAY_USER=
fi

setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/cloison-gui-test.XXXXXX") || return 1
	# sway (maybe as nobody) must reach its own directory below.
	chmod 0711 "$T"
	RUN=$T/run
	DATA=$T/data
	SWAYRUN=$T/sway
	mkdir -m 0700 "$RUN" "$DATA" "$T/home" "$T/config" "$SWAYRUN" || return 1
	for d in cloison cloison/cages cloison/cages/alpha; do
		mkdir -m 0700 "$RUN/$d" "$DATA/$d" || return 1
	done
	mkdir -m 0700 "$DATA/cloison/cages/alpha/home" || return 1
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$SWAYRUN" || return 1
	fi
	export XDG_RUNTIME_DIR="$RUN" XDG_DATA_HOME="$DATA" HOME="$T/home"
	export XDG_CONFIG_HOME="$T/config"
	export CLOISON_CAGE_INIT="$CAGE_INIT"
	unset WAYLAND_DISPLAY DISPLAY

	CONF=$T/cloison.conf
	cat >"$CONF" <<-EOF
		[level low]
		label=Low
		colour=#2e7d32
		rank=0

		[cage alpha]
		level=low
		network=false
		applications=
	EOF

	cat >"$T/sway.conf" <<-EOF
		xwayland disable
		output HEADLESS-1 resolution 1280x720
		default_border normal
	EOF
	chmod 0644 "$T/sway.conf"

	if [ -n "$GTK_HELLO" ] && [ -x "$GTK_HELLO" ]; then
		cp "$GTK_HELLO" "$DATA/cloison/cages/alpha/home/gtk-hello" &&
			chmod 0755 "$DATA/cloison/cages/alpha/home/gtk-hello" || return 1
	fi

	# The transfer and notify sockets: a listener that accepts and closes.
	# (Clients here do not use them, but the launcher requires them.)
	"$PYTHON" -c '
import os, selectors, signal, socket, sys
sel = selectors.DefaultSelector()
for p in sys.argv[2:]:
    s = socket.socket(socket.AF_UNIX)
    s.bind(p)
    s.listen(16)
    sel.register(s, selectors.EVENT_READ)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
open(sys.argv[1], "w").close()
while True:
    for k, _ in sel.select():
        k.fileobj.accept()[0].close()
' "$T/listen.ready" "$RUN/cloison/cages/alpha/transfer" "$RUN/cloison/cages/alpha/notify" \
		>"$T/listen.log" 2>&1 &
	LISTENER_PID=$!
	i=0
	while [ ! -f "$T/listen.ready" ] && [ $i -lt 100 ]; do
		kill -0 "$LISTENER_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -f "$T/listen.ready" ]; then
		diag "socket listener did not start:" "$(cat "$T/listen.log")"
		return 1
	fi
	return 0
}

start_sway() {
	# setpriv and env exec: $! is sway's own pid.
	# shellcheck disable=SC2086
	$AS_SWAY_USER env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$SWAYRUN" \
		XDG_RUNTIME_DIR="$SWAYRUN" WLR_BACKENDS=headless WLR_RENDERER=pixman \
		WLR_LIBINPUT_NO_DEVICES=1 WLR_HEADLESS_OUTPUTS=1 \
		sway -c "$T/sway.conf" >"$T/sway.log" 2>&1 &
	SWAY_PID=$!
	i=0
	while [ $i -lt 100 ]; do
		if ! kill -0 "$SWAY_PID" 2>/dev/null; then
			wait "$SWAY_PID" 2>/dev/null
			SWAY_PID=
			return 1
		fi
		for s in "$SWAYRUN"/sway-ipc.*.sock; do
			[ -S "$s" ] && SWAYSOCK=$s
		done
		sock=
		for w in "$SWAYRUN"/wayland-*; do
			case $w in *.lock) continue ;; esac
			[ -S "$w" ] && sock=$w
		done
		if [ -n "$SWAYSOCK" ] && [ -n "$sock" ] &&
			SWAYSOCK=$SWAYSOCK swaymsg -t get_outputs >/dev/null 2>&1; then
			# The cage's socket is the same inode as sway's.
			ln "$sock" "$RUN/cloison/cages/alpha/wayland-0" || return 1
			export SWAYSOCK
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# has_view KEY VALUE: a view in sway's tree has "KEY": "VALUE".
has_view() {
	swaymsg -t get_tree 2>/dev/null | grep -q "\"$1\": \"$2\""
}

# wait_view KEY VALUE SECONDS PID: until the view maps (or PID dies).
wait_view() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		has_view "$1" "$2" && return 0
		kill -0 "$4" 2>/dev/null || {
			has_view "$1" "$2"
			return $?
		}
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

wait_no_view() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		has_view "$1" "$2" || return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stop_cage NAME: SIGTERM the launcher, wait; sets CAGE_STATUS.
stop_cage() {
	kill -TERM "$CAGE_PID" 2>/dev/null
	i=0
	while kill -0 "$CAGE_PID" 2>/dev/null && [ $i -lt $((STOP_TIMEOUT * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$CAGE_PID" 2>/dev/null; then
		not_ok "$1: launcher still running ${STOP_TIMEOUT} s after SIGTERM"
		kill -KILL "$CAGE_PID" 2>/dev/null
	fi
	wait "$CAGE_PID"
	CAGE_STATUS=$?
	CAGE_PID=
}

# gui_client NAME APP_ID TITLE COMMAND...: run COMMAND in cage alpha, wait
# for its window (and its title, unless empty), stop the cage, check the
# window is gone.
gui_client() {
	name=$1
	app_id=$2
	title=$3
	shift 3
	if [ -n "$skip_reason" ]; then
		skip "$name: window maps in cage alpha"
		[ -n "$title" ] && skip "$name: window title"
		skip "$name: window goes away when the cage stops"
		return
	fi
	"$CAGE_BIN" --config "$CONF" run alpha -- "$@" </dev/null >"$T/$name.out" \
		2>"$T/$name.err" &
	CAGE_PID=$!
	mapped=0
	if wait_view app_id "$app_id" $MAP_TIMEOUT "$CAGE_PID"; then
		mapped=1
		ok "$name: window with app_id $app_id maps in cage alpha"
		if [ -n "$title" ]; then
			if has_view name "$title"; then
				ok "$name: window title is \"$title\""
			else
				not_ok "$name: no window titled \"$title\""
			fi
		fi
	else
		not_ok "$name: no window with app_id $app_id within ${MAP_TIMEOUT} s"
		diag "launcher/client stderr:" "$(tail -n 30 "$T/$name.err")"
		diag "client stdout:" "$(tail -n 10 "$T/$name.out")"
	fi
	stop_cage "$name"
	if [ $mapped = 0 ]; then
		n=$((n + 1))
		echo "ok $n - $name: window gone after the cage stopped # SKIP it never mapped"
	elif wait_no_view app_id "$app_id" $STOP_TIMEOUT; then
		ok "$name: window gone after the cage stopped (launcher status $CAGE_STATUS)"
	else
		not_ok "$name: window still mapped ${STOP_TIMEOUT} s after the cage stopped"
	fi
}

if ! check_prerequisites; then
	:
elif ! setup; then
	skip_reason="test set-up failed"
	MUST_RUN=1
fi

if [ -z "$skip_reason" ]; then
	if start_sway; then
		ok "sway headless runs (socket linked into cage alpha)"
	else
		not_ok "sway headless did not start"
		diag "$(tail -n 30 "$T/sway.log" 2>/dev/null)"
		skip_reason="sway did not start"
		MUST_RUN=1
	fi
else
	skip "sway headless runs"
fi

gui_client foot foot "" foot

if [ -z "$skip_reason" ] && { [ -z "$GTK_HELLO" ] || [ ! -x "$GTK_HELLO" ]; }; then
	skip_reason="gtk-hello is not built (GTK 4 missing)"
fi

# gtk-hello --quit-after-map: maps, says so, exits 0, and the launcher passes 0 on.
if [ -n "$skip_reason" ]; then
	skip "gtk-hello --quit-after-map exits 0 after mapping"
else
	timeout -k 5 60 "$CAGE_BIN" --config "$CONF" run alpha -- env GSK_RENDERER=cairo \
		GTK_A11Y=none /home/user/gtk-hello --quit-after-map </dev/null \
		>"$T/hello-quit.out" 2>"$T/hello-quit.err"
	rc=$?
	if [ $rc = 0 ] && grep -qx mapped "$T/hello-quit.out"; then
		ok "gtk-hello --quit-after-map exits 0 after mapping"
	else
		not_ok "gtk-hello --quit-after-map: exit $rc, stdout: $(head -c 200 "$T/hello-quit.out")"
		diag "$(tail -n 30 "$T/hello-quit.err")"
	fi
fi

gui_client gtk-hello org.cloison.TestHello "Cloison test" env GSK_RENDERER=cairo GTK_A11Y=none \
	/home/user/gtk-hello

if [ -z "$skip_reason" ] && [ -n "$SWAY_PID" ]; then
	if kill -0 "$SWAY_PID" 2>/dev/null; then
		ok "sway still running after the clients"
	else
		not_ok "sway died during the test"
		diag "$(tail -n 30 "$T/sway.log")"
	fi
else
	skip "sway still running after the clients"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
