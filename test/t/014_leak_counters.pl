# Where a sample's counters come from.  On a host without swap the sample
# reads /proc/PID/statm, which holds the same counters as status but swap
# and does not say whose a process is; with swap it reads status.
# vmastat.proc_root points vmastat_snapshot() at a tree of links to the
# real /proc whose meminfo says whether there is swap and where one real
# backend has a made-up status:
# - with swap, that backend's owned memory is its status's RssAnon + VmSwap;
# - without, it is statm's resident - shared pages, as the kernel's status
#   says;
# - without swap, a PID that holds no PGPROC is checked through its status:
#   a child that pg_stat_activity does not list is sampled by its title,
#   and a PID whose status names another parent is left out.
use strict;
use warnings;

use File::Path qw(make_path);
use POSIX qw(sysconf _SC_PAGESIZE);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('counters');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'vmastat'\nvmastat.sample_interval = 0\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');

my ($pm) = split /\n/, slurp_file($node->data_dir . '/postmaster.pid');
my $session = $node->background_psql('postgres');
my $backend = $session->query_safe('SELECT pg_backend_pid()');
$backend =~ s/\D//g;

sub write_file
{
	my ($path, $text) = @_;
	open my $fh, '>', $path or die "could not write $path: $!";
	print $fh $text;
	close $fh;
}

# The tree: every real child of the postmaster and the postmaster itself
# as links to their /proc directories, the backend's directory made of
# links but for status, and two made-up children of the postmaster.
my $root = PostgreSQL::Test::Utils::tempdir();
my $real_status = slurp_file("/proc/$backend/status");
my ($rss_anon) = $real_status =~ /^RssAnon:\s+(\d+) kB$/m
  or die "no RssAnon in the status of $backend";
(my $fake_status = $real_status) =~ s/^VmSwap:\s+\d+ kB$/VmSwap:\t    4096 kB/m;
make_path("$root/$backend", "$root/4000001", "$root/4000002");
write_file("$root/$backend/status", $fake_status);
symlink("/proc/$backend/$_", "$root/$backend/$_") or die "symlink: $!"
  for qw(statm cmdline);
my $children = slurp_file("/proc/$pm/task/$pm/children");
for my $pid ($pm, split(' ', $children))
{
	next if $pid == $backend;
	symlink("/proc/$pid", "$root/$pid") or die "symlink: $!";
}
# a child not in a PGPROC nor in pg_stat_activity, such as the logger
write_file("$root/4000001/status",
	"Name:\tpostgres\nPPid:\t$pm\nVmRSS:\t    3000 kB\nRssAnon:\t    2000 kB\n"
	  . "VmData:\t    1500 kB\nVmStk:\t     132 kB\nVmSwap:\t       8 kB\n");
write_file("$root/4000001/statm", "900 750 250 10 0 408 0\n");
write_file("$root/4000001/cmdline", "postgres: logger \0");
# a PID listed as a child whose status names another parent: it went to
# another process since the list was read
write_file("$root/4000002/status",
	"Name:\tsleep\nPPid:\t1\nVmRSS:\t    3000 kB\nRssAnon:\t    2000 kB\n");
write_file("$root/4000002/statm", "900 750 250 10 0 408 0\n");
write_file("$root/4000002/cmdline", "postgres: walwriter \0");

# the children list is read from the tree: a file of its own
unlink("$root/$pm");
make_path("$root/$pm/task/$pm");
write_file("$root/$pm/task/$pm/children", "$children 4000001 4000002 ");
symlink("/proc/$pm/$_", "$root/$pm/$_") or die "symlink: $!"
  for qw(status statm cmdline);
symlink('/proc/self', "$root/self") or die "symlink: $!";

sub snapshot_with_swap
{
	my ($swap_kb) = @_;
	write_file("$root/meminfo",
		"MemTotal:       24000000 kB\nSwapTotal:      $swap_kb kB\nSwapFree:       $swap_kb kB\n");
	$node->safe_psql('postgres',
		"SET vmastat.proc_root = '$root'; SELECT vmastat_snapshot()");
	return $node->safe_psql('postgres',
		"SELECT anon_last FROM vmastat_growth WHERE pid = $backend AND alive");
}

my $with_swap = snapshot_with_swap(1048576);
is($with_swap, ($rss_anon + 4096) * 1024,
	'with swap, owned memory is status\'s RssAnon + VmSwap');

my $without_swap = snapshot_with_swap(0);
my ($size, $resident, $shared) = split ' ', slurp_file("/proc/$backend/statm");
my $page = sysconf(_SC_PAGESIZE);
cmp_ok(abs($without_swap - ($resident - $shared) * $page),
	'<=', 64 * 1024, 'without swap, owned memory is statm\'s resident - shared pages');
my ($kernel_anon) = slurp_file("/proc/$backend/status") =~ /^RssAnon:\s+(\d+) kB$/m;
cmp_ok(abs($without_swap - $kernel_anon * 1024),
	'<=', 64 * 1024, 'which is the kernel\'s RssAnon of the backend');

is( $node->safe_psql('postgres',
		"SELECT backend_type || ' ' || anon_last FROM vmastat_growth WHERE pid = 4000001"),
	'logger ' . 2008 * 1024,
	'a child without a PGPROC is checked and counted through its status');
is($node->safe_psql('postgres', 'SELECT count(*) FROM vmastat_growth WHERE pid = 4000002'),
	0, 'a listed PID whose status names another parent is left out');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM vmastat_growth WHERE backend_type = 'postmaster' AND alive"),
	1, 'the postmaster is sampled');

$session->quit;
$node->stop;
done_testing();
