#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# TAP test: the cage launcher's documented behaviour (docs/cages.md).
#
#   run-launcher.sh CLOISON_CAGE CAGE_INIT FAKE_SYSTEMD CAGE_SCOPE SIGSYS [NAUTILUS_EXT_DIR]
#
# With real cages, in a private runtime and data directory: the exit status
# of `run` and `exec` (the command's, 128 + signal, 125 for the launcher's
# own failures with a message naming cause and remedy, 127), session mode
# (applications, exec, one run at a time, SIGTERM, the launcher's death),
# `list`, resource limits through a systemd user scope (fake-systemd on
# a private dbus-daemon) or through rlimits, and $CLOISON_NAUTILUS_EXTENSIONS
# (a directory bind-mounted read-only over NAUTILUS_EXT_DIR, Nautilus's
# extension directory; '' when Cloison was built without
# libnautilus-extension-4).
#
# Host-side helpers this script starts (listen.py for the cages' core
# sockets, dbus-daemon, fake-systemd, session-mode launchers) are stopped by
# pid on exit, and the temporary directory is removed.
#
# When a cage cannot run here (running as root without the `cloison-cage`
# account, no bubblewrap, no unprivileged user namespaces), every test is
# reported as skipped, unless CLOISON_TESTS_MUST_RUN=1 (then they fail).
# shellcheck source=tests/cage/lib.sh
. "$(dirname "$0")/lib.sh"

set -u

CAGE_BIN=${1:-}
CAGE_INIT=${2:-}
FAKE_SYSTEMD=${3:-}
CAGE_SCOPE=${4:-}
SIGSYS=${5:-}
NAUTILUS_EXT_DIR=${6:-}
HERE=$(cd "$(dirname "$0")" && pwd)
LISTEN=$HERE/listen.py
MUST_RUN=${CLOISON_TESTS_MUST_RUN:-0}
PYTHON=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3

# Limits are only applied through a scope when a user bus seems to exist:
# none unless a check asks for one.
unset DBUS_SESSION_BUS_ADDRESS
# The SIGSYS check kills a process: no core file from it (where the shell
# can say so; dash and bash can).
# shellcheck disable=SC3045
ulimit -c 0 2>/dev/null

n=0
failed=0
skip_reason=

T=
LISTENER_PID=
DBUS_PID=
FAKE_PID=
BETA_PID=
DOOMED_PID=
# Set by setup(); placeholders so that skipped runs can list the tests.
RUN=/nonexistent
DATA=/nonexistent
CONF=/nonexistent
# The cages of the configuration, in order: id level network.
CAGES="alpha low no
beta high no
doomed high no
gamma low no
lim low no
net high yes
unsafe low no
seed low no
seedfile low no
seeddir low no"
CAGE_IDS="alpha, beta, doomed, gamma, lim, net, unsafe, seed, seedfile, seeddir"

cleanup() {
	release_pidns
	# Launchers first (they stop their cages), then the helpers.
	# shellcheck disable=SC2086
	stop_pids $BETA_PID $DOOMED_PID
	# shellcheck disable=SC2086
	stop_pids $FAKE_PID $DBUS_PID $LISTENER_PID
	if [ -n "$T" ] && [ -d "$T" ]; then
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP


# --- can cages run here? -----------------------------------------------------

check_prerequisites() {
	cage_prereqs "$CAGE_BIN" "$CAGE_INIT" "$FAKE_SYSTEMD" "$CAGE_SCOPE" "$SIGSYS"
}

# --- TAP helpers ---------------------------------------------------------------

pass() {
	n=$((n + 1))
	echo "ok $n - $1"
}

# fail DESCRIPTION [DIAGNOSTIC LINES...]
fail() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	[ $# -gt 0 ] && diag "$@"
	return 0
}

# check CONDITION-STATUS DESCRIPTION [DIAGNOSTIC LINES...]: ok when 0.
check() {
	if [ "$1" = 0 ]; then
		pass "$2"
	else
		shift
		fail "$@"
	fi
}

# skip_one DESCRIPTION [REASON]: skipped, or failed under
# CLOISON_TESTS_MUST_RUN=1.
skip_one() {
	why=${2:-$skip_reason}
	n=$((n + 1))
	if [ "$MUST_RUN" = 1 ]; then
		echo "not ok $n - $1: cannot run: $why"
		failed=$((failed + 1))
	else
		echo "ok $n - $1 # SKIP $why"
	fi
}

# The first lines of a file, for diagnostics (without --verbose's long
# bwrap command line).
excerpt() {
	if [ -s "$1" ]; then
		grep -v '^cloison-cage: debug: bwrap ' "$1" | head -c 1500
	else
		echo "(empty)"
	fi
}

# has FILE TEXT: the file contains TEXT (fixed string).
has() {
	grep -qF -- "$2" "$1"
}

TIMEOUT=
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout -k 5 60"

# cage ARGS...: cloison-cage with our configuration, stdin from /dev/null,
# output in $T/out and $T/err; the exit status in $rc.
cage() {
	# shellcheck disable=SC2086
	$TIMEOUT "$CAGE_BIN" --config "$CONF" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}

# The state `list` shows for a cage (everything after the third column).
list_state() {
	"$CAGE_BIN" --config "$CONF" list 2>/dev/null |
		awk -v id="$1" '$1 == id { sub(/^[^ ]+ +[^ ]+ +[^ ]+ +/, ""); print; exit }'
}

# alive PID: the process exists and is not a zombie.
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d ' ' -f 1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# wait_gone PID TENTHS: poll until the process is gone; 0 if it is.
wait_gone() {
	i=0
	while alive "$1" && [ "$i" -lt "$2" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! alive "$1"
}

# hold_pidns PID: opens the pid namespace of PID on descriptor 8 and sets NS
# to its name ("pid:[…]"; empty if the process is gone).  The kernel gives
# the inode number of a freed namespace to the next one made, by any test
# running in parallel: only a namespace held open keeps its name, so that
# the processes found under it afterwards are really the cage's.
hold_pidns() {
	NS=
	command exec 8<"/proc/$1/ns/pid" 2>/dev/null &&
		NS=$(readlink "/proc/$$/fd/8" 2>/dev/null)
}

release_pidns() {
	exec 8<&-
}

# The live processes in the pid namespace NS, one pid a line.
pids_in_ns() {
	# shellcheck disable=SC2012
	ls -l /proc/[0-9]*/ns/pid 2>/dev/null |
		awk -v ns="$1" '$NF == ns { split($(NF - 2), p, "/"); print p[3] }'
}

# The children of a process (bwrap, under a launcher), one pid a line.
children_of() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v parent="$1" '
		{ pid = $1; sub(/^.*\) /, ""); if ($2 == parent) print pid }'
}

