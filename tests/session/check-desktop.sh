#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP: the wayland-sessions entry (data/cloison.desktop.in, configured into
# the build tree) is valid and starts the installed cloison-session.
#
#   check-desktop.sh DESKTOP_FILE
set -u
F=${1:-}
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

if [ -z "$F" ] || [ ! -f "$F" ]; then
	not_ok "the desktop entry exists ('$F')"
	echo "1..$n"
	exit 1
fi
if command -v desktop-file-validate >/dev/null 2>&1; then
	if out=$(desktop-file-validate "$F" 2>&1) && [ -z "$out" ]; then
		ok "desktop-file-validate accepts $F without a warning"
	else
		not_ok "desktop-file-validate accepts $F" "$out"
	fi
elif [ "$MUST_RUN" = 1 ]; then
	not_ok "desktop-file-validate is not installed (tools/install-deps)"
else
	ok "desktop-file-validate # SKIP not installed (tools/install-deps)"
fi
if grep -qx 'Name=Cloison (multi-level)' "$F"; then
	ok "the entry is named \"Cloison (multi-level)\""
else
	not_ok "the entry is named \"Cloison (multi-level)\"" "$(grep '^Name' "$F")"
fi
exec_line=$(sed -n 's/^Exec=//p' "$F")
case $exec_line in
/*/cloison-session) ok "Exec is the absolute path of cloison-session ($exec_line)" ;;
*) not_ok "Exec is the absolute path of cloison-session" "Exec=$exec_line" ;;
esac
echo "1..$n"
[ $failed -eq 0 ]
