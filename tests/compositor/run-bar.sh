#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: the compositor side of the trusted bar and dialogs
# (zcloison_shell_v1 set_bar on an xdg_toplevel, set_dialog, release_focus,
# secure_attention), headless, with cl-test-bar as the --bar program.
#
#   run-bar.sh COMPOSITOR CLOISON_CTL CL_TEST_BAR CL_TEST_TOPLEVEL CL_TEST_GLOBALS CL_PNG_PIXEL
#
# The main compositor runs `cl-test-bar --out bar.out --commands bar.cmd`
# (a FIFO the test writes commands to; bar.out collects what the bar saw)
# with a core-bus address and a parent's display in its environment, and
# cage windows from cl-test-toplevel.  Checks: the bar's environment; the
# bar toplevel configured to the strip and placed there, never focused on
# its own; a dialog centred in the work area above a cage window, inside the
# hatched core frame (reference PNG, tolerance REF_TOLERANCE), focused and
# activated; a click on the cage window behind it focuses that window but
# leaves the dialog in front, as does a fullscreen cage window; a click
# reaches the dialog; Super+Escape gives the keyboard to the bar with a
# secure_attention event, release_focus gives it back (or to nothing when
# that window is gone); a click on the bar; the focus coming back when
# dialogs close; a dialog too large for the work area never covers the
# strip; a bar surface too large for the strip is replaced by the fallback
# strip; kill -9 of the bar shows the fallback strip until the compositor
# restarts it; cages still cannot bind zcloison_shell_v1.  Further
# compositors: a role-less bar surface and a dialog named before its first
# commit, from a bar bound at version 1; and each invalid request
# (set_dialog on a role-less surface, on an xdg_popup, on the bar, on a
# notification toplevel; set_bar on a dialog, on an xdg_surface without a
# role, on a notification toplevel; set_notification on a role-less surface,
# an xdg_popup, the bar, a dialog) is the protocol error invalid_surface for
# the bar alone.
# Notification toplevels (set_notification, version 2): placed in the
# top-right corner of the work area in the core frame, not focused when
# mapped, its maximise/fullscreen/move/resize requests ignored; a fullscreen cage window and its popup reaching over it stay
# below it; a dialog covers it; a click focuses it and release_focus (or its
# destruction) gives the focus back; a too large one is told the work area's
# size and never covers the strip.
#
# Reference: tests/compositor/reference/bar-dialog.png (CLOISON_UPDATE_REFERENCES=1
# writes a missing one; look at it before committing it).  On a failure the
# screenshot (and diff) go to $CLOISON_BUILD_ROOT/test-shots/.  Everything
# started here is stopped by pid.  Missing prerequisites skip, unless
# CLOISON_TESTS_MUST_RUN=1 (then they fail).
# "A && B || fail" below means: fail when either A or B fails.
# shellcheck disable=SC2015
set -u

# shellcheck source=tests/compositor/lib.sh
. "$(dirname "$0")/lib.sh"

COMP=${1:-}
CTL=${2:-}
BARX=${3:-}
TOPLEVEL=${4:-}
GLOBALS=${5:-}
PNGPIX=${6:-}
comp_test_defaults
SHOT_PREFIX=bar

# Must match compositor/server.h and the configuration below.
WIDTH=1280
HEIGHT=720
BAR=28
CORE_BORDER=8
CORE_TITLE=28
LOW=00aa00
HIGH=cc0000
BAR_COLOUR=224488 # cl-test-bar's default
DIALOG=ffcc00
BEHIND=3030ff
HATCH_DARK=303030
HATCH_LIGHT=d0d0d0
NOTE=ff8800
NOTE_MARGIN=8
TOLERANCE=8
REF_TOLERANCE=24

EXTRA_PIDS=

cleanup() {
	# shellcheck disable=SC2086 # lists of pids, some empty
	stop_all $EXTRA_PIDS $COMP_PID
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- set-up -----------------------------------------------------------------------

check_prerequisites() {
	need_executables "run-bar.sh COMPOSITOR CLOISON_CTL CL_TEST_BAR CL_TEST_TOPLEVEL CL_TEST_GLOBALS CL_PNG_PIXEL" \
		"$COMP" "$CTL" "$BARX" "$TOPLEVEL" "$GLOBALS" "$PNGPIX" &&
		need_commands "$PYTHON" mkfifo
}

setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/cloison-bar-test.XXXXXX") || return 1
	chmod 0700 "$T"
	RUN=$T/run
	mkdir -m 0700 "$RUN" "$T/home" "$T/config" "$T/cache" || return 1
	export HOME="$T/home" XDG_CONFIG_HOME="$T/config" XDG_CACHE_HOME="$T/cache"
	unset WAYLAND_DISPLAY WAYLAND_SOCKET
	CONF=$T/cloison.conf
	CTLSOCK=$RUN/cloison/core/ctl
	write_config
	install_window_query
	mkfifo -m 0600 "$T/bar.cmd" || return 1
	# A core bus and a parent's displays: the bar gets the first only.
	DBUS_SESSION_BUS_ADDRESS=unix:path=$T/core-bus DISPLAY=:77 XAUTHORITY=$T/xauth \
		GDK_BACKEND=x11 start_compositor "$RUN" "$T/compositor.log" --test-input \
		--bar "$BARX --out $T/bar.out --commands $T/bar.cmd"
	rc=$?
	COMP_PID=$STARTED_PID
	return $rc
}

