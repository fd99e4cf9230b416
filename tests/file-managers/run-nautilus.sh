#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: the Nautilus extension loaded by a real Nautilus in real cages
# (issue 9).
#
#   run-nautilus.sh SESSION COMPOSITOR CTL BAR TRANSFERD CAGE CAGE_INIT NOTIFYD PNG_PIXEL MODULE
#
# A real headless session (`cloison-session --headless --test-input`: the
# compositor, the bar as the trusted dialog, the broker, notifyd, a private
# core bus) with three cages: low (level low), high (level high) and lone
# (level low, whose Nautilus is told a broker socket that does not exist).
# The launcher bind-mounts a directory holding the module just built over
# Nautilus's extension directory in each cage ($CLOISON_NAUTILUS_EXTENSIONS).
# Nautilus runs in the cages through `cloison-cage exec` (each cage has its
# own session bus), with GSettings in a key file of the cage's home.
#
#  1. Nautilus in cage low loads the extension; report.txt is selected
#     (--select), found on a screenshot by the selection colour, and
#     right-clicked: the context menu has "Transfer to level" and "Move to
#     level" (the extension says it offered them; the menu matches
#     reference/nautilus-menu.png in the menu's region);
#  2. a click on "Transfer to level" opens the submenu, which lists
#     "High — high" (screenshot with the menu open, compared with
#     reference/nautilus-submenu.png in the menu's region);
#  3. a click on "High — high": the broker emits PromptRequested on the core
#     bus (gdbus monitor) and has a request waiting (cloison-ctl transfers
#     list), and the bar shows its trusted dialog; Approve clicked after 1 s
#     delivers report.txt to high's ~/Incoming/low/ with the origin xattr;
#     the ClTransferWindow says it is done with 1 delivered (the extension
#     logs the window's "done" signal) and is drawn as
#     reference/nautilus-window.png; then "Move to level ▸ High — high" on
#     the same file, approved: a second copy lands and report.txt is gone
#     from low's home;
#  4. Nautilus in cage high, list view: the extension read the origin of the
#     received file, and the "Origin" column shows it
#     (reference/nautilus-origin.png, the window's region);
#  5. cage lone (no broker socket): the context menu has no transfer items
#     (reference/nautilus-lone-menu.png), the extension says why, Nautilus
#     keeps running; the origin xattr written on a file by the cage itself,
#     with an escape sequence, a bidi override and invalid UTF-8, is shown
#     cleaned;
#  6. cage lone again, with a socket that accepts and never answers: the
#     context menu still opens at once, without transfer items, and the
#     extension gives up connecting after 5 s.
#
# The menus are located from a known layout: offsets from the right-click
# measured on the reference run (Nautilus 43 with Adwaita, GSK_RENDERER=cairo,
# a fixed default application for text/plain written in the cage's home).
# The references are crops: the region of the menu (from the right-click
# point) or the inside of the window, wherever the compositor placed it.  On
# a mismatch the crop, the whole screen, the reference and a diff go to
# $CLOISON_BUILD_ROOT/test-shots/nautilus-*.png; CLOISON_UPDATE_REFERENCES=1
# rewrites the references.
#
# Missing programs (nautilus, the module: libnautilus-extension-dev), fonts
# or cage support skip everything, or fail under CLOISON_TESTS_MUST_RUN=1.
# Everything started is stopped by pid.
# Lists of pids and "X Y" pairs are split on purpose:
# shellcheck disable=SC2016,SC2046,SC2086
# shellcheck source=tests/cage/lib.sh
. "$(dirname "$0")/../cage/lib.sh"
# shellcheck source=tests/bar/lib.sh
. "$(dirname "$0")/../bar/lib.sh"

set -u

