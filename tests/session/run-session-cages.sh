#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: cages started from the bar's Cages dialog, or with
# org.cloison.Session1 on the core bus, are the session's to supervise.
#
#   run-session-cages.sh SESSION COMPOSITOR CTL BAR TRANSFERD NOTIFYD CAGE CAGE_INIT PNG_PIXEL
#
# A real headless session (--test-input) with the real bar and notifyd and
# three cages running `sleep`: alpha (autostart), beta (autostart=false,
# restart=true), gamma (autostart=false, restart=false).
#  - the bar side: Super+Escape, Enter opens the Cages dialog, Enter on the
#    first usable Start (beta's): beta's launcher is a child of the session
#    (not of the bar), the session logged StartCage(beta); Stop on a cage
#    started by hand: the session's error is shown in the dialog (its warning
#    box, amber) and logged;
#  - the session side (gdbus on the core bus): ListCages; StartCage of a
#    running cage, of an unknown cage, of something that is not a cage id, of
#    a cage started by hand outside the session: each a clear error naming it;
#    SIGKILL of beta's launcher: cage.crashed posted (History), restarted;
#    gamma started, SIGKILLed: posted, not restarted; started again and
#    stopped with StopCage: not restarted; StopCage of a stopped cage: NotRunning;
#  - SIGTERM to the session: the cages started on request are stopped before
#    notifyd, the broker, the compositor and the bus; nothing of the
#    session's tree is left; exit 0, the runtime directory removed; no
#    sanitizer report in the logs (ASan builds).
#
# Missing programs or cage support skip everything, or fail under
# CLOISON_TESTS_MUST_RUN=1.  Everything started is stopped by pid.
# shellcheck disable=SC2086,SC1111
# shellcheck source=tests/cage/lib.sh
. "$(dirname "$0")/../cage/lib.sh"
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

set -u

SESSION=$(abs "${1:-}") COMP=$(abs "${2:-}") CTL=$(abs "${3:-}") BAR=$(abs "${4:-}")
TRANSFERD=$(abs "${5:-}") NOTIFYD=$(abs "${6:-}") CAGE_BIN=$(abs "${7:-}")
CAGE_INIT=$(abs "${8:-}") PNGPIX=$(abs "${9:-}")
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
PYTHON=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
WARNING=ffe08a # the dialog's warning box (confidentiality-bar/bar.c, .cl-warning)
TEST_NAME="session cages"

n=0
failed=0
skip_reason=
T=
SPID=
HAND=

