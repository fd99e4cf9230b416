#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: the translation catalogues are complete and consistent.
#   - every source file with marked strings (_("…"), N_("…"), C_(…)) is listed
#     in po/POTFILES.in, and every listed file exists;
#   - xgettext extracts the strings without error or warning (e.g. a string
#     cut short by a macro such as G_GUINT64_FORMAT: use PRIu64 instead);
#   then, for each language in po/LINGUAS:
#   - msgcmp: every msgid of a freshly extracted template is translated in
#     LANG.po (fuzzy and untranslated entries count as missing);
#   - msgfmt --statistics: no fuzzy or untranslated entry in LANG.po;
#   - msgfmt -c: the catalogue compiles and format strings match.
# To update after changing strings:  ninja -C build cloison-update-po
# then translate the new or fuzzy entries and remove their "fuzzy" flag.
#
# Environment: CLOISON_SOURCE_ROOT (default: this script's parent directory),
# CLOISON_TESTS_MUST_RUN=1 turns missing gettext tools into a failure.
set -u

root=${CLOISON_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || {
	echo "1..1"
	echo "not ok 1 - cannot enter source root '$root'"
	exit 1
}

SRC_DIRS="common session compositor confidentiality-bar transfer notify cages"
DOMAIN=cloison
# The same arguments as meson's i18n.gettext(preset: 'glib') (po/meson.build).
XGETTEXT_ARGS="--from-code=UTF-8 --add-comments
--keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2
--keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3
--keyword=ngettext:1,2
--flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format
--flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format
--flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format
--flag=g_error_new:3:c-format --flag=g_set_error:4:c-format
--flag=g_markup_printf_escaped:1:c-format --flag=g_log:3:c-format
--flag=g_print:1:c-format --flag=g_printerr:1:c-format --flag=g_printf:1:c-format
--flag=g_fprintf:2:c-format --flag=g_sprintf:2:c-format --flag=g_snprintf:3:c-format"

missing_tools=""
for t in xgettext msgcmp msgfmt; do
	command -v "$t" >/dev/null 2>&1 || missing_tools="$missing_tools $t"
done
if [ -n "$missing_tools" ]; then
	if [ "${CLOISON_TESTS_MUST_RUN:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - gettext tools missing:$missing_tools (install gettext: tools/install-deps)"
		exit 1
	fi
	echo "1..0 # SKIP gettext tools missing:$missing_tools"
	exit 0
fi

if [ -f po/POTFILES.in ]; then
	potfiles=po/POTFILES.in
elif [ -f po/POTFILES ]; then
	potfiles=po/POTFILES
else
	echo "1..1"
	echo "not ok 1 - no po/POTFILES.in"
	exit 1
fi

langs=""
if [ -f po/LINGUAS ]; then
	langs=$(sed -e 's/#.*//' po/LINGUAS | tr -s ' \t' '\n' | grep -v '^$')
fi

n=2
for l in $langs; do
	n=$((n + 3))
done
echo "1..$n"

# Copy gettext's "FILE:LINE: problem" diagnostics (stdin) as TAP comments,
# adding the msgid found at that line of the catalogue $1 or template $2.
annotate() {
	awk -v po="$1" -v pot="$2" '
	BEGIN {
		n = 0
		while ((getline l < po) > 0) pl[++n] = l
		n = 0
		while ((getline l < pot) > 0) tl[++n] = l
	}
	{
		line = $0
		what = ""
		if (index(line, pot ":") == 1) {
			k = substr(line, length(pot) + 2) + 0
			for (r = k; r > 0 && tl[r] != ""; r--) {
				if (what == "" && tl[r] ~ /^msgid /)
					what = tl[r]
				if (tl[r] ~ /^#: /) {
					what = what "  (" substr(tl[r], 4) ")"
					break
				}
			}
			sub(/^[^:]*:/, "template:", line)
		} else if (index(line, po ":") == 1) {
			k = substr(line, length(po) + 2) + 0
			for (r = k; r > 0 && pl[r] != ""; r--)
				if (pl[r] ~ /^msgid /) {
					what = pl[r]
					break
				}
		}
		print "# " line
		if (what != "")
			print "#     " what
	}'
}

tmpdir=$(mktemp -d) || exit 1
trap 'rm -rf "$tmpdir"' EXIT
failed=0

# --- 1. POTFILES.in lists exactly the files it must -----------------------
# Entries: ignore comments and blank lines, strip surrounding blanks.
sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$potfiles" |
	grep -v '^$' | LC_ALL=C sort -u >"$tmpdir/listed"
: >"$tmpdir/marked"
for d in $SRC_DIRS; do
	[ -d "$d" ] || continue
	find "$d" \( -type d \( -name 'build*' -o -name subprojects -o -name '.*' \) -prune \) \
		-o -type f \( -name '*.c' -o -name '*.h' \) -print
done | LC_ALL=C sort | while read -r f; do
	# _(", N_(", C_(", NC_(" as a whole word (not my_func_(").
	if grep -q -E '(^|[^[:alnum:]_])(N?C?_)[[:space:]]*\([[:space:]]*"' "$f"; then
		echo "$f"
	fi
done >"$tmpdir/marked"

unlisted=$(LC_ALL=C comm -23 "$tmpdir/marked" "$tmpdir/listed")
absent=""
while read -r f; do
	[ -f "$f" ] || absent="$absent $f"
done <"$tmpdir/listed"
if [ -z "$unlisted" ] && [ -z "$absent" ]; then
	echo "ok 1 - $potfiles lists every source file with translatable strings"
else
	failed=1
	echo "not ok 1 - $potfiles is out of date"
	for f in $unlisted; do
		echo "# $f has translatable strings but is not listed in $potfiles"
	done
	for f in $absent; do
		echo "# $f is listed in $potfiles but does not exist"
	done
fi

# Extract a fresh template from the listed files that exist.
: >"$tmpdir/files"
while read -r f; do
	[ -f "$f" ] && echo "$f" >>"$tmpdir/files"
done <"$tmpdir/listed"
# --- 2. xgettext extracts the strings cleanly --------------------------------
pot_ok=1
# shellcheck disable=SC2086
if ! LC_ALL=C xgettext --package-name="$DOMAIN" --force-po -f "$tmpdir/files" \
	-o "$tmpdir/$DOMAIN.pot" $XGETTEXT_ARGS >"$tmpdir/xgettext.log" 2>&1; then
	pot_ok=0
fi
# A msgid ending in the middle of a directive ("… %") was cut short by a
# macro (G_GUINT64_FORMAT…) that xgettext cannot expand, so it never matches
# at run time; xgettext itself only warns when it knows the call takes a format.
if [ "$pot_ok" = 1 ]; then
	awk '
	function flush() {
		if (inid) {
			t = id
			gsub(/%%/, "", t)
			if (t ~ /%$/)
				printf "%s: msgid \"%s\" ends in the middle of a %% directive\n", where, id
		}
		inid = 0
	}
	/^#: / { loc = $2 }
	/^msgid "/ { flush(); inid = 1; where = loc; id = substr($0, 8, length($0) - 8); next }
	/^"/ { if (inid) id = id substr($0, 2, length($0) - 2); next }
	{ flush() }
	END { flush() }
	' "$tmpdir/$DOMAIN.pot" | LC_ALL=C sort -u >>"$tmpdir/xgettext.log"
fi
if [ "$pot_ok" != 1 ]; then
	failed=1
	echo "not ok 2 - xgettext cannot extract the strings"
	sed 's/^/# /' "$tmpdir/xgettext.log"
elif [ -s "$tmpdir/xgettext.log" ]; then
	failed=1
	echo "not ok 2 - xgettext warns about marked strings"
	sed 's/^/# /' "$tmpdir/xgettext.log"
	echo "# hint: inside _() write \"%\" PRIu64 (<inttypes.h>; xgettext knows it), not G_GUINT64_FORMAT"
else
	echo "ok 2 - xgettext extracts $(($(grep -c '^msgid ' "$tmpdir/$DOMAIN.pot") - 1)) strings cleanly"
fi

i=2
for l in $langs; do
	po=po/$l.po

	# --- 3. every marked string is translated in LANG.po ---------------
	i=$((i + 1))
	if [ ! -f "$po" ]; then
		echo "not ok $i - $po: missing (language $l is in po/LINGUAS)"
		failed=1
	elif [ "$pot_ok" != 1 ]; then
		echo "not ok $i - $po: cannot compare, xgettext failed (see test 2)"
		failed=1
	elif msgcmp "$po" "$tmpdir/$DOMAIN.pot" >"$tmpdir/msgcmp.log" 2>&1; then
		echo "ok $i - $po: every marked string is translated"
	else
		echo "not ok $i - $po: strings missing, untranslated or fuzzy (run ninja -C build $DOMAIN-update-po and translate)"
		# (entries it ignores as untranslated or fuzzy also show as "not used")
		grep -v 'warning: this message is not used' "$tmpdir/msgcmp.log" |
			annotate "$po" "$tmpdir/$DOMAIN.pot"
		failed=1
	fi

	# --- 4. no fuzzy or untranslated entry -------------------------------
	i=$((i + 1))
	if [ ! -f "$po" ]; then
		echo "not ok $i - $po: missing"
		failed=1
	else
		LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" >"$tmpdir/stats" 2>&1
		rc=$?
		summary=$(grep -E 'translated message|fuzzy translation|untranslated message' \
			"$tmpdir/stats" | tail -n 1)
		if [ "$rc" = 0 ] && ! printf '%s\n' "$summary" | grep -q -E 'fuzzy|untranslated' &&
			[ -n "$summary" ]; then
			echo "ok $i - $po: $summary"
		else
			failed=1
			echo "not ok $i - $po: ${summary:-no statistics} (msgfmt --check --statistics)"
			grep -v -F -x -e "$summary" "$tmpdir/stats" | sed 's/^/# /'
			# Name the fuzzy and untranslated entries.
			if command -v msgattrib >/dev/null 2>&1; then
				msgattrib --only-fuzzy --no-obsolete "$po" 2>/dev/null |
					grep '^msgid ' | grep -v '^msgid ""$' | sed 's/^/# fuzzy: /'
				msgattrib --untranslated --no-obsolete "$po" 2>/dev/null |
					grep '^msgid ' | grep -v '^msgid ""$' | sed 's/^/# untranslated: /'
			fi
		fi
	fi

	# --- 5. compiles, format strings consistent ---------------------------
	i=$((i + 1))
	if [ ! -f "$po" ]; then
		echo "not ok $i - $po: missing"
		failed=1
	elif LC_ALL=C msgfmt -c -o /dev/null "$po" >"$tmpdir/msgfmt.log" 2>&1; then
		echo "ok $i - $po: msgfmt -c (header, format strings) passes"
	else
		echo "not ok $i - $po: msgfmt -c fails"
		sed 's/^/# /' "$tmpdir/msgfmt.log"
		failed=1
	fi
done
exit "$failed"
