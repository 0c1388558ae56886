# Who may read the memory maps of server processes, and the memory figures
# of the host and of the server's cgroup: members of pg_read_all_stats (so
# of pg_monitor) only, even when EXECUTE was granted to someone else;
# parsing saved text is open to everyone.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('privileges');
$node->init;
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION vmastat;
CREATE ROLE plain LOGIN;
CREATE ROLE monitor LOGIN IN ROLE pg_monitor;
CREATE ROLE stats LOGIN IN ROLE pg_read_all_stats;
CREATE ROLE granted LOGIN;
GRANT EXECUTE ON FUNCTION vmastat_vmas(integer), vmastat_vmas(),
    vmastat_backends(boolean), vmastat_backend(integer, boolean),
    vmastat_kinds(), vmastat_kinds_of(integer[]), vmastat_system_info() TO granted;
GRANT SELECT ON vmastat_vmas, vmastat_activity, vmastat_kinds, vmastat_system TO granted;
});

# Runs a query as a role; verbose errors carry the SQLSTATE
sub psql_as
{
	my ($role, $sql) = @_;
	my ($ret, $out, $err) = $node->psql(
		'postgres', $sql,
		extra_params => [ '-U', $role, '-v', 'VERBOSITY=verbose' ]);
	return ($ret, $out, $err);
}

# each query returns one number: rows about the session's own backend, or
# rows at all where the object is not per-PID
my %reads = (
	'vmastat_backends()' =>
	  'SELECT count(*) FROM vmastat_backends() WHERE pid = pg_backend_pid()',
	'vmastat_backends(fast => true)' =>
	  'SELECT count(*) FROM vmastat_backends(fast => true) WHERE pid = pg_backend_pid()',
	'vmastat_backend(pid)' =>
	  'SELECT count(*) FROM vmastat_backend(pg_backend_pid())',
	'vmastat_vmas(pid)' =>
	  'SELECT count(*) > 0 FROM vmastat_vmas(pg_backend_pid())',
	'vmastat_vmas()' =>
	  'SELECT count(*) > 0 FROM vmastat_vmas() WHERE pid = pg_backend_pid()',
	'view vmastat_vmas' =>
	  'SELECT count(*) > 0 FROM vmastat_vmas WHERE pid = pg_backend_pid()',
	'view vmastat_activity' =>
	  'SELECT count(*) FROM vmastat_activity WHERE pid = pg_backend_pid()',
	'view vmastat_kinds' =>
	  q{SELECT count(*) FROM vmastat_kinds WHERE pid = pg_backend_pid() AND kind = 'stack'},
	'vmastat_kinds_of(pids)' =>
	  q{SELECT count(*) FROM vmastat_kinds_of(ARRAY[pg_backend_pid()]) WHERE kind = 'stack'},
	'vmastat_system_info()' =>
	  'SELECT count(*) FROM vmastat_system_info() WHERE mem_total > 0',
	'view vmastat_system' =>
	  'SELECT count(*) FROM vmastat_system WHERE mem_total > 0');
my %expected = (
	'vmastat_vmas(pid)' => 't',
	'vmastat_vmas()' => 't',
	'view vmastat_vmas' => 't');

for my $what (sort keys %reads)
{
	my ($ret, $out, $err) = psql_as('plain', $reads{$what});
	isnt($ret, 0, "plain role: $what fails");
	like(
		$err,
		qr/ERROR:  42501: permission denied for (function|view) vmastat_/,
		"plain role: $what is refused by the ACL");
}

for my $role ('monitor', 'stats')
{
	for my $what (sort keys %reads)
	{
		my ($ret, $out, $err) = psql_as($role, $reads{$what});
		is($ret, 0, "$role: $what succeeds");
		is($out, $expected{$what} // '1', "$role: $what sees its own backend");
	}
}

is( $node->safe_psql(
		'postgres',
		q{SELECT has_function_privilege('granted', 'vmastat_backends(boolean)', 'EXECUTE'),
		         has_table_privilege('granted', 'vmastat_activity', 'SELECT'),
		         pg_has_role('granted', 'pg_read_all_stats', 'USAGE')}),
	't|t|f',
	'the granted role may execute and select but is not in pg_read_all_stats');

for my $what (sort keys %reads)
{
	my ($ret, $out, $err) = psql_as('granted', $reads{$what});
	isnt($ret, 0, "granted role: $what fails");
	like(
		$err,
		$what =~ /system/
		? qr/ERROR:  42501: permission denied to read the memory figures of the host and of the server's cgroup\n.*pg_read_all_stats/s
		: qr/ERROR:  42501: permission denied to read the memory maps of server processes\n.*pg_read_all_stats/s,
		"granted role: $what is refused by the check in the C code");
}

# vmastat_parse_smaps is for everyone: feed it the smaps and the maps of the
# postmaster, read here
my $pm_pid = (split /\n/, slurp_file($node->data_dir . '/postmaster.pid'))[0];
my $smaps = slurp_file("/proc/$pm_pid/smaps");
my $maps = slurp_file("/proc/$pm_pid/maps");
my ($n, $rss, $heap) = (0, 0, 0);
for (split /\n/, $smaps)
{
	$rss += $1 * 1024 if /^Rss:\s+(\d+) kB$/;
	if (/^[0-9a-f]+-[0-9a-f]+ /)
	{
		$n++;
		$heap++ if / \[heap\]$/;
	}
}
ok($n > 0 && $heap > 0, "the postmaster has $n mappings, $heap of them heap");
die 'smaps text holds the dollar-quote tag' if $smaps =~ /\$smaps\$/;

my ($ret, $out, $err) = psql_as(
	'plain',
	"SELECT count(*), sum(rss), count(*) FILTER (WHERE pid IS NULL),
	        count(*) FILTER (WHERE kind = 'heap')
	 FROM vmastat_parse_smaps(\$smaps\$$smaps\$smaps\$)");
is($ret, 0, 'plain role: vmastat_parse_smaps succeeds on smaps text');
is($out, "$n|$rss|$n|$heap",
	'plain role: one row per mapping, pid NULL, Rss summed, heap found');

($ret, $out, $err) = psql_as(
	'plain',
	# two's complement keeps the difference right for [vsyscall] too
	"SELECT count(*), count(rss), bool_and(size = ('x' || lpad(end_addr, 16, '0'))::bit(64)::bigint
	                                              - ('x' || lpad(start_addr, 16, '0'))::bit(64)::bigint)
	 FROM vmastat_parse_smaps(\$smaps\$$maps\$smaps\$)");
my $lines = ($maps =~ tr/\n//);
is($ret, 0, 'plain role: vmastat_parse_smaps succeeds on maps text');
is($out, "$lines|0|t",
	'plain role: maps text gives sizes from the addresses and no resident figures');

$node->stop;

done_testing();
