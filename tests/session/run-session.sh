#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: cloison-session end to end (issue 8, tests 1, 4, 5 and 6).
#
#   run-session.sh SESSION COMPOSITOR CTL BAR TRANSFERD CAGE CAGE_INIT NOTIFYD TOPLEVEL PNG_PIXEL \
#                  TRANSFER_CLI
#
# A real headless session (`cloison-session --headless --test-input`) in a
# private runtime directory, with the real compositor, bar, broker and cage
# launcher (found through $CLOISON_COMPOSITOR, $CLOISON_BAR, …) and the real
# cloison-notifyd; the cages get the notification forwarder and the
# launcher's event poster from the build tree ($CLOISON_NOTIFY_FORWARD,
# $CLOISON_POST_EVENT).  What notifyd received is read back with
# NotifyDisplay1.History() (gdbus on the core bus).  Two cages, alpha (level low, restart=true)
# and beta (level high, restart=false), each run cl-session-toplevel (copied
# into its home) as their application.
#
#  1. both cage windows map, tagged with their cage and level, framed in
#     their level's colour; the bar is mapped; the bar strip matches
#     reference/session.png (cl-png-pixel compare; the work area and the
#     bar's window buttons are masked: the order in which two cages started
#     in parallel map their windows varies);
#  2. a document sent from inside cage alpha (the in-cage cloison-transfer,
#     through `cloison-cage exec`) to beta: the trusted dialog appears, a
#     click on Approve at once does nothing, after 1 s it delivers to beta's
#     ~/Incoming/alpha/ with the origin xattr, and the audit log has it;
#     notifyd got transfer.requested and transfer.approved (style security);
#  3. downward (beta -> alpha, ask-declassify for text/plain): a PNG is
#     denied without a dialog; a text file gets a dialog whose Approve does
#     nothing until "I declassify this file" is ticked;
#  7. notifications (issue 7): the bar's unread counter is amber, a click
#     opens the history dialog and MarkSeen resets it; `notify-send` inside
#     cage alpha (through `cloison-cage exec`) shows a popup (the bar's
#     "notification" window) drawn in Low's style, compared with
#     reference/notify-cage.png, and History() has it with style cage, cage
#     alpha, level low, label Low; a forged "Security: transfer approved"
#     from beta is still style cage, drawn in High's style
#     (reference/notify-forged.png);
#  4. SIGKILL to a cage's launcher: reported (log, one cage.crashed event,
#     posted by the session since the launcher could not), restarted when
#     the cage says restart=true, not otherwise; SIGKILL to the cage itself
#     (bwrap): one cage.crashed event, posted by the launcher; SIGKILL to
#     the broker: restarted, session.service-restarted event;
#  5. SIGTERM to the session: exit 0, every process of the session's tree
#     (scanned in /proc while it ran) gone, the runtime directory removed;
#  the demo: `--demo --headless` maps foot in both demo cages, writes and
#     names a screenshot, puts the sample document in the low cage, stops;
#  a second session whose notifyd is on another bus (posting fails): a
#     crashed cage is restarted all the same;
#  6. a broken configuration: exit 1, file, group and key on stderr, nothing
#     started (a dbus-daemon wrapper that would leave a mark), no runtime
#     directory; also a missing program and a child that fails to start.
#
# Missing programs, fonts or cage support skip everything, or fail under
# CLOISON_TESTS_MUST_RUN=1.  Everything started is stopped by pid.
# Lists of pids and "X Y" pairs are split on purpose:
# shellcheck disable=SC2016,SC2046,SC2086
# shellcheck source=tests/cage/lib.sh
. "$(dirname "$0")/../cage/lib.sh"
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

set -u

SESSION=${1:-}
COMP=${2:-}
CTL=${3:-}
BAR=${4:-}
TRANSFERD=${5:-}
CAGE_BIN=${6:-}
CAGE_INIT=${7:-}
NOTIFYD=${8:-}
TOPLEVEL=${9:-}
PNGPIX=${10:-}
CLI=${11:-}
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
TEST_NAME=session
# The session finds its programs through absolute paths only.
SESSION=$(abs "$SESSION") COMP=$(abs "$COMP") CTL=$(abs "$CTL") BAR=$(abs "$BAR")
TRANSFERD=$(abs "$TRANSFERD") CAGE_BIN=$(abs "$CAGE_BIN") CAGE_INIT=$(abs "$CAGE_INIT")
NOTIFYD=$(abs "$NOTIFYD") TOPLEVEL=$(abs "$TOPLEVEL") PNGPIX=$(abs "$PNGPIX") CLI=$(abs "$CLI")
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
LOW=00aa00
HIGH=cc0000
ALPHA_APP=2060a0
BETA_APP=a08020
REF_TOLERANCE=24

n=0
failed=0
skip_reason=
T=
SPID=

