#!/bin/bash
#
# run_tests.sh: everything "make test" runs.  Parser unit tests, then
# pg_regress and the TAP tests against a throwaway cluster started here.
#
# PostgreSQL refuses to run as root: started as root, the script installs
# the extension, copies the tree where the postgres user can read it and
# runs the cluster tests as that user.  The test-only module test/leak is
# installed too.  Started as another user, it installs
# with sudo if the PostgreSQL directories are not writable.
#
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG
bindir=$("$PG_CONFIG" --bindir 2>/dev/null || true)
test_user=${VMASTAT_TEST_USER:-postgres}

run_cluster_tests() {
	# work is global: the EXIT trap reads it after the function returned
	local port status=0
	work=$(mktemp -d "${TMPDIR:-/tmp}/vmastat-test.XXXXXX")
	port=$((20000 + RANDOM % 20000))
	stop_cluster() {
		"$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
		rm -rf "$work"
	}
	trap stop_cluster EXIT INT TERM
	"$bindir/initdb" -D "$work/data" -A trust --no-sync >/dev/null
	# the leak finder keeps its samples in shared memory: pg_regress needs
	# the library preloaded; no background sampler, the tests take samples
	"$bindir/pg_ctl" -D "$work/data" -l "$work/postmaster.log" -w \
		-o "-p $port -k $work -c listen_addresses='' -c shared_preload_libraries=vmastat -c vmastat.sample_interval=0" \
		start >/dev/null
	cd "$srcdir"
	# one TAP file at a time by default: the oracles compare PSS, which
	# moves whenever another cluster maps the same files
	PGHOST=$work PGPORT=$port make -s installcheck PG_CONFIG="$PG_CONFIG" \
		PROVE_FLAGS="${VMASTAT_PROVE_FLAGS:-}" || status=$?
	if [ $status -ne 0 ] && [ -f regression.diffs ]; then
		cat regression.diffs
	fi
	# the logs of failed TAP tests go with the copy of the tree: show them
	if [ $status -ne 0 ]; then
		local log test node_log
		for log in tmp_check/log/regress_log_*; do
			[ -f "$log" ] && grep -qE '^not ok|Looks like your test (exited|died)' "$log" || continue
			test=${log#tmp_check/log/regress_log_}
			echo "======== $log (end)"
			tail -n 80 "$log"
			for node_log in tmp_check/log/"$test"_*.log; do
				[ -f "$node_log" ] || continue
				echo "======== $node_log (end)"
				tail -n 40 "$node_log"
			done
		done
	fi
	return $status
}

if [ "${1:-}" = "--cluster-tests" ]; then
	run_cluster_tests
	exit
fi

# what the suite needs: installed if missing, as root or with sudo, else
# the one command that installs it is printed
"$srcdir/tools/test-packages.sh" --install
bindir=$("$PG_CONFIG" --bindir)

make -C "$srcdir" -s PG_CONFIG="$PG_CONFIG"
make -C "$srcdir" -s unittest PG_CONFIG="$PG_CONFIG"
# a short fuzzing pass; "make fuzz" alone runs longer
fuzz_log=$(mktemp)
if ! make -C "$srcdir" -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-15}" \
	PG_CONFIG="$PG_CONFIG" >"$fuzz_log" 2>&1; then
	cat "$fuzz_log"
	rm -f "$fuzz_log"
	exit 1
fi
grep -E '^(Done|stat::number_of_executed_units)' "$fuzz_log" || true
rm -f "$fuzz_log"

# A tiny pass of "make bench", once vmastat is installed: it proves that
# the bench works and asserts no timing
bench_smoke() {
	local bench_log
	bench_log=$(mktemp)
	if ! make -C "$srcdir" -s bench BENCH_ARGS=--smoke PG_CONFIG="$PG_CONFIG" >"$bench_log" 2>&1; then
		cat "$bench_log"
		rm -f "$bench_log"
		return 1
	fi
	echo "bench smoke pass: ok"
	rm -f "$bench_log"
}

if [ "$(id -u)" -eq 0 ]; then
	make -C "$srcdir" -s install PG_CONFIG="$PG_CONFIG"
	make -C "$srcdir/test/leak" -s install PG_CONFIG="$PG_CONFIG"
	bench_smoke
	# a whole-cluster scan meets a PID reused by a root process (needs root)
	VMASTAT_TEST_USER="$test_user" "$srcdir/test/pid_reuse_cluster.sh" || [ $? -eq 77 ]
	# vmastat_system in a real cgroup v1 memory cgroup, and an OOM kill in it
	# (needs root and the v1 memory controller)
	VMASTAT_TEST_USER="$test_user" "$srcdir/test/cgroup_v1_cluster.sh" || [ $? -eq 77 ]
	# the checkout may sit where the test user cannot read: use a copy
	copy=$(mktemp -d /tmp/vmastat-src.XXXXXX)
	# huge pages for test/t/022_hugepages.pl, given back afterwards
	hugepages=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo "")
	trap 'rm -rf "$copy"; [ -z "$hugepages" ] || echo "$hugepages" >/proc/sys/vm/nr_hugepages 2>/dev/null || true' EXIT
	if [ -n "$hugepages" ] && [ "$hugepages" -lt 128 ]; then
		echo 128 >/proc/sys/vm/nr_hugepages 2>/dev/null || true
	fi
	tar -C "$srcdir" --exclude=./test/fuzz/corpus --exclude=./tmp_check \
		--exclude=./results -cf - . | tar -C "$copy" -xf -
	chown -R "$test_user": "$copy"
	runuser -u "$test_user" -- env PATH="$bindir:$PATH" "$copy/test/run_tests.sh" --cluster-tests
else
	if [ -w "$("$PG_CONFIG" --pkglibdir)" ] && [ -w "$("$PG_CONFIG" --sharedir)/extension" ]; then
		make -C "$srcdir" -s install PG_CONFIG="$PG_CONFIG"
		make -C "$srcdir/test/leak" -s install PG_CONFIG="$PG_CONFIG"
	else
		sudo make -C "$srcdir" -s install PG_CONFIG="$PG_CONFIG"
		sudo make -C "$srcdir/test/leak" -s install PG_CONFIG="$PG_CONFIG"
	fi
	bench_smoke
	PATH="$bindir:$PATH" "$srcdir/test/run_tests.sh" --cluster-tests
fi
