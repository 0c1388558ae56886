# vmastat against oracles it shares no code with: the kernel's files read
# here in Perl, pmap -d, smem, pg_stat_activity, pg_shmem_allocations and
# postmaster.pid.  Figures are compared while the processes are idle, and a
# mismatch is retried, since even an idle process moves now and then.

use strict;
use warnings;

use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

for my $tool ('pmap', 'smem')
{
	my $found = grep { -x "$_/$tool" } split /:/, $ENV{PATH};
	die "$tool is needed by this test (Debian packages procps and smem)\n"
	  unless $found;
}

my $pagesize = POSIX::sysconf(POSIX::_SC_PAGESIZE);

my $node = PostgreSQL::Test::Cluster->new('oracles');
# C.UTF-8 makes backends map locale files, so the "file" kind shows up
$node->init(extra => [ '--locale=C.UTF-8', '--encoding=UTF8' ]);
$node->append_conf(
	'postgresql.conf', q{
logging_collector = on
# the kernel must name the main segment /dev/zero and count it in Rss
huge_pages = off
shared_buffers = 128MB
# no autovacuum worker or checkpoint may come and go while processes are counted
autovacuum_naptime = 3600
checkpoint_timeout = 3600
max_worker_processes = 8
max_parallel_workers = 4
max_parallel_workers_per_gather = 2
});
$node->start;

my $pm_pid = (split /\n/, slurp_file($node->data_dir . '/postmaster.pid'))[0];
like($pm_pid, qr/^\d+$/, 'postmaster PID read from postmaster.pid');

$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');

# The session that runs every vmastat query: a lasting backend, so that no
# short-lived connection backend appears or exits while processes are counted.
my $mon = $node->background_psql('postgres');
$mon->query_safe(q{\pset null '<null>'});
my $mon_pid = $mon->query_safe('SELECT pg_backend_pid()');

# Rows of a query on the monitor session, NULL as undef
sub rows
{
	my ($sql) = @_;
	my $out = $mon->query_safe($sql);
	return [ map { [ map { $_ eq '<null>' ? undef : $_ } split /\|/, $_, -1 ] }
		  grep { $_ ne '' } split /\n/, $out ];
}

