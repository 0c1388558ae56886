#!/bin/bash
#
# bench.sh: what "make bench" runs.
#
# Starts a throwaway cluster with many idle sessions that have each touched
# shared buffers (they scanned a table held in shared_buffers), then
# measures, in one run and on the same processes:
#   - the kernel floor: reading the /proc files vmastat needs, and nothing
#     else (tools/bench/floor.c), in elapsed and in CPU time;
#   - vmastat_backends(), vmastat_backends(fast => true),
#     SELECT * FROM vmastat_vmas and SELECT * FROM vmastat_kinds, timed in
#     the server (EXPLAIN ANALYZE's
#     execution time, and the backend's CPU time from /proc/PID/schedstat),
#     each next to its floor, so that load from elsewhere hits both alike;
#   - the peers: a loop of pmap -d, a loop of pmap -X, smem;
#   - the parser's share: one backend's text parsed many times
#     (tools/bench/parse_bench.c);
#   - the anonymous memory a session keeps after many calls;
#   - pgbench with the background sampler off and at a 1 s interval, and
#     the sampler's own CPU time;
#   - pgbench while another session reads every process each second, and
#     how long a process waits in mmap/munmap while its page tables are
#     walked (tools/bench/lockprobe.c);
# and prints the medians, with ratios against the floor and the peers.
#
# Settings come from the environment (make bench SESSIONS=1000 PASSES=3):
#   SESSIONS=200           idle sessions
#   PASSES=5               passes of each timing (medians are reported)
#   SHARED_BUFFERS=1GB
#   TOUCH_MB=100           size of the table each session scans, i.e. the
#                          shared buffers every backend has mapped
#   MEM_CALLS=10000        calls of vmastat_backends(fast => true) and of
#                          vmastat_vmas(pg_backend_pid()) in one session;
#                          0 skips the memory part
#   MEM_CALLS_FULL=200     calls of vmastat_backends() (it walks every
#                          page table, so fewer)
#   PGBENCH_RUNS=3         runs of each pgbench condition, alternating;
#                          0 skips the sampler part
#   PGBENCH_SECONDS=15  PGBENCH_CLIENTS=4  PGBENCH_SCALE=10
#   PGBENCH_MODE=select-only  (or tpcb)
#   IMPACT_RUNS=3          runs of each reader condition; 0 skips them
#   LOCKPROBE_SECONDS=3    length of each mmap-stall probe (with IMPACT_RUNS)
#   PEERS=1                0 skips pmap and smem
#   RESULTS=dir            keep the raw measurements there
#   PG_CONFIG              which PostgreSQL
#
# --smoke: 5 sessions, one pass, 2-second pgbench runs; proves that the
# bench works, asserts no timing.
#
# Run as root, the cluster runs as the postgres user (BENCH_USER); run as
# another user, as that user.  The cluster is removed at the end, on
# failure and on Ctrl-C as well.
#
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/../.." && pwd)

smoke=0
if [ "${1:-}" = "--smoke" ]; then
	smoke=1
elif [ $# -gt 0 ]; then
	echo "usage: $0 [--smoke]" >&2
	exit 2
fi

if [ $smoke -eq 1 ]; then
	: "${SESSIONS:=5}" "${PASSES:=1}" "${SHARED_BUFFERS:=128MB}" "${TOUCH_MB:=8}"
	: "${MEM_CALLS:=50}" "${MEM_CALLS_FULL:=10}" "${PGBENCH_RUNS:=1}"
	: "${PGBENCH_SECONDS:=2}" "${PGBENCH_SCALE:=1}" "${IMPACT_RUNS:=1}" "${LOCKPROBE_SECONDS:=1}"
fi
SESSIONS=${SESSIONS:-200}
PASSES=${PASSES:-5}
SHARED_BUFFERS=${SHARED_BUFFERS:-1GB}
TOUCH_MB=${TOUCH_MB:-100}
MEM_CALLS=${MEM_CALLS:-10000}
MEM_CALLS_FULL=${MEM_CALLS_FULL:-200}
PGBENCH_RUNS=${PGBENCH_RUNS:-3}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-15}
PGBENCH_CLIENTS=${PGBENCH_CLIENTS:-4}
PGBENCH_SCALE=${PGBENCH_SCALE:-10}
PGBENCH_MODE=${PGBENCH_MODE:-select-only}
IMPACT_RUNS=${IMPACT_RUNS:-3}
LOCKPROBE_SECONDS=${LOCKPROBE_SECONDS:-3}
PEERS=${PEERS:-1}
RESULTS=${RESULTS:-}
PG_CONFIG=${PG_CONFIG:-pg_config}

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
note() { printf 'bench: %s\n' "$*" >&2; }

for v in SESSIONS PASSES TOUCH_MB MEM_CALLS MEM_CALLS_FULL PGBENCH_RUNS \
	PGBENCH_SECONDS PGBENCH_CLIENTS PGBENCH_SCALE IMPACT_RUNS LOCKPROBE_SECONDS PEERS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number, not \"${!v}\""
