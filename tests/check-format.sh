#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: every C source and header of the project is formatted as
# .clang-format says.  One TAP line per file; on failure the diagnostic shows
# clang-format's complaints.  Fix with:  clang-format -i FILE
#
# Environment: CLOISON_SOURCE_ROOT (default: this script's parent directory),
# CLANG_FORMAT (default: clang-format), CLOISON_TESTS_MUST_RUN=1 turns a
# missing clang-format into a failure instead of a skip.
set -u

root=${CLOISON_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || {
	echo "1..1"
	echo "not ok 1 - cannot enter source root '$root'"
	exit 1
}

SRC_DIRS="common session compositor confidentiality-bar transfer notify cages tests bench"
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}

if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
	if [ "${CLOISON_TESTS_MUST_RUN:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - $CLANG_FORMAT not found (install it: tools/install-deps)"
		exit 1
	fi
	echo "1..0 # SKIP $CLANG_FORMAT not found (install it: tools/install-deps)"
	exit 0
fi

if [ ! -f .clang-format ]; then
	echo "1..1"
	echo "not ok 1 - no .clang-format at the source root $root"
	exit 1
fi

list_sources() {
	for d in $SRC_DIRS; do
		[ -d "$d" ] || continue
		find "$d" \( -type d \( -name 'build*' -o -name subprojects -o -name '.*' \) -prune \) \
			-o -type f \( -name '*.c' -o -name '*.h' \) -print
	done | LC_ALL=C sort
}

files=$(list_sources)
if [ -z "$files" ]; then
	echo "1..0 # SKIP no C sources found under $root"
	exit 0
fi

n=$(printf '%s\n' "$files" | wc -l)
echo "1..$n"

i=0
failed=0
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
for f in $files; do
	i=$((i + 1))
	if "$CLANG_FORMAT" --style=file --dry-run --Werror "$f" >"$tmp" 2>&1; then
		echo "ok $i - $f"
	else
		failed=1
		echo "not ok $i - $f is not formatted (run: $CLANG_FORMAT -i $f)"
		# Show the first complaints only; the command above fixes them all.
		head -n 30 "$tmp" | sed 's/^/# /'
	fi
done
exit "$failed"