# The same, each row a hash keyed by the given column names
sub hash_rows
{
	my ($cols, $from) = @_;
	my @out;
	for my $r (@{ rows('SELECT ' . join(', ', @$cols) . " FROM $from") })
	{
		my %h;
		@h{ map { (my $k = $_) =~ s/"//g; $k } @$cols } = @$r;
		push @out, \%h;
	}
	return \@out;
}

# Runs a check that returns its mismatches, up to five times.  Even an idle
# process's figures move: an auxiliary process wakes up, and the Pss and the
# private/shared split of a library page change whenever any process on the
# host maps or unmaps it.  So the oracles are read just before and just after
# vmastat, and a value must equal one of the two; the retry covers the rare
# case where it moved twice in between.
sub eventually
{
	my ($name, $check) = @_;
	my @diffs;
	for my $attempt (1 .. 5)
	{
		@diffs = $check->();
		last unless @diffs;
		note "attempt $attempt of \"$name\": " . join('; ', @diffs);
		usleep(300_000);
	}
	is_deeply(\@diffs, [], $name);
	return;
}

# Records a mismatch unless $got is one of the acceptable values
sub differ
{
	my ($diffs, $label, $got, @want) = @_;
	my $g = $got // 'NULL';
	my @w = map { $_ // 'NULL' } @want;
	push @$diffs, "$label: got $g, expected " . join(' or ', @w)
	  unless grep { $_ eq $g } @w;
	return;
}

#
# What the kernel says, read here
#
sub slurp_proc
{
	my ($pid, $file) = @_;
	open(my $fh, '<', "/proc/$pid/$file") or return undef;
	local $/;
	my $text = <$fh>;
	close $fh;
	return $text;
}

# /proc/PID/status: kB fields in bytes, PPid and State as printed
sub read_status
{
	my ($pid) = @_;
	my $text = slurp_proc($pid, 'status') // return undef;
	my %s;
	for (split /\n/, $text)
	{
		$s{$1} = $2 * 1024 if /^(\w+):\s+(\d+) kB$/;
		$s{$1} = $2 if /^(PPid|State):\s+(\S+)/;
	}
	return \%s;
}

sub read_maps
{
	my ($pid) = @_;
	my $text = slurp_proc($pid, 'maps') // return undef;
	my @vmas;
	no warnings 'portable';
	for (split /\n/, $text)
	{
		/^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+) *(.*)$/
		  or die "unexpected line in /proc/$pid/maps: $_";
		push @vmas,
		  {
			start => $1,
			end => $2,
			perms => $3,
			offset => hex($4),
			dev => $5,
			inode => $6,
			path => $7,
			size => hex($2) - hex($1)
		  };
	}
	return \@vmas;
}

# smaps_rollup: field => bytes
sub read_rollup
{
	my ($pid) = @_;
	my $text = slurp_proc($pid, 'smaps_rollup') // return undef;
	my %r;
	for (split /\n/, $text)
	{
		$r{$1} = $2 * 1024 if /^(\w+):\s+(\d+) kB$/;
	}
	return \%r;
}

# Live children of the postmaster and the postmaster itself, from /proc
sub proc_server_pids
{
	my @pids = ($pm_pid);
	opendir(my $dh, '/proc') or die "could not open /proc: $!";
	for my $d (readdir $dh)
	{
		next unless $d =~ /^\d+$/ && $d != $pm_pid;
		my $st = read_status($d) or next;
		next if ($st->{State} // '') eq 'Z';
		push @pids, $d if ($st->{PPid} // -1) == $pm_pid;
	}
	closedir $dh;
	return sort { $a <=> $b } @pids;
}

# The footer of pmap -d, in bytes
sub pmap_totals
{
	my ($pid) = @_;
	my $out = `pmap -d $pid 2>/dev/null`;
	$out =~ /mapped: (\d+)K\s+writeable\/private: (\d+)K\s+shared: (\d+)K/
	  or return undef;
	return { mapped => $1 * 1024, writeable_private => $2 * 1024, shared => $3 * 1024 };
}

# Copies what smem reads of the given processes into a directory laid out
# like /proc
sub snapshot_proc
{
	my ($dir, @pids) = @_;
	mkdir "$dir/proc";
	for my $f ('meminfo', map { ("$_/smaps", "$_/cmdline", "$_/stat") } @pids)
	{
		my ($pid) = $f =~ m{^(\d+)/};
		mkdir "$dir/proc/$pid" if defined $pid;
		open(my $in, '<', "/proc/$f") or next;
		my $text = do { local $/; <$in> };
		close $in;
		open(my $fh, '>', "$dir/proc/$f") or die "could not write $dir/proc/$f: $!";
		print $fh $text;
		close $fh;
	}
	return;
}

# smem's view of the postgres processes of a snapshot directory:
# pid => {uss, pss, rss} in kB
sub smem_totals
{
	my ($source) = @_;
	my $out = `smem -S $source -H -c "pid uss pss rss" -P postgres`;
	die "smem failed: $?" if $?;
	my %t;
	for (split /\n/, $out)
	{
		next unless /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/;
		$t{$1} = { uss => $2, pss => $3, rss => $4 };
	}
	return \%t;
}

#
# Sessions: idle ones, one that touched many shared buffers, one that holds
# private memory, one with JIT loaded, and one to terminate
#
$mon->query_safe(
	q{CREATE TABLE big AS SELECT i, repeat('x', 200) AS pad FROM generate_series(1, 100000) i});
my $big_size = $mon->query_safe(q{SELECT pg_relation_size('big')});

my %session;
for my $name (qw(idle1 idle2 scan priv jit victim))
{
	my $s = $node->background_psql('postgres');
	$s->query_safe("SET application_name = 'vmastat_$name'");
	my $pid = $s->query_safe('SELECT pg_backend_pid()');
	$session{$name} = { psql => $s, pid => $pid };
}

# smaller than a quarter of shared_buffers, so the scan uses no ring buffer;
# and no parallel worker, so that this backend reads every page itself
$session{scan}{psql}->query_safe(
	q{SET max_parallel_workers_per_gather = 0;
	  SELECT count(*) FROM big});

$session{priv}{psql}->query_safe(
	q{SET work_mem = '256MB';
	  SET temp_buffers = '64MB';
	  SELECT count(*) FROM (SELECT g FROM generate_series(1, 1000000) g ORDER BY g DESC) s;
	  CREATE TEMP TABLE held AS SELECT i, repeat('y', 200) AS pad FROM generate_series(1, 100000) i});
my $held_size = $session{priv}{psql}->query_safe(q{SELECT pg_relation_size('held')});

my $jit = $session{jit}{psql}->query_safe('SELECT pg_jit_available()') eq 't';
$session{jit}{psql}->query_safe(
	q{SET jit_above_cost = 0;
	  SET jit_inline_above_cost = 0;
	  SET jit_optimize_above_cost = 0;
	  SELECT sum(i) FROM generate_series(1, 1000) i});

my @sum_cols = qw(pid backend_type mapped writeable_private private_readonly
  shared rss rss_anon rss_file rss_shmem swap hugetlb pss pss_anon pss_file
  pss_shmem pss_dirty uss shared_clean shared_dirty private_clean private_dirty
  swap_pss locked anon_huge_pages shared_hugetlb private_hugetlb vmas);

# summary columns taken from the counters of /proc/PID/status
my %status_field = (
	rss => 'VmRSS',
	rss_anon => 'RssAnon',
	rss_file => 'RssFile',
	rss_shmem => 'RssShmem',
	swap => 'VmSwap',
	hugetlb => 'HugetlbPages');

# summary columns taken from smaps_rollup
my %rollup_field = (
	pss => 'Pss',
	pss_anon => 'Pss_Anon',
	pss_file => 'Pss_File',
	pss_shmem => 'Pss_Shmem',
	pss_dirty => 'Pss_Dirty',
	shared_clean => 'Shared_Clean',
	shared_dirty => 'Shared_Dirty',
	private_clean => 'Private_Clean',
	private_dirty => 'Private_Dirty',
	swap_pss => 'SwapPss',
	locked => 'Locked',
	anon_huge_pages => 'AnonHugePages',
	shared_hugetlb => 'Shared_Hugetlb',
	private_hugetlb => 'Private_Hugetlb');

# "offset" is a reserved word: hash_rows quotes it and keys it unquoted
my @vma_cols = qw(pid start_addr end_addr perms "offset" dev inode path kind
  size rss pss shared_clean shared_dirty private_clean private_dirty anonymous
  swap);

#
# 1. The set of server processes
#
my @server_pids;
{
	my ($same, @before, @after, $listed);
	for my $attempt (1 .. 5)
	{
		@before = proc_server_pids();
		$listed = rows(
			q{SELECT 'full', pid FROM vmastat_backends()
			  UNION ALL SELECT 'fast', pid FROM vmastat_backends(fast => true)
			  UNION ALL SELECT 'activity', pid FROM pg_stat_activity});
		@after = proc_server_pids();
		$same = "@before" eq "@after";
		last if $same;
		usleep(300_000);
	}
	ok($same, 'the set of server processes held still while it was read');
	@server_pids = @before;

	my %by;
	push @{ $by{ $_->[0] } }, $_->[1] for @$listed;
	my @full = sort { $a <=> $b } @{ $by{full} };
	my @fast = sort { $a <=> $b } @{ $by{fast} };
	is("@full", "@server_pids",
		'vmastat_backends() lists the postmaster and every child of it, each once');
	is("@fast", "@server_pids", 'vmastat_backends(fast => true) lists the same processes');
	my %listed = map { $_ => 1 } @full;
	my @missing = grep { !$listed{$_} } @{ $by{activity} };
	is_deeply(\@missing, [], 'every pg_stat_activity PID is in vmastat_backends()');
	for my $name (sort keys %session)
	{
		ok($listed{ $session{$name}{pid} }, "session $name is listed");
	}
}

# Which process is the logger, from its title; Cluster starts the server
# with cluster_name set, so the title has a prefix to skip
my $title_prefix = 'postgres: ' . $node->name . ': ';
# PostgreSQL 19 renamed the logger's process type "syslogger"; major(),
# since a release candidate such as 19rc1 compares below 19
my $logger_name = $node->pg_version->major >= 19 ? 'syslogger' : 'logger';
my ($logger_pid) = grep {
	my $cmd = slurp_proc($_, 'cmdline') // '';
	$cmd =~ /^\Q$title_prefix$logger_name\E/
} @server_pids;
ok(defined $logger_pid, 'the logger runs');

# the processes whose figures must hold still: all but the monitor, which
# runs every query
my @idle_pids = grep { $_ != $mon_pid } @server_pids;

# A backend that has just gone idle still flushes its statistics a moment
# later, and invalidation catch-up can wake any of them: wait until the
# kernel's counters of every process have held still for a while.
sub wait_for_quiet
{
	my $last = '';
	for (1 .. 40)
	{
		my $now = join ';', map {
			my $st = read_status($_) // {};
			join ',', $_, map { $_ // '' } @{$st}{qw(VmRSS RssAnon RssShmem VmData)}
		} @idle_pids;
		return 1 if $now eq $last;
		$last = $now;
		usleep(500_000);
	}
	return 0;
}
ok(wait_for_quiet(), 'the server processes went quiet');

#
# 2. Summaries against status, maps, smaps_rollup and pmap -d
#
sub maps_totals
{
	my ($maps) = @_;
	my %m = (mapped => 0, shared => 0, private_readonly => 0, vmas => scalar @$maps);
	for my $v (@$maps)
	{
		$m{mapped} += $v->{size};
		if ($v->{perms} =~ /s$/)
		{
			$m{shared} += $v->{size};
		}
		elsif ($v->{perms} !~ /^.w/)
		{
			$m{private_readonly} += $v->{size};
		}
	}
	return \%m;
}

for my $pid (@idle_pids)
{
	eventually(
		"summary of PID $pid matches /proc and pmap -d",
		sub {
			my @d;
			my @st = grep { defined } read_status($pid);
			my @roll = grep { defined } read_rollup($pid);
			my $maps = read_maps($pid);
			my $pmap = pmap_totals($pid);
			my ($r) = @{ hash_rows(\@sum_cols, "vmastat_backend($pid)") };
			my ($f) = @{ hash_rows(\@sum_cols, "vmastat_backend($pid, fast => true)") };
			push @st, grep { defined } read_status($pid);
			push @roll, grep { defined } read_rollup($pid);
			return ("PID $pid could not be read")
			  unless $r && $f && @st == 2 && @roll == 2 && $maps && $pmap;

			for my $c (qw(mapped writeable_private shared))
			{
				differ(\@d, "$c vs pmap -d", $r->{$c}, $pmap->{$c});
			}
			differ(\@d, 'fast writeable_private vs pmap -d',
				$f->{writeable_private}, $pmap->{writeable_private});
			differ(\@d, 'writeable_private vs status VmData + VmStk',
				$r->{writeable_private}, map { $_->{VmData} + $_->{VmStk} } @st);

			for my $row ([ 'full', $r ], [ 'fast', $f ])
			{
				my ($how, $x) = @$row;
				for my $c (sort keys %status_field)
				{
					differ(\@d, "$how $c vs status $status_field{$c}", $x->{$c},
						map { $_->{ $status_field{$c} } } @st);
				}
			}
			differ(\@d, 'rss_anon vs smaps_rollup Anonymous', $r->{rss_anon},
				map { $_->{Anonymous} } @roll);

			my $m = maps_totals($maps);
			differ(\@d, "$_ vs maps", $r->{$_}, $m->{$_}) for sort keys %$m;

			# a column is NULL exactly when the kernel does not print its field
			for my $c (sort keys %rollup_field)
			{
				differ(\@d, "$c vs smaps_rollup $rollup_field{$c}", $r->{$c},
					map { $_->{ $rollup_field{$c} } } @roll);
			}
			differ(\@d, 'uss vs smaps_rollup Private_Clean + Private_Dirty', $r->{uss},
				map { $_->{Private_Clean} + $_->{Private_Dirty} } @roll);

			for my $c (qw(mapped private_readonly shared vmas uss), sort keys %rollup_field)
			{
				differ(\@d, "fast $c", $f->{$c}, undef);
			}
			differ(\@d, 'fast backend_type', $f->{backend_type}, $r->{backend_type});
			return @d;
		});
}

#
# 3. uss, pss and rss against smem, which sums every smaps (not the rollup)
# in Python.  smem reads a copy of /proc taken between two vmastat reads: run
# live, its own Python process maps library pages that only one backend had
# mapped, which then count as shared, not private, while it reads (seen here:
# 41096 kB live against 41124 kB in the rollup and in the same smaps a
# moment earlier).
#
eventually(
	'uss, pss and rss match smem',
	sub {
		my @d;
		my @ours;
		my $read = sub {
			push @ours, { map { $_->{pid} => $_ }
				  @{ hash_rows([qw(pid uss pss rss vmas)], 'vmastat_backends()') } };
		};
		$read->();
		my $dir = PostgreSQL::Test::Utils::tempdir();
		snapshot_proc($dir, @idle_pids);
		my $smem = smem_totals($dir);
		$read->();
		for my $pid (@idle_pids)
		{
			my @o = grep { defined } map { $_->{$pid} } @ours;
			my $s = $smem->{$pid};
			unless (@o == 2 && $s)
			{
				push @d, "PID $pid missing from vmastat_backends() or smem";
				next;
			}
			differ(\@d, "PID $pid uss vs smem", $s->{uss} * 1024, map { $_->{uss} } @o);
			differ(\@d, "PID $pid rss vs smem", $s->{rss} * 1024, map { $_->{rss} } @o);
			# smem sums the Pss of each mapping, each cut to whole kB
			push @d, "PID $pid pss: got $o[0]{pss} and $o[1]{pss}, smem $s->{pss} kB, $o[0]{vmas} mappings"
			  unless grep { abs($_->{pss} / 1024 - $s->{pss}) <= $_->{vmas} } @o;
		}
		return @d;
	});

#
# 4. Sums over the mappings equal the summary
#
for my $pid (@idle_pids)
{
	eventually(
		"mappings of PID $pid add up to its summary",
		sub {
			my @d;
			my @r = @{ hash_rows(\@sum_cols, "vmastat_backend($pid)") };
			my ($s) = @{
				hash_rows(
					[qw(n size rss pss private_dirty private_clean shared_clean shared_dirty anonymous swap)],
					"(SELECT count(*) AS n, sum(size) AS size, sum(rss) AS rss, sum(pss) AS pss,
					         sum(private_dirty) AS private_dirty, sum(private_clean) AS private_clean,
					         sum(shared_clean) AS shared_clean, sum(shared_dirty) AS shared_dirty,
					         sum(anonymous) AS anonymous, sum(swap) AS swap
					  FROM vmastat_vmas($pid)) s")
			};
			push @r, @{ hash_rows(\@sum_cols, "vmastat_backend($pid)") };
			return ("PID $pid could not be read") unless $s && @r == 2;
			differ(\@d, 'count', $s->{n}, map { $_->{vmas} } @r);
			differ(\@d, 'size', $s->{size}, map { $_->{mapped} } @r);
			differ(\@d, 'rss', $s->{rss}, map { $_->{rss} } @r);
			for my $c (qw(private_dirty private_clean shared_clean shared_dirty swap))
			{
				differ(\@d, $c, $s->{$c}, map { $_->{$c} } @r);
			}
			differ(\@d, 'anonymous', $s->{anonymous}, map { $_->{rss_anon} } @r);
			# the rollup keeps the fractions of each page's share that
			# every mapping's own Pss line drops
			push @d, "pss: rollup $r[0]{pss} and $r[1]{pss}, sum $s->{pss}, $s->{n} mappings"
			  unless grep { $_->{pss} >= $s->{pss} && $_->{pss} - $s->{pss} <= $s->{n} * 1024 } @r;
			return @d;
		});
}

#
# 5. vmastat_kinds sums vmastat_vmas per process and kind
#
my @kind_cols = qw(vmas size rss pss private_dirty anonymous swap);
eventually(
	'vmastat_kinds matches the sums of vmastat_vmas',
	sub {
		my %idle = map { $_ => 1 } @idle_pids;
		my $sum_vmas = sub {
			my %want;
			for my $v (@{ hash_rows(\@vma_cols, 'vmastat_vmas') })
			{
				next unless $idle{ $v->{pid} };
				my $k = $want{"$v->{pid} $v->{kind}"} //= { map { $_ => 0 } @kind_cols };
				$k->{vmas}++;
				$k->{$_} += $v->{$_} for grep { $_ ne 'vmas' } @kind_cols;
			}
			return \%want;
		};
		my @want = ($sum_vmas->());
		my %got;
		for my $k (@{ hash_rows([ 'pid', 'kind', @kind_cols ], 'vmastat_kinds') })
		{
			next unless $idle{ $k->{pid} };
			$got{"$k->{pid} $k->{kind}"} = $k;
		}
		push @want, $sum_vmas->();
		my @d;
		for my $key (sort(keys %{ { %{ $want[0] }, %got } }))
		{
			for my $c (@kind_cols)
			{
				differ(\@d, "$key $c", $got{$key} && $got{$key}{$c},
					map { $_->{$key} && $_->{$key}{$c} } @want);
			}
		}
		return @d;
	});

#
# 6. Kinds: every mapping of every idle process, against a classification
# made here from /proc/PID/maps, PostgreSQL's own account of its shared
# memory, postmaster.pid's System V key and the files in /dev/shm
#
my ($shm_total, $shared_buffers) = @{
	rows(
		q{SELECT max(off + allocated_size),
		         pg_size_bytes(current_setting('shared_buffers'))
		  FROM pg_shmem_allocations})->[0]
};
my $main_size = int(($shm_total + $pagesize - 1) / $pagesize) * $pagesize;
ok($main_size >= $shared_buffers, 'the main segment is at least shared_buffers');

# postmaster.pid line 7: the System V key and shmid of the small segment
my ($sysv_key, $sysv_id) =
  split ' ', (split /\n/, slurp_file($node->data_dir . '/postmaster.pid'))[6];
my $sysv_path = sprintf('/SYSV%08x (deleted)', $sysv_key);

# A mapping of a file that is on disk: not a shared memory object (those
# live in /dev/shm or have no name in any file system)
sub is_disk_file
{
	my ($v) = @_;
	return 0 if $v->{path} !~ m{^/} || $v->{path} =~ m{^/dev/shm/};
	my @st = stat $v->{path};
	return @st && -f _ && $st[1] == $v->{inode};
}

sub expected_kinds
{
	my ($maps) = @_;
	my %object;
	for my $v (@$maps)
	{
		$object{"$v->{dev} $v->{inode}"} = 1
		  if $v->{inode} != 0 && substr($v->{perms}, 2, 1) eq 'x';
	}
	my @kinds;
	for my $i (0 .. $#$maps)
	{
		my $v = $maps->[$i];
		my $k;
		if ($v->{perms} eq 'rw-s' && $v->{path} eq '/dev/zero (deleted)'
			&& $v->{size} == $main_size)
		{
			$k = 'shm_main';
		}
		elsif ($v->{perms} =~ /^---/) { $k = 'guard' }
		elsif ($v->{path} eq '[heap]') { $k = 'heap' }
		elsif ($v->{path} eq '[stack]') { $k = 'stack' }
		elsif ($v->{path} =~ /^\[/) { $k = 'kernel' }
		elsif ($v->{perms} =~ /s$/)
		{
			if ($v->{path} eq $sysv_path) { $k = 'shm_sysv' }
			elsif ($v->{path} =~ m{^/dev/shm/PostgreSQL\.\d+$}) { $k = 'dsm' }
			# the spec names the gconv cache, mapped shared, a file mapping
			elsif (is_disk_file($v)) { $k = 'file' }
			else { $k = 'shared' }
		}
		elsif ($v->{path} eq '')
		{
			my $p = $i > 0 ? $maps->[ $i - 1 ] : undef;
			$k =
			  ($p && $kinds[-1] eq 'data' && $p->{end} eq $v->{start} && $v->{perms} eq 'rw-p')
			  ? 'bss'
			  : 'anon';
		}
		elsif ($v->{inode} != 0 && $object{"$v->{dev} $v->{inode}"})
		{
			my $p = $v->{perms};
			$k = $p =~ /^..x/ ? 'text' : $p =~ /^.w/ ? 'data' : 'rodata';
		}
		else { $k = 'file' }
		push @kinds, $k;
	}
	return \@kinds;
}

my %maps_of;
for my $pid (@idle_pids)
{
	eventually(
		"every mapping of PID $pid has the expected kind",
		sub {
			my $rows = hash_rows(\@vma_cols, "vmastat_vmas($pid)");
			my $maps = read_maps($pid);
			return ("PID $pid could not be read") unless @$rows && $maps;
			$maps_of{$pid} = { maps => $maps, rows => $rows };
			my $kinds = expected_kinds($maps);
			my @d;
			differ(\@d, 'mapping count', scalar(@$rows), scalar(@$maps));
			for my $i (0 .. $#$maps)
			{
				my ($v, $r) = ($maps->[$i], $rows->[$i] // {});
				my $at = "$pid $v->{start}";
				differ(\@d, "$at $_", $r->{$_}, $v->{$_}) for qw(perms offset dev inode);
				differ(\@d, "$at start", $r->{start_addr}, $v->{start});
				differ(\@d, "$at end", $r->{end_addr}, $v->{end});
				differ(\@d, "$at path", $r->{path}, $v->{path} eq '' ? undef : $v->{path});
				differ(\@d, "$at kind ($v->{perms} $v->{path})", $r->{kind}, $kinds->[$i]);
				differ(\@d, "$at size", $r->{size}, $v->{size});
			}
			return @d;
		});
}

#
# 7. Every kind shows up on a real backend, each checked on its own
#
my %summary_of =
  map { $_->{pid} => $_ } @{ hash_rows(\@sum_cols, 'vmastat_backends()') };
my $jpid = $session{jit}{pid};
my $jrows = $maps_of{$jpid}{rows};
my %kinds_seen = map { $_->{kind} => 1 } @$jrows;
for my $k (qw(text rodata data bss heap stack anon shm_main shm_sysv dsm file guard kernel))
{
  SKIP:
	{
		# libLLVM, which JIT loads, leaves a no-access gap between its
		# segments in some builds (Debian 12's LLVM 14, not 13's LLVM 19)
		skip 'JIT is not available', 1 if $k eq 'guard' && !$jit;
		skip 'the JIT backend has no no-access mapping', 1
		  if $k eq 'guard' && !grep { $_->{perms} =~ /^---/ } @{ $maps_of{$jpid}{maps} };
		ok($kinds_seen{$k}, "a backend has a mapping of kind $k");
	}
}

# the postgres executable: text, rodata and data, then its bss
{
	my $exe = readlink("/proc/$jpid/exe");
	my $want_exe = $node->config_data('--bindir') . '/postgres';
	ok(defined $exe && (stat $exe)[1] == (stat $want_exe)[1],
		'the backend runs the postgres executable');
	my @idx = grep { ($jrows->[$_]{path} // '') eq $exe } 0 .. $#$jrows;
	my %exe_kinds = map { $jrows->[$_]{kind} => 1 } @idx;
	is(join(',', sort keys %exe_kinds), 'data,rodata,text',
		'the executable is mapped as text, rodata and data');
	my @wrong = grep {
		my $r = $jrows->[$_];
		my $want = $r->{perms} =~ /^..x/ ? 'text' : $r->{perms} =~ /^.w/ ? 'data' : 'rodata';
		$r->{kind} ne $want
	} @idx;
	is_deeply(\@wrong, [], 'r-x is text, rw- is data, r-- is rodata');
	my $after = $jrows->[ $idx[-1] + 1 ];
	ok( defined $after
		  && !defined $after->{path}
		  && $after->{start_addr} eq $jrows->[ $idx[-1] ]{end_addr}
		  && $after->{kind} eq 'bss',
		'the anonymous mapping right after the executable\'s data is its bss');
}

# the main segment: one mapping, at one address in every process attached
# to it, the size PostgreSQL accounts for; the logger detaches from it
{
	my %starts;
	my @wrong;
	for my $pid (@idle_pids)
	{
		my @m = grep { $_->{kind} eq 'shm_main' } @{ $maps_of{$pid}{rows} };
		if ($pid == $logger_pid)
		{
			push @wrong, "logger has shm_main" if @m;
			next;
		}
		push @wrong, "PID $pid has " . scalar(@m) . ' shm_main mappings' if @m != 1;
		next unless @m;
		$starts{ $m[0]{start_addr} }++;
		push @wrong, "PID $pid shm_main size $m[0]{size}, expected $main_size"
		  if $m[0]{size} != $main_size;
		push @wrong, "PID $pid shm_main perms $m[0]{perms}" if $m[0]{perms} ne 'rw-s';
	}
	is_deeply(\@wrong, [], 'each process but the logger maps the main segment once, whole');
	is(scalar(keys %starts), 1, 'the main segment starts at the same address everywhere');

	my ($scan_main) = grep { $_->{kind} eq 'shm_main' } @{ $maps_of{ $session{scan}{pid} }{rows} };
	cmp_ok($scan_main->{rss}, '>=', $big_size,
		'the backend that scanned the table has its buffers resident in shm_main');
	cmp_ok($summary_of{ $session{scan}{pid} }{rss_shmem},
		'>=', $big_size, 'and its rss_shmem counts them');
	cmp_ok($summary_of{ $session{idle1}{pid} }{rss_shmem},
		'<', $big_size, 'an idle backend did not touch them');
	cmp_ok(
		$summary_of{ $session{priv}{pid} }{rss_anon} - $summary_of{ $session{idle1}{pid} }{rss_anon},
		'>=', $held_size,
		'the backend holding a temporary table in local buffers owns that much more anonymous memory');
}

# the System V segment is the one postmaster.pid names
{
	my @sysv = grep { $_->{kind} eq 'shm_sysv' } @$jrows;
	is(scalar(@sysv), 1, 'one shm_sysv mapping');
	is($sysv[0]{path}, $sysv_path, 'named after the key in postmaster.pid');
	is($sysv[0]{inode}, $sysv_id, 'its inode is the shmid in postmaster.pid');
}

# DSM segments are files in /dev/shm; the postmaster creates the control
# segment at startup and every child inherits it
{
	my @wrong;
	for my $pid (@idle_pids)
	{
		for my $r (grep { $_->{kind} eq 'dsm' } @{ $maps_of{$pid}{rows} })
		{
			my @st = stat $r->{path};
			push @wrong, "PID $pid $r->{path}: no such file" unless @st;
			push @wrong, "PID $pid $r->{path}: inode $r->{inode}, file has $st[1]"
			  if @st && $st[1] != $r->{inode};
		}
	}
	is_deeply(\@wrong, [], 'every dsm mapping is a file in /dev/shm');
	my @pm_dsm = grep { $_->{kind} eq 'dsm' } @{ $maps_of{$pm_pid}{rows} };
	is(scalar(@pm_dsm), 1, 'the postmaster maps one DSM segment');
	my @without = grep {
		my $pid = $_;
		!grep { $_->{kind} eq 'dsm' && $_->{start_addr} eq $pm_dsm[0]{start_addr} }
		  @{ $maps_of{$pid}{rows} }
	} grep { $_ != $logger_pid } @idle_pids;
	is_deeply(\@without, [], 'every child but the logger maps it at the same address');
}

# kernel areas, [vsyscall] at its fixed address above 2^63 included
{
	my $kmaps = $maps_of{$jpid}{maps};
	my %k = map { $_->{path} => $_ } grep { $_->{kind} eq 'kernel' } @$jrows;
	ok($k{'[vdso]'}, '[vdso] is kernel');
  SKIP:
	{
		skip 'the kernel maps no [vsyscall]', 1
		  unless grep { $_->{path} eq '[vsyscall]' } @$kmaps;
		is($k{'[vsyscall]'} && $k{'[vsyscall]'}{start_addr},
			'ffffffffff600000', '[vsyscall] is kernel, its address intact');
	}
	my @locale = grep { ($_->{path} // '') =~ m{^/usr/lib/locale/} } @$jrows;
	ok(@locale && !grep({ $_->{kind} ne 'file' } @locale), 'locale files are file');
	# a stock backend maps no shared memory but PostgreSQL's own, so kind
	# "shared" is checked by the classification above wherever it occurs
	my @gconv = grep { ($_->{path} // '') =~ m{/gconv-modules\.cache$} } @$jrows;
  SKIP:
	{
		skip 'no gconv cache is mapped', 1 unless @gconv;
		ok(!grep({ $_->{kind} ne 'file' || $_->{perms} !~ /s$/ } @gconv),
			'the gconv cache, a shared mapping of a file, is file');
	}
}

#
# 8. backend_type
#
{
	my $bt = rows(
		q{SELECT b.pid, b.backend_type, a.pid IS NOT NULL, a.backend_type
		  FROM vmastat_backends(fast => true) b LEFT JOIN pg_stat_activity a USING (pid)});
	my (@wrong, @unlisted);
	my %type;
	for (@$bt)
	{
		my ($pid, $ours, $listed, $theirs) = @$_;
		$type{$pid} = $ours;
		if ($listed eq 't')
		{
			push @wrong, "$pid: $ours vs $theirs" if ($ours // 'NULL') ne ($theirs // 'NULL');
		}
		else
		{
			push @unlisted, $pid;
		}
	}
	is_deeply(\@wrong, [], 'backend_type is pg_stat_activity\'s for every PID it lists');
	is_deeply([ sort { $a <=> $b } @unlisted ],
		[ sort { $a <=> $b } $pm_pid, $logger_pid ],
		'only the postmaster and the logger are missing from pg_stat_activity');
	is($type{$pm_pid}, 'postmaster', 'the postmaster is "postmaster"');
	is($type{$logger_pid}, $logger_name, "the logger is \"$logger_name\"");
	is($type{ $session{idle1}{pid} }, 'client backend', 'a session is "client backend"');
}

#
# 9. vmastat_activity
#
{
	my $user = $mon->query_safe('SELECT current_user');
	my @cols = qw(pid backend_type datname usename application_name client_addr
	  state backend_start query_start wait_event_type wait_event leader_pid query);
	my $act;
	my @pids;
	eventually(
		'vmastat_activity has one row per server process',
		sub {
			my @before = proc_server_pids();
			$act = hash_rows([ @cols[ 0 .. 11 ], '(query IS NOT NULL) AS query' ],
				'vmastat_activity');
			$_->{query} = delete $_->{'(query IS NOT NULL) AS query'} for @$act;
			@pids = sort { $a <=> $b } map { $_->{pid} } @$act;
			return "@pids" eq "@before" ? () : ("listed @pids, /proc has @before");
		});
	my %by = map { $_->{pid} => $_ } @$act;
	for my $pid ($pm_pid, $logger_pid)
	{
		my @filled = grep { $_ ne 'query' && defined $by{$pid}{$_} } @cols[ 2 .. 11 ];
		push @filled, 'query' if ($by{$pid}{query} // '') eq 't';
		is_deeply(\@filled, [], "no pg_stat_activity column is filled for PID $pid");
	}
	my @wrong;
	for my $name (qw(idle1 idle2 scan priv jit))
	{
		my $r = $by{ $session{$name}{pid} };
		push @wrong, "$name: datname" unless ($r->{datname} // '') eq 'postgres';
		push @wrong, "$name: usename" unless ($r->{usename} // '') eq $user;
		push @wrong, "$name: application_name"
		  unless ($r->{application_name} // '') eq "vmastat_$name";
		push @wrong, "$name: state" unless ($r->{state} // '') eq 'idle';
		push @wrong, "$name: backend_start" unless defined $r->{backend_start};
		push @wrong, "$name: query_start" unless defined $r->{query_start};
		push @wrong, "$name: query" unless ($r->{query} // '') eq 't';
	}
	my @aux = grep { $_ != $pm_pid && $_ != $logger_pid } @pids;
	push @wrong, map { "PID $_: backend_start" } grep { !defined $by{$_}{backend_start} } @aux;
	is_deeply(\@wrong, [], 'pg_stat_activity columns are filled for backends');
}

#
# 10. A parallel query maps a DSM segment of its own in the leader and the
# workers; the workers are listed as parallel workers of that leader
#
{
	$mon->query_safe(
		q{CREATE TABLE par AS SELECT i FROM generate_series(1, 3000) i;
		  ALTER TABLE par SET (parallel_workers = 2)});
	my $par = $node->background_psql('postgres');
	my $leader = $par->query_safe('SELECT pg_backend_pid()');
	$par->query_safe(
		q{SET parallel_setup_cost = 0;
		  SET parallel_tuple_cost = 0;
		  SET min_parallel_table_scan_size = 0});
	# a few seconds of sleeping rows, shared out between leader and workers
	$par->query_until(qr/started/,
		"\\echo started\nSELECT count(pg_sleep(0.005)) FROM par;\n");

	my @workers;
	for (1 .. 200)
	{
		@workers = map { $_->[0] } @{
			rows(
				"SELECT pid FROM vmastat_activity
				 WHERE leader_pid = $leader AND pid <> $leader
				   AND backend_type = 'parallel worker'")
		};
		last if @workers;
		usleep(50_000);
	}
	ok(@workers, 'parallel workers are listed with their leader');
	my $w = $workers[0] // 0;
	my $wrows = hash_rows(\@vma_cols, "vmastat_vmas($w)");
	my $lrows = hash_rows(\@vma_cols, "vmastat_vmas($leader)");
	my $lmaps = read_maps($leader) // [];
	my %pm_paths = map { $_->{path} => 1 } @{ read_maps($pm_pid) };
	my %leader_maps = map { $_->{path} => $_ } @$lmaps;
	my %leader_dsm = map { $_->{path} => 1 } grep { $_->{kind} eq 'dsm' } @$lrows;
	my @query_dsm =
	  grep { $_->{kind} eq 'dsm' && !$pm_paths{ $_->{path} } } @$wrows;
	ok(@query_dsm, 'a parallel worker maps a DSM segment the postmaster does not');
	my @wrong;
	for my $r (@query_dsm)
	{
		push @wrong, "$r->{path} is not dsm in the leader" unless $leader_dsm{ $r->{path} };
		my $m = $leader_maps{ $r->{path} };
		push @wrong, "$r->{path} not in the leader's maps"
		  unless $m && $m->{perms} eq 'rw-s' && $m->{inode} == $r->{inode};
		push @wrong, "$r->{path} has no file" unless -e $r->{path};
	}
	is_deeply(\@wrong, [], 'the leader maps the same segment, a file in /dev/shm');
	$par->query_safe('SELECT 1');
	$par->quit;
}

#
# 11. A terminated backend is gone from every function and view
#
{
	my $vpid = $session{victim}{pid};
	is(rows("SELECT count(*) FROM vmastat_backends() WHERE pid = $vpid")->[0][0],
		1, 'the backend to terminate is listed');
	$mon->query_safe("SELECT pg_terminate_backend($vpid)");
	my $gone = 0;
	for (1 .. 300)
	{
		$gone = !-e "/proc/$vpid";
		last if $gone;
		usleep(50_000);
	}
	ok($gone, "terminated backend $vpid has exited and been reaped");
	$session{victim}{psql}->quit;
	delete $session{victim};

	is(rows("SELECT count(*) FROM vmastat_backends() WHERE pid = $vpid")->[0][0],
		0, 'it vanished from vmastat_backends()');
	is(rows("SELECT count(*) FROM vmastat_vmas WHERE pid = $vpid")->[0][0],
		0, 'and from the vmastat_vmas view');
	for my $call ("vmastat_backend($vpid)", "vmastat_backend($vpid, fast => true)",
		"vmastat_vmas($vpid)")
	{
		my ($ret, $out, $err) = $node->psql('postgres', "SELECT pid FROM $call");
		is($ret, 0, "$call does not fail");
		is($out, '', "$call returns no rows");
		like($err, qr/WARNING:  PID $vpid is not a PostgreSQL server process/,
			"$call warns");
	}
}

$_->{psql}->quit for values %session;
$mon->quit;
$node->stop;

done_testing();
