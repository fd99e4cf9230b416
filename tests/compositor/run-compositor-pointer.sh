#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: drag-and-drop per level, moves that try to reach y < 0, and
# several outputs, on cloison-compositor headless with real Wayland clients.
#
#   run-compositor-pointer.sh COMPOSITOR CLOISON_CTL CL_TEST_POINTER CL_TEST_TOPLEVEL \
#                             CL_PNG_PIXEL
#
# Starts `cloison-compositor --headless --size 1280x720 --test-input` in a
# private runtime directory with two levels (low #00aa00, high #cc0000) and
# three cages (alpha and gamma: low, beta: high), waits for READY=1, then:
# - drag-and-drop, driven by `cloison-ctl input press/move/release`: a drop
#   on a window of the same level (another cage) delivers the data and does
#   not move the keyboard focus; over a window of another level the receiver
#   gets no enter, no offer and no data, and the drop cancels; a drag
#   started with a serial the compositor never sent is refused; a source
#   client destroying its source and icon, or dying, mid-drag leaves the
#   compositor serving; the drag icon never covers the strip and a giant
#   icon is not shown;
# - a window asked to go above the top of the screen (an interactive move
#   by xdg_toplevel.move or by its frame, driven up past the strip; a window
#   geometry and buffer offset far in the negative) stays below the strip,
#   both in `cloison-ctl windows` and in the pixels of the strip;
# - a second output (`cloison-ctl output add`): each output has its strip
#   and its work area; fullscreen, maximised windows and popups keep to the
#   work area of their output; a window moved across keeps off the strips;
#   removing the output brings its windows back onto the first one.
# Failing screenshots go to $CLOISON_BUILD_ROOT/test-shots/.  Everything
# started here is stopped by pid on exit.  When something needed is missing
# the tests are skipped, unless CLOISON_TESTS_MUST_RUN=1 (then they fail).
set -u

# shellcheck source=tests/compositor/lib.sh
. "$(dirname "$0")/lib.sh"

COMP=${1:-}
CTL=${2:-}
POINTER=${3:-}
TOPLEVEL=${4:-}
PNGPIX=${5:-}
comp_test_defaults
SHOT_PREFIX=compositor-pointer

# Must match the configuration below and compositor/server.h.
WIDTH=1280
HEIGHT=720
BAR=28
BORDER=4
TITLEBAR=24
LOW=00aa00
HIGH=cc0000
TOLERANCE=8
MAGENTA=ff00ff
# Second output (right of the first).
W2=800
H2=600

cleanup() {
	stop_all "$COMP_PID"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- set-up -----------------------------------------------------------------------

check_prerequisites() {
	need_executables "run-compositor-pointer.sh COMPOSITOR CLOISON_CTL CL_TEST_POINTER CL_TEST_TOPLEVEL CL_PNG_PIXEL" \
		"$COMP" "$CTL" "$POINTER" "$TOPLEVEL" "$PNGPIX" &&
		need_commands "$PYTHON" mkfifo
}

setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/cloison-pointer-test.XXXXXX") || return 1
	chmod 0700 "$T"
	RUN=$T/run
	mkdir -m 0700 "$RUN" "$T/home" || return 1
	export XDG_RUNTIME_DIR="$RUN" HOME="$T/home"
	unset WAYLAND_DISPLAY WAYLAND_SOCKET DISPLAY
	CONF=$T/cloison.conf
	CTLSOCK=$RUN/cloison/core/ctl
	write_config_cages alpha:low gamma:low beta:high
	install_window_query
	start_compositor "$RUN" "$T/compositor.log" --test-input
	rc=$?
	COMP_PID=$STARTED_PID
	return $rc
}

# --- helpers ------------------------------------------------------------------------

# start PROGRAM NAME CAGE ARGS...: a test client through CAGE's socket; its
# pid in PID_NAME, output in $T/NAME.out.
start() {
	prog=$1
	name=$2
	cage=$3
	shift 3
	start_program "$prog" "$name" "$cage" --title "$name" "$@"
}