done
[ "$SESSIONS" -ge 1 ] && [ "$PASSES" -ge 1 ] || die "SESSIONS and PASSES must be at least 1"
case $PGBENCH_MODE in
	select-only) pgbench_mode_args=(-S) ;;
	tpcb) pgbench_mode_args=() ;;
	*) die "PGBENCH_MODE must be select-only or tpcb" ;;
esac
[ "$(uname -s)" = Linux ] || die "vmastat reads /proc: it needs Linux"

# libpq settings of the caller must not redirect the bench's connections
# (the PGBENCH_ settings above are ours)
while read -r var; do
	unset "$var"
done < <(compgen -e | grep '^PG[A-Z]' | grep -v -e '^PG_CONFIG$' -e '^PGBENCH_' || true)

bindir=$("$PG_CONFIG" --bindir)

#
# Build and install (the cluster loads the installed vmastat)
#
make -C "$srcdir" -s all tools/bench/floor tools/bench/sessions tools/bench/parse_bench \
	tools/bench/lockprobe PG_CONFIG="$PG_CONFIG"
if [ "$(id -u)" -eq 0 ]; then
	make -C "$srcdir" -s install PG_CONFIG="$PG_CONFIG"
	bench_user=${BENCH_USER:-postgres}
	run_as=(runuser -u "$bench_user" --)
elif [ -w "$("$PG_CONFIG" --pkglibdir)" ] && [ -w "$("$PG_CONFIG" --sharedir)/extension" ]; then
	make -C "$srcdir" -s install PG_CONFIG="$PG_CONFIG"
	bench_user=$(id -un)
	run_as=()
else
	sudo make -C "$srcdir" -s install PG_CONFIG="$PG_CONFIG"
	bench_user=$(id -un)
	run_as=()
fi
if [ "$PEERS" -ne 0 ]; then
	command -v pmap >/dev/null || die "pmap is missing (package procps); PEERS=0 skips the peers"
	command -v smem >/dev/null || die "smem is missing (package smem); PEERS=0 skips the peers"
fi

#
# The throwaway cluster, and everything that must go with it
#
work=$(mktemp -d /tmp/vmastat-bench.XXXXXX)
chmod 755 "$work"
name=$(basename "$work")
port=${BENCH_PORT:-$((20000 + RANDOM % 20000))}
driver_pid=
reader_pid=

