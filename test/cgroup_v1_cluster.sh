#!/bin/bash
#
# cgroup_v1_cluster.sh: vmastat_system against a real cgroup v1 memory
# controller, and an OOM kill inside it.
#
# A throwaway cluster is started from a shell already in a new memory
# cgroup limited to 1.5 GB, so that the postmaster and every child are in
# it.  Every cgroup figure of vmastat_system is checked against the
# cgroup's own files, read just before and just after the query.  Then a
# session holds 200 MB (the test module test/leak), vmastat_oom must rank it
# first, the limit is lowered to a little above the usage and the session
# allocates past it: the kernel's OOM killer ends that very session, the
# postmaster restarts the cluster, and cgroup_oom_kills has counted the
# kill, as memory.oom_control says.  Last the postmaster moves into a child
# cgroup without a limit of its own: the parent's limit still gives the
# headroom.
#
# Needs root (to create the cgroup; the cluster runs as the postgres user,
# VMASTAT_TEST_USER), the cgroup v1 memory controller at
# /sys/fs/cgroup/memory, and vmastat and test/leak installed; exits 77,
# "skipped", without them.
#
set -euo pipefail

SKIPPED=77
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: needs root to create a memory cgroup"
	exit $SKIPPED
fi
root=/sys/fs/cgroup/memory
if [ ! -f "$root/memory.limit_in_bytes" ] || [ ! -f "$root/memory.oom_control" ]; then
	echo "skipped: no cgroup v1 memory controller at $root"
	exit $SKIPPED
fi
PG_CONFIG=${PG_CONFIG:-pg_config}
bindir=$("$PG_CONFIG" --bindir)
test_user=${VMASTAT_TEST_USER:-postgres}
work=$(mktemp -d /tmp/vmastat-cgroup-v1.XXXXXX)
cg=$root/vmastat-test-$$
port=$((20000 + RANDOM % 20000))
limit=$((1536 * 1024 * 1024))
MiB=$((1024 * 1024))

