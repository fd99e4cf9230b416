#!/bin/sh
# TAP test of the cloison-config tool, run as a user would run it.
set -u
BIN=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export LANGUAGE=C LC_ALL=C
export HOME="$T/home" XDG_CONFIG_HOME="$T/xdg"
mkdir -p "$HOME" "$XDG_CONFIG_HOME"

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # check NAME COND-EXIT-STATUS
	if [ "$2" -eq 0 ]; then ok "$1"; else not_ok "$1" "stdout: $(head -c 400 "$T/out")" "stderr: $(head -c 400 "$T/err")"; fi
}

cat > "$T/good.conf" <<'CONF'
[level public]
label=Public
colour=#00aa00
rank=1
[level secret]
label=Secret
colour=#aa0000
rank=9
[cage web]
level=public
network=true
applications=foot;gtk4-demo
[cage vault]
level=secret
[transfer public secret]
action=ask
types=*/*
CONF

"$BIN" --default >"$T/out" 2>"$T/err"; rc=$?
grep -q '^\[level low\]' "$T/out" && grep -q '^\[transfer high low\]' "$T/out" && [ $rc -eq 0 ]
check "--default prints the built-in configuration" $?

"$BIN" >"$T/out" 2>"$T/err"; rc=$?
grep -q 'resolved from (built-in default)' "$T/out" && [ $rc -eq 0 ]
check "no file anywhere: built-in default" $?

mkdir -p "$XDG_CONFIG_HOME/cloison" && cp "$T/good.conf" "$XDG_CONFIG_HOME/cloison/cloison.conf"
"$BIN" >"$T/out" 2>"$T/err"; rc=$?
grep -q '^\[cage vault\]' "$T/out" && [ $rc -eq 0 ]
check "XDG_CONFIG_HOME file is found" $?
rm -r "$XDG_CONFIG_HOME/cloison"

"$BIN" --config "$T/good.conf" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && grep -q '^memory-max=infinity' "$T/out" && grep -q '^max-size=100MiB' "$T/out"
check "--config prints defaults filled in" $?

cp "$T/out" "$T/resolved.conf"
"$BIN" --config "$T/resolved.conf" >"$T/out2" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && tail -n +2 "$T/out" | cmp -s - "$(tail -n +2 "$T/out2" >"$T/o2"; echo "$T/o2")"
check "resolved output loads back to the same configuration" $?

"$BIN" --check --config "$T/good.conf" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$T/out" ] && [ ! -s "$T/err" ]
check "--check is silent on a valid file" $?

printf '[level a]\nlabel=A\ncolour=#000000\nrank=1\n[cage x]\nlevel=b\n' >"$T/bad.conf"
"$BIN" --check --config "$T/bad.conf" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -qF "$T/bad.conf:6: [cage x] level: names the undefined level" "$T/err" && [ ! -s "$T/out" ]
check "an invalid file exits 1 naming file, line, group and key" $?

"$BIN" --config "$T/missing.conf" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -qF "$T/missing.conf" "$T/err"
check "a missing file exits 1 naming it" $?

"$BIN" --no-such-option >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && [ -s "$T/err" ]
check "an unknown option exits 2" $?

"$BIN" --default --config "$T/good.conf" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 2 ]
check "--default with --config is a usage error" $?

printf '[level a]\nlabel=A\ncolour=\033]0;pwned\007\nrank=1\n[cage x]\nlevel=a\n' >"$T/esc.conf"
"$BIN" --config "$T/esc.conf" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && ! grep -q "$(printf '\033')" "$T/err"
check "terminal escapes in a bad file never reach the terminal" $?

echo "1..$n"
[ $fails -eq 0 ]
