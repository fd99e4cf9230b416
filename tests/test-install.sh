#!/bin/sh
# TAP: `meson install` into a DESTDIR produces binaries, data, man pages and
# translations, and the installed tool works.
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

prefix=$(meson introspect --buildoptions "$CLOISON_BUILD_ROOT" |
	/usr/bin/python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')

if meson install -C "$CLOISON_BUILD_ROOT" --destdir "$T/dest" --no-rebuild >"$T/log" 2>&1; then
	ok "meson install --destdir succeeds"
else
	not_ok "meson install --destdir succeeds" "$(tail -5 "$T/log")"
fi

root="$T/dest$prefix"
for f in bin/cloison-config bin/cloison-cage libexec/cloison/cloison-cage-init \
	libexec/cloison/cloison-cage-scope share/cloison/cloison.conf.example \
	share/locale/fr/LC_MESSAGES/cloison.mo \
	share/man/man1/cloison-config.1 share/man/man1/cloison-ctl.1 share/man/man5/cloison.conf.5 \
	share/man/man1/cloison-cage.1 share/man/man1/cloison-compositor.1 \
	share/man/man1/cloison-transferd.1 share/man/man1/cloison-transfer.1 \
	share/man/man1/cloison-bar.1 libexec/cloison/cloison-bar \
	bin/cloison-compositor bin/cloison-ctl bin/cloison-transferd bin/cloison-transfer \
	bin/cloison-notifyd libexec/cloison/cloison-notify-forward \
	share/man/man1/cloison-notifyd.1 \
	bin/cloison-session share/man/man1/cloison-session.1 share/wayland-sessions/cloison.desktop \
	libexec/cloison/cloison-transfer-gtk share/cloison/cage-home/.config/Thunar/uca.xml \
	share/kio/servicemenus/cloison-transfer.desktop \
	share/nemo/actions/cloison-transfer-copy.nemo_action \
	share/nemo/actions/cloison-transfer-move.nemo_action; do
	if [ -f "$root/$f" ]; then ok "installs $f"; else not_ok "installs $f" "missing: $root/$f"; fi
done

# The forwarder is activated on each cage's own bus, never on the host's.
if [ -n "$(find "$T/dest" -name '*.service' -path '*dbus-1*')" ]; then
	not_ok "no D-Bus service file for org.freedesktop.Notifications is installed on the host"
else
	ok "no D-Bus service file for org.freedesktop.Notifications is installed on the host"
fi

if "$root/bin/cloison-config" --check --config "$root/share/cloison/cloison.conf.example" >"$T/out" 2>&1; then
	ok "installed cloison-config accepts the installed example"
else
	not_ok "installed cloison-config accepts the installed example" "$(cat "$T/out")"
fi

if grep -qx "Exec=$prefix/bin/cloison-session" "$root/share/wayland-sessions/cloison.desktop" 2>/dev/null; then
	ok "the installed wayland-sessions entry starts the installed cloison-session"
else
	not_ok "the installed wayland-sessions entry starts the installed cloison-session" \
		"$(grep '^Exec' "$root/share/wayland-sessions/cloison.desktop" 2>&1)"
fi

if "$root/bin/cloison-session" --version 2>&1 | grep -q '^cloison-session '; then
	ok "the installed cloison-session runs"
else
	not_ok "the installed cloison-session runs"
fi

if msgunfmt "$root/share/locale/fr/LC_MESSAGES/cloison.mo" 2>/dev/null | grep -q 'is required but missing'; then
	ok "the French catalogue is compiled with the messages"
else
	not_ok "the French catalogue is compiled with the messages"
fi

# The Nautilus extension goes where Nautilus loads extensions from (the
# extensiondir of libnautilus-extension-4, outside the prefix), exporting
# only the module's entry points.
if [ -f "$CLOISON_BUILD_ROOT/file-managers/nautilus/libcloison-nautilus.so" ]; then
	ext=$(pkg-config --variable=extensiondir libnautilus-extension-4 2>/dev/null)
	mod=$T/dest$ext/libcloison-nautilus.so
	if [ -n "$ext" ] && [ -f "$mod" ]; then
		ok "installs the Nautilus extension into $ext"
	else
		not_ok "installs the Nautilus extension into '$ext'" "$(find "$T/dest" -name 'libcloison-nautilus*')"
	fi
	syms=$(nm -D --defined-only "$mod" 2>/dev/null | awk '{print $NF}' | sort | tr '\n' ' ')
	if [ "$syms" = "nautilus_module_initialize nautilus_module_list_types nautilus_module_shutdown " ]; then
		ok "the Nautilus extension exports only nautilus_module_*"
	else
		not_ok "the Nautilus extension exports only nautilus_module_*" "exports: $syms"
	fi
fi

echo "1..$n"
[ $fails -eq 0 ]