SESSION=$(abs "${1:-}") COMP=$(abs "${2:-}") CTL=$(abs "${3:-}") BAR=$(abs "${4:-}")
TRANSFERD=$(abs "${5:-}") CAGE_BIN=$(abs "${6:-}") CAGE_INIT=$(abs "${7:-}")
NOTIFYD=$(abs "${8:-}") PNGPIX=$(abs "${9:-}") MODULE=$(abs "${10:-}")
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
TEST_NAME=Nautilus
PYTHON=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
HERE=$(cd "$(dirname "$0")" && pwd)
REFDIR=${CLOISON_REFERENCE_DIR:-$HERE/reference}
UPDATE_REFS=${CLOISON_UPDATE_REFERENCES:-0}
BUILD_ROOT=${CLOISON_BUILD_ROOT:-${TMPDIR:-/tmp}}
SHOTS=$BUILD_ROOT/test-shots
WIDTH=1280
HEIGHT=720
REF_TOLERANCE=24
# Adwaita's colour behind a selected item (focused window, unfocused one)
SELECTED="cce0f8 e0ecfb"
# Known layout (see above): from the right-click point, the menu's region
# and its items.
MENU_W=230
MENU_H=470
TRANSFER_DX=78
TRANSFER_DY=350
MOVE_DY=382
TARGET_DX=63
TARGET_DY=56

n=0
failed=0
skip_reason=
T=
SPID=
EXEC_PIDS=
MON_PID=

