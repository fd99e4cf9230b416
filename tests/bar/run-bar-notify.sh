#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: cloison-bar's notification popups, history and unread count,
# under the headless compositor, fed by cl-test-notifyd (a scripted
# stand-in for cloison-notifyd's org.cloison.NotifyDisplay1).
#
#   run-bar-notify.sh COMPOSITOR CTL BAR TOPLEVEL PNG_PIXEL TEST_NOTIFYD
#
# A private dbus-daemon is the core bus; cl-test-notifyd owns
# org.cloison.Notify1 there and takes notifications (GVariant text) on a
# FIFO; it records the bar's calls (List, History, InvokeAction, Dismiss,
# MarkSeen) in notifyd.out.  Checks: the bar lists the open notifications
# at start; the popups' toplevel in the work area's top-right corner (the
# compositor's set_notification), never focused on map; reference
# screenshots (tests/bar/reference, tolerance REF_TOLERANCE) of a Low cage
# popup, a security popup with the unread counter, the counter alone, the
# history dialog and the French bar; a cage notification whose summary
# mimics a security event drawn in its level's colour, not the core style;
# at most three popups shown; Closed removes a popup; a Shown signal from a
# connection that does not own the name is ignored; an action click is one
# InvokeAction and gives the focus back; the close button is one Dismiss;
# a fullscreen cage window stays below the popups; kill -9 of the bar:
# the restarted bar lists the popups again; the counter opens the history
# (a trusted dialog) and calls MarkSeen; the secure-attention menu reaches
# the counter with the keyboard; notifyd stopped: its popups go; restarted:
# the bar lists what it still holds.  Missing programs or fonts skip, or fail
# under CLOISON_TESTS_MUST_RUN=1.  Everything started is stopped by pid.
set -u

COMP=${1:-}
CTL=${2:-}
BAR=${3:-}
TOPLEVEL=${4:-}
PNGPIX=${5:-}
NOTIFYD=${6:-}
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
TEST_NAME="bar notification"
PYTHON=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
HERE=$(cd "$(dirname "$0")" && pwd)
REFDIR=${CLOISON_REFERENCE_DIR:-$HERE/reference}
UPDATE_REFS=${CLOISON_UPDATE_REFERENCES:-0}
BUILD_ROOT=${CLOISON_BUILD_ROOT:-${TMPDIR:-/tmp}}
SHOTS=$BUILD_ROOT/test-shots
WIDTH=1280
HEIGHT=720
STRIP=28
CORE_BORDER=8
CORE_TITLE=28
MARGIN=8
LOW=00aa00
HIGH=cc0000
SECURITY_BG=303030
UNREAD=ffcc00
BUTTON=f2f2f2
REF_TOLERANCE=24

n=0
failed=0
T=
COMP_PID=
DBUS_PID=
NOTIFYD_PID=
CLIENT_PIDS=

# shellcheck source=tests/compositor/lib.sh
. "$(dirname "$0")/../compositor/lib.sh"

# shellcheck source=tests/bar/lib.sh
. "$HERE/lib.sh"

# check DESCRIPTION COMMAND...: MSG (set by COMMAND) is shown on a failure.
check() {
	desc=$1
	shift
	MSG=
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		[ -n "$MSG" ] && diag "$MSG"
	fi
}

