# The per-kind sums made in C (vmastat_kinds(), vmastat_kinds_of() and the
# per-kind step of vmastat_snapshot()) against three oracles: the per-VMA
# rows of vmastat_vmas grouped in SQL, /proc/PID/smaps read and summed here
# in Perl, and a made-up /proc whose smaps leaves fields out, where SQL's
# sum() is NULL only if every mapping of the kind lacks the field.
#
# Figures of live processes are read just before and just after the sums,
# and must equal one of the two readings; a mismatch is retried, since even
# an idle process moves now and then.
use strict;
use warnings;

use File::Path qw(make_path);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('kinds');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
# no autovacuum worker may come and go while processes are compared
autovacuum = off
# the leak finder's store, for vmastat_snapshot(); samples are taken here
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 0
});
$node->start;
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION vmastat;
CREATE FUNCTION vmastat_test_leak(bigint) RETURNS bigint
    AS '$libdir/vmastat_test_leak' LANGUAGE C STRICT;
});

my ($pm) = split /\n/, slurp_file($node->data_dir . '/postmaster.pid');

# The session that runs every query, and idle ones that are compared
my $mon = $node->background_psql('postgres');
$mon->query_safe(q{\pset null '<null>'});
my $mon_pid = $mon->query_safe('SELECT pg_backend_pid()');
my @idle;
for (1 .. 2)
{
	my $s = $node->background_psql('postgres');
	push @idle, { psql => $s, pid => $s->query_safe('SELECT pg_backend_pid()') };
}

my @cols = qw(vmas size rss pss private_dirty anonymous swap);

# pid|kind => "vmas|size|...", from a query returning pid, kind, @cols
sub by_kind
{
	my ($sql) = @_;
	my %rows;
	for my $line (grep { $_ ne '' } split /\n/, $mon->query_safe($sql))
	{
		my ($pid, $kind, @v) = split /\|/, $line, -1;
		next if $pid == $mon_pid;
		$rows{"$pid|$kind"} = join('|', @v);
	}
	return \%rows;
}

# Whether one reading matches a reference: every column exactly but pss,
# which moves whenever any process on the host maps or unmaps the same file
# pages (other clusters of the test run do), so it gets 10% and 64 kB
sub matches
{
	my ($got, $ref) = @_;
	return 0 unless defined $got && defined $ref;
	my @g = split /\|/, $got, -1;
	my @r = split /\|/, $ref, -1;
	my $gp = splice(@g, 3, 1);
	my $rp = splice(@r, 3, 1);
	return 0 unless join('|', @g) eq join('|', @r);
	return 1 if $gp eq $rp;
	return 0 if $gp eq '' || $rp eq '';
	return abs($gp - $rp) <= 65536 + 0.1 * $rp;
}

