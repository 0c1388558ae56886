# Failure paths made deterministic: vmastat.proc_root points the reader at a
# made-up process tree, in which a process vanished, one exited while it
# was read, a file cannot be read, the kernel has no smaps_rollup or prints
# fewer fields.  The setting is superuser-only.
use strict;
use warnings;

use File::Path qw(make_path);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('fake_proc');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');

my ($pm) = split /\n/, slurp_file($node->data_dir . '/postmaster.pid');
my $kb = 1024;

sub write_file
{
	my ($path, $text) = @_;
	open my $fh, '>', $path or die "could not write $path: $!";
	print $fh $text;
	close $fh;
}

sub status_text
{
	my ($ppid, $with_mm) = @_;
	my $text = "Name:\tpostgres\nState:\tS (sleeping)\nPid:\t0\nPPid:\t$ppid\n";
	$text .= "VmPeak:\t    8192 kB\nVmSize:\t    4096 kB\nVmHWM:\t   12000 kB\n"
	  . "VmRSS:\t   10000 kB\nRssAnon:\t    3000 kB\n"
	  . "RssFile:\t    5000 kB\nRssShmem:\t    2000 kB\nVmData:\t    4000 kB\n"
	  . "VmStk:\t     132 kB\nVmSwap:\t      16 kB\nHugetlbPages:\t       0 kB\n"
	  if $with_mm;
	return $text . "Threads:\t1\n";
}

my @headers = (
	'00400000-00500000 r-xp 00000000 08:01 1234                       /usr/bin/fake program',
	'00600000-00700000 rw-p 00100000 08:01 1234                       /usr/bin/fake program',
	'00700000-00710000 rw-p 00000000 00:00 0 ',
	'7f0000000000-7f0000200000 rw-s 00000000 00:01 4                  /dev/zero (deleted)');

