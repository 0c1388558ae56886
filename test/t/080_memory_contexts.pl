# vmastat_memory_contexts(pid, timeout): a process's memory contexts read
# back from the server log, checked against pg_backend_memory_contexts of
# the same backend in the same statement, and against the dump lines parsed
# here from the log, independently of the C parser.  With stderr going to a
# pg_ctl -l file and with the logging collector writing stderr, csvlog and
# jsonlog; concurrent requests, a process that never answers, the errors,
# the privileges, and multibyte and look-alike text in the log.
use strict;
use warnings;

use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('memctx');
$node->init;
$node->append_conf('postgresql.conf', "lc_messages = 'C'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');
my $v18 = $node->safe_psql('postgres', 'SHOW server_version_num') >= 180000;

# The dump of process $pid in the stderr log $file after byte $offset, as
# a list of hashes, parsed with regular expressions of its own
sub log_dump
{
	my ($file, $offset, $pid) = @_;
	open my $fh, '<', $file or die "could not open $file: $!";
	seek $fh, $offset, 0;
	my (@rows, $started);
	my $num = qr/(\d+) total in (\d+) blocks; (\d+) free \((\d+) chunks\); (\d+) used/;
	while (my $line = <$fh>)
	{
		chomp $line;
		next unless $line =~ /^\S+ \S+ \S+ .*?\[$pid\] .*?LOG:  (.*)$/;
		my $msg = $1;
		if ($msg eq "logging memory contexts of PID $pid") { $started = 1; @rows = (); next; }
		next unless $started;
		if ($msg =~ /^level: (\d+); (\d+) more child contexts containing $num$/)
		{
			push @rows, { kind => 'summary', level => $1 + 1, contexts => $2,
				total_bytes => $3, total_nblocks => $4, free_bytes => $5,
				free_chunks => $6, used_bytes => $7 };
		}
		elsif ($msg =~ /^level: (\d+); (.+?): $num(?:: (.*))?$/)
		{
			push @rows, { kind => 'context', level => $1, name => $2,
				total_bytes => $3, total_nblocks => $4, free_bytes => $5,
				free_chunks => $6, used_bytes => $7, ident => $8, contexts => 1 };
		}
		elsif ($msg =~ /^Grand total: (\d+) bytes in (\d+) blocks; (\d+) free \((\d+) chunks\); (\d+) used$/)
		{
			push @rows, { kind => 'total', total_bytes => $1, total_nblocks => $2,
				free_bytes => $3, free_chunks => $4, used_bytes => $5 };
			return \@rows;
		}
	}
	return undef;
}

my @cols = qw(kind name ident parent level contexts total_bytes total_nblocks
  free_bytes free_chunks used_bytes);

# vmastat_memory_contexts rows as hashes, from a JSON array
sub rows_of
{
	my ($json) = @_;
	return decode_json($json);
}

my $json_rows = "SELECT coalesce(json_agg(m), '[]') FROM vmastat_memory_contexts(%s) AS m";

# Same row, field by field (undef and NULL alike)
sub same_rows
{
	my ($got, $want, $what) = @_;
	my @diff;
	for my $i (0 .. ($#$want > $#$got ? $#$want : $#$got))
	{
		for my $c (qw(kind name ident level contexts total_bytes total_nblocks free_bytes free_chunks used_bytes))
		{
			my ($g, $w) = ($got->[$i]{$c}, $want->[$i]{$c});
			push @diff, "row $i $c: got " . ($g // 'NULL') . ', log has ' . ($w // 'NULL')
			  if ($g // "\0") ne ($w // "\0");
		}
		last if @diff > 5;
	}
	is(scalar @diff, 0, $what) or diag join("\n", @diff);
}

#
# 1. The backend's own contexts, in the same statement as
# pg_backend_memory_contexts.  The dump is written while the function
# waits; the view is read right after, in the same statement.  Between the
# two, only the statement's own memory changes: the portal's context and
# everything under it (executor state, the function's rows).  Outside it,
# every context must have the same name, level, ident and size; the grand
# totals then differ by exactly what the portal held at each moment.  The
# statement is run twice in one session and the second compared, so that
# catalog caches filled by the first (CacheMemoryContext) are warm.
#
{
	my $view_cols = $v18 ? 'name, ident, level, total_bytes, used_bytes, path'
	  : 'name, ident, level, total_bytes, used_bytes, parent';
	# jsonb's text has no line breaks
	my $sql = "SELECT (SELECT json_agg(m)::jsonb FROM vmastat_memory_contexts(pg_backend_pid()) AS m),
	                  (SELECT json_agg(v)::jsonb FROM (SELECT $view_cols FROM pg_backend_memory_contexts) AS v)";
	my $out = $node->safe_psql('postgres', "$sql;\n$sql", extra_params => [ '-F', "\x1f" ]);
	my (undef, $line) = split /\n/, $out;
	my ($mj, $vj) = split /\x1f/, $line;
	my ($m, $v) = (decode_json($mj), decode_json($vj));

	is($m->[-1]{kind}, 'total', 'own backend: the last row is the grand total');
	is(scalar(grep { $_->{kind} eq 'summary' } @$m), 0,
		'own backend: a fresh session has fewer than 100 children per context, so no summary');

	# the portal's subtree: in the dump by path; in the view by path (18)
	# or by the depth-first order of the rows (15, 17)
	my $in_portal_m = sub { grep { $_ eq 'PortalContext' } @{ $_[0]{path} } };
	my @v_portal;
	if ($v18)
	{
		my %portal_ids = map { $_->{path}[-1] => 1 } grep { $_->{name} eq 'PortalContext' } @$v;
		@v_portal = map { my $r = $_; scalar grep { $portal_ids{$_} } @{ $r->{path} } } @$v;
	}
	else
	{
		my $portal_level;
		for my $r (@$v)
		{
			undef $portal_level if defined $portal_level && $r->{level} <= $portal_level;
			$portal_level = $r->{level} if !defined $portal_level && $r->{name} eq 'PortalContext';
			push @v_portal, defined $portal_level ? 1 : 0;
		}
	}
	my (%mset, %vset, $m_portal, $v_portal, $v_sum);
	my $key = sub {
		my $r = shift;
		my $ident = $r->{ident} // '';
		$ident = substr($ident, 0, 50) if length($ident) > 50;
		# the dump's own messages use ErrorContext, and the statement
		# allocates a few bytes in TopMemoryContext after the dump
		join '|', $r->{level}, $r->{name}, $ident, $r->{total_bytes},
		  $r->{name} =~ /^(ErrorContext|TopMemoryContext)$/ ? '' : $r->{used_bytes};
	};
	for my $r (@$m)
	{
		next if $r->{kind} ne 'context';
		if ($in_portal_m->($r)) { $m_portal += $r->{total_bytes}; next; }
		$mset{ $key->($r) }++;
	}
	for my $i (0 .. $#$v)
	{
		$v_sum += $v->[$i]{total_bytes};
		if ($v_portal[$i]) { $v_portal += $v->[$i]{total_bytes}; next; }
		$vset{ $key->($v->[$i]) }++;
	}
	my @only_m = grep { ($mset{$_} // 0) > ($vset{$_} // 0) } sort keys %mset;
	my @only_v = grep { ($vset{$_} // 0) > ($mset{$_} // 0) } sort keys %vset;
	ok(keys %mset > 20, 'own backend: many contexts outside the statement');
	is_deeply([ @only_m, @only_v ], [],
		'own backend: outside the statement, the same contexts with the same level, ident and size')
	  or diag "dump only:\n", join("\n", @only_m), "\nview only:\n", join("\n", @only_v);
	ok($m_portal > 0 && $v_portal > 0, 'own backend: both saw the statement\'s portal');
	is($m->[-1]{total_bytes} - $m_portal, $v_sum - $v_portal,
		'own backend: the grand totals differ by exactly what the statement held');
}

#
# 2. Another backend that prepared 1,000 statements
#
my $other = $node->background_psql('postgres');
$other->query_safe("DO \$\$BEGIN FOR i IN 1..1000 LOOP EXECUTE format('PREPARE s%s AS SELECT %s', i, i); END LOOP; END\$\$");
my $other_pid = $other->query_safe('SELECT pg_backend_pid()');
$other_pid =~ s/\D//g;
{
	my $offset = -s $node->logfile;
	my $m = rows_of($node->safe_psql('postgres', sprintf($json_rows, $other_pid)));
	my $log = log_dump($node->logfile, $offset, $other_pid);
	ok(defined $log, 'prepared: the dump is in the log');
	same_rows($m, $log // [], 'prepared: every row is the line of the log, in order');
	my @plans = grep { ($_->{name} // '') eq 'CachedPlanSource' } @$m;
	my ($cache) = grep { ($_->{name} // '') eq 'CacheMemoryContext' } @$m;
	my @summary = grep { $_->{kind} eq 'summary' && $_->{parent} eq 'CacheMemoryContext' } @$m;
	ok(@plans > 0 && @plans <= 100, 'prepared: the server prints at most 100 children of CacheMemoryContext');
	is(scalar @summary, 1, 'prepared: one summary of the rest of them');
	is($summary[0]{level}, $cache->{level} + 1, 'prepared: at the level of the children it sums');
	# up to 16 the summary counts children, from 17 on their descendants too
	cmp_ok(scalar(@plans) + $summary[0]{contexts}, '>=', 1000,
		'prepared: the printed CachedPlanSource contexts and the summary account for the 1,000 statements');
	my $sum = 0;
	$sum += $_->{total_bytes} for grep { $_->{kind} ne 'total' } @$m;
	is($sum, $m->[-1]{total_bytes}, 'prepared: the rows add up to the grand total');
	my ($lt) = grep { $_->{kind} eq 'total' } @{ $log // [] };
	is($m->[-1]{total_bytes}, $lt->{total_bytes}, 'prepared: grand total as logged');
}

#
# 3. Errors and limits with stderr going to the pg_ctl -l file
#
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM vmastat_memory_contexts(1)');
is($out, '0', 'not a server process: no rows');
like($err, qr/WARNING:  PID 1 is not a PostgreSQL server process/, 'not a server process: the warning of pg_log_backend_memory_contexts');

# a stopped process never answers
my $stopped = $node->background_psql('postgres');
my $stopped_pid = $stopped->query_safe('SELECT pg_backend_pid()');
$stopped_pid =~ s/\D//g;
kill 'STOP', $stopped_pid;
($ret, $out, $err) = $node->psql('postgres',
	"SELECT count(*) FROM vmastat_memory_contexts($stopped_pid, '200ms')");
kill 'CONT', $stopped_pid;
like($err, qr/ERROR:  timed out waiting for the memory contexts of process $stopped_pid in the server log.*HINT:  .*log_min_messages/s,
	'a process that does not answer: error at the timeout, with a hint');
$stopped->quit;

($ret, $out, $err) = $node->psql('postgres', "SELECT count(*) FROM vmastat_memory_contexts(pg_backend_pid(), '-1s')");
like($err, qr/timeout must be between/, 'a negative timeout is refused');

# privileges: refused without EXECUTE; granted, a role reads its own
# backend's idents but not those of another role's backend
$node->safe_psql('postgres', 'CREATE ROLE alice LOGIN');
($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM vmastat_memory_contexts(pg_backend_pid())',
	extra_params => [ '-U', 'alice' ]);
like($err, qr/permission denied for function vmastat_memory_contexts/, 'not granted: refused');
$node->safe_psql('postgres', 'GRANT EXECUTE ON FUNCTION vmastat_memory_contexts(integer, interval) TO alice');
$out = $node->safe_psql('postgres',
	"PREPARE mine AS SELECT 'alice was here'; SELECT count(*) FROM vmastat_memory_contexts(pg_backend_pid()) WHERE ident LIKE 'PREPARE mine AS%'",
	extra_params => [ '-U', 'alice' ]);
is($out, '1', 'granted: the role reads its own backend, idents included');
$out = $node->safe_psql('postgres',
	"SELECT count(*) > 0, count(ident) FROM vmastat_memory_contexts($other_pid)",
	extra_params => [ '-U', 'alice' ]);
is($out, 't|0', 'granted: another role\'s backend without its idents');

# no %p in log_line_prefix, and a log_destination that is not a file
$node->safe_psql('postgres', "ALTER SYSTEM SET log_line_prefix = '%m '; SELECT pg_reload_conf()");
$node->poll_query_until('postgres', "SELECT current_setting('log_line_prefix') = '%m '");
($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM vmastat_memory_contexts(pg_backend_pid())');
like($err, qr/ERROR:  cannot tell the lines of server processes apart.*HINT:  Add %p to log_line_prefix/s,
	'stderr without %p in the prefix: error with a hint');
$node->safe_psql('postgres', "ALTER SYSTEM RESET log_line_prefix; ALTER SYSTEM SET log_destination = 'syslog'; SELECT pg_reload_conf()");
$node->poll_query_until('postgres', "SELECT current_setting('log_destination') = 'syslog'");
($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM vmastat_memory_contexts(pg_backend_pid())');
like($err, qr/ERROR:  cannot read memory contexts back from the server log.*log_destination is "syslog".*HINT:  Add stderr, csvlog or jsonlog/s,
	'syslog only: error with a hint');
$node->safe_psql('postgres', "ALTER SYSTEM RESET log_destination; SELECT pg_reload_conf()");
$node->poll_query_until('postgres', "SELECT current_setting('log_destination') = 'stderr'");

#
# 4. Concurrent requests, multibyte text and look-alike lines in the log.
# Two marked targets; pairs of sessions ask for different and for the same
# target at once while a third session logs multibyte text and lines that
# quote a target's PID and a dump line.  Run for every way of logging.
#
sub concurrent_requests
{
	my ($setup) = @_;
	my @targets = map { $node->background_psql('postgres') } 1 .. 2;
	my @pids;
	for my $i (0, 1)
	{
		my $p = $targets[$i]->query_safe('SELECT pg_backend_pid()');
		$p =~ s/\D//g;
		push @pids, $p;
		$targets[$i]->query_safe("PREPARE marker AS SELECT 'target $i: 日本語 ünïcödé'");
	}
	my $fake = "level: 1; Fake: 1 total in 1 blocks; 0 free (0 chunks); 1 used";
	my $noise = "DO \$\$BEGIN FOR i IN 1..50 LOOP
	    RAISE LOG '[%] LOG:  %', $pids[0], '$fake 日本語';
	    RAISE LOG E'multi\\n2026-01-01 00:00:00.000 UTC [%] LOG:  $fake', $pids[1];
	    PERFORM pg_sleep(0.002); END LOOP; END\$\$";
	my @asks = ([ 0, 0 ], [ 1, 1 ], [ 2, 0 ], [ 3, 0 ]);
	my (@out, @err, @h);
	push @h, IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c', $noise ],
		'>', \my $nout, '2>', \my $nerr);
	for my $a (@asks)
	{
		my ($k, $t) = @$a;
		push @h, IPC::Run::start(
			[ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c',
			  "SELECT count(*), count(*) FILTER (WHERE kind = 'total'),
			          string_agg(ident, ',') FILTER (WHERE ident LIKE 'PREPARE marker%'),
			          count(*) FILTER (WHERE name = 'Fake')
			   FROM vmastat_memory_contexts($pids[$t])" ],
			'>', \$out[$k], '2>', \$err[$k]);
	}
	$_->finish for @h;
	for my $a (@asks)
	{
		my ($k, $t) = @$a;
		my ($n, $totals, $marker, $fakes) = split /\|/, $out[$k] // '';
		chomp $fakes if defined $fakes;
		is($err[$k], '', "$setup: request $k for target $t: no error");
		ok(defined $n && $n > 20 && $totals == 1, "$setup: request $k: a whole dump");
		# the statement's newline before the ";" of BackgroundPsql is a space
		is($marker, "PREPARE marker AS SELECT 'target $t: 日本語 ünïcödé' ;",
			"$setup: request $k: the target's own contexts, multibyte ident intact");
		is($fakes, '0', "$setup: request $k: no line of another process");
	}
	$_->quit for @targets;
}

concurrent_requests('stderr to a pg_ctl -l file');

for my $dest ('stderr', 'csvlog', 'jsonlog')
{
	$node->append_conf('postgresql.conf',
		"logging_collector = on\nlog_destination = '$dest'\n");
	$node->restart;
	SKIP:
	{
		skip "this PostgreSQL has no $dest", 1
		  unless $node->safe_psql('postgres', 'SHOW log_destination') eq $dest;
		my $out = $node->safe_psql('postgres',
			"SELECT count(*) > 20, count(*) FILTER (WHERE kind = 'total')
			 FROM vmastat_memory_contexts(pg_backend_pid())");
		is($out, 't|1', "collector $dest: the own backend's dump");
		concurrent_requests("collector $dest");
	}
}

# the logging collector rotating its file while the request waits: the
# request is made to a process that is stopped, the file is rotated, the
# process continues and dumps into the new file
{
	my $target = $node->background_psql('postgres');
	my $pid = $target->query_safe('SELECT pg_backend_pid()');
	$pid =~ s/\D//g;
	my $before = $node->safe_psql('postgres', 'SELECT pg_current_logfile()');
	kill 'STOP', $pid;
	my $h = IPC::Run::start(
		[ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c',
		  "SELECT count(*) > 20, count(*) FILTER (WHERE kind = 'total') FROM vmastat_memory_contexts($pid, '20s')" ],
		'>', \my $rout, '2>', \my $rerr);
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%vmastat_memory_contexts($pid,%' AND pid <> pg_backend_pid()");
	# a new file name needs a new second in the default log_filename
	sleep 1;
	$node->safe_psql('postgres', 'SELECT pg_rotate_logfile()');
	$node->poll_query_until('postgres', "SELECT pg_current_logfile() <> '$before'");
	kill 'CONT', $pid;
	$h->finish;
	is($rerr, '', 'rotation while waiting: no error');
	is($rout, "t|1\n", 'rotation while waiting: the dump is followed into the new file');
	$target->quit;
}

$other->quit;

# /dev/null as standard error: no collector, the server started by pg_ctl
# without -l from a shell whose output goes to /dev/null
$node->stop;
$node->append_conf('postgresql.conf', "logging_collector = off\nlog_destination = 'stderr'\n");
system_or_bail('sh', '-c', 'pg_ctl -D "$1" -w start >/dev/null 2>&1', 'sh', $node->data_dir);
($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM vmastat_memory_contexts(pg_backend_pid())');
like($err, qr/ERROR:  cannot read memory contexts back from the server log.*DETAIL:  The standard error of the server goes to a terminal or device such as \/dev\/null.*HINT:  Turn on logging_collector/s,
	'standard error to /dev/null: error with a hint');
system_or_bail('pg_ctl', '-D', $node->data_dir, '-m', 'fast', '-w', 'stop');

done_testing();