cleanup() {
	local status=$?
	trap - EXIT INT TERM
	exec 3>&- 2>/dev/null || true
	[ -n "$reader_pid" ] && kill "$reader_pid" 2>/dev/null
	[ -n "$driver_pid" ] && kill "$driver_pid" 2>/dev/null
	if [ -f "$work/data/postmaster.pid" ]; then
		as_pg "$bindir/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ -n "$RESULTS" ] && [ -d "$work/out" ]; then
		mkdir -p "$RESULTS" && cp -r "$work/out/." "$RESULTS/" || true
	fi
	if [ $status -ne 0 ] && [ -f "$work/postmaster.log" ]; then
		echo "bench: last lines of the server log:" >&2
		tail -n 20 "$work/postmaster.log" >&2 || true
	fi
	rm -rf "$work"
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PGHOST=$work PGPORT=$port PGDATABASE=bench
# not a function where it starts a background job: $! must be the process
# that a kill reaches
pg_env=(env PGHOST="$PGHOST" PGPORT="$PGPORT" PGDATABASE="$PGDATABASE" PATH="$bindir:$PATH")
as_pg() { "${run_as[@]}" "${pg_env[@]}" "$@"; }
sql() { as_pg psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

out=$work/out
mkdir -p "$out"
for prog in floor sessions parse_bench lockprobe; do cp "$srcdir/tools/bench/$prog" "$work/"; done
chown -R "$bench_user": "$work"

as_pg "$bindir/initdb" -D "$work/data" -A trust --no-sync -E UTF8 --locale=C >/dev/null
cat >>"$work/data/postgresql.conf" <<EOF
listen_addresses = ''
port = $port
unix_socket_directories = '$work'
cluster_name = '$name'
shared_buffers = '$SHARED_BUFFERS'
huge_pages = off
max_connections = $((SESSIONS + PGBENCH_CLIENTS + 20))
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 0
vmastat.database = 'bench'
# every backend scans by itself: no parallel workers come and go
max_parallel_workers_per_gather = 0
# a stable set of processes while the passes run; on again for pgbench
autovacuum = off
EOF
as_pg "$bindir/pg_ctl" -D "$work/data" -l "$work/postmaster.log" -w -t 300 start >/dev/null

sql -d postgres -c "CREATE DATABASE bench"
# one row a page (7000 bytes, stored plain): TOUCH_MB MB is TOUCH_MB * 128 pages
sql <<EOF
CREATE EXTENSION vmastat;
CREATE EXTENSION pg_prewarm;
CREATE TABLE touch (id integer, pad text) WITH (fillfactor = 100);
ALTER TABLE touch ALTER COLUMN pad SET STORAGE PLAIN;
INSERT INTO touch SELECT g, repeat('x', 7000) FROM generate_series(1, $((TOUCH_MB * 128))) g;
VACUUM (FREEZE, ANALYZE) touch;
SELECT pg_prewarm('touch') \\g /dev/null
-- server-side time of one query, and the rows of its top node
CREATE FUNCTION bench_exec(q text, OUT ms float8, OUT nrows bigint)
LANGUAGE plpgsql AS \$\$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF, FORMAT JSON) ' || q INTO plan;
    ms := (plan->0->>'Execution Time')::float8;
    -- PostgreSQL 18 prints fractional actual row counts
    nrows := round((plan->0->'Plan'->>'Actual Rows')::numeric);
END
\$\$;
EOF

#
# The idle sessions, held by one driver until fd 3 closes
#
touch_query="SELECT count(*) FROM touch"
mkfifo "$work/hold"
"${run_as[@]}" "${pg_env[@]}" "$work/sessions" -n "$SESSIONS" -j 2 -q "$touch_query" \
	"application_name=vmastat_bench_idle" <"$work/hold" >"$work/sessions.out" \
	2>"$work/sessions.err" &
driver_pid=$!
exec 3>"$work/hold"
for ((i = 0; ; i++)); do
	grep -q '^ready$' "$work/sessions.out" 2>/dev/null && break
	kill -0 "$driver_pid" 2>/dev/null || die "the session driver failed: $(cat "$work/sessions.err")"
	[ $i -lt 36000 ] || die "the sessions did not start within an hour"
	sleep 0.1
done
first_idle=$(head -n 1 "$work/sessions.out")
touched_kb=$(awk '/^RssShmem:/ { print $2 }' "/proc/$first_idle/status")

# The regex that makes smem select this cluster's processes and nothing
# else: the postmaster by its data directory, the others by cluster_name
# in their titles.  smem also matches the process name, "postgres" for
# every cluster, hence the anchors.
name_re=${name//./\\.}
smem_re="^(postgres: $name_re: |$bindir/postgres -D $work/data)"

#
# The timing passes: one psql session runs them all, so that the process
# list the floor and the peers read is the one vmastat reads (the session's
# own backend included).  The shell parts run through psql's \!.
#
cat >"$work/pids.sh" <<'EOF'
#!/bin/bash
# the cluster's server processes: the postmaster and its children
pm=$(head -n 1 "$1/data/postmaster.pid")
echo "$pm"
tr ' ' '\n' <"/proc/$pm/task/$pm/children" | grep .
EOF
cat >"$work/pass.sh" <<'EOF'
#!/bin/bash
# pass.sh WORK PASS floor MODES [OPEN] | cpu LABEL | peers SMEM_REGEX
work=$1 pass=$2 what=$3
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
if [ "$what" = cpu ]; then
	# the timing session's time on a CPU so far, in ns: read while it is
	# idle, so that the kernel's figure is up to date
	echo "$4 $pass $(cut -d ' ' -f 1 "/proc/$(cat "$work/bpid.txt")/schedstat")" >>"$work/out/cpu.txt"
	exit
fi
if [ "$what" = floor ]; then
	"$work/floor" -n 1 -m "$4" -o "${5:-path}" <"$work/pids.txt" |
		awk -v p="$pass" '{ $2 = p; print }' >>"$work/out/floor.txt"
	exit
fi
smem_re=$4
n=$(wc -l <"$work/pids.txt")
t0=$EPOCHREALTIME
while read -r pid; do pmap -d "$pid"; done <"$work/pids.txt" >/dev/null 2>&1
t1=$EPOCHREALTIME
while read -r pid; do pmap -X "$pid"; done <"$work/pids.txt" >/dev/null 2>&1
t2=$EPOCHREALTIME
nsmem=$(smem -c pid -H -P "$smem_re" | wc -l)
t3=$EPOCHREALTIME
{
	echo "pmap_d $pass $(elapsed "$t0" "$t1") $n"
	echo "pmap_x $pass $(elapsed "$t1" "$t2") $n"
	echo "smem $pass $(elapsed "$t2" "$t3") $nsmem"
} >>"$work/out/peers.txt"
EOF
chmod 755 "$work/pids.sh" "$work/pass.sh"
chown "$bench_user": "$work/pids.sh" "$work/pass.sh"

# Each vmastat query is timed next to the floor of what it reads, in
# turn first and second, so that the two of a pair see the same machine:
# other work on two cores moves both, and their ratio less.
pairs=(
	"srm|backends|SELECT * FROM vmastat_backends()"
	"status|fast|SELECT * FROM vmastat_backends(fast => true)"
	"smaps|vmas|SELECT * FROM vmastat_vmas"
	"smaps|kinds|SELECT * FROM vmastat_kinds"
)
{
	echo "\\! '$work/pids.sh' '$work' > '$work/pids.txt'"
	echo "SELECT pg_backend_pid() \\g '$work/bpid.txt'"
	for ((p = 1; p <= PASSES; p++)); do
		for pair in "${pairs[@]}"; do
			IFS='|' read -r mode label query <<<"$pair"
			floor="\\! '$work/pass.sh' '$work' $p floor $mode"
			cpu="\\! '$work/pass.sh' '$work' $p cpu $label"
			vm="$cpu"$'\n'"SELECT '$label', $p, ms, nrows FROM bench_exec('$query');"$'\n'"$cpu"
			if ((p % 2)); then printf '%s\n%s\n' "$floor" "$vm"; else printf '%s\n%s\n' "$vm" "$floor"; fi
		done
		# the CPU of a statement that reads nothing: what the CPU figures
		# of vmastat's statements hold besides vmastat (planning, EXPLAIN)
		echo "\\! '$work/pass.sh' '$work' $p cpu null"
		echo "SELECT 'null', $p, ms, nrows FROM bench_exec('SELECT 1');"
		echo "\\! '$work/pass.sh' '$work' $p cpu null"
		# the parts of the first floor, and the price of opening files the
		# way vmastat does (through /proc/PID) instead of by path
		echo "\\! '$work/pass.sh' '$work' $p floor maps,rollup"
		echo "\\! '$work/pass.sh' '$work' $p floor srm,status dirfd"
		echo "\\! '$work/pass.sh' '$work' $p floor srm,status openat"
		if [ "$PEERS" -ne 0 ]; then
			echo "\\! '$work/pass.sh' '$work' $p peers '$smem_re'"
		fi
	done
} >"$work/passes.sql"
chown "$bench_user": "$work/passes.sql"
note "timing $PASSES passes over $((SESSIONS)) idle sessions"
load_before=$(cut -d ' ' -f 1-3 /proc/loadavg)
sql -F ' ' -f "$work/passes.sql" >"$out/vmastat.txt"
cp "$work/pids.txt" "$out/pids.txt"
nprocs=$(wc -l <"$work/pids.txt")

# The parser's share of the cost: one idle backend's files, saved, parsed
# many times, next to the kernel printing them afresh
for f in smaps maps smaps_rollup; do
	cat "/proc/$first_idle/$f" >"$work/sample.$f"
done
chown "$bench_user": "$work"/sample.*
as_pg "$work/parse_bench" -r 200 -p "$first_idle" "$work/sample.smaps" "$work/sample.maps" \
	"$work/sample.smaps_rollup" >"$out/parse.txt"

#
# Memory: RssAnon of one session at its start, after one call, after half
# the calls and after all of them (from /proc/self/status, read by the
# session itself without vmastat)
#
mem_run() {
	local label=$1 calls=$2 call=$3 half i
	half=$((calls / 2))
	[ "$calls" -ge 2 ] || return 0
	rss_line() {
		echo "SELECT '$label', '$1', substring(pg_read_file('/proc/self/status') FROM 'RssAnon:\\s+(\\d+) kB');"
	}
	{
		rss_line start
		echo "\\o /dev/null"
		echo "$call"
		echo "\\o"
		rss_line first
		echo "\\o /dev/null"
		for ((i = 1; i < half; i++)); do echo "$call"; done
		echo "\\o"
		rss_line half
		echo "\\o /dev/null"
		for ((i = half; i < calls; i++)); do echo "$call"; done
		echo "\\o"
		rss_line end
	} >"$work/mem.sql"
	chown "$bench_user": "$work/mem.sql"
	sql -F ' ' -f "$work/mem.sql" | awk -v n="$calls" '{ print $0, n }' >>"$out/memory.txt"
}
if [ "$MEM_CALLS" -gt 0 ]; then
	note "memory: $MEM_CALLS calls of the fast path and of vmastat_vmas(pid), $MEM_CALLS_FULL of vmastat_backends()"
	mem_run fast "$MEM_CALLS" "SELECT count(*) FROM vmastat_backends(fast => true);"
	mem_run vmas_pid "$MEM_CALLS" "SELECT count(*) FROM vmastat_vmas(pg_backend_pid());"
	mem_run backends "$MEM_CALLS_FULL" "SELECT count(*) FROM vmastat_backends();"
fi

#
# pgbench: sampler off and on, then the readers
#
latency_stats() {
	# p50 p90 p99 p99.9 max, in ms, of the per-transaction logs given
	cat "$@" | awk '{ print $3 }' | sort -n | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "- - - - -"; exit }
			split("0.5 0.9 0.99 0.999", q, " ")
			for (i = 1; i <= 4; i++) {
				k = int(q[i] * NR + 0.999999); if (k < 1) k = 1
				printf "%.3f ", v[k] / 1000
			}
			printf "%.3f\n", v[NR] / 1000
		}'
}
# on-CPU nanoseconds of a process so far, 0 if it is gone
cpu_ns() { { cut -d ' ' -f 1 "/proc/$1/schedstat" 2>/dev/null || echo 0; } | head -n 1; }
# pgbench_run LABEL RUN [PID [COUNT_SAMPLES]]: one pgbench run; records tps,
# latency percentiles, the CPU time PID spent meanwhile (the sampler or a
# reader) and, if asked, the sampler's samples taken meanwhile
pgbench_run() {
	local label=$1 run=$2 watch=${3:-} count=${4:-0} log tps c0=0 c1=0 s0=0 s1=0
	log=$work/pgb/$label.$run
	mkdir -p "$work/pgb"
	chown "$bench_user": "$work/pgb"
	[ -z "$watch" ] || c0=$(cpu_ns "$watch")
	[ "$count" -eq 0 ] || s0=$(samples)
	as_pg pgbench -n "${pgbench_mode_args[@]}" -c "$PGBENCH_CLIENTS" -j 2 \
		-T "$PGBENCH_SECONDS" -l --log-prefix="$log" 3>&- >"$log.out" 2>&1 ||
		{ cat "$log.out" >&2; die "pgbench failed"; }
	[ -z "$watch" ] || c1=$(cpu_ns "$watch")
	[ "$count" -eq 0 ] || s1=$(samples)
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$log.out")
	echo "$label $run $tps $(latency_stats "$log".[0-9]*) $(((c1 - c0) / 1000000)) $((s1 - s0))" \
		>>"$out/pgbench.txt"
	rm -f "$log".[0-9]*
}
# samples taken so far: those of the postmaster's incarnation (the history's
# buckets merge, so counting their times would not do)
samples() {
	sql -c "SELECT coalesce(max(samples), 0) FROM vmastat_incarnations() WHERE backend_type = 'postmaster' AND alive"
}
set_sampler() {
	local interval=$1 before i
	before=$(samples)
	sql -c "ALTER SYSTEM SET vmastat.sample_interval = $interval" -c "SELECT pg_reload_conf()" >/dev/null
	for ((i = 0; i < 300; i++)); do
		if [ "$interval" -eq 0 ]; then
			[ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'vmastat sampler'")" -eq 0 ] && return
		else
			# two samples: the first reads the smaps of every new process
			[ "$(samples)" -ge $((before + 2)) ] && return
		fi
		sleep 0.1
	done
	die "the sampler did not turn $([ "$interval" -eq 0 ] && echo off || echo on)"
}
if [ "$PGBENCH_RUNS" -gt 0 ] || [ "$IMPACT_RUNS" -gt 0 ]; then
	note "pgbench -i -s $PGBENCH_SCALE"
	as_pg pgbench -i -q -s "$PGBENCH_SCALE" >/dev/null 2>&1 || die "pgbench -i failed"
	sql -c "ALTER SYSTEM SET autovacuum = on" -c "SELECT pg_reload_conf()" >/dev/null