cleanup() {
	# shellcheck disable=SC2086
	stop_pids $CLIENT_PIDS
	stop_pids $COMP_PID $NOTIFYD_PID $DBUS_PID
	remove_tmp
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- prerequisites -------------------------------------------------------------------

for f in "$COMP" "$CTL" "$BAR" "$TOPLEVEL" "$PNGPIX" "$NOTIFYD"; do
	[ -n "$f" ] && [ -x "$f" ] || skip_with "a required program is missing or not built: '$f'"
done
command -v dbus-daemon >/dev/null 2>&1 || skip_with "dbus-daemon is not installed (tools/install-deps)"
command -v "$PYTHON" >/dev/null 2>&1 || skip_with "python3 is not installed"
command -v mkfifo >/dev/null 2>&1 || skip_with "mkfifo is not installed"
have_font || skip_all
LOCALEDIR=$BUILD_ROOT/po
[ -f "$LOCALEDIR/fr/LC_MESSAGES/cloison.mo" ] ||
	skip_with "the French catalogue is not built ($LOCALEDIR/fr/LC_MESSAGES/cloison.mo)"

# --- set-up ----------------------------------------------------------------------------

# Stable pixels (private_dirs: the cairo renderer, no accessibility bus), a
# fixed clock, times shown in UTC.
private_dirs cloison-bar-notify run-fr
export CLOISON_BAR_CLOCK=12:34 TZ=UTC
export CLOISON_LOCALEDIR="$LOCALEDIR"

CONF=$T/cloison.conf
cat >"$CONF" <<EOF
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
applications=

[cage beta]
level=high
applications=
EOF

cat >"$T/q.py" <<'EOF'
import json, sys
ws = json.load(open(sys.argv[1]))["windows"]
cmd, args = sys.argv[2], sys.argv[3:]
def find(sel):
    key, _, val = sel.partition("=")
    for w in ws:
        if str(w.get(key)) == val and w.get("mapped", True):
            return w
    sys.exit(1)
if cmd == "geometry":
    w = find(args[0])
    print(w["x"], w["y"], w["width"], w["height"])
elif cmd == "get":
    print(find(args[0])[args[1]])
elif cmd == "has":
    find(args[0])
elif cmd == "focused":
    print(" ".join(str(w["title"]) for w in ws if w["focused"]) or "-")
EOF

start_bus "$T/bus" "$T/dbus.log"
DBUS_PID=$BUS_PID
export DBUS_SESSION_BUS_ADDRESS="$BUS"
[ -S "$T/bus" ] || {
	echo "1..1"
	echo "not ok 1 - dbus-daemon starts"
	diag "$(cat "$T/dbus.log")"
	exit 1
}

mkfifo -m 0600 "$T/notifyd.cmd" || exit 1
"$NOTIFYD" --out "$T/notifyd.out" --commands "$T/notifyd.cmd" 2>"$T/notifyd.err" &
NOTIFYD_PID=$!
wait_for 100 grep -q '^ready$' "$T/notifyd.out" || {
	echo "1..1"
	echo "not ok 1 - cl-test-notifyd owns org.cloison.Notify1"
	diag "$(cat "$T/notifyd.out" "$T/notifyd.err" 2>/dev/null)"
	exit 1
}

if ! start_compositor "$RUN" "$T/compositor.log"; then
	echo "1..1"
	echo "not ok 1 - the compositor starts"
	diag "$(tail -n 30 "$T/compositor.log")"
	exit 1
fi
CTLSOCK=$RUN/cloison/core/ctl

# --- helpers --------------------------------------------------------------------------

# notifyd COMMAND: a line for cl-test-notifyd.
notifyd() {
	echo "$1" >"$T/notifyd.cmd"
}

# recorded PATTERN [COUNT]: notifyd.out has COUNT (default 1) or more lines matching.
recorded() {
	[ "$(grep -Ec "$1" "$T/notifyd.out" 2>/dev/null)" -ge "${2:-1}" ]
}

# A notification dictionary: note ID STYLE TIME_S REST (REST: more "'key': <value>").
note() {
	echo "{'id': <uint32 $1>, 'style': <'$2'>, 'time': <int64 ${3}000000>, $4}"
}

cage_low() {
	echo "'cage': <'alpha'>, 'level': <'low'>, 'label': <'Low'>, 'colour': <'#$LOW'>"
}

cage_high() {
	echo "'cage': <'beta'>, 'level': <'high'>, 'label': <'High'>, 'colour': <'#$HIGH'>"
}

# count_same SHOT RRGGBB X0 Y0 X1 Y1
count_same() {
	"$PNGPIX" "$1" --count-same "$2" --tolerance 8 "$3" "$4" "$5" "$6" 2>/dev/null
}

# run_middle SHOT X Y0 Y1 RRGGBB: the middle of the first run of RRGGBB
# pixels down the column X from Y0 to Y1 (a button's face), or nothing.
run_middle() {
	pts=
	y=$3
	while [ "$y" -lt "$4" ]; do
		pts="$pts $2 $y"
		y=$((y + 1))
	done
	# shellcheck disable=SC2086 # a list of points
	"$PNGPIX" "$1" $pts 2>/dev/null | awk -v y0="$3" -v want="$5" '
		{ c = $NF; y = y0 + NR - 1 }
		c == want && start == "" { start = y }
		c != want && start != "" { print int((start + y - 1) / 2); found = 1; exit }
		END { if (!found && start != "") print start }'
}

# The frames settle (GTK redraws after a configure) before a shot; the
# pointer is parked where no tooltip shows.
settle() {
	ctl input move 20 700 >/dev/null
	sleep "${1:-0.8}"
}

popups() { # popups: the popups' toplevel geometry into PX PY PW PH
	windows && g=$(q geometry role=notification) || return 1
	# shellcheck disable=SC2086 # four numbers
	set -- $g
	PX=$1
	PY=$2
	PW=$3
	PH=$4
}

dump() {
	diag "windows: $(tr -d '\n' <"$T/w.json" 2>/dev/null | head -c 1500)" \
		"bar log: $(grep cloison-bar "$T/compositor.log" | tail -n 10)" \
		"notifyd: $(tail -n 10 "$T/notifyd.out" | tr '\n' '|')"
}

# --- start ------------------------------------------------------------------------------

if wait_for 100 has_window role=bar && wait_for 100 recorded '^call List$' &&
	wait_for 50 recorded '^call UnreadSecurity$'; then
	ok "the bar starts and asks notifyd for the open popups (List) and the unread count"
else
	not_ok "the bar starts and asks notifyd for the open popups (List) and the unread count"
	dump
fi
check "no popup toplevel while nothing is open" no_window role=notification
toplevel alpha "Alpha notes" 3060a0
ALPHA=$(windows && q get "title=Alpha notes" id)
ctl focus "$ALPHA" >/dev/null
wait_for 30 focused_is "Alpha notes"

# --- a cage popup -----------------------------------------------------------------------

notifyd "show $(note 1 cage 1700000000 "$(cage_low), 'app-name': <'Mail'>, 'summary': <'Lunch with Bob'>, 'body': <'Noon at the <b>usual</b> place & bring the report.'>, 'actions': <['reply', 'Reply', 'later', 'Later']>")"
if wait_for 100 has_window role=notification && popups; then
	want_x=$((WIDTH - MARGIN - CORE_BORDER - PW))
	want_y=$((STRIP + MARGIN + CORE_TITLE))
	if [ "$PX" = "$want_x" ] && [ "$PY" = "$want_y" ]; then
		ok "a Shown notification appears in the popups' toplevel, top-right of the work area"
	else
		not_ok "a Shown notification appears in the popups' toplevel, top-right of the work area"
		diag "at $PX,$PY, expected $want_x,$want_y"
	fi
else
	not_ok "a Shown notification appears in the popups' toplevel, top-right of the work area"
	dump
fi
check "the popup did not take the keyboard focus" focused_is "Alpha notes"
settle
check "reference: a Low cage popup (level colour, dots, [Low] app name, plain text)" \
	reference notify-cage

# --- a security event --------------------------------------------------------------------

notifyd "show $(note 2 security 1700000060 "'cage': <'beta'>, 'severity': <'critical'>, 'category': <'transfer.denied'>, 'app-name': <'cloison-transferd'>, 'summary': <'Transfer denied'>, 'body': <'report.txt from beta to alpha was denied.'>")"
settle
check "reference: a security popup (core hatch, Security header) above it; the counter at 1" \
	reference notify-security
shot unread
counter=$(count_same "$T/unread.png" "$UNREAD" 900 0 1200 "$STRIP")
check "the notification area is coloured while a security event is unread" \
	test "${counter:-0}" -gt 200

# --- a cage forging a security event -----------------------------------------------------

notifyd "show $(note 3 cage 1700000120 "$(cage_high), 'app-name': <'Security'>, 'summary': <'Security: transfer approved'>, 'body': <'Security · critical · transfer approved'>")"
sleep 0.5
settle
popups
shot mimic
# The newest popup is on top: its first 30 rows are the High one's.
red=$(count_same "$T/mimic.png" "$HIGH" $((PX + 20)) $((PY + 8)) $((PX + PW - 40)) $((PY + 30)))
grey=$(count_same "$T/mimic.png" "$SECURITY_BG" $((PX + 20)) $((PY + 8)) $((PX + PW - 40)) $((PY + 30)))
if [ "${red:-0}" -gt 2000 ] && [ "${grey:-1}" = 0 ]; then
	ok "a cage notification mimicking a security event is drawn in its level's style (High red)"
else
	not_ok "a cage notification mimicking a security event is drawn in its level's style (High red)"
	diag "top popup: $red High pixels, $grey security-grey pixels"
fi
G3="$PX $PY $PW $PH"

# --- at most three shown; Closed; a forged signal ------------------------------------------

# Two more of the shapes of 2 and 1: the three shown are as high as before,
# plus one line of text (a fourth popup would add 40 px or more).
notifyd "show $(note 4 security 1700000180 "'cage': <'beta'>, 'severity': <'critical'>, 'category': <'transfer.denied'>, 'summary': <'Transfer denied'>, 'body': <'minutes.txt from beta to alpha was denied.'>")"
notifyd "show $(note 5 cage 1700000240 "$(cage_low), 'app-name': <'Mail'>, 'summary': <'Lunch with Ann'>, 'body': <'Noon at the <b>usual</b> place & bring the report.'>, 'actions': <['reply', 'Reply', 'later', 'Later']>")"
sleep 1
popups
set -- $G3
grown=$((PH - $4))
if [ "$grown" -ge 10 ] && [ "$grown" -lt 40 ]; then
	ok "five open notifications: three popups shown and a '+2 more' line (height +$grown px)"
else
	not_ok "five open notifications: three popups shown and a '+2 more' line (height +$grown px)"
fi
notifyd "close 4 3"
notifyd "close 5 1"
sleep 1
popups
check "Closed removes the popups (back to the three of before)" test "$PX $PY $PW $PH" = "$G3"
notifyd "forge $(note 9 security 1700000300 "'severity': <'critical'>, 'category': <'transfer.approved'>, 'summary': <'Forged approval'>")"
sleep 1
popups
check "a Shown signal from a connection that does not own org.cloison.Notify1 is ignored" \
	test "$PX $PY $PW $PH" = "$G3"

# --- actions and the close button ---------------------------------------------------------

notifyd "close 3 3"
notifyd "close 2 3"
sleep 1
settle 0.5
popups
shot actions
# The action buttons: down the column 20 px into the popup's text, the first
# run of button face below the summary.
ry=$(run_middle "$T/actions.png" $((PX + 40)) $((PY + 40)) $((PY + PH)) "$BUTTON")
if [ -n "$ry" ]; then
	click_at $((PX + 40)) "$ry"
	if wait_for 50 recorded '^invoke 1 reply$'; then
		ok "clicking an action button calls InvokeAction(id, key)"
	else
		not_ok "clicking an action button calls InvokeAction(id, key)"
		dump
	fi
	check "the focus goes back to the cage window after the action" wait_for 30 focused_is "Alpha notes"
else
	not_ok "clicking an action button calls InvokeAction(id, key)"
	diag "no button found in column $((PX + 40)) of $T/actions.png"
	not_ok "the focus goes back to the cage window after the action"
fi
cy=$(run_middle "$T/actions.png" $((PX + PW - 25)) $((PY + 4)) $((PY + 40)) "$BUTTON")
if [ -n "$cy" ]; then
	click_at $((PX + PW - 25)) "$cy"
	if wait_for 50 recorded '^dismiss 1$' && wait_for 50 no_window role=notification; then
		ok "the close button calls Dismiss(id); notifyd's Closed removes the popup"
	else
		not_ok "the close button calls Dismiss(id); notifyd's Closed removes the popup"
		dump
	fi
else
	not_ok "the close button calls Dismiss(id); notifyd's Closed removes the popup"
	diag "no close button found in column $((PX + PW - 25))"
fi
wait_for 30 focused_is "Alpha notes"
settle
check "reference: the notification area alone, 2 security alerts unread" reference notify-unread

# --- covering, restart ------------------------------------------------------------------------

notifyd "show $(note 6 cage 1700000360 "$(cage_low), 'app-name': <'Editor'>, 'summary': <'Document saved'>")"
wait_for 100 has_window role=notification
toplevel beta "Cover" ff00ff --fullscreen
COVER=$(windows && q get "title=Cover" id)
ctl focus "$COVER" >/dev/null
settle
popups
shot cover
check "a focused fullscreen cage window stays below the popups" \
	test "$(count_same "$T/cover.png" ff00ff "$PX" "$PY" $((PX + PW)) $((PY + PH)))" = 0
old=$(bar_pid)
lists=$(grep -c '^call List$' "$T/notifyd.out")
kill -9 "$old" 2>/dev/null
if wait_for 30 no_window role=notification && wait_for 150 has_window role=bar &&
	[ "$(bar_pid)" != "$old" ] && wait_for 100 recorded '^call List$' $((lists + 1)) &&
	wait_for 100 has_window role=notification; then
	ok "kill -9 of the bar: the restarted bar calls List() and shows the open popup again"
else
	not_ok "kill -9 of the bar: the restarted bar calls List() and shows the open popup again"
	dump
fi

# --- history ------------------------------------------------------------------------------------

ctl focus "$ALPHA" >/dev/null
notifyd "history $(note 7 security 1699990000 "'severity': <'info'>, 'category': <'cage.started'>, 'cage': <'alpha'>, 'summary': <'Cage alpha started'>")"
notifyd "history $(note 12 core 1699995000 "'app-name': <'cloison-session'>, 'summary': <'Session started'>, 'body': <'Two cages configured.'>")"
shot before-history
# The notification area: its amber face, right of the middle of the bar.
# shellcheck disable=SC2046 # a list of points
hx=$("$PNGPIX" "$T/before-history.png" $(seq 700 4 1200 | sed "s/\$/ 14/") 2>/dev/null |
	awk -v want="$UNREAD" '$NF == want { print 700 + (NR - 1) * 4; exit }')
if [ -n "$hx" ]; then
	click_at $((hx + 10)) 14
	if wait_for 100 has_window "title=Cloison — notification history" &&
		wait_for 50 recorded '^call History$' && wait_for 50 recorded '^markseen$'; then
		ok "clicking the notification area opens the history dialog (History, MarkSeen)"
	else
		not_ok "clicking the notification area opens the history dialog (History, MarkSeen)"
		dump
	fi
else
	not_ok "clicking the notification area opens the history dialog (History, MarkSeen)"
	diag "no amber notification area in the bar"
fi
check "the history is a trusted dialog with the keyboard focus" \
	test "$(windows && q get "title=Cloison — notification history" role)" = dialog
settle
check "reference: the history dialog (every style, newest first, times)" reference notify-history
shot seen
counter=$(count_same "$T/seen.png" "$UNREAD" 900 0 1200 "$STRIP")
check "MarkSeen: the notification area is no longer coloured" test "${counter:-1}" = 0
ctl input key Escape >/dev/null
check "Esc closes the history" wait_for 50 no_window "title=Cloison — notification history"

# The keyboard: secure attention, then Tab to the notification area, Enter.
wait_for 30 focused_is "Alpha notes"
histories=$(grep -c '^call History$' "$T/notifyd.out")
ctl input key super+Escape >/dev/null
wait_for 30 focused_is "Cloison bar"
ctl input key Tab >/dev/null
ctl input key Tab >/dev/null
ctl input key Return >/dev/null
if wait_for 50 has_window "title=Cloison — notification history" &&
	wait_for 50 recorded '^call History$' $((histories + 1)); then
	ok "the secure-attention menu reaches the notification area (Tab, Enter)"
else
	not_ok "the secure-attention menu reaches the notification area (Tab, Enter)"
	dump
fi
ctl input key Escape >/dev/null
wait_for 50 no_window "title=Cloison — notification history"

# --- notifyd restarts ---------------------------------------------------------------------------

amber() { # amber NAME: the notification area shows an unread count
	shot "$1" && [ "$(count_same "$T/$1.png" "$UNREAD" 900 0 1200 "$STRIP")" -gt 200 ]
}

notifyd "show $(note 10 security 1700000400 "'severity': <'info'>, 'category': <'cage.stopped'>, 'cage': <'alpha'>, 'summary': <'Cage alpha stopped'>")"
was_amber=no
wait_for 50 amber unread-again && was_amber=yes
stop_pids $NOTIFYD_PID
NOTIFYD_PID=
if wait_for 50 no_window role=notification; then
	ok "notifyd gone: its popups go"
else
	not_ok "notifyd gone: its popups go"
	dump
fi
if [ $was_amber = yes ] && shot gone &&
	[ "$(count_same "$T/gone.png" "$UNREAD" 900 0 1200 "$STRIP")" = 0 ]; then
	ok "notifyd gone: the notification area drops its count (was amber, now grey)"
else
	not_ok "notifyd gone: the notification area drops its count (was amber, now grey)"
fi
lists=$(grep -c '^call List$' "$T/notifyd.out")
"$NOTIFYD" --out "$T/notifyd.out" --commands "$T/notifyd.cmd" \
	--preload "$(note 6 cage 1700000360 "$(cage_low), 'app-name': <'Editor'>, 'summary': <'Document saved'>")" \
	2>>"$T/notifyd.err" &
NOTIFYD_PID=$!
if wait_for 100 recorded '^ready$' 2 && wait_for 100 recorded '^call List$' $((lists + 1)) &&
	wait_for 100 has_window role=notification; then
	ok "notifyd restarted: the bar calls List() and shows what it still holds"
else
	not_ok "notifyd restarted: the bar calls List() and shows what it still holds"
	dump
fi

# --- French -----------------------------------------------------------------------------------

# stop_pids reaps what this shell started: the fullscreen client first.
# shellcheck disable=SC2086
stop_pids $CLIENT_PIDS
CLIENT_PIDS=
stop_pids $COMP_PID
COMP_PID=
notifyd "show $(note 8 security 1700000420 "'severity': <'warning'>, 'category': <'cage.crashed'>, 'cage': <'beta'>, 'summary': <'Cage beta crashed'>")"
export LANGUAGE=fr
if start_compositor "$T/run-fr" "$T/compositor-fr.log"; then
	CTLSOCK=$T/run-fr/cloison/core/ctl
	wait_for 100 has_window role=bar && wait_for 100 has_window role=notification
	settle 1.2
	check "reference: the bar and the popups in French (LANGUAGE=fr)" reference notify-fr
else
	not_ok "reference: the bar and the popups in French (LANGUAGE=fr)"
	diag "$(tail -n 20 "$T/compositor-fr.log")"
fi
stop_pids $COMP_PID
COMP_PID=

# Under -Db_sanitize the bar reports memory errors in the compositor's log.
if grep -q -e "runtime error:" -e "ERROR: AddressSanitizer" \
	"$T/compositor.log" "$T/compositor-fr.log" "$T/notifyd.err" 2>/dev/null; then
	not_ok "no sanitizer report from the bar, the compositor or the test service"
	diag "$(grep -h -A5 -e "runtime error:" -e "ERROR: AddressSanitizer" \
		"$T/compositor.log" "$T/compositor-fr.log" "$T/notifyd.err" | head -n 30)"
else
	ok "no sanitizer report from the bar, the compositor or the test service"
fi
if grep -q '^error' "$T/notifyd.out"; then
	not_ok "cl-test-notifyd ran every command"
	diag "$(grep '^error' "$T/notifyd.out")"
else
	ok "cl-test-notifyd ran every command"
fi

echo "1..$n"
[ $failed -eq 0 ] || diag "logs kept with CLOISON_TEST_KEEP=1 in $T"
exit $((failed > 0))