cleanup() {
	[ -n "$HAND" ] && stop_pids $HAND
	stop_session
	remove_tmp
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

cage_prereqs "$SESSION" "$COMP" "$CTL" "$BAR" "$TRANSFERD" "$NOTIFYD" "$CAGE_BIN" "$CAGE_INIT" \
	"$PNGPIX" || skip_all
for p in dbus-daemon dbus-send gdbus; do
	command -v $p >/dev/null 2>&1 || {
		skip_reason="$p is not installed (tools/install-deps)"
		skip_all
	}
done

# --- set-up ------------------------------------------------------------------------------

private_dirs cloison-session-cages
session_env

CONF=$T/cloison.conf
cat >"$CONF" <<'EOF2'
[level low]
label=Low
colour=#00aa00
rank=0

[level high]
label=High
colour=#cc0000
rank=10

[cage alpha]
level=low
applications=sleep 100000

[cage beta]
level=high
autostart=false
restart=true
applications=sleep 100000

[cage gamma]
level=low
autostart=false
restart=false
applications=sleep 100000
EOF2
LOG=$T/session.log
CORE_ADDR=unix:path=$RUN/cloison/core/bus
CTLSOCK=$RUN/cloison/core/ctl

ctl() {
	"$CTL" --timeout 20 --socket "$CTLSOCK" "$@"
}
# The pid of the session's own child `cloison-cage … run CAGE`.
launcher_of() {
	"$PYTHON" - "$SPID" "$CAGE_BIN" "$1" <<'EOF2'
import os, sys
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        s = open("/proc/%s/stat" % p).read()
        argv = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")[:-1]
    except OSError:
        continue
    argv = [a.decode() for a in argv]
    if (int(s[s.rindex(")") + 2:].split()[1]) == int(sys.argv[1]) and argv and
            argv[0] == sys.argv[2] and argv[-2:] == ["run", sys.argv[3]]):
        print(p)
        sys.exit(0)
sys.exit(1)
EOF2
}
session_call() { # session_call METHOD [ARGS]: org.cloison.Session1.METHOD into $T/call.out
	m=$1
	shift
	gdbus call --address "$CORE_ADDR" --dest org.cloison.Session1 --object-path \
		/org/cloison/Session1 --method "org.cloison.Session1.$m" "$@" >"$T/call.out" 2>&1
}
# call_fails ERROR TEXT METHOD ARG: the call fails with that D-Bus error and text.
call_fails() {
	! session_call "$3" "$4" && grep -q "org.cloison.Session1.Error.$1" "$T/call.out" &&
		grep -qF -- "$2" "$T/call.out"
}
listed() { # listed CAGE LEVEL true|false: as ListCages says
	session_call ListCages && grep -qF "('$1', '$2', $3)" "$T/call.out"
}
history_has() { # history_has TEXT: in a NotifyDisplay1.History() entry
	gdbus call --address "$CORE_ADDR" --dest org.cloison.Notify1 --object-path \
		/org/cloison/Notify1 --method org.cloison.NotifyDisplay1.History >"$T/history.txt" 2>&1 &&
		grep -qF -- "$1" "$T/history.txt"
}
windows() {
	ctl windows >"$T/w.json" 2>"$T/ctl.err"
}
dialog_rect() { # the Cages dialog: X Y W H
	windows && "$PYTHON" -c '
import json, sys
for w in json.load(open(sys.argv[1]))["windows"]:
    if w.get("title") == "Cloison — cages" and w.get("mapped"):
        print(w["x"], w["y"], w["width"], w["height"])
        sys.exit(0)
sys.exit(1)' "$T/w.json"
}
has_dialog() {
	dialog_rect >/dev/null
}
no_dialog() {
	! dialog_rect >/dev/null
}
focused_is() {
	windows && "$PYTHON" -c '
import json, sys
ws = json.load(open(sys.argv[1]))["windows"]
sys.exit(0 if any(w["focused"] and w["title"] == sys.argv[2] for w in ws) else 1)' "$T/w.json" "$1"
}
# warning_shown: the dialog shows its amber warning box (an error).
warning_shown() {
	rect=$(dialog_rect) || return 1
	set -- $rect
	ctl screenshot "$T/dialog.png" >/dev/null 2>&1 || return 1
	px=$("$PNGPIX" "$T/dialog.png" --count-same $WARNING --tolerance 8 "$1" "$2" \
		$(($1 + $3)) $(($2 + $4)) 2>/dev/null)
	[ "${px:-0}" -gt 500 ]
}
running_by_hand() {
	"$CAGE_BIN" --config "$CONF" list 2>/dev/null | grep -q '^gamma.*running'
}

# --- a session with alpha running --------------------------------------------------------------

"$SESSION" --config "$CONF" --headless --test-input --verbose >"$LOG" 2>&1 &
SPID=$!
if wait_for 600 grep -q "the session is running" "$LOG" && wait_for 300 launcher_of alpha >/dev/null &&
	wait_for 100 listed alpha low true; then
	ok "the session runs alpha and serves org.cloison.Session1: ListCages says alpha runs"
else
	not_ok "the session runs alpha and serves org.cloison.Session1: ListCages says alpha runs"
	diag "$(cat "$T/call.out" 2>/dev/null)" "$(tail -n 30 "$LOG")"
	echo "1..$n"
	exit 1
fi
check "... and that beta and gamma do not" sh -c "grep -qF \"('beta', 'high', false)\" '$T/call.out' &&
	grep -qF \"('gamma', 'low', false)\" '$T/call.out'"

# --- the bar's Cages dialog starts beta through the session ------------------------------------

bar_mapped() {
	windows && "$PYTHON" -c '
import json, sys
sys.exit(0 if any(w.get("role") == "bar" and w.get("mapped")
                  for w in json.load(open(sys.argv[1]))["windows"]) else 1)' "$T/w.json"
}
# open_dialog: Super+Escape (the bar's menu starts on Cages: no window),
# Enter.  Once the bar is mapped; a key that reached a bar still starting
# (a loaded sanitizer run) is tried again, at most three times, after
# Escape closed whatever half-opened.
open_dialog() {
	wait_for 300 bar_mapped || return 1
	for _try in 1 2 3; do
		if ctl input key super+Escape >/dev/null && wait_for 50 focused_is "Cloison bar" &&
			ctl input key Return >/dev/null && wait_for 50 has_dialog; then
			wait_for 30 focused_is "Cloison — cages"
			return
		fi
		has_dialog && return 1
		ctl input key Escape >/dev/null
		sleep 0.5
	done
	return 1
}
if open_dialog; then
	ok "the bar's Cages dialog opens (Super+Escape, Enter)"
else
	not_ok "the bar's Cages dialog opens (Super+Escape, Enter)"
	diag "$(cat "$T/w.json")"
fi
# Alpha runs: the keyboard starts on beta's Start.
ctl input key Return >/dev/null
if wait_for 100 launcher_of beta >/dev/null; then
	BETA=$(launcher_of beta)
	ok "Start in the dialog: beta's launcher ($BETA) is a child of the session"
else
	not_ok "Start in the dialog: beta's launcher is a child of the session"
	diag "$(tail -n 20 "$LOG")"
	BETA=
fi
check "... asked for on the core bus by the bar (StartCage(beta) logged by the session)" \
	grep -q "cloison-session: .*StartCage(beta) from :" "$LOG"
check "... and not run by the bar itself (no \"starting the cage beta\" from the bar)" \
	sh -c "! grep -q 'starting the cage beta' '$LOG'"
check "ListCages: beta runs" wait_for 50 listed beta high true

# A cage started by hand, outside the session: the session cannot stop it and
# the dialog says why.
"$CAGE_BIN" --config "$CONF" run gamma >"$T/gamma-hand.log" 2>&1 &
HAND=$!
if wait_for 200 running_by_hand; then
	ok "gamma started by hand (cloison-cage run gamma) runs"
else
	not_ok "gamma started by hand (cloison-cage run gamma) runs"
	diag "$(cat "$T/gamma-hand.log")"
fi
# Opened again, the dialog has every Start disabled (all three run): the
# keyboard starts on Close and Shift+Tab reaches gamma's Stop.
ctl input key Escape >/dev/null
wait_for 50 no_dialog
open_dialog
ctl input key shift+Tab >/dev/null
ctl input key Return >/dev/null
if wait_for 100 grep -q "Cannot stop cage gamma: cage gamma was not started by the session" "$LOG"; then
	ok "Stop on gamma (started by hand): the session refuses, naming the cage, the bar logs it"
else
	not_ok "Stop on gamma (started by hand): the session refuses, naming the cage, the bar logs it"
	diag "$(tail -n 20 "$LOG")"
fi
check "... and shows it in the dialog (its amber warning box)" wait_for 50 warning_shown
check "... gamma still runs (the hand-started launcher $HAND)" running_by_hand

# --- the session's side: errors ----------------------------------------------------------------

check "StartCage(beta) while it runs: AlreadyRunning, naming beta" \
	call_fails AlreadyRunning "cage beta is already running" StartCage beta
check "StartCage(gamma) started by hand: AlreadyRunning, started outside the session" \
	call_fails AlreadyRunning "cage gamma is already running, started outside the session" StartCage gamma
check "StartCage(nosuch): UnknownCage, naming it and the file" \
	call_fails UnknownCage "there is no cage “nosuch” in the configuration ($CONF)" StartCage nosuch
check "StartCage(\"../Alpha\"): UnknownCage, not a cage id" \
	call_fails UnknownCage "“../Alpha” is not a cage id" StartCage ../Alpha
long=$(head -c 5000 /dev/zero | tr '\0' a)
check "StartCage of 5000 bytes: UnknownCage, not a cage id (the name cut)" \
	call_fails UnknownCage "is not a cage id" StartCage "$long"
# dbus-send does not check the signature itself: the session's GDBus does.
wrong_type() {
	! dbus-send --bus="$CORE_ADDR" --print-reply --dest=org.cloison.Session1 /org/cloison/Session1 \
		org.cloison.Session1.StartCage "$@" >"$T/call.out" 2>&1 &&
		grep -q "org.freedesktop.DBus.Error.InvalidArgs" "$T/call.out"
}
wrong_types() {
	wrong_type int32:5 && wrong_type && wrong_type string:beta string:gamma
}
check "StartCage(int32 5), StartCage(), StartCage(beta, gamma): InvalidArgs from the session" \
	wrong_types
check "StopCage(gamma) started by hand: NotRunning, not started by the session" \
	call_fails NotRunning "cage gamma was not started by the session" StopCage gamma
stop_pids $HAND
HAND=
check "StopCage(gamma) not running: NotRunning" call_fails NotRunning "cage gamma is not running" StopCage gamma

# --- supervision of cages started on request ----------------------------------------------------

if [ -n "$BETA" ]; then
	kill -KILL "$BETA"
	beta_back() {
		b=$(launcher_of beta) && [ "$b" != "$BETA" ]
	}
	check "SIGKILL of beta's launcher: the session restarts it (restart=true)" wait_for 150 beta_back
	check "... and posts cage.crashed for it (History)" \
		wait_for 100 history_has "The launcher of cage beta was killed (killed by signal 9 (SIGKILL))"
	check "... logged by the session" grep -q "cage beta killed by signal 9" "$LOG"
else
	not_ok "SIGKILL of beta's launcher: no launcher to kill"
fi

if session_call StartCage gamma && wait_for 100 launcher_of gamma >/dev/null; then
	GAMMA=$(launcher_of gamma)
	ok "StartCage(gamma): its launcher ($GAMMA) is a child of the session"
	kill -KILL "$GAMMA"
	check "SIGKILL of gamma's launcher: cage.crashed posted" \
		wait_for 100 history_has "The launcher of cage gamma was killed"
	check "... logged with restart=false" wait_for 50 grep -q "cage gamma killed by signal 9 .*(restart=false)" "$LOG"
	sleep 1.5 # longer than the first restart delay (0.5 s)
	if ! grep -q 'restarting cage gamma' "$LOG" && ! launcher_of gamma >/dev/null; then
		ok "... and not restarted"
	else
		not_ok "... and not restarted"
	fi
	check "... ListCages: gamma does not run" listed gamma low false
else
	not_ok "StartCage(gamma): its launcher is a child of the session"
	diag "$(cat "$T/call.out")" "$(tail -n 20 "$LOG")"
fi

if session_call StartCage gamma && wait_for 100 launcher_of gamma >/dev/null; then
	GAMMA=$(launcher_of gamma)
	ok "StartCage(gamma) again after its crash: started ($GAMMA)"
	# The launcher's cage must be up before it is stopped (its lock taken).
	wait_for 200 running_by_hand
	if session_call StopCage gamma && wait_for 150 sh -c "! kill -0 $GAMMA 2>/dev/null"; then
		ok "StopCage(gamma): its launcher ends"
	else
		not_ok "StopCage(gamma): its launcher ends"
		diag "$(cat "$T/call.out")"
	fi
	check "... the session logs it stopped (status 0)" wait_for 50 grep -q "cloison-session: info: cage gamma stopped$" "$LOG"
	sleep 1
	if ! launcher_of gamma >/dev/null; then
		ok "... and it is not restarted"
	else
		not_ok "... and it is not restarted"
	fi
	check "... ListCages: gamma does not run" listed gamma low false
else
	not_ok "StartCage(gamma) again after its crash: started"
	diag "$(cat "$T/call.out")" "$(tail -n 20 "$LOG")"
fi

# --- SIGTERM: the cages started on request are stopped first, nothing is left -----------------

BETA=$(launcher_of beta)
tree=$(descendants "$SPID")
count=$(echo "$tree" | wc -w)
kill -TERM "$SPID"
wait_gone "$SPID" 300
wait "$SPID"
rc=$?
SPID=
check "SIGTERM: the session exits 0 (got $rc)" test $rc -eq 0
left=$(alive_of $tree)
if [ -n "$BETA" ] && echo " $tree " | grep -q " $BETA " && [ -z "$left" ]; then
	ok "... none of the $count processes of its tree (beta's launcher $BETA among them) is left"
else
	not_ok "... none of the $count processes of its tree (beta's launcher ${BETA:-?} among them) is left"
	for p in $left; do diag "left: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"; done
fi
# Reverse order: beta's launcher ended before notifyd was asked to stop.
stopped_in_order() {
	awk '/stopping the session/ { on = 1 }
		on && /cloison-session: debug: cage beta / && !notifyd { beta = 1 }
		on && /cloison-session: debug: cloison-notifyd / { notifyd = 1 }
		END { exit !(on && beta && notifyd) }' "$LOG"
}
check "... beta (started on request) stopped before notifyd, in the cages' stage" stopped_in_order
check "... the runtime directory is removed" test ! -e "$RUN/cloison"
if cat "$LOG" "$T/gamma-hand.log" 2>/dev/null | grep -q "Sanitizer\|runtime error"; then
	not_ok "no sanitizer report in the session's log"
	diag "$(cat "$LOG" "$T/gamma-hand.log" 2>/dev/null | grep -A5 "Sanitizer\|runtime error" | head -n 30)"
else
	ok "no sanitizer report in the session's log"
fi

echo "1..$n"
[ $failed = 0 ]