cleanup() {
	stop_session
	# The exec clients end with their cage; any left is stopped by pid.
	stop_pids $EXEC_PIDS $MON_PID
	remove_tmp
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- prerequisites ---------------------------------------------------------------------

if [ -z "${10:-}" ] || [ ! -f "$MODULE" ]; then
	skip_reason="the Nautilus extension is not built (libnautilus-extension-dev: tools/install-deps)"
	skip_all
fi
cage_prereqs "$SESSION" "$COMP" "$CTL" "$BAR" "$TRANSFERD" "$CAGE_BIN" "$CAGE_INIT" "$NOTIFYD" \
	"$PNGPIX" || skip_all
if ! command -v nautilus >/dev/null 2>&1; then
	skip_reason="nautilus is not installed (tools/install-deps)"
	skip_all
fi
if ! command -v dbus-daemon >/dev/null 2>&1 || ! command -v gdbus >/dev/null 2>&1; then
	skip_reason="dbus-daemon or gdbus is not installed (tools/install-deps)"
	skip_all
fi
have_font || skip_all

# --- set-up ------------------------------------------------------------------------------

private_dirs cloison-nautilus-test
export CLOISON_BAR_CLOCK=12:34
session_env
cage_homes low high lone
# What the cage account must read is world-readable; the homes are given
# to it by the launcher.
for c in low high lone; do
	H=$DATA/cloison/cages/$c/home
	mkdir -p -m 0700 "$H"
	mkdir -p -m 0755 "$H/.config/glib-2.0/settings" "$H/.local/share/applications"
	# GSettings: the list view with the Origin column; the window size.
	cat >"$H/.config/glib-2.0/settings/keyfile" <<'EOF'
[org/gnome/nautilus/preferences]
default-folder-viewer='list-view'

[org/gnome/nautilus/list-view]
default-visible-columns=['name', 'size', 'CloisonNautilus::origin']

[org/gnome/nautilus/window-state]
initial-size=(900, 560)
EOF
	# A fixed default application for text/plain: the first menu item
	# ("Open With …") does not depend on what the host has installed.
	cat >"$H/.local/share/applications/cl-viewer.desktop" <<'EOF'
[Desktop Entry]
Type=Application
Name=Viewer
Exec=true %f
MimeType=text/plain;
EOF
	printf '[Default Applications]\ntext/plain=cl-viewer.desktop\n' >"$H/.config/mimeapps.list"
	chmod 0644 "$H/.config/glib-2.0/settings/keyfile" "$H/.config/mimeapps.list" \
		"$H/.local/share/applications/cl-viewer.desktop"
	chmod 0755 "$H/.config" "$H/.config/glib-2.0" "$H/.local" "$H/.local/share"
done
LOW=$DATA/cloison/cages/low/home
HIGH=$DATA/cloison/cages/high/home
LONE=$DATA/cloison/cages/lone/home
# The low cage's Nautilus starts in the grid view (the keyfile above is the
# high cage's setting, the grid is the default).
sed -i "/default-folder-viewer/d" "$LOW/.config/glib-2.0/settings/keyfile" \
	"$LONE/.config/glib-2.0/settings/keyfile"
printf 'quarterly report\n' >"$LOW/report.txt"
printf 'private notes\n' >"$LONE/notes.txt"
# An origin xattr the cage could have written itself: shown cleaned, never trusted.
printf 'forged\n' >"$LONE/forged.txt"
chmod 0644 "$LOW/report.txt" "$LONE/notes.txt" "$LONE/forged.txt"
"$PYTHON" -c 'import os, sys; os.setxattr(sys.argv[1], "user.cloison.origin", b"high (top secret)\x1b[2J\xe2\x80\xae\n\xff")' \
	"$LONE/forged.txt" || {
	skip_reason="cannot set a user xattr in $LONE"
	skip_all
}

# The module, alone in a directory the cage account can read.
mkdir -m 0755 "$T/extensions"
cp "$MODULE" "$T/extensions/"
chmod 0644 "$T/extensions/"*

export CLOISON_NAUTILUS_EXTENSIONS="$T/extensions"

CONF=$T/cloison.conf
cat >"$CONF" <<EOF
[level low]
label=Low
colour=#00aa00
rank=0

[level high]
label=High
colour=#cc0000
rank=10

[cage low]
level=low

[cage high]
level=high

[cage lone]
level=low

[transfer low high]
action=ask
types=text/*
EOF

# --- helpers ---------------------------------------------------------------------------------

CTLSOCK=$RUN/cloison/core/ctl
ctl() {
	"$CTL" --timeout 20 --socket "$CTLSOCK" "$@"
}

cat >"$T/q.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
cmd, args = sys.argv[2], sys.argv[3:]
ws = [w for w in d.get("windows", []) if w.get("mapped")]

def find(**kv):
    for w in ws:
        if all(str(w.get(k)) == v for k, v in kv.items()):
            return w
    sys.exit(1)

if cmd == "bar":
    find(role="bar")
elif cmd == "nautilus":      # CAGE [TITLE]: the id and geometry of its window
    kv = {"cage": args[0], "app_id": "org.gnome.Nautilus"}
    if len(args) > 1:
        kv["title"] = args[1]
    w = find(**kv)
    print(w["id"], w["x"], w["y"], w["width"], w["height"])
elif cmd == "dialog":        # the trusted dialog's Approve button
    w = find(role="dialog")
    print(w["x"] + w["width"] - 16 - 24, w["y"] + w["height"] - 14 - 12)
elif cmd == "popup":
    find(role="notification")
elif cmd == "summary":
    for w in d.get("windows", []):
        print(w.get("id"), w.get("role"), w.get("cage"), w.get("app_id"), w.get("title"),
              w.get("x"), w.get("y"), w.get("width"), w.get("height"), w.get("mapped"))
EOF

windows() {
	ctl windows >"$T/w.json" 2>"$T/ctl.err"
}
q() {
	"$PYTHON" "$T/q.py" "$T/w.json" "$@" 2>/dev/null
}
bar_mapped() {
	windows && q bar
}
nautilus_window() { # nautilus_window CAGE [TITLE]: prints "ID X Y W H"
	windows && q nautilus "$@"
}
lone_alive() {
	nautilus_window lone >/dev/null
}
transfer_window_gone() {
	windows && ! q nautilus low "Transfer to another level" >/dev/null
}
has_dialog() {
	windows && q dialog >/dev/null
}

# nautilus CAGE ARGS...: Nautilus in the running cage (its log in
# $T/nautilus-CAGE.log), in the background.
nautilus() {
	cage=$1
	shift
	"$CAGE_BIN" --config "$CONF" exec "$cage" -- env GSETTINGS_BACKEND=keyfile \
		G_MESSAGES_DEBUG=cloison-nautilus GSK_RENDERER=cairo GTK_A11Y=none LANGUAGE=C \
		${NAUTILUS_ENV:-} nautilus "$@" </dev/null >>"$T/nautilus-$cage.log" 2>&1 &
	EXEC_PIDS="$EXEC_PIDS $!"
}
logged() { # logged CAGE TEXT: the cage's Nautilus logged TEXT
	grep -qF -- "$2" "$T/nautilus-$1.log"
}

# compare_ref NAME X Y W H: the rectangle of $T/NAME.png (clipped to the
# screen) against reference/NAME.png, a crop of the same size: a window or
# a menu is compared wherever the compositor placed it.
compare_ref() {
	name=$1 rx=$2 ry=$3 rw=$4 rh=$5
	[ "$rx" -lt 0 ] && rw=$((rw + rx)) && rx=0
	[ "$ry" -lt 0 ] && rh=$((rh + ry)) && ry=0
	[ $((rx + rw)) -gt $WIDTH ] && rw=$((WIDTH - rx))
	[ $((ry + rh)) -gt $HEIGHT ] && rh=$((HEIGHT - ry))
	ref=$REFDIR/$name.png
	crop=$T/$name-crop.png
	rm -f "$crop"
	"$PNGPIX" "$T/$name.png" --crop "$crop" "$rx" "$ry" "$rw" "$rh" >"$T/$name-compare.log" 2>&1 &&
		[ -f "$ref" ] && "$PNGPIX" compare "$ref" "$crop" "$REF_TOLERANCE" "$T/$name-diff.png" \
		>"$T/$name-compare.log" 2>&1 && return 0
	if [ "$UPDATE_REFS" = 1 ] && [ -f "$crop" ]; then
		mkdir -p "$REFDIR"
		cp "$crop" "$ref"
		diag "reference $name.png written: look at it before committing it"
		return 0
	fi
	mkdir -p "$SHOTS"
	cp "$T/$name.png" "$SHOTS/$name-screen.png"
	[ -f "$crop" ] && cp "$crop" "$SHOTS/$name.png"
	[ -f "$ref" ] && cp "$ref" "$SHOTS/$name-reference.png"
	[ -f "$T/$name-diff.png" ] && cp "$T/$name-diff.png" "$SHOTS/$name-diff.png"
	diag "$name ($rx,$ry ${rw}x$rh) differs from $ref (see $SHOTS/$name*.png): $(cat "$T/$name-compare.log" 2>/dev/null)"
	return 1
}
# The inside of a window: its geometry without what GTK 4 keeps around it
# for its shadow (drawn over whatever is behind, deeper at the bottom).
INSET=64
INSET_BOTTOM=76
inside() { # inside X Y W H: "X Y W H" of what the window draws itself
	echo $(($1 + INSET)) $(($2 + INSET)) $(($3 - 2 * INSET)) $(($4 - INSET - INSET_BOTTOM))
}
# shot_matches NAME X Y W H: a new screenshot matches in that rectangle.
shot_matches() {
	shot "$1" && compare_ref "$@" >/dev/null
}
# matches NAME X Y W H: retried for 3 s (a menu's animation), diagnostics
# from the last try; the notification popups are dismissed first.
matches() {
	dismiss_all
	# The pointer is drawn in screenshots: out of the way, in a corner
	# outside any region compared.
	ctl input move 2 $((HEIGHT - 2)) >/dev/null
	wait_for 30 shot_matches "$@" || { shot "$1" && compare_ref "$@"; }
}

# select_point CAGE: the centre of the selected item in CAGE's Nautilus
# window, found by the selection colour.
select_point() {
	set -- $(nautilus_window "$1") || return 1
	[ $# -eq 5 ] || return 1
	x0=$(($2 < 0 ? 0 : $2)) y0=$(($3 < 28 ? 28 : $3))
	x1=$(($2 + $4 > WIDTH ? WIDTH : $2 + $4)) y1=$(($3 + $5 > HEIGHT ? HEIGHT : $3 + $5))
	shot select || return 1
	for colour in $SELECTED; do
		set -- $("$PNGPIX" "$T/select.png" --find "$colour" --tolerance 3 $x0 $y0 $x1 $y1)
		# An item, not a stray pixel.
		if [ $# -eq 5 ] && [ "$5" -gt 2000 ]; then
			echo $(($1 + $3 / 2)) $(($2 + $4 / 2))
			return 0
		fi
	done
	return 1
}

# The bar's notification popups (cage started, transfer requested…) are
# dismissed before a screenshot: they would cover the windows compared.
dismiss_all() {
	for id in $(gdbus call --address "unix:path=$RUN/cloison/core/bus" --dest org.cloison.Notify1 \
		--object-path /org/cloison/Notify1 --method org.cloison.NotifyDisplay1.List 2>/dev/null |
		grep -o "'id': <uint32 [0-9]*>" | grep -o '[0-9][0-9]*'); do
		gdbus call --address "unix:path=$RUN/cloison/core/bus" --dest org.cloison.Notify1 \
			--object-path /org/cloison/Notify1 --method org.cloison.NotifyDisplay1.Dismiss "$id" \
			>/dev/null 2>&1
	done
	wait_for 50 no_popup
}
no_popup() {
	windows && ! q popup
}

right_click_at() {
	ctl input move $(($1 - 3)) "$2" >/dev/null && ctl input move "$1" "$2" >/dev/null &&
		ctl input click right >/dev/null
}

pending() {
	"$CTL" --bus "unix:path=$RUN/cloison/core/bus" transfers list 2>/dev/null |
		"$PYTHON" -c 'import json,sys; t=json.load(sys.stdin); print(len(t), " ".join(sorted(x.get("name", "?") for x in t)))'
}
xattr() {
	"$PYTHON" -c 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())' "$1" "$2" 2>/dev/null
}

# --- the session -----------------------------------------------------------------------------

"$SESSION" --config "$CONF" --headless --size "${WIDTH}x$HEIGHT" --test-input >"$T/session.log" 2>&1 &
SPID=$!
if ! wait_for 600 bar_mapped; then
	not_ok "the session starts (the bar is mapped)"
	diag "$(tail -n 30 "$T/session.log")"
	echo "1..$n"
	exit 1
fi
ok "the session starts (the bar is mapped)"

# --- 1. the context menu ---------------------------------------------------------------------

nautilus low --select /home/user/report.txt
if wait_for 300 nautilus_window low >/dev/null; then
	ok "1: Nautilus maps in cage low"
else
	not_ok "1: Nautilus maps in cage low"
	diag "$(q summary)" "$(tail -n 30 "$T/nautilus-low.log")"
fi
check "1: the extension is loaded from the bind-mounted directory (its debug message)" \
	wait_for 100 logged low "Cloison extension loaded (transfer socket /run/cloison/transfer)"
set -- $(nautilus_window low)
ctl focus "${1:-0}" >/dev/null 2>&1
dismiss_all
if P=$(wait_for 100 select_point low); then
	ok "1: report.txt is selected (--select): found by the selection colour at $P"
else
	not_ok "1: report.txt is selected (--select): found by the selection colour"
	P="0 0"
fi
set -- $P
CX=$1 CY=$2
right_click_at "$CX" "$CY"
# (Nautilus 43 asks extensions for their items when the selection changes.)
check "1: the extension offers its menus for the selection (1 file, 1 target)" \
	wait_for 50 logged low "menu for 1 file(s): 1 target(s)"
sleep 0.5
check "1: the context menu has \"Transfer to level\" and \"Move to level\" (reference/nautilus-menu.png)" \
	matches nautilus-menu $((CX - 10)) $((CY - 10)) $MENU_W $MENU_H

# --- 2. the submenu --------------------------------------------------------------------------

click_at $((CX + TRANSFER_DX)) $((CY + TRANSFER_DY))
sleep 0.5
check "2: the submenu lists \"High — high\": screenshot with the menu open (reference/nautilus-submenu.png)" \
	matches nautilus-submenu $((CX - 10)) $((CY - 10)) $MENU_W 100

# --- 3. the transfer --------------------------------------------------------------------------

gdbus monitor --address "unix:path=$RUN/cloison/core/bus" --dest org.cloison.Transfer1 \
	>"$T/monitor.log" 2>&1 &
MON_PID=$!
sleep 0.5
click_at $((CX + TARGET_DX)) $((CY + TARGET_DY))
check "3: activating it sends report.txt: the extension says so" \
	wait_for 50 logged low "sending 1 file(s) to high"
if wait_for 100 has_dialog; then
	ok "3: the bar shows the trusted dialog"
	check "3: the broker emitted PromptRequested on the core bus (for report.txt)" \
		wait_for 50 sh -c 'grep "PromptRequested" "$1" | grep -q "report.txt"' _ "$T/monitor.log"
	got=$(pending)
	check "3: the broker has one request waiting: report.txt (cloison-ctl transfers list: $got)" \
		test "$got" = "1 report.txt"
	sleep 1.2
	set -- $(windows && q dialog)
	click_at "$1" "$2"
else
	not_ok "3: the bar shows the trusted dialog"
	diag "$(q summary)" "$(tail -n 20 "$T/session.log")"
fi
GOT=$HIGH/Incoming/low/report.txt
if wait_for 100 test -f "$GOT" && cmp -s "$LOW/report.txt" "$GOT"; then
	ok "3: Approve delivers report.txt to high's ~/Incoming/low/"
else
	not_ok "3: Approve delivers report.txt to high's ~/Incoming/low/"
	diag "$(ls -laR "$HIGH/Incoming" 2>&1 | head -n 20)"
fi
check "3: ... with the origin xattr \"low (low)\"" test "$(xattr "$GOT" user.cloison.origin)" = "low (low)"
check "3: the transfer window reports it delivered (its done signal: 1 delivered, 0 denied, 0 failed)" \
	wait_for 100 logged low "transfer window: 1 delivered, 0 denied, 0 failed"
if W=$(nautilus_window low "Transfer to another level"); then
	set -- $W
	ctl focus "$1" >/dev/null 2>&1
	sleep 0.5
	check "3: the transfer window shows the outcome (reference/nautilus-window.png)" \
		matches nautilus-window $(inside "$2" "$3" "$4" "$5")
	ctl close "$1" >/dev/null 2>&1
	check "3: the transfer window closes (cloison-ctl close)" wait_for 50 transfer_window_gone
else
	not_ok "3: the transfer window is mapped in cage low"
	diag "$(q summary)"
fi

# Move: the same file, the other submenu.
set -- $(nautilus_window low)
ctl focus "${1:-0}" >/dev/null 2>&1
if P=$(wait_for 100 select_point low); then
	set -- $P
	CX=$1 CY=$2
	right_click_at "$CX" "$CY"
	sleep 0.5
	click_at $((CX + TRANSFER_DX)) $((CY + MOVE_DY))
	sleep 0.5
	click_at $((CX + TARGET_DX)) $((CY + TARGET_DY))
	check "3: \"Move to level ▸ High — high\" sends report.txt to be moved: the extension says so" \
		wait_for 50 logged low "sending 1 file(s) to high (move)"
	if wait_for 100 has_dialog; then
		sleep 1.2
		set -- $(windows && q dialog)
		click_at "$1" "$2"
	fi
	moved() {
		[ ! -e "$LOW/report.txt" ] &&
			[ "$(ls "$HIGH/Incoming/low" | wc -l)" -eq 2 ] &&
			[ "$(cat "$HIGH/Incoming/low/"*)" = "$(printf 'quarterly report\nquarterly report')" ]
	}
	if wait_for 100 moved; then
		ok "3: approved, a second copy lands in high's ~/Incoming/low/ and report.txt is gone from low"
	else
		not_ok "3: approved, a second copy lands in high's ~/Incoming/low/ and report.txt is gone from low"
		diag "$(ls -la "$LOW" "$HIGH/Incoming/low" 2>&1)"
	fi
	check "3: the second transfer window reports it delivered" \
		wait_for 100 sh -c '[ "$(grep -c "transfer window: 1 delivered, 0 denied, 0 failed" "$1")" -eq 2 ]' \
		_ "$T/nautilus-low.log"
	if W=$(nautilus_window low "Transfer to another level"); then
		ctl close "${W%% *}" >/dev/null 2>&1
	fi
else
	not_ok "3: report.txt is still selected in cage low"
fi

# --- 4. the origin in the high cage ----------------------------------------------------------------

nautilus high --new-window /home/user/Incoming/low
if wait_for 300 nautilus_window high >/dev/null; then
	ok "4: Nautilus maps in cage high (list view)"
else
	not_ok "4: Nautilus maps in cage high (list view)"
	diag "$(q summary)" "$(tail -n 30 "$T/nautilus-high.log")"
fi
check "4: the extension reads the origin of the received file (user.cloison.origin)" \
	wait_for 100 logged high "origin of report.txt: low (low)"
if W=$(nautilus_window high); then
	set -- $W
	ctl focus "$1" >/dev/null 2>&1
	sleep 0.5
	check "4: the Origin column shows \"low (low)\" (reference/nautilus-origin.png)" \
		matches nautilus-origin $(inside "$2" "$3" "$4" "$5")
fi

# --- 5. no broker: no menu, no crash --------------------------------------------------------------

NAUTILUS_ENV=CLOISON_TRANSFER_SOCKET=/run/cloison/no-broker nautilus lone --select /home/user/notes.txt
if wait_for 300 nautilus_window lone >/dev/null; then
	ok "5: Nautilus maps in cage lone, whose broker socket is missing"
else
	not_ok "5: Nautilus maps in cage lone, whose broker socket is missing"
	diag "$(q summary)" "$(tail -n 30 "$T/nautilus-lone.log")"
fi
set -- $(nautilus_window lone)
ctl focus "${1:-0}" >/dev/null 2>&1
dismiss_all
if P=$(wait_for 100 select_point lone); then
	set -- $P
	right_click_at "$1" "$2"
	sleep 0.5
	check "5: its context menu has no transfer items (reference/nautilus-lone-menu.png)" \
		matches nautilus-lone-menu $(($1 - 10)) $(($2 - 10)) $MENU_W $MENU_H
	ctl input key Escape >/dev/null
else
	not_ok "5: notes.txt is selected in cage lone"
fi
check "5: the extension says why (no transfer service in this cage)" \
	logged lone "no transfer service in this cage"
check "5: ... and offered no menu" sh -c '! grep -q "menu for" "$1"' _ "$T/nautilus-lone.log"
check "5: a forged origin xattr is shown cleaned (no escape, no bidi override, invalid UTF-8 replaced)" \
	logged lone "origin of forged.txt: high (top secret)[2J�"
sleep 0.5
check "5: Nautilus keeps running in cage lone (its window is still mapped)" lone_alive
# (Nautilus 43 itself logs a critical about its scripts directory.)
check "no warning from the extension and no crash in the Nautilus logs" \
	sh -c '! grep -E "cloison-nautilus-(WARNING|CRITICAL)|Segmentation fault|Aborted|dumped core" "$@"' \
	_ "$T"/nautilus-*.log

# --- 6. a broker that never answers: no menu, no freeze -----------------------------------------

lone_gone() {
	windows && ! q nautilus lone >/dev/null
}
"$CAGE_BIN" --config "$CONF" exec lone -- nautilus -q </dev/null >>"$T/nautilus-lone.log" 2>&1
check "6: nautilus -q ends the Nautilus of cage lone" wait_for 100 lone_gone
# In the cage: a socket that accepts connections and never answers.
"$CAGE_BIN" --config "$CONF" exec lone -- python3 -c '
import socket, time
s = socket.socket(socket.AF_UNIX)
s.bind("/tmp/hung-broker")
s.listen(8)
print("listening", flush=True)
held = []
while True:
    held.append(s.accept()[0])
' </dev/null >"$T/hung.log" 2>&1 &
EXEC_PIDS="$EXEC_PIDS $!"
wait_for 100 grep -q listening "$T/hung.log"
: >"$T/nautilus-lone.log"
NAUTILUS_ENV=CLOISON_TRANSFER_SOCKET=/tmp/hung-broker nautilus lone --select /home/user/notes.txt
if wait_for 300 nautilus_window lone >/dev/null; then
	set -- $(nautilus_window lone)
	ctl focus "$1" >/dev/null 2>&1
	if P=$(wait_for 100 select_point lone); then
		set -- $P
		t0=$(date +%s%N)
		right_click_at "$1" "$2"
		if matches nautilus-lone-menu $(($1 - 10)) $(($2 - 10)) $MENU_W $MENU_H; then
			ok "6: with a broker that never answers, the context menu opens at once, without transfer items ($((($(date +%s%N) - t0) / 1000000)) ms)"
		else
			not_ok "6: with a broker that never answers, the context menu opens at once, without transfer items"
		fi
		ctl input key Escape >/dev/null
	else
		not_ok "6: notes.txt is selected in cage lone"
	fi
else
	not_ok "6: Nautilus maps again in cage lone"
	diag "$(tail -n 20 "$T/nautilus-lone.log")"
fi
check "6: the extension gives up connecting after 5 s and says so" \
	wait_for 100 logged lone "the transfer broker did not answer within 5 s"
check "6: ... and offered no menu" sh -c '! grep -q "menu for" "$1"' _ "$T/nautilus-lone.log"
check "6: Nautilus keeps running in cage lone" lone_alive

# --- the end -------------------------------------------------------------------------------------

kill -TERM "$SPID"
wait_gone "$SPID" 300
wait "$SPID"
rc=$?
SPID=
check "SIGTERM: the session exits 0 (got $rc)" test $rc -eq 0
check "the runtime directory $RUN/cloison is removed" test ! -e "$RUN/cloison"
exited() { # exited PID: gone or a zombie
	[ ! -r "/proc/$1/stat" ] || grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null
}
left=
for p in $EXEC_PIDS; do
	wait_for 50 exited "$p" || left="$left $p"
done
check "the cloison-cage exec clients ended with their cages (left:$left)" test -z "$left"
stop_pids $MON_PID
MON_PID=

echo "1..$n"
[ $failed -eq 0 ]