# start_mapped PROGRAM NAME CAGE ARGS...: start, wait until mapped and drawn.
start_mapped() {
	start "$@"
	if ! wait_until 100 is_mapped "$2"; then
		MSG="$2 never mapped: $(head -c 300 "$T/$2.err")"
		return 1
	fi
	sleep 0.2
	windows
}

file_has() {
	grep -q -- "$2" "$1" 2>/dev/null
}

count_lines() {
	grep -c -- "$2" "$1" 2>/dev/null
}

# more_than FILE PATTERN N: more than N lines match.
more_than() {
	[ "$(count_lines "$1" "$2")" -gt "$3" ]
}

# wait_line FILE PATTERN [TENTHS]
wait_line() {
	wait_until "${3:-30}" file_has "$1" "$2"
}

move() {
	ctl input move "$1" "$2" >/dev/null 2>"$T/ctl.err"
}

press() {
	ctl input press >/dev/null 2>"$T/ctl.err"
}

release() {
	ctl input release >/dev/null 2>"$T/ctl.err"
}

# glide X0 Y0 X1 Y1: the pointer from one point to another in four steps.
glide() {
	for f in 1 2 3 4; do
		move $(($1 + ($3 - $1) * f / 4)) $(($2 + ($4 - $2) * f / 4)) || return 1
	done
}

alive() {
	kill -0 "$COMP_PID" 2>/dev/null && windows
}

# shot NAME [OUTPUT]: a screenshot of an output, after a frame or two.
shot() {
	sleep 0.3
	ctl screenshot "$T/$1.png" ${2:+"$2"} >/dev/null 2>"$T/ctl.err"
}

# strip_points X0 W: points of the strip of an output at X0 of width W,
# away from its label (left) and from the pointer.
strip_points() {
	echo "$(($1 + $2 / 2)) 2 $(($1 + $2 - 3)) 14 $(($1 + $2 / 2)) $((BAR - 1)) $(($1 + $2 * 3 / 4)) $((BAR - 1))"
}

