# The background sampler stays alive, single and quiet: a terminated or
# cancelled launcher or sampler comes back, and never as a second sampler; a
# shorter interval counts at once; a sampler that cannot connect or cannot
# sample neither restarts in a loop nor floods the log; a lock on the
# archive of 1.1's samples makes its prune fail with a logged lock timeout,
# and it obeys pg_terminate_backend while it waits; settings that would
# silently stop it are refused.
use strict;
use warnings;

use IPC::Run;
use List::Util qw(min);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);

my $node = PostgreSQL::Test::Cluster->new('sampler_resilience');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 1
vmastat.database = 'vmdb'
});
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE vmdb');
$node->safe_psql('vmdb', 'CREATE EXTENSION vmastat');

sub log_count
{
	my ($pattern, $offset) = @_;
	my $log = slurp_file($node->logfile, $offset);
	my @hits = $log =~ /$pattern/g;
	return scalar @hits;
}

sub worker_pids
{
	my ($type) = @_;
	return $node->safe_psql('postgres',
		"SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_stat_activity WHERE backend_type = '$type'"
	);
}

# Waits for exactly one worker of the type, other than $old; returns its PID
sub wait_for_new_worker
{
	my ($type, $old) = @_;
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 AND bool_and(pid <> $old) FROM pg_stat_activity WHERE backend_type = '$type'"
	) or return undef;
	return worker_pids($type);
}

# The samples go to the leak finder's store in shared memory: the running
# postmaster's incarnation counts them
my $postmaster_samples =
  "SELECT coalesce(max(samples), 0) FROM vmastat_growth WHERE backend_type = 'postmaster' AND alive";

sub samples
{
	return $node->safe_psql('vmdb', $postmaster_samples);
}

sub samples_reach
{
	my ($n) = @_;
	return $node->poll_query_until('vmdb', "SELECT ($postmaster_samples) >= $n");
}

sub reload_with
{
	my ($setting) = @_;
	$node->safe_psql('postgres', "ALTER SYSTEM SET $setting");
	$node->reload;
}

$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'vmastat sampler'")
  or die 'no sampler';
samples_reach(1) or die 'no sample';

# A terminated launcher comes back by itself after its restart time, says
# that it stopped, and finds the sampler that kept running meanwhile
my $sampler = worker_pids('vmastat sampler');
my $launcher = worker_pids('vmastat launcher');
my $offset = -s $node->logfile;
$node->safe_psql('postgres', "SELECT pg_terminate_backend($launcher)");
$launcher = wait_for_new_worker('vmastat launcher', $launcher);
ok(defined $launcher, 'a terminated launcher comes back');
cmp_ok(
	log_count(
		qr/terminating background worker "vmastat launcher" due to administrator command/,
		$offset),
	'>=', 1,
	'the log says the launcher stopped');
is(worker_pids('vmastat sampler'), $sampler,
	'the sampler runs on while its launcher restarts');

# Cancelled and terminated again and again, the launcher never starts a
# second sampler
for my $round (1 .. 3)
{
	my $signal = $round % 2 ? 'pg_cancel_backend' : 'pg_terminate_backend';
	$node->safe_psql('postgres', "SELECT $signal($launcher)");
	$launcher = wait_for_new_worker('vmastat launcher', $launcher)
	  or die "no launcher after $signal";
}
# a new launcher has taken its first look by now
$node->poll_query_until('postgres',
	"SELECT wait_event = 'Extension' FROM pg_stat_activity WHERE backend_type = 'vmastat launcher'")
  or die 'the launcher does not wait';
is(worker_pids('vmastat sampler'), $sampler,
	'one sampler, the same, after the launcher was cancelled and terminated three times');
my $first = samples();
sleep(5);
cmp_ok(samples() - $first, '<=', 7, 'at most one sample a second meanwhile');

# A terminated sampler comes back too, and says that it stopped
$offset = -s $node->logfile;
$node->safe_psql('postgres', "SELECT pg_terminate_backend($sampler)");
$sampler = wait_for_new_worker('vmastat sampler', $sampler);
ok(defined $sampler, 'a terminated sampler comes back');
cmp_ok(
	log_count(
		qr/terminating background worker "vmastat sampler" due to administrator command/,
		$offset),
	'>=', 1,
	'the log says the sampler stopped');
$first = samples();
ok(samples_reach($first + 2), 'sampling resumes after the sampler was terminated');

# Lowering the interval by reload counts at once, not after the old one
reload_with('vmastat.sample_interval = 3600');
$node->poll_query_until('postgres',
	"SELECT setting = '3600' FROM pg_settings WHERE name = 'vmastat.sample_interval'")
  or die 'no reload';