# --- helpers ------------------------------------------------------------------------

nothing_focused() {
	windows && [ "$(q focused)" = - ]
}

# bar_has PATTERN: a line of bar.out matches (grep -E).
bar_has() {
	grep -Eq "$1" "$T/bar.out" 2>/dev/null
}

bar_count() {
	grep -Ec "$1" "$T/bar.out" 2>/dev/null
}

# Lines of bar.out written from now on: bar_mark, then bar_since PATTERN.
bar_mark() {
	MARK=$(wc -l <"$T/bar.out" 2>/dev/null || echo 0)
}

bar_since() {
	tail -n +"$((MARK + 1))" "$T/bar.out" 2>/dev/null | grep -Eq "$1"
}

bar_cmd() {
	echo "$1" >"$T/bar.cmd"
}

# The pid of the bar process running now.
bar_pid() {
	grep '^start ' "$T/bar.out" | tail -n 1 | cut -d' ' -f2
}

shot() {
	ctl screenshot "$T/$1.png" >/dev/null 2>"$T/ctl.err"
}

# stable_shot NAME: until two screenshots in a row are identical.
stable_shot() {
	shot "$1-prev" || return 1
	i=0
	while [ $i -lt 25 ]; do
		sleep 0.2
		shot "$1" || return 1
		if "$PNGPIX" compare "$T/$1-prev.png" "$T/$1.png" 0 "$T/$1-unstable.png" \
			>/dev/null 2>&1; then
			return 0
		fi
		mv "$T/$1.png" "$T/$1-prev.png"
		i=$((i + 1))
	done
	return 1
}

strip_points() {
	echo "$((WIDTH / 2)) 2 $((WIDTH - 3)) 14 $((WIDTH / 2)) $((BAR - 1)) 300 20"
}

# The dialog's expected client area: W x H centred in the work area inside the frame.
dialog_expected() {
	ow=$(($1 + 2 * CORE_BORDER))
	oh=$(($2 + CORE_TITLE + CORE_BORDER))
	echo "$(((WIDTH - ow) / 2 + CORE_BORDER)) $((BAR + (HEIGHT - BAR - oh) / 2 + CORE_TITLE)) $1 $2"
}

# start_focused NAME CAGE TITLE WHAT ARGS...: a cl-test-toplevel window
# titled TITLE through CAGE, mapped, then focused through cloison-ctl; else
# 1 with MSG ("WHAT never mapped" or "cannot focus it").
start_focused() {
	sf_name=$1
	sf_cage=$2
	sf_title=$3
	sf_what=$4
	shift 4
	start_client "$sf_name" "$sf_cage" --title "$sf_title" "$@"
	wait_until 100 is_mapped "title:$sf_title" || {
		MSG="$sf_what never mapped"
		return 1
	}
	id=$(wfield "title:$sf_title" id)
	ctl focus "$id" >/dev/null 2>&1 && wait_until 30 is_focused "title:$sf_title" || {
		MSG="cannot focus it"
		return 1
	}
}

# --- checks: the bar --------------------------------------------------------------

c_bar_env() {
	wait_until 100 bar_has '^shell$' || {
		MSG="the bar never bound zcloison_shell_v1: $(tail -n 5 "$T/bar.out" 2>/dev/null)"
		return 1
	}
	MSG=$(grep '^env ' "$T/bar.out" | head -n 6 | sed 's/^env //' | tr '\n' ' ')
	bar_has "^env DBUS_SESSION_BUS_ADDRESS=unix:path=$T/core-bus\$" &&
		bar_has '^env DISPLAY unset$' && bar_has '^env XAUTHORITY unset$' &&
		bar_has '^env WAYLAND_DISPLAY unset$' && bar_has '^env GDK_BACKEND=wayland$' &&
		bar_has '^env WAYLAND_SOCKET set$'
}

bar_in_strip() {
	windows && [ "$(q geometry role:bar)" = "0 0 $WIDTH $BAR" ] &&
		[ "$(q get role:bar mapped)" = true ]
}

c_bar_placed() {
	wait_until 100 bar_in_strip
	rc=$?
	MSG="bar toplevel at $(q geometry role:bar) (core $(q get role:bar core)); configures: $(grep '^bar-configure' "$T/bar.out" | tr '\n' ';')"
	[ $rc = 0 ] && bar_has "^bar-configure $WIDTH $BAR"
}

bar_colour_shown() {
	# shellcheck disable=SC2046
	shot bar && "$PNGPIX" "$T/bar.png" --expect "$BAR_COLOUR" --tolerance "$TOLERANCE" \
		$(strip_points) >/dev/null 2>&1
}

c_bar_pixels() {
	wait_until 50 bar_colour_shown
	# shellcheck disable=SC2046
	pixels_are bar-pixels "$T/bar.png" "$BAR_COLOUR" $(strip_points)
}

