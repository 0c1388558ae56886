# Samples on pg_cron's schedule instead of vmastat's sampler: vmastat is
# preloaded for its shared memory, with vmastat.sample_interval = 0, and
# pg_cron runs vmastat_snapshot() and vmastat_history_prune() as the recipe
# in doc/integrations.md says.  pg_cron before 1.5 (Debian 12 ships 1.4) knows
# only cron's minutes, so the snapshot job runs every minute and the test
# waits for two runs, two minutes at most; with 1.5 or later it runs
# every 2 seconds.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('pg_cron');
my $pkglibdir = $node->config_data('--pkglibdir');
my $sharedir = $node->config_data('--sharedir');
my $major = $node->pg_version->major;
plan skip_all =>
  "pg_cron is not installed (Debian package postgresql-$major-cron)"
  unless -e "$pkglibdir/pg_cron.so" && -e "$sharedir/extension/pg_cron.control";

$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_cron,vmastat'
vmastat.sample_interval = 0
cron.database_name = 'postgres'
# jobs run in background workers: no connection, no pg_hba.conf entry
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION vmastat; CREATE EXTENSION pg_cron');

is( $node->safe_psql('postgres',
		"SELECT count(*) FROM vmastat_backends(fast => true) WHERE backend_type = 'vmastat sampler'"),
	0,
	'no vmastat sampler runs');

my $cron_version = $node->safe_psql('postgres',
	"SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'");
# "1.4-1" in Debian 12
my ($cron_major, $cron_minor) = $cron_version =~ /^(\d+)\.(\d+)/
  or die "unexpected pg_cron version $cron_version";
my $seconds = $cron_major > 1 || ($cron_major == 1 && $cron_minor >= 5);
my $schedule = $seconds ? '2 seconds' : '* * * * *';
note("pg_cron $cron_version: schedule '$schedule'");

# An archived sample older than a day, for the pruning job
$node->safe_psql('postgres',
	"INSERT INTO vmastat_history_archive (sample_time, pid, backend_type, rss, rss_anon, swap)
	 VALUES (now() - interval '2 days', 1, 'client backend', 0, 0, 0)");

my $snapshot_job = $node->safe_psql('postgres',
	"SELECT cron.schedule('vmastat-snapshot', '$schedule', 'SELECT vmastat_snapshot()')");
my $prune_job = $node->safe_psql('postgres',
	"SELECT cron.schedule('vmastat-prune', '$schedule', \$\$SELECT vmastat_history_prune('1 day')\$\$)");
like($snapshot_job, qr/^\d+$/, 'the snapshot job is scheduled');

# Two runs of the snapshot job
$node->poll_query_until('postgres',
	"SELECT count(*) >= 2 FROM cron.job_run_details
	 WHERE jobid = $snapshot_job AND status = 'succeeded'")
  or die 'pg_cron did not run the snapshot job twice: '
  . $node->safe_psql('postgres', 'SELECT * FROM cron.job_run_details');

is( $node->safe_psql('postgres',
		"SELECT count(*) FROM cron.job_run_details WHERE status NOT IN ('succeeded', 'running', 'starting')"),
	0,
	'no job run failed');

# Every successful run left exactly one sample: the samples go to the leak
# finder's store, where the postmaster's incarnation counts them.  The run
# times that pg_cron records need not bracket the sample (it notes them
# around its own bookkeeping), so the job is stopped and the runs and
# samples counted once no run is in flight.
my $postmaster_samples =
  "SELECT coalesce(max(samples), 0) FROM vmastat_growth WHERE backend_type = 'postmaster' AND alive";
$node->safe_psql('postgres', "SELECT cron.unschedule('vmastat-snapshot')");
ok( $node->poll_query_until(
		'postgres',
		"SELECT (SELECT count(*) FROM cron.job_run_details
		         WHERE jobid = $snapshot_job AND status IN ('starting', 'running')) = 0
		    AND (SELECT count(*) FROM cron.job_run_details
		         WHERE jobid = $snapshot_job AND status = 'succeeded')
		      = ($postmaster_samples)"),
	'each successful run took exactly one sample');
cmp_ok($node->safe_psql('postgres', $postmaster_samples),
	'>=', 2, 'samples arrive one run after the other');

# A sample covers the cluster: the postmaster, auxiliary processes, pg_cron's
# launcher and the worker that ran the job
my $last = "(SELECT max(last_seen) FROM vmastat_growth)";
is( $node->safe_psql('postgres',
		"SELECT string_agg(DISTINCT backend_type, ',' ORDER BY backend_type)
		 FROM vmastat_growth
		 WHERE last_seen = $last
		   AND backend_type IN ('postmaster', 'checkpointer', 'pg_cron launcher')"),
	'checkpointer,pg_cron launcher,postmaster',
	'a sample has the postmaster, the checkpointer and pg_cron\'s launcher');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM vmastat_growth
		 WHERE last_seen = $last AND anon_last IS NULL"),
	0,
	'every process of a sample has its counters');
is( $node->safe_psql('postgres',
		"SELECT count(*) > 0 FROM vmastat_growth
		 WHERE last_seen = $last AND backend_type = 'pg_cron'"),
	't',
	'the worker that ran the job is in its own sample');

# The pruning job removed the old sample
$node->poll_query_until('postgres',
	"SELECT count(*) >= 1 FROM cron.job_run_details
	 WHERE jobid = $prune_job AND status = 'succeeded'")
  or die 'pg_cron did not run the pruning job';
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM vmastat_history_archive WHERE sample_time < now() - interval '1 day'"),
	0,
	'the pruning job removed the archived sample older than a day');

# Both jobs unscheduled
$node->safe_psql('postgres', "SELECT cron.unschedule('vmastat-prune')");
is($node->safe_psql('postgres', 'SELECT count(*) FROM cron.job'), 0, 'the jobs are unscheduled');

$node->stop;
ok(!$node->log_contains('terminated by signal'), 'no process crashed');

done_testing();
