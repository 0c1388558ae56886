# The leak finder on a real cluster, with the background sampler at 1 s:
# two sessions that really leak (they keep preparing new statements, at two
# rates) must be found within 60 s, fastest first, and nothing else: not idle
# sessions, not a session repeating one query, not a session that warms its
# caches and then stays flat, not one that only touches more shared buffers,
# not one that grows and then frees.
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

# the sampler runs before any session starts
$node->poll_query_until('postgres',
	'SELECT count(DISTINCT sample_time) >= 2 FROM vmastat_history')
  or die 'the sampler does not take samples';

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
cmp_ok($found_after // 999, '<=', 60, 'both leakers found within 60 s');
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

# The cases that must not be flagged were real: each did what it claims
my %growth;
for my $name (keys %pid)
{
	$growth{$name} = $node->safe_psql('postgres',
		"SELECT max(rss_anon + swap) - min(rss_anon + swap), max(rss_shmem) - min(rss_shmem)
		 FROM vmastat_history WHERE pid = $pid{$name}");
}
my ($warm_anon) = split /\|/, $growth{warmup};
cmp_ok($warm_anon, '>', 1024 * 1024, 'the warm-up session grew (caches) before staying flat');
my (undef, $shared_shmem) = split /\|/, $growth{shared};
cmp_ok($shared_shmem, '>', 8 * 1024 * 1024, 'the shared-buffer session touched more shared memory over time');
my ($growfree_anon) = split /\|/, $growth{growfree};
cmp_ok($growfree_anon, '>=', 18 * 1024 * 1024, 'the grow-then-free session grew by 20 MB');
my $growfree_last = $node->safe_psql('postgres',
	"SELECT anon_last < anon_first + 4 * 1024 * 1024 FROM vmastat_growth WHERE pid = $pid{growfree}");
is($growfree_last, 't', 'the grow-then-free session gave its memory back');

# The figures behind a verdict, and which kind grew
my $fast_row = $node->safe_psql('postgres',
	"SELECT alive, samples >= 10, anon_rate > 1024 * 1024, anon_r2 >= 0.8,
	        trend ~ '^[▁-█]+\$', kinds_grown ~ '(heap|anon) \\+', query LIKE '%PREPARE%'
	 FROM vmastat_leaks WHERE pid = $pid{fast}");
is($fast_row, 't|t|t|t|t|t|t', 'the verdict shows rate, fit, samples, trend, grown kinds and query');

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
	"SELECT count(*) >= 2 FROM vmastat_history WHERE pid = $exact_pid")
  or die 'the exact session was not sampled';
$exact->query_safe('SELECT vmastat_test_leak(10 * 1024 * 1024)');
my $before = $node->safe_psql('postgres',
	"SELECT max(sample_time) FROM vmastat_history WHERE pid = $exact_pid");
$node->poll_query_until('postgres',
	"SELECT count(*) >= 2 FROM vmastat_history WHERE pid = $exact_pid AND sample_time > '$before'")
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
