#!/bin/bash
#
# demo.sh: what "make demo" runs.
#
# On a Debian or Ubuntu machine, installs what is missing with apt (a
# PostgreSQL server of version 15 or later, its server-dev package, a C
# toolchain), builds and installs vmastat, starts a throwaway cluster on a
# private socket directory, opens a few sessions that do real work and one
# that leaks memory, and shows what vmastat reports about them: who owns
# what, why RSS misleads, and how the background sampler's history finds the
# leaking session.  The cluster and its files are removed at the end, on
# failure and on Ctrl-C as well.  It takes about a minute, most of it
# waiting for the leak finder to have enough samples.
#
# Run it as root, through sudo, or as an ordinary user who may use sudo.
# PostgreSQL refuses to run as root: started by root the cluster runs as the
# postgres user, started through sudo as the user who called sudo.
#
# PG_CONFIG selects the PostgreSQL installation; by default the pg_config on
# the PATH, else the newest installed server, else the distribution's default.
#
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
min_major=15

# settings of the sessions, sized to finish quickly on a small machine
table_rows=350000			# about 50 MB: under a quarter of shared_buffers,
							# so a sequential scan goes through shared buffers
sort_rows=1000000			# an in-memory sort that holds about 150 MB
leak_pause=0.02				# seconds between two statements the leaking
							# session prepares (8 kB or more each)
leak_wait=60				# seconds to wait for the leak finder's verdict

# libpq settings of the caller must not redirect the demo's connections
while read -r var; do
	unset "$var"
done < <(compgen -e | grep '^PG[A-Z]' || true)

