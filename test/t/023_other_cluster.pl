# Two clusters on one host: each lists only its own processes, and a PID of
# the other cluster's backend, whose title looks like one of ours, is
# refused with a warning that says it is running but not of this cluster.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $ours = PostgreSQL::Test::Cluster->new('ours');
$ours->init;
$ours->start;
my $theirs = PostgreSQL::Test::Cluster->new('theirs');
$theirs->init;
$theirs->start;
$ours->safe_psql('postgres', 'CREATE EXTENSION vmastat');

my $session = $theirs->background_psql('postgres');
my $their_pid = $session->query_safe('SELECT pg_backend_pid()');
my $their_checkpointer = $theirs->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'");
ok(-e "/proc/$their_pid", "the other cluster's backend $their_pid runs");

is( $ours->safe_psql('postgres',
		"SELECT count(*) FROM vmastat_backends(true) WHERE pid IN ($their_pid, $their_checkpointer)"),
	'0', "the other cluster's processes are not listed");

foreach my $call ("vmastat_backend($their_pid)", "vmastat_vmas($their_pid)")
{
	my ($ret, $out, $err) = $ours->psql('postgres', "SELECT pid FROM $call",
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	is($ret, 0, "$call does not fail");
	is($out, '', "$call returns no rows");
	like(
		$err,
		qr/WARNING:  01000: PID $their_pid is not a PostgreSQL server process\nDETAIL:  Process $their_pid is running, but it is not the postmaster of this cluster or one of its children\./,
		"$call says the process is not of this cluster");
}

# a PID nobody has: no such detail
my ($ret, $out, $err) = $ours->psql('postgres', 'SELECT pid FROM vmastat_backend(2147483647)');
like($err, qr/WARNING:  PID 2147483647 is not a PostgreSQL server process/, 'an unused PID warns');
unlike($err, qr/DETAIL/, 'without saying it is running');

$session->quit;
$theirs->stop;
$ours->stop;
done_testing();
