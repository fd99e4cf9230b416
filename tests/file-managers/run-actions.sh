#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: Cloison's Thunar, Dolphin and Nemo actions (file-managers/actions).
#
#   run-actions.sh COMPOSITOR CTL TRANSFERD CAGE CAGE_INIT AGENT CLI FM_RUN ACTIONS_DIR
#
#  - the files: uca.xml is well-formed XML (xmllint) and has the structure
#    Thunar reads (uca.dtd); the Dolphin service menu passes
#    desktop-file-validate except for the two keys it does not know for
#    Type=Service (MimeType, Actions), and has the keys Dolphin needs
#    (cl-fm-run check-dolphin, GKeyFile); the Nemo actions have the keys Nemo
#    needs (cl-fm-run check-nemo);
#  - each action run inside cage alpha as its file manager runs it (cl-fm-run:
#    Thunar's %F quoting and /bin/sh -c, KIO's one argument per path, Nemo's
#    Quote=single and shell-like split) on hostile names (spaces, quotes,
#    $(…), backticks, a newline, leading dashes, "--to=beta", not UTF-8):
#    every valid document lands exactly once in delta (the agent approves
#    to the first allowed target, no --to being given), the one that is not
#    UTF-8 is refused with the reason, nothing the names contain runs; the
#    move actions remove the source once it landed.
# The actions call `cloison-transfer --gui`; the cage's CLOISON_TRANSFER_GTK
# points at a script that runs cloison-transfer --no-gui --wait with the
# same arguments, so the arguments the file manager built go through
# cloison-transfer's own hand-over to its graphical mode (the window itself
# is run-transfer-gtk.sh's).
# Set-up in lib.sh.  Missing programs or cage support skip everything, or
# fail under CLOISON_TESTS_MUST_RUN=1.  Everything started is stopped by pid.
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
FM_RUN=${8:-}
ACTIONS=${9:-}
HERE=$(cd "$(dirname "$0")" && pwd)
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
TEST_NAME="the file-manager action"
PYTHON=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
TIMEOUT="timeout -k 5"

n=0
failed=0
skip_reason=
T=

trap fm_cleanup EXIT
trap 'exit 130' INT TERM HUP


for tool in xmllint desktop-file-validate dbus-daemon; do
	command -v $tool >/dev/null 2>&1 || {
		skip_reason="$tool is not installed (tools/install-deps)"
		skip_all
	}
done
[ -d "$ACTIONS" ] || {
	skip_reason="no actions directory '$ACTIONS'"
	skip_all
}
UCA=$ACTIONS/uca.xml
DOLPHIN=$ACTIONS/cloison-transfer.desktop
NEMO_COPY=$ACTIONS/cloison-transfer-copy.nemo_action
NEMO_MOVE=$ACTIONS/cloison-transfer-move.nemo_action

# --- the files ---------------------------------------------------------------------

is "uca.xml is well-formed XML (xmllint --noout)" xmllint --noout "$UCA"
if xmllint --noout --dtdvalid "$HERE/uca.dtd" "$UCA" >"${TMPDIR:-/tmp}/fm-uca.$$" 2>&1; then
	ok "uca.xml has the structure Thunar reads (uca.dtd)"
else
	not_ok "uca.xml has the structure Thunar reads (uca.dtd)"
	diag "$(cat "${TMPDIR:-/tmp}/fm-uca.$$")"