fi
if [ "$PGBENCH_RUNS" -gt 0 ]; then
	note "pgbench, sampler off and on, $PGBENCH_RUNS runs of $PGBENCH_SECONDS s each"
	for ((r = 1; r <= PGBENCH_RUNS; r++)); do
		set_sampler 0
		pgbench_run sampler_off "$r"
		set_sampler 1
		pgbench_run sampler_on "$r" \
			"$(sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'vmastat sampler'")" 1
	done
	set_sampler 0
fi

# A reader session that runs one query every second (\watch sleeps one
# second after each run), logging how long each run took
start_reader() {
	local query=$1 label=$2
	echo "SELECT ms FROM bench_exec('$query') \\watch 1" >"$work/reader.sql"
	chown "$bench_user": "$work/reader.sql"
	"${run_as[@]}" "${pg_env[@]}" PGAPPNAME=vmastat_bench_reader psql -X -q -A -t \
		-f "$work/reader.sql" 3>&- >>"$out/reader.$label.txt" 2>/dev/null &
	reader_pid=$!
	sleep 1
	reader_backend=$(sql -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'vmastat_bench_reader'")
}
stop_reader() {
	kill "$reader_pid" 2>/dev/null || true
	wait "$reader_pid" 2>/dev/null || true
	reader_pid=
}
if [ "$IMPACT_RUNS" -gt 0 ]; then
	note "pgbench with readers, $IMPACT_RUNS runs of $PGBENCH_SECONDS s each"
	readers=(
		"vmas|SELECT * FROM vmastat_vmas"
		"backends|SELECT * FROM vmastat_backends()"
		"vmas_pgbench|SELECT v.* FROM pg_stat_activity a, vmastat_vmas(a.pid) v WHERE a.application_name = ''pgbench''"
	)
	for ((r = 1; r <= IMPACT_RUNS; r++)); do
		pgbench_run reader_none "$r"
		for rd in "${readers[@]}"; do
			start_reader "${rd#*|}" "${rd%%|*}"
			pgbench_run "reader_${rd%%|*}" "$r" "$reader_backend"
			stop_reader
		done
	done

	# What a process waits for in mmap/munmap (what malloc does for large
	# allocations) while its page tables are walked: a process with
	# TOUCH_MB of shared memory touched, read 10 times a second
	note "mmap stalls of a process being read (lockprobe)"
	for f in none smaps smaps_rollup maps status; do
		if [ $f = none ]; then
			line=$("$work/lockprobe" -m "$TOUCH_MB" -s "$LOCKPROBE_SECONDS")
			us=-
		else
			line=$("$work/lockprobe" -m "$TOUCH_MB" -s "$LOCKPROBE_SECONDS" -f $f -r -i 100 \
				2>"$work/lockprobe.err")
			us=$(sed -n 's/^lockprobe: [0-9]* reads of [a-z_]*, \([0-9]*\) us each$/\1/p' "$work/lockprobe.err")
		fi
		echo "$line ${us:--}"
	done >"$out/lockprobe.txt"
fi

#
# Report
#
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Every timing as "key pass seconds", in one file; CPU times as "cpu_key"
{
	awk '{ print $1, $2, $3; print "cpu_" $1, $2, $7 }' "$out/floor.txt" | sed 's/^\(cpu_\)\{0,1\}/&floor_/'
	awk '{ print $1, $2, $3 / 1000 }' "$out/vmastat.txt"
	# the second reading of a pass minus the first, less the null
	# statement's of the same pass
	awk '{ k = $1 " " $2; if (k in t) { d[k] = $3 - t[k]; if ($1 == "null") z[$2] = d[k] } else t[k] = $3 }
		END { for (k in d) { split(k, a, " "); if (a[1] != "null") print "cpu_" a[1], a[2], (d[k] - z[a[2]]) / 1e9 } }' \
		"$out/cpu.txt"
	[ ! -f "$out/peers.txt" ] || awk '{ print $1, $2, $3 }' "$out/peers.txt"
} >"$out/times.txt"

declare -A med lo hi
# (input redirected, not piped: stat_of must run in this shell)
stat_of() {
	local key=$1 values
	values=$(awk -v k="$key" '$1 == k { print $3 }' "$out/times.txt")
	med[$key]=$(printf '%s\n' "$values" | grep . | median)
	lo[$key]=$(printf '%s\n' "$values" | grep . | sort -g | head -n 1)
	hi[$key]=$(printf '%s\n' "$values" | grep . | sort -g | tail -n 1)
}
for key in $(awk '{ print $1 }' "$out/times.txt" | sort -u); do stat_of "$key"; done

# median over the passes of key's time / floor's time in the same pass
paired() {
	awk -v a="$1" -v b="$2" '
		$1 == a { x[$2] = $3 }
		$1 == b { y[$2] = $3 }
		END { for (p in x) if ((p in y) && y[p] > 0) print x[p] / y[p] }' "$out/times.txt" |
		median | awk '{ if ($1 == "-") print "-"; else printf "%.2f", $1 }'
}
ratio() { awk -v a="$1" -v b="${2:-}" 'BEGIN { if (b == "" || b == "-" || b + 0 == 0 || a == "-") print "-"; else printf "%.2f", a / b }'; }
bytes_of() { awk -v f="$1" '$1 == f { print $4; exit }' "$out/floor.txt"; }
# a number with 4 decimals, or "-"
fmt4() { awk -v v="${1:-}" 'BEGIN { if (v == "" || v == "-") print "-"; else printf "%.4f", v }'; }

printf '\nvmastat bench: %d server processes (%d idle sessions, %d MB RssShmem each), shared_buffers %s\n' \
	"$nprocs" "$SESSIONS" $((touched_kb / 1024)) "$SHARED_BUFFERS"
printf 'host: %s, %s CPUs, %s GB RAM, Linux %s, %s\n' \
	"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" "$(nproc)" \
	$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1048576)) "$(uname -r)" \
	"$("$bindir/postgres" -V)"