c_bar_not_focused() {
	windows
	MSG="focused: $(q focused); keyboard lines: $(grep -c '^keyboard-enter bar' "$T/bar.out")"
	[ "$(q get role:bar focused)" = false ] && ! bar_has '^keyboard-enter bar'
}

c_cage_window() {
	start_client A alpha --title Behind --colour "$BEHIND" --size 900x600 --print-keys
	wait_until 100 is_mapped title:Behind && wait_until 30 is_focused title:Behind
	rc=$?
	MSG="$(q summary-roles)"
	return $rc
}

# --- checks: dialogs --------------------------------------------------------------

# core_window_placed ROLE W H COLOUR WANT [order]: the bar asks for a ROLE
# window (dialog, notification) of W x H; it maps with its client area at
# WANT ("X Y W H"), core and of no cage.  With "order", MSG also tells the
# stacking order.
core_window_placed() {
	bar_cmd "$1 $2 $3 $4"
	wait_until 100 is_mapped "role:$1" || {
		MSG="no $1 mapped: $(q summary-roles)"
		return 1
	}
	got=$(q geometry "role:$1")
	MSG="client area $got, expected $5; cage $(q get "role:$1" cage), core $(q get "role:$1" core)"
	[ -z "${6:-}" ] || MSG="$MSG; order: $(q summary-roles)"
	[ "$got" = "$5" ] && [ "$(q get "role:$1" core)" = true ] &&
		[ "$(q get "role:$1" cage)" = null ]
}

c_dialog_centred() {
	core_window_placed dialog 400 300 "$DIALOG" "$(dialog_expected 400 300)"
}

dialog_activated() {
	grep '^dialog-configure 1 ' "$T/bar.out" | tail -n 1 | grep -q ' activated$'
}

c_dialog_focused() {
	wait_until 30 is_focused role:dialog && wait_until 30 dialog_activated
	rc=$?
	MSG="focused: $(q focused); last configure: $(grep '^dialog-configure 1 ' "$T/bar.out" | tail -n 1); cage window: $(grep -c '^leave' "$T/A.out") leave"
	[ $rc = 0 ] && grep -q '^leave' "$T/A.out"
}

# core_frame_ok SHOT ROLE COLOUR MIN_HATCH: in a stable screenshot SHOT, the
# core frame around the window of ROLE: at least MIN_HATCH pixels of each
# hatch grey on its left band, the label (white) on its top band, COLOUR
# inside.
core_frame_ok() {
	shot=$1
	role=$2
	colour=$3
	min=$4
	# shellcheck disable=SC2046
	set -- $(q geometry "role:$role")
	stable_shot "$shot" || {
		MSG="no stable screenshot"
		return 1
	}
	png=$T/$shot.png
	x0=$(($1 - CORE_BORDER))
	y0=$(($2 - CORE_TITLE))
	dark=$("$PNGPIX" "$png" --count-same "$HATCH_DARK" --tolerance 8 "$x0" "$2" "$(($1 - 2))" "$(($2 + $4))")
	light=$("$PNGPIX" "$png" --count-same "$HATCH_LIGHT" --tolerance 8 "$x0" "$2" "$(($1 - 2))" "$(($2 + $4))")
	label=$("$PNGPIX" "$png" --count-same ffffff --tolerance 60 "$x0" "$y0" "$(($1 + $3 + CORE_BORDER))" "$2")
	MSG="left band: $dark dark and $light light hatch pixels; top band: $label white label pixels"
	if [ "${dark:-0}" -lt "$min" ] || [ "${light:-0}" -lt "$min" ] || [ "${label:-0}" -lt 40 ]; then
		keep_shot "$shot" "$png" "$MSG"
		return 1
	fi
	pixels_are "$role-content" "$png" "$colour" $(($1 + $3 / 2)) $(($2 + $4 / 2)) \
		"$1" "$2" $(($1 + $3 - 1)) $(($2 + $4 - 1))
}

# The core frame: hatch in both greys around the dialog, the label on its top band.
# The band is 6 px wide (8 minus the 2 px line), 300 px high: about half each.
c_dialog_frame_pixels() {
	core_frame_ok frame dialog "$DIALOG" 600
}

c_dialog_reference() {
	ref=$REFDIR/bar-dialog.png
	png=$T/frame.png
	if [ ! -f "$ref" ]; then
		if [ "$UPDATE_REFS" = 1 ] && cp "$png" "$ref"; then
			MSG="reference $ref was missing: written from this run, look at it before committing it"
			return 0
		fi
		MSG="reference $ref is missing (CLOISON_UPDATE_REFERENCES=1 writes it)"
		keep_shot bar-dialog "$png" "$MSG"
		return 1
	fi
	out=$("$PNGPIX" compare "$ref" "$png" "$REF_TOLERANCE" "$T/frame-diff.png" 2>&1)
	rc=$?
	MSG="reference/bar-dialog.png: $(echo "$out" | head -n 1)"
	if [ $rc != 0 ]; then
		keep_shot bar-dialog "$png" "$out"
		mkdir -p "$SHOTS" && cp "$T/frame-diff.png" "$SHOTS/bar-$((n + 1))-bar-dialog-diff.png" 2>/dev/null
	fi
	return $rc
}

