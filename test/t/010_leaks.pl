# The leak finder on a real cluster, with the background sampler at 1 s:
# two sessions that really leak (they keep preparing new statements, at two
# rates) must be found, fastest first, each named once in the log, and
# nothing else: not idle sessions, not a session repeating one query, not a
# session that warms its caches and then stays flat, not one that only
# touches more shared buffers, not one that grows and then frees.  (How
# soon, and with what figures, is for the model's own tests.)
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $node = PostgreSQL::Test::Cluster->new('leaks');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 1
vmastat.database = 'postgres'
shared_buffers = 128MB
# shared buffers in rss_shmem, not in hugetlb, even when huge pages are reserved
huge_pages = off
max_prepared_transactions = 0
});
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION vmastat;
CREATE FUNCTION vmastat_test_leak(bigint) RETURNS bigint
    AS '$libdir/vmastat_test_leak' LANGUAGE C STRICT;
CREATE FUNCTION vmastat_test_free() RETURNS bigint
    AS '$libdir/vmastat_test_leak' LANGUAGE C STRICT;
-- small enough (under shared_buffers / 4) that scans do not use a ring
CREATE TABLE big AS
    SELECT g AS id, repeat('x', 150) AS pad FROM generate_series(1, 100000) AS g;
});

# the sampler runs before any session starts: the postmaster's incarnation
# in the leak finder's store counts its samples
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM vmastat_growth WHERE backend_type = 'postmaster' AND alive AND samples >= 2")
  or die 'the sampler does not take samples';

# RssShmem of a process, from the kernel
sub rss_shmem
{
	my ($pid) = @_;
	my ($kb) = slurp_file("/proc/$pid/status") =~ /^RssShmem:\s+(\d+) kB$/m;
	return $kb * 1024;
}

# Starts a session, returns it and its PID; $sql then runs in it, unwaited
sub start_session
{
	my ($name, $sql) = @_;
	my $session = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = $session->query_safe("SET application_name = '$name'; SELECT pg_backend_pid()");
	$pid =~ s/\D//g;
	$session->query_until(qr/started/, "\\echo started\n$sql\n") if defined $sql;
	return ($session, $pid);
}

# A statement that keeps preparing new statements, sleeping $pause s between
sub preparing_loop
{
	my ($prefix, $pause) = @_;
	return qq{DO \$\$
DECLARE i integer := 0;
BEGIN
    LOOP
        i := i + 1;
        EXECUTE format('PREPARE ${prefix}_%s AS SELECT %s AS n, relname FROM pg_class WHERE oid = 1259', i, i);
        PERFORM pg_sleep($pause);
    END LOOP;
END
\$\$;};
}

my %sessions;
my %pid;
for my $name (qw(idle1 idle2))
{
	($sessions{$name}, $pid{$name}) = start_session($name, undef);
}
($sessions{repeater}, $pid{repeater}) = start_session(
	'repeater', q{DO $$
BEGIN
    LOOP
        PERFORM count(*) FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid;
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;});
($sessions{warmup}, $pid{warmup}) = start_session(
	'warmup', q{SELECT pg_sleep(3);
SELECT count(*) FROM information_schema.columns
UNION ALL SELECT count(*) FROM information_schema.routines
UNION ALL SELECT count(*) FROM information_schema.role_table_grants;});
($sessions{shared}, $pid{shared}) = start_session(
	'shared', q{DO $$
DECLARE blocks integer := pg_relation_size('big') / 8192;
BEGIN
    FOR i IN 1..40 LOOP
        PERFORM count(*) FROM big WHERE ctid < format('(%s,1)', i * blocks / 40)::tid;
        PERFORM pg_sleep(1);
    END LOOP;
END
$$;});
($sessions{growfree}, $pid{growfree}) = start_session(
	'growfree', q{DO $$
BEGIN
    PERFORM pg_sleep(3);
    FOR i IN 1..10 LOOP
        PERFORM vmastat_test_leak(2 * 1024 * 1024);
        PERFORM pg_sleep(0.5);
    END LOOP;
    PERFORM vmastat_test_free();
END
$$;});
($sessions{fast}, $pid{fast}) = start_session('fast', preparing_loop('fast', 0.01));
($sessions{slow}, $pid{slow}) = start_session('slow', preparing_loop('slow', 0.1));
my $leakers_started = time;
my $shared_shmem_start = rss_shmem($pid{shared});