# the sample due under the old interval, if any, is taken by now
sleep(2);
$first = samples();
reload_with('vmastat.sample_interval = 1');
ok(samples_reach($first + 3), 'a shorter interval takes effect at once');

# Sub-second intervals work, values that would make a busy loop are refused
reload_with("vmastat.sample_interval = '500ms'");
is($node->safe_psql('postgres', 'SHOW vmastat.sample_interval'),
	'500ms', "'500ms' is half a second");
# the mean gap between samples, from the times the samples themselves
# record: the postmaster's count and last sample time, taken twice
my $count_and_time = q{
SELECT samples || ' ' || extract(epoch FROM last_seen) FROM vmastat_growth
WHERE backend_type = 'postmaster' AND alive};
my ($n1, $t1) = split / /, $node->safe_psql('vmdb', $count_and_time);
samples_reach($n1 + 10) or die 'no samples at 500ms';
my ($n2, $t2) = split / /, $node->safe_psql('vmdb', $count_and_time);
cmp_ok(($t2 - $t1) / ($n2 - $n1), '<', 0.9,
	'samples come faster than once a second at 500ms');
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"ALTER SYSTEM SET vmastat.sample_interval = '50ms'");
like(
	$stderr,
	qr/invalid value for parameter "vmastat.sample_interval".*\n.*DETAIL:  The interval must be 0, which turns the sampler off, or at least 100 ms/,
	'an interval below 100 ms is refused with a reason');
for my $case ([ '60', '60', '1min' ], [ '1', '1', '1s' ], [ '0', '0', '0' ])
{
	my ($value, $setting, $shown) = @$case;
	reload_with("vmastat.sample_interval = $value");
	$node->poll_query_until('postgres',
		"SELECT setting = '$setting' FROM pg_settings WHERE name = 'vmastat.sample_interval'")
	  or die "no reload to $value";
	is($node->safe_psql('postgres', 'SHOW vmastat.sample_interval'),
		$shown, "vmastat.sample_interval = $value still means $shown");
}
reload_with('vmastat.sample_interval = 1');
# the sampler stopped at 0; a new one starts
$sampler = wait_for_new_worker('vmastat sampler', $sampler)
  or die 'no sampler after the interval is back to 1';

# A database name PostgreSQL could never have is refused
($ret, $stdout, $stderr) = $node->psql('postgres',
	"ALTER SYSTEM SET vmastat.database = '" . ('x' x 64) . "'");
like(
	$stderr,
	qr/invalid value for parameter "vmastat.database".*\n.*DETAIL:  A database name is at most 63 bytes long/,
	'a database name of 64 bytes is refused with a reason');

# A read-only database is sampled: with an empty archive the prune, every
# second here, writes nothing
reload_with("vmastat.history_keep = '1s'");
$node->safe_psql('postgres',
	'ALTER DATABASE vmdb SET default_transaction_read_only = on');
$offset = -s $node->logfile;
$node->safe_psql('postgres', "SELECT pg_terminate_backend($sampler)");
$sampler = wait_for_new_worker('vmastat sampler', $sampler)
  or die 'no sampler after terminate';
$first = samples();
samples_reach($first + 3) or die 'no samples in a read-only database';
is(log_count(qr/ERROR:/, $offset), 0,
	'a read-only database with an empty archive is sampled without errors');

# A failing sample is logged once, not at every interval: with a sample
# archived from 1.1 to delete, the prune fails at every second
$node->safe_psql('postgres',
	'ALTER DATABASE vmdb RESET default_transaction_read_only');
$node->safe_psql('vmdb',
	"INSERT INTO vmastat_history_archive (sample_time, pid) VALUES (now() - interval '2 days', 1)");
$node->safe_psql('postgres',
	'ALTER DATABASE vmdb SET default_transaction_read_only = on');
$offset = -s $node->logfile;
$node->safe_psql('postgres', "SELECT pg_terminate_backend($sampler)");
$sampler = wait_for_new_worker('vmastat sampler', $sampler)
  or die 'no sampler after terminate';
$node->wait_for_log(qr/ERROR:  cannot execute DELETE in a read-only transaction/,
	$offset);
sleep(10);
is(log_count(qr/ERROR:  cannot execute DELETE in a read-only transaction/, $offset),
	1, 'a sample failing the same way for 10 s is logged once');
$node->safe_psql('postgres',
	'ALTER DATABASE vmdb RESET default_transaction_read_only');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($sampler)");
$sampler = wait_for_new_worker('vmastat sampler', $sampler)
  or die 'no sampler after terminate';
$first = samples();
samples_reach($first + 2) or die 'sampling did not resume';
ok($node->poll_query_until('vmdb', 'SELECT count(*) = 0 FROM vmastat_history_archive'),
	'once writable, the prune deletes the archived sample');