# The init's host pid recorded in a cage's state file.
state_pid() {
	sed -n 's/^pid=//p' "$RUN/cloison/cages/$1/state" 2>/dev/null
}

# start_session CAGE: `run CAGE` in the background; sets SESSION_PID.
# Waits (at most 10 s) until `list` says running and the state file
# records the init's pid (SESSION_INIT).  1 if the cage did not get there.
start_session() {
	"$CAGE_BIN" --config "$CONF" run "$1" </dev/null >"$T/$1.out" 2>"$T/$1.err" &
	SESSION_PID=$!
	SESSION_INIT=
	i=0
	while [ $i -lt 100 ]; do
		alive "$SESSION_PID" || return 1
		if [ "$(list_state "$1")" = running ]; then
			SESSION_INIT=$(state_pid "$1")
			[ -n "$SESSION_INIT" ] && return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# --- set-up ---------------------------------------------------------------------

setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/cloison-launcher-test.XXXXXX") || return 1
	chmod 0700 "$T"
	RUN=$T/run
	DATA=$T/data
	mkdir -m 0700 "$RUN" "$DATA" "$T/home" "$T/config" "$T/state" "$T/cache" || return 1
	for d in cloison cloison/cages cloison/core; do
		mkdir -m 0700 "$RUN/$d" "$DATA/$d" || return 1
	done
	ids=$(printf '%s\n' "$CAGES" | cut -d ' ' -f 1)
	for c in $ids; do
		mkdir -m 0700 "$RUN/cloison/cages/$c" "$DATA/cloison/cages/$c" \
			"$DATA/cloison/cages/$c/home" || return 1
	done
	export XDG_RUNTIME_DIR="$RUN" XDG_DATA_HOME="$DATA" HOME="$T/home"
	export XDG_CONFIG_HOME="$T/config" XDG_STATE_HOME="$T/state" XDG_CACHE_HOME="$T/cache"
	export CLOISON_CAGE_INIT="$CAGE_INIT"
	unset CLOISON_CAGE_SCOPE

	CONF=$T/cloison.conf
	cat >"$CONF" <<-'EOF'
		[level low]
		label=Low
		colour=#2e7d32
		rank=0

		[level high]
		label=High
		colour=#c62828
		rank=10

		[cage alpha]
		level=low
		network=false
		applications=

		[cage beta]
		level=high
		network=false
		applications=sleep 1000;sh -c "echo started > /home/user/app-ran"

		[cage doomed]
		level=high
		network=false
		applications=sleep 1000

		[cage gamma]
		level=low
		network=false

		[cage lim]
		level=low
		network=false
		tasks-max=64
		memory-max=512MiB

		[cage net]
		level=high
		network=true

		[cage unsafe]
		level=low
		network=false

		[cage seed]
		level=low
		network=false

		[cage seedfile]
		level=low
		network=false

		[cage seeddir]
		level=low
		network=false
	EOF

	cp "$SIGSYS" "$DATA/cloison/cages/alpha/home/sigsys" &&
		chmod 0755 "$DATA/cloison/cages/alpha/home/sigsys" || return 1

	# The core sockets of every cage; gamma has no notify socket.
	set --
	for c in $ids; do
		for s in wayland-0 transfer notify; do
			[ "$c/$s" = gamma/notify ] && continue
			set -- "$@" "unix:$RUN/cloison/cages/$c/$s"
		done
	done
	"$PYTHON" "$LISTEN" "$T/ready" "$@" >"$T/listen.log" 2>&1 &
	LISTENER_PID=$!
	i=0
	while [ ! -f "$T/ready" ] && [ $i -lt 100 ]; do
		alive "$LISTENER_PID" || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -f "$T/ready" ]; then
		diag "listen.py did not start:" "$(cat "$T/listen.log")"
		return 1
	fi
	return 0
}