# smaps of @headers; $old leaves out the fields older kernels lack
sub smaps_text
{
	my ($old) = @_;
	my $text = '';
	for my $i (0 .. $#headers)
	{
		my $rss = 100 * ($i + 1);
		$text .= "$headers[$i]\nSize:               1024 kB\nKernelPageSize:        4 kB\n"
		  . "MMUPageSize:           4 kB\nRss:                 $rss kB\nPss:                  50 kB\n";
		$text .= "Pss_Dirty:             10 kB\n" unless $old;
		$text .= "Shared_Clean:          0 kB\nShared_Dirty:          0 kB\n"
		  . "Private_Clean:        20 kB\nPrivate_Dirty:        30 kB\n"
		  . "Referenced:          $rss kB\nAnonymous:            40 kB\n";
		$text .= "KSM:                   0 kB\n" unless $old;
		$text .= "LazyFree:              0 kB\nAnonHugePages:         0 kB\n"
		  . "ShmemPmdMapped:        0 kB\nFilePmdMapped:         0 kB\n"
		  . "Shared_Hugetlb:        0 kB\nPrivate_Hugetlb:       0 kB\n"
		  . "Swap:                  4 kB\nSwapPss:               4 kB\nLocked:                0 kB\n"
		  . ($old ? "THPeligible:\t0\nProtectionKey:         0\n" : "THPeligible:           0\n")
		  . "VmFlags: rd wr mr mw me ac \n";
	}
	return $text;
}

my $rollup_text =
    "00400000-7f0000200000 ---p 00000000 00:00 0                  [rollup]\n"
  . "Rss:                7000 kB\nPss:                6000 kB\nPss_Dirty:          1000 kB\n"
  . "Pss_Anon:           2000 kB\nPss_File:           3000 kB\nPss_Shmem:          1000 kB\n"
  . "Shared_Clean:        500 kB\nShared_Dirty:        500 kB\nPrivate_Clean:      2500 kB\n"
  . "Private_Dirty:      3500 kB\nReferenced:         7000 kB\nAnonymous:          3000 kB\n"
  . "KSM:                   0 kB\nLazyFree:              0 kB\nAnonHugePages:      2048 kB\n"
  . "ShmemPmdMapped:        0 kB\nFilePmdMapped:         0 kB\nShared_Hugetlb:        0 kB\n"
  . "Private_Hugetlb:       0 kB\nSwap:                 16 kB\nSwapPss:              16 kB\n"
  . "Locked:                0 kB\n";

# A tree: the postmaster, a normal child (4000001), a child that vanished
# (4000002, listed but without a directory), one that exited while it was
# read (4000003: its files are there, its status has no memory lines).
# extra adds a second live child, 4000004, without an oom_score file;
# denied adds a listed PID whose directory may not be opened (4000005: a
# PID since reused by a process of another user, or hidden by hidepid)
sub make_tree
{
	my (%opt) = @_;
	my $root = PostgreSQL::Test::Utils::tempdir();
	my @live = ($pm, 4000001, 4000003, $opt{extra} ? (4000004) : ());
	make_path("$root/self", "$root/$pm/task/$pm", map { "$root/$_" } @live);
	write_file("$root/self/maps", '');
	write_file("$root/self/smaps_rollup", '') unless $opt{no_rollup};
	write_file("$root/$pm/task/$pm/children",
		join(' ', 4000001 .. 4000003, $opt{extra} ? 4000004 : (), $opt{denied} ? 4000005 : ()) . ' ');
	if ($opt{denied})
	{
		make_path("$root/4000005");
		write_file("$root/4000005/status", status_text($pm, 1));
		chmod 0, "$root/4000005" or die "chmod: $!";
	}
	for my $pid (@live)
	{
		write_file("$root/$pid/status", status_text($pid == $pm ? 1 : $pm, $pid != 4000003));
		write_file("$root/$pid/maps", join("\n", @headers) . "\n");
		write_file("$root/$pid/smaps", $opt{smaps} // smaps_text($opt{old}));
		write_file("$root/$pid/smaps_rollup", $rollup_text) unless $opt{no_rollup};
		write_file("$root/$pid/cmdline", "postgres: fake\0");
		next if $opt{no_oom};
		write_file("$root/$pid/oom_score", $pid == $pm ? "0\n" : "1345\n") unless $pid == 4000004;
		write_file("$root/$pid/oom_score_adj", $opt{oom_score_adj} // ($pid == $pm ? "-1000\n" : "0\n"));
	}
	return $root;
}

sub query
{
	my ($root, $sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"SET vmastat.proc_root = '$root'; $sql");
	return ($ret, $out, $err);
}

# The normal tree: exact figures from each source
my ($ret, $err);
my $root = make_tree();
my (undef, $out) = query($root, 'SELECT pid, backend_type, mapped, writeable_private, private_readonly, shared,
	rss, rss_anon, rss_file, rss_shmem, swap, hugetlb, pss, pss_anon, pss_file, pss_shmem,
	pss_dirty, uss, anon_huge_pages, vmas FROM vmastat_backends() ORDER BY pid = ' . $pm . ' DESC');
my $mb = 1024 * $kb;
my $expected_row = join('|',
	'%PID%', '%TYPE%', 0x100000 * 2 + 0x10000 + 0x200000, (4000 + 132) * $kb, 0x100000,
	0x200000, 10000 * $kb, 3000 * $kb, 5000 * $kb, 2000 * $kb, 16 * $kb, 0,
	6000 * $kb, 2000 * $kb, 3000 * $kb, 1000 * $kb, 1000 * $kb, 6000 * $kb, 2048 * $kb, 4);
my @rows = split /\n/, $out;
is(scalar @rows, 2, 'the postmaster and the live child, not the vanished or exited ones');
(my $pm_row = $expected_row) =~ s/%PID%/$pm/;
$pm_row =~ s/%TYPE%/postmaster/;
is($rows[0], $pm_row, 'the postmaster row has the figures of status, maps and smaps_rollup');
(my $child_row = $expected_row) =~ s/%PID%/4000001/;
$child_row =~ s/%TYPE%/fake/;
is($rows[1], $child_row, 'a child without a pg_stat_activity row is named by its title');

(undef, $out) = query($root, 'SELECT pid, oom_score, oom_score_adj, rss_peak, vm_peak
	FROM vmastat_backends(fast => true) ORDER BY pid = ' . $pm . ' DESC');
is($out, "$pm|0|-1000|" . (12000 * $kb) . '|' . (8192 * $kb) . "\n4000001|1345|0|"
	  . (12000 * $kb) . '|' . (8192 * $kb),
	'oom_score and oom_score_adj from their files, the peaks from status');

# No OOM files: NULL, the row stays; garbage in one: an error naming it
(undef, $out) = query(make_tree(no_oom => 1),
	'SELECT count(*), count(oom_score), count(oom_score_adj) FROM vmastat_backends()');
is($out, '2|0|0', 'OOM files that cannot be found are NULL');
($ret, $out, $err) = query(make_tree(oom_score_adj => "-12x\n"),
	'SELECT count(*) FROM vmastat_backends(fast => true)');
like($err, qr/ERROR:  could not parse file ".*\/\d+\/oom_score_adj"\nDETAIL:  The file does not hold one integer\./,
	'an OOM file that does not hold one integer is an error naming it');
($ret, $out, $err) = query(make_tree(oom_score_adj => "99999999999\n"),
	'SELECT count(*) FROM vmastat_backends(fast => true)');
like($err, qr/ERROR:  could not parse file ".*\/oom_score_adj"/, 'so is one out of range');

# A process whose oom_score cannot be read is not the one the kernel picks
# first: it is ranked after those with a score
(undef, $out) = query(make_tree(extra => 1),
	'SELECT pid, oom_score, kill_order FROM vmastat_oom ORDER BY pid = ' . $pm . ', pid');
is($out, "4000001|1345|1\n4000004||2\n$pm|0|", 'a NULL oom_score comes last in kill_order');

# A listed PID whose /proc directory may not be opened is not a server
# process: it is left out, as one that exited, and named alone it warns
my $denied = make_tree(denied => 1);
($ret, $out, $err) = query($denied, 'SELECT count(*) FROM vmastat_backends()');
is("$ret|$out|$err", '0|2|', 'a PID of another user is left out of the processes');
($ret, $out, $err) = query($denied, "SELECT count(*) FROM vmastat_vmas WHERE pid = 4000005");
is("$ret|$out|$err", '0|0|', 'and out of the VMAs');
($ret, $out, $err) = query($denied, 'SELECT count(*) FROM vmastat_backend(4000005)');
like($err, qr/WARNING:  PID 4000005 is not a PostgreSQL server process/,
	'named alone, it is not a server process');
chmod 0700, "$denied/4000005";

(undef, $out) = query($root, 'SELECT pid, count(*), sum(rss), string_agg(kind, \',\' ORDER BY start_addr)
	FROM vmastat_vmas GROUP BY pid ORDER BY pid');
is($out, "$pm|4|" . (1000 * $kb) . "|text,data,bss,shared\n4000001|4|" . (1000 * $kb) . "|text,data,bss,shared",
	'per-VMA rows for the live processes only, with their kinds');

(undef, $out) = query($root, "SELECT path, size, pss_dirty, ksm, thp_eligible, protection_key, vm_flags
	FROM vmastat_vmas(4000001) ORDER BY start_addr LIMIT 1");
is($out, '/usr/bin/fake program|' . (1024 * $kb) . '|' . (10 * $kb) . '|0|f||{rd,wr,mr,mw,me,ac}',
	'a path with a space, and the fields this kernel prints');

($ret, $out, $err) = query($root, 'SELECT count(*) FROM vmastat_vmas(4000003)');
like($err, qr/WARNING:  PID 4000003 is not a PostgreSQL server process/,
	'a process that exited while it was read is not reported');
is($out, '0', 'no partial rows of it');
($ret, $out, $err) = query($root, 'SELECT count(*) FROM vmastat_backend(4000002)');
like($err, qr/WARNING:  PID 4000002 is not a PostgreSQL server process/,
	'a process that vanished warns');

# No smaps_rollup: the summary sums smaps; the split of pss is unknown
$root = make_tree(no_rollup => 1);
(undef, $out) = query($root, "SELECT pss, pss_anon IS NULL, private_dirty, uss, swap_pss, vmas, mapped
	FROM vmastat_backend(4000001)");
is($out, join('|', 4 * 50 * $kb, 't', 4 * 30 * $kb, 4 * 50 * $kb, 4 * 4 * $kb, 4, 0x100000 * 2 + 0x10000 + 0x200000),
	'without smaps_rollup the summary is the sum over smaps');

# An older kernel: fields it did not print are NULL, never 0
$root = make_tree(no_rollup => 1, old => 1);
(undef, $out) = query($root, "SELECT count(*), count(pss_dirty), count(ksm), count(protection_key), bool_and(NOT thp_eligible)
	FROM vmastat_vmas(4000001)");
is($out, '4|0|0|4|t', 'absent fields are NULL; ProtectionKey and THPeligible after a tab are read');
(undef, $out) = query($root, "SELECT pss_dirty IS NULL, pss IS NOT NULL FROM vmastat_backend(4000001)");
is($out, 't|t', 'the summary of an older kernel has NULL pss_dirty');

# Garbage from the kernel is an error naming the file and line
$root = make_tree(smaps => "00400000-00500000 r-xp 00000000 08:01 1234 /x\nRss: lots\n");
($ret, $out, $err) = query($root, 'SELECT count(*) FROM vmastat_vmas');
like($err, qr/ERROR:  could not parse file ".*\/\d+\/smaps"\nDETAIL:  Line 2: invalid field value\./,
	'unparsable smaps is an error naming the file and the line');

# A file that cannot be read: the error, the file, the OS message, a hint
$root = make_tree();
chmod 0000, "$root/4000001/maps";
($ret, $out, $err) = $node->psql('postgres',
	"SET vmastat.proc_root = '$root';\n\\set VERBOSITY verbose\nSELECT count(*) FROM vmastat_backends()");
like($err, qr/ERROR:  42501: could not open file ".*\/4000001\/maps": Permission denied/,
	'EACCES is an insufficient_privilege error naming the file');
like($err, qr/HINT:  .*hidepid/, 'with a hint naming the likely cause');
chmod 0644, "$root/4000001/maps";

# Discovery does not rest on the children list alone: the kernel's list
# skips live children when others exit while it is read.  A process with a
# PGPROC (the checkpointer) that the list lacks is still found, and still
# checked: a PGPROC owner whose status names another parent is left out.
my %aux = map { split /\|/ } split /\n/, $node->safe_psql('postgres',
	"SELECT backend_type, pid FROM pg_stat_activity
	 WHERE backend_type IN ('checkpointer', 'background writer')");
$root = make_tree();
for my $pid (values %aux)
{
	make_path("$root/$pid");
	for my $file (qw(maps smaps smaps_rollup cmdline))
	{
		write_file("$root/$pid/$file", slurp_file("$root/4000001/$file"));
	}
}
write_file("$root/$aux{checkpointer}/status", status_text($pm, 1));
write_file("$root/$aux{'background writer'}/status", status_text(1, 1));
my $expected = join("\n", sort { $a <=> $b } $pm, 4000001, $aux{checkpointer});
for my $sql ('SELECT pid FROM vmastat_backends() ORDER BY pid',
	'SELECT pid FROM vmastat_backends(fast => true) ORDER BY pid',
	'SELECT DISTINCT pid FROM vmastat_vmas ORDER BY pid')
{
	($ret, $out, $err) = query($root, $sql);
	is($out, $expected, "a server process missing from the children list is found: $sql");
}
(undef, $out) = query($root,
	"SELECT backend_type FROM vmastat_backends() WHERE pid = $aux{checkpointer}");
is($out, 'checkpointer', 'and named by pg_stat_activity');

# A listed PID that a process of another user took after its server process
# exited: only status, which anyone may read, is read before the process is
# known to be ours, so its other files, which we may not open, are never
# opened and the PID is left out as an exited one is.  4000004 stands for it
# with files we cannot read; PID 1, if it belongs to another user, is a real
# one, read through the kernel.
$root = make_tree();
make_path("$root/4000004");
write_file("$root/4000004/status", status_text(1, 1));
for my $file (qw(maps smaps smaps_rollup))
{
	write_file("$root/4000004/$file", '');
	chmod 0000, "$root/4000004/$file";
}
my $children = "4000001 4000004 ";
my @init = stat('/proc/1');
my $init_is_other = @init && $init[4] != $> && !open(my $fh, '<', '/proc/1/smaps');
if ($init_is_other)
{
	symlink('/proc/1', "$root/1") or die "could not link $root/1: $!";
	$children = "1 $children";
}
write_file("$root/$pm/task/$pm/children", $children);
for my $sql ('SELECT pid FROM vmastat_backends() ORDER BY pid',
	'SELECT pid FROM vmastat_backends(fast => true) ORDER BY pid',
	'SELECT DISTINCT pid FROM vmastat_vmas ORDER BY pid',
	"SELECT DISTINCT pid FROM vmastat_vmas_of(ARRAY[$pm, 1, 4000001, 4000004]) ORDER BY pid")
{
	($ret, $out, $err) = query($root, $sql);
	is($err, '', "a reused PID gives no error: $sql");
	is($out, join("\n", sort { $a <=> $b } $pm, 4000001),
		"and is left out: $sql");
}
SKIP:
{
	skip 'PID 1 belongs to this user or its smaps can be read', 1 unless $init_is_other;
	($ret, $out, $err) = query($root, 'SELECT count(*) FROM vmastat_vmas(1)');
	like($err, qr/WARNING:  PID 1 is not a PostgreSQL server process/,
		'PID 1 itself is refused with a warning, not an error');
}

# No /proc at all
($ret, $out, $err) = $node->psql('postgres',
	"SET vmastat.proc_root = '/nonexistent';\n\\set VERBOSITY verbose\nSELECT count(*) FROM vmastat_backends(fast => true)");
like($err, qr/ERROR:  0A000: vmastat cannot read process memory maps on this platform/,
	'without /proc the process functions raise feature_not_supported');
(undef, $out) = query('/nonexistent',
	"SELECT count(*) FROM vmastat_parse_smaps(E'00400000-00500000 r--p 00000000 00:00 0\\n')");
is($out, '1', 'vmastat_parse_smaps works without /proc');

# The setting does not widen what others can read: a non-superuser cannot
# set it once the library is loaded, and a value set before (a placeholder)
# is refused when the library loads
$node->safe_psql('postgres', 'CREATE ROLE monitor_role LOGIN IN ROLE pg_monitor');
($ret, $out, $err) = $node->psql('postgres',
	"SELECT count(*) > 0 FROM vmastat_backends(fast => true); SET vmastat.proc_root = '$root'",
	extra_params => [ '-U', 'monitor_role' ]);
like($err, qr/permission denied to set parameter "vmastat.proc_root"/,
	'only superusers can change vmastat.proc_root');
($ret, $out, $err) = $node->psql('postgres',
	"SET vmastat.proc_root = '$root'; SELECT count(*) FROM vmastat_backends(fast => true) WHERE pid = 4000001",
	extra_params => [ '-U', 'monitor_role' ]);
is($out, '0', 'a value set by a non-superuser before loading is not used');
like($err, qr/permission denied to set parameter "vmastat.proc_root"/,
	'and is refused with a warning');

$node->stop;
done_testing();