# A lock on the archive: the prune of a new sampler's first sample gives up
# after its lock_timeout, says so, and a sampler waiting for the lock obeys
# pg_terminate_backend
my $psql = $node->installed_command(['psql'])->[0];
my $locker = IPC::Run::start(
	[
		$psql, '-X', '-q', '-d',
		$node->connstr('vmdb') . ' application_name=locker',
		'-c',
		'BEGIN; LOCK TABLE vmastat_history_archive IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600)'
	],
	'>', \my $locker_out, '2>', \my $locker_err);
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'locker' AND wait_event = 'PgSleep'")
  or die 'no lock';
$offset = -s $node->logfile;
$node->safe_psql('postgres', "SELECT pg_terminate_backend($sampler)");
$sampler = wait_for_new_worker('vmastat sampler', $sampler)
  or die 'no sampler after terminate';
$node->wait_for_log(qr/ERROR:  canceling statement due to lock timeout/, $offset);
pass('a prune blocked by a lock on the archive fails with a logged lock timeout');
ok( $node->poll_query_until('postgres',
		"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE backend_type = 'vmastat sampler'"),
	'the next sample waits for the lock again');
$offset = -s $node->logfile;
$node->safe_psql('postgres', "SELECT pg_terminate_backend($sampler)");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $sampler"),
	'a sampler waiting for a lock obeys pg_terminate_backend');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'locker'"),
	1, 'while the lock is still held');
cmp_ok(
	log_count(
		qr/terminating background worker "vmastat sampler" due to administrator command/,
		$offset),
	'>=', 1,
	'the sampler ended by the termination, not by its lock timeout');
$node->safe_psql('postgres',
	"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'");
$locker->finish;
$sampler = wait_for_new_worker('vmastat sampler', $sampler)
  or die 'no sampler after the lock';
$first = samples();
ok(samples_reach($first + 2), 'sampling resumes once the lock is gone');

# A database that refuses connections: no sampler starts, so nothing
# fails; the launcher says once what it waits for
$node->safe_psql('postgres', 'CREATE DATABASE closed ALLOW_CONNECTIONS false');
for my $db ('template0', 'closed')
{
	$offset = -s $node->logfile;
	reload_with("vmastat.database = '$db'");
	sleep(10);
	cmp_ok(log_count(qr/FATAL/, $offset),
		'<=', 3, "at most 3 FATAL lines in 10 s with vmastat.database = '$db'");
	is( log_count(
			qr/vmastat sampler is waiting for database "$db" to accept connections/,
			$offset),
		1,
		"the wait for '$db' is logged once");
}

# A database that allows connections but cannot be connected to (one that
# a DROP DATABASE left invalid): restarts spaced out, doubling
$node->safe_psql('postgres', 'CREATE DATABASE broken');
$node->safe_psql('postgres',
	"UPDATE pg_database SET datconnlimit = -2 WHERE datname = 'broken'");
$offset = -s $node->logfile;
reload_with("vmastat.database = 'broken'");
$node->wait_for_log(qr/FATAL:  .*database "broken"/, $offset);
sleep(12);
my @starts = slurp_file($node->logfile, $offset) =~
  /^\S+ (\d\d):(\d\d):(\d\d\.\d+) \S+ [^\[\n]*\[\d+\] (?:\S.*? )?FATAL:  .*database "broken"/mg;
my @times;
while (my ($h, $m, $s) = splice(@starts, 0, 3))
{
	push @times, $h * 3600 + $m * 60 + $s;
}
note('failed starts at ' . join(', ', @times[ 0 .. min($#times, 9) ]));
cmp_ok(scalar @times, '>=', 3, 'the sampler is started again after a failure');
cmp_ok(scalar @times, '<=', 5, 'at most 5 failed starts in about 12 s');
my @gaps = map { $times[$_] - $times[ $_ - 1 ] } 1 .. $#times;
ok( !grep({ $gaps[$_] <= $gaps[ $_ - 1 ] } 1 .. $#gaps),
	'each wait before a new start is longer than the last: '
	  . join(', ', @gaps[ 0 .. min($#gaps, 9) ]));
is( log_count(
		qr/vmastat sampler stopped before it could sample database "broken"/,
		$offset),
	1,
	'the launcher logs the failed starts once in a minute');

# Back to a good database: a reload starts at once, and a fast shutdown
# ends everything cleanly
reload_with("vmastat.database = 'vmdb'");
$first = samples();
ok(samples_reach($first + 2), 'sampling resumes in a good database');
$offset = -s $node->logfile;
$node->stop('fast');
is(log_count(qr/vmastat.*(terminated by signal|exit code [^01])/, $offset),
	0, 'a clean fast shutdown');

done_testing();