dialog_not_activated() {
	! dialog_activated
}

c_click_behind() {
	# A point of the cage window left of the dialog.
	ctl input move 200 400 >/dev/null && ctl input click >/dev/null || {
		MSG="synthetic input refused"
		return 1
	}
	wait_until 30 is_focused title:Behind && wait_until 30 dialog_not_activated
	rc=$?
	MSG="focused: $(q focused); last dialog configure: $(grep '^dialog-configure 1 ' "$T/bar.out" | tail -n 1)"
	[ $rc = 0 ] || return 1
	# shellcheck disable=SC2046
	set -- $(q geometry role:dialog)
	stable_shot behind || return 1
	pixels_are click-behind "$T/behind.png" "$DIALOG" $(($1 + $3 / 2)) $(($2 + $4 / 2)) \
		$(($1 + 2)) $(($2 + 2)) || return 1
	MSG="cage window focused, dialog still in front; $MSG"
}

c_fullscreen_behind() {
	start_focused F beta Full "the fullscreen window" --colour "$HIGH" --fullscreen || return 1
	# shellcheck disable=SC2046
	set -- $(q geometry role:dialog)
	stable_shot full || return 1
	pixels_are fullscreen-behind "$T/full.png" "$DIALOG" $(($1 + $3 / 2)) $(($2 + $4 / 2)) ||
		return 1
	stop_pid "$PID_F"
	MSG="a focused fullscreen beta window stays below the dialog; $MSG"
}

c_click_dialog() {
	# shellcheck disable=SC2046
	set -- $(q geometry role:dialog)
	bar_mark
	ctl input move $(($1 + $3 / 2)) $(($2 + $4 / 2)) >/dev/null && ctl input click >/dev/null
	wait_until 30 is_focused role:dialog && wait_until 30 dialog_activated &&
		wait_until 30 bar_since '^button dialog-1 272 pressed'
	rc=$?
	MSG="focused: $(q focused); dialog saw: $(tail -n +"$((MARK + 1))" "$T/bar.out" | tr '\n' ';')"
	return $rc
}

# A cage's 64x64 cursor image: shown over its own window, withheld while it
# would reach over the dialog.
c_cursor_over_dialog() {
	start_focused K alpha Cursor "the window" --colour 808080 --size 600x500 \
		--cursor 64,64,0,0 --cursor-colour ff00ff || return 1
	# shellcheck disable=SC2046
	set -- $(q geometry role:dialog) $(q geometry title:Cursor)
	# Away from the dialog first: the cursor image is there.
	ctl input move $(($5 + 20)) $(($6 + $8 - 80)) >/dev/null
	sleep 0.3
	stable_shot cursor-away || return 1
	away=$("$PNGPIX" "$T/cursor-away.png" --count-same ff00ff --tolerance 8 $(($5 + 20)) $(($6 + $8 - 80)) $(($5 + 84)) $(($6 + $8 - 16)))
	# 20 px left of the dialog's frame: the image would reach 44 px into it.
	px=$(($1 - CORE_BORDER - 20))
	py=$(($2 + 60))
	ctl input move "$px" "$py" >/dev/null
	sleep 0.3
	stable_shot cursor-near || return 1
	near=$("$PNGPIX" "$T/cursor-near.png" --count-same ff00ff --tolerance 8 "$px" "$py" $((px + 64)) $((py + 64)))
	MSG="magenta cursor pixels: $away away from the dialog, $near at $px,$py next to it"
	stop_pid "$PID_K"
	if [ "${away:-0}" -lt 1000 ] || [ "${near:-1}" != 0 ]; then
		keep_shot cursor-near "$T/cursor-near.png" "$MSG"
		return 1
	fi
}

# --- checks: notification toplevels --------------------------------------------------

# The expected client area of a W x H notification: top-right of the work area.
notification_expected() {
	echo "$((WIDTH - NOTE_MARGIN - CORE_BORDER - $1)) $((BAR + NOTE_MARGIN + CORE_TITLE)) $1 $2"
}

c_notification_placed() {
	windows
	NOTE_BEFORE=$(q focused)
	bar_mark
	core_window_placed notification 300 120 "$NOTE" "$(notification_expected 300 120)" order
}

c_notification_no_focus() {
	sleep 0.5
	windows
	MSG="focused before: $NOTE_BEFORE, after: $(q focused); bar saw: $(tail -n +"$((MARK + 1))" "$T/bar.out" | tr '\n' ';')"
	[ "$(q focused)" = "$NOTE_BEFORE" ] && [ "$(q get role:notification focused)" = false ] &&
		! bar_since '^keyboard-enter notification' &&
		! bar_since '^notification-configure 1 .*activated'
}

