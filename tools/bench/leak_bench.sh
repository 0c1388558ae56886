#!/bin/bash
#
# leak_bench.sh: the leak finder's part of "make bench".
#
# On a throwaway cluster, in one run:
#   1. query time: LEAK_PROCESSES made-up incarnations are fed through the
#      sampler's path (the test-only entry point vmastat_history_feed, time
#      compressed) at 1 s, in chunks of a minute of every incarnation, as the
#      sampler would take them; after 1 minute, 1 hour and 1 day of history
#      SELECT * FROM vmastat_leaks, SELECT * FROM vmastat_top and
#      SELECT * FROM vmastat_backends(fast => true) are timed in the server
#      (EXPLAIN ANALYZE's execution time, median of LEAK_PASSES passes);
#      most incarnations are flat with noise and statement spikes, one in
#      LEAK_EVERY leaks (1-4 MB per minute), so vmastat_leaks has rows;
#   2. storage: the bytes of the extension's tables and indexes before and
#      after the feed, the WAL written meanwhile, and the size of
#      $PGDATA/pg_stat_tmp/vmastat.state (suspects only, then everything after
#      a clean restart);
#   3. sampler CPU: LEAK_SESSIONS real idle sessions, the sampler at
#      LEAK_INTERVAL, its CPU time over LEAK_SAMPLER_SECONDS as % of one core,
#      next to the floor measured right after: reading /proc/PID/status of
#      the same processes (tools/bench/floor -m status), CPU per pass x
#      passes per interval, and the same for statm, which the sampler reads
#      instead on a host without swap;
# and prints a table with the issue's targets.
#
# Settings (environment):
#   LEAK_PROCESSES=1000        fed incarnations; 0 skips the whole leak bench
#   LEAK_SECONDS=86400         the longest history fed (1 day); the stages are
#                              60 s, 3600 s and this, those not above it
#   LEAK_STEP=1                seconds between fed samples after the first
#                              hour; 1 feeds the whole history at 1 s (a day
#                              of 1000 incarnations is 86.4M samples); more
#                              makes the day stage quicker to feed, and the
#                              table says so
#   LEAK_EVERY=10              one fed incarnation in LEAK_EVERY leaks
#   LEAK_PASSES=7              passes of each query timing
#   LEAK_JOBS=2                sessions feeding in parallel
#   LEAK_SESSIONS=$LEAK_PROCESSES  real idle sessions for the sampler part;
#                              0 skips it
#   LEAK_INTERVAL=1s           vmastat.sample_interval of the sampler part
#   LEAK_SAMPLER_SECONDS=60    how long the sampler's CPU time is measured
#   LEAK_PERF=0                1: perf record the sampler for 20 s and print
#                              the top of the report
#   BENCH_LOCK=                a lock file (/tmp/vmastat-install.lock) held
#                              while installing and starting the cluster
#   RESULTS=dir                keep the raw measurements there
#   PG_CONFIG                  which PostgreSQL
#
# --smoke: 20 incarnations, 5 minutes of history, 20 sessions, 3 s of
# sampler; proves that the bench works, asserts no timing.
#
# Run as root, the cluster runs as the postgres user (BENCH_USER).
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
	: "${LEAK_PROCESSES:=20}" "${LEAK_SECONDS:=300}" "${LEAK_PASSES:=1}"
	: "${LEAK_SAMPLER_SECONDS:=3}"
fi
LEAK_PROCESSES=${LEAK_PROCESSES:-1000}
LEAK_SECONDS=${LEAK_SECONDS:-86400}
LEAK_EVERY=${LEAK_EVERY:-10}
LEAK_STEP=${LEAK_STEP:-1}
LEAK_PASSES=${LEAK_PASSES:-7}
LEAK_JOBS=${LEAK_JOBS:-2}
LEAK_SESSIONS=${LEAK_SESSIONS:-$LEAK_PROCESSES}
LEAK_INTERVAL=${LEAK_INTERVAL:-1s}
LEAK_SAMPLER_SECONDS=${LEAK_SAMPLER_SECONDS:-60}
LEAK_PERF=${LEAK_PERF:-0}
BENCH_LOCK=${BENCH_LOCK:-}
RESULTS=${RESULTS:-}
PG_CONFIG=${PG_CONFIG:-pg_config}

die() { printf 'leak bench: %s\n' "$*" >&2; exit 1; }
note() { printf 'leak bench: %s\n' "$*" >&2; }