cleanup() {
	runuser -u "$test_user" -- "$bindir/pg_ctl" -D "$work/data" -m immediate stop \
		>/dev/null 2>&1 || true
	for dir in "$cg/child" "$cg"; do
		[ -d "$dir" ] || continue
		# leftovers (a process still exiting) go back to the root cgroup
		for _ in $(seq 50); do
			while read -r pid; do
				echo "$pid" >"$root/cgroup.procs" 2>/dev/null || true
			done <"$dir/cgroup.procs"
			rmdir "$dir" 2>/dev/null && break
			sleep 0.1
		done
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
chown "$test_user": "$work"

mkdir "$cg"
echo "$limit" >"$cg/memory.limit_in_bytes"
# without a swap limit the OOM killer would wait for swap to fill up
memsw=
if [ -f "$cg/memory.memsw.limit_in_bytes" ]; then
	echo "$limit" >"$cg/memory.memsw.limit_in_bytes"
	memsw=1
fi

as_user() {
	runuser -u "$test_user" -- "$@"
}
sql() {
	as_user "$bindir/psql" -X -q -At -F '|' -h "$work" -p "$port" -d postgres -c "$1"
}

as_user "$bindir/initdb" -D "$work/data" -A trust --no-sync >/dev/null
# the shell moves itself into the cgroup, then becomes pg_ctl: the
# postmaster and its children are born in it
sh -c "echo \$\$ >'$cg/cgroup.procs' && exec runuser -u '$test_user' -- \
	'$bindir/pg_ctl' -D '$work/data' -l '$work/postmaster.log' -w \
	-o \"-p $port -k $work -c listen_addresses=''\" start" >/dev/null
sql "CREATE EXTENSION vmastat VERSION '1.2'" >/dev/null
sql "CREATE FUNCTION vmastat_test_leak(bigint) RETURNS bigint
	AS '\$libdir/vmastat_test_leak' LANGUAGE C STRICT" >/dev/null
pm=$(head -1 "$work/data/postmaster.pid")
if ! grep -qx "$pm" "$cg/cgroup.procs"; then
	echo "FAIL: the postmaster $pm is not in $cg"
	exit 1
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
# got lies between the values read before and after, give or take
# tolerance: the backend that runs the query is in the cgroup only while it
# runs, so what it reads includes its own memory, which the files read
# before and after do not (about 1.4 MB of it)
query_mem=$((4 * MiB))
check_between() {
	local what=$1 before=$2 got=$3 after=$4 tolerance=$5 low high
	low=$((before < after ? before : after))
	high=$((before > after ? before : after))
	if [ -n "$got" ] && [ "$got" -ge $((low - tolerance)) ] &&
		[ "$got" -le $((high + tolerance)) ]; then
		echo "ok - $what: $got between $before and $after, give or take $tolerance"
	else
		echo "FAIL: $what: \"$got\" not between $before and $after (tolerance $tolerance)"
		failed=1
	fi
}
stat_of() {
	awk -v key="$1" '$1 == key { print $2 }' "${2:-$cg}/memory.stat"
}
oom_kills() {
	awk '$1 == "oom_kill" { print $2 }' "$cg/memory.oom_control"
}
# the files, in the order of the query's columns, and inactive page cache
read_files() {
	echo "$(cat "$cg/memory.usage_in_bytes") $(cat "$cg/memory.max_usage_in_bytes")" \
		"$(stat_of total_rss) $(stat_of total_cache) $(stat_of total_shmem) $(oom_kills)" \
		"$(stat_of total_inactive_file)"
}
columns='cgroup_version, cgroup_path, cgroup_limit, cgroup_swap_limit,
	cgroup_usage, cgroup_peak, cgroup_anon, cgroup_file, cgroup_shmem,
	cgroup_oom_kills, cgroup_under_oom, headroom, headroom_by, mem_available'

# -- every cgroup figure against the cgroup's own files
read -r b_usage b_peak b_anon b_file b_shmem b_kills b_inactive <<<"$(read_files)"
row=$(sql "SELECT $columns FROM vmastat_system")
read -r a_usage a_peak a_anon a_file a_shmem a_kills a_inactive <<<"$(read_files)"
IFS='|' read -r version path got_limit swap_limit usage peak anon file shmem kills \
	under_oom headroom headroom_by mem_available <<<"$row"
check 'cgroup_version' 1 "$version"
check 'cgroup_path' "/$(basename "$cg")" "$path"
check 'cgroup_limit is memory.limit_in_bytes' "$(cat "$cg/memory.limit_in_bytes")" "$got_limit"
check 'cgroup_limit is the limit set' "$limit" "$got_limit"
if [ -n "$memsw" ]; then
	check 'cgroup_swap_limit is memory.memsw.limit_in_bytes' \
		"$(cat "$cg/memory.memsw.limit_in_bytes")" "$swap_limit"
fi
check_between 'cgroup_usage against memory.usage_in_bytes' "$b_usage" "$usage" "$a_usage" $query_mem
check_between 'cgroup_peak against memory.max_usage_in_bytes' "$b_peak" "$peak" "$a_peak" 0
check_between 'cgroup_anon against total_rss' "$b_anon" "$anon" "$a_anon" $query_mem
check_between 'cgroup_file against total_cache' "$b_file" "$file" "$a_file" $query_mem
check_between 'cgroup_shmem against total_shmem' "$b_shmem" "$shmem" "$a_shmem" $query_mem
check_between 'cgroup_oom_kills against oom_kill' "$b_kills" "$kills" "$a_kills" 0
check 'cgroup_under_oom' f "$under_oom"
# the cluster row of vmastat_totals is a share of the cgroup's limit
check 'vmastat_totals: the cluster uses a share of the cgroup limit' 'cgroup limit|t' \
	"$(sql "SELECT share_of, abs(share - pss::float8 / $limit) < 1e-9 FROM vmastat_totals WHERE level = 'cluster'")"
# inactive page cache is not counted as used
if [ "$((limit - a_usage + a_inactive))" -lt "$mem_available" ]; then
	check 'the cgroup binds the headroom' cgroup "$headroom_by"
	check_between 'headroom is limit - (usage - total_inactive_file)' \
		$((limit - b_usage + b_inactive)) "$headroom" \
		$((limit - a_usage + a_inactive)) $query_mem
fi

# -- an OOM kill inside the cgroup, of the process vmastat_oom ranks first:
# a session that holds 200 MB, fed through a pipe so that it stays open
mkfifo "$work/leaker.in"
chown "$test_user" "$work/leaker.in"
as_user "$bindir/psql" -X -q -At -h "$work" -p "$port" -d postgres \
	<"$work/leaker.in" >"$work/leaker.out" 2>&1 &
exec 3>"$work/leaker.in"
echo "SELECT pg_backend_pid(); SELECT vmastat_test_leak(200 * 1024 * 1024);" >&3
for _ in $(seq 600); do
	[ "$(wc -l <"$work/leaker.out")" -ge 2 ] && break
	sleep 0.1
done
leaker=$(head -1 "$work/leaker.out")
check 'vmastat_oom ranks the session holding 200 MB first' "$leaker" \
	"$(sql 'SELECT pid FROM vmastat_oom WHERE kill_order = 1')"

kills_before=$(oom_kills)
low=$(($(cat "$cg/memory.usage_in_bytes") + 64 * MiB))
echo "$low" >"$cg/memory.limit_in_bytes"
[ -z "$memsw" ] || echo "$low" >"$cg/memory.memsw.limit_in_bytes"
# the session allocates past the limit and is killed; its psql then ends
echo "SELECT vmastat_test_leak(256 * 1024 * 1024);" >&3
exec 3>&-
wait || true
# the limit goes back up before the cluster restarts into it
[ -z "$memsw" ] || echo "$limit" >"$cg/memory.memsw.limit_in_bytes"
echo "$limit" >"$cg/memory.limit_in_bytes"
for _ in $(seq 600); do
	as_user "$bindir/pg_isready" -q -h "$work" -p "$port" && break
	sleep 0.1
done
kills_after=$(oom_kills)
if [ "$kills_after" -gt "$kills_before" ]; then
	echo "ok - the kernel OOM-killed a process in the cgroup ($kills_before -> $kills_after)"
else
	echo "FAIL: memory.oom_control counted no OOM kill ($kills_before -> $kills_after)"
	failed=1
fi
if grep -q "server process (PID $leaker) was terminated by signal 9" "$work/postmaster.log"; then
	echo "ok - the kernel killed the process vmastat_oom ranked first ($leaker), and the cluster restarted"
else
	echo "FAIL: the server log tells of no kill of $leaker by signal 9:"
	grep 'terminated by signal' "$work/postmaster.log" || true
	failed=1
fi
check 'the postmaster survived' "$pm" "$(head -1 "$work/data/postmaster.pid")"
check 'cgroup_oom_kills counted the kill' "$kills_after" \
	"$(sql 'SELECT cgroup_oom_kills FROM vmastat_system')"

# -- a limit above: the postmaster moves into a child cgroup that has no
# limit of its own; what the parent's limit leaves still bounds the headroom
mkdir "$cg/child"
echo "$pm" >"$cg/child/cgroup.procs"
parent_room() {
	echo $((limit - $(cat "$cg/memory.usage_in_bytes") + $(stat_of total_inactive_file)))
}
b_room=$(parent_room)
row=$(sql "SELECT cgroup_path, coalesce(cgroup_limit::text, 'none'), headroom,
	headroom_by, mem_available FROM vmastat_system")
a_room=$(parent_room)
IFS='|' read -r path got_limit headroom headroom_by mem_available <<<"$row"
check 'cgroup_path is the child' "/$(basename "$cg")/child" "$path"
check 'the child has no limit of its own' none "$got_limit"
if [ "$a_room" -lt "$mem_available" ]; then
	check 'the parent binds the headroom' cgroup "$headroom_by"
	check_between 'headroom is what the parent leaves' "$b_room" "$headroom" "$a_room" \
		$query_mem
else
	echo "ok - the host has less available than the parent leaves: not checked"
fi
exit $failed
