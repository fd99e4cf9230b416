#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: ClTransferClient, ClTransferWindow and cloison-transfer's
# graphical mode against a real broker.
#
#   run-transfer-gtk.sh COMPOSITOR CTL TRANSFERD CAGE CAGE_INIT AGENT CLI GTK CLIENT PNG_PIXEL
#
# Set-up in lib.sh: headless compositor, private core bus, cloison-transferd,
# cl-test-agent (deny*, slow*, ignore*, else approve), cages alpha and delta
# (low), beta and gamma (high).
#  - the broker answers a call written together with the authentication;
#  - the client (cl-test-transfer-client on alpha's socket, from the host:
#    the socket is the cage's identity): ListTargets async and sync; Send
#    delivered, denied (with the reason), failed (the target's Incoming is a
#    file); a refused Send's error text; a Finished for another client of the
#    same cage is not reported; the broker killed: every pending transfer
#    finished "failed", then "closed";
#  - the graphical mode in cage alpha (cloison-transfer --gui, which execs
#    cloison-transfer-gtk): the window maps, shows "delivered" (screen
#    compared with reference/transfer-delivered.png), exit 0 once closed;
#    denied shows the reason (reference/transfer-denied.png), exit 1; a
#    missing file: exit 2; hostile names (newline, markup, bidi override,
#    not UTF-8) shown escaped (reference/transfer-hostile-names.png); without --to and with three targets, the picker
#    (reference/transfer-picker.png), Enter picks the first one; the rule
#    that picks the mode: stdout to /dev/null (nobody reads) opens the
#    window, --no-gui does not, stdout to a file does not.
# CLOISON_UPDATE_REFERENCES=1 writes missing or different references.
# Missing programs or cage support skip everything, or fail under
# CLOISON_TESTS_MUST_RUN=1.  Everything started is stopped by pid.
# The sh -c scripts in single quotes expand their own arguments:
# shellcheck disable=SC2016
# shellcheck source=tests/file-managers/lib.sh
. "$(dirname "$0")/lib.sh"

set -u

COMP=${1:-}
CTL=${2:-}
TRANSFERD=${3:-}
CAGE_BIN=${4:-}
CAGE_INIT=${5:-}
AGENT=${6:-}
CLI=${7:-}
GTK=${8:-}
CLIENT=${9:-}
PNGPIX=${10:-}
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
TEST_NAME="the transfer window"
PYTHON=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
REFDIR=$(cd "$(dirname "$0")" && pwd)/reference
REF_TOLERANCE=${CLOISON_REF_TOLERANCE:-2}
UPDATE_REFS=${CLOISON_UPDATE_REFERENCES:-0}
SHOTS=${CLOISON_BUILD_ROOT:-.}/screenshots
TIMEOUT="timeout -k 5"
WIDTH=800
HEIGHT=600

n=0
failed=0
skip_reason=
T=
GUI_PID=

