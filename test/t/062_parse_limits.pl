# vmastat_parse_smaps, which anyone may call, on large input: text over the
# documented limit is refused before any work, a long parse obeys
# statement_timeout, and memory does not grow with the number of mappings
# beyond the rows themselves.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $limit = 64 * 1024 * 1024;

my $node = PostgreSQL::Test::Cluster->new('parse_limits');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat; CREATE ROLE plain LOGIN');

sub psql_as_plain
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $node->psql(
		'postgres', $sql,
		extra_params => [ '-U', 'plain', '-v', 'VERBOSITY=verbose' ]);
	return ($out, $err);
}

# Over the limit: refused with program_limit_exceeded, naming the limit.
# The text is garbage, so that anything but the size check fails otherwise.
my ($out, $err) = psql_as_plain(
	"SELECT count(*) FROM vmastat_parse_smaps(repeat('x', $limit + 1))");
like($err,
	qr/ERROR:  54000: smaps text is too long\nDETAIL:  The text is @{[ $limit + 1 ]} bytes long, the maximum is $limit bytes \(64 MB\)\./,
	'text one byte over the limit is refused with SQLSTATE 54000');
($out, $err) = psql_as_plain(
	"SELECT count(*) FROM vmastat_parse_smaps(repeat('x', $limit))");
like($err, qr/ERROR:  22P02: could not parse smaps text/,
	'text of exactly the limit is parsed');

# Mid-size text: the smaps of the postmaster, read here, many times over
my $pm_pid = (split /\n/, slurp_file($node->data_dir . '/postmaster.pid'))[0];
my $smaps = slurp_file("/proc/$pm_pid/smaps");
my $maps = slurp_file("/proc/$pm_pid/maps");
die 'the text holds the dollar-quote tag' if "$smaps$maps" =~ /\$t\$/;
my $nvmas = () = $maps =~ /\n/g;
my $copies = int(5 * 1024 * 1024 / length($smaps)) + 1;
($out, $err) = psql_as_plain(
	"SELECT count(*), count(*) FILTER (WHERE kind = 'text'), count(*) FILTER (WHERE kind = 'heap')
	 FROM vmastat_parse_smaps(repeat(\$t\$$smaps\$t\$, $copies))");
# the postmaster's heap and the executable mappings of its objects
my $heap = () = $maps =~ / \[heap\]$/mg;
my $text = () = $maps =~ /^\S+ ..xp \S+ \S+ [1-9]\d* +\//mg;
is($out, join('|', $copies * $nvmas, $copies * $text, $copies * $heap),
	sprintf('%.1f MB of smaps text: one row per mapping, classified as in one copy',
		$copies * length($smaps) / 1024 / 1024));

# Classified one mapping at a time, as the array of a process's mappings is
# classified at once: the postmaster's smaps parsed from text and read by
# vmastat_vmas(), mapping by mapping (the main segment is recognized by
# address in the one and by name in the other, so shared memory is left out)
my ($compared, $differ) = split /\|/, $node->safe_psql(
	'postgres',
	"SELECT count(*), count(*) FILTER (WHERE p.kind IS DISTINCT FROM v.kind)
	 FROM vmastat_parse_smaps(\$t\$$smaps\$t\$) AS p
	     FULL JOIN vmastat_vmas($pm_pid) AS v USING (start_addr)
	 WHERE coalesce(v.kind, p.kind) NOT IN ('shm_main', 'shared')");
ok($compared > 0 && $differ == 0,
	"each of $compared mappings is classified as when it is read from /proc");

# A long parse obeys statement_timeout.  The text, made beforehand, is 48 MB
# of the shortest mapping lines, some three million mappings that take
# seconds to parse and store, and ends in a line that cannot be parsed: a
# parse that does not check for interrupts reads it all and fails on that
# line (or runs out of memory) instead of being cancelled.
my $short = "0-1 r--p 0 0:0 0\n";
my $session = $node->background_psql('postgres', on_error_stop => 0);
$session->query_safe(
	"CREATE TEMP TABLE big AS
	 SELECT repeat('$short', 48 * 1024 * 1024 / length('$short')) || E'garbage\\n' AS t");
$session->query("SET statement_timeout = '200ms';
	SELECT count(*) FROM big, vmastat_parse_smaps(big.t)");
like($session->{stderr}, qr/canceling statement due to statement timeout/,
	'statement_timeout cancels the parse of 48 MB of text');
$session->{stderr} = '';
is($session->query("RESET statement_timeout; SELECT 1"), '1', 'the session goes on');

$session->quit;

# Memory: 8 MB of the shortest mapping lines are about 490,000 mappings.
# Kept as an array of parsed mappings they took some 20 times the text;
# streamed, the peak is the text, its copy and work_mem for the rows.  A
# new session, whose allocator has kept no memory freed by earlier queries.
$session = $node->background_psql('postgres');
my $pid = $session->query_safe('SELECT pg_backend_pid()');
$pid =~ s/\D//g;
my $nshort = int(8 * 1024 * 1024 / length($short));
sub status_kb
{
	my ($field) = @_;
	slurp_file("/proc/$pid/status") =~ /^$field:\s+(\d+) kB$/m or die "no $field";
	return $1;
}
# "5" resets the peak resident size to the current one
open my $clear, '>', "/proc/$pid/clear_refs" or die "clear_refs: $!";
print $clear "5\n";
close $clear;
my $rss_before = status_kb('VmRSS');
is($session->query_safe(
		"SELECT count(*) FROM vmastat_parse_smaps(repeat('$short', $nshort))"),
	$nshort, "$nshort mappings parsed");
my $peak = status_kb('VmHWM') - $rss_before;
note("peak growth $peak kB for " . int($nshort * length($short) / 1024) . ' kB of text');
cmp_ok($peak, '<', 4 * 8 * 1024, 'the peak memory stays below four times the text');
$session->quit;

$node->stop;
done_testing();