# --- the checks -------------------------------------------------------------------

# list: a header, then one line per configured cage, in order, with its
# level and network setting; never-run cages are stopped.
check_list() {
	d="list: header and one line per cage with level, network and state"
	if [ -n "$skip_reason" ]; then
		skip_one "$d"
		return
	fi
	cage list
	if [ "$rc" != 0 ]; then
		fail "$d" "exit $rc" "$(excerpt "$T/err")"
		return
	fi
	got=$(awk 'NR > 1 { print $1, $2, $3 }' "$T/out")
	states=$(awk 'NR > 1 { sub(/^[^ ]+ +[^ ]+ +[^ ]+ +/, ""); print }' "$T/out" | sort -u)
	if ! head -n 1 "$T/out" | grep -qE '^CAGE +LEVEL +NETWORK +STATE$'; then
		fail "$d" "bad header: $(head -n 1 "$T/out")"
	elif [ "$got" != "$CAGES" ]; then
		fail "$d" "expected (id level network):" "$CAGES" "got:" "$(cat "$T/out")"
	elif [ "$states" != stopped ]; then
		fail "$d" "expected every cage stopped before any run, got:" "$(cat "$T/out")"
	else
		pass "$d: $(($(wc -l <"$T/out") - 1)) cages, all stopped"
	fi
}

check_unknown_cage() {
	d="run NOPE: 125, names the cage and lists the configured ones"
	if [ -n "$skip_reason" ]; then
		skip_one "$d"
		return
	fi
	cage run NOPE -- true
	if [ "$rc" = 125 ] && has "$T/err" "unknown cage" && has "$T/err" "NOPE" &&
		has "$T/err" "configured cages: $CAGE_IDS"; then
		pass "$d: $(head -n 1 "$T/err")"
	else
		fail "$d" "exit $rc (expected 125), expected 'unknown cage', 'NOPE'" \
			"and 'configured cages: $CAGE_IDS' on stderr:" "$(excerpt "$T/err")"
	fi
}

check_missing_socket() {
	d="run gamma without its notify socket: 125, names the socket and cloison-notifyd"
	if [ -n "$skip_reason" ]; then
		skip_one "$d"
		return
	fi
	sock=$RUN/cloison/cages/gamma/notify
	cage run gamma -- true
	if [ -e "$sock" ]; then
		fail "$d" "test set-up: $sock exists"
	elif [ "$rc" = 125 ] && has "$T/err" "$sock" && has "$T/err" "cloison-notifyd"; then
		pass "$d: $(head -n 1 "$T/err")"
	else
		fail "$d" "exit $rc (expected 125), expected '$sock' and 'cloison-notifyd'" \
			"on stderr:" "$(excerpt "$T/err")"
	fi
}

# exit_status DESCRIPTION EXPECTED CAGE-COMMAND...
exit_status() {
	d=$1
	want=$2
	shift 2
	if [ -n "$skip_reason" ]; then
		skip_one "$d"
		return
	fi
	cage run alpha -- "$@"
	check "$([ "$rc" = "$want" ]; echo $?)" "$d: exit $rc" \
		"expected exit $want" "stderr:" "$(excerpt "$T/err")"
}

check_exit_statuses() {
	exit_status "run alpha -- true: 0" 0 true
	exit_status "run alpha -- sh -c 'exit 7': 7" 7 sh -c 'exit 7'
	# shellcheck disable=SC2016
	exit_status "run alpha -- sh -c 'kill -TERM \$\$': 143" 143 sh -c 'kill -TERM $$'
	exit_status "run alpha -- /nonexistent: 127" 127 /nonexistent

	# A command that cannot be started is named, and the cage is recorded
	# as failed to run it, not as crashed.
	d="run alpha -- /nonexistent: stderr names the command, list does not say crashed"
	if [ -n "$skip_reason" ]; then
		skip_one "$d"
		return
	fi
	cage run alpha -- /nonexistent
	state=$(list_state alpha)
	if has "$T/err" /nonexistent && has "$T/err" "No such file" &&
		[ "${state#crashed}" = "$state" ] && [ "${state#failed}" != "$state" ]; then
		pass "$d"
	else
		fail "$d" "exit $rc, list says: $state" "stderr:" "$(excerpt "$T/err")"
	fi
}

