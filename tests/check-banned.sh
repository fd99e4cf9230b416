#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: no call to an unsafe or banned libc function in the project's C
# sources.  One TAP line per banned function; on failure the diagnostic lists
# every FILE:LINE that calls it.  Use g_strlcpy/g_strlcat, g_snprintf or
# g_strdup_printf, g_ascii_strtoll/g_ascii_string_to_signed, g_spawn_* and
# g_mkstemp/g_file_open_tmp instead.
#
# Environment: CLOISON_SOURCE_ROOT (default: this script's parent directory).
set -u

root=${CLOISON_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || {
	echo "1..0 # SKIP cannot enter source root '$root'"
	exit 1
}

BANNED="strcpy strcat sprintf vsprintf gets strtok atoi atol atoll system popen alloca
mktemp tmpnam tempnam strncpy"
SRC_DIRS="common session compositor confidentiality-bar transfer notify cages tests bench"

# The C sources to scan: *.c and *.h in the source folders, not build trees.
list_sources() {
	for d in $SRC_DIRS; do
		[ -d "$d" ] || continue
		find "$d" \( -type d \( -name 'build*' -o -name subprojects -o -name '.*' \) -prune \) \
			-o -type f \( -name '*.c' -o -name '*.h' \) -print
	done | LC_ALL=C sort
}

files=$(list_sources)
self=tests/check-banned.sh

# shellcheck disable=SC2086
set -- $BANNED
echo "1..$#"

i=0
failed=0
for fn in $BANNED; do
	i=$((i + 1))
	hits=""
	if [ -n "$files" ]; then
		# A call: the name as a whole word (not a member access like
		# p->system or s.atoi, not part of g_strlcpy), optional blanks, "(".
		# shellcheck disable=SC2086
		hits=$(printf '%s\n' $files | grep -v -x -F "$self" |
			tr '\n' '\0' | xargs -0 -r grep -n -H -E \
				"(^|[^[:alnum:]_.>])${fn}[[:space:]]*\\(" 2>/dev/null)
	fi
	if [ -z "$hits" ]; then
		echo "ok $i - no call to $fn()"
	else
		failed=1
		echo "not ok $i - $fn() is banned"
		printf '%s\n' "$hits" | sed 's/^/# /'
	fi
done
exit "$failed"