c_notification_requests() {
	bar_mark
	bar_cmd "notification-requests 1"
	wait_until 30 bar_since '^sent notification-requests 1$'
	sleep 0.5
	windows
	got=$(q geometry role:notification)
	want=$(notification_expected 300 120)
	MSG="after maximise, fullscreen, move and resize requests: at $got (expected $want); configures: $(tail -n +"$((MARK + 1))" "$T/bar.out" | grep '^notification-configure' | tr '\n' ';')"
	[ "$got" = "$want" ] && ! bar_since "^notification-configure 1 [1-9]"
}

# Hatch around it, its label on the top band, its colour inside.
# The band is 6 px wide, 120 px high: about 360 pixels of each grey.
c_notification_pixels() {
	core_frame_ok note notification "$NOTE" 200
}

# A focused fullscreen cage window with a popup over the top-right corner.
c_notification_above_cage() {
	start_focused N beta Cover "the covering window" --colour "$HIGH" --fullscreen \
		--popup "500,300,$((WIDTH - 520)),0" --popup-colour 00ffff || return 1
	wait_until 50 grep -q '^popup-mapped' "$T/N.out"
	sleep 0.3
	# shellcheck disable=SC2046
	set -- $(q geometry role:notification)
	stable_shot cover || return 1
	popup=$("$PNGPIX" "$T/cover.png" --count-same 00ffff --tolerance 8 $((WIDTH - 600)) "$BAR" "$WIDTH" 400)
	MSG="cyan popup pixels near the corner: $popup"
	pixels_are notification-above-cage "$T/cover.png" "$NOTE" $(($1 + $3 / 2)) $(($2 + $4 / 2)) \
		"$1" "$2" $(($1 + $3 - 1)) $(($2 + $4 - 1)) || return 1
	[ "${popup:-0}" -gt 1000 ] || {
		MSG="the popup never showed, nothing tried to cover: $MSG"
		keep_shot cover "$T/cover.png" "$MSG"
		return 1
	}
	MSG="the notification stays above a focused fullscreen high window and its popup; $MSG"
}

c_notification_below_dialog() {
	bar_cmd "dialog 1200 600 00ff00"
	wait_until 100 is_focused "title:dialog 4" || {
		MSG="the dialog did not map: $(q summary-roles)"
		return 1
	}
	# shellcheck disable=SC2046
	set -- $(q geometry role:notification)
	stable_shot over || return 1
	pixels_are dialog-over-notification "$T/over.png" 00ff00 $(($1 + $3 / 2)) $(($2 + $4 / 2)) ||
		return 1
	bar_cmd "close-dialog 4"
	wait_until 50 window_gone "title:dialog 4" && wait_until 30 is_focused title:Cover
	rc=$?
	MSG="the dialog covers the notification; after it, focused: $(q focused)"
	return $rc
}

c_notification_click() {
	# shellcheck disable=SC2046
	set -- $(q geometry role:notification)
	bar_mark
	ctl input move $(($1 + $3 / 2)) $(($2 + $4 / 2)) >/dev/null && ctl input click >/dev/null
	wait_until 30 is_focused role:notification &&
		wait_until 30 bar_since '^keyboard-enter notification-1$' &&
		wait_until 30 bar_since '^button notification-1 272 pressed'
	rc=$?
	MSG="focused: $(q focused); bar saw: $(tail -n +"$((MARK + 1))" "$T/bar.out" | tr '\n' ';')"
	[ $rc = 0 ] || return 1
	bar_cmd release
	wait_until 30 is_focused title:Cover
	rc=$?
	MSG="click: keyboard to the notification; release_focus: focused $(q focused)"
	return $rc
}

c_notification_gone_focused() {
	# shellcheck disable=SC2046
	set -- $(q geometry role:notification)
	ctl input move $(($1 + 10)) $(($2 + 10)) >/dev/null && ctl input click >/dev/null
	wait_until 30 is_focused role:notification || {
		MSG="the click did not focus it: $(q summary-roles)"
		return 1
	}
	bar_cmd "close-notification 1"
	wait_until 50 window_gone role:notification && wait_until 30 is_focused title:Cover
	rc=$?
	MSG="after the focused notification went away: $(q summary-roles)"
	stop_pid "$PID_N"
	return $rc
}

c_notification_too_big() {
	bar_cmd "notification-big 3000 3000 $NOTE"
	wait_until 100 is_mapped "title:notification 2" || {
		MSG="never mapped: $(q summary-roles)"
		return 1
	}
	# shellcheck disable=SC2046
	set -- $(q geometry "title:notification 2")
	want_w=$((WIDTH - 2 * CORE_BORDER - 2 * NOTE_MARGIN))
	want_h=$((HEIGHT - BAR - CORE_TITLE - CORE_BORDER - 2 * NOTE_MARGIN))
	MSG="client area at $1,$2 ${3}x$4; told: $(grep '^notification-configure 2 ' "$T/bar.out" | tail -n 1)"
	[ "$(($2 - CORE_TITLE))" -ge "$BAR" ] && [ "$(($1 - CORE_BORDER))" -ge 0 ] || return 1
	grep -q "^notification-configure 2 $want_w $want_h" "$T/bar.out" || return 1
	stable_shot nbig || return 1
	# shellcheck disable=SC2046
	pixels_are notification-big-strip "$T/nbig.png" "$BAR_COLOUR" $(strip_points) || return 1
	bar_cmd "close-notification 2"
	wait_until 50 window_gone "title:notification 2"
	MSG="strip intact; $MSG"
}