cleanup() {
	# shellcheck disable=SC2086
	stop_pids $GUI_PID
	fm_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP


cage_prereqs "$COMP" "$CTL" "$TRANSFERD" "$CAGE_BIN" "$CAGE_INIT" "$AGENT" "$CLI" "$GTK" \
	"$CLIENT" "$PNGPIX" || skip_all
command -v dbus-daemon >/dev/null 2>&1 || {
	skip_reason="dbus-daemon is not installed (tools/install-deps)"
	skip_all
}
have_font || skip_all

# Stable pixels: fm_setup (private_dirs) draws with cairo, without the
# accessibility bus, in English.
if ! fm_setup; then
	echo "1..1"
	echo "not ok 1 - set-up (compositor, bus, broker, agent)"
	exit 1
fi
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
if cmd == "get":
    print(find(args[0])[args[1]])
elif cmd == "has":
    find(args[0])
elif cmd == "count":
    key, _, val = args[0].partition("=")
    print(sum(1 for w in ws if str(w.get(key)) == val and w.get("mapped", True)))
EOF

# The programs the cage runs, from alpha's home.
mkdir -m 0755 "$A/bin"
cp "$CLI" "$GTK" "$A/bin/"
# The broker's landing fails in gamma: its Incoming is a file.
: >"$G/Incoming"

SOCK=$RUN/cloison/cages/alpha/transfer
client() {
	CLOISON_TRANSFER_SOCKET=$SOCK $TIMEOUT 60 "$CLIENT" "$@"
}

# --- the client ------------------------------------------------------------------

# The broker answers a first call that came in the same write as the end of
# the authentication (GDBus clients under load): it used to wait for more.
client pipelined >"$T/pipelined.out" 2>&1
is "broker: a call sent with the authentication's BEGIN is answered at once" \
	grep -q "^pipelined reply 3$" "$T/pipelined.out"

client targets >"$T/targets.out" 2>&1
want="beta High #c62828
delta Low #2e7d32
gamma High #c62828"
is "ListTargets (async and bounded sync): every target alpha may send to, label, colour" \
	test "$(sed -n 's/^async //p' "$T/targets.out" | sort)" = "$want" -a \
	"$(sed -n 's/^sync //p' "$T/targets.out" | sort)" = "$want"

printf 'for beta\n' >"$A/up.txt"
client send beta /home/user/up.txt >"$T/c1.out" 2>&1
ID=$(awk '$1 == "sent" { print $3 }' "$T/c1.out")
is "Send delivered: its id, then finished delivered, the file landed" \
	sh -c '[ -n "$1" ] && grep -q "^finished $1 delivered" "$2" && cmp -s "$3/up.txt" "$4/Incoming/alpha/up.txt"' \
	_ "$ID" "$T/c1.out" "$A" "$B"

printf 'no\n' >"$A/deny-me.txt"
client send beta deny-me.txt >"$T/c2.out" 2>&1
is "Send denied: finished denied with the reason (denied by the user: test denial)" \
	grep -q "^finished [^ ]* denied denied by the user: test denial" "$T/c2.out"

printf 'nowhere to land\n' >"$A/to-gamma.txt"
client send gamma to-gamma.txt >"$T/c3.out" 2>&1
is "Send failed: finished failed with the broker's detail" \
	grep -q "^finished [^ ]* failed ." "$T/c3.out"

client send beta /etc/hostname >"$T/c4.out" 2>&1
is "a refused Send (outside the home): the broker's error text, without the D-Bus error name" \
	sh -c 'grep -q "^refused /etc/hostname .*outside the home directory /home/user" "$1" &&
		! grep -q "org\.cloison\.\|GDBus" "$1" && ! grep -q "^finished" "$1"' _ "$T/c4.out"

# Another client of the same cage: its Finished is not ours.
printf 'slow one\n' >"$A/slow-mine.txt"
printf 'theirs\n' >"$A/theirs.txt"
client --ready "$T/c5.ready" send beta slow-mine.txt >"$T/c5.out" 2>&1 &
C5=$!
wait_until 100 test -s "$T/c5.ready"
CLOISON_TRANSFER_SOCKET=$SOCK $TIMEOUT 60 "$CLI" --no-gui --wait --to beta /home/user/theirs.txt \
	>"$T/cli5.out" 2>&1
THEIRS=$(awk '$1 == "/home/user/theirs.txt:" { print $2; exit }' "$T/cli5.out")
wait "$C5"
MINE=$(awk '$1 == "sent" { print $3 }' "$T/c5.out")
is "a Finished for another client's id of the same cage is not reported" \
	sh -c '[ -n "$1" ] && [ -n "$2" ] && grep -q "^finished $2 delivered" "$3" &&
		! grep -q "$1" "$3" && [ "$(grep -c "^finished" "$3")" = 1 ]' \
	_ "$THEIRS" "$MINE" "$T/c5.out"

# The broker killed while two transfers wait for the dialog.
printf 'a\n' >"$A/ignore-1.txt"
printf 'b\n' >"$A/ignore-2.txt"
client --ready "$T/c6.ready" send beta ignore-1.txt ignore-2.txt >"$T/c6.out" 2>&1 &
C6=$!
wait_until 100 test -s "$T/c6.ready"
kill -KILL "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
BROKER_PID=
wait "$C6"
is "broker killed: both pending transfers finished failed, then closed" \
	sh -c 'grep -q "^pending 2" "$1" && [ "$(grep -c "^finished [^ ]* failed .*lost" "$2")" = 2 ] &&
		[ "$(tail -n 1 "$2")" = closed ]' _ "$T/c6.ready" "$T/c6.out"
if ! start_broker; then
	not_ok "the broker starts again"
	diag "$(tail -n 20 "$T/broker.log")"
fi

# --- the graphical mode ----------------------------------------------------------

# gui ARGS...: cloison-transfer in cage alpha, in the background, stdout and
# stderr to $T/gui.out (a file: --gui decides), the build tree's GTK program.
gui() {
	rm -f "$T/gui.rc"
	(
		"$CAGE_BIN" --config "$CONF" run alpha -- /usr/bin/env \
			CLOISON_TRANSFER_GTK=/home/user/bin/cloison-transfer-gtk \
			GSK_RENDERER=cairo GTK_A11Y=none LANGUAGE=C LC_ALL=C.UTF-8 \
			/home/user/bin/cloison-transfer "$@" </dev/null >"$T/gui.out" 2>&1
		echo $? >"$T/gui.rc"
	) &
	GUI_PID=$!
}

gui_rc() { # the launcher's exit status, once it has ended (15 s at most)
	wait_until 150 test -s "$T/gui.rc" || return 1
	cat "$T/gui.rc"
}

window_up() { # window_up TITLE
	windows && q has "title=$1"
}

close_window() { # close_window TITLE
	id=$(windows && q get "title=$1" id) && ctl close "$id" >/dev/null
}

# settled NAME DESC: the screen against reference/NAME.png, retried ~5 s.
settled() {
	MSG=
	if wait_until 50 reference "$1"; then
		ok "$2"
	else
		not_ok "$2"
		diag "$MSG"
	fi
}

TITLE="Transfer to another level"
printf 'quarterly figures\n' >"$A/figures.txt"
gui --gui --to beta figures.txt
if wait_until 300 window_up "$TITLE"; then
	ok "--gui: the transfer window maps in the cage"
else
	not_ok "--gui: the transfer window maps in the cage"
	diag "$(cat "$T/gui.out")"
fi
wait_until 100 test -e "$B/Incoming/alpha/figures.txt"
settled transfer-delivered "the window shows the document delivered to High (reference/transfer-delivered.png)"
close_window "$TITLE"
rc=$(gui_rc)
GUI_PID=
is "closed once delivered: exit status 0, the outcome printed" \
	sh -c '[ "$1" = 0 ] && grep -q ": delivered:" "$2"' _ "$rc" "$T/gui.out"

printf 'not this one\n' >"$A/deny-this.txt"
gui --gui --to beta deny-this.txt
wait_until 300 window_up "$TITLE"
wait_until 100 grep -q "denied" "$T/gui.out"
settled transfer-denied "denied: the window shows the reason (reference/transfer-denied.png)"
close_window "$TITLE"
rc=$(gui_rc)
GUI_PID=
is "denied: exit status 1, the reason printed" \
	sh -c '[ "$1" = 1 ] && grep -q ": denied: denied by the user: test denial" "$2"' _ "$rc" "$T/gui.out"

gui --gui --to beta /home/user/missing.txt
wait_until 300 window_up "$TITLE"
wait_until 50 grep -q "failed" "$T/gui.out"
close_window "$TITLE"
rc=$(gui_rc)
GUI_PID=
is "a missing file: failed, exit status 2" test "$rc" = 2

# Hostile names: shown as plain text with their control characters escaped
# (a newline, markup, a right-to-left override), a name that is not UTF-8
# (which D-Bus cannot carry) refused with the reason, its byte as \xff.
EVIL=$(printf 'evil\n<span size="xx-large">big \342\200\256txt.exe')
BAD=$(printf 'bad\377.txt')
printf 'evil\n' >"$A/$EVIL"
printf 'bad\n' >"$A/$BAD"
gui --gui --to beta "$EVIL" "$BAD"
wait_until 300 window_up "$TITLE"
wait_until 100 grep -q "delivered" "$T/gui.out"
settled transfer-hostile-names "hostile names: escaped, no markup; the non-UTF-8 one failed with the reason (reference/transfer-hostile-names.png)"
close_window "$TITLE"
rc=$(gui_rc)
GUI_PID=
# The broker lands it under a sanitised name (names.c): newline and override as "_".
LANDED=$B/Incoming/alpha/$(printf 'evil_<span size="xx-large">big _txt.exe')
is "hostile names: the valid one delivered (sanitised name), exit status 2 for the other" \
	sh -c '[ "$1" = 2 ] && cmp -s "$2/$4" "$3"' _ "$rc" "$A" "$LANDED" "$EVIL"

printf 'pick me\n' >"$A/pick.txt"
gui --gui pick.txt
wait_until 300 window_up "$TITLE"
settled transfer-picker "no --to, three targets: the picker lists them in their colours (reference/transfer-picker.png)"
ctl input key Return >/dev/null
wait_until 100 test -e "$D/Incoming/alpha/pick.txt"
is "Enter on the picker sends to the first target listed (delta), through the trusted dialog" \
	sh -c 'test -e "$1/Incoming/alpha/pick.txt" && grep -q "^prompt [^ ]* source=alpha name=pick.txt .*requested=delta" "$2"' \
	_ "$D" "$T/agent.log"
wait_until 50 grep -q "delivered" "$T/gui.out"
close_window "$TITLE"
rc=$(gui_rc)
GUI_PID=
is "picker, then delivered: exit status 0" test "$rc" = 0

# The rule: nobody reads the text (stdout /dev/null, no terminal) -> window.
printf 'auto\n' >"$A/auto.txt"
(
	"$CAGE_BIN" --config "$CONF" run alpha -- /usr/bin/env \
		CLOISON_TRANSFER_GTK=/home/user/bin/cloison-transfer-gtk \
		GSK_RENDERER=cairo GTK_A11Y=none /home/user/bin/cloison-transfer --to beta auto.txt \
		</dev/null >/dev/null 2>&1
	echo $? >"$T/auto.rc"
) &
GUI_PID=$!
is "no terminal and stdout to /dev/null: the window opens without --gui" \
	wait_until 300 window_up "$TITLE"
wait_until 100 test -e "$B/Incoming/alpha/auto.txt"
close_window "$TITLE"
wait_until 100 test -s "$T/auto.rc"
GUI_PID=

printf 'text\n' >"$A/text.txt"
"$CAGE_BIN" --config "$CONF" run alpha -- /usr/bin/env \
	CLOISON_TRANSFER_GTK=/home/user/bin/cloison-transfer-gtk \
	/home/user/bin/cloison-transfer --no-gui --wait --to beta text.txt </dev/null >/dev/null 2>&1
rc=$?
window_up "$TITLE" && rc="$rc, a window"
is "--no-gui: the text mode even when nobody reads it (exit 0, no window)" test "$rc" = 0
in_cage alpha /usr/bin/env CLOISON_TRANSFER_GTK=/home/user/bin/cloison-transfer-gtk \
	/home/user/bin/cloison-transfer --wait --to beta text.txt
is "stdout to a file (a script reads it): the text mode, exit 0" \
	sh -c '[ "$1" = 0 ] && grep -q "^text.txt: delivered" "$2"' _ "$rc" "$T/out"

echo "1..$n"
[ "$failed" -eq 0 ]