# other work on the machine makes every figure noisier: say how much there was
printf 'load average: %s before the passes, %s at the end\n' "$load_before" "$(cut -d ' ' -f 1-3 /proc/loadavg)"
printf 'text read per pass: status %s kB, maps %s kB, smaps_rollup %s kB, smaps %s kB\n' \
	$(($(bytes_of status) / 1024)) $(($(bytes_of maps) / 1024)) $(($(bytes_of rollup) / 1024)) \
	$(($(bytes_of smaps) / 1024))
printf 'rows: vmastat_backends() %s, vmastat_vmas %s, vmastat_kinds %s\n' \
	"$(awk '$1 == "backends" { print $4; exit }' "$out/vmastat.txt")" \
	"$(awk '$1 == "vmas" { print $4; exit }' "$out/vmastat.txt")" \
	"$(awk '$1 == "kinds" { print $4; exit }' "$out/vmastat.txt")"
printf '%d passes, seconds.  x floor: median over the passes of the ratio to the floor of\n' "$PASSES"
printf 'what it reads, timed next to it (min: ratio of the minimums); x peer: ratio of medians\n\n'

printf '%-42s %8s %8s %8s %8s %7s %7s %8s %8s %8s  %s\n' what median min max 'us/proc' \
	'x floor' '(min)' 'x pmap-d' 'x pmap-X' 'x smem' target