# --- checks: secure attention -----------------------------------------------------

c_sak_to_bar() {
	id=$(wfield title:Behind id)
	ctl focus "$id" >/dev/null 2>&1 && wait_until 30 is_focused title:Behind || {
		MSG="cannot focus the cage window"
		return 1
	}
	bar_mark
	keys_before=$(grep -c '^key 1 ' "$T/A.out")
	ctl input key super+Escape >/dev/null || return 1
	wait_until 30 is_focused role:bar && wait_until 30 bar_since '^secure-attention$' &&
		wait_until 30 bar_since '^keyboard-enter bar$'
	rc=$?
	keys_after=$(grep -c '^key 1 ' "$T/A.out")
	MSG="focused: $(q focused); bar saw: $(tail -n +"$((MARK + 1))" "$T/bar.out" | tr '\n' ';'); Escape keys in the cage window: $keys_before -> $keys_after"
	[ $rc = 0 ] && [ "$keys_before" = "$keys_after" ]
}

c_release() {
	bar_mark
	bar_cmd release
	wait_until 30 is_focused title:Behind && wait_until 30 bar_since '^keyboard-leave bar$'
	rc=$?
	MSG="focused: $(q focused); bar saw: $(tail -n +"$((MARK + 1))" "$T/bar.out" | tr '\n' ';')"
	return $rc
}

c_release_gone() {
	ctl input key super+Escape >/dev/null && wait_until 30 is_focused role:bar || {
		MSG="the bar did not get the focus"
		return 1
	}
	stop_pid "$PID_A"
	wait_until 50 window_gone title:Behind
	bar_cmd release
	wait_until 30 nothing_focused
	rc=$?
	MSG="after release_focus with the previous window gone, focused: $(q focused)"
	return $rc
}

window_gone() {
	windows && ! q get "$1" id >/dev/null
}

c_click_bar() {
	bar_mark
	ctl input move $((WIDTH / 2)) $((BAR / 2)) >/dev/null && ctl input click >/dev/null
	wait_until 30 is_focused role:bar && wait_until 30 bar_since '^button bar 272 pressed'
	rc=$?
	MSG="focused: $(q focused); bar saw: $(tail -n +"$((MARK + 1))" "$T/bar.out" | tr '\n' ';')"
	bar_cmd release
	return $rc
}

# Two dialogs over a cage window C: closing the focused one focuses the
# other; closing that one gives the focus back to C.
c_dialog_focus_return() {
	wait_until 30 nothing_focused || wait_until 30 is_focused role:dialog
	start_focused C alpha Worker "the window" --colour 808080 --size 300x200 || return 1
	bar_cmd "dialog 200 100 00ffff"
	wait_until 100 is_focused "title:dialog 2" || {
		MSG="dialog 2 did not take the focus: $(q summary-roles)"
		return 1
	}
	bar_cmd "close-dialog 2"
	wait_until 50 is_focused "title:dialog 1" || {
		MSG="closing dialog 2 did not focus dialog 1: $(q summary-roles)"
		return 1
	}
	bar_cmd "close-dialog 1"
	wait_until 50 is_focused title:Worker
	rc=$?
	MSG="after both dialogs closed: $(q summary-roles)"
	return $rc
}

# A dialog that draws 3000x3000 whatever it is told: told the work area's
# size, kept below the strip meanwhile.
c_dialog_too_big() {
	bar_cmd "dialog-big 3000 3000 00ffff"
	wait_until 100 is_mapped "title:dialog 3" || {
		MSG="never mapped: $(q summary-roles)"
		return 1
	}
	# shellcheck disable=SC2046
	set -- $(q geometry "title:dialog 3")
	want_w=$((WIDTH - 2 * CORE_BORDER))
	want_h=$((HEIGHT - BAR - CORE_TITLE - CORE_BORDER))
	MSG="client area at $1,$2 ${3}x$4 (frame top $(($2 - CORE_TITLE)), strip ends at $BAR); told: $(grep '^dialog-configure 3 ' "$T/bar.out" | tail -n 1)"
	[ "$(($2 - CORE_TITLE))" -ge "$BAR" ] && [ "$(($1 - CORE_BORDER))" -ge 0 ] || return 1
	grep -q "^dialog-configure 3 $want_w $want_h" "$T/bar.out" || return 1
	stable_shot big || return 1
	# shellcheck disable=SC2046
	pixels_are big-strip "$T/big.png" "$BAR_COLOUR" $(strip_points) || return 1
	bar_cmd "close-dialog 3"
	wait_until 50 window_gone "title:dialog 3"
	MSG="strip intact; $MSG"
}

fallback_shown() {
	# shellcheck disable=SC2046
	shot fb && "$PNGPIX" "$T/fb.png" --expect "$1" --tolerance "$TOLERANCE" \
		$(strip_points) >/dev/null 2>&1
}

