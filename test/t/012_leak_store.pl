# The leak finder's state through the background sampler on real clusters:
# - the evidence of a leak survives the crash restart that follows a SIGKILL
#   of the leaking backend, marked as from before the restart, and the
#   first naming of a suspect is logged once;
# - the sampler takes per-kind readings at the step it documents
#   (1 MB, or 10% of owned memory if more) and forgets exited processes
#   after vmastat.history_keep;
# - the names of a process follow a changed application_name;
# - on a hot standby the sampler runs without writing, names a leaking
#   read-only session, and goes on after promotion.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);

my $conf = q{
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = '200ms'
vmastat.database = 'postgres'
vmastat.leak_min_span = '3s'
vmastat.leak_min_samples = 10
restart_after_crash = on
};

my $node = PostgreSQL::Test::Cluster->new('store');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', $conf);
$node->start;
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION vmastat;
CREATE FUNCTION vmastat_test_leak(bigint) RETURNS bigint
    AS '$libdir/vmastat_test_leak' LANGUAGE C STRICT;
});

# A session that leaks $step bytes every $pause s until it is stopped
sub start_leaker
{
	my ($nodex, $name, $step, $pause) = @_;
	my $session = $nodex->background_psql('postgres', on_error_stop => 0);
	my $pid = $session->query_safe(
		"SET application_name = '$name'; SELECT pg_backend_pid()");
	$pid =~ s/\D//g;
	$session->query_until(
		qr/started/, qq{\\echo started
DO \$\$ BEGIN LOOP
    PERFORM vmastat_test_leak($step);
    PERFORM pg_sleep($pause);
END LOOP; END \$\$;
});
	return ($session, $pid);
}

# ---- Crash evidence ----

my ($leaker, $leaker_pid) = start_leaker($node, 'crashing', 2 * 1024 * 1024, 0.2);
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM vmastat_leaks WHERE pid = $leaker_pid")
  or die 'the leaker is never named';