row() {
	local label=$1 key=$2 floor_key=${3:-} target=${4:-} verdict= x
	[ -n "${med[$key]:-}" ] || return 0
	x=$( [ -n "$floor_key" ] && paired "$key" "$floor_key" || echo -)
	if [ -n "$target" ]; then
		verdict=$(awk -v r="$x" -v t="$target" \
			'BEGIN { if (r == "-") print "-"; else printf "<= %s: %s", t, (r <= t ? "met" : "MISSED") }')
	fi
	printf '%-42s %8s %8s %8s %8s %7s %7s %8s %8s %8s  %s\n' "$label" \
		"$(fmt4 "${med[$key]}")" "$(fmt4 "${lo[$key]}")" "$(fmt4 "${hi[$key]}")" \
		"$(awk -v s="${med[$key]}" -v n="$nprocs" 'BEGIN { if (s == "-") print "-"; else printf "%.1f", s * 1e6 / n }')" \
		"$x" "$( [ -n "$floor_key" ] && ratio "${lo[$key]}" "${lo[$floor_key]:-}" || echo -)" \
		"$(ratio "${med[$key]}" "${med[pmap_d]:-}")" "$(ratio "${med[$key]}" "${med[pmap_x]:-}")" \
		"$(ratio "${med[$key]}" "${med[smem]:-}")" "$verdict"
}
row "floor: status+maps+smaps_rollup" floor_srm
row "floor: status" floor_status
row "floor: smaps" floor_smaps
row "vmastat_backends()" backends floor_srm 1.15
row "vmastat_backends(fast => true)" fast floor_status 2
row "SELECT * FROM vmastat_vmas" vmas floor_smaps 1.2
row "SELECT * FROM vmastat_kinds" kinds floor_smaps 1.15
row "pmap -d loop (reads maps)" pmap_d floor_maps
row "pmap -X loop (reads smaps)" pmap_x floor_smaps
row "smem (reads smaps)" smem floor_smaps
printf 'CPU time (what the process spent on a CPU, waiting for a core left out; vmastat'"'"'s less\n'
printf 'that of a statement reading nothing, %s ms):\n' \
	"$(awk '{ k = $1 " " $2; if ($1 == "null") { if (k in t) print ($3 - t[k]) / 1e6; else t[k] = $3 } }' "$out/cpu.txt" | median)"
