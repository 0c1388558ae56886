# Races: while eight loops connect and disconnect and parallel queries start
# and stop workers, a session reads every server process hundreds of times.
# No error, no warning, no partial process.  Then cancel: a long scan stops
# promptly on statement_timeout and on pg_cancel_backend, and the session
# stays usable with no file left open.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $node = PostgreSQL::Test::Cluster->new('races');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
max_connections = 60
max_worker_processes = 16
max_parallel_workers = 8
max_parallel_workers_per_gather = 2
parallel_setup_cost = 0
parallel_tuple_cost = 0
min_parallel_table_scan_size = 0
log_connections = off
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION vmastat;
CREATE TABLE t AS SELECT g FROM generate_series(1, 200000) AS g;
ANALYZE t;
});

my $psql = $node->installed_command(['psql'])->[0];
my $connstr = $node->connstr('postgres');

# The churn: eight loops of short connections, two loops of parallel queries
my @churn;
my $stop_file = $node->basedir . '/stop_churn';
for my $i (1 .. 8)
{
	push @churn, IPC::Run::start(
		[ 'bash', '-c',
		  "while [ ! -e '$stop_file' ]; do '$psql' -X -q -d '$connstr' -c 'SELECT 1' >/dev/null 2>&1; done" ]);
}
for my $i (1 .. 2)
{
	push @churn, IPC::Run::start(
		[ 'bash', '-c',
		  "while [ ! -e '$stop_file' ]; do '$psql' -X -q -d '$connstr' -c 'SELECT count(*) FROM t' >/dev/null 2>&1; done" ]);
}

# The last mapping of this backend (the top of the address space: [vsyscall]
# on x86-64) is the last line every server process prints; a process whose
# text was cut short would lack it.
my $last_path = $node->safe_psql('postgres',
	'SELECT path FROM vmastat_vmas(pg_backend_pid()) ORDER BY length(end_addr) DESC, end_addr DESC LIMIT 1');
note("sentinel mapping: $last_path");

my $sessions_before = $node->safe_psql('postgres',
	'SELECT sessions FROM pg_stat_database WHERE datname = current_database()');
my $rounds = 250;
my $script = '';
for (1 .. $rounds)
{
	$script .= "SELECT count(*) > 0 FROM vmastat_backends();\n";
	$script .= "SELECT count(*) > 0 FROM vmastat_backends(fast => true);\n";
	$script .= "SELECT count(*) > 0 FROM vmastat_activity;\n";
	$script .= "SELECT count(DISTINCT pid) = count(DISTINCT pid) FILTER (WHERE path = '$last_path') "
	  . "FROM vmastat_vmas;\n";
}
my ($out, $err) = ('', '');
my $started = time;
IPC::Run::run([ $psql, '-X', '-At', '-d', $connstr, '-v', 'ON_ERROR_STOP=0' ],
	'<', \$script, '>', \$out, '2>', \$err);
my $elapsed = time - $started;
my $seen_processes = $node->safe_psql('postgres', 'SELECT count(*) FROM vmastat_backends()');

open my $stop, '>', $stop_file or die $!;
close $stop;
$_->finish for @churn;

note(sprintf('%d statements in %.1f s', 4 * $rounds, $elapsed));
is($err, '', 'no error and no warning while processes come and go');
my @results = split /\n/, $out;
is(scalar @results, 4 * $rounds, 'every statement returned');
is(scalar(grep { $_ ne 't' } @results), 0, 'every process read was complete');
unlike(slurp_file($node->logfile), qr/could not (open|read|parse) file "\/proc/,
	'no /proc read failed');
cmp_ok($node->safe_psql('postgres', 'SELECT sessions FROM pg_stat_database WHERE datname = current_database()')
	  - $sessions_before, '>', 100, 'many sessions came and went meanwhile');

# Cancel: a scan repeated for every row of a long series, stopped by a timeout
my $session = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $session->query_safe('SELECT pg_backend_pid()');
$pid =~ s/\D//g;
# files the backend keeps open under /proc (none expected)
sub proc_fds
{
	return join(' ', sort grep { m{^/proc} } map { readlink($_) // '' } glob("/proc/$pid/fd/*"));
}
my $fds_before = proc_fds();
$started = time;
my $result = $session->query(
	"SET statement_timeout = '500ms';
	 SELECT sum((SELECT count(*) FROM vmastat_vmas_of((SELECT array_agg(pid) FROM pg_stat_activity WHERE g > 0))))
	 FROM generate_series(1, 100000) AS g;");
my $cancel_time = time - $started;
like($session->{stderr}, qr/canceling statement due to statement timeout/,
	'statement_timeout cancels a whole-cluster scan');
cmp_ok($cancel_time, '<', 5, 'promptly');
note(sprintf('cancelled after %.2f s with a 0.5 s timeout', $cancel_time));
$session->{stderr} = '';

# pg_cancel_backend from another session
$session->query_until(qr/started/,
	"RESET statement_timeout;\n\\echo started\nSELECT sum((SELECT count(*) FROM vmastat_backends(fast => g < 0))) FROM generate_series(1, 100000) AS g;\n");
sleep(1);
$started = time;
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
$node->poll_query_until('postgres',
	"SELECT state = 'idle' FROM pg_stat_activity WHERE pid = $pid")
  or die 'the cancelled query did not stop';
$cancel_time = time - $started;
cmp_ok($cancel_time, '<', 5, 'pg_cancel_backend stops a whole-cluster scan promptly');
note(sprintf('pg_cancel_backend took effect after %.2f s', $cancel_time));

# The session goes on, with no file left open by the cancelled scans
my $after = $session->query('SELECT count(*) > 0 FROM vmastat_backends()');
like($session->{stderr}, qr/canceling statement due to user request/,
	'the scan ended by the cancel request');
is($after, 't', 'the session stays usable');
is(proc_fds(), $fds_before, 'no /proc file left open by the cancelled scans');
$session->quit;

$node->stop;
done_testing();
