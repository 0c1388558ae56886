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
# the leak finder's readers need its shared memory; no background sampler
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 0
});
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
GRANT EXECUTE ON FUNCTION vmastat_incarnations(boolean), vmastat_incarnation_kinds(),
    vmastat_incarnation_series() TO granted;
GRANT SELECT ON vmastat_history, vmastat_growth, vmastat_leak_kinds, vmastat_leaks,
    vmastat_top TO granted;
});
# the leak finder's store holds the postmaster once a sample was taken
$node->safe_psql('postgres', 'SELECT vmastat_snapshot()');

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
	  'SELECT count(*) FROM vmastat_system WHERE mem_total > 0',
	# the leak finder: the postmaster, sampled above, is in its store
	'vmastat_incarnations()' =>
	  q{SELECT count(*) FROM vmastat_incarnations() WHERE backend_type = 'postmaster' AND alive},
	'vmastat_incarnation_series()' =>
	  q{SELECT count(DISTINCT pid) FROM vmastat_incarnation_series() WHERE backend_type = 'postmaster'},
	'vmastat_incarnation_kinds()' =>
	  q{SELECT count(DISTINCT k.pid) FROM vmastat_incarnation_kinds() AS k
	    WHERE k.pid = (SELECT pid FROM vmastat_backends(fast => true) WHERE backend_type = 'postmaster')},
	'view vmastat_history' =>
	  q{SELECT count(DISTINCT pid) FROM vmastat_history WHERE backend_type = 'postmaster' AND NOT archived},
	'view vmastat_growth' =>
	  q{SELECT count(*) FROM vmastat_growth WHERE backend_type = 'postmaster' AND alive},
	'view vmastat_leak_kinds' =>
	  q{SELECT count(DISTINCT k.pid) FROM vmastat_leak_kinds AS k
	    WHERE k.pid = (SELECT pid FROM vmastat_backends(fast => true) WHERE backend_type = 'postmaster')},
	'view vmastat_leaks' => 'SELECT count(*) >= 0 FROM vmastat_leaks',
	'view vmastat_top' => 'SELECT count(*) FROM vmastat_top WHERE pid = pg_backend_pid()');
my %expected = (
	'vmastat_vmas(pid)' => 't',
	'vmastat_vmas()' => 't',
	'view vmastat_vmas' => 't',
	'view vmastat_leaks' => 't');

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

# The archive of 1.1's samples is a table: its ACL alone guards it
for my $table ('vmastat_history_archive', 'vmastat_history_kinds_archive')
{
	my ($ret, $out, $err) = psql_as('plain', "SELECT count(*) FROM $table");
	like($err, qr/ERROR:  42501: permission denied for table $table/,
		"plain role: table $table is refused by the ACL");
	for my $role ('monitor', 'stats')
	{
		($ret, $out, $err) = psql_as($role, "SELECT count(*) FROM $table");
		is("$ret|$out", '0|0', "$role: table $table is readable (empty on a fresh install)");
	}
}

# Taking samples and forgetting them are for the owner: not even
# pg_read_all_stats may (forgetting would erase the evidence of a leak)
for my $call ('vmastat_snapshot()', "vmastat_history_forget('0')", "vmastat_history_prune('0')")
{
	my $name = $call =~ s/\(.*//r;
	for my $role ('plain', 'monitor', 'stats')
	{
		my ($ret, $out, $err) = psql_as($role, "SELECT $call");
		like($err, qr/ERROR:  42501: permission denied for function $name\b/,
			"$role: $name is refused");
	}
}
cmp_ok($node->safe_psql('postgres', 'SELECT count(*) FROM vmastat_growth'),
	'>', 0, 'and the refused calls forgot nothing');

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

# Without the library preloaded, the leak finder has no store: its
# functions say so rather than return nothing
$node->append_conf('postgresql.conf', "shared_preload_libraries = ''");
$node->restart;
for my $call ('SELECT vmastat_snapshot()', 'SELECT count(*) FROM vmastat_incarnations()',
	'SELECT count(*) FROM vmastat_incarnation_kinds()',
	'SELECT count(*) FROM vmastat_incarnation_series()',
	"SELECT vmastat_history_forget('1 day')", 'SELECT count(*) FROM vmastat_leaks')
{
	my ($ret, $out, $err) = $node->psql('postgres', $call,
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($err,
		qr/ERROR:  55000: vmastat must be loaded via "shared_preload_libraries" to keep samples/,
		"not preloaded: $call fails with object_not_in_prerequisite_state");
}

# vmastat_top, the view at a glance, works without it, with no verdicts
is( $node->safe_psql('postgres',
		'SELECT count(*) > 0, count(leak) FROM vmastat_top'),
	't|0', 'not preloaded: vmastat_top lists the processes, without verdicts');

$node->stop;

done_testing();