row "  floor: status+maps+smaps_rollup" cpu_floor_srm
row "  floor: status" cpu_floor_status
row "  floor: smaps" cpu_floor_smaps
row "  vmastat_backends()" cpu_backends cpu_floor_srm 1.15
row "  vmastat_backends(fast => true)" cpu_fast cpu_floor_status 2
row "  SELECT * FROM vmastat_vmas" cpu_vmas cpu_floor_smaps 1.2
row "  SELECT * FROM vmastat_kinds" cpu_kinds cpu_floor_smaps 1.15
printf 'parts and variants of the floor:\n'
row "  maps" floor_maps
row "  smaps_rollup" floor_rollup
row "  status+maps+rollup, opened via /proc/PID" floor_srm@dirfd floor_srm
row "  status+maps+rollup, openat(/proc/PID)" floor_srm@openat floor_srm
row "  status, opened via /proc/PID" floor_status@dirfd floor_status
row "  status, openat(/proc/PID)" floor_status@openat floor_status
if [ "$PEERS" -ne 0 ]; then
	printf '(smem selected %s processes; "opened via /proc/PID": open /proc/PID, then /proc/self/fd/N/file, as vmastat 1.0 does)\n' \
		"$(awk '$1 == "smem" { print $4; exit }' "$out/peers.txt")"
fi

printf '\nuser-space parsing (src/vma_parser.c, vma_kind.c) of one idle backend'"'"'s text, 200 times:\n'
printf '%-14s %8s %6s %13s %16s %14s %14s\n' file bytes vmas 'parse ns/vma' 'classify ns/vma' 'kernel ns/read' 'parse/kernel'
awk '{ n = split($1, a, "."); printf "%-14s %8d %6d %13.1f %16.1f %14.0f %13.1f%%\n", a[n], $2, $3, $4, $5, $7, $8 * 100 }' "$out/parse.txt"

if [ -s "$out/memory.txt" ]; then
	printf '\nmemory: RssAnon of the calling session, kB, at its start and after 1, N/2 and N calls\n'
	printf '%-34s %6s %7s %7s %7s %7s %9s %9s %12s\n' call N start 'after 1' 'N/2' N \
		'start..N' 'N/2..N' 'per 10000'
	for m in fast:"vmastat_backends(fast => true)" vmas_pid:"vmastat_vmas(pg_backend_pid())" backends:"vmastat_backends()"; do
		awk -v k="${m%%:*}" -v label="${m#*:}" '
			$1 == k { v[$2] = $3; n = $4 }
			END {
				if (n == "") exit
				printf "%-34s %6d %7d %7d %7d %7d %9d %9d %12.0f\n", label, n, v["start"], v["first"],
					v["half"], v["end"], v["end"] - v["start"], v["end"] - v["half"],
					(v["end"] - v["half"]) * 10000 / (n - int(n / 2))
			}' "$out/memory.txt"
	done
	printf '(start..N includes what the first call sets up once: the library, catalog caches, malloc arenas;\n'
	printf ' per 10000 is the second half'"'"'s growth scaled to 10,000 calls; target < 1024 kB)\n'
fi