# Mismatches between got and the two readings around it
sub compare
{
	my ($got, $before, $after) = @_;
	my @d;
	for my $key (sort keys %{ { %$got, %$before, %$after } })
	{
		my $g = $got->{$key} // 'missing';
		push @d, "$key: got $g, expected " . ($before->{$key} // 'missing')
		  . ' or ' . ($after->{$key} // 'missing')
		  unless matches($got->{$key}, $before->{$key})
		  || matches($got->{$key}, $after->{$key});
	}
	return @d;
}

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

my $grouped = q{SELECT pid, kind, count(*), sum(size), sum(rss), sum(pss),
	sum(private_dirty), sum(anonymous), sum(swap)
	FROM vmastat_vmas GROUP BY pid, kind};
my $listed = 'SELECT pid, kind, ' . join(', ', @cols);

#
# 1. Every server process: the C sums equal the per-VMA rows grouped in SQL
#
eventually(
	'vmastat_kinds equals vmastat_vmas grouped by pid and kind',
	sub {
		my $before = by_kind($grouped);
		my $got = by_kind("$listed FROM vmastat_kinds");
		my $after = by_kind($grouped);
		my @d = compare($got, $before, $after);
		my %pids = map { (split /\|/)[0] => 1 } keys %$got;
		push @d, 'the postmaster has no rows' unless $pids{$pm};
		push @d, "idle session $_->{pid} has no rows" for grep { !$pids{ $_->{pid} } } @idle;
		return @d;
	});

#
# 2. vmastat_kinds_of(): only the listed server processes, each once
#
my $some = "$pm, $idle[0]{pid}";
eventually(
	'vmastat_kinds_of() returns the rows of the listed server processes',
	sub {
		my $want = q{ FROM vmastat_kinds WHERE pid IN (} . $some . ')';
		my $before = by_kind("$listed $want");
		my $got = by_kind("$listed FROM vmastat_kinds_of(ARRAY[$idle[0]{pid}, NULL, $pm, "
			  . "$idle[0]{pid}, 0, -1, 2147483647])");
		my $after = by_kind("$listed $want");
		return compare($got, $before, $after);
	});
is($mon->query_safe(q{SELECT count(*) FROM vmastat_kinds_of('{}')}),
	'0', 'vmastat_kinds_of() of no PIDs returns no rows');
is($mon->query_safe(q{SELECT count(*) FROM vmastat_kinds_of(NULL)}),
	'0', 'vmastat_kinds_of(NULL) returns no rows');

#
# 3. One idle backend against its smaps, read and summed here.  The kind of
# each mapping is vmastat_vmas's; everything else comes from the kernel.
#
my %smaps_field = (
	size => 'Size',
	rss => 'Rss',
	pss => 'Pss',
	private_dirty => 'Private_Dirty',
	anonymous => 'Anonymous',
	swap => 'Swap');

# pid|kind => "vmas|size|...", from the process's smaps and the kinds given
# by start address
sub smaps_by_kind
{
	my ($pid, $kind_of) = @_;
	my $text = slurp_file("/proc/$pid/smaps");
	my (%sum, $kind);
	for my $line (split /\n/, $text)
	{
		if ($line =~ /^([0-9a-f]+)-[0-9a-f]+ /)
		{
			$kind = $kind_of->{$1} // 'unknown';
			$sum{$kind}{vmas}++;
		}
		elsif ($line =~ /^(\w+):\s+(\d+) kB$/)
		{
			for my $c (grep { $smaps_field{$_} eq $1 } keys %smaps_field)
			{
				$sum{$kind}{$c} += $2 * 1024;
			}
		}
	}
	return { map {
			my $k = $_;
			("$pid|$k" => join('|', map { $sum{$k}{$_} // '<null>' } @cols))
	} keys %sum };
}

my $pid = $idle[1]{pid};
eventually(
	"vmastat_kinds_of() of PID $pid equals its smaps summed by kind",
	sub {
		my %kind_of = map { split /\|/ }
		  split /\n/, $mon->query_safe("SELECT start_addr, kind FROM vmastat_vmas($pid)");
		my $before = smaps_by_kind($pid, \%kind_of);
		my $got = by_kind("$listed FROM vmastat_kinds_of(ARRAY[$pid])");
		my $after = smaps_by_kind($pid, \%kind_of);
		my @d = compare($got, $before, $after);
		push @d, 'a mapping of unknown kind' if grep { /\|unknown$/ } keys %$before;
		push @d, 'fewer than four kinds' if keys %$got < 4;
		return @d;
	});

#
# 4. vmastat_snapshot(): a new process gets a per-kind reading, a sample
# without growth takes none, growth by a step takes another.  The store
# keeps the first and the last reading and shows their difference, which
# must be that of vmastat_kinds_of() of the process around the two samples.
#
my $s = $node->background_psql('postgres');
my $spid = $s->query_safe('SELECT pg_backend_pid()');
my $now = q{SELECT pid, kind, vmas, size, rss, NULL, NULL, anonymous, swap FROM vmastat_kinds_of(ARRAY[}
  . $spid . '])';
my $deltas = q{SELECT pid, kind, vmas_delta, size_delta, rss_delta, NULL, NULL, anonymous_delta,
	swap_delta FROM vmastat_incarnation_kinds() WHERE pid = } . $spid;
# the reading times against the incarnation's first and last sample
my $readings = qq{
SELECT count(*) > 0, count(DISTINCT k.first_time), count(DISTINCT k.last_time),
       bool_and(k.first_time = g.first_seen), bool_and(k.last_time = g.last_seen),
       bool_and(k.last_time = k.first_time)
FROM vmastat_incarnation_kinds() AS k
    JOIN vmastat_growth AS g ON g.pid = k.pid AND g.backend_start = k.backend_start
WHERE k.pid = $spid};

# Mismatches between the deltas got and those of the readings around the
# two samples: each column must be one of the four differences (a kind
# missing from either side has a NULL count and the other side's figures)
sub compare_deltas
{
	my ($got, $b1, $a1, $b2, $a2) = @_;
	my @d;
	for my $key (sort keys %{ { %$got, %$b1, %$a1, %$b2, %$a2 } })
	{
		my @g = split /\|/, $got->{$key} // 'missing', -1;
		my @cands;
		for my $first ($b1, $a1)
		{
			for my $last ($b2, $a2)
			{
				my @f = split /\|/, $first->{$key} // '', -1;
				my @l = split /\|/, $last->{$key} // '', -1;
				push @cands, join('|', map {
						my ($x, $y) = ($f[$_] // '<null>', $l[$_] // '<null>');
						$_ == 0 && (!@f || !@l) ? '<null>'
						  : $x eq '<null>' && $y eq '<null>' ? '<null>'
						  : ($y eq '<null>' ? 0 : $y) - ($x eq '<null>' ? 0 : $x)
				} 0 .. $#cols);
			}
		}
		my $g = join('|', @g);
		push @d, "$key: got $g, expected one of " . join(' ', @cands)
		  unless grep { $_ eq $g } @cands;
	}
	return @d;
}

my $b1 = by_kind($now);
$mon->query_safe('SELECT vmastat_snapshot()');
my $a1 = by_kind($now);
is($mon->query_safe($readings), 't|1|1|t|t|t',
	'the first snapshot of a process takes its per-kind reading');
is_deeply([ compare_deltas(by_kind($deltas), $b1, $a1, $b1, $a1) ],
	[], 'one reading: every kind of vmastat_kinds_of() is there, unchanged');

$mon->query_safe('SELECT vmastat_snapshot()');
is($mon->query_safe($readings), 't|1|1|t|f|t',
	'a snapshot without growth takes no per-kind reading');

# Growth below the step, which is 1 MB or 10 % of the owned memory at the
# reading, whichever is more: halfway between the two when the 10 % is well
# below 1 MB, as it is for a fresh backend, so that taking the lesser of the
# two would read the kinds again
my $owned0 = $mon->query_safe(
	"SELECT anon_first FROM vmastat_growth WHERE pid = $spid AND alive");
my $small = int(($owned0 / 10 + 1024 * 1024) / 2);
SKIP:
{
	skip "10 % of the owned $owned0 bytes is too near 1 MB", 1
	  if 1024 * 1024 - $owned0 / 10 < 400 * 1024;
	$s->query_safe("SELECT vmastat_test_leak($small)");
	$mon->query_safe('SELECT vmastat_snapshot()');
	is($mon->query_safe($readings), 't|1|1|t|f|t',
		"growth by $small bytes, more than 10 % of $owned0 but less than 1 MB, takes no per-kind reading");
}

# 16 MB more owned memory: a step (1 MB, or 10 % if more) above the reading
$s->query_safe('SELECT vmastat_test_leak(16 * 1024 * 1024)');
my $b2 = by_kind($now);
$mon->query_safe('SELECT vmastat_snapshot()');
my $a2 = by_kind($now);
is($mon->query_safe($readings), 't|1|1|t|t|f',
	'growth by a step takes another per-kind reading, at that sample');
is_deeply([ compare_deltas(by_kind($deltas), $b1, $a1, $b2, $a2) ],
	[], 'the change between the readings is that of vmastat_kinds_of() per kind');
cmp_ok(
	$mon->query_safe(
		"SELECT sum(anonymous_delta + swap_delta) FROM vmastat_leak_kinds WHERE pid = $spid"),
	'>=', 16 * 1024 * 1024,
	'vmastat_leak_kinds sees the owned memory grow by what was allocated');
$s->quit;

#
# 5. A made-up /proc: fields left out sum as SQL's sum() does, and a
# mapping without a Size line counts its address range
#
sub write_file
{
	my ($path, $text) = @_;
	open my $fh, '>', $path or die "could not write $path: $!";
	print $fh $text;
	close $fh;
}

my $fields = sub {
	my (%skip) = @_;
	my $text = '';
	for my $f (qw(Size Rss Pss Private_Dirty Anonymous Swap))
	{
		$text .= sprintf("%-16s %8d kB\n", "$f:", 8 * (1 + length $f)) unless $skip{$f};
	}
	return $text;
};
my $smaps =
    "00400000-00500000 r-xp 00000000 08:01 1234     /usr/bin/fake\n"
  . $fields->(Swap => 1, Pss => 1)
  . "7f1000000000-7f1000100000 rw-p 00000000 00:00 0 \n"
  . $fields->()
  . "7f2000000000-7f2000200000 rw-p 00000000 00:00 0 \n"
  . $fields->(Swap => 1, Size => 1)
  . "7f3000000000-7f3000400000 rw-p 00000000 00:00 0 \n"
  . $fields->(Private_Dirty => 1);
my $root = PostgreSQL::Test::Utils::tempdir();
make_path("$root/self", "$root/$pm/task/$pm", "$root/4000001");
write_file("$root/self/maps", '');
write_file("$root/$pm/task/$pm/children", '4000001 ');
for my $p ($pm, 4000001)
{
	write_file("$root/$p/status",
		"Name:\tpostgres\nState:\tS (sleeping)\nPid:\t0\nPPid:\t"
		  . ($p == $pm ? 1 : $pm)
		  . "\nVmRSS:\t     100 kB\nThreads:\t1\n");
	write_file("$root/$p/smaps", $smaps);
	write_file("$root/$p/cmdline", "postgres: fake\0");
}
my $fake = sub {
	my ($sql) = @_;
	return $node->safe_psql('postgres', "SET vmastat.proc_root = '$root'; $sql");
};
my $c = join(', ', @cols);
is( $fake->(
		"SELECT pid, kind, $c FROM vmastat_kinds EXCEPT ALL
		 SELECT pid, kind, count(*), sum(size), sum(rss), sum(pss), sum(private_dirty),
		        sum(anonymous), sum(swap) FROM vmastat_vmas GROUP BY pid, kind"),
	'', 'with fields left out, vmastat_kinds equals vmastat_vmas grouped');
is( $fake->(
		"SELECT kind, $c FROM vmastat_kinds_of(ARRAY[4000001]) ORDER BY kind"),
	join("\n",
		# the second mapping has no Size line: its range, 2 MB, counts
		'anon|3|' . (2 * 40 * 1024 + 0x200000) . '|' . 3 * 32 * 1024 . '|'
		  . 3 * 32 * 1024 . '|' . 2 * 112 * 1024 . '|' . 3 * 80 * 1024 . '|' . 2 * 40 * 1024,
		'text|1|' . 40 * 1024 . '|32768||' . 112 * 1024 . '|81920|'),
	'a sum is NULL only where no mapping of the kind has the field');

done_testing();
