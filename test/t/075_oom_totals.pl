# The OOM killer's figures, the peaks and the totals, against the kernel:
# oom_score, oom_score_adj, rss_peak and vm_peak of every server process
# equal /proc/PID/oom_score, oom_score_adj and status read around the call;
# vmastat_oom ranks by the kernel's score and checks the postmaster/children
# setup (a cluster started with PG_OOM_ADJUST_FILE); a large sort leaves its
# trace in rss_peak once it has ended; vmastat_totals adds up, and the group
# of a parallel hash join holds the hash table that lives in dynamic shared
# memory; the library serves the 28-column row type of 1.0/1.1 and the
# 32 columns of 1.2, and nothing else; everything new is for
# pg_read_all_stats.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep time);

# The test runs as the owner of the cluster, who may raise oom_score_adj but
# not lower it: the postmaster gets 300, its children 600 through
# PG_OOM_ADJUST_FILE, as PostgreSQL's documentation describes for -1000 and 0.
my $self_adj = '/proc/self/oom_score_adj';
my $start_adj = slurp_file($self_adj) + 0;
plan skip_all => "oom_score_adj of this process is $start_adj, above the values the test sets"
  if $start_adj > 300;
open(my $fh, '>', $self_adj) or die "cannot write $self_adj: $!";
print $fh "300\n";
close($fh);

my $node = PostgreSQL::Test::Cluster->new('oom_totals');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
autovacuum = off
shared_buffers = 32MB
huge_pages = off
dynamic_shared_memory_type = posix
max_worker_processes = 8
max_parallel_workers = 8
});
{
	local $ENV{PG_OOM_ADJUST_FILE} = '/proc/self/oom_score_adj';
	local $ENV{PG_OOM_ADJUST_VALUE} = '600';
	$node->start;
}
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');

sub kernel
{
	my ($pid, $file) = @_;
	my $text = eval { slurp_file("/proc/$pid/$file") };
	return $text;
}

sub status_kb
{
	my ($pid, $field) = @_;
	my $s = kernel($pid, 'status') // return undef;
	return $s =~ /^$field:\s+(\d+) kB$/m ? $1 * 1024 : undef;
}

# Kernel figures of every PID, read before and after a call; the call's
# value must lie between them (oom_score moves with memory use, one point
# per 0.1% of the RAM, so idle processes give the same both times)
sub kernel_figures
{
	my ($pids) = @_;
	my %k;
	for my $pid (@$pids)
	{
		my $score = kernel($pid, 'oom_score');
		my $adj = kernel($pid, 'oom_score_adj');
		next unless defined $score && defined $adj;
		$k{$pid} = {
			oom_score => $score + 0,
			oom_score_adj => $adj + 0,
			rss_peak => status_kb($pid, 'VmHWM'),
			vm_peak => status_kb($pid, 'VmPeak'),
		};
	}
	return \%k;
}

