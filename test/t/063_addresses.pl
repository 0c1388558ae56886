# Addresses of server processes' mappings defeat address space layout
# randomization, so Linux shows /proc/PID/maps only to whoever may ptrace the
# process.  start_addr, end_addr and the offset of anonymous mappings are
# NULL unless the caller is a superuser or has the privileges of
# pg_read_server_files; the other columns are shown to pg_read_all_stats
# as before, and vmastat_parse_smaps shows the addresses of the caller's
# own text to anyone.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('addresses');
$node->init;
$node->start;
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION vmastat;
CREATE ROLE plain LOGIN;
CREATE ROLE monitor LOGIN IN ROLE pg_monitor;
CREATE ROLE files LOGIN IN ROLE pg_read_all_stats, pg_read_server_files;
-- privileges of pg_read_server_files through another role count too
CREATE ROLE files_group IN ROLE pg_read_server_files;
CREATE ROLE files_member LOGIN IN ROLE pg_read_all_stats, files_group;
});

# What each way of reading the mappings shows of the session's own backend:
# rows, rows with start_addr, with end_addr, with rss, anonymous rows with an
# offset, file rows without one
my %reads = (
	'vmastat_vmas(pid)' => 'vmastat_vmas(pg_backend_pid())',
	'vmastat_vmas()' => 'vmastat_vmas() WHERE pid = pg_backend_pid()',
	'vmastat_vmas_of' => 'vmastat_vmas_of(ARRAY[pg_backend_pid()])',
	'view vmastat_vmas' => 'vmastat_vmas WHERE pid = pg_backend_pid()');
my $counts = q{SELECT count(*), count(start_addr), count(end_addr), count(rss),
	count(*) FILTER (WHERE inode = 0 AND "offset" IS NOT NULL),
	count(*) FILTER (WHERE inode <> 0 AND "offset" IS NULL)
	FROM };

# The file mappings of a backend that stay while it is idle, from
# vmastat (start-end) and from the kernel's maps, read after the query
sub stable_ranges_match
{
	my ($role) = @_;
	my $session = $node->background_psql('postgres', extra_params => [ '-U', $role ]);
	my $pid = $session->query_safe('SELECT pg_backend_pid()');
	$pid =~ s/\D//g;
	my $out = $session->query_safe(
		q{SELECT start_addr || '-' || end_addr FROM vmastat_vmas(pg_backend_pid())
		  WHERE inode <> 0 AND kind IN ('text', 'rodata', 'data') ORDER BY 1});
	my @kernel;
	for (split /\n/, slurp_file("/proc/$pid/maps"))
	{
		my ($range, $perms, $offset, $dev, $inode, $path) = split ' ', $_, 6;
		push @kernel, $range if $inode != 0 && defined $path && $path =~ m{^/}
		  && $path !~ m{^/(dev/shm|SYSV|dev/zero|memfd:|anon_hugepage)}
		  && $path !~ / \(deleted\)$/;
	}
	$session->quit;
	my @vmastat = split /\n/, $out;
	note("$role: " . scalar(@vmastat) . ' object mappings from vmastat, '
		  . scalar(@kernel) . ' file mappings in maps');
	my %in_maps = map { $_ => 1 } @kernel;
	return @vmastat > 0 && !grep { !$in_maps{$_} } @vmastat;
}

for my $what (sort keys %reads)
{
	my $out = $node->safe_psql('postgres', $counts . $reads{$what},
		extra_params => [ '-U', 'monitor' ]);
	my ($n, $start, $end, $rss, $anon_offset, $file_no_offset) = split /\|/, $out;
	ok($n > 0 && $rss == $n, "pg_monitor member: $what shows $n mappings with rss");
	is("$start|$end|$anon_offset|$file_no_offset", '0|0|0|0',
		"pg_monitor member: $what hides addresses and anonymous offsets, not file offsets");

	for my $role ('files', 'files_member', 'postgres')
	{
		$out = $node->safe_psql('postgres', $counts . $reads{$what},
			extra_params => [ '-U', $role ]);
		($n, $start, $end, $rss, $anon_offset, $file_no_offset) = split /\|/, $out;
		ok($n > 0 && $start == $n && $end == $n && $file_no_offset == 0,
			"$role: $what shows every address and offset");
	}
}

for my $role ('files', 'files_member', 'postgres')
{
	ok(stable_ranges_match($role),
		"$role: the addresses of its backend's objects are the kernel's");
}

# Saved text: the caller's own, shown as given to anyone
my $pm_pid = (split /\n/, slurp_file($node->data_dir . '/postmaster.pid'))[0];
my $maps = slurp_file("/proc/$pm_pid/maps");
die 'maps text holds the dollar-quote tag' if $maps =~ /\$maps\$/;
my ($first_range) = split ' ', $maps;
my $out = $node->safe_psql(
	'postgres',
	"SELECT count(*) = count(start_addr) AND count(*) = count(\"offset\"),
	        (array_agg(start_addr || '-' || end_addr))[1]
	 FROM vmastat_parse_smaps(\$maps\$$maps\$maps\$)",
	extra_params => [ '-U', 'plain' ]);
is($out, "t|$first_range", 'plain role: vmastat_parse_smaps shows the addresses of its text');

$node->stop;
done_testing();