# place TITLE X Y: focus the window and move it by its title bar (a user's
# drag) so that its client area starts at X, Y.
place() {
	# Raised first, so that its title bar is not under another window.
	ctl focus "$(wfield "$1" id)" >/dev/null 2>&1 || return 1
	windows
	# shellcheck disable=SC2046
	set -- "$1" "$2" "$3" $(q title-point "$1") $(q geometry "$1")
	[ $# = 9 ] || return 1
	move "$4" "$5" && press && glide "$4" "$5" $(($4 + $2 - $6)) $(($5 + $3 - $7)) &&
		release || return 1
	windows
	# The pointer lands on pixel centres: a pixel off is fine.
	dx=$(($(q get "$1" x) - $2))
	dy=$(($(q get "$1" y) - $3))
	[ "$dx" -ge -2 ] && [ "$dx" -le 2 ] && [ "$dy" -ge -2 ] && [ "$dy" -le 2 ]
}

# start_placed PROGRAM NAME CAGE X Y ARGS...: start_mapped, then place it.
start_placed() {
	sp_x=$4
	sp_y=$5
	sp_args="$1 $2 $3"
	sp_name=$2
	shift 5
	# shellcheck disable=SC2086
	start_mapped $sp_args "$@" || return 1
	place "$sp_name" "$sp_x" "$sp_y" || {
		MSG="cannot move $sp_name to $sp_x,$sp_y: $(q summary-places | tr '\n' ';')"
		return 1
	}
}

# --- drag-and-drop -------------------------------------------------------------------

# drag FROM_TITLE X Y: press on FROM's client area, glide to X Y.
drag_to() {
	windows
	# shellcheck disable=SC2046
	set -- "$1" $(q client-point "$1") "$2" "$3"
	[ $# = 5 ] || return 1
	move "$2" "$3" && press && glide "$2" "$3" "$4" "$5"
}

c_dnd_same_level() {
	# Side by side: the low source, the low receiver (another cage), and
	# later the high receiver; small sources below.
	start_placed "$POINTER" src alpha 40 80 --colour 0000ff --size 300x200 --drag hello-low \
		--icon 32,32 || return 1
	start_placed "$POINTER" rcv gamma 420 80 --colour 00ffff --size 400x300 --receive ||
		return 1
	# shellcheck disable=SC2046
	set -- $(q client-point rcv)
	[ $# = 2 ] || {
		MSG="no uncovered point of the receiver: $(q summary-places | tr '\n' ';')"
		return 1
	}
	RX=$1
	RY=$2
	drag_to src "$RX" "$RY" || {
		MSG="synthetic input failed: $(cat "$T/ctl.err")"
		return 1
	}
	wait_line "$T/src.out" '^drag-start' && wait_line "$T/rcv.out" '^dnd-enter'
	release
	wait_line "$T/rcv.out" '^dnd-data' 50
	wait_line "$T/src.out" '^source-finished' 20
	MSG="source: $(grep -v '^configure\|^mapped\|^pointer' "$T/src.out" | tr '\n' ' ')/ receiver: $(grep '^dnd' "$T/rcv.out" | tr '\n' ' ')"
	file_has "$T/rcv.out" '^dnd-offer text/plain;charset=utf-8$' &&
		file_has "$T/rcv.out" '^dnd-drop$' &&
		file_has "$T/rcv.out" '^dnd-data hello-low$' &&
		file_has "$T/src.out" '^source-dropped$'
}

c_dnd_focus_kept() {
	windows
	MSG="focused after the drop: $(q summary-places | grep focused)"
	[ "$(q get src focused)" = true ] && [ "$(q get rcv focused)" = false ]
}

c_dnd_cross_level() {
	start_placed "$POINTER" rcvhigh beta 860 80 --colour ffff00 --size 400x300 --receive ||
		return 1
	# shellcheck disable=SC2046
	set -- $(q client-point rcvhigh) $(q client-point rcv)
	[ $# = 4 ] || {
		MSG="no uncovered points: $(q summary-places | tr '\n' ';')"
		return 1
	}
	HX=$1
	HY=$2
	enters=$(count_lines "$T/rcv.out" '^dnd-enter')
	# Over the low receiver first (the drag works), then onto the high one.
	drag_to src "$3" "$4" || return 1
	wait_until 30 more_than "$T/rcv.out" '^dnd-enter' "$enters"
	leaves=$(count_lines "$T/rcv.out" '^dnd-leave')
	glide "$3" "$4" "$HX" "$HY"
	wait_until 20 more_than "$T/rcv.out" '^dnd-leave' "$leaves"
	release
	wait_line "$T/src.out" '^source-cancelled' 30
	sleep 0.3
	MSG="high receiver: $(grep '^dnd' "$T/rcvhigh.out" | tr '\n' ' ')/ low receiver enters $enters -> $(count_lines "$T/rcv.out" '^dnd-enter'), data $(count_lines "$T/rcv.out" '^dnd-data'); source: $(grep '^source-cancelled' "$T/src.out")"
	[ "$(count_lines "$T/rcv.out" '^dnd-enter')" -gt "$enters" ] &&
		more_than "$T/rcv.out" '^dnd-leave' "$leaves" &&
		! file_has "$T/rcvhigh.out" '^dnd' &&
		[ "$(count_lines "$T/rcv.out" '^dnd-data')" = 1 ] &&
		file_has "$T/src.out" '^source-cancelled$'
}

c_dnd_bad_serial() {
	enters=$(count_lines "$T/rcv.out" '^dnd-enter')
	windows
	# shellcheck disable=SC2046
	set -- $(q client-point rcv)
	[ $# = 2 ] || return 1
	for s in badsrc nosrc; do
		if [ $s = badsrc ]; then
			start_placed "$POINTER" badsrc alpha 40 420 --colour 0000aa --size 200x150 \
				--drag stolen --bad-serial || return 1
		else
			start_placed "$POINTER" nosrc alpha 40 420 --colour 0000aa --size 200x150 \
				--drag none --no-source --bad-serial --icon 16,16 || return 1
		fi
		drag_to "$s" "$1" "$2" || return 1
		wait_line "$T/$s.out" '^drag-start'
		sleep 0.2
		release
	done
	wait_line "$T/badsrc.out" '^source-cancelled'
	sleep 0.3
	MSG="receiver enters $enters -> $(count_lines "$T/rcv.out" '^dnd-enter'); source: $(grep '^source\|^drag' "$T/badsrc.out" | tr '\n' ' '); log: $(grep -c 'drag-and-drop refused: no pointer button' "$T/compositor.log") refusals"
	[ "$(count_lines "$T/rcv.out" '^dnd-enter')" = "$enters" ] &&
		file_has "$T/badsrc.out" '^source-cancelled$' &&
		[ "$(grep -c 'drag-and-drop refused: no pointer button' "$T/compositor.log")" -ge 2 ] &&
		alive
}

# dies_mid_drag NAME X Y ARGS...: a client of cage alpha dragging from its
# window (cl-test-pointer ARGS...) to X, Y is killed mid-drag; the pointer
# moves on and is released.
dies_mid_drag() {
	dmd_name=$1
	dmd_x=$2
	dmd_y=$3
	shift 3
	start_placed "$POINTER" "$dmd_name" alpha 40 420 --colour 000088 --size 200x150 "$@" ||
		return 1
	drag_to "$dmd_name" "$dmd_x" "$dmd_y" || return 1
	wait_line "$T/$dmd_name.out" '^drag-start' || return 1
	eval "kill -KILL \"\${PID_$dmd_name:-}\""
	sleep 0.2
	glide "$dmd_x" "$dmd_y" $((dmd_x + 20)) $((dmd_y + 20))
	release
}

c_dnd_source_destroyed() {
	start_placed "$POINTER" gone alpha 40 420 --colour 000088 --size 200x150 --drag bye \
		--icon 40,40 || return 1
	# shellcheck disable=SC2046
	set -- $(q client-point rcv)
	[ $# = 2 ] || { MSG="no such point: $(q summary-places | tr '\n' ';')"; return 1; }
	drag_to gone "$1" "$2" || return 1
	wait_line "$T/gone.out" '^drag-start' || return 1
	kill -USR1 "${PID_gone:-}"
	wait_line "$T/gone.out" '^destroyed' || {
		MSG="the client did not destroy its source"
		return 1
	}
	glide "$1" "$2" $(($1 + 10)) $(($2 + 10))
	release
	# Then a client that dies in the middle of its drag.
	dies_mid_drag dies "$1" "$2" --drag bye --icon 40,40 || return 1
	# And one that dies in the middle of a drag without a source.
	dies_mid_drag diesns "$1" "$2" --drag x --no-source --icon 40,40 || return 1
	# A later drag still works.
	data=$(count_lines "$T/rcv.out" '^dnd-data hello-low')
	drag_to src "$1" "$2" && wait_line "$T/rcv.out" '^dnd-enter' && release
	wait_until 50 more_than "$T/rcv.out" '^dnd-data hello-low' "$data"
	MSG="receiver data lines: $(grep -c '^dnd-data' "$T/rcv.out"), 'bye' received: $(grep -c '^dnd-data bye' "$T/rcv.out")"
	alive && ! file_has "$T/rcv.out" '^dnd-data bye' &&
		[ "$(count_lines "$T/rcv.out" '^dnd-data hello-low')" -gt "$data" ]
}

c_dnd_icon_off_strip() {
	start_placed "$POINTER" iconsrc alpha 40 420 --colour 000066 --size 200x150 --drag icon \
		--icon 48,48 --icon-colour "$MAGENTA" || return 1
	drag_to iconsrc 600 60 || return 1
	wait_line "$T/iconsrc.out" '^drag-start' || return 1
	move 600 5
	if ! shot dnd-icon; then
		release
		MSG="screenshot failed: $(cat "$T/ctl.err")"
		return 1
	fi
	release
	# shellcheck disable=SC2046
	pixels_are dnd-icon-strip "$T/dnd-icon.png" "$LOW" $(strip_points 0 "$WIDTH") 610 $((BAR - 1)) \
		640 $((BAR - 1)) || return 1
	m=$MSG
	# The icon is shown, pushed below the strip.
	pixels_are dnd-icon-shown "$T/dnd-icon.png" "$MAGENTA" 640 $((BAR + 40)) || {
		MSG="the icon is not shown below the strip: $MSG"
		return 1
	}
	MSG="strip $m; icon below it"
}

c_dnd_giant_icon() {
	start_placed "$POINTER" bigicon alpha 40 420 --colour 000066 --size 200x150 --drag big \
		--icon 1000,600 --icon-colour "$MAGENTA" || return 1
	drag_to bigicon 300 300 || return 1
	wait_line "$T/bigicon.out" '^drag-start' || return 1
	if ! shot dnd-bigicon; then
		release
		MSG="screenshot failed: $(cat "$T/ctl.err")"
		return 1
	fi
	release
	c=$("$PNGPIX" "$T/dnd-bigicon.png" --count-same "$MAGENTA" 0 0 "$WIDTH" "$HEIGHT")
	MSG="magenta pixels: $c"
	[ "$c" = 0 ] || keep_shot dnd-bigicon "$T/dnd-bigicon.png" "giant icon shown ($c pixels)" 300 300
	[ "$c" = 0 ]
}

# --- y < 0 -----------------------------------------------------------------------------

# below_strip TITLE: the window's frame is below the strip of its output.
below_strip() {
	windows
	# shellcheck disable=SC2046
	set -- $(q geometry "$1")
	GEO="$1,$2 $3x$4"
	[ $# = 4 ] && [ $(($2 - BORDER - TITLEBAR)) -ge "$BAR" ]
}

c_move_request_up() {
	start_mapped "$POINTER" mover alpha --colour ff8800 --size 300x200 --move-on-press ||
		return 1
	# shellcheck disable=SC2046
	set -- $(q client-point mover)
	[ $# = 2 ] || { MSG="no such point: $(q summary-places | tr '\n' ';')"; return 1; }
	y0=$(q get mover y)
	move "$1" "$2" && press || return 1
	wait_line "$T/mover.out" '^move-requested' || {
		release
		MSG="the client never asked to move"
		return 1
	}
	glide "$1" "$2" "$1" 0
	move "$1" 0
	shot move-up
	release
	below_strip mover
	ok=$?
	y1=$(q get mover y)
	# shellcheck disable=SC2046
	pixels_are move-up-strip "$T/move-up.png" "$LOW" $(strip_points 0 "$WIDTH") "$1" 1 "$1" $((BAR - 1)) ||
		return 1
	MSG="client area from y=$y0 to $GEO (strip: y < $BAR); $MSG"
	# It did move, up to the strip and no further.
	[ $ok = 0 ] && [ "$y1" = $((BAR + BORDER + TITLEBAR)) ]
}

c_move_frame_up() {
	ctl focus "$(wfield mover id)" >/dev/null 2>&1
	# Move it down first, by its frame.
	# shellcheck disable=SC2046
	set -- $(q title-point mover)
	[ $# = 2 ] || { MSG="no such point: $(q summary-places | tr '\n' ';')"; return 1; }
	move "$1" "$2" && press && glide "$1" "$2" "$1" $(($2 + 200)) && release || return 1
	y0=$(wfield mover y)
	# shellcheck disable=SC2046
	set -- $(q title-point mover)
	[ $# = 2 ] || { MSG="no such point: $(q summary-places | tr '\n' ';')"; return 1; }
	move "$1" "$2" && press && glide "$1" "$2" $(($1 - 50)) 0 || return 1
	shot frame-up
	release
	below_strip mover
	ok=$?
	y1=$(q get mover y)
	# shellcheck disable=SC2046
	pixels_are frame-up-strip "$T/frame-up.png" "$LOW" $(strip_points 0 "$WIDTH") || return 1
	MSG="client area from y=$y0 to $GEO; $MSG"
	[ $ok = 0 ] && [ "$y0" -gt "$y1" ] && [ "$y1" = $((BAR + BORDER + TITLEBAR)) ]
}

c_negative_geometry() {
	start_mapped "$POINTER" neggeo alpha --colour ff00aa --size 300x200 \
		--geometry -100000,-100000,300,200 --offset -5000,-5000 || return 1
	ctl focus "$(wfield neggeo id)" >/dev/null 2>&1
	sleep 0.2
	below_strip neggeo
	ok=$?
	shot neggeo
	# shellcheck disable=SC2046
	pixels_are neggeo-strip "$T/neggeo.png" "$LOW" $(strip_points 0 "$WIDTH") || return 1
	MSG="client area $GEO; strip $MSG"
	[ $ok = 0 ] && kill -0 "${PID_neggeo:-}"
}

# --- several outputs ---------------------------------------------------------------------

c_output_add() {
	ctl output add "${W2}x$H2" >/dev/null 2>"$T/ctl.err" || {
		MSG="output add failed: $(cat "$T/ctl.err")"
		return 1
	}
	sleep 0.3
	ctl outputs >"$T/w.json" 2>"$T/ctl.err"
	names=$(q output-names)
	OUT2=${names#* }
	# shellcheck disable=SC2046
	set -- $(q output "$OUT2")
	MSG="outputs: $names; $OUT2 at $1,$2 ${3}x$4, work area $5,$6 ${7}x$8"
	[ $# = 8 ] && [ "$1" = "$WIDTH" ] && [ "$2" = 0 ] && [ "$3" = "$W2" ] &&
		[ "$4" = "$H2" ] && [ "$5" = "$WIDTH" ] && [ "$6" = "$BAR" ] && [ "$7" = "$W2" ] &&
		[ "$8" = $((H2 - BAR)) ]
}

c_output_strips() {
	ctl focus "$(wfield src id)" >/dev/null 2>&1
	if ! shot out1 || ! shot out2 "$OUT2"; then
		MSG="screenshot failed: $(cat "$T/ctl.err")"
		return 1
	fi
	size=$("$PNGPIX" "$T/out2.png" --size)
	# shellcheck disable=SC2046
	pixels_are strip-out1 "$T/out1.png" "$LOW" $(strip_points 0 "$WIDTH") || return 1
	m=$MSG
	# shellcheck disable=SC2046
	pixels_are strip-out2 "$T/out2.png" "$LOW" $(strip_points 0 "$W2") || return 1
	MSG="$OUT2 shot $size; output 1 $m; output 2 $MSG"
	[ "$size" = "$W2 $H2" ]
}

c_output_fullscreen() {
	move $((WIDTH + W2 / 2)) 300 || return 1
	start_mapped "$TOPLEVEL" fs2 beta --colour 0000ff --fullscreen || return 1
	wait_line "$T/fs2.out" '^configure 1 .*fullscreen'
	sleep 0.3
	ctl focus "$(wfield fs2 id)" >/dev/null 2>&1
	windows
	# shellcheck disable=SC2046
	set -- $(q geometry fs2)
	geo="$1,$2 $3x$4"
	shot fs2 "$OUT2" || return 1
	# shellcheck disable=SC2046
	pixels_are fs2-strip "$T/fs2.png" "$HIGH" $(strip_points 0 "$W2") || return 1
	m=$MSG
	pixels_are fs2-content "$T/fs2.png" 0000ff $((W2 / 2)) $((H2 / 2)) || return 1
	MSG="fullscreen client area $geo (output 2's work area: $WIDTH,$BAR ${W2}x$((H2 - BAR))); strip $m"
	[ "$1" = $((WIDTH + BORDER)) ] && [ "$2" = $((BAR + BORDER)) ] &&
		[ "$3" = $((W2 - 2 * BORDER)) ] && [ "$4" = $((H2 - BAR - 2 * BORDER)) ]
}

c_output_maximized() {
	move $((WIDTH + W2 / 2)) 300 || return 1
	start_mapped "$TOPLEVEL" mx2 alpha --colour 00ffff --maximize || return 1
	wait_line "$T/mx2.out" '^configure 1 .*maximized'
	sleep 0.3
	windows
	# shellcheck disable=SC2046
	set -- $(q geometry mx2)
	MSG="maximised client area $1,$2 ${3}x$4"
	[ "$1" = $((WIDTH + BORDER)) ] && [ "$2" = $((BAR + BORDER + TITLEBAR)) ] &&
		[ "$3" = $((W2 - 2 * BORDER)) ] && [ "$4" = $((H2 - BAR - 2 * BORDER - TITLEBAR)) ]
}

c_output_popup() {
	move $((WIDTH + W2 / 2)) 300 || return 1
	start_mapped "$TOPLEVEL" pop2 alpha --colour 808080 --size 300x200 \
		--popup 200,100,0,-400 --popup-colour "$MAGENTA" || return 1
	ctl focus "$(wfield pop2 id)" >/dev/null 2>&1
	wait_line "$T/pop2.out" '^popup-mapped'
	# shellcheck disable=SC2046
	set -- $(q geometry pop2)
	shot pop2 "$OUT2" || return 1
	# shellcheck disable=SC2046
	pixels_are pop2-strip "$T/pop2.png" "$LOW" $(strip_points 0 "$W2") \
		$(($1 - WIDTH + 100)) $((BAR - 1)) || return 1
	m=$MSG
	# The popup is shown, inside output 2's work area.
	c=$("$PNGPIX" "$T/pop2.png" --count-same "$MAGENTA" 0 "$BAR" "$W2" "$H2")
	MSG="window at $1,$2 on output 2; popup pixels on output 2 below its strip: $c; strip $m"
	[ "$c" -gt 10000 ]
}

c_output_move_across() {
	ctl focus "$(wfield mover id)" >/dev/null 2>&1
	windows
	# shellcheck disable=SC2046
	set -- $(q title-point mover)
	[ $# = 2 ] || { MSG="no such point: $(q summary-places | tr '\n' ';')"; return 1; }
	move "$1" "$2" && press && glide "$1" "$2" $((WIDTH + 300)) 0 || return 1
	move $((WIDTH + 300)) 0
	shot across "$OUT2"
	release
	below_strip mover
	ok=$?
	# shellcheck disable=SC2046
	set -- $(q geometry mover)
	# shellcheck disable=SC2046
	pixels_are across-strip "$T/across.png" "$LOW" $(strip_points 0 "$W2") 300 $((BAR - 1)) ||
		return 1
	MSG="moved to $GEO; strip of output 2 $MSG"
	[ $ok = 0 ] && [ $(($1 - BORDER)) -ge "$WIDTH" ] &&
		[ $(($1 + $3 + BORDER)) -le $((WIDTH + W2)) ]
}

c_output_remove() {
	ctl output remove "$OUT2" >/dev/null 2>"$T/ctl.err" || {
		MSG="output remove failed: $(cat "$T/ctl.err")"
		return 1
	}
	sleep 0.5
	windows
	bad=
	for w in mover fs2 mx2 pop2; do
		# shellcheck disable=SC2046
		set -- $(q geometry "$w")
		top=$BORDER
		[ "$w" = fs2 ] || top=$((BORDER + TITLEBAR))
		if [ $# != 4 ] || [ $(($1 + $3 + BORDER)) -gt "$WIDTH" ] ||
			[ $(($2 - top)) -lt "$BAR" ]; then
			bad="$bad $w at $*;"
		fi
	done
	# shellcheck disable=SC2046
	set -- $(q geometry fs2)
	fs="$1,$2 ${3}x$4"
	[ "$1" = "$BORDER" ] && [ "$2" = $((BAR + BORDER)) ] && [ "$3" = $((WIDTH - 2 * BORDER)) ] ||
		bad="$bad fullscreen at $fs;"
	shot removed || return 1
	colour=$LOW
	q summary-places | grep -q 'beta/high.* focused' && colour=$HIGH
	# shellcheck disable=SC2046
	pixels_are removed-strip "$T/removed.png" "$colour" $(strip_points 0 "$WIDTH") || return 1
	MSG="${bad:+outside output 1:$bad }fullscreen now $fs; strip $MSG"
	[ -z "$bad" ] && alive
}

c_ctl_errors() {
	bad=
	ctl output remove NO-SUCH >/dev/null 2>&1
	[ $? = 1 ] || bad="$bad remove unknown;"
	ctl output remove HEADLESS-1 >/dev/null 2>&1
	[ $? = 1 ] || bad="$bad remove the last;"
	ctl output add 10x10 >/dev/null 2>&1
	[ $? = 1 ] || bad="$bad add 10x10;"
	ctl input release >/dev/null 2>&1
	[ $? = 1 ] || bad="$bad release unpressed;"
	ctl input press >/dev/null 2>&1 && ctl input press >/dev/null 2>&1
	[ $? = 1 ] || bad="$bad press twice;"
	ctl input release >/dev/null 2>&1 || bad="$bad release;"
	ctl screenshot "$T/x.png" NO-SUCH >/dev/null 2>&1
	[ $? = 1 ] || bad="$bad screenshot of an unknown output;"
	MSG=${bad:+wrong exit status for:$bad}
	[ -z "$bad" ] && alive
}

# Stops the compositor with a drag running: a clean exit (under ASan: no
# error and no leak reported).
c_clean_exit() {
	start_placed "$POINTER" last alpha 40 420 --colour 000088 --size 200x150 --drag end \
		--icon 20,20 || return 1
	drag_to last 600 300 || return 1
	wait_line "$T/last.out" '^drag-start' || return 1
	kill -TERM "$COMP_PID"
	if ! wait_exit "$COMP_PID" 100; then
		MSG="still running 10 s after SIGTERM"
		return 1
	fi
	st=$EXIT_STATUS
	COMP_PID=
	errors=$(grep -c 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error' "$T/compositor.log")
	MSG="exit status $st, sanitizer reports: $errors"
	if [ "$st" != 0 ] || [ "$errors" != 0 ]; then
		diag "compositor log (last 40 lines):" "$(tail -n 40 "$T/compositor.log")"
		return 1
	fi
}

run_all() {
	check "drag-and-drop: a drop on a window of the same level delivers the data" \
		c_dnd_same_level
	check "drag-and-drop: the drop does not move the keyboard focus" c_dnd_focus_kept
	check "drag-and-drop: a window of another level gets no enter, offer or data; the drop cancels" \
		c_dnd_cross_level
	check "drag-and-drop: a drag without a valid grab serial is refused" c_dnd_bad_serial
	check "drag-and-drop: source and icon destroyed, or client killed, mid-drag" \
		c_dnd_source_destroyed
	check "drag-and-drop: the icon stays below the strip" c_dnd_icon_off_strip
	check "drag-and-drop: a giant icon is not shown" c_dnd_giant_icon
	check "an interactive move (xdg_toplevel.move) up past the strip stops below it" \
		c_move_request_up
	check "a move by the frame up past the strip stops below it" c_move_frame_up
	check "a far negative window geometry and buffer offset stay below the strip" \
		c_negative_geometry
	check "a second output has its own work area below its strip" c_output_add
	check "the strip is painted on every output" c_output_strips
	check "fullscreen on output 2 fills output 2's work area below its strip" \
		c_output_fullscreen
	check "maximised on output 2 fills output 2's work area" c_output_maximized
	check "a popup on output 2 stays in output 2's work area" c_output_popup
	check "a window moved onto output 2 keeps off its strip" c_output_move_across
	check "removing output 2 brings its windows back onto output 1" c_output_remove
	check "ctl: output, press/release and screenshot errors" c_ctl_errors
	check "SIGTERM in the middle of a drag: clean exit" c_clean_exit
}

if check_prerequisites && setup; then
	:
elif [ -z "$skip_reason" ]; then
	skip_reason="the compositor did not start"
	[ "$MUST_RUN" = 1 ] || skip_reason="$skip_reason (see the diagnostics above)"
fi
run_all
echo "1..$n"
if [ -n "$COMP_PID" ] && ! kill -0 "$COMP_PID" 2>/dev/null; then
	diag "the compositor died; its log:" "$(tail -n 40 "$T/compositor.log" 2>/dev/null)"
fi
[ $failed = 0 ]