fi
rm -f "${TMPDIR:-/tmp}/fm-uca.$$"
is "uca.xml: two actions, copy and move, on files only, paths after --" sh -c '
	[ "$(xmllint --xpath "count(/actions/action)" "$1")" = 2 ] &&
	[ "$(xmllint --xpath "count(/actions/action/directories)" "$1")" = 0 ] &&
	[ "$(xmllint --xpath "string(/actions/action[unique-id=\"cloison-transfer-copy\"]/command)" "$1")" = "cloison-transfer --gui -- %F" ] &&
	[ "$(xmllint --xpath "string(/actions/action[unique-id=\"cloison-transfer-move\"]/command)" "$1")" = "cloison-transfer --gui --move -- %F" ]' \
	_ "$UCA"

# desktop-file-validate knows Type=Service files only partly: every error but
# "only valid for type Application" on MimeType and Actions counts.
desktop-file-validate "$DOLPHIN" >"${TMPDIR:-/tmp}/fm-dfv.$$" 2>&1
others=$(grep -v 'key "\(MimeType\|Actions\)" is present in group "Desktop Entry", but the type is "Service"' \
	"${TMPDIR:-/tmp}/fm-dfv.$$" | grep -c .)
if [ "$others" = 0 ]; then
	ok "Dolphin service menu: desktop-file-validate finds nothing but the Type=Service keys"
else
	not_ok "Dolphin service menu: desktop-file-validate finds nothing but the Type=Service keys"
	diag "$(cat "${TMPDIR:-/tmp}/fm-dfv.$$")"
fi
rm -f "${TMPDIR:-/tmp}/fm-dfv.$$"
is "Dolphin service menu: the keys Dolphin needs (GKeyFile)" "$FM_RUN" check-dolphin "$DOLPHIN"
is "Nemo actions: the keys Nemo needs (GKeyFile)" sh -c '"$1" check-nemo "$2" && "$1" check-nemo "$3"' \
	_ "$FM_RUN" "$NEMO_COPY" "$NEMO_MOVE"
# A check that cannot fail is no check: a broken copy must be caught.
sed 's/^Exec=.*/Exec=cloison-transfer --gui %F/' "$NEMO_COPY" >"${TMPDIR:-/tmp}/fm-bad.$$.nemo_action"
is "the key checks catch an Exec without -- before the paths" \
	sh -c '! "$1" check-nemo "$2" >/dev/null' _ "$FM_RUN" "${TMPDIR:-/tmp}/fm-bad.$$.nemo_action"
rm -f "${TMPDIR:-/tmp}/fm-bad.$$.nemo_action"

# --- run as the file managers run them, in a cage ------------------------------------------

cage_prereqs "$COMP" "$CTL" "$TRANSFERD" "$CAGE_BIN" "$CAGE_INIT" "$AGENT" "$CLI" "$FM_RUN" || {
	if [ "$MUST_RUN" = 1 ]; then
		not_ok "actions in a cage cannot run: $skip_reason"
	else
		n=$((n + 1))
		echo "ok $n - actions in a cage # SKIP $skip_reason"
	fi
	echo "1..$n"
	[ "$failed" -eq 0 ]
	exit
}
if ! fm_setup; then
	not_ok "set-up (compositor, bus, broker, agent)"
	echo "1..$n"
	exit 1
fi

mkdir -m 0755 "$A/bin" "$A/actions"
cp "$CLI" "$A/bin/cloison-transfer"
cp "$FM_RUN" "$A/bin/cl-fm-run"
cp "$UCA" "$DOLPHIN" "$NEMO_COPY" "$NEMO_MOVE" "$A/actions/"
cat >"$A/bin/text-mode" <<'EOF'
#!/bin/sh
exec /home/user/bin/cloison-transfer --no-gui --wait "$@"
EOF
chmod 0755 "$A/bin/text-mode"

# hostile DIR TAG: the hostile names in DIR (under alpha's home), each with
# the content "TAG N"; their in-cage paths in $T/TAG.paths (NUL-separated).
hostile() {
	dir=$1
	tag=$2
	mkdir -p "$A/$dir"
	i=0
	: >"$T/$tag.paths"
	for name in "with space.txt" "it's \"quoted\".txt" '$(touch pwned-dollar).txt' \
		'`touch pwned-backtick`.txt' "semi;touch pwned-semi.txt" \
		"$(printf 'new\nline.txt')" "-rf" "--to=beta" "%F percent.txt" \
		"$(printf 'latin1-\351t\351.txt')"; do
		i=$((i + 1))
		printf '%s %s\n' "$tag" "$i" >"$A/$dir/$name"
		printf '/home/user/%s/%s\0' "$dir" "$name" >>"$T/$tag.paths"
	done
}

# run_fm TAG MODE ARGS...: cl-fm-run MODE ARGS... in cage alpha on the
# hostile paths of TAG; status in rc, output in $T/TAG.out.
run_fm() {
	tag=$1
	shift
	# The paths (any bytes but NUL) appended as arguments; exec keeps the status.
	# shellcheck disable=SC2086
	"$PYTHON" -c 'import os, sys
paths = open(sys.argv[1], "rb").read().split(b"\0")[:-1]
args = [os.fsencode(a) for a in sys.argv[2:]] + paths
os.execvp(args[0], args)' "$T/$tag.paths" $TIMEOUT 120 "$CAGE_BIN" --config "$CONF" run alpha -- \
		/usr/bin/env CLOISON_TRANSFER_GTK=/home/user/bin/text-mode \
		/home/user/bin/cl-fm-run --path /home/user/bin "$@" </dev/null >"$T/$tag.out" 2>&1
	rc=$?
}

# landed_once TAG: each valid document of TAG (contents "TAG 1" to "TAG 9")
# is in delta's Incoming/alpha exactly once; "TAG 10" (not UTF-8) nowhere.
landed_once() {
	for i in 1 2 3 4 5 6 7 8 9; do
		c=$(grep -rlx "$1 $i" "$D/Incoming/alpha" 2>/dev/null | wc -l)
		if [ "$c" != 1 ]; then
			diag "$1 $i landed $c times"
			return 1
		fi
	done
	! grep -rqx "$1 10" "$D/Incoming/alpha" 2>/dev/null
}

no_injection() {
	[ -z "$(find "$A" "$D" -name 'pwned*' 2>/dev/null)" ]
}

check_run() { # check_run TAG DESCRIPTION
	if [ "$rc" = 2 ] && landed_once "$1" && no_injection &&
		grep -q "not valid UTF-8" "$T/$1.out"; then
		ok "$2"
	else
		not_ok "$2"
		diag "exit $rc" "$(head -c 1500 "$T/$1.out")"
	fi
}

hostile thunar thunar
run_fm thunar thunar /home/user/actions/uca.xml cloison-transfer-copy
check_run thunar "Thunar (%F quoted, sh -c): every hostile name lands once, the non-UTF-8 one refused with the reason, exit 2, nothing injected"

hostile dolphin dolphin
run_fm dolphin dolphin /home/user/actions/cloison-transfer.desktop cloisonTransferCopy
check_run dolphin "Dolphin (one argument per path): every hostile name lands once, the non-UTF-8 one refused with the reason, exit 2, nothing injected"

hostile nemo nemo
run_fm nemo nemo /home/user/actions/cloison-transfer-copy.nemo_action
check_run nemo "Nemo (Quote=single): every hostile name lands once, the non-UTF-8 one refused with the reason, exit 2, nothing injected"

is "no document went anywhere but delta (the target nobody named: --to=beta is a file)" \
	sh -c '[ -z "$(ls -A "$1/Incoming" 2>/dev/null)" ] && [ -z "$(ls -A "$2/Incoming" 2>/dev/null)" ]' \
	_ "$B" "$G"

# The move actions: the source goes once it landed.
for fm in thunar dolphin nemo; do
	mkdir -p "$A/move-$fm"
	printf 'move %s\n' "$fm" >"$A/move-$fm/it's moved.txt"
	printf '/home/user/move-%s/it'"'"'s moved.txt\0' "$fm" >"$T/move-$fm.paths"
done
run_fm move-thunar thunar /home/user/actions/uca.xml cloison-transfer-move
r1=$rc
run_fm move-dolphin dolphin /home/user/actions/cloison-transfer.desktop cloisonTransferMove
r2=$rc
run_fm move-nemo nemo /home/user/actions/cloison-transfer-move.nemo_action
r3=$rc
is "the move actions (Thunar, Dolphin, Nemo): landed once, the source removed, exit 0" sh -c '
	[ "$1 $2 $3" = "0 0 0" ] || exit 1
	for fm in thunar dolphin nemo; do
		[ ! -e "$4/move-$fm/it'"'"'s moved.txt" ] || exit 1
		[ "$(grep -rlx "move $fm" "$5/Incoming/alpha" | wc -l)" = 1 ] || exit 1
	done' _ "$r1" "$r2" "$r3" "$A" "$D"

echo "1..$n"
[ "$failed" -eq 0 ]
