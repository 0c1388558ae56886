# integrations/prometheus-sql-exporter/vmastat.yml in the real
# prometheus-sql-exporter, and integrations/grafana/vmastat-dashboard.json
# on what it serves.
#
# The exporter runs its job on a connection it keeps, at start and then
# every interval, and serves the last results.  The test runs the shipped
# file with three changes: its own connection, an interval of an hour (one
# run), and a statement the connection runs first, which waits for an
# advisory lock the test holds.  So the exporter's backend exists and waits
# while the test reads vmastat ("before"); the test then lets the run go,
# waits for its results and reads again ("after"), until no process but
# the exporter's and the test's own moved in between.  Processes that held
# still must show exactly vmastat's values (pss and uss, which the busy
# backends can lower by mapping the same pages, between the two reads);
# the two busy backends get a tolerance.  The leak suspects are those of vmastat_leaks, and the system
# figures those of vmastat_system.
use strict;
use warnings;

use FindBin;
use HTTP::Tiny;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep time);

# client backends listed one by one: "LIMIT 10" in the file
my $top_clients = 10;
my $lock_key = 4715;

my $config = "$FindBin::RealBin/../../integrations/prometheus-sql-exporter/vmastat.yml";
my $dashboard = "$FindBin::RealBin/../../integrations/grafana/vmastat-dashboard.json";
my $exporter_bin;
SEARCH:
for my $name (qw(prometheus-sql-exporter sql_exporter))
{
	for my $dir (split /:/, $ENV{PATH} // '')
	{
		if (-x "$dir/$name")
		{
			$exporter_bin = "$dir/$name";
			last SEARCH;
		}
	}
}
plan skip_all => 'prometheus-sql-exporter is not installed (Debian package prometheus-sql-exporter)'
  unless defined $exporter_bin;

my @metrics = qw(rss rss_anon rss_shmem pss uss swap writeable_private rss_peak);
my @labels = qw(pid backend_type datname usename application_name);

my $node = PostgreSQL::Test::Cluster->new('sql_exporter');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
autovacuum = off
shared_buffers = 32MB
huge_pages = off
# the leak finder's store; the test takes the samples itself
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 0
vmastat.leak_min_samples = 3
vmastat.leak_min_span = 0
});
$node->start;
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION vmastat;
CREATE ROLE exporter LOGIN;
GRANT pg_monitor TO exporter;
});

# Sessions: more idle client backends than are listed, one that holds
# prepared statements, and a leaker that the leak finder flags
my (%session, %pid);
sub open_session
{
	my ($name) = @_;
	$session{$name} = $node->background_psql('postgres');
	($pid{$name}) = $session{$name}->query_safe(
		"SET application_name = '$name'; SELECT pg_backend_pid()") =~ /(\d+)/;
	return $session{$name};
}
my @idle = map { sprintf('idle%02d', $_) } 1 .. 11;
open_session($_) for @idle;
open_session('holder')->query_safe(
	q{DO $$ BEGIN FOR i IN 1..600 LOOP
	    EXECUTE format('PREPARE h_%s AS SELECT %s AS n, relname FROM pg_class WHERE oid = 1259', i, i);
	END LOOP; END $$;});
open_session('leaker')->query_safe(
	q{DO $$ BEGIN FOR round IN 0..4 LOOP
	    FOR i IN round * 300 + 1..round * 300 + 300 LOOP
	        EXECUTE format('PREPARE l_%s AS SELECT %s AS n, relname FROM pg_class WHERE oid = 1259', i, i);
	    END LOOP;
	    PERFORM vmastat_snapshot();
	    PERFORM pg_sleep(0.2);
	END LOOP; END $$;});

my $reader = $node->background_psql('postgres');
$reader->query_safe("SET application_name = 'vmastat_test_reader'");

# The shipped file, run against this cluster once, after the lock
my $text = slurp_file($config);
my $dsn = sprintf(
	'postgres://exporter@/postgres?host=%s&port=%d&sslmode=disable&application_name=vmastat_exporter',
	$node->host, $node->port);