say() { printf '%s\n' "$*"; }
if [ -t 1 ]; then bold=$'\e[1m' plain=$'\e[0m'; else bold= plain=; fi
heading() { printf '\n%s== %s ==%s\n' "$bold" "$1" "$plain"; shift; printf '%s\n' "$@"; echo; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# Runs a command with its output held back, shown only if it fails
quietly() {
	local out
	if ! out=$("$@" 2>&1); then
		printf '%s\n' "$out" >&2
		die "failed: $*"
	fi
}

[ "$(uname -s)" = Linux ] || die "vmastat reads /proc: it needs Linux"

#
# Who does what: root (or sudo) installs; the cluster runs as an ordinary user
#
if [ "$(id -u)" -eq 0 ]; then
	as_root=()
	if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
		owner=$SUDO_USER
	else
		owner=postgres			# may not exist yet: the server package creates it
	fi
else
	owner=$(id -un)
	as_root=(sudo)
fi

root_run() {
	if [ ${#as_root[@]} -gt 0 ] && ! command -v sudo >/dev/null; then
		die "this step needs root: run the demo as root or install sudo"
	fi
	"${as_root[@]}" "$@"
}

# the prefix that runs a command as the cluster's user
if [ "$(id -un)" = "$owner" ]; then
	owner_prefix=()
else
	owner_prefix=(runuser -u "$owner" --)
fi
as_owner() { "${owner_prefix[@]}" "$@"; }

#
# Packages
#
is_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Newest installed server of version min_major or later, if any
installed_major() {
	local dir major best=
	for dir in /usr/lib/postgresql/*/bin/postgres; do
		[ -x "$dir" ] || continue
		major=${dir#/usr/lib/postgresql/}
		major=${major%%/*}
		if [[ $major =~ ^[0-9]+$ ]] && [ "$major" -ge $min_major ] &&
			{ [ -z "$best" ] || [ "$major" -gt "$best" ]; }; then
			best=$major
		fi
	done
	printf '%s' "$best"
}

major_of_pg_config() {
	"$1" --version 2>/dev/null | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p'
}

major=
if [ -n "${PG_CONFIG:-}" ]; then
	major=$(major_of_pg_config "$PG_CONFIG")
	[ -n "$major" ] || die "cannot run PG_CONFIG=$PG_CONFIG"
elif command -v pg_config >/dev/null; then
	# Debian's /usr/bin/pg_config answers for the newest server-dev package
	major=$(major_of_pg_config pg_config)
	if [ -z "$major" ] || [ "$major" -lt $min_major ] ||
		[ ! -x "/usr/lib/postgresql/$major/bin/postgres" ]; then
		major=
	fi
fi
[ -n "$major" ] || major=$(installed_major)

packages=()
updated=false
apt_update() {
	if ! $updated; then
		say "demo: updating the apt package lists"
		quietly root_run apt-get update
		updated=true
	fi
}

if [ -z "$major" ]; then
	command -v apt-get >/dev/null ||
		die "no PostgreSQL $min_major or later found, and this is not a Debian or Ubuntu system"
	apt_update
	major=$(apt-cache depends postgresql 2>/dev/null |
		sed -n 's/^ *Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n 1)
	[ -n "$major" ] || die "apt does not know the package postgresql"
fi
[ "$major" -ge $min_major ] ||
	die "vmastat needs PostgreSQL $min_major or later; this system offers $major" \
		"(the PostgreSQL apt repository, apt.postgresql.org, has newer versions)"

is_installed "postgresql-$major" || packages+=("postgresql-$major")
is_installed "postgresql-server-dev-$major" || packages+=("postgresql-server-dev-$major")
{ command -v make >/dev/null && command -v gcc >/dev/null; } || packages+=(build-essential)

if [ ${#packages[@]} -gt 0 ]; then
	command -v apt-get >/dev/null ||
		die "missing ${packages[*]}, and this is not a Debian or Ubuntu system"
	apt_update
	say "demo: installing ${packages[*]}"
	quietly root_run env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${packages[@]}"
fi

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$major/bin/pg_config}
bindir=$("$PG_CONFIG" --bindir)
id "$owner" >/dev/null 2>&1 || die "there is no user \"$owner\" to run the cluster"

#
# Build and install
#
say "demo: building and installing vmastat for PostgreSQL $major"
quietly make -C "$srcdir" PG_CONFIG="$PG_CONFIG"
if [ -w "$("$PG_CONFIG" --pkglibdir)" ] && [ -w "$("$PG_CONFIG" --sharedir)/extension" ]; then
	quietly make -C "$srcdir" install PG_CONFIG="$PG_CONFIG"
else
	quietly root_run make -C "$srcdir" install PG_CONFIG="$PG_CONFIG"
fi

#
# The throwaway cluster, and its removal however the script ends
#
work=
server_starting=false
midline=false				# a progress line waits for its end
session_pids=()
session_fds=()

cleanup() {
	local status=$? fd pid i
	# finish the cleanup whatever arrives now; a closed stdout is no reason
	# to leave a cluster behind
	trap - EXIT
	trap '' INT TERM HUP QUIT PIPE
	set +e
	$midline && printf '\n' 2>/dev/null
	for fd in "${session_fds[@]}"; do
		exec {fd}>&-
	done
	if [ -n "$work" ] && $server_starting; then
		# a start cut short may not have written its pid file yet
		for i in 1 2 3 4 5 6 7 8 9 10; do
			[ -f "$work/data/postmaster.pid" ] && break
			sleep 0.5
		done
		if [ -f "$work/data/postmaster.pid" ]; then
			say "demo: stopping the cluster and removing $work" 2>/dev/null
			as_owner "$bindir/pg_ctl" -D "$work/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
				as_owner "$bindir/pg_ctl" -D "$work/data" -m immediate -w -t 30 stop >/dev/null 2>&1
		fi
		if [ -f "$work/data/postmaster.pid" ]; then
			pid=$(head -n 1 "$work/data/postmaster.pid")
			[[ $pid =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null
		fi
	fi
	# the sessions' psql processes end once their server is gone
	for pid in "${session_pids[@]}"; do
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -TERM "$pid" 2>/dev/null
	done
	[ -n "$work" ] && rm -rf "$work"
	exit $status
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 131' QUIT
trap 'exit 141' PIPE
trap 'exit 143' TERM

if [ "$(id -u)" -eq 0 ]; then
	# the cluster's user must reach the directory: not root's TMPDIR
	work=$(mktemp -d /tmp/vmastat-demo.XXXXXX)
	chown "$owner": "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/vmastat-demo.XXXXXX")
fi
chmod 700 "$work"
cd "$work"

# No TCP socket is opened (listen_addresses is empty): the port only names
# the Unix socket in the private directory.  Still, take one nobody listens
# on, so that nothing reading the port number can get confused.
port_in_use() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p && $4 == "0A" { f = 1 }
		END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
port=$((20000 + RANDOM % 30000))
while port_in_use $port; do
	port=$((20000 + RANDOM % 30000))
done

say "demo: starting a throwaway PostgreSQL $major cluster as $owner in $work"
as_owner "$bindir/initdb" -D "$work/data" -A trust --no-sync --no-locale -E UTF8 \
	>"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; exit 1; }
cat >>"$work/data/postgresql.conf" <<EOF

# vmastat demo
listen_addresses = ''
unix_socket_directories = '$work'
port = $port
shared_buffers = 256MB
# with huge pages the main segment would show only in the *_hugetlb columns
huge_pages = off
# JIT would map LLVM's libraries into the sorting session and blur the picture
jit = off
# the leak finder's background sampler: one sample of every process a
# second, and a suspect's memory contexts every 5 seconds at most
shared_preload_libraries = 'vmastat'
vmastat.database = 'postgres'
vmastat.sample_interval = 1
vmastat.leak_contexts_interval = 5
EOF
server_starting=true
as_owner "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 start >/dev/null ||
	{ cat "$work/server.log" >&2; exit 1; }

psql_base=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$work" -p "$port")

sql() {
	as_owner "${psql_base[@]}" -d "dbname=postgres application_name=demo_report" "$@"
}

# sql with its output to a file, for the polling loops: run in the
# background and waited for with the wait builtin, which Ctrl-C interrupts
# at once.  Bash ignores a SIGINT that arrives while a foreground command
# catches it itself, as psql does to cancel its query.
sql_to() {
	local out=$1
	shift
	sql "$@" >"$out" 2>&1 &
	wait $!
}

sql -c "CREATE EXTENSION vmastat" -c "
	CREATE TABLE demo_big AS
		SELECT g AS id, repeat('x', 100) AS filler
		FROM generate_series(1, $table_rows) AS g"

# A session that stays open in the background, fed through a pipe: closing
# the pipe ends it.  Its last statement carries the marker "ready".
open_session() {
	local name=$1 sql=$2 fd
	exec {fd}> >(exec "${owner_prefix[@]}" "${psql_base[@]}" -d "dbname=postgres application_name=$name" \
		>"$work/$name.log" 2>&1)
	session_pids+=("$!")
	session_fds+=("$fd")
	printf '%s\n' "$sql" >&"$fd"
}

say "demo: opening five sessions that do some work, one of them leaking memory"
open_session demo_scan "SET max_parallel_workers_per_gather = 0;
SELECT count(*) FROM demo_big;
SELECT 'ready';"
open_session demo_sort "SET work_mem = '1GB';
BEGIN;
DECLARE sorted CURSOR FOR
	SELECT md5(g::text) AS h FROM generate_series(1, $sort_rows) AS g ORDER BY h;
FETCH 1 FROM sorted;
SELECT 'ready';"
open_session demo_idle "SELECT 'ready';"
open_session demo_sleep "DO \$\$ BEGIN LOOP PERFORM pg_sleep(0.5); END LOOP; END \$\$;"
# Prepares a new statement again and again and never deallocates one, as a
# client does that gives every query a statement name of its own
open_session demo_leak "DO \$\$
DECLARE i integer := 0;
BEGIN
	LOOP
		i := i + 1;
		EXECUTE format('PREPARE stmt_%s AS SELECT filler FROM demo_big WHERE id = \$1 + %s', i, i);
		PERFORM pg_sleep($leak_pause);
	END LOOP;
END \$\$;"

# Wait until each session has done its work
ready=0
for i in $(seq 1 120); do
	sql_to "$work/poll.out" -At -c "
		SELECT count(*) FROM pg_stat_activity
		WHERE (application_name IN ('demo_scan', 'demo_sort', 'demo_idle')
		       AND state <> 'active' AND query LIKE 'SELECT ''ready''%')
		   OR (application_name IN ('demo_sleep', 'demo_leak') AND wait_event = 'PgSleep')" ||
		{ cat "$work/poll.out" >&2; die "could not read pg_stat_activity"; }
	ready=$(<"$work/poll.out")
	[ "$ready" -eq 5 ] && break
	sleep 0.5
done
if [ "$ready" -ne 5 ]; then
	tail -n 5 "$work"/demo_*.log >&2
	die "the sessions did not get ready in 60 seconds"
fi

cat <<'EOF'

The cluster has shared_buffers = 256MB and these sessions (application_name):
  demo_scan   read a 50 MB table through shared buffers, now idle
  demo_sort   sorted 1 million rows in memory (work_mem = 1GB) and keeps the
              result open in a cursor, idle in transaction
  demo_idle   connected, did nothing
  demo_sleep  runs pg_sleep() in a loop
  demo_leak   prepares a new statement every few milliseconds and never
              deallocates one: it leaks memory, about 8 kB a statement
The background sampler (vmastat launcher, vmastat sampler) takes a sample of
every server process each second into the leak finder's state in shared
memory, one bounded entry per process (the view vmastat_history shows it).
EOF

heading "1. Every server process, by the memory it owns" \
	"owned = rss_anon + swap: malloc heap, anonymous mmaps, stack of the process." \
	"Shared memory never counts there. rss is the figure of top and ps; rss_shmem" \
	"is the part of it that is shared memory (shared buffers touched); pmap -d w/p" \
	"is writeable_private, the writeable/private figure of pmap -d." \
	"Query: SELECT ... FROM vmastat_activity ORDER BY rss_anon + swap DESC"

sql <<'EOF'
\pset footer off
SELECT pid,
       coalesce(application_name, '') AS application,
       backend_type,
       coalesce(state, '') AS state,
       pg_size_pretty(rss_anon + coalesce(swap, 0)) AS owned,
       pg_size_pretty(rss) AS rss,
       pg_size_pretty(rss_shmem) AS rss_shmem,
       pg_size_pretty(pss) AS pss,
       pg_size_pretty(writeable_private) AS "pmap -d w/p"
FROM vmastat_activity
ORDER BY rss_anon + coalesce(swap, 0) DESC, pid;
EOF

heading "2. The biggest owner, broken down by kind of mapping" \
	"Each mapping of the process gets a kind: heap, anon (malloc's mmaps)," \
	"shm_main (shared_buffers and the rest of the main segment), text and data of" \
	"the executable and libraries, and so on." \
	"Query: SELECT ... FROM vmastat_kinds WHERE pid = ..."

sql <<'EOF'
\pset footer off
SELECT pid AS biggest,
       coalesce((SELECT application_name FROM pg_stat_activity a
                 WHERE a.pid = b.pid), backend_type) AS application
FROM vmastat_backends(fast => true) AS b
ORDER BY rss_anon + coalesce(swap, 0) DESC
LIMIT 1 \gset
\echo 'Biggest owner:' :application 'pid' :biggest
\echo
SELECT k.kind,
       k.vmas,
       pg_size_pretty(k.size) AS size,
       pg_size_pretty(k.rss) AS rss,
       pg_size_pretty(k.pss) AS pss,
       pg_size_pretty(k.private_dirty) AS private_dirty,
       pg_size_pretty(k.anonymous) AS anonymous
FROM vmastat_kinds AS k
WHERE k.pid = :biggest
ORDER BY k.rss DESC, k.size DESC;
EOF

heading "3. Why RSS lies: demo_scan before and after a second reader" \
	"demo_scan owns almost nothing, yet its rss holds every shared buffer it read." \
	"While no other process has those pages mapped, the kernel counts them as" \
	"private to it, so pss and uss look just as bad. Then the report's session" \
	"(demo_report) reads the same table: pss is split between the two, uss" \
	"drops, rss stays. Only owned (rss_anon + swap) tells the truth throughout."

sql <<'EOF'
\pset footer off
SELECT pid AS scan FROM pg_stat_activity WHERE application_name = 'demo_scan' \gset
CREATE TEMP TABLE lie AS
	SELECT 1 AS step, * FROM vmastat_backend(:scan);
SET max_parallel_workers_per_gather = 0;
SELECT count(*) FROM demo_big \g /dev/null
INSERT INTO lie SELECT 2, * FROM vmastat_backend(:scan);
SELECT m.measure,
       pg_size_pretty(m.alone) AS alone,
       pg_size_pretty(m.shared) AS "with 2nd reader",
       m.meaning
FROM lie AS a, lie AS b,
     LATERAL (VALUES
        ('rss', a.rss, b.rss, 'what top and ps show'),
        ('rss_shmem', a.rss_shmem, b.rss_shmem, 'the shared memory part of rss'),
        ('pss', a.pss, b.pss, 'shared pages divided among their mappers'),
        ('uss', a.uss, b.uss, 'pages no other process has mapped'),
        ('owned', a.rss_anon + coalesce(a.swap, 0), b.rss_anon + coalesce(b.swap, 0),
         'rss_anon + swap: its own memory')
     ) AS m(measure, alone, shared, meaning)
WHERE a.step = 1 AND b.step = 2;
EOF

heading "4. Finding the leak: vmastat_leaks" \
	"All along, the sampler has added the status counters of every process to" \
	"the leak finder's state in shared memory, once a second" \
	"(vmastat.sample_interval = 1; the fast path, no page-table walk), without" \
	"writing a table. vmastat_leaks lists the processes whose owned memory" \
	"(rss_anon + swap) grows steadily. With the default thresholds, used here" \
	"unchanged, a process is a suspect once it has at least 10 samples over at" \
	"least 30 s and its owned memory grows at least 100 kB a minute along a" \
	"least-squares line that fits (r2 >= 0.8), and at half that rate or more" \
	"over the later half of its samples. Shared buffers touched never count;" \
	"warm-up-then-flat, grow-then-free and noise do not qualify."

# Prints a progress line that the next one overwrites on a terminal;
# elsewhere only every fifth is printed
progress() {
	if [ -t 1 ]; then
		printf '\r%-79s' "$1"
		midline=true
	elif [ $(($2 % 5)) -eq 0 ]; then
		printf '%s\n' "$1"
	fi
}
progress_end() {
	if $midline; then
		printf '\n'
		midline=false
	fi
}

found=false
for i in $(seq 1 "$leak_wait"); do
	sql_to "$work/poll.out" -At -F ' ' -c "
		SELECT g.samples, extract(epoch FROM g.last_seen - g.first_seen)::integer,
		       EXISTS (SELECT FROM vmastat_leaks AS l
		               WHERE l.pid = g.pid AND l.backend_start = g.backend_start),
		       pg_size_pretty(g.anon_delta)
		FROM vmastat_growth AS g
		     JOIN pg_stat_activity AS a
		       ON a.pid = g.pid AND a.backend_start = g.backend_start
		WHERE a.application_name = 'demo_leak'" ||
		{ progress_end; cat "$work/poll.out" >&2; die "could not read vmastat_growth"; }
	samples= span= suspect= delta=
	read -r samples span suspect delta <"$work/poll.out" || true
	if [ -z "$samples" ] && [ "$i" -ge 5 ]; then
		progress_end
		tail -n 5 "$work/demo_leak.log" >&2
		die "the leaking session demo_leak is not sampled"
	fi
	if [ "$suspect" = t ]; then
		found=true
		progress "demo: demo_leak is a suspect, sampled ${samples}x over $span s, owned +$delta" 0
		break
	fi
	progress "demo: demo_leak sampled ${samples:-0}x over ${span:-0} s, owned +${delta:-0 bytes}; no verdict yet" "$i"
	sleep 1
done
progress_end
$found || die "demo_leak was not listed in vmastat_leaks within $leak_wait seconds"
echo

leak=$(sql -At -c "SELECT pid FROM vmastat_leaks WHERE application_name = 'demo_leak'")
sql -v leak="$leak" <<'EOF'
\pset footer off
\echo 'Query: SELECT ... FROM vmastat_leaks'
\echo '(rate is anon_rate, bytes per minute; r2 is anon_r2; owned is anon_first -> anon_last)'
\echo
\x on
SELECT pid,
       application_name,
       state,
       pg_size_pretty(anon_rate) || ' per minute' AS rate,
       round(anon_r2::numeric, 3) AS r2,
       samples,
       date_trunc('second', span) AS span,
       pg_size_pretty(anon_first) || ' -> ' || pg_size_pretty(anon_last) AS owned,
       trend,
       kinds_grown,
       left(regexp_replace(query, '\s+', ' ', 'g'), 60) AS query
FROM vmastat_leaks;
\x off
\echo
\echo 'Which kinds of memory grew in demo_leak: vmastat_leak_kinds. The sampler'
\echo 'reads smaps (a page-table walk) only for a process seen for the first time'
\echo 'and for one whose owned memory grew by a step (1 MB, or 10% if more); these'
\echo 'are the changes between its first and its last such reading.'
\echo 'Query: SELECT ... FROM vmastat_leak_kinds WHERE pid = ...'
\echo
SELECT kind,
       vmas_delta AS vmas,
       pg_size_pretty(size_delta) AS size,
       pg_size_pretty(rss_delta) AS rss,
       pg_size_pretty(anonymous_delta) AS anonymous,
       pg_size_pretty(swap_delta) AS swap,
       date_trunc('second', last_time - first_time) AS "between"
FROM vmastat_leak_kinds
WHERE (pid, backend_start) IN
      (SELECT pid, backend_start FROM vmastat_leaks WHERE pid = :leak)
  AND (rss_delta <> 0 OR size_delta <> 0 OR swap_delta <> 0)
ORDER BY rss_delta + swap_delta DESC, kind;
EOF

heading "5. Inside demo_leak: which memory context grows" \
	"When the sampler first names a suspect, and again each time it has grown" \
	"by a step, it asks the process for its memory contexts" \
	"(pg_log_backend_memory_contexts) and reads them back from the server log." \
	"vmastat_leaks.contexts_grown compares the first and the latest capture:"

grown=""
for i in $(seq 1 30); do
	grown=$(sql -At -c "SELECT contexts_grown FROM vmastat_leaks WHERE pid = $leak")
	[ -n "$grown" ] && break
	progress "demo: waiting for a second capture of demo_leak's memory contexts" "$i"
	sleep 1
done
[ -n "$grown" ] || die "no second capture of demo_leak's memory contexts within 30 seconds"
sql -v leak="$leak" <<'EOF'
\echo 'Query: SELECT contexts_grown FROM vmastat_leaks WHERE pid = ...'
SELECT contexts_grown FROM vmastat_leaks WHERE pid = :leak;
\echo
\echo 'The contexts themselves are rows of vmastat_memory_contexts(pid).'
\echo 'Query: the largest context names of demo_leak, summed'
SELECT name, count(*) AS contexts, pg_size_pretty(sum(total_bytes)) AS total
FROM vmastat_memory_contexts(:leak)
WHERE kind = 'context'
GROUP BY name
ORDER BY sum(total_bytes) DESC
LIMIT 5;
EOF

cat <<'EOF'

CacheMemoryContext holds a CachedPlanSource (with its CachedPlanQuery) for
every prepared statement, named by the statement's text; only the first 100
children of a context are listed, the rest are summed up in "more child
contexts". The session prepares statements and never deallocates them:
DEALLOCATE (or DEALLOCATE ALL) in that session, or its end, gives the memory
back. The fix belongs in the client: deallocate the statements it no longer
needs, or reuse their names.
EOF

echo
say "demo: done"
