# The background sampler: waits, logging once, for a missing database and a
# missing extension; samples at its interval; follows a reload; stops when
# the interval is 0; shuts down cleanly.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);

my $node = PostgreSQL::Test::Cluster->new('sampler');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 1
vmastat.database = 'vmdb'
});
$node->start;

sub count_in_log
{
	my ($pattern) = @_;
	my $log = slurp_file($node->logfile);
	my @hits = $log =~ /$pattern/g;
	return scalar @hits;
}

# A missing database: one message, however long it stays missing
$node->wait_for_log(qr/vmastat sampler is waiting for database "vmdb"/);
sleep(4);
is(count_in_log(qr/waiting for database "vmdb"/), 1,
	'a missing database is logged once');
is(count_in_log(qr/vmastat (launcher|sampler)".*exited/), 0,
	'no worker exits while the database is missing');

# The database appears, without the extension: one message again
$node->safe_psql('postgres', 'CREATE DATABASE vmdb');
$node->wait_for_log(qr/vmastat sampler is waiting for the extension in database "vmdb"/);
sleep(3);
is(count_in_log(qr/waiting for the extension in database "vmdb"/), 1,
	'a missing extension is logged once');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'vmastat sampler' AND datname = 'vmdb'"),
	1,
	'the sampler is connected to vmastat.database');

# With the extension, samples arrive at the interval.  They go to the leak
# finder's store in shared memory: the postmaster's incarnation counts them.
my $postmaster_samples =
  "SELECT coalesce(max(samples), 0) FROM vmastat_growth WHERE backend_type = 'postmaster' AND alive";
$node->safe_psql('vmdb', 'CREATE EXTENSION vmastat');
$node->poll_query_until('vmdb', "SELECT ($postmaster_samples) >= 1")
  or die 'no sample arrived';
my $first = $node->safe_psql('vmdb', $postmaster_samples);
sleep(5);
my $later = $node->safe_psql('vmdb', $postmaster_samples);
cmp_ok($later - $first, '>=', 3, 'about one sample a second');
cmp_ok($later - $first, '<=', 7, 'not more than one sample a second');
is( $node->safe_psql('vmdb',
		"SELECT count(*) FROM vmastat_growth
		 WHERE last_seen = (SELECT max(last_seen) FROM vmastat_growth) AND alive
		   AND backend_type IN ('postmaster', 'checkpointer', 'vmastat launcher', 'vmastat sampler')"),
	4,
	'a sample covers the postmaster, auxiliary processes and both workers');
is( $node->safe_psql('vmdb',
		"SELECT count(*) FROM vmastat_history_archive"),
	0,
	'and writes no table');

# The sampler reads only the status counters, so no process was page-walked
# for the summary; every incarnation and bucket has them
is( $node->safe_psql('vmdb',
		'SELECT count(*) FROM vmastat_growth WHERE anon_first IS NULL OR anon_last IS NULL OR writeable_private_delta IS NULL'),
	0,
	'every incarnation has the status counters');
is( $node->safe_psql('vmdb',
		'SELECT count(*) FROM vmastat_history WHERE NOT archived AND (owned_min IS NULL OR owned_max < owned_min OR samples < 1)'),
	0,
	'every bucket of the series has owned memory');

# A reload to interval 0 stops sampling; back to 1 resumes it
$node->safe_psql('postgres', 'ALTER SYSTEM SET vmastat.sample_interval = 0');
$node->reload;
$node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'vmastat sampler'")
  or die 'the sampler did not stop';
my $stopped = $node->safe_psql('vmdb', $postmaster_samples);
sleep(3);
is($node->safe_psql('vmdb', $postmaster_samples),
	$stopped, 'no samples while the interval is 0');
$node->safe_psql('postgres', 'ALTER SYSTEM SET vmastat.sample_interval = 1');
$node->reload;
$node->poll_query_until('vmdb', "SELECT ($postmaster_samples) > $stopped")
  or die 'sampling did not resume';
pass('sampling resumes after a reload');

# Another database by reload: the sampler moves there and samples from it
# (the store is the cluster's, so it is the connection that shows the move)
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');
$node->safe_psql('postgres', "ALTER SYSTEM SET vmastat.database = 'postgres'");
$node->reload;
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'vmastat sampler' AND datname = 'postgres'")
  or die 'the sampler did not move to the new database';
my $moved = $node->safe_psql('postgres', $postmaster_samples);
$node->poll_query_until('postgres', "SELECT ($postmaster_samples) > $moved")
  or die 'the sampler does not sample from the new database';
pass('the sampler follows vmastat.database');

# Clean shutdown: no worker error, no crash.  SIGTERM ends both workers
# the way PostgreSQL ends any worker it terminates, with that one FATAL line
# each, which is not an error.
$node->stop('fast');
is( count_in_log(
		qr/(FATAL|ERROR|PANIC):  (?!terminating background worker "vmastat (launcher|sampler)" due to administrator command).*vmastat|vmastat.*(terminated by signal|exit code [^01])/
	),
	0,
	'no vmastat error in the log, and a clean shutdown');

done_testing();