my $named = $node->safe_psql('postgres',
	"SELECT backend_type, application_name, alive, before_restart, kinds_grown
     FROM vmastat_leaks WHERE pid = $leaker_pid");
like($named, qr/^client backend\|crashing\|t\|f\|anon \+/,
	'a running leaker is named, its growth in anonymous mappings');

# a few more samples, then one LOG line only, at the first naming
sleep(1);
my $log = slurp_file($node->logfile);
my @lines = ($log =~ /vmastat: process $leaker_pid looks like a memory leak[^\n]*\n[^\n]*DETAIL:([^\n]*)/g);
is(scalar(@lines), 1, 'the first naming is logged once');
like($lines[0] // '', qr/"client backend", database "postgres", user "\w+", application "crashing"; grown: anon \+/,
	'the log line names the process and what grew');

ok(-s $node->data_dir . '/pg_stat_tmp/vmastat.state',
	'the evidence is written to pg_stat_tmp/vmastat.state at once');

kill 'KILL', $leaker_pid;
$leaker->{run}->kill_kill;
$node->poll_query_until('postgres', 'SELECT true')
  or die 'the server does not come back';
like(slurp_file($node->logfile), qr/terminated by signal 9/,
	'the server went through a crash restart');
my $after = $node->safe_psql('postgres',
	"SELECT alive, before_restart, application_name, kinds_grown LIKE 'anon +%'
     FROM vmastat_leaks WHERE pid = $leaker_pid");
is($after, 'f|t|crashing|t',
	'after the crash restart the killed leaker is still a suspect, from before the restart');

# ---- Per-kind readings at the sampler's step ----

# the growth below must not make a suspect, whose first naming takes a
# reading of its own
sub set_min_growth
{
	my ($value) = @_;
	$node->safe_psql('postgres',
		"ALTER SYSTEM SET vmastat.leak_min_growth = '$value'; SELECT pg_reload_conf()");
	$node->poll_query_until('postgres',
		"SELECT current_setting('vmastat.leak_min_growth') = '$value'")
	  or die "vmastat.leak_min_growth is not $value";
}
set_min_growth('1GB');

my $quiet = $node->background_psql('postgres');
my $quiet_pid = $quiet->query_safe('SELECT pg_backend_pid()');
$quiet_pid =~ s/\D//g;
# warm the session up: the first calls load the test library and fill the
# caches, which a young backend's owned memory may grow by a step for
$quiet->query_safe('SELECT vmastat_test_leak(65536)') for 1 .. 2;
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM vmastat_leak_kinds WHERE pid = $quiet_pid")
  or die 'no baseline reading of a new process';

sub last_reading
{
	return $node->safe_psql('postgres',
		"SELECT max(last_time) FROM vmastat_leak_kinds WHERE pid = $quiet_pid");
}

# 1.2 MB is past the step whatever the warm-up added since the first
# reading; the new reading is where the next step is measured from
my $first = last_reading();
$quiet->query_safe('SELECT vmastat_test_leak(1200 * 1024)');
ok( $node->poll_query_until('postgres',
		"SELECT max(last_time) > '$first' FROM vmastat_leak_kinds WHERE pid = $quiet_pid"),
	'growth past the step takes a new reading');
my $stepped = last_reading();
my $anon = $node->safe_psql('postgres',
	"SELECT sum(anonymous_delta + swap_delta) FROM vmastat_leak_kinds WHERE pid = $quiet_pid");
cmp_ok($anon, '>=', 1200 * 1024 - 64 * 1024, 'the new reading holds the growth');

# 600 kB is below the step of 1 MB, but above 10% of what this backend owns
my $owned = $node->safe_psql('postgres',
	"SELECT anon_last FROM vmastat_growth WHERE pid = $quiet_pid AND alive");
note("owned: $owned bytes");
cmp_ok($owned, '<', 6 * 1024 * 1024, 'the backend owns less than 6 MB');
$quiet->query_safe('SELECT vmastat_test_leak(600 * 1024)');
sleep(1.5);
is(last_reading(), $stepped, 'growth below the step takes no new reading');
$quiet->query_safe('SELECT vmastat_test_leak(500 * 1024)');
ok( $node->poll_query_until('postgres',
		"SELECT max(last_time) > '$stepped' FROM vmastat_leak_kinds WHERE pid = $quiet_pid"),
	'growth adding up past the step takes a new reading');
$quiet->quit;
set_min_growth('1MB');

# ---- Names follow a changed application_name ----

# The sampler keeps the names between samples and takes them again for a
# new PID or after 10 s.  Both sessions below exist already and nothing
# else connects meanwhile, so only the 10 s bring the new name.
my $observer = $node->background_psql('postgres');
my $renamed = $node->background_psql('postgres');
my $renamed_pid = $renamed->query_safe('SELECT pg_backend_pid()');
$renamed_pid =~ s/\D//g;
my $shown = '';
for (1 .. 120)
{
	$shown = $observer->query_safe(
		"SELECT count(*) FROM vmastat_growth WHERE pid = $renamed_pid AND alive");
	last if $shown =~ /^1/;
	sleep(0.25);
}
$renamed->query_safe("SET application_name = 'renamed_later'");
for (1 .. 120)
{
	$shown = $observer->query_safe(
		"SELECT application_name FROM vmastat_growth WHERE pid = $renamed_pid AND alive");
	$shown =~ s/\s+$//;
	last if $shown eq 'renamed_later';
	sleep(0.25);
}
is($shown, 'renamed_later', 'a changed application_name shows in the next taking of the names');
$observer->quit;
$renamed->quit;

# ---- Forgetting exited processes after vmastat.history_keep ----

$node->safe_psql('postgres',
	"ALTER SYSTEM SET vmastat.history_keep = '2s'; SELECT pg_reload_conf()");
$node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM vmastat_growth WHERE pid IN ($leaker_pid, $quiet_pid)")
  or die 'the sampler never forgets exited processes';
is( $node->safe_psql('postgres',
		"SELECT count(*) > 0 FROM vmastat_growth WHERE backend_type = 'postmaster' AND alive"),
	't', 'running processes are kept');
pass('the sampler forgot the exited processes after vmastat.history_keep');

# ---- Hot standby ----

$node->safe_psql('postgres',
	"ALTER SYSTEM RESET vmastat.history_keep; SELECT pg_reload_conf()");
$node->backup('store_backup');
my $standby = PostgreSQL::Test::Cluster->new('store_standby');
$standby->init_from_backup($node, 'store_backup', has_streaming => 1);
$standby->start;
$node->wait_for_catchup($standby);
ok($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()') eq 't',
	'the standby is in recovery');
$standby->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM vmastat_growth WHERE backend_type = 'startup' AND samples > 1")
  or die 'the sampler does not sample on the standby';

my ($reader, $reader_pid) = start_leaker($standby, 'reporting', 2 * 1024 * 1024, 0.2);
$standby->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM vmastat_leaks WHERE pid = $reader_pid AND alive")
  or die 'a leaking read-only session on the standby is never named';
like( $standby->safe_psql('postgres',
		"SELECT leak FROM vmastat_top WHERE pid = $reader_pid"),
	qr/^growing /, 'vmastat_top on the standby shows the leak');

$standby->promote;
my $samples = $standby->safe_psql('postgres',
	"SELECT samples FROM vmastat_growth WHERE pid = $reader_pid");
$standby->poll_query_until('postgres',
	"SELECT samples > $samples + 5 FROM vmastat_growth WHERE pid = $reader_pid")
  or die 'sampling stops at promotion';
pass('sampling goes on after promotion');
$reader->{run}->kill_kill;

unlike(slurp_file($standby->logfile), qr/read-only transaction|vmastat sampler.*(ERROR|FATAL)/,
	'the sampler never tried to write on the standby');

$standby->stop;
$node->stop;
done_testing();