check_sigsys() {
	d="run alpha -- sigsys (x32 system call in main): 159, 'killed by seccomp (SIGSYS)'"
	d2="list after the SIGSYS: alpha is 'crashed: killed by seccomp (SIGSYS)'"
	if [ -n "$skip_reason" ]; then
		skip_one "$d"
		skip_one "$d2"
		return
	fi
	cage run alpha -- /home/user/sigsys
	if [ "$rc" = 77 ]; then
		n=$((n + 1))
		echo "ok $n - $d # SKIP $(head -n 1 "$T/out")"
		n=$((n + 1))
		echo "ok $n - $d2 # SKIP no SIGSYS here"
		return
	fi
	if [ "$rc" = 159 ] && has "$T/err" "killed by seccomp (SIGSYS)"; then
		pass "$d: exit $rc"
	else
		fail "$d" "exit $rc (expected 159)" "stdout: $(excerpt "$T/out")" \
			"stderr (expected 'killed by seccomp (SIGSYS)'):" "$(excerpt "$T/err")"
	fi
	state=$(list_state alpha)
	check "$([ "$state" = "crashed: killed by seccomp (SIGSYS)" ]; echo $?)" \
		"$d2" "list says: ${state:-(nothing)}"
}

# Session mode: beta with its applications, exec, a second run, SIGTERM.
check_session() {
	set -- "run beta (session mode): list says running within 10 s" \
		"run beta: its applications ran (app-ran in beta's home)" \
		"second run beta: 125 'already running'" \
		"exec beta with stdin: stdout got=hello, exit 5" \
		"exec beta -- nonexistent-cmd: 127" \
		"exec alpha (not running): 125 'not running'" \
		"SIGTERM to the session launcher: exit 0 within 15 s" \
		"after SIGTERM: list says beta stopped" \
		"after SIGTERM: the control socket is gone" \
		"after SIGTERM: no process of the cage remains" \
		"after SIGTERM: run beta -- true works (lock released)"
	if [ -n "$skip_reason" ]; then
		for d; do
			skip_one "$d"
		done
		return
	fi
	if ! start_session beta; then
		BETA_PID=$SESSION_PID
		fail "$1" "state: $(list_state beta)" "launcher stderr:" "$(excerpt "$T/beta.err")"
		shift
		for d; do
			skip_one "$d" "the session cage beta did not start"
		done
		return
	fi
	BETA_PID=$SESSION_PID
	init=$SESSION_INIT
	hold_pidns "$init"
	ns=$NS
	bwrap_pids=$(children_of "$BETA_PID" | tr '\n' ' ')
	pass "$1: launcher pid $BETA_PID, init host pid $init"

	app=$DATA/cloison/cages/beta/home/app-ran
	i=0
	while [ "$(cat "$app" 2>/dev/null)" != started ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	check "$([ "$(cat "$app" 2>/dev/null)" = started ]; echo $?)" "$2" \
		"$app: $(cat "$app" 2>&1)" "launcher stderr:" "$(excerpt "$T/beta.err")"

	# The applications and the init, seen from the host.
	in_ns=$(pids_in_ns "$ns" | wc -l)

	cage run beta
	if [ "$rc" = 125 ] && has "$T/err" "already running"; then
		pass "$3: $(head -n 1 "$T/err")"
	else
		fail "$3" "exit $rc" "stderr:" "$(excerpt "$T/err")"
	fi

	# shellcheck disable=SC2016
	printf 'hello\n' | $TIMEOUT "$CAGE_BIN" --config "$CONF" exec beta -- \
		sh -c 'read x; echo got=$x; exit 5' >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	check "$([ "$rc" = 5 ] && [ "$out" = got=hello ]; echo $?)" "$4" \
		"exit $rc, stdout: ${out:-(empty)}" "stderr:" "$(excerpt "$T/err")"

	cage exec beta -- nonexistent-cmd
	check "$([ "$rc" = 127 ]; echo $?)" "$5: exit $rc" "stderr:" "$(excerpt "$T/err")"

	cage exec alpha -- true
	if [ "$rc" = 125 ] && has "$T/err" "not running"; then
		pass "$6: $(head -n 1 "$T/err")"
	else
		fail "$6" "exit $rc" "stderr:" "$(excerpt "$T/err")"
	fi

	kill -TERM "$BETA_PID"
	if wait_gone "$BETA_PID" 150; then
		wait "$BETA_PID"
		rc=$?
		BETA_PID=
		check "$([ "$rc" = 0 ]; echo $?)" "$7: exit $rc" \
			"launcher stderr:" "$(excerpt "$T/beta.err")"
	else
		fail "$7" "still running 15 s after SIGTERM" "launcher stderr:" \
			"$(excerpt "$T/beta.err")"
		kill -KILL "$BETA_PID" 2>/dev/null
		wait "$BETA_PID" 2>/dev/null
		BETA_PID=
	fi

	state=$(list_state beta)
	check "$([ "$state" = stopped ]; echo $?)" "$8" "list says: ${state:-(nothing)}"

	ctl=$RUN/cloison/cages/beta/control
	check "$([ ! -e "$ctl" ]; echo $?)" "$9" "$(ls -l "$ctl" 2>&1)"

	left=
	for p in $init $(state_pid beta); do
		alive "$p" && left="$left the init (host pid $p): $(tr '\0' ' ' <"/proc/$p/cmdline");"
	done
	for p in $bwrap_pids; do
		alive "$p" && left="$left bwrap (pid $p)"
	done
	rest=$(pids_in_ns "$ns" | tr '\n' ' ')
	release_pidns
	[ -n "$rest" ] && left="$left processes in the cage's pid namespace: $rest"
	shift 9
	if [ -z "$ns" ] || [ "$in_ns" -lt 2 ]; then
		fail "$1" "could not see the cage's processes while it ran" \
			"(pid namespace '$ns', $in_ns processes in it)"
	else
		check "$([ -z "$left" ]; echo $?)" \
			"$1: $in_ns processes in the cage while it ran, none left" "left: $left"
	fi

	cage run beta -- true
	check "$([ "$rc" = 0 ]; echo $?)" "$2: exit $rc" "stderr:" "$(excerpt "$T/err")"
}

# The launcher killed with SIGKILL: bwrap (PR_SET_PDEATHSIG) and with it the
# cage (--die-with-parent, pid namespace) go too.
check_launcher_killed() {
	d1="SIGKILL to a session launcher: every process of the cage dies"
	d2="after the launcher's SIGKILL: list says 'crashed: the launcher died'"
	if [ -n "$skip_reason" ]; then
		skip_one "$d1"
		skip_one "$d2"
		return
	fi
	if ! start_session doomed; then
		DOOMED_PID=$SESSION_PID
		fail "$d1" "the session cage doomed did not start: $(list_state doomed)" \
			"launcher stderr:" "$(excerpt "$T/doomed.err")"
		skip_one "$d2" "the session cage doomed did not start"
		return
	fi
	DOOMED_PID=$SESSION_PID
	init=$SESSION_INIT
	hold_pidns "$init"
	ns=$NS
	bwrap_pids=$(children_of "$DOOMED_PID" | tr '\n' ' ')
	# Wait for the application (sleep) to be there too.
	i=0
	while [ "$(pids_in_ns "$ns" | wc -l)" -lt 2 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	before=$(pids_in_ns "$ns" | tr '\n' ' ')
	kill -KILL "$DOOMED_PID"
	wait "$DOOMED_PID" 2>/dev/null
	DOOMED_PID=
	i=0
	left=x
	while [ $i -lt 100 ]; do
		left=
		for p in $init $bwrap_pids; do
			alive "$p" && left="$left $p"
		done
		for p in $(pids_in_ns "$ns"); do
			left="$left $p"
		done
		[ -z "$left" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	release_pidns
	if [ -z "$ns" ] || [ -z "$bwrap_pids" ]; then
		fail "$d1" "could not see the cage's processes (pid namespace '$ns'," \
			"bwrap '$bwrap_pids')"
	else
		check "$([ -z "$left" ]; echo $?)" \
			"$d1: bwrap ${bwrap_pids% } and cage pids ${before% } gone" \
			"still alive 10 s later:$left"
	fi
	state=$(list_state doomed)
	check "$([ "$state" = "crashed: the launcher died" ]; echo $?)" "$d2" \
		"list says: ${state:-(nothing)}"
}

# The limits a process in the cage has: RLIMIT_NPROC from /proc/self/limits
# (dash has no `ulimit -u`) and RLIMIT_AS in KiB from `ulimit -v`.
limits_line() {
	nproc=$(awk '/^Max processes/ { print $3 }' "$T/out")
	as=$(head -n 1 "$T/out")
	echo "Max processes ${nproc:-?}, ulimit -v ${as:-?}"
}

run_limits() {
	cage "$@" run lim -- sh -c 'ulimit -v; cat /proc/self/limits'
}

check_rlimits() {
	d="no user bus: rlimits in lim (tasks-max=64, memory-max=512MiB)"
	if [ -n "$skip_reason" ]; then
		skip_one "$d"
		return
	fi
	if [ -e "$RUN/bus" ] || [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
		fail "$d" "test set-up: a user bus is visible"
		return
	fi
	run_limits --verbose
	lim=$(limits_line)
	if [ "$rc" = 0 ] && [ "$lim" = "Max processes 64, ulimit -v 524288" ] &&
		has "$T/err" "limits through rlimits"; then
		pass "$d: $lim"
	else
		fail "$d" "exit $rc, $lim (expected 64 and 524288)" \
			"stderr (expected 'limits through rlimits' with --verbose):" \
			"$(excerpt "$T/err")"
	fi
}

# Limits through a systemd user scope: fake-systemd on a private bus.
check_scope() {
	d1="user bus with a systemd manager: StartTransientUnit for lim's scope"
	d2="with the scope: no rlimits in the cage"
	d3="user bus without a systemd manager: rlimits again"
	if [ -n "$skip_reason" ]; then
		skip_one "$d1"
		skip_one "$d2"
		skip_one "$d3"
		return
	fi
	if ! command -v dbus-daemon >/dev/null 2>&1; then
		skip_one "$d1" "dbus-daemon is not installed"
		skip_one "$d2" "dbus-daemon is not installed"
		skip_one "$d3" "dbus-daemon is not installed"
		return
	fi
	dbus-daemon --session --address="unix:path=$T/bus" --nofork --nopidfile \
		>"$T/dbus.log" 2>&1 &
	DBUS_PID=$!
	i=0
	while [ ! -S "$T/bus" ] && [ $i -lt 100 ]; do
		alive "$DBUS_PID" || break
		sleep 0.1
		i=$((i + 1))
	done
	record=$T/systemd-record
	: >"$record"
	if [ -S "$T/bus" ]; then
		DBUS_SESSION_BUS_ADDRESS="unix:path=$T/bus" "$FAKE_SYSTEMD" "$record" \
			"$T/fake.ready" >"$T/fake.log" 2>&1 &
		FAKE_PID=$!
		i=0
		while [ ! -s "$T/fake.ready" ] && [ $i -lt 100 ]; do
			alive "$FAKE_PID" || break
			sleep 0.1
			i=$((i + 1))
		done
	fi
	if [ ! -s "$T/fake.ready" ]; then
		why="the private bus or fake-systemd did not start"
		diag "$why:" "$(cat "$T/dbus.log" "$T/fake.log" 2>/dev/null)"
		skip_one "$d1" "$why"
		skip_one "$d2" "$why"
		skip_one "$d3" "$why"
		return
	fi

	export DBUS_SESSION_BUS_ADDRESS="unix:path=$T/bus"
	export CLOISON_CAGE_SCOPE="$CAGE_SCOPE"
	run_limits --verbose
	lim=$(limits_line)
	unit=$(sed -n 's/^unit=//p' "$record")
	unit_pid=$(printf '%s\n' "$unit" | sed -n 's/^cloison-cage-lim-\([0-9][0-9]*\)\.scope$/\1/p')
	pids=$(sed -n 's/^PIDs=//p' "$record")
	if [ "$rc" != 0 ]; then
		fail "$d1" "exit $rc" "stderr:" "$(excerpt "$T/err")" "record:" "$(excerpt "$record")"
	elif [ "$(grep -c '^unit=' "$record")" != 1 ] || [ -z "$unit_pid" ] ||
		! grep -qx 'mode=fail' "$record" || ! grep -qx 'TasksMax=64' "$record" ||
		! grep -qx 'MemoryMax=536870912' "$record" || [ "$pids" != "$unit_pid" ] ||
		! has "$T/err" "limits through a systemd user scope"; then
		fail "$d1" "expected one unit cloison-cage-lim-PID.scope, mode=fail," \
			"TasksMax=64, MemoryMax=536870912 and PIDs=PID, and the launcher" \
			"logging 'limits through a systemd user scope'; the record:" \
			"$(excerpt "$record")" "launcher stderr:" "$(excerpt "$T/err")"
	else
		pass "$d1: $unit, TasksMax=64, MemoryMax=536870912, PIDs=$pids"
	fi
	if [ "$rc" = 0 ] && [ "${lim#Max processes 64,}" = "$lim" ] &&
		[ "${lim%ulimit -v 524288}" = "$lim" ]; then
		pass "$d2: $lim"
	else
		fail "$d2" "exit $rc, $lim (expected neither 64 nor 524288)" \
			"stderr:" "$(excerpt "$T/err")"
	fi

	kill -TERM "$FAKE_PID"
	if wait_gone "$FAKE_PID" 50; then
		wait "$FAKE_PID"
		frc=$?
	else
		frc="still running 5 s after SIGTERM"
		kill -KILL "$FAKE_PID"
		wait "$FAKE_PID" 2>/dev/null
	fi
	FAKE_PID=
	: >"$record"
	run_limits --verbose
	lim=$(limits_line)
	if [ "$frc" != 0 ]; then
		fail "$d3" "fake-systemd did not exit 0 on SIGTERM: $frc" "$(excerpt "$T/fake.log")"
	elif [ "$rc" = 0 ] && [ "$lim" = "Max processes 64, ulimit -v 524288" ] &&
		[ ! -s "$record" ] && has "$T/err" "limits through rlimits"; then
		pass "$d3: $lim"
	else
		fail "$d3" "exit $rc, $lim (expected 64 and 524288)" "stderr:" \
			"$(excerpt "$T/err")" "record: $(excerpt "$record")"
	fi
	unset DBUS_SESSION_BUS_ADDRESS CLOISON_CAGE_SCOPE
	kill -TERM "$DBUS_PID"
	wait "$DBUS_PID" 2>/dev/null
	DBUS_PID=
}

# in_mount_ns DESCRIPTION SOURCE TARGET MESSAGE...: in a private mount
# namespace, SOURCE bound over TARGET, `run alpha -- true` fails with 125
# and every MESSAGE on stderr.  Skipped (failed under
# CLOISON_TESTS_MUST_RUN=1) when no such namespace can be made.
in_mount_ns() {
	d=$1
	src=$2
	dst=$3
	shift 3
	if [ -n "$skip_reason" ]; then
		skip_one "$d"
		return
	fi
	# As root a private mount namespace; otherwise also a user namespace
	# where we are root (the host checks come before the account checks).
	if [ "$(id -u)" = 0 ]; then
		unshare="unshare -m"
	else
		unshare="unshare -r -m"
	fi
	if ! command -v unshare >/dev/null 2>&1 || ! $unshare true 2>/dev/null; then
		skip_one "$d" "$unshare is not possible here"
		return
	fi
	# shellcheck disable=SC2016,SC2086
	$TIMEOUT $unshare sh -c 'mount --bind "$1" "$2" || exit 99
		shift 2
		exec "$@"' sh "$src" "$dst" "$CAGE_BIN" --config "$CONF" run alpha -- true \
		</dev/null >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" = 99 ]; then
		skip_one "$d" "cannot bind-mount over $dst: $(head -n 1 "$T/err")"
		return
	fi
	missing=
	for m; do
		has "$T/err" "$m" || missing="$missing '$m'"
	done
	if [ "$rc" = 125 ] && [ -z "$missing" ]; then
		pass "$d: $(head -n 1 "$T/err")"
	else
		fail "$d" "exit $rc (expected 125)${missing:+, missing on stderr:$missing}" \
			"stderr:" "$(excerpt "$T/err")"
	fi
}

check_host_refusals() {
	if [ -n "$skip_reason" ]; then
		in_mount_ns "bwrap missing: 125, names bubblewrap and tools/install-deps" x x
		in_mount_ns "user namespaces disabled: 125, names user.max_user_namespaces" x x
		return
	fi
	: >"$T/empty"
	chmod 0644 "$T/empty"
	echo 0 >"$T/zero"
	in_mount_ns "bwrap missing: 125, names bubblewrap and tools/install-deps" \
		"$T/empty" /usr/bin/bwrap bubblewrap tools/install-deps
	in_mount_ns "user namespaces disabled: 125, names user.max_user_namespaces" \
		"$T/zero" /proc/sys/user/max_user_namespaces user.max_user_namespaces
}

check_unsafe_home() {
	d0="run unsafe -- true: 0 with a sound home (control)"
	d1="cage home mode 0777: 125 'writable by group or others'"
	d2="cage home replaced by a symlink: 125"
	if [ -n "$skip_reason" ]; then
		skip_one "$d0"
		skip_one "$d1"
		skip_one "$d2"
		return
	fi
	home=$DATA/cloison/cages/unsafe/home
	cage run unsafe -- true
	check "$([ "$rc" = 0 ]; echo $?)" "$d0: exit $rc" "stderr:" "$(excerpt "$T/err")"

	chmod 0777 "$home"
	cage run unsafe -- true
	if [ "$rc" = 125 ] && has "$T/err" "writable by group or others"; then
		pass "$d1: $(head -n 1 "$T/err")"
	else
		fail "$d1" "exit $rc" "stderr:" "$(excerpt "$T/err")"
	fi
	chmod 0700 "$home"

	# A symlink to a sound directory: following it would work.
	mv "$home" "$home.real" && ln -s home.real "$home"
	cage run unsafe -- true
	if [ "$rc" = 125 ] && has "$T/err" "$home"; then
		pass "$d2: $(head -n 1 "$T/err")"
	else
		fail "$d2" "exit $rc (expected 125, naming $home)" "stderr:" \
			"$(excerpt "$T/err")"
	fi
	rm -f "$home" && mv "$home.real" "$home"
}

# $CLOISON_NAUTILUS_EXTENSIONS: the directory replaces Nautilus's extension
# directory in the cage, read-only; unset, the cage sees the host's.
check_nautilus_extensions() {
	d="CLOISON_NAUTILUS_EXTENSIONS: bind-mounted read-only over $NAUTILUS_EXT_DIR"
	if [ -n "$skip_reason" ]; then
		skip_one "$d"
		return
	fi
	if [ -z "$NAUTILUS_EXT_DIR" ] || [ ! -d "$NAUTILUS_EXT_DIR" ]; then
		skip_one "$d" "built without libnautilus-extension-4, or Nautilus is not installed"
		return
	fi
	ext=$T/nautilus-ext
	mkdir -p -m 0755 "$ext"
	printf 'built here\n' >"$ext/cloison-marker.so"
	chmod 0644 "$ext/cloison-marker.so"
	export CLOISON_NAUTILUS_EXTENSIONS="$ext"
	cage run alpha -- sh -c \
		'ls "$1"; cat "$1/cloison-marker.so"; if touch "$1/x" 2>/dev/null; then echo WRITABLE; fi' _ \
		"$NAUTILUS_EXT_DIR"
	unset CLOISON_NAUTILUS_EXTENSIONS
	if [ "$rc" = 0 ] && [ "$(cat "$T/out")" = "cloison-marker.so
built here" ]; then
		pass "$d: the cage sees only the directory's files, and cannot write there"
	else
		fail "$d" "exit $rc, stdout:" "$(excerpt "$T/out")" "stderr:" "$(excerpt "$T/err")"
	fi

	d="without CLOISON_NAUTILUS_EXTENSIONS the cage sees the host's $NAUTILUS_EXT_DIR"
	cage run alpha -- ls "$NAUTILUS_EXT_DIR"
	check "$([ "$rc" = 0 ] && [ "$(cat "$T/out")" = "$(ls "$NAUTILUS_EXT_DIR")" ]; echo $?)" "$d" \
		"exit $rc, stdout:" "$(excerpt "$T/out")" "stderr:" "$(excerpt "$T/err")"

	d="CLOISON_NAUTILUS_EXTENSIONS naming a missing directory: 125, names it and the variable"
	export CLOISON_NAUTILUS_EXTENSIONS="$T/no-such-dir"
	cage run alpha -- true
	unset CLOISON_NAUTILUS_EXTENSIONS
	check "$([ "$rc" = 125 ] && has "$T/err" "$T/no-such-dir" &&
		has "$T/err" CLOISON_NAUTILUS_EXTENSIONS; echo $?)" "$d: $(head -n 1 "$T/err")" \
		"exit $rc, stderr:" "$(excerpt "$T/err")"
}

# The init seeds Thunar's custom actions into a home on its first start
# (cages/init.c seed_home()), never over the user's file, never through a
# symlink the cage planted, and only once.
check_seed() {
	d1="first start: ~/.config/Thunar/uca.xml seeded (Cloison's actions), marker written"
	d2="second start: a file the user changed stays as it is"
	d3="a file the user removed is not seeded again"
	d4="a symlink planted at ~/.config/Thunar/uca.xml is not followed"
	d5="a symlink planted at ~/.config is not followed"
	d6="a home without the marker: the user's own uca.xml is kept, the marker written"
	if [ -n "$skip_reason" ]; then
		for d in "$d1" "$d2" "$d3" "$d6" "$d4" "$d5"; do
			skip_one "$d"
		done
		return
	fi
	home=$DATA/cloison/cages/seed/home
	uca=$home/.config/Thunar/uca.xml
	cage run seed -- true
	if [ "$rc" = 0 ] && cmp -s "$uca" "$CLOISON_SOURCE_ROOT/file-managers/actions/uca.xml" &&
		[ -f "$home/.config/cloison/home-seeded" ]; then
		pass "$d1"
	else
		fail "$d1" "exit $rc" "$(ls -laR "$home" 2>&1 | head -n 20)" "$(excerpt "$T/err")"
	fi

	echo "<actions/>" >"$uca"
	cage run seed -- true
	check "$([ "$rc" = 0 ] && [ "$(cat "$uca")" = "<actions/>" ]; echo $?)" "$d2" 		"exit $rc, uca.xml: $(head -c 200 "$uca")"

	rm -f "$uca"
	cage run seed -- true
	check "$([ "$rc" = 0 ] && [ ! -e "$uca" ]; echo $?)" "$d3" "exit $rc"

	# Without the marker (a home from before), the user's own file is kept.
	rm -f "$home/.config/cloison/home-seeded"
	echo "<actions><!-- mine --></actions>" >"$uca"
	cage run seed -- true
	check "$([ "$rc" = 0 ] && [ "$(cat "$uca")" = "<actions><!-- mine --></actions>" ] &&
		[ -f "$home/.config/cloison/home-seeded" ]; echo $?)" "$d6" "exit $rc"

	# What the cage itself could plant: owned by the cage's account, as what
	# the first start created.  A dangling symlink: following it would
	# create the victim.
	owner=$(stat -c %u:%g "$DATA/cloison/cages/seed/home/.config")
	home=$DATA/cloison/cages/seedfile/home
	mkdir -p "$home/.config/Thunar"
	ln -s /home/user/victim "$home/.config/Thunar/uca.xml"
	chown -hR "$owner" "$home"
	cage run seedfile -- true
	check "$([ "$rc" = 0 ] && [ -L "$home/.config/Thunar/uca.xml" ] &&
		[ ! -e "$home/victim" ]; echo $?)" "$d4" "exit $rc" "$(ls -la "$home" 2>&1)"

	home=$DATA/cloison/cages/seeddir/home
	mkdir -p "$home/elsewhere"
	ln -s /home/user/elsewhere "$home/.config"
	chown -hR "$owner" "$home"
	cage run seeddir -- true
	check "$([ "$rc" = 0 ] && [ -z "$(ls -A "$home/elsewhere")" ]; echo $?)" "$d5" \
		"exit $rc" "$(ls -laR "$home/elsewhere" 2>&1)"
}

run_all() {
	check_nautilus_extensions
	check_list
	check_unknown_cage
	check_missing_socket
	check_exit_statuses
	check_sigsys
	check_session
	check_launcher_killed
	check_rlimits
	check_scope
	check_host_refusals
	check_unsafe_home
	check_seed
}

if ! check_prerequisites; then
	:
elif ! setup; then
	skip_reason="test set-up failed (see the diagnostics above)"
	MUST_RUN=1
fi

run_all
echo "1..$n"
[ "$failed" -eq 0 ]