for v in LEAK_PROCESSES LEAK_SECONDS LEAK_STEP LEAK_EVERY LEAK_PASSES LEAK_JOBS LEAK_SESSIONS \
	LEAK_SAMPLER_SECONDS LEAK_PERF; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number, not \"${!v}\""
done
if [ "$LEAK_PROCESSES" -eq 0 ]; then
	echo "leak bench: skipped (LEAK_PROCESSES=0)"
	exit 0
fi
[ "$LEAK_SECONDS" -ge 60 ] || die "LEAK_SECONDS must be at least 60"
[ "$LEAK_PASSES" -ge 1 ] && [ "$LEAK_JOBS" -ge 1 ] && [ "$LEAK_EVERY" -ge 1 ] &&
	[ "$LEAK_STEP" -ge 1 ] || die "LEAK_PASSES, LEAK_JOBS, LEAK_EVERY and LEAK_STEP must be at least 1"
[ "$(uname -s)" = Linux ] || die "vmastat reads /proc: it needs Linux"

while read -r var; do
	unset "$var"
done < <(compgen -e | grep '^PG[A-Z]' | grep -v -e '^PG_CONFIG$' || true)

bindir=$("$PG_CONFIG" --bindir)
make -C "$srcdir" -s all tools/bench/floor tools/bench/sessions PG_CONFIG="$PG_CONFIG"
if [ "$(id -u)" -eq 0 ]; then
	bench_user=${BENCH_USER:-postgres}
	run_as=(runuser -u "$bench_user" --)
	install=(make -C "$srcdir" -s install PG_CONFIG="$PG_CONFIG")
else
	bench_user=$(id -un)
	run_as=()
	if [ -w "$("$PG_CONFIG" --pkglibdir)" ]; then
		install=(make -C "$srcdir" -s install PG_CONFIG="$PG_CONFIG")
	else
		install=(sudo make -C "$srcdir" -s install PG_CONFIG="$PG_CONFIG")
	fi
fi

work=$(mktemp -d /tmp/vmastat-leakbench.XXXXXX)
chmod 755 "$work"
port=${BENCH_PORT:-$((20000 + RANDOM % 20000))}
driver_pid=
feeders=()