# The strip's colour when no bar shows: the focused window's level (Worker: low).
c_bar_too_large() {
	bar_cmd "bar-draw $WIDTH 60"
	wait_until 50 fallback_shown "$LOW"
	rc=$?
	# shellcheck disable=SC2046
	pixels_are bar-too-large "$T/fb.png" "$LOW" $(strip_points) || return 1
	bar_cmd "bar-draw $WIDTH $BAR"
	wait_until 50 bar_colour_shown || {
		MSG="the bar did not come back once it fitted"
		return 1
	}
	MSG="a 60 px high bar surface: fallback strip; 28 px again: the bar; $MSG"
	return $rc
}

c_bar_killed() {
	pid=$(bar_pid)
	starts=$(bar_count '^start ')
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || {
		MSG="no bar pid"
		return 1
	}
	wait_until 20 fallback_shown "$LOW" || {
		MSG="no fallback strip after kill -9"
		# shellcheck disable=SC2046
		pixels_are killed "$T/fb.png" "$LOW" $(strip_points)
		return 1
	}
	label=$("$PNGPIX" "$T/fb.png" --count-other "$LOW" --tolerance 40 0 0 200 "$BAR")
	wait_until 100 sh -c "[ \$(grep -c '^start ' '$T/bar.out') -gt $starts ]"
	wait_until 50 bar_in_strip && wait_until 50 bar_colour_shown
	rc=$?
	MSG="killed pid $pid: fallback strip #$LOW with $label label pixels; restarted as pid $(bar_pid)"
	[ $rc = 0 ] && [ "${label:-0}" -ge 20 ]
}

c_cage_cannot_bind() {
	WAYLAND_DISPLAY=$RUN/cloison/cages/alpha/wayland-0 ${TIMEOUT:+$TIMEOUT 60} "$GLOBALS" \
		--expect-hidden >"$T/globals.out" 2>"$T/globals.err"
	rc=$?
	MSG=$(grep -i 'cloison_shell' "$T/globals.out" | head -n 2 | tr '\n' ' ')
	return $rc
}

# --- other compositors --------------------------------------------------------------

# other_begin NAME BAR-ARGS...: a compositor of its own, its bar writing $T/NAME.out.
other_begin() {
	name=$1
	shift
	ORUN=$T/$name
	mkdir -m 0700 "$ORUN" || return 1
	start_compositor "$ORUN" "$T/$name.log" --test-input --bar "$BARX --out $T/$name.out $*"
	rc=$?
	OTHER_PID=$STARTED_PID
	EXTRA_PIDS="$EXTRA_PIDS $OTHER_PID"
	OCTL=$ORUN/cloison/core/ctl
	return $rc
}

other_end() {
	stop_pid "$OTHER_PID"
}

owindows() {
	"$CTL" --timeout 20 --socket "$OCTL" windows >"$T/w.json" 2>"$T/ctl.err"
}

other_has() {
	grep -Eq "$2" "$T/$1.out" 2>/dev/null
}

# A role-less bar surface (as before the toplevel bar) and a dialog named
# before its first commit; Super+Escape without a toplevel bar only clears the focus.
c_roleless_bar() {
	other_begin roleless --shell-version 1 --bar surface --early --dialog "200,100,$DIALOG" || {
		MSG="compositor did not start"
		return 1
	}
	RUN_SAVED=$RUN
	CTLSOCK_SAVED=$CTLSOCK
	RUN=$ORUN
	CTLSOCK=$OCTL
	wait_until 100 is_mapped role:dialog
	wait_until 50 bar_colour_shown
	rc=$?
	MSG="strip: $("$PNGPIX" "$T/bar.png" $((WIDTH / 2)) 14); dialog: $(q geometry role:dialog) (want $(dialog_expected 200 100))"
	[ "$(q geometry role:dialog)" = "$(dialog_expected 200 100)" ] || rc=1
	start_client R alpha --title Roleless --colour "$BEHIND" --size 200x100
	wait_until 100 is_mapped title:Roleless
	id=$(wfield title:Roleless id)
	ctl focus "$id" >/dev/null 2>&1
	wait_until 30 is_focused title:Roleless || rc=1
	ctl input key super+Escape >/dev/null
	wait_until 30 nothing_focused || rc=1
	other_has roleless '^secure-attention' && rc=1
	MSG="$MSG; after Super+Escape focused: $(q focused), secure_attention sent: $(grep -c '^secure-attention' "$T/roleless.out")"
	stop_pid "$PID_R"
	RUN=$RUN_SAVED
	CTLSOCK=$CTLSOCK_SAVED
	other_end
	return $rc
}