pgbench_table() {
	local title=$1 base=$2
	shift 2
	printf '\n%s\n' "$title"
	printf '%-22s %4s %9s %7s %7s %7s %8s %7s %8s %8s %8s\n' condition runs tps 'p50 ms' 'p90 ms' 'p99 ms' \
		'p99.9 ms' 'max ms' 'tps vs' 'p99 vs' 'CPU'
	for label in "$@"; do
		grep -q "^$label " "$out/pgbench.txt" || continue
		local cols=() c
		for c in 3 4 5 6 7 8; do
			cols+=("$(awk -v k="$label" -v c=$c '$1 == k { print $c }' "$out/pgbench.txt" | median)")
		done
		# "vs": median over the rounds of this run against the base run of
		# the same round; CPU: of the sampler or reader, in % of one core
		printf '%-22s %4d %9.0f %7s %7s %7s %8s %7s %8s %8s %8s\n' "$label" \
			"$(grep -c "^$label " "$out/pgbench.txt")" "${cols[0]}" "${cols[@]:1}" \
			"$(pgbench_paired "$label" "$base" 3)" "$(pgbench_paired "$label" "$base" 6)" \
			"$(awk -v k="$label" -v s="$PGBENCH_SECONDS" '$1 == k { print $9 / (s * 10) }' "$out/pgbench.txt" |
				median | awk '{ if ($1 == "-" || $1 == 0) print "-"; else printf "%.2f%%", $1 }')"
	done
	printf 'runs (tps, p50 p90 p99 p99.9 max ms):\n'
	for label in "$@"; do
		awk -v k="$label" '$1 == k { printf "  %-22s run %s: %9.0f  %s %s %s %s %s%s\n", k, $2, $3, $4, $5, $6, $7, $8, ($10 > 0 ? "  (" $10 " samples, " $9 " ms CPU)" : ($9 > 0 ? "  (" $9 " ms CPU)" : "")) }' "$out/pgbench.txt"
	done
}
# median over rounds of column c of label / column c of base, as +x.x%
pgbench_paired() {
	awk -v a="$1" -v b="$2" -v c="$3" '
		$1 == a { x[$2] = $c }
		$1 == b { y[$2] = $c }
		END { for (r in x) if ((r in y) && y[r] > 0) print (x[r] / y[r] - 1) * 100 }' "$out/pgbench.txt" |
		median | awk '{ if ($1 == "-") print "-"; else printf "%+.1f%%", $1 }'
}
if [ "$PGBENCH_RUNS" -gt 0 ]; then
	pgbench_table "pgbench $PGBENCH_MODE, scale $PGBENCH_SCALE, $PGBENCH_CLIENTS clients, $PGBENCH_SECONDS s, $nprocs other processes; medians of $PGBENCH_RUNS runs, alternating" \
		sampler_off sampler_off sampler_on
fi
if [ "$IMPACT_RUNS" -gt 0 ]; then
	pgbench_table "pgbench while one session reads every second (sampler off); medians of $IMPACT_RUNS runs" \
		reader_none reader_none reader_vmas reader_backends reader_vmas_pgbench
	printf 'reader query duration, median ms (one run every 1 s + its duration):\n'
	for l in vmas backends vmas_pgbench; do
		printf '  %-26s %s\n' "$l" "$(cat "$out/reader.$l.txt" 2>/dev/null | grep . | median)"
	done
	printf '\nmmap+munmap of 256 kB in a process with %s MB of shared memory touched, while another\n' "$TOUCH_MB"
	printf 'process reads its file 10 times a second (lockprobe), microseconds:\n'
	printf '%-14s %9s %8s %8s %9s %9s %10s\n' 'file read' loops p50 p99 p99.9 max 'one read'
	awk '{ printf "%-14s %9d %8.1f %8.1f %9.1f %9.1f %10s\n", ($2 == "none" ? "(none)" : $1), $3, $4, $5, $6, $7, $8 }' \
		"$out/lockprobe.txt"
fi

#
# Every part must have produced numbers; timings are not judged here
#
missing=()
for k in floor_srm floor_status floor_smaps backends fast vmas kinds; do
	[ "${med[$k]:-}" != "-" ] && [ -n "${med[$k]:-}" ] || missing+=("$k")
done
if [ "$PEERS" -ne 0 ]; then
	for k in pmap_d pmap_x smem; do
		[ "${med[$k]:-}" != "-" ] && [ -n "${med[$k]:-}" ] || missing+=("$k")
	done
	[ "$(awk '$1 == "smem" { print $4; exit }' "$out/peers.txt")" -eq "$nprocs" ] ||
		note "smem selected another number of processes than there are server processes"
fi
if [ "$MEM_CALLS" -gt 0 ] &&
	[ "$(grep -c ' end ' "$out/memory.txt" 2>/dev/null)" -ne $((MEM_CALLS_FULL >= 2 ? 3 : 2)) ]; then
	missing+=(memory)
fi
if [ "$PGBENCH_RUNS" -gt 0 ]; then
	awk '$1 == "sampler_on" && $10 < 1 { bad = 1 } END { exit bad }' "$out/pgbench.txt" || missing+=("sampler samples")
fi
[ ${#missing[@]} -eq 0 ] || die "no result for: ${missing[*]}"