my @columns = qw(oom_score oom_score_adj rss_peak vm_peak);
for my $fast ('true', 'false')
{
	my @pids = split /\n/, $node->safe_psql('postgres', 'SELECT pid FROM vmastat_backends(true)');
	my $k0 = kernel_figures(\@pids);
	my $rows = $node->safe_psql('postgres',
		"SELECT pid, backend_type, oom_score, oom_score_adj, rss_peak, vm_peak
		 FROM vmastat_backends(fast => $fast)");
	my $k1 = kernel_figures(\@pids);
	my (@wrong, $n);
	for my $line (split /\n/, $rows)
	{
		my %r;
		@r{ 'pid', 'backend_type', @columns } = split /\|/, $line, -1;
		my ($r0, $r1) = ($k0->{ $r{pid} }, $k1->{ $r{pid} });
		next unless $r0 && $r1;
		$n++;
		for my $c (@columns)
		{
			my ($lo, $hi) = sort { $a <=> $b } ($r0->{$c}, $r1->{$c});
			push @wrong, "$r{pid} ($r{backend_type}) $c: $r{$c} not in [$lo, $hi]"
			  if $r{$c} eq '' || $r{$c} < $lo || $r{$c} > $hi;
		}
		my $want_adj = $r{backend_type} eq 'postmaster' ? 300 : 600;
		push @wrong, "$r{pid} ($r{backend_type}) oom_score_adj $r{oom_score_adj}, expected $want_adj"
		  if $r{oom_score_adj} != $want_adj;
	}
	cmp_ok($n, '>=', 5, "fast => $fast: the server processes are compared");
	is(join("\n", @wrong), '', "fast => $fast: OOM figures and peaks equal the kernel's files");
}

# vmastat_oom: one row per server process; the order is the kernel's score;
# the postmaster at 300 is not protected, and every row says so
my $oom = $node->safe_psql('postgres',
	q{SELECT pid, backend_type, oom_score, oom_score_adj, kill_order, setup_ok,
	         coalesce(setup_note, '-'), owned > 0, pss > 0
	  FROM vmastat_oom ORDER BY kill_order});
my @oom = map { [ split /\|/, $_, -1 ] } split /\n/, $oom;
is( $node->safe_psql('postgres', 'SELECT count(*) FROM vmastat_oom'),
	$node->safe_psql('postgres', 'SELECT count(*) FROM vmastat_backends(true)'),
	'vmastat_oom has a row per server process');
is(join(',', map { $_->[4] } @oom), join(',', 1 .. scalar @oom),
	'kill_order numbers the processes 1, 2, ...');
my @scores = map { $_->[2] } @oom;
is_deeply(\@scores, [ sort { $b <=> $a } @scores ], 'kill_order follows oom_score, highest first');
is($oom[-1][1], 'postmaster', 'the postmaster, at a lower adjustment than its children, is picked last');
my ($pm) = grep { $_->[1] eq 'postmaster' } @oom;
is("$pm->[5]|$pm->[6]", 'f|postmaster not protected: its oom_score_adj is 300, start it with -1000',
	'the unprotected postmaster is reported');
is(join(',', sort keys %{ { map { ("$_->[5]|$_->[6]" => 1) } grep { $_->[1] ne 'postmaster' } @oom } }),
	'f|postmaster not protected', 'every child says that the postmaster is not protected');
is(join(',', map { "$_->[0]:$_->[7]$_->[8]" } grep { $_->[7] ne 't' || $_->[8] ne 't' } @oom), '',
	'owned and pss are filled');

# Peaks: a sort of about 200 MB in one backend; once it has ended, rss_peak
# still shows it, equal to the kernel's VmHWM, while rss_anon is back down
my $sorter = $node->background_psql('postgres');
my $sorter_pid = $sorter->query_safe('SELECT pg_backend_pid()');
$sorter_pid =~ s/\D//g;
my $plan = $sorter->query_safe(
	q{SET work_mem = '400MB';
	  EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF)
	  SELECT * FROM (SELECT g, repeat('x', 40) || g AS pad
	                 FROM generate_series(1, 1500000) AS g) AS s
	  ORDER BY pad DESC OFFSET 1500000;
	  RESET work_mem});
my ($sort_kb) = $plan =~ /Sort Method: quicksort\s+Memory: (\d+)kB/;
ok(defined $sort_kb && $sort_kb > 150 * 1024, 'the sort ran in memory, over 150 MB')
  or diag($plan);
$sort_kb //= 0;
my $hwm0 = status_kb($sorter_pid, 'VmHWM');
my ($rss_peak, $rss_anon) = split /\|/,
  $node->safe_psql('postgres', "SELECT rss_peak, rss_anon FROM vmastat_backend($sorter_pid, true)");
my $hwm1 = status_kb($sorter_pid, 'VmHWM');
ok($rss_peak >= $hwm0 && $rss_peak <= $hwm1, "rss_peak $rss_peak is the kernel's VmHWM");
cmp_ok($rss_peak, '>=', $sort_kb * 1024, 'rss_peak holds the memory of the sort that ended');
cmp_ok($rss_anon, '<', $rss_peak - $sort_kb * 1024 / 2, 'while rss_anon is back down');
$sorter->quit;
# the sorter's process is gone before the processes are counted
for (1 .. 10 * $PostgreSQL::Test::Utils::timeout_default)
{
	last unless -d "/proc/$sorter_pid";
	sleep(0.1);
}

