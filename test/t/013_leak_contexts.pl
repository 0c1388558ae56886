# The background sampler captures a leak suspect's memory contexts, and
# vmastat_leaks says which of them grew: a session that keeps preparing
# statements grows CacheMemoryContext with CachedPlanSource contexts.  The
# captures go through the server log, so they are rate-limited, and a
# setting turns them off.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);

my $node = PostgreSQL::Test::Cluster->new('contexts');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = '200ms'
vmastat.leak_min_span = '3s'
vmastat.leak_contexts_interval = '2s'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');

my $leaker = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $leaker->query_safe('SELECT pg_backend_pid()');
$pid =~ s/\D//g;
my $start = time;
$leaker->query_until(
	qr/started/, q{\echo started
DO $$
DECLARE i integer := 0;
BEGIN
    LOOP
        i := i + 1;
        EXECUTE format('PREPARE order_%s AS SELECT * FROM pg_class WHERE oid = $1', i);
        IF i % 100 = 0 THEN PERFORM pg_sleep(0.05); END IF;
    END LOOP;
END
$$;
});

$node->poll_query_until('postgres',
	"SELECT contexts_grown IS NOT NULL FROM vmastat_leaks WHERE pid = $pid")
  or die 'no memory contexts captured for the leaker';
my $grown = $node->safe_psql('postgres',
	"SELECT contexts_grown FROM vmastat_leaks WHERE pid = $pid");
like($grown, qr/^CacheMemoryContext \+[\d.]+ [kMG]B, \+\d+ contexts \(mostly CachedPlanSource\)/,
	"the growth is in CacheMemoryContext's CachedPlanSource contexts: $grown");

# each capture is a dump in the server log
my @dumps = (slurp_file($node->logfile) =~ /logging memory contexts of PID $pid/g);
cmp_ok(scalar(@dumps), '>=', 2, 'at least two captures were logged');
cmp_ok(scalar(@dumps), '<=', (time - $start) / 2 + 2,
	'no more captures than one per vmastat.leak_contexts_interval');

# off: no more dumps while the leak goes on
$node->safe_psql('postgres',
	"ALTER SYSTEM SET vmastat.leak_contexts_interval = 0; SELECT pg_reload_conf()");
sleep(1);
my $before = () = slurp_file($node->logfile) =~ /logging memory contexts of PID/g;
sleep(3);
my $after = () = slurp_file($node->logfile) =~ /logging memory contexts of PID/g;
is($after, $before, 'vmastat.leak_contexts_interval = 0 turns the captures off');

$leaker->{run}->kill_kill;
$node->stop;
done_testing();