# c_invalid KIND: the bar's request KIND is invalid_surface, for the bar only.
c_invalid() {
	mkfifo -m 0600 "$T/bad-$1.cmd" || return 1
	other_begin "bad-$1" --commands "$T/bad-$1.cmd" --dialog "200,100,$DIALOG" \
		--notification "100,50,$NOTE" || {
		MSG="compositor did not start"
		return 1
	}
	# Generous waits: a loaded machine (sanitizer builds in parallel) is slow.
	mapped=yes
	wait_until 300 other_has "bad-$1" '^dialog-mapped 1' || mapped=no
	wait_until 300 other_has "bad-$1" '^notification-mapped 1' || mapped=no
	echo "bad $1" >"$T/bad-$1.cmd"
	wait_until 300 other_has "bad-$1" '^protocol-error '
	rc=$?
	err=$(grep '^protocol-error' "$T/bad-$1.out" | head -n 1)
	alive=no
	kill -0 "$OTHER_PID" 2>/dev/null && owindows && alive=yes
	MSG="bar got '$err'; compositor alive and answering: $alive; dialog mapped first: $mapped; bar said: $(tr '\n' '|' <"$T/bad-$1.out"); log: $(grep -v ' info: ' "$T/bad-$1.log" | tail -n 4 | tr '\n' '|')"
	other_end
	[ $rc = 0 ] && [ "$err" = "protocol-error zcloison_shell_v1 0" ] && [ $alive = yes ]
}

c_sigterm() {
	kill -TERM "$COMP_PID"
	wait_until 51 has_ended "$COMP_PID"
	wait "$COMP_PID"
	rc=$?
	MSG="exit status $rc"
	COMP_PID=
	[ $rc = 0 ]
}

# --- the run --------------------------------------------------------------------------

run_all() {
	check "the bar's environment: the core bus, no parent display, GDK_BACKEND=wayland" c_bar_env
	check "the bar toplevel is configured to the strip and placed in it" c_bar_placed
	check "the strip shows the bar's pixels" c_bar_pixels
	check "the bar does not take the focus when it maps" c_bar_not_focused
	check "a cage window maps and is focused" c_cage_window
	check "a dialog is centred in the work area, core, no cage" c_dialog_centred
	check "the dialog takes the focus and is activated; the cage window loses it" c_dialog_focused
	check "the dialog's core frame: hatch in two greys, a label, its content inside" \
		c_dialog_frame_pixels
	check "reference: dialog in its core frame above a cage window, bar in the strip" \
		c_dialog_reference
	check "a click on the cage window behind focuses it; the dialog stays in front" \
		c_click_behind
	check "a focused fullscreen cage window stays below the dialog" c_fullscreen_behind
	check "a click reaches the dialog and focuses it again" c_click_dialog
	check "a cage's cursor image never reaches over the dialog" c_cursor_over_dialog
	check "Super+Escape: keyboard to the bar, secure_attention sent, Escape not delivered" \
		c_sak_to_bar
	check "release_focus gives the focus back to the window focused before" c_release
	check "release_focus with that window gone focuses nothing" c_release_gone
	check "a click on the bar focuses it" c_click_bar
	check "closing dialogs: the other dialog, then the cage window get the focus back" \
		c_dialog_focus_return
	check "a too large dialog is told the work area's size and never covers the strip" \
		c_dialog_too_big
	check "a notification toplevel sits in the work area's top-right corner, core, no cage" \
		c_notification_placed
	check "a notification toplevel never takes the focus when it maps" c_notification_no_focus
	check "its maximise, fullscreen, move and resize requests are ignored" c_notification_requests
	check "the notification's core frame: hatch, label, its content inside" \
		c_notification_pixels
	check "a focused fullscreen cage window and its popup stay below the notification" \
		c_notification_above_cage
	check "a dialog is drawn above the notification; closing it gives the focus back" \
		c_notification_below_dialog
	check "a click focuses the notification; release_focus gives the focus back" \
		c_notification_click
	check "a focused notification going away gives the focus back" c_notification_gone_focused
	check "a too large notification is told the work area's size, never covers the strip" \
		c_notification_too_big
	check "a bar surface taller than the strip gives way to the fallback strip" c_bar_too_large
	check "kill -9 of the bar: fallback strip with its label, then the bar is back" c_bar_killed
	check "a cage still cannot see or bind zcloison_shell_v1" c_cage_cannot_bind
	check "version 1 bar: a role-less bar surface and an early dialog; Super+Escape without a toplevel bar" \
		c_roleless_bar
	for kind in dialog-roleless dialog-popup dialog-bar bar-dialog bar-xdg-surface \
		notification-roleless notification-popup notification-bar notification-dialog \
		dialog-notification bar-notification; do
		check "invalid_surface for the bar alone: $kind" c_invalid "$kind"
	done
	check "SIGTERM stops the compositor and its bar cleanly" c_sigterm
}

if ! check_prerequisites; then
	:
elif ! setup; then
	skip_reason="test set-up failed (see the diagnostics above)"
	MUST_RUN=1
fi

run_all
echo "1..$n"
if [ "$failed" -ne 0 ] && [ -n "$T" ]; then
	[ -f "$T/compositor.log" ] && diag "compositor log (last 30 lines):" "$(tail -n 30 "$T/compositor.log")"
	[ -f "$T/bar.out" ] && diag "bar.out (last 30 lines):" "$(tail -n 30 "$T/bar.out")"
fi
[ "$failed" -eq 0 ]