is(scalar($text =~ s{^(\s+- )'postgres://[^']*'$}{$1'$dsn'}mg), 1, 'the file has one connection');
is(scalar($text =~ s{^(\s+)interval: \S+$}{$1interval: 1h}mg), 1, 'the file has one interval');
# The connection first runs the job's queries a few times, as the runs
# before a measured one would: the pages a backend writes for its first
# queries (copies of pages it shared with the postmaster), and the shared
# memory it touches first, move the pss of the others.
my @queries;
while ($text =~ /^( +)query: \|\n((?:\1 +\S.*\n)+)/mg)
{
	push @queries, $2;
}
is(scalar @queries, 6, 'the file has six queries');
my $startup = join('', map { "      - |\n" . (s/^\s+//mgr =~ s/^/        /mgr) } (@queries) x 3)
  . "      - 'SELECT pg_advisory_xact_lock_shared($lock_key)'\n";
is(scalar($text =~ s{^(\s+)keepalive: true\n}{$1keepalive: true\n$1startup_sql:\n$startup}mg),
	1, 'the job keeps its connection');
my $test_config = "$PostgreSQL::Test::Utils::tmp_check/sql_exporter.yml";
open my $fh, '>', $test_config or die "$test_config: $!";
print $fh $text;
close $fh;

sub parse_metrics
{
	my ($content) = @_;
	my %series;
	for my $line (split /\n/, $content)
	{
		next if $line =~ /^#/ || $line !~ /\S/;
		my ($name, $labeltext, $value) =
		  $line =~ /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
		  or die "cannot parse metrics line: $line";
		my %l;
		while (defined $labeltext
			&& $labeltext =~ /\G,?([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/gc)
		{
			my ($k, $v) = ($1, $2);
			$v =~ s/\\n/\n/g;
			$v =~ s/\\(["\\])/$1/g;
			$l{$k} = $v;
		}
		push @{ $series{$name} }, { labels => \%l, value => $value };
	}
	return \%series;
}

# sql_NAME{col="COLUMN", labels} => { "label values" => { COLUMN => value } }
sub by_row
{
	my ($scraped, $name, @keys) = @_;
	my %rows;
	for my $s (@{ $scraped->{$name} // [] })
	{
		my $key = join('|', map { $s->{labels}{$_} // '?' } @keys);
		$rows{$key}{ $s->{labels}{col} } = $s->{value};
	}
	return \%rows;
}

sub read_vmastat
{
	my %now;
	my $rows = $reader->query_safe(
		q{SELECT b.pid, b.backend_type, coalesce(a.datname::text, ''),
		         coalesce(a.usename::text, ''), coalesce(a.application_name, ''),
		         b.rss, b.rss_anon, b.rss_shmem, b.pss, b.uss, coalesce(b.swap, 0),
		         b.writeable_private, b.rss_peak, b.oom_score, b.oom_score_adj
		  FROM vmastat_backends() AS b
		      LEFT JOIN pg_stat_activity AS a ON a.pid = b.pid});
	for my $line (split /\n/, $rows)
	{
		my %row;
		@row{ @labels, @metrics, qw(oom_score oom_score_adj) } = split /\|/, $line, -1;
		$now{ $row{pid} } = \%row;
	}
	return \%now;
}

my $http = HTTP::Tiny->new(timeout => 60);
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $url = "http://127.0.0.1:$port/metrics";
my $exporter_log = "$PostgreSQL::Test::Utils::log_path/sql_exporter.log";
my $exporter;
END
{
	local $?;
	$exporter->kill_kill(grace => 5) if $exporter;
}

# the row of vmastat_totals for the processes without a user (none busy)
my $totals_query = q{SELECT processes, pss, pss_shmem, uss, owned FROM vmastat_totals
                     WHERE level = 'user' AND usename IS NULL};

# One run of the exporter between two reads
sub one_run
{
	$reader->query_safe("SELECT pg_advisory_lock($lock_key)");
	$exporter = IPC::Run::start(
		[ $exporter_bin, "-config.file=$test_config", "-web.listen-address=127.0.0.1:$port" ],
		'<', \undef, '>>', $exporter_log, '2>&1');
	# polled from the reader: a new connection would be a process that
	# comes and goes around the reads
	my $waiting = 0;
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	while (!$waiting && time < $deadline)
	{
		$waiting = $reader->query_safe(
			q{SELECT count(*) FROM pg_stat_activity
			  WHERE application_name = 'vmastat_exporter' AND wait_event_type = 'Lock'});
		sleep(0.1) unless $waiting;
	}
	die "the exporter did not connect, see $exporter_log" unless $waiting;
	my $before = read_vmastat();
	my $totals0 = $reader->query_safe($totals_query);
	$reader->query_safe("SELECT pg_advisory_unlock($lock_key)");
	my $scraped;
	$deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	while (time < $deadline)
	{
		my $res = $http->get($url);
		if ($res->{success})
		{
			$scraped = parse_metrics($res->{content});
			# the last query of the job has run
			last if $scraped->{sql_vmastat_system};
		}
		sleep(0.1);
	}
	die "the exporter served no vmastat_system, see $exporter_log" unless $scraped->{sql_vmastat_system};
	my $after = read_vmastat();
	my $totals1 = $reader->query_safe($totals_query);
	my $system = $reader->query_safe(
		q{SELECT mem_total, swap_total, commit_limit, cgroup_limit, cgroup_high,
		         overcommit_memory, headroom_by FROM vmastat_system});
	my $leaks = $reader->query_safe(
		q{SELECT pid, coalesce(backend_type, ''), coalesce(datname::text, ''),
		         coalesce(usename::text, ''), coalesce(application_name, ''),
		         (anon_rate / 60.0)::float8, anon_last, anon_delta
		  FROM (SELECT DISTINCT ON (pid) * FROM vmastat_leaks ORDER BY pid, anon_rate DESC) AS l});
	return ($before, $scraped, $after, $system, $leaks, $totals0, $totals1);
}

# Stops the exporter, and waits until its backend has exited: an exiting
# process gives back pages it shared with the others
sub stop_exporter
{
	$exporter->kill_kill(grace => 5);
	undef $exporter;
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	while (time < $deadline)
	{
		last unless $reader->query_safe(
			q{SELECT count(*) FROM vmastat_backends(fast => true) AS b
			  WHERE b.backend_type = 'client backend'
			    AND NOT EXISTS (SELECT FROM pg_stat_activity AS a WHERE a.pid = b.pid)});
		sleep(0.1);
	}
}

# the reader's first queries, before anything is compared
read_vmastat();

my ($before, $scraped, $after, $system_row, $leak_rows, $totals0, $totals1, %busy);
my $stable;
for my $attempt (1 .. 5)
{
	($before, $scraped, $after, $system_row, $leak_rows, $totals0, $totals1) = one_run();
	%busy = map { $_ => 1 } grep {
		$before->{$_}{application_name} =~ /^vmastat_(exporter|test_reader)$/
	} keys %$before;
	my @moved;
	for my $p (keys %$before)
	{
		next if $busy{$p};
		my $r1 = $after->{$p} or next;
		# Sizes of the process itself must not move.  The busy backends may
		# map pages it maps (shared buffers, libraries): one more process
		# on a page only lowers its pss and uss, so the run saw a value
		# between the two reads; more than that must not happen.
		push @moved, map { "$p ($before->{$p}{application_name}) $_ $before->{$p}{$_} -> $r1->{$_}" }
		  grep {
			  /^(pss|uss)$/ ? $r1->{$_} > $before->{$p}{$_}
				: $r1->{$_} ne $before->{$p}{$_}
		  } @metrics;
	}
	push @moved, 'the set of processes'
	  if join(',', sort keys %$before) ne join(',', sort keys %$after);
	$stable = !@moved;
	last if $stable;
	note("attempt $attempt: moved between the reads: @moved[0 .. ($#moved < 3 ? $#moved : 3)]");
	stop_exporter();
}
ok($stable, 'the processes that run no query held still around the run');
my @shared_moved = grep {
	my $p = $_;
	!$busy{$p} && $after->{$p} && grep { $after->{$p}{$_} != $before->{$p}{$_} } qw(pss uss)
} keys %$before;
note('pss or uss lowered by the busy backends during the run: ' . (@shared_moved ? "@shared_moved" : 'none'));
is(scalar keys %busy, 2, 'the exporter and reader backends are known');
my $status = $scraped->{sql_exporter_last_scrape_failed} // [];
is(scalar @$status, scalar @queries, 'the exporter tells how each query went');
my @failed = grep { $_->{value} != 0 } @$status;
is(scalar @failed, 0, 'every query ran') or diag(explain \@failed);

# Per process: the listing rule and the values.  A busy backend may rank
# differently when the query ran: the idle ones fill the places left.
my $procs = by_row($scraped, 'sql_vmastat_process', @labels);
my %listed = map { (split /\|/)[0] => $_ } keys %$procs;
my @clients = sort {
	($after->{$b}{rss_anon} + $after->{$b}{swap}) <=> ($after->{$a}{rss_anon} + $after->{$a}{swap})
	  || $a <=> $b
} grep { $after->{$_}{backend_type} eq 'client backend' && !$busy{$_} } keys %$after;
my $busy_listed = grep { $listed{$_} } grep { $after->{$_}{backend_type} eq 'client backend' } keys %busy;
my %expected = map { $_ => 1 }
  (grep({ $after->{$_}{backend_type} ne 'client backend' || ($busy{$_} && $listed{$_}) } keys %$after),
	@clients[ 0 .. $top_clients - $busy_listed - 1 ]);
is_deeply([ sort { $a <=> $b } keys %listed ], [ sort { $a <=> $b } keys %expected ],
	'sql_vmastat_process: every process that is not a client backend, and the top client backends');
ok($listed{ $pid{holder} } && $listed{ $pid{leaker} }, 'the two biggest sessions are listed');
my @wrong;
for my $p (sort keys %listed)
{
	my ($r0, $r1) = ($before->{$p}, $after->{$p});
	next unless $r0 && $r1;
	push @wrong, "$p: labels $listed{$p}" if $listed{$p} ne join('|', map { $r1->{$_} } @labels);
	my $got = $procs->{ $listed{$p} };
	for my $m (@metrics, qw(oom_score oom_score_adj))
	{
		my $col = $m =~ /^oom/ ? $m : "${m}_bytes";
		my ($lo, $hi) = sort { $a <=> $b } ($r0->{$m}, $r1->{$m});
		# measured while it ran a query, and read while it did not
		($lo, $hi) = ($lo / 2 - 2, 2 * $hi + 2) if $busy{$p};
		my $v = $got->{$col} // 'missing';
		push @wrong, "$p ($r1->{application_name}) $col: $v, vmastat read $r0->{$m} and $r1->{$m}"
		  if $v eq 'missing' || $v < $lo || $v > $hi;
	}
}
is(join("\n", @wrong), '', 'sql_vmastat_process: the values of vmastat, exactly for the idle processes');

# Per backend type: every process counted, listed or not
my $types = by_row($scraped, 'sql_vmastat_backend_type', 'backend_type');
my %count;
$count{ $_->{backend_type} }++ for values %$after;
is_deeply({ map { $_ => $types->{$_}{processes} } keys %$types }, \%count,
	'sql_vmastat_backend_type: every process counted');
@wrong = ();
for my $type (sort keys %count)
{
	for my $m (qw(rss_anon swap writeable_private))
	{
		my ($lo, $hi) = (0, 0);
		for my $p (grep { $after->{$_}{backend_type} eq $type } keys %$after)
		{
			my ($a0, $a1) = sort { $a <=> $b } ($before->{$p}{$m}, $after->{$p}{$m});
			($a0, $a1) = ($a0 / 2, 2 * $a1) if $busy{$p};
			$lo += $a0;
			$hi += $a1;
		}
		my $v = $types->{$type}{"${m}_bytes"} // -1;
		push @wrong, "$type $m: $v outside [$lo, $hi]" if $v < $lo || $v > $hi;
	}
}
is(join("\n", @wrong), '', 'sql_vmastat_backend_type: the sums of vmastat');

# Totals: every process once per level; the levels add up; the processes
# without a database and user (no busy one among them) exactly
my $totals = by_row($scraped, 'sql_vmastat_totals', 'level', 'name');
my %levels;
for my $r (values %$after)
{
	$levels{"cluster|"}++;
	$levels{"database|$r->{datname}"}++;
	$levels{"user|$r->{usename}"}++;
}
is_deeply({ map { $_ => $totals->{$_}{processes} } keys %$totals }, \%levels,
	'sql_vmastat_totals: every process, per database and per user');
for my $col (qw(pss_bytes pss_shmem_bytes uss_bytes owned_bytes))
{
	my %sum;
	$sum{ (split /\|/)[0] } += $totals->{$_}{$col} for keys %$totals;
	ok($sum{cluster} > 0 && $sum{database} == $sum{cluster} && $sum{user} == $sum{cluster},
		"sql_vmastat_totals $col: the databases and the users add up to the cluster")
	  or diag(explain \%sum);
}
# the processes without a user (the postmaster and auxiliary processes):
# every column between the two reads of vmastat_totals
my @t0 = split /\|/, $totals0;
my @t1 = split /\|/, $totals1;
my @cols = qw(processes pss_bytes pss_shmem_bytes uss_bytes owned_bytes);
for my $i (0 .. $#cols)
{
	my ($lo, $hi) = sort { $a <=> $b } ($t0[$i] // 0, $t1[$i] // 0);
	my $v = $totals->{'user|'}{ $cols[$i] } // -1;
	ok($v >= $lo && $v <= $hi && $hi > 0,
		"sql_vmastat_totals $cols[$i] of the processes without a user: $v, vmastat_totals read $lo and $hi");
}

# Leak suspects: the rows of vmastat_leaks
my %leak;
for my $line (split /\n/, $leak_rows)
{
	my @f = split /\|/, $line, -1;
	$leak{ join('|', @f[ 0 .. 4 ]) } = { growth_bytes_per_second => $f[5], owned_bytes => $f[6], grown_bytes => $f[7] };
}
my $leaks = by_row($scraped, 'sql_vmastat_leak', @labels);
is_deeply([ sort keys %$leaks ], [ sort keys %leak ], 'sql_vmastat_leak: the suspects, with their labels');
my $leaker = (grep { /^$pid{leaker}\|/ } keys %leak)[0] // 'none';
for my $col (qw(growth_bytes_per_second owned_bytes grown_bytes))
{
	my ($got, $want) = ($leaks->{$leaker}{$col}, $leak{$leaker}{$col});
	ok(defined $got && defined $want && abs($got - $want) <= 1e-9 * abs($want),
		"sql_vmastat_leak $col of the leaker: " . ($got // 'missing') . ', vmastat says ' . ($want // 'missing'));
}
cmp_ok($leaks->{$leaker}{growth_bytes_per_second} // 0, '>', 1024, 'the leaker grows');
is($scraped->{sql_vmastat_leaks}[0]{value}, scalar keys %leak, 'sql_vmastat_leaks counts the suspects');

# System: the figures that do not move exactly, and headroom as the
# smallest bound of its own row
my %sys = map { $_->{labels}{figure} => $_ } @{ $scraped->{sql_vmastat_system} };
my ($mem_total, $swap_total, $commit_limit, $cgroup_limit, $cgroup_high, $overcommit, $headroom_by) =
  split /\|/, $system_row, -1;
for ([ mem_total => $mem_total ], [ swap_total => $swap_total ], [ commit_limit => $commit_limit ],
	[ cgroup_limit => $cgroup_limit ], [ cgroup_high => $cgroup_high ])
{
	my ($figure, $want) = @$_;
	my $got = $sys{$figure} ? $sys{$figure}{value} + 0 : 'absent';
	is($got, $want eq '' ? 'absent' : $want + 0,
		"sql_vmastat_system $figure: that of vmastat_system (absent where NULL)");
}
my %v = map { $_ => $sys{$_}{value} } keys %sys;
my @bounds = ($v{mem_available});
push @bounds, $v{cgroup_limit} - $v{cgroup_usage} if defined $v{cgroup_limit};
push @bounds, $v{commit_limit} - $v{committed_as} if $overcommit == 2;
my ($smallest) = sort { $a <=> $b } @bounds;
cmp_ok($v{headroom}, '==', $smallest, 'sql_vmastat_system headroom: the smallest bound of the same run');
is($sys{headroom}{labels}{headroom_by}, $headroom_by, 'sql_vmastat_system headroom: its bound');
is(join(',', sort grep { $sys{$_}{labels}{headroom_by} ne '' } keys %sys), 'headroom',
	'headroom_by labels only the headroom');

# The dashboard: every metric, label and label value its expressions use
# is served by this exporter
my $board = decode_json(slurp_file($dashboard));
my @panels = map { ($_, @{ $_->{panels} // [] }) } @{ $board->{panels} };
my @uses;
for my $panel (@panels)
{
	for my $target (@{ $panel->{targets} // [] })
	{
		push @uses, [ "panel '$panel->{title}'", $target->{expr}, $target->{legendFormat} // '' ];
	}
}
for my $var (@{ $board->{templating}{list} // [] })
{
	my $q = ref $var->{query} ? $var->{query}{query} : $var->{query};
	push @uses, [ "variable $var->{name}", $q, '' ] if ($var->{type} // '') eq 'query';
}
cmp_ok(scalar @uses, '>=', 6, 'the dashboard has expressions');
my @figures = slurp_file($config) =~ /^\s+\('(\w+)', s\.\w+\)/mg;
cmp_ok(scalar @figures, '>=', 10, 'the figures vmastat_system may give');
my %variables = map { $_->{name} => 1 } @{ $board->{templating}{list} // [] };
@wrong = ();
my %used;
for my $use (@uses)
{
	my ($where, $expr, $legend) = @$use;
	# label_values(metric, label)
	(my $promql = $expr) =~ s/^label_values\((\w+),\s*(\w+)\)$/$1\{$2!=""\}/;
	my @names = $promql =~ /\b(sql_vmastat_[a-z_]+)\b/g;
	push @wrong, "$where: no metric in $expr" unless @names;
	my %all_labels;
	for my $name (@names)
	{
		$used{$name} = 1;
		my $series = $scraped->{$name};
		if (!$series)
		{
			push @wrong, "$where: $name is not served";
			next;
		}
		my %have = map { %{ $_->{labels} } } @$series;
		%all_labels = (%all_labels, map { $_ => 1 } keys %have);
		# the matchers of this metric's selector
		while ($promql =~ /\b\Q$name\E\{([^}]*)\}/g)
		{
			my $matchers = $1;
			while ($matchers =~ /(\w+)\s*(=~|!=|!~|=)\s*"([^"]*)"/g)
			{
				my ($label, $op, $value) = ($1, $2, $3);
				push @wrong, "$where: $name has no label $label" unless exists $have{$label};
				push @wrong, "$where: no variable $1" if $value =~ /^\$(\w+)$/ && !$variables{$1};
				next unless $op eq '=' && $value !~ /\$/;
				# a figure of vmastat_system may be NULL here (no cgroup limit)
				next if $label eq 'figure' && grep { $_ eq $value } @figures;
				push @wrong, "$where: no series of $name has $label=\"$value\""
				  unless grep { ($_->{labels}{$label} // '') eq $value } @$series;
			}
		}
	}
	my @grouping = map { split /\s*,\s*/ } $promql =~ /\b(?:by|without)\s*\(([^)]*)\)/g;
	push @grouping, $legend =~ /\{\{\s*(\w+)\s*\}\}/g;
	for my $label (grep { $_ ne '' } @grouping)
	{
		push @wrong, "$where: label $label is on none of @names" unless $all_labels{$label};
	}
}
is(join("\n", @wrong), '', 'every metric, label and label value of the dashboard is served');
ok($used{$_}, "the dashboard shows $_")
  for qw(sql_vmastat_process sql_vmastat_backend_type sql_vmastat_totals sql_vmastat_leak sql_vmastat_system);

stop_exporter();
ok(!$http->get($url)->{success}, 'the exporter is stopped');
$_->quit for values %session;
$reader->quit;
$node->stop;

done_testing();