cleanup() {
	stop_session
	remove_tmp
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- prerequisites ---------------------------------------------------------------------

cage_prereqs "$SESSION" "$COMP" "$CTL" "$BAR" "$TRANSFERD" "$CAGE_BIN" "$CAGE_INIT" "$NOTIFYD" \
	"$TOPLEVEL" "$PNGPIX" "$CLI" || skip_all
command -v dbus-daemon >/dev/null 2>&1 || {
	skip_reason="dbus-daemon is not installed (tools/install-deps)"
	skip_all
}
if ! command -v gdbus >/dev/null 2>&1 || ! command -v notify-send >/dev/null 2>&1; then
	skip_reason="gdbus or notify-send is not installed (libglib2.0-bin, libnotify-bin: tools/install-deps)"
	skip_all
fi
have_font || skip_all

# --- set-up ------------------------------------------------------------------------------

private_dirs cloison-session-test run2
export CLOISON_BAR_CLOCK=12:34
session_env
cage_homes alpha beta
for c in alpha beta; do
	cp "$TOPLEVEL" "$DATA/cloison/cages/$c/home/toplevel"
	cp "$CLI" "$DATA/cloison/cages/$c/home/cloison-transfer"
	chmod 0755 "$DATA/cloison/cages/$c/home/toplevel" "$DATA/cloison/cages/$c/home/cloison-transfer"
done
A=$DATA/cloison/cages/alpha/home
B=$DATA/cloison/cages/beta/home
printf 'quarterly report\n' >"$A/report.txt"
printf 'minutes\n' >"$B/minutes.txt"
printf '\211PNG\r\n\032\n\000\000\000\rIHDR\000\000\000\001\000\000\000\001\010\006\000\000\000\037\025\304\211' >"$B/picture.png"
chmod 0644 "$A/report.txt" "$B/minutes.txt" "$B/picture.png"

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
restart=true
applications=/home/user/toplevel --app-id alpha-app --title Alpha --colour $ALPHA_APP --size 400x300

[cage beta]
level=high
restart=false
applications=/home/user/toplevel --app-id beta-app --title Beta --colour $BETA_APP --size 400x300

[transfer low high]
action=ask
types=text/*

[transfer high low]
action=ask-declassify
types=text/plain
EOF

# --- helpers ---------------------------------------------------------------------------------

CTLSOCK=$RUN/cloison/core/ctl
ctl() {
	"$CTL" --timeout 20 --socket "$CTLSOCK" "$@"
}

cat >"$T/q.py" <<'EOF'
import json, sys
BORDER, TITLEBAR = 4, 24
d = json.load(open(sys.argv[1]))
cmd, args = sys.argv[2], sys.argv[3:]
ws = [w for w in d.get("windows", []) if w.get("mapped")]

def outer(w):
    return (w["x"] - BORDER, w["y"] - BORDER - TITLEBAR,
            w["x"] + w["width"] + BORDER, w["y"] + w["height"] + BORDER)

def covered(x, y, idx):
    for w in ws[:idx]:
        x0, y0, x1, y1 = outer(w)
        if x0 <= x < x1 and y0 <= y < y1:
            return True
    return False

def find(app):
    for i, w in enumerate(ws):
        if w.get("app_id") == app:
            return i, w
    sys.exit(1)

if cmd == "ready":          # both cage windows and the bar mapped
    roles = [w.get("role") for w in ws]
    apps = sorted(w.get("app_id") for w in ws if w.get("role") == "window")
    sys.exit(0 if "bar" in roles and apps == ["alpha-app", "beta-app"] else 1)
elif cmd == "summary":      # one line per window: role cage level app_id
    for w in d.get("windows", []):
        print(w.get("role"), w.get("cage"), w.get("level"), w.get("app_id"), w.get("mapped"))
elif cmd == "get":
    print(find(args[0])[1][args[1]])
elif cmd == "has":
    find(args[0])
elif cmd == "points":       # a visible border point and a visible inside point
    i, w = find(args[0])
    x0, y0, x1, y1 = outer(w)
    border = [(x0 + 1, y) for y in range(w["y"], w["y"] + w["height"], 7)]
    inside = [(x, y) for y in range(w["y"] + 2, w["y"] + w["height"], 9)
              for x in range(w["x"] + 2, w["x"] + w["width"], 23)]
    b = next((p for p in border if not covered(*p, i)), None)
    c = next((p for p in inside if not covered(*p, i)), None)
    if not b or not c:
        sys.exit(1)
    print(b[0], b[1], c[0], c[1])
EOF

windows() {
	ctl windows >"$T/w.json" 2>"$T/ctl.err"
}

q() {
	"$PYTHON" "$T/q.py" "$T/w.json" "$@" 2>/dev/null
}

session_ready() {
	windows && q ready
}

# What notifyd holds, read as the bar reads it: NotifyDisplay1 on the core
# bus (gdbus prints GVariant text; hist.py reads the part notifyd returns).
cat >"$T/hist.py" <<'EOF'
import re, sys

# A reader for the GVariant text gdbus prints (the subset notifyd returns).
class P:
    def __init__(self, s):
        self.s, self.i = s, 0

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t\n":
            self.i += 1

    def value(self):
        self.ws()
        s = self.s
        c = s[self.i]
        if c == "@":  # a type annotation: @as []
            self.i = s.index(" ", self.i)
            return self.value()
        if c in "([{":
            close = {"(": ")", "[": "]", "{": "}"}[c]
            self.i += 1
            items = []
            while True:
                self.ws()
                if s[self.i] == close:
                    self.i += 1
                    break
                k = self.value()
                self.ws()
                if s[self.i] == ":":
                    self.i += 1
                    k = (k, self.value())
                items.append(k)
                self.ws()
                if s[self.i] == ",":
                    self.i += 1
            if c == "{":
                return dict(items)
            return items
        if c == "<":
            self.i += 1
            v = self.value()
            self.ws()
            assert s[self.i] == ">"
            self.i += 1
            return v
        if c in "'\"":
            out, self.i = [], self.i + 1
            while s[self.i] != c:
                if s[self.i] == "\\":
                    e = s[self.i + 1]
                    if e in "uU":
                        n = 4 if e == "u" else 8
                        out.append(chr(int(s[self.i + 2:self.i + 2 + n], 16)))
                        self.i += 2 + n
                        continue
                    out.append({"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b",
                                "f": "\f", "v": "\v"}.get(e, e))
                    self.i += 2
                else:
                    out.append(s[self.i])
                    self.i += 1
            self.i += 1
            return "".join(out)
        m = re.compile(r"(?:(?:byte|u?int16|u?int32|u?int64|uint16|double|handle|objectpath|signature) )?"
                       r"(0x[0-9a-fA-F]+|[-+0-9.eE]+|true|false)").match(s, self.i)
        assert m, s[self.i:self.i + 40]
        self.i = m.end()
        t = m.group(1)
        if t in ("true", "false"):
            return t == "true"
        return int(t, 16) if t.startswith("0x") else (float(t) if "." in t else int(t))

def entries(path):
    text = open(path).read().strip()
    return P(text).value()[0] if text else []

def match(e, conds):
    for c in conds:
        k, v = c.split("=", 1)
        if k.endswith("~"):  # substring
            if v not in str(e.get(k[:-1], "")):
                return False
        elif str(e.get(k, "")) != v:
            return False
    return True

cmd, path, conds = sys.argv[1], sys.argv[2], sys.argv[3:]
es = entries(path)
if cmd == "has":       # any entry with every KEY=VALUE (KEY~=TEXT: contains)
    sys.exit(0 if any(match(e, conds) for e in es) else 1)
elif cmd == "count":   # "ENTRIES EVENTS": matching entries, and the sum of their counts
    m = [e for e in es if match(e, conds)]
    print(len(m), sum(e.get("count", 1) for e in m))
elif cmd == "ids":     # the ids of matching entries
    for e in es:
        if match(e, conds):
            print(e["id"])
elif cmd == "show":
    for e in es:
        print(" ".join("%s=%s" % (k, e.get(k)) for k in
                       ("id", "style", "cage", "level", "label", "colour", "severity", "category",
                        "count", "summary")))
EOF

CORE_ADDR="unix:path=$RUN/cloison/core/bus"
display_call() { # display_call METHOD [ARGS]: org.cloison.NotifyDisplay1.METHOD
	m=$1
	shift
	gdbus call --address "$CORE_ADDR" --dest org.cloison.Notify1 --object-path /org/cloison/Notify1 \
		--method "org.cloison.NotifyDisplay1.$m" "$@"
}
history() {
	display_call History >"$T/history.txt" 2>"$T/history.err"
}
in_history() { # in_history KEY=VALUE...: some History() entry has them all
	history && "$PYTHON" "$T/hist.py" has "$T/history.txt" "$@"
}
history_count() { # history_count KEY=VALUE...: "ENTRIES EVENTS" (events: counts summed)
	history && "$PYTHON" "$T/hist.py" count "$T/history.txt" "$@"
}
history_diag() {
	history
	diag "History():" "$("$PYTHON" "$T/hist.py" show "$T/history.txt" 2>&1 | tail -n 25)"
}
unread() {
	display_call UnreadSecurity 2>/dev/null | sed -n 's/^(uint32 \([0-9]*\),)$/\1/p'
}


# The pid of the session's child whose command line has ARG1 and ARG2 in a row
# (ARG1 may be the program, argv[0]).
child_with() {
	"$PYTHON" - "$SPID" "$1" "$2" <<'EOF'
import os, sys
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        s = open("/proc/%s/stat" % p).read()
        argv = open("/proc/%s/cmdline" % p, "rb").read().decode(errors="replace").split("\0")
    except OSError:
        continue
    if int(s[s.rindex(")") + 2:].split()[1]) != int(sys.argv[1]):
        continue
    for i in range(len(argv) - 1):
        if argv[i] == sys.argv[2] and argv[i + 1] == sys.argv[3]:
            print(p)
            sys.exit(0)
sys.exit(1)
EOF
}

# The pid of PARENT's child whose command name is COMM.
child_named() { # child_named PARENT COMM
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		s=$(cat "$d/stat" 2>/dev/null) || continue
		rest=${s##*) }
		set -- "$1" "$2" $rest
		if [ "$4" = "$1" ] && [ "$(cat "$d/comm" 2>/dev/null)" = "$2" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# crashes CAGE N [KEY=VALUE]: an entry with KEY=VALUE shows up, and then (a
# second later, time for a duplicate to arrive) cage.crashed events for
# CAGE number exactly N, in N entries (none merged into another).
crashes() {
	wait_for 100 in_history style=security category=cage.crashed cage="$1" ${3:+"$3"} || {
		history_diag
		return 1
	}
	sleep 1.5
	got=$(history_count category=cage.crashed cage="$1")
	[ "$got" = "$2 $2" ] || {
		diag "cage.crashed for $1: $got (entries, events), expected $2"
		history_diag
		return 1
	}
}

# After cage alpha's launcher ($ALPHA_LAUNCHER, window $ALPHA_WID) was killed:
new_alpha() {
	p=$(child_with run alpha) && [ "$p" != "$ALPHA_LAUNCHER" ]
}
alpha_back() {
	windows && q has alpha-app && [ "$(q get alpha-app id)" != "$ALPHA_WID" ]
}

start_session() { # start_session LOG ARGS...
	log=$1
	shift
	"$SESSION" --config "$CONF" --headless --size "${WIDTH}x$HEIGHT" --test-input "$@" \
		>"$log" 2>&1 &
	SPID=$!
}

# --- 6. broken configuration, missing program, failed start --------------------------------

cat >"$T/fake-dbus" <<EOF
#!/bin/sh
touch "$T/dbus-started"
exec dbus-daemon "\$@"
EOF
chmod 0755 "$T/fake-dbus"

cat >"$T/broken.conf" <<EOF
[level low]
label=Low
colour=#$LOW
rank=0

[cage alpha]
level=low
colour-depth=deep
EOF
XDG_RUNTIME_DIR=$T/run2 CLOISON_DBUS_DAEMON=$T/fake-dbus \
	"$SESSION" --config "$T/broken.conf" --headless >"$T/broken.out" 2>"$T/broken.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "broken.conf" "$T/broken.err" && grep -q "cage alpha" "$T/broken.err" &&
	grep -q "colour-depth" "$T/broken.err"; then
	ok "6: a broken configuration: exit 1, the error names file, group and key: $(head -c 200 "$T/broken.err")"
else
	not_ok "6: a broken configuration: exit 1, the error names file, group and key"
	diag "exit $rc" "$(head -c 1000 "$T/broken.err")"
fi
if [ ! -e "$T/dbus-started" ] && [ ! -e "$T/run2/cloison" ]; then
	ok "6: nothing was started and no runtime directory was created"
else
	not_ok "6: nothing was started and no runtime directory was created"
	diag "$(ls -la "$T" "$T/run2")"
fi

XDG_RUNTIME_DIR=$T/run2 CLOISON_DBUS_DAEMON=$T/fake-dbus CLOISON_NOTIFYD=$T/no-such-notifyd \
	"$SESSION" --config "$CONF" --headless >"$T/missing.out" 2>"$T/missing.err"
rc=$?
if [ $rc -eq 2 ] && grep -q "no-such-notifyd" "$T/missing.err" && grep -q CLOISON_NOTIFYD "$T/missing.err" &&
	[ ! -e "$T/dbus-started" ] && [ ! -e "$T/run2/cloison" ]; then
	ok "a missing program: exit 2 before anything starts, named with its override variable"
else
	not_ok "a missing program: exit 2 before anything starts, named with its override variable"
	diag "exit $rc" "$(head -c 1000 "$T/missing.err")"
fi

# A notifyd that exits at once: the start fails, what was started is stopped.
cat >"$T/bad-notifyd" <<'EOF'
#!/bin/sh
echo "bad-notifyd: giving up" >&2
exit 4
EOF
chmod 0755 "$T/bad-notifyd"
XDG_RUNTIME_DIR=$T/run2 CLOISON_DBUS_DAEMON=$T/fake-dbus CLOISON_NOTIFYD=$T/bad-notifyd \
	timeout -k 5 60 "$SESSION" --config "$CONF" --headless >"$T/badstart.out" 2>"$T/badstart.err" &
BAD_PID=$!
wait_for 300 test -e "$T/dbus-started"
tree=$(descendants "$BAD_PID")
wait "$BAD_PID"
rc=$?
left=$(alive_of $tree)
if [ $rc -eq 2 ] && [ -e "$T/dbus-started" ] && grep -q "cloison-notifyd exited with status 4 before it was ready" "$T/badstart.err" &&
	[ -z "$left" ] && [ ! -e "$T/run2/cloison" ]; then
	ok "a core program that fails to start: exit 2, the others stopped, nothing left, runtime directory removed"
else
	not_ok "a core program that fails to start: exit 2, the others stopped, nothing left, runtime directory removed"
	diag "exit $rc, left: $left" "$(tail -n 20 "$T/badstart.err")"
fi
rm -f "$T/dbus-started"

# --- 1. two cages, tagged windows, frames, bar, reference --------------------------------------

start_session "$T/session.log"
if wait_for 600 session_ready; then
	ok "1: the session starts: the bar and one window per cage are mapped"
else
	not_ok "1: the session starts: the bar and one window per cage are mapped"
	diag "$(q summary)" "$(tail -n 40 "$T/session.log")"
	echo "1..$n"
	exit 1
fi

windows
check "1: alpha's window is tagged cage alpha, level low" \
	test "$(q get alpha-app cage) $(q get alpha-app level)" = "alpha low"
check "1: beta's window is tagged cage beta, level high" \
	test "$(q get beta-app cage) $(q get beta-app level)" = "beta high"
check "1: exactly one cage window per cage (cloison-ctl windows)" \
	test "$(q summary | awk '$1 == "window"' | wc -l)" -eq 2

# A focused window's frame is its level's colour (unfocused ones are dimmed):
# focus each in turn.
framed() { # framed APP LEVEL_COLOUR APP_COLOUR
	windows && ctl focus "$(q get "$1" id)" >/dev/null 2>&1 || return 1
	sleep 0.3
	ctl screenshot "$T/framed-$1.png" >/dev/null 2>&1 && windows || return 1
	set -- "$1" "$2" "$3" $(q points "$1")
	[ $# -eq 7 ] || return 1
	"$PNGPIX" "$T/framed-$1.png" --expect "$2" --tolerance 12 "$4" "$5" >/dev/null 2>&1 &&
		"$PNGPIX" "$T/framed-$1.png" --expect "$3" --tolerance 12 "$6" "$7" >/dev/null 2>&1
}
check "1: beta's window is framed in high's colour around its own pixels" framed beta-app $HIGH $BETA_APP
check "1: alpha's window is framed in low's colour around its own pixels" framed alpha-app $LOW $ALPHA_APP

compare_ref() { # compare_ref NAME [--mask X Y W H]...: $T/NAME.png against reference/NAME.png
	name=$1
	shift
	ref=$REFDIR/$name.png
	if [ -f "$ref" ] && "$PNGPIX" compare "$ref" "$T/$name.png" "$REF_TOLERANCE" "$T/$name-diff.png" \
		"$@" >"$T/$name-compare.log" 2>&1; then
		return 0
	fi
	if [ "$UPDATE_REFS" = 1 ]; then
		mkdir -p "$REFDIR"
		cp "$T/$name.png" "$ref"
		diag "reference $name.png written: look at it before committing it"
		return 0
	fi
	mkdir -p "$SHOTS"
	cp "$T/$name.png" "$SHOTS/session-$name.png"
	[ -f "$ref" ] && cp "$ref" "$SHOTS/session-$name-reference.png"
	[ -f "$T/$name-diff.png" ] && cp "$T/$name-diff.png" "$SHOTS/session-$name-diff.png"
	diag "differs from $ref (see $SHOTS/session-$name*.png): $(cat "$T/$name-compare.log" 2>/dev/null)"
	return 1
}
reference() { # reference NAME: the bar strip against reference/NAME.png
	compare_ref "$1" --mask 0 "$STRIP" "$WIDTH" $((HEIGHT - STRIP)) --mask 118 0 200 "$STRIP"
}
# Alpha has the focus now.  The bar redraws when the focus changes: retry the
# shot a little.  Its notification area reads "2 security alerts": the
# cage.started events of alpha and beta, posted by their launchers through
# the real notifyd (a third event, or a lost one, would not match).  Its window buttons are masked too: the bar lists windows
# by id, that is in the order the two cages happened to map them.
bar_matches() {
	ctl screenshot "$T/session.png" >/dev/null 2>&1 && reference session >/dev/null
}
if wait_for 30 bar_matches || reference session; then
	ok "1: the bar strip matches reference/session.png (work area masked)"
else
	not_ok "1: the bar strip matches reference/session.png (work area masked)"
fi

check "1: the session told the broker and notifyd where the core bus is" \
	grep -q "cloison-notifyd is ready" "$T/session.log"

# The core bus, as the environment of the session's children says it.
env_of() { # env_of PID NAME: the value of NAME in PID's environment
	tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed -n "s/^$2=//p"
}
CORE_BUS=$(env_of "$(child_with "$TRANSFERD" --bus)" DBUS_SESSION_BUS_ADDRESS)
case $CORE_BUS in
"unix:path=$RUN/cloison/core/bus"*) ok "the broker's session bus is the core bus in the runtime directory ($CORE_BUS)" ;;
*) not_ok "the broker's session bus is the core bus in the runtime directory (got '$CORE_BUS')" ;;
esac
P=$(child_with "$TRANSFERD" --bus)
check "core children also get CLOISON_CORE_BUS_ADDRESS = the core bus" \
	test -n "$CORE_BUS" -a "$(env_of "$P" CLOISON_CORE_BUS_ADDRESS)" = "$CORE_BUS"
P=$(child_with run alpha)
check "a cage launcher gets CLOISON_CORE_BUS_ADDRESS, not the core bus as its session bus" \
	test -n "$P" -a "$(env_of "$P" CLOISON_CORE_BUS_ADDRESS)" = "$CORE_BUS" \
	-a -z "$(env_of "$P" DBUS_SESSION_BUS_ADDRESS)"

# A second session on the same runtime directory is refused before it
# starts anything, and the first one is untouched.
CLOISON_DBUS_DAEMON=$T/fake-dbus "$SESSION" --config "$CONF" --headless >"$T/twice.out" 2>"$T/twice.err"
rc=$?
if [ $rc -eq 2 ] && grep -q "another Cloison session already runs" "$T/twice.err" &&
	[ ! -e "$T/dbus-started" ] && kill -0 "$SPID" && [ -S "$RUN/cloison/core/ctl" ]; then
	ok "a second session on the same runtime directory: exit 2 before starting anything, the first one untouched"
else
	not_ok "a second session on the same runtime directory: exit 2 before starting anything, the first one untouched"
	diag "exit $rc: $(cat "$T/twice.err")"
fi

# --- 2, 3. transfers through the trusted dialog -------------------------------------------

export DBUS_SESSION_BUS_ADDRESS="unix:path=$RUN/cloison/core/bus"
has_dialog() {
	windows && "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(w.get("role") == "dialog" and w.get("mapped") for w in d["windows"]) else 1)' "$T/w.json"
}
no_dialog() {
	! has_dialog
}
# Approve is the last button of the dialog's bottom-right row (margins 16 px
# right, 14 px bottom; see tests/bar/run-bar-gtk.sh).
approve_point() {
	windows && "$PYTHON" -c '
import json, sys
for w in json.load(open(sys.argv[1]))["windows"]:
    if w.get("role") == "dialog" and w.get("mapped"):
        print(w["x"] + w["width"] - 16 - 24, w["y"] + w["height"] - 14 - 12)
        sys.exit(0)
print(1, 1)  # no dialog: the bar'"'"'s badge, harmless
sys.exit(1)' "$T/w.json"
}
# click_at X Y: the pointer comes from 3 px to the left, as a hand would.
click_at() {
	ctl input move $(($1 - 3)) "$2" >/dev/null && ctl input move "$1" "$2" >/dev/null &&
		ctl input click >/dev/null
}
# early_click: as soon as the dialog is mapped, a click on its Approve
# button (the same point as approve_point, from 3 px to the left), over one
# control connection; prints the milliseconds from seeing the dialog to the
# click's reply (9999 when there was no dialog within 10 s).
early_click() {
	"$PYTHON" - "$CTLSOCK" <<'PYEOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rw")
def call(**req):
    f.write(json.dumps(req) + "\n")
    f.flush()
    reply = json.loads(f.readline())
    if not reply.get("ok"):
        sys.exit("control socket: %s" % reply.get("error"))
    return reply
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    t0 = time.monotonic()
    for w in call(command="windows")["windows"]:
        if w.get("role") == "dialog" and w.get("mapped"):
            x = w["x"] + w["width"] - 16 - 24
            y = w["y"] + w["height"] - 14 - 12
            call(command="input", action="move", x=x - 3, y=y)
            call(command="input", action="move", x=x, y=y)
            call(command="input", action="click")
            print(int((time.monotonic() - t0) * 1000))
            sys.exit(0)
    time.sleep(0.01)
print(9999)
PYEOF
}
pending() {
	"$CTL" transfers list 2>/dev/null | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
# send CAGE FILE TARGET [OPTION]: the CLI inside the running cage (output in
# $T/send.*).
send() {
	timeout 30 "$CAGE_BIN" --config "$CONF" exec "$1" -- /home/user/cloison-transfer ${4:-} --to "$3" \
		"$2" </dev/null >"$T/send.out" 2>"$T/send.err"
}
audited() { # audited NAME RESULT: an outcome record for NAME with that result
	"$PYTHON" - "$STATE/cloison/audit.jsonl" "$1" "$2" <<'PYEOF'
import json, sys
ok = False
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event") == "outcome" and r.get("name") == sys.argv[2]:
        ok = r.get("result") == sys.argv[3]
sys.exit(0 if ok else 1)
PYEOF
}
xattr() {
	"$PYTHON" -c 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())' "$1" "$2" 2>/dev/null
}

if send alpha report.txt beta && wait_for 100 has_dialog; then
	ok "2: cloison-transfer inside cage alpha asks for beta: the trusted dialog appears"
	# The bar judges a click by its event time: only a click made within
	# 1 s of the map proves something; a machine too slow for that (e.g.
	# the sanitizer build) skips the check, and asks again if it delivered.
	# One process on one control connection finds the dialog and clicks:
	# four cloison-ctl runs took up to 0.8 s under the sanitizers.
	elapsed_ms=$(early_click) && [ -n "$elapsed_ms" ] || elapsed_ms=9999
	sleep 0.3
	if [ $elapsed_ms -gt 700 ]; then
		ok "2: Approve clicked at once does nothing # SKIP the click took $elapsed_ms ms"
	elif [ "$(pending)" = 1 ] && [ ! -e "$B/Incoming/alpha/report.txt" ]; then
		ok "2: Approve clicked at once ($elapsed_ms ms after the dialog was seen) does nothing"
	else
		not_ok "2: Approve clicked at once ($elapsed_ms ms after the dialog was seen) does nothing"
	fi
	if [ -e "$B/Incoming/alpha/report.txt" ]; then
		rm -rf "$B/Incoming"
		send alpha report.txt beta
		wait_for 100 has_dialog
	fi
	sleep 1.2
	set -- $(approve_point)
	click_at "$1" "$2"
	if wait_for 50 test -f "$B/Incoming/alpha/report.txt" && cmp -s "$A/report.txt" "$B/Incoming/alpha/report.txt"; then
		ok "2: Approve after 1 s delivers the document to beta's ~/Incoming/alpha/"
	else
		not_ok "2: Approve after 1 s delivers the document to beta's ~/Incoming/alpha/"
		diag "pending $(pending); send: $(cat "$T/send.out" "$T/send.err")"
	fi
	check "2: the delivered file carries its origin (user.cloison.origin = alpha (low))" \
		test "$(xattr "$B/Incoming/alpha/report.txt" user.cloison.origin)" = "alpha (low)"
	check "2: the audit log records the delivery" wait_for 30 audited report.txt delivered
	check "2: the dialog closes" wait_for 50 no_dialog
	# The broker's security events reached the real notifyd.
	if wait_for 50 in_history style=security category=transfer.requested cage=alpha severity=info &&
		wait_for 50 in_history style=security category=transfer.approved cage=alpha; then
		ok "2: notifyd shows the transfer's security events (History: transfer.requested, transfer.approved, style security, cage alpha)"
	else
		not_ok "2: notifyd shows the transfer's security events (History: transfer.requested, transfer.approved, style security, cage alpha)"
		history_diag
	fi
else
	not_ok "2: cloison-transfer inside cage alpha asks for beta: the trusted dialog appears"
	diag "send: $(cat "$T/send.out" "$T/send.err")" "$(tail -n 10 "$T/session.log")"
fi

send beta picture.png alpha --wait
rc=$?
sleep 0.5
if [ $rc -ne 0 ] && grep -q "image/png is not allowed" "$T/send.out" "$T/send.err" && no_dialog &&
	[ "$(pending)" = 0 ]; then
	ok "3: downward, a type the rule does not allow (PNG) is denied without a dialog"
else
	not_ok "3: downward, a type the rule does not allow (PNG) is denied without a dialog"
	diag "exit $rc; send: $(cat "$T/send.out" "$T/send.err")"
fi

if send beta minutes.txt alpha && wait_for 100 has_dialog; then
	sleep 1.2
	set -- $(approve_point)
	click_at "$1" "$2"
	sleep 0.5
	check "3: downward text: Approve without the declassification tick does nothing" \
		test "$(pending)" = 1 -a ! -e "$A/Incoming/beta/minutes.txt"
	# The tick: "I declassify this file" is the row right above the
	# buttons, but its height depends on the fonts: click its label at
	# rising heights (the warning and direction labels above it ignore
	# clicks), each time followed by Approve, until the file lands.
	ticked=no
	set -- $(approve_point) 0 0
	ax=$1
	ay=$2
	windows
	dx=$("$PYTHON" -c '
import json, sys
for w in json.load(open(sys.argv[1]))["windows"]:
    if w.get("role") == "dialog" and w.get("mapped"):
        print(w["x"] + 70)' "$T/w.json")
	dy=18
	while [ $dy -le 90 ] && [ -n "$dx" ] && [ "$ay" -gt 100 ]; do
		click_at "$dx" $((ay - dy))
		sleep 0.2
		click_at "$ax" "$ay"
		if wait_for 5 test -f "$A/Incoming/beta/minutes.txt"; then
			ticked=yes
			break
		fi
		dy=$((dy + 6))
	done
	if [ $ticked = yes ] && cmp -s "$B/minutes.txt" "$A/Incoming/beta/minutes.txt"; then
		ok "3: with the declassification ticked ($dy px above Approve), Approve delivers to alpha's ~/Incoming/beta/"
	else
		not_ok "3: with the declassification ticked, Approve delivers to alpha's ~/Incoming/beta/"
	fi
	check "3: the audit log records the declassification" wait_for 30 audited minutes.txt delivered
else
	not_ok "3: a downward text transfer shows the dialog"
	diag "send: $(cat "$T/send.out" "$T/send.err")"
fi
wait_for 50 no_dialog

# --- 7. notifications: the real notifyd, the bar, cages -----------------------------------------

UNREAD=ffcc00
count_same() { # count_same FILE RRGGBB X0 Y0 X1 Y1
	"$PNGPIX" "$1" --count-same "$2" --tolerance 24 "$3" "$4" "$5" "$6" 2>/dev/null
}
# The bar's notification area: its amber face, right of the middle of the bar.
counter_x() { # counter_x FILE
	# shellcheck disable=SC2046 # a list of points
	"$PNGPIX" "$1" $(seq 600 4 1240 | sed "s/\$/ 14/") 2>/dev/null |
		awk -v want="$UNREAD" '$NF == want { print 600 + (NR - 1) * 4; exit }'
}
history_open() {
	windows && "$PYTHON" -c '
import json, sys
sys.exit(0 if any(w.get("role") == "dialog" and w.get("mapped") and
                  w.get("title") == "Cloison — notification history"
                  for w in json.load(open(sys.argv[1]))["windows"]) else 1)' "$T/w.json"
}
n_unread=$(unread)
ctl screenshot "$T/unread.png" >/dev/null 2>&1
hx=$(counter_x "$T/unread.png")
if [ "${n_unread:-0}" -gt 0 ] && [ -n "$hx" ]; then
	ok "7: the bar's notification area is amber: $n_unread unread security events (UnreadSecurity)"
else
	not_ok "7: the bar's notification area is amber: unread security events (UnreadSecurity '$n_unread')"
fi
if [ -n "$hx" ]; then
	click_at $((hx + 10)) 14
	if wait_for 100 history_open; then
		ok "7: a click on the notification area opens the notification history (a trusted dialog)"
	else
		not_ok "7: a click on the notification area opens the notification history (a trusted dialog)"
	fi
	seen() {
		[ "$(unread)" = 0 ] && ctl screenshot "$T/seen.png" >/dev/null 2>&1 &&
			[ "$(count_same "$T/seen.png" $UNREAD 600 0 1240 "$STRIP")" -lt 20 ]
	}
	check "7: ... which calls MarkSeen: no unread security event left, the area no longer amber" \
		wait_for 50 seen
	ctl input key Escape >/dev/null 2>&1
	check "7: Esc closes the history" wait_for 50 no_dialog
	# The pointer leaves the bar: its tooltip would cover the popups.
	ctl input move 300 650 >/dev/null 2>&1
else
	not_ok "7: a click on the notification area opens the notification history (no amber area found)"
fi

# The popups' toplevel (role notification) with its core frame (4 px, a
# 24 px title), as X Y W H.
popup_rect() {
	windows && "$PYTHON" -c '
import json, sys
for w in json.load(open(sys.argv[1]))["windows"]:
    if w.get("role") == "notification" and w.get("mapped"):
        print(w["x"] - 4, w["y"] - 28, w["width"] + 8, w["height"] + 32)
        sys.exit(0)
sys.exit(1)' "$T/w.json"
}
no_popup() {
	! popup_rect >/dev/null
}
# Masks for everything of the screen but the rectangle X Y W H.
popup_masks() {
	x0=$1 y0=$2 x1=$(($1 + $3)) y1=$(($2 + $4))
	[ "$x0" -lt 0 ] && x0=0
	[ "$y0" -lt 0 ] && y0=0
	[ "$x1" -gt $WIDTH ] && x1=$WIDTH
	[ "$y1" -gt $HEIGHT ] && y1=$HEIGHT
	[ "$y0" -gt 0 ] && printf -- '--mask 0 0 %s %s ' $WIDTH "$y0"
	[ "$y1" -lt $HEIGHT ] && printf -- '--mask 0 %s %s %s ' "$y1" $WIDTH $((HEIGHT - y1))
	[ "$x0" -gt 0 ] && printf -- '--mask 0 %s %s %s ' "$y0" "$x0" $((y1 - y0))
	[ "$x1" -lt $WIDTH ] && printf -- '--mask %s %s %s %s ' "$x1" "$y0" $((WIDTH - x1)) $((y1 - y0))
	return 0
}
POPUP=
popup_matches() { # popup_matches NAME: the popup region against reference/NAME.png
	POPUP=$(popup_rect) || return 1
	ctl screenshot "$T/$1.png" >/dev/null 2>&1 &&
		compare_ref "$1" $(popup_masks $POPUP) >/dev/null
}
dismiss_all() { # close every open popup as its × would
	for id in $(display_call List 2>/dev/null | "$PYTHON" "$T/hist.py" ids /dev/stdin); do
		display_call Dismiss "$id" >/dev/null 2>&1
	done
}
cage_notify() { # cage_notify CAGE SUMMARY BODY: notify-send inside the running cage
	timeout 30 "$CAGE_BIN" --config "$CONF" exec "$1" -- notify-send "$2" "$3" \
		</dev/null >"$T/notify.out" 2>"$T/notify.err"
}
# popup_check NAME CAGE LEVEL LABEL COLOUR SUMMARY: after a cage_notify
popup_check() {
	name=$1 cage=$2 level=$3 label=$4 colour=$5 summary=$6
	if wait_for 100 in_history style=cage cage="$cage" level="$level" label="$label" \
		colour="#$colour" app-name=notify-send summary="$summary"; then
		ok "7: notifyd has it (History): style cage, cage $cage, level $level, label $label, colour #$colour"
	else
		not_ok "7: notifyd has it (History): style cage, cage $cage, level $level, label $label, colour #$colour"
		history_diag
	fi
	if wait_for 100 popup_rect >/dev/null; then
		ok "7: the bar shows a popup (cloison-ctl windows: role notification, at $(popup_rect))"
		sleep 0.3
		if wait_for 20 popup_matches "$name" || compare_ref "$name" $(popup_masks $POPUP); then
			ok "7: the popup is drawn in $label's style: it matches reference/$name.png"
		else
			not_ok "7: the popup is drawn in $label's style: it matches reference/$name.png"
		fi
		set -- $POPUP
		px=$(count_same "$T/$name.png" "$colour" "$1" "$2" $(($1 + $3)) $(($2 + $4)))
		check "7: ... its background is $label's colour #$colour ($px px)" test "${px:-0}" -gt 3000
	else
		not_ok "7: the bar shows a popup (cloison-ctl windows: role notification)"
		diag "$(q summary)"
	fi
}

dismiss_all
check "7: the open popups are dismissed (NotifyDisplay1.Dismiss): no popup left" wait_for 100 no_popup
if cage_notify alpha "Hello from alpha" "A notification sent with notify-send inside cage alpha."; then
	ok "7: notify-send inside cage alpha succeeds (through the cage's forwarder)"
	popup_check notify-cage alpha low Low $LOW "Hello from alpha"
else
	not_ok "7: notify-send inside cage alpha succeeds (through the cage's forwarder)"
	diag "$(cat "$T/notify.out" "$T/notify.err")"
fi
dismiss_all
wait_for 100 no_popup
if cage_notify beta "Security: transfer approved" "A cage pretending to be the core."; then
	ok "7: notify-send inside cage beta with a forged security summary succeeds"
	popup_check notify-forged beta high High $HIGH "Security: transfer approved"
	check "7: ... and is not a security event (no security entry with that summary)" \
		sh -c '! "$1" "$2" has "$3" style=security "summary=Security: transfer approved"' _ \
		"$PYTHON" "$T/hist.py" "$T/history.txt"
else
	not_ok "7: notify-send inside cage beta with a forged security summary succeeds"
	diag "$(cat "$T/notify.out" "$T/notify.err")"
fi
dismiss_all
wait_for 100 no_popup
unset DBUS_SESSION_BUS_ADDRESS

# --- 4. a killed cage, a killed broker -------------------------------------------------------

ALPHA_LAUNCHER=$(child_with run alpha)
BETA_LAUNCHER=$(child_with run beta)
if [ -n "$ALPHA_LAUNCHER" ] && [ -n "$BETA_LAUNCHER" ]; then
	kill -KILL "$ALPHA_LAUNCHER"
	ALPHA_WID=$(q get alpha-app id)
	check "4: SIGKILL to cage alpha's launcher is reported on stderr" \
		wait_for 100 grep -q "cage alpha killed by signal 9" "$T/session.log"
	check "4: ... and posted once, by the session (the launcher could not): one cage.crashed for alpha" \
		crashes alpha 1 "body~=The launcher of cage alpha was killed"
	alpha_restarted() {
		wait_for 200 new_alpha && wait_for 300 alpha_back
	}
	check "4: cage alpha (restart=true) is restarted: a new launcher, a new window" alpha_restarted
	kill -KILL "$BETA_LAUNCHER"
	check "4: SIGKILL to cage beta's launcher is reported and posted once (cage.crashed for beta)" \
		crashes beta 1 "body~=The launcher of cage beta was killed"
	gone_beta() {
		windows && ! q has beta-app
	}
	beta_stays_down() {
		sleep 2
		wait_for 100 gone_beta && ! child_with run beta >/dev/null
	}
	check "4: cage beta (restart=false) is not restarted and its window is gone" beta_stays_down

	# The cage itself crashes (its bwrap killed): the launcher sees it and
	# posts; the session, seeing the launcher exit by itself, does not.
	ALPHA_LAUNCHER=$(child_with run alpha)
	windows
	ALPHA_WID=$(q get alpha-app id)
	CAGE_PID=$(child_named "$ALPHA_LAUNCHER" bwrap)
	if [ -n "$CAGE_PID" ]; then
		kill -KILL "$CAGE_PID"
		check "4: SIGKILL to cage alpha's bwrap: the launcher posts one cage.crashed, the session none" \
			crashes alpha 2 "summary=Cage alpha crashed"
		check "4: ... and the cage is restarted (restart=true)" alpha_restarted
	else
		not_ok "4: cage alpha's bwrap is a child of its launcher ($ALPHA_LAUNCHER)"
	fi
else
	not_ok "4: the cage launchers are the session's children (alpha '$ALPHA_LAUNCHER', beta '$BETA_LAUNCHER')"
fi

BROKER=$(child_with "$TRANSFERD" --bus)
if [ -n "$BROKER" ]; then
	kill -KILL "$BROKER"
	new_broker() {
		grep -q "cloison-transferd killed by signal 9" "$T/session.log" &&
			[ "$(grep -c "cloison-transferd is ready" "$T/session.log")" -ge 2 ]
	}
	check "4: a killed broker is restarted with backoff and is ready again" wait_for 100 new_broker
	check "4: ... and a session.service-restarted event is posted" \
		wait_for 50 in_history style=security category=session.service-restarted severity=warning
else
	not_ok "4: the broker is a child of the session"
fi

# --- 5. SIGTERM: nothing left ----------------------------------------------------------------

tree=$(descendants "$SPID")
count=$(echo "$tree" | wc -w)
kill -TERM "$SPID"
wait_gone "$SPID" 300
wait "$SPID"
rc=$?
SPID=
check "5: SIGTERM: the session exits 0 (got $rc)" test $rc -eq 0
left=$(alive_of $tree)
if [ "$count" -ge 6 ] && [ -z "$left" ]; then
	ok "5: none of the $count processes of the session's tree is left"
else
	not_ok "5: none of the $count processes of the session's tree is left"
	for p in $left; do diag "left: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"; done
fi
check "5: the runtime directory $RUN/cloison is removed" test ! -e "$RUN/cloison"
check "5: the session logged a clean stop" grep -q "the session ended (exit status 0)" "$T/session.log"

# Again, on the same homes (started by root, the launcher gave them to the
# cage account): the session starts as before, and stops on SIGINT.
# This time notifyd runs on a bus of its own (a wrapper starts one in
# notifyd's process group, gone with it): posting on the core bus fails, as
# if notifyd were absent, and must not disturb the session.
cat >"$T/notifyd-elsewhere" <<EOF
#!/bin/sh
# The session gives "--bus ADDRESS" first.
[ "\$1" = --bus ] && shift 2
rm -f "$T/elsewhere.addr"
dbus-daemon --session --nofork --address=unix:path=$T/elsewhere-bus --print-address=4 \
	4>"$T/elsewhere.addr" 3>&- 2>/dev/null &
i=0
while [ ! -s "$T/elsewhere.addr" ] && [ \$i -lt 200 ]; do
	sleep 0.05
	i=\$((i + 1))
done
exec "$NOTIFYD" --bus "unix:path=$T/elsewhere-bus" "\$@"
EOF
chmod 0755 "$T/notifyd-elsewhere"
export CLOISON_NOTIFYD="$T/notifyd-elsewhere"
start_session "$T/session2.log"
export CLOISON_NOTIFYD="$NOTIFYD"
if wait_for 600 session_ready; then
	ok "a second session on the same data directories starts (bar and both windows mapped)"
	ALPHA_LAUNCHER=$(child_with run alpha)
	ALPHA_WID=$(q get alpha-app id)
	kill -KILL "$ALPHA_LAUNCHER"
	posting_failed() {
		grep -q "cannot post a security event" "$T/session2.log"
	}
	restarted_anyway() {
		wait_for 100 posting_failed && wait_for 200 new_alpha && wait_for 300 alpha_back &&
			kill -0 "$SPID"
	}
	check "without notifyd on the bus, a crashed cage is still restarted (the failed post only logged)" \
		restarted_anyway
else
	not_ok "a second session on the same data directories starts (bar and both windows mapped)"
	diag "$(tail -n 20 "$T/session2.log")"
fi
kill -INT "$SPID"
wait "$SPID"
rc=$?
SPID=
check "SIGINT: the session exits 0 (got $rc) and removes the runtime directory" \
	test $rc -eq 0 -a ! -e "$RUN/cloison"

# A compositor crash ends the session cleanly: exit 3, everything stopped.
start_session "$T/session3.log"
if wait_for 600 session_ready; then
	tree=$(descendants "$SPID")
	COMP_PID=$(child_with "$COMP" --headless)
	kill -KILL "$COMP_PID"
	wait "$SPID"
	rc=$?
	SPID=
	left=$(alive_of $tree)
	if [ $rc -eq 3 ] && [ -z "$left" ] && [ ! -e "$RUN/cloison" ] &&
		grep -q "the compositor killed by signal 9 (SIGKILL): ending the session" "$T/session3.log"; then
		ok "SIGKILL to the compositor ends the session: exit 3, nothing left, runtime directory removed"
	else
		not_ok "SIGKILL to the compositor ends the session: exit 3, nothing left, runtime directory removed"
		diag "exit $rc, left: $left" "$(tail -n 15 "$T/session3.log")"
	fi
else
	not_ok "a third session starts"
	diag "$(tail -n 20 "$T/session3.log")"
fi

# --- the demo ----------------------------------------------------------------------------------

"$SESSION" --demo --config "$CONF" >"$T/demo-bad.out" 2>"$T/demo-bad.err"
rc=$?
check "--demo refuses --config (exit 1, said on stderr)" \
	sh -c '[ "$1" -eq 1 ] && grep -q -- "--demo" "$2"' _ $rc "$T/demo-bad.err"
if command -v foot >/dev/null 2>&1; then
	timeout -k 5 150 "$SESSION" --demo --headless --size "${WIDTH}x$HEIGHT" >"$T/demo.out" 2>"$T/demo.log"
	rc=$?
	SHOT=$STATE/cloison/demo-screenshot.png
	if [ $rc -eq 0 ] && grep -qx "Screenshot of the demo session: $SHOT" "$T/demo.out" && [ -f "$SHOT" ] &&
		[ "$("$PNGPIX" "$SHOT" --size 2>/dev/null)" = "$WIDTH $HEIGHT" ]; then
		ok "--demo --headless: both cages' foot windows map, the screenshot is written, its path printed, exit 0"
	else
		not_ok "--demo --headless: both cages' foot windows map, the screenshot is written, its path printed, exit 0"
		diag "exit $rc; stdout: $(cat "$T/demo.out")" "$(tail -n 20 "$T/demo.log")"
	fi
	low=$("$PNGPIX" "$SHOT" --count-same 2e7d32 0 "$STRIP" "$WIDTH" "$HEIGHT" 2>/dev/null)
	high=$("$PNGPIX" "$SHOT" --count-same c62828 0 "$STRIP" "$WIDTH" "$HEIGHT" 2>/dev/null)
	if [ "${low:-0}" -gt 500 ] || [ "${high:-0}" -gt 500 ]; then
		ok "--demo: the screenshot shows level-coloured frames (low $low px, high $high px)"
	else
		not_ok "--demo: the screenshot shows level-coloured frames (low '$low' px, high '$high' px)"
	fi
	check "--demo: the sample document is in the low cage's home" \
		test -s "$DATA/cloison/cages/demo-low/home/Welcome to Cloison.txt"
	check "--demo: the runtime directory is removed" test ! -e "$RUN/cloison"
elif [ "$MUST_RUN" = 1 ]; then
	not_ok "--demo: foot is not installed (tools/install-deps)"
else
	ok "--demo # SKIP foot is not installed (tools/install-deps)"
fi

if cat "$T/session.log" "$T/session2.log" "$T/session3.log" "$T/demo.log" 2>/dev/null | grep -q "Sanitizer\|runtime error"; then
	not_ok "no sanitizer report in the session's log"
	diag "$(cat "$T/session.log" "$T/session2.log" "$T/session3.log" "$T/demo.log" 2>/dev/null | grep -A5 "Sanitizer\|runtime error" | head -n 30)"
else
	ok "no sanitizer report in the session's log"
fi

echo "1..$n"
[ $failed -eq 0 ]
