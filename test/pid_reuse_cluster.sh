#!/bin/bash
#
# pid_reuse_cluster.sh: a whole-cluster scan meets a PID that a server
# process had when the list of server processes was made, and that a root
# process holds when the scan reads it.
#
# A backend is terminated, then /proc/sys/kernel/ns_last_pid (as
# test/unit/pid_reuse_test.c does) makes a root-owned sleep take its PID.
# The scan reads a tree set by vmastat.proc_root whose children list is
# the one from before: the old backend's PID.  Every file in the tree is a
# link to the real /proc, so the kernel serves the reads and refuses the
# postgres user the root process's maps and smaps.  The scan must leave
# the PID out without an error, as it does for a process that exited.
#
# Needs root (to write ns_last_pid; the cluster runs as the postgres user,
# VMASTAT_TEST_USER) and vmastat installed; exits 77, "skipped", without
# root or when the kernel does not hand the PID out again.
#
set -euo pipefail

SKIPPED=77
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: needs root to write /proc/sys/kernel/ns_last_pid"
	exit $SKIPPED
fi
PG_CONFIG=${PG_CONFIG:-pg_config}
bindir=$("$PG_CONFIG" --bindir)
test_user=${VMASTAT_TEST_USER:-postgres}
work=$(mktemp -d /tmp/vmastat-pid-reuse.XXXXXX)
port=$((20000 + RANDOM % 20000))
sleeper=
cleanup() {
	[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null || true
	runuser -u "$test_user" -- "$bindir/pg_ctl" -D "$work/data" -m immediate stop \
		>/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
chown "$test_user": "$work"

as_user() {
	runuser -u "$test_user" -- "$@"
}
sql() {
	as_user "$bindir/psql" -X -q -At -h "$work" -p "$port" -d postgres -c "$1"
}

as_user "$bindir/initdb" -D "$work/data" -A trust --no-sync >/dev/null
as_user "$bindir/pg_ctl" -D "$work/data" -l "$work/postmaster.log" -w \
	-o "-p $port -k $work -c listen_addresses=''" start >/dev/null
sql 'CREATE EXTENSION vmastat' >/dev/null
pm=$(head -1 "$work/data/postmaster.pid")

# the backend whose PID is reused: a session that sleeps
as_user "$bindir/psql" -X -h "$work" -p "$port" -d postgres \
	-c 'SELECT pg_sleep(3600)' >/dev/null 2>&1 &
for _ in $(seq 100); do
	victim=$(sql "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")
	[ -z "$victim" ] || break
	sleep 0.1
done
[ -n "$victim" ] || { echo "FAIL: the sleeping session did not start"; exit 1; }

# the tree: links to the real files; the postmaster's children list names
# only the victim
tree=$work/proc
mkdir -p "$tree/$pm/task/$pm"
ln -s /proc/self "$tree/self"
for file in status maps smaps smaps_rollup cmdline; do
	ln -s "/proc/$pm/$file" "$tree/$pm/$file"
done
echo "$victim " >"$tree/$pm/task/$pm/children"
ln -s "/proc/$victim" "$tree/$victim"
chown -R -h "$test_user": "$tree"
query() {
	sql "SET vmastat.proc_root = '$tree'; $1" 2>&1
}
out=$(query 'SELECT pid FROM vmastat_backends() ORDER BY pid')
if [ "$out" != "$(printf '%s\n' "$pm" "$victim" | sort -n)" ]; then
	echo "FAIL: before the reuse the tree gives the postmaster and PID $victim, not: $out"
	exit 1
fi

# the backend exits and a root process takes its PID
sql "SELECT pg_terminate_backend($victim)" >/dev/null
for _ in $(seq 100); do
	[ -e "/proc/$victim" ] || break
	sleep 0.1
done
for _ in $(seq 50); do
	if ! echo $((victim - 1)) 2>/dev/null >/proc/sys/kernel/ns_last_pid; then
		echo "skipped: cannot write /proc/sys/kernel/ns_last_pid"
		exit $SKIPPED
	fi
	sleep 3600 &
	sleeper=$!
	[ "$sleeper" -ne "$victim" ] || break
	kill "$sleeper"
	sleeper=
done
if [ -z "$sleeper" ]; then
	echo "skipped: the kernel did not hand PID $victim out again"
	exit $SKIPPED
fi

failed=0
check() {
	local what=$1 expected=$2 got=$3
	if [ "$got" = "$expected" ]; then
		echo "ok - $what"
	else
		echo "FAIL: $what: expected \"$expected\", got \"$got\""
		failed=1
	fi
}
check 'vmastat_backends() leaves the reused PID out' "$pm" \
	"$(query 'SELECT pid FROM vmastat_backends()')"
check 'vmastat_backends(fast => true) leaves it out' "$pm" \
	"$(query 'SELECT pid FROM vmastat_backends(fast => true)')"
check 'vmastat_vmas leaves it out' "$pm" \
	"$(query 'SELECT DISTINCT pid FROM vmastat_vmas')"
check 'vmastat_vmas_of leaves it out' "$pm" \
	"$(query "SELECT DISTINCT pid FROM vmastat_vmas_of(ARRAY[$pm, $victim])")"
exit $failed
