# Discovery at a thousand sessions with churn: the kernel's list of the
# postmaster's children is read a page at a time, and children that exit
# between two reads make live ones be skipped.  While the oldest sessions
# keep being replaced (the oldest children are on the list's first page),
# every scan must list every process that was in pg_stat_activity, as the
# same process, both before and after it.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $sessions = $ENV{VMASTAT_CHURN_SESSIONS} // 1000;
# how long the scans go on, in batches of rounds of scans; make test keeps
# it short (the skips it hunts are rare, a few rounds in a hundred on a busy
# host, and 020_fake_proc.pl shows the union deterministically); set
# VMASTAT_CHURN_SECONDS=600 for a soak
my $scan_seconds = $ENV{VMASTAT_CHURN_SECONDS} // 20;
my $scans_per_round = 5;
my $vmas_rounds = 2;

# The helper that holds the sessions, built against libpq
my $pg_config = $ENV{PG_CONFIG} // 'pg_config';
system('make', '-s', 'tools/bench/sessions', "PG_CONFIG=$pg_config") == 0
  or die 'could not build tools/bench/sessions';

my $node = PostgreSQL::Test::Cluster->new('many_sessions');
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
max_connections = @{[ $sessions + 100 ]}
shared_buffers = 32MB
log_connections = off
log_disconnections = off
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');
my $connstr = $node->connstr('postgres');

# A thousand sessions, the oldest closed and a new one opened, again and
# again, until the scans are done
my ($in, $out, $err) = ('', '', '');
my $churn = IPC::Run::start([ 'tools/bench/sessions', '-n', $sessions, '-c', $connstr ],
	'<', \$in, '>', \$out, '2>', \$err);
$churn->pump until $out =~ /^ready$/m || !$churn->pumpable;
like($out, qr/^ready$/m, "$sessions sessions are open") or BAIL_OUT($err);
cmp_ok($node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"),
	'>=', $sessions, 'pg_stat_activity lists them');

# Each round: pg_stat_activity, a few scans, pg_stat_activity again, each
# its own transaction (pg_stat_activity is a per-transaction snapshot).  A
# process is the same one if its PID and its start time are; every scan
# must list each process that is in both snapshots.
my $key = q{a.pid::text || '@' || coalesce(a.backend_start::text, '')};
my $nscans = 0;

sub round
{
	my ($n, $scan, $nscan) = @_;
	my $sql = "SELECT pg_catalog.string_agg($key, ',') AS before FROM pg_catalog.pg_stat_activity AS a \\gset\n";
	$sql .= "SELECT pg_catalog.array_agg(DISTINCT pid) AS seen$_ FROM $scan \\gset\n"
	  for 1 .. $nscan;
	$sql .= "SELECT 'missing $n ' || a.pid FROM pg_catalog.pg_stat_activity AS a "
	  . "WHERE $key IN (SELECT pg_catalog.unnest(pg_catalog.string_to_array(:'before', ','))) AND ("
	  . join(' OR ',
		map { "a.pid NOT IN (SELECT pg_catalog.unnest(:'seen$_'::int[]))" } 1 .. $nscan)
	  . ");\n";
	$nscans += $nscan;
	return $sql;
}

my $result = '';
my $rounds = 0;
my $started = time;
while (time - $started < $scan_seconds)
{
	my $script = '';
	$script .= round(++$rounds, 'vmastat_backends(fast => true)', $scans_per_round) for 1 .. 10;
	$result .= $node->safe_psql('postgres', $script) . "\n";
}
my $script = '';
$script .= round(++$rounds, 'vmastat_vmas', 1) for 1 .. $vmas_rounds;
$script .= "SELECT 'done';\n";
$result .= $node->safe_psql('postgres', $script);

$in = '';
$churn->finish;
my ($replaced) = $out =~ /^replaced (\d+)$/m;
note("$replaced sessions replaced during the scans");
cmp_ok($replaced // 0, '>', $sessions / 10, 'many sessions came and went during the scans');

my @missing = grep { /^missing/ } split /\n/, $result;
my %bad_rounds = map { (split / /)[1] => 1 } @missing;
note(scalar(@missing) . ' live processes missing in ' . scalar(keys %bad_rounds)
	  . " of $rounds rounds ($nscans scans)");
like($result, qr/done$/, 'every scan ran');
is(scalar(@missing), 0, 'every scan listed every process alive before and after it')
  or diag(join("\n", @missing[ 0 .. ($#missing < 20 ? $#missing : 19) ]));

$node->stop;
done_testing();