# Totals: one call, sums that add up
# (from a session that stays, so that the kernel's list of children read
# afterwards has the backend that read the totals)
my $reader = $node->background_psql('postgres');
my $totals = $reader->query_safe(
	q{
SELECT level, count(*), sum(processes), sum(pss), sum(pss_anon), sum(pss_file),
       sum(pss_shmem), sum(uss), sum(owned)
FROM vmastat_totals GROUP BY level ORDER BY level});
my %level = map { my @f = split /\|/; ($f[0] => join('|', @f[ 2 .. $#f ])) } split /\n/, $totals;
is(scalar keys %level, 4, 'four levels');
for my $l (qw(database user query))
{
	is($level{$l}, $level{cluster}, "the $l rows add up to the cluster row");
}
my ($cluster_processes) = split /\|/, $level{cluster};
my ($postmaster) = split /\n/, slurp_file($node->data_dir . '/postmaster.pid');
my @children = split ' ', slurp_file("/proc/$postmaster/task/$postmaster/children");
is($cluster_processes, @children + 1, 'the cluster row counts the postmaster and its children');
# the cluster row's share: its pss over the cgroup's limit (070 checks it
# against the cgroup's files), else over the host's MemTotal
my ($pss, $share, $share_of) = split /\|/, $reader->query_safe(
	q{SELECT pss, share, share_of FROM vmastat_totals WHERE level = 'cluster'});
my ($limit) = $reader->query_safe('SELECT coalesce(cgroup_limit, 0) FROM vmastat_system');
my ($mem_total) = slurp_file('/proc/meminfo') =~ /^MemTotal:\s+(\d+) kB/m;
if ($limit > 0)
{
	is($share_of, 'cgroup limit', 'with a cgroup limit the share is of it');
	cmp_ok(abs($share - $pss / $limit), '<', 1e-9, 'share = pss / the cgroup limit');
}
else
{
	is($share_of, 'host memory', 'without a cgroup limit the share is of the host memory');
	cmp_ok(abs($share - $pss / ($mem_total * 1024)), '<', 1e-9, 'share = pss / MemTotal');
}
is( $reader->query_safe(
		q{SELECT count(*) FROM vmastat_totals WHERE level <> 'cluster' AND (share IS NOT NULL OR share_of IS NOT NULL)}),
	0, 'only the cluster row has a share');
$reader->quit;
my ($query_rows) = split /\|/, $totals =~ /^query\|(\d+)/m ? $1 : '';
is($query_rows, $cluster_processes,
	'with no parallel query, each process is a query group of its own: the cluster pss is the sum of the processes\' pss');

# A parallel hash join: its group (the leader and its workers) holds the
# hash table, which lives in dynamic shared memory, while the query runs.
# The probe side sleeps now and then, so that the table stays built for a
# while; another session samples the group meanwhile, and the dynamic shared
# memory segments made for the query.
$node->safe_psql(
	'postgres', q{
CREATE TABLE inner_t AS SELECT g AS id, repeat('y', 60) AS pad FROM generate_series(1, 600000) AS g;
CREATE TABLE outer_t AS SELECT g % 600000 AS id FROM generate_series(1, 1200000) AS g;
ANALYZE inner_t, outer_t;
CREATE TABLE samples (n integer, group_pss bigint, group_processes bigint, dsm_pss numeric);
-- segments of dynamic shared memory that exist before the query, or that
-- processes outside the group map (those of the statistics, for one), are
-- not the query's
CREATE TABLE dsm_before AS SELECT DISTINCT path FROM vmastat_vmas WHERE kind = 'dsm';
});
my ($explain_out, $explain_err) = ('', '');
my $explain = IPC::Run::start(
	[
		'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'),
		'-c', q{SET application_name = 'phj'; SET max_parallel_workers_per_gather = 4;
		        SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
		        SET min_parallel_table_scan_size = 0; SET work_mem = '256MB';
		        SET enable_mergejoin = off; SET enable_nestloop = off},
		'-c', q{EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF)
		        SELECT count(*) FROM outer_t AS o JOIN inner_t AS i ON i.id = o.id
		        WHERE o.id % 20000 <> 7 OR pg_sleep(0.1) IS NOT NULL}
	],
	'<', \undef, '>', \$explain_out, '2>', \$explain_err);
my $sampler = $node->background_psql('postgres');
my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
my $n = 0;
while ($explain->pumpable && time < $deadline)
{
	$sampler->query_safe(
		qq{
INSERT INTO samples
WITH d AS MATERIALIZED (
    SELECT v.pid, v.path, v.pss FROM vmastat_vmas AS v
    WHERE v.kind = 'dsm'
      AND NOT EXISTS (SELECT 1 FROM dsm_before AS b WHERE b.path = v.path))
SELECT $n, t.pss, t.processes,
       (SELECT sum(x.pss) FROM d AS x
        WHERE x.pid = ANY (g.pids)
          AND NOT EXISTS (SELECT 1 FROM d AS o
                          WHERE o.path = x.path AND NOT o.pid = ANY (g.pids)))
FROM (SELECT a.pid AS leader,
             (SELECT array_agg(w.pid) FROM pg_stat_activity AS w
              WHERE w.pid = a.pid OR w.leader_pid = a.pid) AS pids
      FROM pg_stat_activity AS a
      WHERE a.application_name = 'phj' AND a.backend_type = 'client backend') AS g
    JOIN vmastat_totals AS t ON t.level = 'query' AND t.leader_pid = g.leader});
	$n++;
	$explain->pump_nb;
	sleep(0.02);
}
$explain->finish;
is($explain_err, '', 'the parallel hash join ran');
my ($launched) = $explain_out =~ /Workers Launched: (\d+)/;
my ($batches, $hash_kb) = $explain_out =~ /Batches: (\d+)\s+Memory Usage: (\d+)kB/;
ok($explain_out =~ /Parallel Hash\b/ && ($launched // 0) >= 2 && ($batches // 0) == 1,
	'a parallel hash join of one batch, with workers') or diag($explain_out);
$hash_kb //= 0;
# One sample reads the processes of the group one after the other, so it
# is not a snapshot: a page that another process of the group maps (or
# stops mapping, when a worker exits) between two reads is counted in both
# with different shares.  While the workers fault in pages of the others'
# chunks, and when they exit, a sample can be off by up to a fifth of the
# shared pages.  Once the table is built and the mappings settle, the sum is
# exact, and samples in a row agree: the largest sample that equals both of
# its neighbours within 1% is taken.
my ($group_pss, $group_processes, $dsm_pss) = split /\|/, $sampler->query_safe(
	q{SELECT group_pss, group_processes, dsm_pss
	  FROM (SELECT n, group_pss, group_processes, dsm_pss,
	               lag(dsm_pss) OVER w AS prev, lead(dsm_pss) OVER w AS next
	        FROM samples WHERE dsm_pss IS NOT NULL
	        WINDOW w AS (ORDER BY n)) AS s
	  WHERE abs(dsm_pss - prev) <= 0.01 * dsm_pss AND abs(dsm_pss - next) <= 0.01 * dsm_pss
	  ORDER BY dsm_pss DESC, n LIMIT 1});
my $all = $sampler->query_safe(
	q{SELECT string_agg(n || ':' || coalesce(dsm_pss::text, '-') || '/' || group_processes, ' ' ORDER BY n)
	  FROM samples});
note("samples: $n, hash table $hash_kb kB, settled dsm pss $dsm_pss, group pss $group_pss of $group_processes processes");
note("every sample (n:dsm pss/processes): $all");
ok(defined $dsm_pss && $dsm_pss ne '', 'three samples in a row agreed on the dynamic shared memory')
  or diag("every sample: $all");
$dsm_pss ||= 0;
$group_pss ||= 0;
# a worker that finished its share may have exited by then
cmp_ok($group_processes // 0, '>=', 2, 'the group was sampled with its workers');
# EXPLAIN counts what the hash table allocated, chunks and buckets; PSS the
# pages touched.  Beyond it are the query's fixed segment (its table of
# contents and the workers' message queues, mostly untouched) and the
# dynamic shared memory area's own bookkeeping: a fraction of a percent.
ok(abs($dsm_pss - $hash_kb * 1024) <= 0.10 * $hash_kb * 1024,
	"the group's dynamic shared memory ($dsm_pss bytes) is the hash table (${hash_kb} kB) within 10%");
cmp_ok($group_pss, '>=', $dsm_pss, "the query row's pss includes it");
$sampler->quit;

# Row layouts: 1.1's 28 columns served by this library, 1.2's 32, and a
# type of 30 columns refused
$node->safe_psql('postgres', 'CREATE DATABASE old');
$node->safe_psql('old', "CREATE EXTENSION vmastat VERSION '1.1'");
my $ncols = sub {
	my ($db, $call) = @_;
	return $node->safe_psql($db,
		"SELECT count(*) FROM (SELECT row_to_json(b) AS j FROM $call AS b LIMIT 1) AS r,
		     json_object_keys(r.j)");
};
for my $call ('vmastat_backends(true)', 'vmastat_backends(false)',
	'vmastat_backend(pg_backend_pid(), true)', 'vmastat_backend(pg_backend_pid())',
	'vmastat_activity')
{
	is($ncols->('old', $call),
		$call eq 'vmastat_activity' ? 39 : 28, "1.1: $call has the columns of 1.1");
	is($ncols->('postgres', $call),
		$call eq 'vmastat_activity' ? 43 : 32, "1.2: $call has the columns of 1.2");
}
is($node->safe_psql('old',
		'SELECT rss > 0, vmas > 0 FROM vmastat_backend(pg_backend_pid())'),
	't|t', '1.1: the values are filled');
$node->safe_psql('old', 'ALTER EXTENSION vmastat UPDATE');
is($node->safe_psql('old',
		'SELECT oom_score_adj, rss_peak >= rss FROM vmastat_backend(pg_backend_pid(), true)'),
	'600|t', 'after the update the new columns are filled');
$node->safe_psql(
	'postgres', q{
DO $$BEGIN
EXECUTE 'CREATE TYPE summary_30 AS ('
    || (SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', '
                          ORDER BY attnum)
        FROM pg_attribute
        WHERE attrelid = 'vmastat_summary'::regclass AND attnum BETWEEN 1 AND 30)
    || ')';
END$$;
CREATE FUNCTION backends_30(fast boolean) RETURNS SETOF summary_30
    AS '$libdir/vmastat', 'vmastat_backends_all' LANGUAGE C;
});
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM backends_30(true)',
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  42804: row type of function backends_30 has the wrong number of columns\nDETAIL:  The row type has 30 columns, the vmastat library returns 32\./,
	'a row type between the two layouts is refused');

# Privileges: the new views are for pg_read_all_stats only
$node->safe_psql(
	'postgres', q{
CREATE ROLE stats LOGIN IN ROLE pg_read_all_stats;
CREATE ROLE nobody LOGIN;
});
for my $view (qw(vmastat_oom vmastat_totals))
{
	is($node->safe_psql('postgres', "SELECT count(*) > 0 FROM $view",
			extra_params => [ '-U', 'stats' ]),
		't', "$view: a member of pg_read_all_stats reads it");
	($ret, $out, $err) = $node->psql('postgres', "SELECT count(*) FROM $view",
		extra_params => [ '-U', 'nobody' ]);
	like($err, qr/permission denied for view $view/, "$view: other roles may not");
}

$node->stop;
done_testing();
