#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: cloison-compositor's backends other than headless.
#
#   run-nested.sh COMPOSITOR CLOISON_CTL CL_TEST_TOPLEVEL CL_PNG_PIXEL
#
# Nested Wayland: the parent is another cloison-compositor, headless with
# --test-input; the nested one is a client of the parent's cage socket
# alpha (wlroots' Wayland backend needs wl_compositor, xdg_wm_base and
# wl_shm there; the pixman renderer draws into shm buffers).  It is started
# with WAYLAND_DISPLAY set, plus a bogus DISPLAY and WLR_BACKENDS=headless
# that must not matter.  Checked: readiness, the output is a Wayland window,
# a cl-test-toplevel in the nested cage socket beta maps, is tagged, and
# its colour and frame show in the nested screenshot and in the parent's;
# keys typed into the parent reach it through the nested keyboard device;
# the trusted bar's environment holds no parent display; SIGTERM stops it
# with status 0 (under ASan: no leak); a second one exits when the parent
# goes away (its status is only shown: wlroots 0.15 leaks the buffers the
# vanished parent never released).
#
# Nested X11: under Xvfb (MIT-SHM, no DRI3: pixman and shm pixmaps), with
# DISPLAY set: readiness, an X11 output of the --size asked for, a window
# that maps and shows; with xdotool (XTEST) a key reaches the focused window
# and Super+Escape (the secure attention key) takes the focus away and is
# never delivered; SIGTERM stops it with status 0.  Without MIT-SHM it must fail at once, naming MIT-SHM.
#
# Start-up errors: no DRM device (WLR_DRM_DEVICES naming a missing file, and
# with no variable at all when this machine has no /dev/dri/card*), a parent
# Wayland socket that accepts but never answers (the start watchdog ends it
# after 10 s), contradictory options, --test-input outside headless, and
# --headless winning over WAYLAND_DISPLAY and DISPLAY.  Every start runs
# under `timeout`, so a hang is a failure, never a stuck test.
#
# Everything started here is stopped by pid on exit.  When something needed
# is missing the tests are skipped, unless CLOISON_TESTS_MUST_RUN=1 (then
# they fail).
set -u

# shellcheck source=tests/compositor/lib.sh
. "$(dirname "$0")/lib.sh"

COMP=${1:-}
CTL=${2:-}
TOPLEVEL=${3:-}
PNGPIX=${4:-}
comp_test_defaults

LOW=00aa00
HIGH=cc0000
CLIENT=3366ff
NW=800
NH=600
# The watchdog of compositor/server.c, and some slack for a loaded machine.
WATCHDOG=10
# A start that fails must fail within this many seconds.
PROMPT=5

PARENT_PID=
NESTED_PID=
X11_PID=
XVFB_PID=

cleanup() {
	# shellcheck disable=SC2086 # lists of pids, some empty
	stop_all $NESTED_PID $X11_PID $PARENT_PID $XVFB_PID
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- set-up ---------------------------------------------------------------------

check_prerequisites() {
	need_executables "run-nested.sh COMPOSITOR CLOISON_CTL CL_TEST_TOPLEVEL CL_PNG_PIXEL" \
		"$COMP" "$CTL" "$TOPLEVEL" "$PNGPIX" &&
		need_commands "$PYTHON" mkfifo timeout
}

setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/cloison-nested-test.XXXXXX") || return 1
	chmod 0700 "$T"
	for d in p n x e home; do
		mkdir -m 0700 "$T/$d" || return 1
	done
	export HOME="$T/home" XDG_CONFIG_HOME="$T/home" XDG_CACHE_HOME="$T/home"
	unset WAYLAND_DISPLAY WAYLAND_SOCKET DISPLAY WLR_BACKENDS WLR_RENDERER WLR_DRM_DEVICES
	CONF=$T/cloison.conf
	write_config
	install_window_query
	return 0
}

