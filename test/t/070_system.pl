# vmastat_system: host figures against /proc/meminfo, /proc/sys/vm and /sys
# read in the same second; the cgroup part, v2 and v1, against made-up
# trees (vmastat.proc_root and vmastat.sys_root): unlimited, limited,
# missing files, garbage, and which bound gives the headroom.  The real v1
# cgroup, with an OOM kill, is test/cgroup_v1_cluster.sh (needs root).
use strict;
use warnings;

use File::Path qw(make_path remove_tree);
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('system');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');
my ($pm) = split /\n/, slurp_file($node->data_dir . '/postmaster.pid');
my $MiB = 1024 * 1024;

my @columns = qw(mem_total mem_available swap_total swap_free commit_limit
  committed_as overcommit_memory overcommit_ratio hugepages_total
  hugepages_free hugepages_reserved hugepages_surplus hugepage_size thp_mode
  dev_shm_size dev_shm_used cgroup_version cgroup_path cgroup_limit
  cgroup_high cgroup_usage cgroup_peak cgroup_swap_limit cgroup_anon
  cgroup_file cgroup_shmem cgroup_oom_kills cgroup_oom_events
  cgroup_under_oom psi_some_avg10 psi_some_avg60 psi_full_avg10
  psi_full_avg60 headroom headroom_by);

