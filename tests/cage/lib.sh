# shellcheck shell=sh disable=SC2034
# Shared by the TAP suites of tests/cage/ (sourced, POSIX sh).
#
# stop_pids PID...   SIGTERM each pid we started, then wait for them.
# diag LINE...       TAP diagnostic lines.
# need_executables USAGE FILE...
#                    0 if every FILE is executable; else 1 with $skip_reason
#                    ("usage: USAGE" for an empty FILE).
# cage_prereqs BINARY...
#                    Can real cages run here?  0 if so; else 1 with
#                    $skip_reason saying why (binaries missing, no bwrap, no
#                    python3, no cloison-cage account under root, user
#                    namespaces disabled or unusable).

stop_pids() {
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "$@"; do
		wait "$pid" 2>/dev/null
	done
	return 0
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

need_executables() {
	usage=$1
	shift
	for f in "$@"; do
		if [ -z "$f" ]; then
			skip_reason="usage: $usage"
			return 1
		fi
		if [ ! -x "$f" ]; then
			skip_reason="$f is not built"
			return 1
		fi
	done
}

cage_prereqs() {
	need_executables "a required program was not given" "$@" || return 1
	if ! command -v bwrap >/dev/null 2>&1; then
		skip_reason="bubblewrap (bwrap) is not installed (tools/install-deps)"
		return 1
	fi
	if ! command -v "${PYTHON:-python3}" >/dev/null 2>&1; then
		skip_reason="python3 is not installed"
		return 1
	fi
	if [ "$(id -u)" = 0 ] && ! id cloison-cage >/dev/null 2>&1; then
		skip_reason="running as root without the unprivileged account cloison-cage (tools/install-deps creates it)"
		return 1
	fi
	if [ -r /proc/sys/user/max_user_namespaces ] &&
		[ "$(cat /proc/sys/user/max_user_namespaces)" = 0 ]; then
		skip_reason="user namespaces are disabled (user.max_user_namespaces=0)"
		return 1
	fi
	if [ -r /proc/sys/kernel/unprivileged_userns_clone ] &&
		[ "$(cat /proc/sys/kernel/unprivileged_userns_clone)" = 0 ]; then
		skip_reason="unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)"
		return 1
	fi
	# As the account bwrap will run as, can it make a user namespace?
	if [ "$(id -u)" = 0 ]; then
		if command -v setpriv >/dev/null 2>&1 &&
			! setpriv --reuid=cloison-cage --regid=cloison-cage --clear-groups \
				bwrap --unshare-user --ro-bind / / true 2>/dev/null; then
			skip_reason="bwrap cannot create a user namespace as cloison-cage here"
			return 1
		fi
	elif ! bwrap --unshare-user --ro-bind / / true 2>/dev/null; then
		skip_reason="bwrap cannot create a user namespace here"
		return 1
	fi
	return 0
}