# start LOG VAR=VALUE… -- COMPOSITOR-ARGS…: start cloison-compositor in the
# background with --ready-fd and those variables.  Sets STARTED_PID; returns
# 0 once READY=1 came (20 s at most), else 1 with the first line in
# READY_LINE.
start() {
	log=$1
	shift
	vars=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vars="$vars $1"
		shift
	done
	shift
	fifo=$T/ready.$$.$n
	rm -f "$fifo"
	mkfifo -m 0600 "$fifo" || return 1
	# shellcheck disable=SC2086 # the variables hold no spaces (paths under $T)
	env $vars "$COMP" --config "$CONF" --ready-fd 3 "$@" 3>"$fifo" >"$log" 2>&1 &
	STARTED_PID=$!
	READY_LINE=$(timeout -k 2 20 head -n 1 "$fifo")
	rm -f "$fifo"
	[ "$READY_LINE" = "READY=1" ]
}

ctl() {
	sock=$1
	shift
	"$CTL" --timeout 20 --socket "$sock" "$@"
}

# window_info SOCKET TITLE: "id cage level mapped focused x y w h".
window_info() {
	ctl "$1" windows >"$T/w.json" 2>/dev/null && "$PYTHON" "$T/q.py" "$T/w.json" window "$2"
}

output_info() {
	ctl "$1" outputs >"$T/o.json" 2>/dev/null && "$PYTHON" "$T/q.py" "$T/o.json" first-output
}

is_mapped() {
	info=$(window_info "$1" "$2") || return 1
	[ "$(echo "$info" | cut -d' ' -f4)" = true ]
}

is_focused() {
	info=$(window_info "$1" "$2") || return 1
	[ "$(echo "$info" | cut -d' ' -f5)" = "$3" ]
}

# pixel_is PNG RRGGBB X Y
pixel_is() {
	"$PNGPIX" "$1" --expect "$2" --tolerance 8 "$3" "$4" >/dev/null 2>&1
}

# client_and_frame SOCKET TITLE PNG FRAME-COLOUR: the client's colour in the
# middle of its window, the frame colour just left of it.
client_and_frame() {
	info=$(window_info "$1" "$2") || {
		MSG="no window $2"
		return 1
	}
	set -- "$3" "$4" $info
	x=$8
	y=$9
	w=${10}
	h=${11}
	cx=$((x + w / 2))
	cy=$((y + h / 2))
	got=$("$PNGPIX" "$1" $cx $cy $((x - 2)) $cy 2>&1)
	MSG="client at $cx,$cy and frame at $((x - 2)),$cy: $(echo $got)"
	pixel_is "$1" "$CLIENT" $cx $cy && pixel_is "$1" "$2" $((x - 2)) $cy
}

# fails_promptly LOG SECONDS PATTERN ENV-AND-COMMAND…: the command must exit
# non-zero within SECONDS and log PATTERN.
fails_promptly() {
	log=$1
	limit=$2
	pattern=$3
	shift 3
	start_s=$(date +%s)
	timeout -k 2 $((limit + 10)) env "$@" >"$log" 2>&1 </dev/null
	rc=$?
	took=$(($(date +%s) - start_s))
	MSG="exit $rc after ${took} s: $(grep -m1 -e "$pattern" "$log" || tail -n 1 "$log")"
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $rc -ne 137 ] && [ $took -le "$limit" ] &&
		grep -q -e "$pattern" "$log"
}

# --- nested Wayland -----------------------------------------------------------------

PSOCK=
NSOCK=

t_wl_ready() {
	start "$T/parent.log" XDG_RUNTIME_DIR="$T/p" -- --headless --size 1280x720 --test-input
	rc=$?
	PARENT_PID=$STARTED_PID
	if [ $rc != 0 ]; then
		MSG="the parent did not start: $READY_LINE"
		diag "$(tail -n 20 "$T/parent.log")"
		return 1
	fi
	PSOCK=$T/p/cloison/core/ctl
	NSOCK=$T/n/cloison/core/ctl
	# The bar: records its environment, then stays.
	start "$T/nested.log" XDG_RUNTIME_DIR="$T/n" \
		WAYLAND_DISPLAY="$T/p/cloison/cages/alpha/wayland-0" DISPLAY=:2047 \
		WLR_BACKENDS=headless XAUTHORITY="$T/none" -- --size ${NW}x$NH \
		--bar "sh -c 'env >$T/bar.env.tmp && mv $T/bar.env.tmp $T/bar.env; exec sleep 600'"
	rc=$?
	NESTED_PID=$STARTED_PID
	if [ $rc != 0 ]; then
		MSG="no READY=1 (got '$READY_LINE')"
		diag "$(tail -n 20 "$T/nested.log")"
		return 1
	fi
	MSG=$(grep -m1 'backend:' "$T/nested.log" | sed 's/^cloison-compositor: info: //')
	return 0
}