# the row as a hash, NULL as undef; $settings go first
sub system_row
{
	my ($settings) = @_;
	my $sep = "\x1f";
	my $out = $node->safe_psql('postgres',
		($settings // '') . 'SELECT ' . join(', ', map { "coalesce(${_}::text, '<null>')" } @columns)
		  . ' FROM vmastat_system',
		extra_params => [ '-F', $sep ]);
	my @values = split /\x1f/, $out, -1;
	is(scalar @values, scalar @columns, 'one row with every column');
	my %row;
	@row{@columns} = map { $_ eq '<null>' ? undef : $_ } @values;
	return \%row;
}

sub write_file
{
	my ($path, $text) = @_;
	open my $fh, '>', $path or die "could not write $path: $!";
	print $fh $text;
	close $fh;
}

sub meminfo
{
	my %kb;
	for (split /\n/, slurp_file('/proc/meminfo'))
	{
		$kb{$1} = $2 * ($3 ? 1024 : 1) if /^(\S+):\s+(\d+)( kB)?$/;
	}
	return \%kb;
}

sub first_line
{
	my ($path) = @_;
	my $text = slurp_file($path);
	chomp $text;
	return $text;
}

sub within
{
	my ($got, $expected, $tolerance, $name) = @_;
	ok(defined $got && abs($got - $expected) <= $tolerance,
		"$name: " . ($got // 'NULL') . " within $tolerance of $expected");
}

# -- Host figures against the kernel's files, read in the same second
{
	my $before = meminfo();
	my $row = system_row();
	my $after = meminfo();
	my %exact = (
		mem_total => 'MemTotal',
		swap_total => 'SwapTotal',
		commit_limit => 'CommitLimit',
		hugepages_total => 'HugePages_Total',
		hugepage_size => 'Hugepagesize');
	for my $col (sort keys %exact)
	{
		is($row->{$col}, $after->{ $exact{$col} }, "$col is $exact{$col} of /proc/meminfo");
	}
	for my $pair ([ 'mem_available', 'MemAvailable' ], [ 'committed_as', 'Committed_AS' ],
		[ 'swap_free', 'SwapFree' ])
	{
		my ($col, $key) = @$pair;
		my $mid = ($before->{$key} + $after->{$key}) / 2;
		within($row->{$col}, $mid,
			abs($before->{$key} - $after->{$key}) / 2 + 64 * $MiB, "$col against $key");
	}
	is($row->{overcommit_memory}, first_line('/proc/sys/vm/overcommit_memory'),
		'overcommit_memory is /proc/sys/vm/overcommit_memory');
	is($row->{overcommit_ratio}, first_line('/proc/sys/vm/overcommit_ratio'),
		'overcommit_ratio is /proc/sys/vm/overcommit_ratio');
	# a chroot or container may have no /sys: then the figure is NULL
	my $thp_file = '/sys/kernel/mm/transparent_hugepage/enabled';
	my ($thp) = -r $thp_file ? first_line($thp_file) =~ /\[(\w+)\]/ : (undef);
	is($row->{thp_mode}, $thp, 'thp_mode is the bracketed word of transparent_hugepage/enabled');

	my ($size, $used) = (split /\s+/, (split /\n/, `df -B1 --output=size,used /dev/shm`)[1])[ -2, -1 ];
	is($row->{dev_shm_size}, $size, 'dev_shm_size is the size df gives');
	within($row->{dev_shm_used}, $used, 16 * $MiB, 'dev_shm_used against df');

	# the cgroup line the kernel gives for the postmaster
	my $cgroup = slurp_file("/proc/$pm/cgroup");
	my ($v1) = $cgroup =~ /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m;
	my ($v2) = $cgroup =~ /^0::(.*)$/m;
	is($row->{cgroup_version}, defined $v1 ? 1 : 2, 'cgroup_version from /proc/PID/cgroup');
	is($row->{cgroup_path}, $v1 // $v2, 'cgroup_path from /proc/PID/cgroup');
	ok(defined $row->{headroom} && $row->{headroom_by} =~ /^(cgroup|host|commit)$/,
		'the real host has a headroom and says what binds it');
}

# -- Made-up trees
my $fake = PostgreSQL::Test::Utils::tempdir('fake_system');
my $proc = "$fake/proc";
my $sys = "$fake/sys";
my $cg2 = "$sys/fs/cgroup/system.slice/pg.service";
my $settings = "SET vmastat.proc_root = '$proc'; SET vmastat.sys_root = '$sys'; ";

sub fake_host
{
	my (%kb) = @_;
	make_path("$proc/$pm", "$proc/sys/vm", "$sys/kernel/mm/transparent_hugepage");
	my $text = '';
	for my $key (qw(MemTotal MemFree MemAvailable SwapTotal SwapFree CommitLimit
		Committed_AS HugePages_Total HugePages_Free HugePages_Rsvd HugePages_Surp
		Hugepagesize))
	{
		next unless defined $kb{$key};
		$text .= sprintf("%-16s%8d%s\n", "$key:", $kb{$key},
			$key =~ /^HugePages_/ ? '' : ' kB');
	}
	write_file("$proc/meminfo", $text);
	write_file("$proc/sys/vm/overcommit_memory", ($kb{overcommit} // 0) . "\n");
	write_file("$proc/sys/vm/overcommit_ratio", "50\n");
	write_file("$sys/kernel/mm/transparent_hugepage/enabled", "always madvise [never]\n");
}

my %host = (
	MemTotal => 8 * 1024 * 1024,
	MemFree => 5 * 1024 * 1024,
	MemAvailable => 4 * 1024 * 1024,
	SwapTotal => 0,
	SwapFree => 0,
	CommitLimit => 4 * 1024 * 1024,
	Committed_AS => 3 * 1024 * 1024,
	HugePages_Total => 0,
	HugePages_Free => 0,
	HugePages_Rsvd => 0,
	HugePages_Surp => 0,
	Hugepagesize => 2048);

sub fake_v2
{
	my (%files) = @_;
	remove_tree("$sys/fs");
	make_path($cg2);
	write_file("$proc/$pm/cgroup", "0::/system.slice/pg.service\n");
	for my $name (sort keys %files)
	{
		write_file("$cg2/$name", $files{$name}) if defined $files{$name};
	}
}

my %v2 = (
	'memory.max' => "max\n",
	'memory.high' => "max\n",
	'memory.current' => 900 * $MiB . "\n",
	'memory.peak' => 950 * $MiB . "\n",
	'memory.swap.max' => "max\n",
	'memory.stat' => "anon 500000000\nfile 300000000\nkernel 1000\nshmem 200000000\n"
	  . "file_mapped 1234\n",
	'memory.events' => "low 0\nhigh 2\nmax 7\noom 3\noom_kill 1\noom_group_kill 0\n",
	'memory.pressure' => "some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\n"
	  . "full avg10=0.75 avg60=0.10 avg300=0.00 total=2345\n");

fake_host(%host);
fake_v2(%v2);
my $row = system_row($settings);
is($row->{mem_total}, 8 * 1024 * $MiB, 'fake host: mem_total in bytes');
is($row->{hugepage_size}, 2 * $MiB, 'fake host: hugepage_size in bytes');
is($row->{hugepages_total}, 0, 'fake host: hugepages_total is a count');
is($row->{thp_mode}, 'never', 'fake host: thp_mode');
is($row->{overcommit_ratio}, 50, 'fake host: overcommit_ratio');
is($row->{cgroup_version}, 2, 'v2: version');
is($row->{cgroup_path}, '/system.slice/pg.service', 'v2: path');
is($row->{cgroup_limit}, undef, 'v2 unlimited: memory.max "max" is NULL');
is($row->{cgroup_high}, undef, 'v2 unlimited: memory.high "max" is NULL');
is($row->{cgroup_swap_limit}, undef, 'v2 unlimited: memory.swap.max "max" is NULL');
is($row->{cgroup_usage}, 900 * $MiB, 'v2: usage is memory.current');
is($row->{cgroup_peak}, 950 * $MiB, 'v2: peak is memory.peak');
is($row->{cgroup_anon}, 500000000, 'v2: anon from memory.stat');
is($row->{cgroup_file}, 300000000, 'v2: file from memory.stat');
is($row->{cgroup_shmem}, 200000000, 'v2: shmem from memory.stat');
is($row->{cgroup_oom_kills}, 1, 'v2: oom_kill from memory.events');
is($row->{cgroup_oom_events}, 3, 'v2: oom from memory.events');
is($row->{cgroup_under_oom}, undef, 'v2: no under_oom');
is($row->{psi_some_avg10}, '1.5', 'v2: PSI some avg10');
is($row->{psi_some_avg60}, '0.25', 'v2: PSI some avg60');
is($row->{psi_full_avg10}, '0.75', 'v2: PSI full avg10');
is($row->{psi_full_avg60}, '0.1', 'v2: PSI full avg60');
is($row->{headroom}, 4 * 1024 * $MiB, 'unlimited cgroup: headroom is MemAvailable');
is($row->{headroom_by}, 'host', 'unlimited cgroup: the host binds');

# limited: memory.high, 1000 MiB, throttles before memory.max: 100 MiB
# left, less than MemAvailable
fake_v2(%v2, 'memory.max' => 1024 * $MiB . "\n", 'memory.high' => 1000 * $MiB . "\n",
	'memory.swap.max' => "0\n");
$row = system_row($settings);
is($row->{cgroup_limit}, 1024 * $MiB, 'v2 limited: memory.max');
is($row->{cgroup_high}, 1000 * $MiB, 'v2 limited: memory.high');
is($row->{cgroup_swap_limit}, 0, 'v2 limited: memory.swap.max 0 is 0, not NULL');
is($row->{headroom}, 100 * $MiB, 'limited cgroup: headroom is memory.high - usage');
is($row->{headroom_by}, 'cgroup', 'limited cgroup: the cgroup binds');

# strict overcommit: CommitLimit - Committed_AS is smallest
fake_host(%host, overcommit => 2, Committed_AS => $host{CommitLimit} - 50 * 1024);
$row = system_row($settings);
is($row->{overcommit_memory}, 2, 'strict overcommit read');
is($row->{headroom}, 50 * $MiB, 'strict overcommit: headroom is CommitLimit - Committed_AS');
is($row->{headroom_by}, 'commit', 'strict overcommit: the commit limit binds');

# the same commit figures count only under strict overcommit
fake_host(%host, Committed_AS => $host{CommitLimit} - 50 * 1024);
is(system_row($settings)->{headroom_by}, 'cgroup', 'heuristic overcommit: the commit limit does not bind');

# little available memory on the host
fake_host(%host, MemAvailable => 10 * 1024);
$row = system_row($settings);
is($row->{headroom}, 10 * $MiB, 'low MemAvailable: headroom');
is($row->{headroom_by}, 'host', 'low MemAvailable: the host binds');

# inactive page cache is reclaimed before the limit bites: not used
fake_host(%host);
my $stat_inactive = $v2{'memory.stat'} . 'inactive_file ' . 40 * $MiB . "\n";
fake_v2(%v2, 'memory.max' => 1024 * $MiB . "\n", 'memory.stat' => $stat_inactive);
$row = system_row($settings);
is($row->{headroom}, 164 * $MiB, 'limited cgroup: inactive_file is not counted as used');

# a parent's limit binds its children, which have none or larger ones:
# system.slice may use 950 MiB and uses 930, 5 of them inactive
my $parent = "$sys/fs/cgroup/system.slice";
fake_v2(%v2, 'memory.max' => 1024 * $MiB . "\n", 'memory.stat' => $stat_inactive);
write_file("$parent/memory.max", 950 * $MiB . "\n");
write_file("$parent/memory.high", "max\n");
write_file("$parent/memory.current", 930 * $MiB . "\n");
write_file("$parent/memory.stat", 'inactive_file ' . 5 * $MiB . "\n");
$row = system_row($settings);
is($row->{cgroup_limit}, 1024 * $MiB, 'limited parent: cgroup_limit is the cgroup\'s own');
is($row->{headroom}, 25 * $MiB, 'limited parent: headroom is what the parent leaves');
is($row->{headroom_by}, 'cgroup', 'limited parent: the cgroups bind');
fake_v2(%v2, 'memory.stat' => $stat_inactive);
write_file("$parent/memory.high", 940 * $MiB . "\n");
write_file("$parent/memory.current", 930 * $MiB . "\n");
$row = system_row($settings);
is($row->{cgroup_limit}, undef, 'parent with memory.high: the cgroup itself is unlimited');
is($row->{headroom}, 10 * $MiB, 'parent with memory.high: it binds the unlimited child');
write_file("$sys/fs/cgroup/memory.max", 1 * $MiB . "\n");
write_file("$sys/fs/cgroup/memory.current", 0 . "\n");
is(system_row($settings)->{headroom}, 1 * $MiB, 'the walk goes up to the root of the hierarchy');

# missing files and fields: NULL, never 0
fake_host(%host, MemAvailable => undef, Hugepagesize => undef);
fake_v2(%v2, 'memory.peak' => undef, 'memory.pressure' => undef,
	'memory.events' => undef, 'memory.high' => undef, 'memory.max' => undef);
unlink "$proc/sys/vm/overcommit_ratio";
unlink "$sys/kernel/mm/transparent_hugepage/enabled";
$row = system_row($settings);
is($row->{$_}, undef, "missing: $_ is NULL")
  for qw(mem_available hugepage_size overcommit_ratio thp_mode cgroup_limit cgroup_high
  cgroup_peak cgroup_oom_kills cgroup_oom_events psi_some_avg10 psi_full_avg60);
is($row->{cgroup_usage}, 900 * $MiB, 'missing: the files present are still read');
is($row->{headroom}, undef, 'missing: no headroom without any bound');
is($row->{headroom_by}, undef, 'missing: nothing binds');

# garbage: the value is NULL, the rest of the row stays
fake_host(%host);
fake_v2(
	%v2,
	'memory.max' => "lots\n",
	'memory.current' => "12abc\n",
	'memory.peak' => "99999999999999999999999\n",
	'memory.stat' => "anon twelve\nfile -5\nshmem 7 kB extra\n",
	'memory.events' => "oom_kill\noom 1.5\n",
	'memory.pressure' => "some avg10=abc avg60=500.00\nfull avg10 avg60=\n");
$row = system_row($settings);
is($row->{$_}, undef, "garbage: $_ is NULL")
  for qw(cgroup_limit cgroup_usage cgroup_peak cgroup_anon cgroup_file cgroup_shmem
  cgroup_oom_kills cgroup_oom_events psi_some_avg10 psi_some_avg60 psi_full_avg10
  psi_full_avg60);
is($row->{mem_total}, 8 * 1024 * $MiB, 'garbage: the host figures are still there');
is($row->{headroom_by}, 'host', 'garbage: the host still binds');

# a FIFO instead of a file neither blocks nor gives a value
fake_v2(%v2);
unlink "$cg2/memory.high";
POSIX::mkfifo("$cg2/memory.high", 0600) or die "mkfifo: $!";
$row = system_row($settings);
is($row->{cgroup_high}, undef, 'a FIFO is read without blocking and gives NULL');

write_file("$proc/$pm/cgroup", "no cgroup here\n");
$row = system_row($settings);
is($row->{cgroup_version}, undef, 'garbage in /proc/PID/cgroup: no cgroup');
write_file("$proc/$pm/cgroup", "0::/../../etc\n");
$row = system_row($settings);
is($row->{cgroup_path}, undef, 'a cgroup path with ".." is not followed');

# an oversized file and an unreadable one are errors, not NULLs
fake_v2(%v2, 'memory.stat' => "anon 1\n" x 20000);
my ($ret, $out, $err) = $node->psql('postgres', $settings . 'SELECT * FROM vmastat_system');
like($err, qr/file ".*memory\.stat" is longer than 65536 bytes/, 'an oversized file is an error');
fake_v2(%v2);
chmod 0000, "$cg2/memory.current";
($ret, $out, $err) = $node->psql('postgres', $settings . 'SELECT * FROM vmastat_system');
like($err, qr/could not open file ".*memory\.current": Permission denied/,
	'an unreadable file is an error')
  unless $> == 0;
chmod 0644, "$cg2/memory.current";

# v1: the huge "no limit" value is NULL, hierarchical totals, oom_control
remove_tree("$sys/fs");
my $cg1 = "$sys/fs/cgroup/memory/pg";
make_path($cg1);
write_file("$proc/$pm/cgroup",
	"5:cpu,cpuacct:/other\n4:memory:/pg\n1:name=systemd:/x\n0::/unified\n");
write_file("$cg1/memory.limit_in_bytes", "9223372036854771712\n");
write_file("$cg1/memory.usage_in_bytes", 300 * $MiB . "\n");
write_file("$cg1/memory.max_usage_in_bytes", 400 * $MiB . "\n");
write_file("$cg1/memory.memsw.limit_in_bytes", "9223372036854771712\n");
write_file("$cg1/memory.stat",
	"cache 1\nrss 2\nshmem 3\ntotal_cache 1000\ntotal_rss 2000\ntotal_shmem 3000\n");
write_file("$cg1/memory.oom_control", "oom_kill_disable 0\nunder_oom 1\noom_kill 4\n");
$row = system_row($settings);
is($row->{cgroup_version}, 1, 'v1: the memory line wins over 0::');
is($row->{cgroup_path}, '/pg', 'v1: path');
is($row->{cgroup_limit}, undef, 'v1: the no-limit value is NULL');
is($row->{cgroup_swap_limit}, undef, 'v1: the no-limit memsw value is NULL');
is($row->{cgroup_usage}, 300 * $MiB, 'v1: usage_in_bytes');
is($row->{cgroup_peak}, 400 * $MiB, 'v1: max_usage_in_bytes');
is($row->{cgroup_anon}, 2000, 'v1: anon is total_rss');
is($row->{cgroup_file}, 1000, 'v1: file is total_cache');
is($row->{cgroup_shmem}, 3000, 'v1: shmem is total_shmem');
is($row->{cgroup_oom_kills}, 4, 'v1: oom_kill of memory.oom_control');
is($row->{cgroup_oom_events}, undef, 'v1: no count of OOM events');
is($row->{cgroup_under_oom}, 'true', 'v1: under_oom');
is($row->{psi_some_avg10}, undef, 'v1: no PSI');
is($row->{headroom_by}, 'host', 'v1 unlimited: the host binds');
write_file("$cg1/memory.limit_in_bytes", 512 * $MiB . "\n");
$row = system_row($settings);
is($row->{cgroup_limit}, 512 * $MiB, 'v1: a real limit');
is($row->{headroom}, 212 * $MiB, 'v1 limited: headroom is limit - usage');
is($row->{headroom_by}, 'cgroup', 'v1 limited: the cgroup binds');
my $stat1 = "cache 1\nrss 2\nshmem 3\ntotal_cache 1000\ntotal_rss 2000\ntotal_shmem 3000\n"
  . 'total_inactive_file ' . 12 * $MiB . "\n";
write_file("$cg1/memory.stat", $stat1);
is(system_row($settings)->{headroom}, 224 * $MiB, 'v1: total_inactive_file is not counted as used');
# the cgroup unlimited, an ancestor, perhaps outside the container, at 400 MiB
write_file("$cg1/memory.limit_in_bytes", "9223372036854771712\n");
write_file("$cg1/memory.stat", $stat1 . 'hierarchical_memory_limit ' . 400 * $MiB . "\n");
$row = system_row($settings);
is($row->{cgroup_limit}, undef, 'v1 limited ancestor: the cgroup\'s own limit is none');
is($row->{headroom}, 112 * $MiB, 'v1 limited ancestor: hierarchical_memory_limit binds');
is($row->{headroom_by}, 'cgroup', 'v1 limited ancestor: the cgroups bind');

# -- Privileges
$node->safe_psql('postgres', q{
	CREATE ROLE plain LOGIN;
	CREATE ROLE monitor LOGIN IN ROLE pg_monitor;
});
($ret, $out, $err) = $node->psql('postgres', 'SELECT * FROM vmastat_system',
	extra_params => [ '-U', 'plain' ]);
like($err, qr/permission denied for view vmastat_system/, 'a plain role cannot read vmastat_system');
($ret, $out, $err) = $node->psql('postgres', 'SELECT * FROM vmastat_system_info()',
	extra_params => [ '-U', 'plain' ]);
like($err, qr/permission denied for function vmastat_system_info/,
	'a plain role cannot call vmastat_system_info()');
is($node->safe_psql('postgres', 'SELECT mem_total > 0 FROM vmastat_system',
		extra_params => [ '-U', 'monitor' ]),
	't', 'a member of pg_monitor reads vmastat_system');
# the first query loads the library, which defines the setting
($ret, $out, $err) = $node->psql('postgres',
	"SELECT 1 FROM vmastat_system; SET vmastat.sys_root = '/tmp'",
	extra_params => [ '-U', 'monitor' ]);
like($err, qr/permission denied to set parameter "vmastat.sys_root"/,
	'only a superuser sets vmastat.sys_root');

$node->stop;
done_testing();
