# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers shared by the bar's tests (run-bar-gtk.sh, run-bar-notify.sh), sourced
# after tests/compositor/lib.sh (start_compositor here replaces its one, and
# tests/lib/common.sh, sourced here, its check).  They use the caller's
# variables: n, failed, T, COMP, CTL, BAR, COMP_PID, PNGPIX, REFDIR,
# REF_TOLERANCE, UPDATE_REFS, SHOTS, PYTHON.
# shellcheck shell=sh disable=SC2034

# ok, not_ok, check, wait_for, skip_all, private_dirs, start_bus…
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

# The broker wants the cages' runtime directories (made by the compositor).
start_compositor() { # start_compositor RUNTIME LOG: sets COMP_PID
	rm -f "$1.ready"
	mkfifo -m 0600 "$1.ready" || return 1
	XDG_RUNTIME_DIR=$1 "$COMP" --config "$CONF" --headless --size "${WIDTH}x$HEIGHT" \
		--test-input --ready-fd 3 --bar "$BAR --config $CONF" 3>"$1.ready" >"$2" 2>&1 &
	COMP_PID=$!
	line=$(timeout 20 head -n 1 "$1.ready")
	[ "$line" = "READY=1" ]
}

has_window() { # has_window KEY=VALUE
	windows && q has "$1"
}

no_window() {
	windows && ! q has "$1"
}

focused_is() {
	windows && [ "$(q focused)" = "$1" ]
}

bar_pid() {
	sed -n 's/.*bar: started .* (pid \([0-9]*\)).*/\1/p' "$T/compositor.log" | tail -n 1
}

# toplevel CAGE TITLE COLOUR [ARGS...]: a cage window; waits until mapped.
toplevel() {
	cage=$1
	title=$2
	colour=$3
	shift 3
	log=$T/client-$cage-$(echo "$title" | tr -c 'A-Za-z0-9' _).log
	WAYLAND_DISPLAY=$RUN/cloison/cages/$cage/wayland-0 "$TOPLEVEL" --title "$title" \
		--colour "$colour" --size 400x300 "$@" >"$log" 2>&1 &
	CLIENT_PIDS="$CLIENT_PIDS $!"
	wait_for 100 grep -q "^mapped" "$log"
}

pixel_of() { # pixel_of SHOT X Y: RRGGBB
	"$PNGPIX" "$1" "$2" "$3" 2>/dev/null | awk '{print $NF}'
}

shot() { # shot NAME: screenshot into $T/NAME.png
	ctl screenshot "$T/$1.png" >/dev/null 2>&1
}

# reference NAME: the screen against reference/NAME.png.
reference() {
	name=$1
	ref=$REFDIR/$name.png
	shot "$name" || {
		MSG="no screenshot"
		return 1
	}
	if [ ! -f "$ref" ] || ! "$PNGPIX" compare "$ref" "$T/$name.png" "$REF_TOLERANCE" \
		"$T/$name-diff.png" >"$T/$name-compare.log" 2>&1; then
		if [ "$UPDATE_REFS" = 1 ]; then
			mkdir -p "$REFDIR"
			cp "$T/$name.png" "$ref"
			diag "reference $name.png written: look at it before committing it"
			return 0
		fi
		mkdir -p "$SHOTS"
		cp "$T/$name.png" "$SHOTS/bar-$name.png"
		[ -f "$ref" ] && cp "$ref" "$SHOTS/bar-$name-reference.png"
		[ -f "$T/$name-diff.png" ] && cp "$T/$name-diff.png" "$SHOTS/bar-$name-diff.png"
		MSG="differs from $ref (see $SHOTS/bar-$name*.png): $(cat "$T/$name-compare.log")"
		[ -f "$ref" ] || MSG="missing reference $ref (CLOISON_UPDATE_REFERENCES=1 writes it)"
		return 1
	fi
	return 0
}

# click_at X Y: the pointer comes from 3 px to the left, as a hand would
# (GTK 4 does not send a click to a button that became sensitive under a
# pointer that has not moved since).
click_at() {
	ctl input move $(($1 - 3)) "$2" >/dev/null && ctl input move "$1" "$2" >/dev/null &&
		ctl input click >/dev/null
}
