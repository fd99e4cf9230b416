# shellcheck shell=sh
# Shared by the security-event suites (sourced, POSIX sh): a private core bus
# and cl-test-event-recorder in place of cloison-notifyd.
#
# start_core_bus DIR RECORDER
#                    dbus-daemon on unix:path=DIR/bus (BUS, DBUS_PID) and the
#                    recorder on it (RECORDER_PID), its lines in DIR/events.log
#                    (EVENTS); 0 once both are ready.
# event SEVERITY CATEGORY CAGE TEXT [TENTHS]
#                    the recorder saw a Post with these fields whose summary
#                    or body contains TEXT (waits up to TENTHS/10 s, default 5 s;
#                    sets MSG to the events seen on failure).
# count_events CATEGORY CAGE [TEXT]
#                    how many Posts of CATEGORY for CAGE (containing TEXT).

start_core_bus() {
	dir=$1
	EVENTS=$dir/events.log
	BUS="unix:path=$dir/bus"
	dbus-daemon --session --address="$BUS" --nofork --nopidfile --print-address=1 \
		>"$dir/dbus.addr" 2>"$dir/dbus.log" &
	DBUS_PID=$!
	i=0
	while [ ! -S "$dir/bus" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$dir/bus" ] || return 1
	"$2" --bus "$BUS" --ready "$dir/recorder-ready" >"$EVENTS" 2>"$dir/recorder.err" &
	RECORDER_PID=$!
	i=0
	while [ ! -s "$dir/recorder-ready" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$dir/recorder-ready" ]
}

event() {
	tries=${5:-50}
	i=0
	while :; do
		awk -F'\t' -v s="$1" -v c="$2" -v g="$3" -v t="$4" \
			'$1 == "post" && $2 == s && $3 == c && $4 == g && index($5 "\t" $6, t) { f = 1 }
			END { exit !f }' "$EVENTS" && return 0
		[ $i -ge "$tries" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	MSG="no $1 $2 event of cage $3 with '$4'; last events: $(tail -n 5 "$EVENTS" | cut -c1-300 | tr '\n' '|')"
	return 1
}

count_events() {
	awk -F'\t' -v c="$1" -v g="$2" -v t="${3:-}" \
		'$1 == "post" && $3 == c && $4 == g && index($5 "\t" $6, t) { n++ } END { print n + 0 }' \
		"$EVENTS"
}