cleanup() {
	local status=$?
	trap - EXIT INT TERM
	exec 3>&- 2>/dev/null || true
	[ -n "$driver_pid" ] && kill "$driver_pid" 2>/dev/null
	for p in "${feeders[@]}"; do kill "$p" 2>/dev/null || true; done
	if [ -f "$work/data/postmaster.pid" ]; then
		as_pg "$bindir/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ -n "$RESULTS" ] && [ -d "$work/out" ]; then
		mkdir -p "$RESULTS" && cp -r "$work/out/." "$RESULTS/" || true
	fi
	if [ $status -ne 0 ] && [ -f "$work/postmaster.log" ]; then
		echo "leak bench: last lines of the server log:" >&2
		tail -n 20 "$work/postmaster.log" >&2 || true
	fi
	rm -rf "$work"
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_env=(env PGHOST="$work" PGPORT="$port" PGDATABASE=bench PATH="$bindir:$PATH")
as_pg() { "${run_as[@]}" "${pg_env[@]}" "$@"; }
sql() { as_pg psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
out=$work/out
mkdir -p "$out"
cp "$srcdir/tools/bench/floor" "$srcdir/tools/bench/sessions" "$work/"
chown -R "$bench_user": "$work"

#
# The cluster: installed and started (the library is preloaded, so a later
# install by someone else does not change it under the running server)
#
as_pg "$bindir/initdb" -D "$work/data" -A trust --no-sync -E UTF8 --locale=C >/dev/null
cat >>"$work/data/postgresql.conf" <<EOF
listen_addresses = ''
port = $port
unix_socket_directories = '$work'
shared_buffers = '128MB'
huge_pages = off
# the store holds 2 x (MaxBackends + aux + 2) incarnations: room for the fed
# ones next to the real processes
max_connections = $((LEAK_PROCESSES > LEAK_SESSIONS ? LEAK_PROCESSES + 100 : LEAK_SESSIONS + 100))
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 0
vmastat.database = 'bench'
autovacuum = off
max_parallel_workers_per_gather = 0
EOF
# with_lock CMD...: runs CMD holding BENCH_LOCK, if given
with_lock() {
	if [ -n "$BENCH_LOCK" ]; then
		exec 9>>"$BENCH_LOCK"
		flock 9
		"$@"
		flock -u 9
		exec 9>&-
	else
		"$@"
	fi
}
# (re)starting loads the installed library again: install ours first
start_cluster() {
	"${install[@]}"
	as_pg "$bindir/pg_ctl" -D "$work/data" -l "$work/postmaster.log" -w -t 300 "$1" >/dev/null
	if [ "$1" = start ]; then
		sql -d postgres -c "CREATE DATABASE bench"
		sql -c "CREATE EXTENSION vmastat"
	fi
}
with_lock start_cluster start

sql <<'EOF'
-- the test-only feed (not in the extension's scripts)
CREATE FUNCTION bench_test_feed(pid integer, start timestamptz, times timestamptz[],
                                owned bigint[], backend_type text) RETURNS void
    AS 'vmastat', 'vmastat_history_feed' LANGUAGE C STRICT;
-- owned bytes of incarnation j at second i: 8-15 MB, 64 kB of jitter, a
-- statement of 2-8 MB in one sample in ten; one in "every" leaks 1-4 MB/min
CREATE FUNCTION bench_owned(j integer, i integer, every integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT 8388608 + (j % 8) * 1048576::bigint + (hashint4(i * 7919 + j) & 65535)
           + CASE WHEN (hashint4(i * 31 + j * 17) & 1023) < 102
                  THEN 2097152 + (hashint4(i + j * 7) & 6291455) ELSE 0 END
           + CASE WHEN j % every = 0 THEN i::bigint * (1 + j % 4) * 1048576 / 60 ELSE 0 END
$$;
-- feeds seconds s0, s0 + dt, ... < s1 after t0 of incarnations j0, j0 + step,
-- ... < j1
CREATE FUNCTION bench_feed(j0 integer, j1 integer, step integer, t0 timestamptz,
                           s0 integer, s1 integer, dt integer, every integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz[];
    o bigint[];
BEGIN
    SELECT array_agg(t0 + i * interval '1 second' ORDER BY i) INTO t
    FROM generate_series(s0, s1 - 1, dt) AS i;
    FOR j IN j0 .. j1 - 1 BY step LOOP
        SELECT array_agg(bench_owned(j, i, every) ORDER BY i) INTO o
        FROM generate_series(s0, s1 - 1, dt) AS i;
        PERFORM bench_test_feed(5000000 + j, t0 - interval '10 seconds', t, o,
                                'client backend');
    END LOOP;
END
$$;
-- server-side time of one query, and the rows of its top node
CREATE FUNCTION bench_exec(q text, OUT ms float8, OUT nrows bigint)
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF, FORMAT JSON) ' || q INTO plan;
    ms := (plan->0->>'Execution Time')::float8;
    nrows := round((plan->0->'Plan'->>'Actual Rows')::numeric);
END
$$;
-- the bytes of the extension's tables, their indexes and TOAST
CREATE FUNCTION bench_ext_bytes() RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(sum(pg_total_relation_size(d.objid)), 0)::bigint
    FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
    WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e' AND c.relkind IN ('r', 'm')
      AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vmastat')
$$;
EOF

#
# 1 and 2: the feed, in stages
#
# Feeders: LEAK_JOBS psql sessions, each reading its statements from a FIFO
# and saying "done" on another after each chunk, so that every chunk (one
# minute of every incarnation) ends before the next starts: the fed time
# then moves forward as the sampler's does.
for ((k = 0; k < LEAK_JOBS; k++)); do
	mkfifo "$work/feed$k.in" "$work/feed$k.done"
	chown "$bench_user": "$work/feed$k.in" "$work/feed$k.done"
	"${run_as[@]}" "${pg_env[@]}" psql -X -q -A -t -v ON_ERROR_STOP=1 \
		<"$work/feed$k.in" >"$work/feed$k.out" 2>&1 &
	feeders+=($!)
	eval "exec $((10 + k))>'$work/feed$k.in'"
	eval "exec $((20 + k))<>'$work/feed$k.done'"
done
t0=$(sql -c "SELECT date_trunc('second', now() - interval '$LEAK_SECONDS seconds')")
fed=0
fed_samples=0
# feed_until SECONDS DT: up to SECONDS of history, a sample every DT s
feed_until() {
	local upto=$1 dt=$2 chunk s e k line
	# a chunk is a minute: the state file of suspects is written once a
	# minute of sampled time, as with the sampler (a chunk of several
	# minutes would go back in time from one incarnation to the next)
	chunk=$((dt > 60 ? dt : 60 / dt * dt))
	for ((s = fed; s < upto; s += chunk)); do
		e=$((s + chunk < upto ? s + chunk : upto))
		fed_samples=$((fed_samples + LEAK_PROCESSES * ((e - s + dt - 1) / dt)))
		for ((k = 0; k < LEAK_JOBS; k++)); do
			printf "SELECT bench_feed(%d, %d, %d, '%s', %d, %d, %d, %d) \\\\g /dev/null\n\\\\! echo done > '%s'\n" \
				"$k" "$LEAK_PROCESSES" "$LEAK_JOBS" "$t0" "$s" "$e" "$dt" "$LEAK_EVERY" \
				"$work/feed$k.done" >&$((10 + k))
		done
		for ((k = 0; k < LEAK_JOBS; k++)); do
			if ! read -r -t 3600 -u $((20 + k)) line || [ "$line" != "done" ]; then
				cat "$work/feed$k.out" >&2
				die "feeder $k failed"
			fi
		done
	done
	fed=$upto
}
cpu_of_backends() {
	# on-CPU ns so far of the feeding backends
	local pids
	pids=$(sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name = 'psql'")
	for p in $pids; do cut -d ' ' -f 1 "/proc/$p/schedstat"; done | awk '{ s += $1 } END { print s + 0 }'
}
time_queries() {
	local stage=$1 p q
	{
		for ((p = 1; p <= LEAK_PASSES; p++)); do
			for q in "leaks|SELECT * FROM vmastat_leaks" "top|SELECT * FROM vmastat_top" \
				"fast|SELECT * FROM vmastat_backends(fast => true)"; do
				echo "SELECT '$stage', '${q%%|*}', $p, ms, nrows FROM bench_exec('${q#*|}');"
			done
		done
	} >"$work/q.sql"
	chown "$bench_user": "$work/q.sql"
	sql -F ' ' -f "$work/q.sql" >>"$out/queries.txt"
}

stages=()
for s in 60 3600 "$LEAK_SECONDS"; do
	[ "$s" -le "$LEAK_SECONDS" ] || continue
	[ ${#stages[@]} -gt 0 ] && [ "${stages[-1]}" -ge "$s" ] && continue
	stages+=("$s")
done
bytes_before=$(sql -c "SELECT bench_ext_bytes()")
lsn_before=$(sql -c "SELECT pg_current_wal_lsn()")
load_before=$(cut -d ' ' -f 1-3 /proc/loadavg)
feed_seconds=0
feed_cpu=0
for s in "${stages[@]}"; do
	note "feeding $LEAK_PROCESSES incarnations up to $s s of history, $LEAK_JOBS sessions"
	c0=$(cpu_of_backends)
	t_start=$EPOCHREALTIME
	feed_until "$s" "$([ "$s" -le 3600 ] && echo 1 || echo "$LEAK_STEP")"
	t_end=$EPOCHREALTIME
	c1=$(cpu_of_backends)
	feed_seconds=$(awk -v a="$feed_seconds" -v b="$t_start" -v c="$t_end" 'BEGIN { printf "%.3f", a + c - b }')
	feed_cpu=$(awk -v a="$feed_cpu" -v b="$c0" -v c="$c1" 'BEGIN { printf "%.3f", a + (c - b) / 1e9 }')
	echo "$s $fed_samples $feed_seconds $feed_cpu" >>"$out/feed.txt"
	note "timing the queries after $s s ($LEAK_PASSES passes)"
	time_queries "$s"
done
lsn_after=$(sql -c "SELECT pg_current_wal_lsn()")
bytes_after=$(sql -c "SELECT bench_ext_bytes()")
wal_bytes=$(sql -c "SELECT pg_wal_lsn_diff('$lsn_after', '$lsn_before')::bigint")
load_after_feed=$(cut -d ' ' -f 1-3 /proc/loadavg)
for ((k = 0; k < LEAK_JOBS; k++)); do eval "exec $((10 + k))>&-"; done
for p in "${feeders[@]}"; do wait "$p" || true; done
feeders=()
state_file=$work/data/pg_stat_tmp/vmastat.state
state_suspects=$(stat -c %s "$state_file" 2>/dev/null || echo 0)
entries=$(sql -c "SELECT count(*) FROM vmastat_incarnations()")
suspects=$(sql -c "SELECT count(*) FROM vmastat_leaks")
# a clean restart writes every entry
with_lock start_cluster restart
state_all=$(stat -c %s "$state_file" 2>/dev/null || echo 0)
entries_back=$(sql -c "SELECT count(*) FROM vmastat_incarnations() WHERE before_restart")

#
# 3: the sampler with real idle sessions, next to the status-read floor
#
sampler_pct=- floor_pct=- floor_statm_pct=- swap_total=- samples_taken=- nprocs=- floor_us=- perf_top=
faults_per_sample=-
if [ "$LEAK_SESSIONS" -gt 0 ]; then
	# the fed incarnations stay: the store then holds them and the real
	# sessions, as a busy server's would
	mkfifo "$work/hold"
	"${run_as[@]}" "${pg_env[@]}" "$work/sessions" -n "$LEAK_SESSIONS" -j 2 -q "SELECT 1" \
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
	note "sampler at $LEAK_INTERVAL over $LEAK_SESSIONS idle sessions, $LEAK_SAMPLER_SECONDS s"
	sql -c "ALTER SYSTEM SET vmastat.sample_interval = '$LEAK_INTERVAL'" -c "SELECT pg_reload_conf()" >/dev/null
	pm_samples() {
		sql -c "SELECT coalesce(max(samples), 0) FROM vmastat_incarnations() WHERE backend_type = 'postmaster' AND alive"
	}
	for ((i = 0; ; i++)); do
		sampler=$(sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'vmastat sampler'")
		# past the first samples, which read the smaps of every new process
		[ -n "$sampler" ] && [ "$(pm_samples)" -ge 3 ] && break
		[ $i -lt 1200 ] || die "the sampler did not start"
		sleep 0.1
	done
	pm=$(head -n 1 "$work/data/postmaster.pid")
	{ echo "$pm"; tr ' ' '\n' <"/proc/$pm/task/$pm/children" | grep .; } >"$work/pids.txt"
	nprocs=$(wc -l <"$work/pids.txt")
	stat_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
	minor_faults() { awk '{ print $10 }' "/proc/$1/stat"; }
	sched_ns() { cut -d ' ' -f 1 "/proc/$1/schedstat"; }
	n0=$(pm_samples)
	l0=$(sql -c "SELECT pg_current_wal_lsn()")
	k0=$(stat_ticks "$sampler")
	f0=$(minor_faults "$sampler")
	c0=$(sched_ns "$sampler")
	w0=$EPOCHREALTIME
	sleep "$LEAK_SAMPLER_SECONDS"
	c1=$(sched_ns "$sampler")
	k1=$(stat_ticks "$sampler")
	f1=$(minor_faults "$sampler")
	w1=$EPOCHREALTIME
	n1=$(pm_samples)
	sampler_wal=$(sql -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$l0')::bigint")
	samples_taken=$((n1 - n0))
	faults_per_sample=$(awk -v a="$f0" -v b="$f1" -v n="$samples_taken" 'BEGIN { if (n > 0) printf "%.1f", (b - a) / n; else print "-" }')
	hz=$(getconf CLK_TCK)
	window=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.3f", b - a }')
	sampler_pct=$(awk -v a="$c0" -v b="$c1" -v w="$window" 'BEGIN { printf "%.3f", (b - a) / 1e9 / w * 100 }')
	sampler_pct_stat=$(awk -v a="$k0" -v b="$k1" -v h="$hz" -v w="$window" 'BEGIN { printf "%.3f", (b - a) / h / w * 100 }')
	# the floor: status of the same processes, once per pass, same number
	# of passes as samples (at least 10)
	passes=$((samples_taken > 10 ? samples_taken : 10))
	# (and of statm, which the sampler reads instead on a host without swap)
	as_pg "$work/floor" -n "$passes" -m status,statm <"$work/pids.txt" >"$out/floor.txt"
	interval_s=$(sql -c "SELECT extract(epoch FROM current_setting('vmastat.sample_interval')::interval)")
	floor_of() {
		awk -v m="$1" '$1 == m { print $7 }' "$out/floor.txt" | sort -g |
			awk -v i="$interval_s" -v n="$nprocs" '{ v[NR] = $1 } END {
				c = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
				printf "%.3f %.1f\n", c / i * 100, c * 1e6 / n }'
	}
	read -r floor_pct floor_us < <(floor_of status)
	read -r floor_statm_pct floor_statm_us < <(floor_of statm)
	swap_total=$(awk '$1 == "SwapTotal:" { print $2 }' /proc/meminfo)
	if [ "$LEAK_PERF" -ne 0 ] && command -v perf >/dev/null; then
		note "perf record of the sampler, 20 s"
		perf record -g -o "$out/perf.data" -p "$sampler" -- sleep 20 >/dev/null 2>&1 || true
		{
			perf report -i "$out/perf.data" --no-children --percent-limit 1 --stdio \
				--sort dso 2>/dev/null | grep -E '^ +[0-9.]+%' || true
			echo
			perf report -i "$out/perf.data" --no-children --percent-limit 1 --stdio \
				--sort dso,symbol 2>/dev/null | grep -E '^ +[0-9.]+%' || true
		} | sed 's/ *$//' >"$out/perf.txt"
		perf_top=$out/perf.txt
	fi
	sql -c "ALTER SYSTEM SET vmastat.sample_interval = 0" -c "SELECT pg_reload_conf()" >/dev/null
	# the queries again, now that the store also holds the real sessions,
	# which vmastat_backends() and vmastat_top read
	note "timing the queries with $LEAK_SESSIONS sessions ($LEAK_PASSES passes)"
	time_queries sessions
	exec 3>&-
	wait "$driver_pid" || true
	driver_pid=
fi

#
# Report
#
median_of() {
	awk -v s="$1" -v q="$2" '$1 == s && $2 == q { print $4 }' "$out/queries.txt" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
rows_of() { awk -v s="$1" -v q="$2" '$1 == s && $2 == q { print $5; exit }' "$out/queries.txt"; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { if (v == "-" || v == "") print "-"; else print (v <= t ? "met" : "MISSED") }'; }
label() {
	case $1 in
		60) echo "1 minute" ;; 3600) echo "1 hour" ;; 86400) echo "1 day" ;;
		sessions) echo "$(label "${stages[-1]}") + $LEAK_SESSIONS sessions" ;;
		*) echo "$1 s" ;;
	esac
}

first=${stages[0]} last=${stages[-1]}
printf '\nvmastat leak bench: %d fed incarnations (1 in %d leaking), history at 1 s%s, %s\n' \
	"$LEAK_PROCESSES" "$LEAK_EVERY" \
	"$([ "$LEAK_STEP" -eq 1 ] || [ "$LEAK_SECONDS" -le 3600 ] || echo " for the first hour, then at $LEAK_STEP s (LEAK_STEP)")" \
	"$("$bindir/postgres" -V)"
printf 'host: %s CPUs; load average %s before the feed, %s after it, %s at the end\n' \
	"$(nproc)" "$load_before" "$load_after_feed" "$(cut -d ' ' -f 1-3 /proc/loadavg)"
printf 'feed: %s samples in %s s (%s s of backend CPU, %s sessions): %s us of CPU per sample\n\n' \
	"$fed_samples" "$feed_seconds" "$feed_cpu" "$LEAK_JOBS" \
	"$(awk -v c="$feed_cpu" -v n="$fed_samples" 'BEGIN { printf "%.2f", c * 1e6 / n }')"
printf '%-56s %12s %10s  %s\n' 'query time (median of '"$LEAK_PASSES"', ms)' value rows target
all_stages=("${stages[@]}")
[ "$LEAK_SESSIONS" -eq 0 ] || all_stages+=(sessions)
for s in "${all_stages[@]}"; do
	for q in leaks top fast; do
		case $q in
			leaks) name="SELECT * FROM vmastat_leaks" t=20 ;;
			top) name="SELECT * FROM vmastat_top" t=20 ;;
			fast) name="vmastat_backends(fast => true)" t= ;;
		esac
		m=$(median_of "$s" "$q")
		printf '%-56s %12.3f %10s  %s\n' "$name, $(label "$s")" "$m" "$(rows_of "$s" "$q")" \
			"$([ -n "$t" ] && echo "<= $t ms: $(verdict "$m" "$t")")"
	done
done
for q in leaks top; do
	r=$(awk -v a="$(median_of "$last" "$q")" -v b="$(median_of "$first" "$q")" 'BEGIN { printf "%.2f", a / b }')
	printf '%-56s %12s %10s  %s\n' "vmastat_$q $(label "$last") / $(label "$first")" "$r" "" \
		"<= 1.5: $(verdict "$r" 1.5)"
done
for s in "${all_stages[@]}"; do
	lim=$(awk -v f="$(median_of "$s" fast)" 'BEGIN { printf "%.3f", 2 * f + 5 }')
	printf '%-56s %12.3f %10s  %s\n' "vmastat_top - (2 x fast + 5 ms), $(label "$s")" \
		"$(awk -v t="$(median_of "$s" top)" -v l="$lim" 'BEGIN { print t - l }')" "" \
		"<= 0: $(verdict "$(awk -v t="$(median_of "$s" top)" -v l="$lim" 'BEGIN { print t - l }')" 0)"
done

ph=$(awk -v n="$LEAK_PROCESSES" -v s="$last" 'BEGIN { print n * s / 3600 }')
day=$(awk -v s="$last" 'BEGIN { print 86400 / s }')
printf '\n%-56s %12s %12s  %s\n' "storage, $(label "$last") of $LEAK_PROCESSES processes" bytes 'per proc-h' \
	'target (per day of 1000 at 1 s; 1.1: ~1.2 MB + ~1.8 MB per proc-h)'
srow() {
	printf '%-56s %12s %12.0f  %s\n' "$1" "$2" "$(awk -v b="$2" -v p="$ph" 'BEGIN { print b / p }')" "$3"
}
tb=$((bytes_after - bytes_before))
srow "extension tables and indexes, growth" "$tb" \
	"<= 200 MB: $(verdict "$(awk -v b="$tb" -v d="$day" -v n="$LEAK_PROCESSES" 'BEGIN { print b * d * 1000 / n }')" 209715200)"
printf '%-56s %12s\n' "  (before / after)" "$bytes_before / $bytes_after"
srow "WAL written during the feed" "$wal_bytes" \
	"<= 200 MB: $(verdict "$(awk -v b="$wal_bytes" -v d="$day" -v n="$LEAK_PROCESSES" 'BEGIN { print b * d * 1000 / n }')" 209715200)"
srow "pg_stat_tmp/vmastat.state, suspects ($suspects)" "$state_suspects" ""
srow "pg_stat_tmp/vmastat.state, all $entries entries" "$state_all" "(written at a clean shutdown; $entries_back read back)"

if [ "$LEAK_SESSIONS" -gt 0 ]; then
	printf '\nsampler at %s, %s server processes (%s idle sessions), %s s, %s samples\n' \
		"$LEAK_INTERVAL" "$nprocs" "$LEAK_SESSIONS" "$window" "$samples_taken"
	printf '%-56s %12s  %s\n' 'sampler CPU, % of one core (schedstat)' "$sampler_pct" \
		"<= 1%: $(verdict "$sampler_pct" 1)"
	printf '%-56s %12s\n' '  (utime+stime from /proc/PID/stat)' "$sampler_pct_stat"
	printf '%-56s %12s\n' '  minor page faults per sample' "$faults_per_sample"
	printf '%-56s %12s  %s\n' 'WAL written meanwhile, bytes' "$sampler_wal" '(the whole cluster)'
	printf '%-56s %12s  %s\n' 'floor: status of the same processes, % of a core' "$floor_pct" \
		"($floor_us us of CPU per process)"
	printf '%-56s %12s  %s\n' '  statm instead, read by the sampler without swap' "$floor_statm_pct" \
		"($floor_statm_us us of CPU per process; SwapTotal $swap_total kB)"
	r=$(awk -v a="$sampler_pct" -v b="$floor_pct" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	printf '%-56s %12s  %s\n' 'sampler / floor' "$r" "about 1.25: $(verdict "$r" 1.25)"
	if [ -n "$perf_top" ] && [ -s "$perf_top" ]; then
		printf 'where the sampler'"'"'s time goes (perf, self time, >= 1%%, by DSO, then by symbol):\n'
		sed 's/^/  /' "$perf_top"
	fi
fi

# every part must have produced numbers; timings are not judged here
for s in "${all_stages[@]}"; do
	for q in leaks top fast; do
		[ "$(median_of "$s" "$q")" != - ] || die "no timing of $q after $s s"
	done
	[ "$(rows_of "$s" leaks)" -gt 0 ] || note "vmastat_leaks returned no rows after $s s"
done
[ "$LEAK_SESSIONS" -eq 0 ] || [ "$samples_taken" -ge 1 ] || die "the sampler took no sample"