t_wl_output() {
	out=$(output_info "$NSOCK")
	MSG="output '$out'; $(grep -m1 'renderer:' "$T/nested.log" | sed 's/^.*: //')"
	case $out in
	WL-*) ;;
	*) return 1 ;;
	esac
	grep -q 'renderer: pixman' "$T/nested.log"
}

t_wl_parent_window() {
	ctl "$PSOCK" windows >"$T/pw.json" 2>/dev/null &&
		info=$("$PYTHON" "$T/q.py" "$T/pw.json" cage-window alpha) || {
		MSG="no window of cage alpha in the parent"
		return 1
	}
	MSG="parent window $info"
	PARENT_WIN=$(echo "$info" | cut -d' ' -f1)
}

t_wl_client_maps() {
	WAYLAND_DISPLAY=$T/n/cloison/cages/beta/wayland-0 "$TOPLEVEL" --title nested-beta \
		--colour $CLIENT --size 300x200 --print-keys >"$T/wl-client.out" 2>"$T/wl-client.err" &
	WL_CLIENT_PID=$!
	PIDS="$PIDS $WL_CLIENT_PID"
	wait_until 150 is_mapped "$NSOCK" nested-beta || {
		MSG="not mapped: $(cat "$T/wl-client.err")"
		return 1
	}
	info=$(window_info "$NSOCK" nested-beta)
	MSG="$info"
	[ "$(echo "$info" | cut -d' ' -f2,3)" = "beta high" ]
}

t_wl_screenshot() {
	ctl "$NSOCK" screenshot "$T/nested.png" >/dev/null 2>"$T/ctl.err" || {
		MSG="screenshot failed: $(cat "$T/ctl.err")"
		return 1
	}
	wait_until 50 client_and_frame "$NSOCK" nested-beta "$T/nested.png" $HIGH ||
		{
			ctl "$NSOCK" screenshot "$T/nested.png" >/dev/null 2>&1
			client_and_frame "$NSOCK" nested-beta "$T/nested.png" $HIGH
		}
}

shot_has_client() {
	ctl "$PSOCK" screenshot "$T/parent.png" >/dev/null 2>&1 || return 1
	count=$("$PNGPIX" "$T/parent.png" --count-same $CLIENT --tolerance 8 0 0 1280 720)
	MSG="$count pixels of #$CLIENT in the parent's screenshot"
	[ "$count" -ge 50000 ]
}

t_wl_parent_shows() {
	wait_until 50 shot_has_client
}

t_wl_keys() {
	id=$(window_info "$NSOCK" nested-beta | cut -d' ' -f1)
	ctl "$NSOCK" focus "$id" >/dev/null 2>&1 &&
		ctl "$PSOCK" focus "$PARENT_WIN" >/dev/null 2>&1 &&
		wait_until 30 is_focused "$NSOCK" nested-beta true || {
		MSG="cannot focus the windows"
		return 1
	}
	ctl "$PSOCK" input type "qz" >/dev/null 2>&1 || {
		MSG="the parent refused synthetic input"
		return 1
	}
	# q and z: evdev 16 and 44.
	wait_until 50 grep -q '^key 44 released' "$T/wl-client.out"
	rc=$?
	MSG="client saw: $(grep '^key' "$T/wl-client.out" | tr '\n' ';')"
	[ $rc = 0 ] && grep -q '^key 16 pressed' "$T/wl-client.out"
}