# Poll until both leakers are suspects, at most 90 s
my ($found_after, $suspects, %first_listed);
while (time - $leakers_started < 90)
{
	$suspects = $node->safe_psql('postgres',
		'SELECT string_agg(pid::text, \',\' ORDER BY anon_rate DESC) FROM vmastat_leaks');
	for my $name ('fast', 'slow')
	{
		$first_listed{$name} //= time - $leakers_started
		  if ",$suspects," =~ /,$pid{$name},/;
	}
	if ($suspects =~ /^(\d+),(\d+)$/
		&& join(',', sort($1, $2)) eq join(',', sort($pid{fast}, $pid{slow})))
	{
		$found_after = time - $leakers_started;
		last;
	}
	sleep(1);
}
ok(defined $found_after, "both leakers are suspects (suspects: $suspects)");
note(sprintf('both leakers found %.1f s after they started (fast %.1f s, slow %.1f s)',
	$found_after // -1, $first_listed{fast} // -1, $first_listed{slow} // -1));
is($suspects, "$pid{fast},$pid{slow}", 'the faster leaker comes first');

# When was each leaker listed first?  (for the record)
my $rates = $node->safe_psql('postgres',
	"SELECT application_name, pg_size_pretty(anon_rate), round(anon_r2::numeric, 3), samples
	 FROM vmastat_leaks ORDER BY anon_rate DESC");
note("suspects: $rates");

# For a few more seconds, nothing else becomes a suspect
for (1 .. 5)
{
	sleep(1);
	my $others = $node->safe_psql('postgres',
		"SELECT string_agg(application_name, ',') FROM vmastat_leaks
		 WHERE pid NOT IN ($pid{fast}, $pid{slow})");
	is($others, '', 'no other process is a suspect');
}

# The shared-buffer session scans for 40 s: not a suspect until its end
$node->poll_query_until('postgres',
	"SELECT state = 'idle' FROM pg_stat_activity WHERE pid = $pid{shared}")
  or die 'the shared-buffer session did not finish';
is( $node->safe_psql('postgres',
		"SELECT string_agg(application_name, ',') FROM vmastat_leaks
		 WHERE pid NOT IN ($pid{fast}, $pid{slow})"),
	'', 'no other process is a suspect once the shared-buffer session is done');

# The cases that must not be flagged were real: each did what it claims.
# Owned memory from the store's series (each bucket keeps its least and
# greatest sample), shared memory from the kernel.
my %growth;
for my $name (keys %pid)
{
	$growth{$name} = $node->safe_psql('postgres',
		"SELECT max(owned_max) - min(owned_min) FROM vmastat_history
		 WHERE pid = $pid{$name} AND NOT archived");
}
cmp_ok($growth{warmup}, '>', 1024 * 1024, 'the warm-up session grew (caches) before staying flat');
cmp_ok(rss_shmem($pid{shared}) - $shared_shmem_start,
	'>', 8 * 1024 * 1024, 'the shared-buffer session touched more shared memory over time');
cmp_ok($growth{growfree}, '>=', 18 * 1024 * 1024, 'the grow-then-free session grew by 20 MB');
my $growfree_last = $node->safe_psql('postgres',
	"SELECT anon_last < anon_first + 4 * 1024 * 1024 FROM vmastat_growth WHERE pid = $pid{growfree}");
is($growfree_last, 't', 'the grow-then-free session gave its memory back');

# The figures behind a verdict, against the rule's settings, and which
# kind grew
my $fast_row = $node->safe_psql('postgres',
	"SELECT l.alive, l.samples >= s.min_samples, l.anon_rate >= s.min_rate,
	        l.anon_r2 >= s.min_r2, l.baseline_last - l.baseline_first >= s.min_growth,
	        l.trend ~ '^[▁-█]+\$', l.kinds_grown ~ '(heap|anon) \\+', l.query LIKE '%PREPARE%',
	        l.suspect_since BETWEEN l.first_seen AND l.last_seen, NOT l.before_restart
	 FROM vmastat_leaks AS l, vmastat_leak_settings() AS s WHERE l.pid = $pid{fast}");
is($fast_row, 't|t|t|t|t|t|t|t|t|t',
	'the verdict shows rate, fit, samples, baseline growth, trend, grown kinds, query and since when');
is( $node->safe_psql('postgres',
		"SELECT verdict FROM vmastat_growth WHERE pid IN ($pid{fast}, $pid{slow}) GROUP BY verdict"),
	'suspect', 'vmastat_growth gives both leakers the verdict suspect');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM vmastat_growth WHERE verdict = 'suspect'
		 AND pid NOT IN ($pid{fast}, $pid{slow})"),
	'0', 'and nothing else');

# Each leaker is named once in the log when first found, with what it is
for my $name ('fast', 'slow')
{
	my @lines = slurp_file($node->logfile) =~
	  /LOG:  vmastat: process $pid{$name} looks like a memory leak: .*\n.*DETAIL:  (.*)/g;
	is(scalar @lines, 1, "the $name leaker is named once in the log");
	like($lines[0] // '', qr/^Backend type "client backend", database "postgres", user "\w+", application "$name"; grown: .*(heap|anon)/,
		"with its backend type, database, user, application and what grew");
}

# A terminated leaker stays listed, as not alive
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid{fast})");
$node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid{fast}")
  or die 'the fast leaker did not exit';
sleep(2);
is( $node->safe_psql('postgres',
		"SELECT alive, query IS NULL FROM vmastat_leaks WHERE pid = $pid{fast}"),
	'f|t',
	'the terminated leaker is still listed, not alive');

# The classic leak of a C module: 10 MB malloc'd and touched shows in full
my ($exact, $exact_pid) = start_session('exact', undef);
# Load the module before the first sample: a library mapped in between can
# land just below an older malloc'd mmap, which then counts as its bss
$exact->query_safe('SELECT vmastat_test_free()');
$node->poll_query_until('postgres',
	"SELECT samples >= 2 FROM vmastat_growth WHERE pid = $exact_pid AND alive")
  or die 'the exact session was not sampled';
$exact->query_safe('SELECT vmastat_test_leak(10 * 1024 * 1024)');
my $before = $node->safe_psql('postgres',
	"SELECT samples FROM vmastat_growth WHERE pid = $exact_pid AND alive");
$node->poll_query_until('postgres',
	"SELECT samples >= $before + 2 FROM vmastat_growth WHERE pid = $exact_pid AND alive")
  or die 'the exact session was not sampled after its leak';
cmp_ok(
	$node->safe_psql('postgres',
		"SELECT anon_delta FROM vmastat_growth WHERE pid = $exact_pid"),
	'>=', 10 * 1024 * 1024,
	'leaking 10 MB shows an anon_delta of at least 10 MB');
cmp_ok(
	$node->safe_psql('postgres',
		"SELECT anonymous_delta FROM vmastat_leak_kinds WHERE pid = $exact_pid AND kind = 'anon'"),
	'>=', 10 * 1024 * 1024,
	'the 10 MB show as growth of kind anon');

# end the loops, then the sessions (the fast leaker's psql is gone already)
$node->safe_psql('postgres',
	"SELECT pg_cancel_backend(pid) FROM pg_stat_activity
	 WHERE application_name IN ('repeater', 'shared', 'slow')");
delete $sessions{fast};
$_->quit for values(%sessions), $exact;
$node->stop('fast');
ok(!$node->log_contains('terminated by signal'), 'no process crashed');

done_testing();
