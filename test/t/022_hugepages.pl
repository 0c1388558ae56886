# huge_pages = on: the main segment lives in hugetlbfs pages, which the
# kernel counts in Shared_Hugetlb/Private_Hugetlb and HugetlbPages, never in
# Rss or Pss.  vmastat must still call it shm_main and put its pages there.
#
# Reserving huge pages needs root, and these tests run as the postgres
# user: "make test" reserves them before (and restores the reservation
# after) when it runs as root.  Without free huge pages the test skips.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my %meminfo = map { /^(\S+):\s+(\d+)/ ? ($1 => $2) : () } split /\n/, slurp_file('/proc/meminfo');
my $free_pages = $meminfo{HugePages_Free} // 0;
my $page_kb = $meminfo{Hugepagesize} // 0;
if ($free_pages * $page_kb < 96 * 1024)
{
	plan skip_all => "needs 96 MB of free huge pages, the system has $free_pages of $page_kb kB "
	  . '(as root: echo 128 > /proc/sys/vm/nr_hugepages)';
}

my $node = PostgreSQL::Test::Cluster->new('hugepages');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
huge_pages = on
shared_buffers = 32MB
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');
# touch the shared buffers from this backend
$node->safe_psql('postgres', 'CREATE TABLE t AS SELECT g FROM generate_series(1, 100000) g; SELECT count(*) FROM t');

my $page_bytes = $page_kb * 1024;
my $main = $node->safe_psql('postgres', qq{
	SELECT count(*), min(path), min(kernel_page_size), max(kernel_page_size),
	       sum(rss), sum(pss), sum(shared_hugetlb + private_hugetlb) > 0,
	       sum(size) >= 32 * 1024 * 1024
	FROM vmastat_vmas(pg_backend_pid()) WHERE kind = 'shm_main'});
my ($count, $path, $min_page, $max_page, $rss, $pss, $in_hugetlb, $big_enough) = split /\|/, $main;
is($count, 1, 'one main segment');
like($path, qr/^\/anon_hugepage/, "it is the hugetlbfs mapping ($path)");
is("$min_page|$max_page", "$page_bytes|$page_bytes", 'its kernel page size is the huge page size');
is("$rss|$pss", '0|0', 'its pages are not in rss or pss');
is($in_hugetlb, 't', 'they are in shared_hugetlb/private_hugetlb');
is($big_enough, 't', 'the segment holds shared_buffers');

# The summary: hugetlb (status) and the rollup's hugetlb columns show them;
# rss_shmem does not
my $summary = $node->safe_psql('postgres', q{
	SELECT hugetlb > 0, shared_hugetlb + private_hugetlb > 0,
	       hugetlb = shared_hugetlb + private_hugetlb, rss_shmem < hugetlb
	FROM vmastat_backend(pg_backend_pid())});
is($summary, 't|t|t|t', 'hugetlb equals the rollup hugetlb pages, outside rss_shmem');

# and the kernel agrees: HugetlbPages of the checkpointer's status, which
# does not change while it sleeps
my ($pid, $hugetlb) = split /\|/, $node->safe_psql('postgres',
	"SELECT pid, hugetlb FROM vmastat_backends() WHERE backend_type = 'checkpointer'");
my ($kernel_kb) = slurp_file("/proc/$pid/status") =~ /^HugetlbPages:\s+(\d+) kB/m;
is($hugetlb, $kernel_kb * 1024, 'hugetlb is HugetlbPages of the process status');

# every process that maps the segment has it as shm_main at the same address
is( $node->safe_psql('postgres',
		"SELECT count(DISTINCT start_addr) FROM vmastat_vmas WHERE kind = 'shm_main'"),
	1, 'the main segment is at one address in every process');

# vmastat_totals: the huge pages are in no pss, yet the cluster uses them.
# The cluster row counts them once: at least what the process that maps the
# most maps (its HugetlbPages, read before), at most the huge pages in use
# on the host (read after); its levels add up, and pss holds them.
my $pids = $node->safe_psql('postgres', 'SELECT pid FROM vmastat_backends(true)');
my $max_kb = 0;
for my $p (split /\n/, $pids)
{
	my $st = eval { slurp_file("/proc/$p/status") } // next;
	my ($kb) = $st =~ /^HugetlbPages:\s+(\d+) kB/m;
	$max_kb = $kb if defined $kb && $kb > $max_kb;
}
my $totals = $node->safe_psql('postgres', q{
	SELECT level, sum(hugetlb), sum(processes), bool_and(hugetlb <= pss_shmem AND pss_shmem <= pss)
	FROM vmastat_totals GROUP BY level ORDER BY level});
my %after = map { /^(\S+):\s+(\d+)/ ? ($1 => $2) : () } split /\n/, slurp_file('/proc/meminfo');
my $host_used = ($after{HugePages_Total} - $after{HugePages_Free}) * $page_bytes;
my %level = map { my @f = split /\|/; ($f[0] => [ @f[ 1 .. 3 ] ]) } split /\n/, $totals;
my ($cluster_hugetlb, $nprocs) = @{ $level{cluster} // [ 0, 0 ] };
# each process's share is rounded to a byte
cmp_ok($cluster_hugetlb, '>=', $max_kb * 1024 - $nprocs,
	"the cluster's hugetlb holds what the process that maps the most maps (${max_kb} kB)");
cmp_ok($cluster_hugetlb, '<=', $host_used, "and no more than the host's huge pages in use ($host_used)");
is(join(',', map { $level{$_}[0] } qw(database query user)),
	join(',', ($cluster_hugetlb) x 3), 'the databases, queries and users add up to it');
is(join(',', map { $level{$_}[2] } sort keys %level), 't,t,t,t', 'pss_shmem and pss hold it');

$node->stop;
done_testing();