t_wl_bar_env() {
	wait_until 100 test -s "$T/bar.env" || {
		MSG="the bar never started"
		return 1
	}
	leaked=$(grep -E '^(WAYLAND_DISPLAY|DISPLAY|XAUTHORITY)=' "$T/bar.env" | tr '\n' ' ')
	MSG="bar has $(grep -E '^WAYLAND_SOCKET=' "$T/bar.env")${leaked:+; leaked: $leaked}"
	[ -z "$leaked" ] && grep -q '^WAYLAND_SOCKET=[0-9]' "$T/bar.env"
}

# term_status PID: SIGTERM, then its exit status (10 s at most) in MSG.
term_status() {
	TERM_PID=$1
	kill -TERM "$TERM_PID" 2>/dev/null
	if ! wait_until 100 eval '! kill -0 "$TERM_PID" 2>/dev/null'; then
		MSG="still running 10 s after SIGTERM"
		stop_pid "$TERM_PID"
		return 1
	fi
	wait "$TERM_PID"
	st=$?
	MSG="exit status $st"
	[ $st = 0 ]
}

t_wl_sigterm() {
	pid=$NESTED_PID
	NESTED_PID=
	term_status "$pid"
}

t_wl_parent_gone() {
	rm -rf "$T/n"/*
	start "$T/nested2.log" XDG_RUNTIME_DIR="$T/n" \
		WAYLAND_DISPLAY="$T/p/cloison/cages/alpha/wayland-0" -- || {
		MSG="the second nested compositor did not start"
		NESTED_PID=$STARTED_PID
		return 1
	}
	NESTED_PID=$STARTED_PID
	stop_pid "$PARENT_PID"
	PARENT_PID=
	if wait_until $((PROMPT * 10)) eval '! kill -0 "$NESTED_PID" 2>/dev/null'; then
		wait "$NESTED_PID" 2>/dev/null
		MSG="nested compositor exited with status $?"
		NESTED_PID=
		return 0
	fi
	MSG="the nested compositor still runs ${PROMPT} s after its parent quit"
	return 1
}

# --- nested X11 ---------------------------------------------------------------------

XDISP=
XSOCK=

# start_xvfb [XVFB-ARGS…]: a private X server on a free display number.
start_xvfb() {
	rm -f "$T/xdisplay"
	Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp "$@" 5>"$T/xdisplay" \
		>"$T/xvfb.log" 2>&1 &
	XVFB_PID=$!
	wait_until 100 test -s "$T/xdisplay" || return 1
	XDISP=:$(head -n 1 "$T/xdisplay")
}

t_x11_ready() {
	start_xvfb || {
		MSG="Xvfb did not start: $(tail -n 3 "$T/xvfb.log")"
		return 1
	}
	XSOCK=$T/x/cloison/core/ctl
	start "$T/x11.log" XDG_RUNTIME_DIR="$T/x" DISPLAY="$XDISP" -- --size ${NW}x$NH
	rc=$?
	X11_PID=$STARTED_PID
	MSG=$(grep -m1 'backend:' "$T/x11.log" | sed 's/^cloison-compositor: info: //')
	[ $rc = 0 ] || diag "$(tail -n 20 "$T/x11.log")"
	return $rc
}

x11_output_is() {
	out=$(output_info "$XSOCK")
	MSG="output '$out'; $(grep -m1 'renderer:' "$T/x11.log" | sed 's/^.*: //')"
	case $out in
	"X11-"*" $NW $NH") ;;
	*) return 1 ;;
	esac
	grep -q 'renderer: pixman' "$T/x11.log"
}

t_x11_output() {
	wait_until 50 x11_output_is
}

t_x11_client() {
	WAYLAND_DISPLAY=$T/x/cloison/cages/alpha/wayland-0 "$TOPLEVEL" --title x11-alpha \
		--colour $CLIENT --size 300x200 --print-keys >"$T/x-client.out" 2>"$T/x-client.err" &
	PIDS="$PIDS $!"
	wait_until 150 is_mapped "$XSOCK" x11-alpha || {
		MSG="not mapped: $(cat "$T/x-client.err")"
		return 1
	}
	ctl "$XSOCK" screenshot "$T/x11.png" >/dev/null 2>"$T/ctl.err" || {
		MSG="screenshot failed: $(cat "$T/ctl.err")"
		return 1
	}
	client_and_frame "$XSOCK" x11-alpha "$T/x11.png" $LOW || {
		sleep 0.5
		ctl "$XSOCK" screenshot "$T/x11.png" >/dev/null 2>&1
		client_and_frame "$XSOCK" x11-alpha "$T/x11.png" $LOW
	}
}

t_x11_key() {
	id=$(window_info "$XSOCK" x11-alpha | cut -d' ' -f1)
	ctl "$XSOCK" focus "$id" >/dev/null 2>&1 && wait_until 30 is_focused "$XSOCK" x11-alpha true ||
		{
			MSG="cannot focus the window"
			return 1
		}
	# No window manager: the X keyboard focus follows the pointer.
	DISPLAY=$XDISP xdotool mousemove 400 300 sleep 0.2 key q >/dev/null 2>&1
	wait_until 50 grep -q '^key 16 released' "$T/x-client.out"
	rc=$?
	MSG="client saw: $(grep '^key' "$T/x-client.out" | tr '\n' ';')"
	return $rc
}

t_x11_sak() {
	DISPLAY=$XDISP xdotool key super+Escape sleep 0.2 key z >/dev/null 2>&1
	wait_until 50 is_focused "$XSOCK" x11-alpha false
	rc=$?
	sleep 0.3
	MSG="focused: $(window_info "$XSOCK" x11-alpha | cut -d' ' -f5); client saw: $(grep '^key' "$T/x-client.out" | tr '\n' ';')"
	# Escape (evdev 1) never delivered, nor z (44) typed after it.
	[ $rc = 0 ] && ! grep -q -e '^key 1 ' -e '^key 44 ' "$T/x-client.out" &&
		grep -q 'secure attention key' "$T/x11.log"
}

t_x11_sigterm() {
	pid=$X11_PID
	X11_PID=
	term_status "$pid"
}

t_x11_no_shm() {
	stop_pid "$XVFB_PID"
	XVFB_PID=
	start_xvfb -extension MIT-SHM || {
		MSG="Xvfb -extension MIT-SHM did not start"
		return 1
	}
	rm -rf "$T/x"/*
	fails_promptly "$T/x11-noshm.log" $PROMPT 'neither MIT-SHM' XDG_RUNTIME_DIR="$T/x" \
		DISPLAY="$XDISP" "$COMP" --config "$CONF"
	rc=$?
	stop_pid "$XVFB_PID"
	XVFB_PID=
	return $rc
}

# --- start-up errors ----------------------------------------------------------------

t_drm_named_missing() {
	fails_promptly "$T/drm1.log" $PROMPT 'no DRM device /nonexistent/card9' \
		XDG_RUNTIME_DIR="$T/e" WLR_DRM_DEVICES=/nonexistent/card9 "$COMP" --config "$CONF"
}

t_drm_none() {
	fails_promptly "$T/drm2.log" $PROMPT 'no DRM device found' XDG_RUNTIME_DIR="$T/e" \
		"$COMP" --config "$CONF"
}

t_hung_parent() {
	"$PYTHON" -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
time.sleep(120)' "$T/hung-0" &
	hung=$!
	PIDS="$PIDS $hung"
	wait_until 100 test -S "$T/hung-0" || {
		MSG="the silent listener did not start"
		return 1
	}
	fails_promptly "$T/hung.log" $((WATCHDOG + 5)) 'did not answer within' \
		XDG_RUNTIME_DIR="$T/e" WAYLAND_DISPLAY="$T/hung-0" "$COMP" --config "$CONF"
	rc=$?
	stop_pid "$hung"
	return $rc
}

t_contradiction() {
	fails_promptly "$T/opt1.log" $PROMPT 'contradict' XDG_RUNTIME_DIR="$T/e" \
		"$COMP" --config "$CONF" --headless --backend x11
}

t_test_input_nested() {
	fails_promptly "$T/opt2.log" $PROMPT 'only allowed with --headless' \
		XDG_RUNTIME_DIR="$T/e" WAYLAND_DISPLAY="$T/none" "$COMP" --config "$CONF" --test-input
}

t_headless_wins() {
	rm -rf "$T/e"/*
	start "$T/hl.log" XDG_RUNTIME_DIR="$T/e" WAYLAND_DISPLAY="$T/none" DISPLAY=:2047 -- \
		--headless
	rc=$?
	pid=$STARTED_PID
	out=$(output_info "$T/e/cloison/core/ctl")
	stop_pid "$pid"
	MSG="output '$out'"
	[ $rc = 0 ] && case $out in HEADLESS-*) true ;; *) false ;; esac
}

# --- run ------------------------------------------------------------------------------

echo "1..23"
check_prerequisites && setup || skip_reason=${skip_reason:-"set-up failed"}

check "nested Wayland: READY=1 with WAYLAND_DISPLAY (DISPLAY and WLR_BACKENDS ignored)" t_wl_ready
wl_skip=$skip_reason
[ $failed = 0 ] || skip_reason="the nested Wayland compositor did not start"
check "nested Wayland: the output is a window on the parent, pixman renderer" t_wl_output
check "nested Wayland: the parent shows it as a window of cage alpha" t_wl_parent_window
check "nested Wayland: a client in cage beta maps, tagged beta/high" t_wl_client_maps
check "nested Wayland: screenshot shows the client and its High frame" t_wl_screenshot
check "nested Wayland: the parent's screenshot shows the nested frames" t_wl_parent_shows
check "nested Wayland: keys typed into the parent reach the focused client" t_wl_keys
check "nested Wayland: no parent display in the bar's environment" t_wl_bar_env
check "nested Wayland: SIGTERM stops it cleanly (status 0)" t_wl_sigterm
check "nested Wayland: exits when the parent quits" t_wl_parent_gone
skip_reason=$wl_skip

if [ -z "$skip_reason" ] && ! command -v Xvfb >/dev/null 2>&1; then
	x_reason="Xvfb is not installed (package xvfb; tools/install-deps)"
else
	x_reason=
fi
saved=$skip_reason
skip_reason=${skip_reason:-$x_reason}
check "nested X11 (Xvfb): READY=1 with DISPLAY" t_x11_ready
[ -n "$skip_reason" ] || [ -n "$X11_PID" ] || skip_reason="the nested X11 compositor did not start"
check "nested X11: one output of --size, pixman renderer" t_x11_output
check "nested X11: a client in cage alpha maps and shows with its Low frame" t_x11_client
if [ -z "$skip_reason" ] && ! command -v xdotool >/dev/null 2>&1; then
	skip_reason="xdotool is not installed (tools/install-deps)"
fi
check "nested X11: a key through the X server reaches the focused client" t_x11_key
check "nested X11: Super+Escape takes the focus, no key delivered" t_x11_sak
check "nested X11: SIGTERM stops it cleanly (status 0)" t_x11_sigterm
skip_reason=${saved:-$x_reason}
check "nested X11: without MIT-SHM it fails at once, naming it" t_x11_no_shm
skip_reason=$saved

check "DRM: WLR_DRM_DEVICES naming a missing card fails at once" t_drm_named_missing
if [ -z "$skip_reason" ] && ls /dev/dri/card* >/dev/null 2>&1; then
	skip_reason="this machine has a DRM card: the no-device path needs a machine without one"
fi
check "DRM: no /dev/dri/card* fails at once with a clear error (no seat wait)" t_drm_none
skip_reason=$saved
check "a parent that never answers: the start watchdog ends it" t_hung_parent
check "--headless with --backend x11 is refused" t_contradiction
check "--test-input is refused outside headless" t_test_input_nested
check "--headless wins over WAYLAND_DISPLAY and DISPLAY" t_headless_wins

if [ $failed != 0 ]; then
	for f in parent nested x11; do
		[ -s "$T/$f.log" ] && diag "--- $f.log" "$(tail -n 15 "$T/$f.log")"
	done
fi
[ $failed = 0 ]
