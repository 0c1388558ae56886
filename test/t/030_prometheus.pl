# integrations/prometheus/vmastat_queries.yaml in the real prometheus-postgres-exporter:
# a cluster with idle, big, scanning and leaking sessions, the exporter on a
# loopback port, connected as a pg_monitor member through the cluster's
# socket, and its /metrics compared with vmastat's own rows, read just before
# and just after the scrape (again, until no process moved in between but
# those running the queries).  Processes that do nothing must show exactly
# vmastat's values; the backends that run the queries (the exporter's and
# this test's reader) are measured by the scrape at another moment than by
# the reads and get a tolerance.  The listed processes follow the
# cardinality rule, the per-type sums count every process, and the leak
# suspects are those of vmastat_leaks.  Exporters from 0.12 on also open a
# connection for each scrape; its backend exists only during the scrape,
# and the checks bound what it can change (see "transient").
use strict;
use warnings;

use FindBin;
use HTTP::Tiny;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep time);

# client backends listed one by one: "LIMIT 10" in the queries file
my $top_clients = 10;

my $queries = "$FindBin::RealBin/../../integrations/prometheus/vmastat_queries.yaml";
my $exporter_bin;
SEARCH:
for my $name (qw(prometheus-postgres-exporter postgres_exporter))
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
plan skip_all =>
  'prometheus-postgres-exporter is not installed (Debian package prometheus-postgres-exporter)'
  unless defined $exporter_bin;
die "queries file $queries is missing" unless -r $queries;

my @metrics = qw(rss rss_anon rss_shmem pss uss swap writeable_private rss_peak);
my @labels = qw(pid backend_type datname usename application_name);
# per-process gauges that are not byte counts
my @scores = qw(oom_score oom_score_adj);

my $node = PostgreSQL::Test::Cluster->new('prometheus');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
# no autovacuum worker comes or goes between a scrape and the reads around it
autovacuum = off
shared_buffers = 32MB
# shared buffers in rss_shmem, not in hugetlb, even when huge pages are reserved
huge_pages = off
vmastat.leak_min_samples = 3
vmastat.leak_min_span = 0
# the leak finder's store; the leaker takes its own samples
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 0
});
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION vmastat;
CREATE ROLE exporter LOGIN;
GRANT pg_monitor TO exporter;
CREATE TABLE t AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 20000) AS g;
});

# Sessions: idle ones, one that holds many prepared statements, one that
# scanned a table through shared buffers, and a leaker
my %session;
my %pid;
sub open_session
{
	my ($name) = @_;
	$session{$name} = $node->background_psql('postgres');
	my $pid = $session{$name}->query_safe(
		"SET application_name = '$name'; SELECT pg_backend_pid()");
	($pid{$name}) = $pid =~ /(\d+)/;
	return $session{$name};
}

sub prepare_many
{
	my ($prefix, $from, $to) = @_;
	return qq{DO \$\$
BEGIN
    FOR i IN $from..$to LOOP
        EXECUTE format('PREPARE ${prefix}_%s AS SELECT %s AS n, relname FROM pg_class WHERE oid = 1259', i, i);
    END LOOP;
END
\$\$;};
}

my @idle = map { sprintf('idle%02d', $_) } 1 .. 12;
open_session($_) for @idle;
open_session('holder')->query_safe(prepare_many('h', 1, 600));
open_session('scanner')->query_safe('SELECT count(*) FROM t');

# The leaker prepares statements between samples taken by vmastat_snapshot(),
# five times: a steady growth the leak finder flags
open_session('leaker')->query_safe(
	q{DO $$
BEGIN
    FOR round IN 0..4 LOOP
        FOR i IN round * 300 + 1..round * 300 + 300 LOOP
            EXECUTE format('PREPARE l_%s AS SELECT %s AS n, relname FROM pg_class WHERE oid = 1259', i, i);
        END LOOP;
        PERFORM vmastat_snapshot();
        PERFORM pg_sleep(0.2);
    END LOOP;
END
$$;});
is($node->safe_psql('postgres', 'SELECT string_agg(pid::text, \',\') FROM vmastat_leaks'),
	$pid{leaker}, 'the leaker is the only leak suspect');

# The reads to compare with, from one session that stays open throughout
my $reader = $node->background_psql('postgres');
$reader->query_safe("SET application_name = 'vmastat_test_reader'");

# vmastat's summary rows now, per PID, with the labels the exporter adds
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
		my @f = split /\|/, $line, -1;
		my %row;
		@row{ @labels, @metrics, @scores } = @f;
		$now{process}{ $row{pid} } = \%row;
	}
	return \%now;
}

sub read_leaks
{
	my %leaks;
	my $rows = $reader->query_safe(
		q{SELECT pid, coalesce(backend_type, ''), coalesce(datname::text, ''), coalesce(usename::text, ''),
		         coalesce(application_name, ''), (anon_rate / 60.0)::float8, anon_last,
		         anon_delta, extract(epoch FROM span)::float8, samples,
		         CASE WHEN alive THEN 1 ELSE 0 END
		  FROM vmastat_leaks});
	for my $line (split /\n/, $rows)
	{
		my %row;
		@row{ @labels,
			qw(growth_bytes_per_second owned_bytes grown_bytes span_seconds samples alive) }
		  = split /\|/, $line, -1;
		$leaks{ $row{pid} } = \%row;
	}
	return \%leaks;
}

# Parses the text exposition format into name => [ { labels, value } ]
sub parse_metrics
{
	my ($text) = @_;
	my %series;
	for my $line (split /\n/, $text)
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

# Exporters from 0.12 on have collectors of their own, which open a new
# connection for each scrape: a backend forked during the scrape, which
# the queries may or may not see, and whose fork moves the pss of every
# process that shares pages with the postmaster.  The test turns them all
# off (the flags the exporter's --help lists), as a deployment that wants
# only vmastat's metrics does; 0.11 lists only collectors that run on the
# exporter's own connection.
my ($help_out, $help_err) = ('', '');
IPC::Run::run([ $exporter_bin, '--help' ], '>', \$help_out, '2>', \$help_err);
my @no_collectors =
  map { "--no-collector.$_" } ("$help_out$help_err" =~ /^\s+--(?:\[no-\])?collector\.([a-z_]+)\s/mg);
# Even with no collector, 0.12 and later connect for each scrape (to ask
# the server's version): that backend, forked while the exporter's queries
# run, is checked with the bounds below ("transient")
my ($version_out, $version_err) = ('', '');
IPC::Run::run([ $exporter_bin, '--version' ], '>', \$version_out, '2>', \$version_err);
my ($major, $minor) = "$version_out$version_err" =~ /version (\d+)\.(\d+)/
  or die "cannot tell the version of $exporter_bin: $version_out$version_err";
my $per_scrape = $major > 0 || $minor >= 12;
note("exporter $major.$minor, a connection per scrape: " . ($per_scrape ? 'yes' : 'no'));

# Start the exporter; stop it at the end, also when the test dies
my $http = HTTP::Tiny->new(timeout => 60);
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $url = "http://127.0.0.1:$port/metrics";
my $exporter_log = "$PostgreSQL::Test::Utils::log_path/exporter.log";
my $exporter;
END
{
	local $?;
	$exporter->kill_kill(grace => 5) if $exporter;
}
{
	local $ENV{DATA_SOURCE_NAME} = 'host=' . $node->host . ' port=' . $node->port
	  . ' user=exporter dbname=postgres sslmode=disable application_name=vmastat_exporter';
	$exporter = IPC::Run::start(
		[
			$exporter_bin, "--web.listen-address=127.0.0.1:$port",
			"--extend.query-path=$queries", @no_collectors
		],
		'<', \undef, '>', $exporter_log, '2>&1');
}

sub scrape
{
	my $res = $http->get($url);
	die "GET $url: $res->{status} $res->{reason}\n$res->{content}" unless $res->{success};
	return parse_metrics($res->{content});
}

my $ready;
my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
while (time < $deadline)
{
	my $res = $http->get($url);
	if ($res->{success} && $res->{content} =~ /^vmastat_process_rss_bytes\{/m)
	{
		$ready = 1;
		last;
	}
	sleep(0.2);
}
ok($ready, 'the exporter serves vmastat metrics')
  or die "the exporter did not serve vmastat metrics, see $exporter_log";

# Warm up the exporter's and the reader's backends, then read, scrape and
# read again until no process but those running the queries moved between
# the two reads (a backend that writes to a page it shares copy-on-write
# with the others changes their pss and uss)
my ($before, $scraped, $after, $leaks);
scrape();
read_vmastat();
my $stable;
for my $attempt (1 .. 10)
{
	$before = read_vmastat();
	$leaks = read_leaks();
	$scraped = scrape();
	$after = read_vmastat();
	my @moved;
	for my $r0 (values %{ $before->{process} })
	{
		next if $r0->{application_name} =~ /^vmastat_(exporter|test_reader)$/;
		my $r1 = $after->{process}{ $r0->{pid} } or next;
		push @moved,
		  map { "$r0->{pid} ($r0->{backend_type} $r0->{application_name}) $_ $r0->{$_} -> $r1->{$_}" }
		  grep { $r0->{$_} ne $r1->{$_} } @metrics;
	}
	push @moved, 'the set of processes'
	  if join(',', sort keys %{ $before->{process} }) ne
	  join(',', sort keys %{ $after->{process} });
	$stable = !@moved;
	last if $stable;
	note("attempt $attempt: moved between the reads: @moved[0 .. ($#moved < 3 ? $#moved : 3)]");
}
ok($stable, 'the processes that run no query held still around a scrape');

is($scraped->{pg_exporter_last_scrape_error}[0]{value}, 0,
	'the exporter ran every query without error');

# The processes that run queries while the others are read
my %busy = map { $_ => 1 } grep {
	my $app = $before->{process}{$_}{application_name};
	$app eq 'vmastat_exporter' || $app eq 'vmastat_test_reader'
} keys %{ $before->{process} };
cmp_ok(scalar keys %busy, '>=', 2, 'the exporter and reader backends are known');

# Which processes must be listed: every one that is not a client backend,
# and the top client backends by owned memory
my @procs = values %{ $before->{process} };
my @clients = sort {
	($b->{rss_anon} + $b->{swap}) <=> ($a->{rss_anon} + $a->{swap}) || $a->{pid} <=> $b->{pid}
} grep { $_->{backend_type} eq 'client backend' } @procs;
cmp_ok(scalar @clients, '>', $top_clients, 'more client backends than are listed');
my %expected = map { $_->{pid} => 1 }
  (grep({ $_->{backend_type} ne 'client backend' } @procs),
	@clients[ 0 .. $top_clients - 1 ]);

# The exporter's connection for this scrape (0.12 and later): a server
# process of the exporter's that neither read saw.  When it is listed it
# takes the place of the smallest of the top client backends.
my %transient;
my $starting_types = qr/^(client backend|exporter postgres .*|)$/;
for my $s (@{ $scraped->{vmastat_process_rss_bytes} // [] })
{
	my $l = $s->{labels};
	next if $before->{process}{ $l->{pid} } || $after->{process}{ $l->{pid} };
	note('not read: ' . join(', ', map { "$_=$l->{$_}" } sort keys %$l));
	# while it starts, pg_stat_activity has no row for it yet, and its
	# type is its process title, or none just after the fork
	$transient{ $l->{pid} } = 1
	  if $per_scrape
	  && $l->{application_name} =~ /^(vmastat_exporter|)$/
	  && $l->{usename} =~ /^(exporter|)$/
	  && $l->{backend_type} =~ $starting_types;
}
ok(keys %transient <= 1, 'at most one connection of the exporter that the reads did not see')
  or diag(explain \%transient);
for my $s (@{ $scraped->{vmastat_process_rss_bytes} // [] })
{
	next unless $transient{ $s->{labels}{pid} };
	delete $expected{ $clients[ $top_clients - 1 ]{pid} }
	  if $s->{labels}{backend_type} eq 'client backend';
	$expected{ $s->{labels}{pid} } = 1;
}
ok($expected{ $pid{holder} } && $expected{ $pid{leaker} },
	'the two biggest test sessions are among them');

# Every metric: the same processes, the same labels, the values of vmastat
for my $metric (@metrics)
{
	my $series = $scraped->{"vmastat_process_${metric}_bytes"} // [];
	my %seen;
	my @wrong;
	for my $s (@$series)
	{
		my $l = $s->{labels};
		my $pid = $l->{pid} // '?';
		$seen{$pid}++;
		# measured by the scrape only, and chosen by its labels: a size
		next if $transient{$pid} && $s->{value} >= 0;
		my $r0 = $before->{process}{$pid};
		my $r1 = $after->{process}{$pid};
		if (!$r0 || !$r1)
		{
			push @wrong, "$pid: not a server process";
			next;
		}
		my $names = join(',', sort grep { $_ ne 'server' } keys %$l);
		push @wrong, "$pid: labels $names"
		  if $names ne join(',', sort @labels);
		for my $label (@labels)
		{
			push @wrong, "$pid: $label '" . ($l->{$label} // 'missing') . "' is not '$r0->{$label}'"
			  if ($l->{$label} // '') ne $r0->{$label};
		}
		my ($lo, $hi) = sort { $a <=> $b } ($r0->{$metric}, $r1->{$metric});
		my $v = $s->{value};
		if ($per_scrape && ($metric eq 'pss' || $metric eq 'uss'))
		{
			# The exporter's connection for the scrape, a fork of the
			# postmaster, may have mapped pages of this process at that
			# moment: one more process on a page divides its share by m + 1
			# instead of m, never less than half of it, and a page another
			# process maps is not unique.  A busy backend may also grow.
			my $floor = $metric eq 'pss' ? $lo / 2
			  : $r0->{backend_type} eq 'postmaster' ? 0
			  : $lo - $r1->{rss_shmem};
			($floor, $hi) = ($floor < $lo / 2 ? $floor : $lo / 2, 2 * $hi) if $busy{$pid};
			push @wrong, "$pid ($r0->{backend_type}, $r0->{application_name}): $v outside [$floor, $hi]"
			  if $v < $floor || $v > $hi;
		}
		elsif ($busy{$pid})
		{
			# measured while it ran a query, and read while it did not
			push @wrong, "$pid (busy): $v outside [$lo / 2, 2 * $hi]"
			  if $v < $lo / 2 || $v > 2 * $hi;
		}
		elsif ($v < $lo || $v > $hi)
		{
			push @wrong,
			  "$pid ($r0->{backend_type}, $r0->{application_name}): $v, vmastat read $r0->{$metric} and $r1->{$metric}";
		}
	}
	is_deeply([ sort { $a <=> $b } keys %seen ], [ sort { $a <=> $b } keys %expected ],
		"vmastat_process_${metric}_bytes: the listed processes, once each");
	is(join("\n", @wrong), '', "vmastat_process_${metric}_bytes: the values of vmastat");
}

# The OOM figures of the listed processes: those of vmastat, and
# oom_score_adj that of the kernel's file
for my $metric (@scores)
{
	my $series = $scraped->{"vmastat_process_$metric"} // [];
	my @wrong;
	for my $s (@$series)
	{
		my $pid = $s->{labels}{pid} // '?';
		my ($r0, $r1) = ($before->{process}{$pid}, $after->{process}{$pid});
		next unless $r0 && $r1;
		my ($lo, $hi) = sort { $a <=> $b } ($r0->{$metric}, $r1->{$metric});
		# a busy backend's memory, and so its score, may move a point
		($lo, $hi) = ($lo - 2, $hi + 2) if $busy{$pid};
		push @wrong, "$pid: $s->{value} not in [$lo, $hi]"
		  if $s->{value} < $lo || $s->{value} > $hi;
		if ($metric eq 'oom_score_adj')
		{
			my $kernel = slurp_file("/proc/$pid/oom_score_adj") + 0;
			push @wrong, "$pid: $s->{value}, the kernel says $kernel" if $s->{value} != $kernel;
		}
	}
	is_deeply([ sort { $a <=> $b } map { $_->{labels}{pid} } @$series ],
		[ sort { $a <=> $b } keys %expected ],
		"vmastat_process_$metric: the listed processes");
	is(join("\n", @wrong), '', "vmastat_process_$metric: the values of vmastat");
}

# The test's own sessions held still: exactly the values of vmastat, every
# metric, for those listed
my %value;
for my $metric (@metrics)
{
	$value{ $_->{labels}{pid} }{$metric} = $_->{value}
	  for @{ $scraped->{"vmastat_process_${metric}_bytes"} // [] };
}
my $exact = 0;
for my $name (@idle, 'holder', 'leaker', 'scanner')
{
	my $p = $pid{$name};
	next unless $expected{$p};
	my @differ = grep { !defined $value{$p}{$_} || $value{$p}{$_} != $before->{process}{$p}{$_} }
	  grep { !$per_scrape || ($_ ne 'pss' && $_ ne 'uss') } @metrics;
	is(join(',', @differ), '', "$name: every value exactly as vmastat reads it");
	$exact++;
}
cmp_ok($exact, '>=', 4, 'several idle sessions compared exactly');
cmp_ok($before->{process}{ $pid{scanner} }{rss_shmem}, '>', 4 * 1024 * 1024,
	'the scanner touched shared buffers');

# Per backend type: every process counted, listed or not
my %per_type;
for my $row (values %{ $before->{process} })
{
	my $t = $per_type{ $row->{backend_type} } //= {};
	$t->{processes}++;
	for my $m (qw(rss_anon swap writeable_private))
	{
		my $k = $busy{ $row->{pid} } ? "busy_$m" : $m;
		$t->{$k} += $row->{$m};
		$t->{"after_$m"} += $busy{ $row->{pid} } ? 0 : $after->{process}{ $row->{pid} }{$m};
	}
}
my %type_processes = map { $_->{labels}{backend_type} => $_->{value} }
  @{ $scraped->{vmastat_backend_type_processes} };
# the exporter's connection for the scrape is a client backend when the
# query ran while it existed; it is bounded like the exporter's own
# backend, read after the scrape
my $transient_clients = 0;
my @starting = grep { !$per_type{$_} && $_ =~ $starting_types } keys %type_processes;
if ($per_scrape && @starting == 1 && $type_processes{ $starting[0] } == 1)
{
	# counted under its process title
	delete $type_processes{ $starting[0] };
	$scraped->{$_} = [ grep { $_->{labels}{backend_type} ne $starting[0] } @{ $scraped->{$_} } ]
	  for grep { /^vmastat_backend_type_/ } keys %$scraped;
}
elsif ($per_scrape && ($type_processes{'client backend'} // 0) == @clients + 1)
{
	$transient_clients = 1;
	my $t = $per_type{'client backend'};
	for my $m (qw(rss_anon swap writeable_private))
	{
		my ($own) = sort { $b <=> $a } map { $after->{process}{$_}{$m} // 0 } keys %busy;
		$t->{"busy_$m"} += $own;
	}
}
is_deeply(\%type_processes,
	{ map { $_ => $per_type{$_}{processes} + ($_ eq 'client backend' ? $transient_clients : 0) } keys %per_type },
	'vmastat_backend_type_processes counts every process');
is($type_processes{'client backend'}, @clients + $transient_clients, 'all client backends are counted');
for my $m (qw(rss_anon swap writeable_private))
{
	my @wrong;
	for my $s (@{ $scraped->{"vmastat_backend_type_${m}_bytes"} })
	{
		my $t = $per_type{ $s->{labels}{backend_type} };
		my ($lo, $hi) = sort { $a <=> $b } ($t->{$m}, $t->{"after_$m"});
		my $busy = $t->{"busy_$m"} // 0;
		($lo, $hi) = ($lo + $busy / 2, $hi + 2 * $busy) if $busy;
		push @wrong, "$s->{labels}{backend_type}: $s->{value} outside [$lo, $hi]"
		  if $s->{value} < $lo || $s->{value} > $hi;
	}
	is(join("\n", @wrong), '', "vmastat_backend_type_${m}_bytes: the sums of vmastat");
}

# Per backend type, the highest peak and score
for my $m (qw(rss_peak oom_score))
{
	my $name = $m eq 'rss_peak' ? 'vmastat_backend_type_rss_peak_max_bytes'
	  : 'vmastat_backend_type_oom_score_max';
	my %range;
	for my $r0 (values %{ $before->{process} })
	{
		my $r1 = $after->{process}{ $r0->{pid} } // $r0;
		my ($lo, $hi) = sort { $a <=> $b } ($r0->{$m}, $r1->{$m});
		($lo, $hi) = ($lo / 2, 2 * $hi + 2) if $busy{ $r0->{pid} };
		my $t = $range{ $r0->{backend_type} } //= [ 0, 0 ];
		$t->[0] = $lo if $lo > $t->[0];
		$t->[1] = $hi if $hi > $t->[1];
	}
	my @wrong;
	for my $s (@{ $scraped->{$name} // [] })
	{
		my $t = $range{ $s->{labels}{backend_type} } // [ -1, -1 ];
		push @wrong, "$s->{labels}{backend_type}: $s->{value} outside [$t->[0], $t->[1]]"
		  if $s->{value} < $t->[0] || $s->{value} > $t->[1];
	}
	is(scalar @{ $scraped->{$name} // [] }, scalar keys %range, "$name: one series per backend type");
	is(join("\n", @wrong), '', "$name: the maximum of vmastat");
}

# Totals per database and per user: every process counted once per level,
# and the pss of the database and of the user series add up to the cluster
my %count;
for my $r (values %{ $before->{process} })
{
	$count{cluster}{''}++;
	$count{database}{ $r->{datname} }++;
	$count{user}{ $r->{usename} }++;
}
my (%got_count, %pss);
for my $s (@{ $scraped->{vmastat_totals_processes} // [] })
{
	$got_count{ $s->{labels}{level} }{ $s->{labels}{name} } = $s->{value};
}
for my $s (@{ $scraped->{vmastat_totals_pss_bytes} // [] })
{
	$pss{ $s->{labels}{level} } += $s->{value};
}
# with the exporter's connection for the scrape, when the query saw it
# (before it has a row in pg_stat_activity: no database nor user)
if ($per_scrape && $got_count{cluster}{''} == $count{cluster}{''} + 1)
{
	$count{cluster}{''}++;
	for my $level ([ 'database', 'postgres' ], [ 'user', 'exporter' ])
	{
		my ($l, $name) = @$level;
		my $key = ($got_count{$l}{$name} // 0) == ($count{$l}{$name} // 0) + 1 ? $name : '';
		$count{$l}{$key}++;
	}
}
is_deeply(\%got_count, \%count, 'vmastat_totals_processes: every process, per database and per user');
ok($pss{cluster} > 0 && $pss{database} == $pss{cluster} && $pss{user} == $pss{cluster},
	'vmastat_totals_pss_bytes: the databases and the users add up to the cluster')
  or diag(explain \%pss);

# Leak suspects: the rows of vmastat_leaks, with their rate
is($scraped->{vmastat_leaks_suspects}[0]{value}, scalar keys %$leaks,
	'vmastat_leaks_suspects counts the suspects');
my %leak_series;
for my $name (sort keys %$scraped)
{
	next unless $name =~ /^vmastat_leak_(.*)$/;
	my $col = $1;
	$leak_series{ $_->{labels}{pid} }{$col} = $_->{value} for @{ $scraped->{$name} };
	for my $s (@{ $scraped->{$name} })
	{
		my $row = $leaks->{ $s->{labels}{pid} } or next;
		is(join('|', map { $s->{labels}{$_} } @labels), join('|', map { $row->{$_} } @labels),
			"$name: labels of suspect $s->{labels}{pid}");
	}
}
is_deeply([ sort keys %leak_series ], [ sort keys %$leaks ], 'every suspect is exported');
my $leaker = $leak_series{ $pid{leaker} } // {};
my $row = $leaks->{ $pid{leaker} } // {};
for my $col (qw(growth_bytes_per_second owned_bytes grown_bytes span_seconds samples alive))
{
	my ($got, $want) = ($leaker->{$col} // 'missing', $row->{$col} // 'missing');
	ok( $got ne 'missing' && $want ne 'missing'
		  && abs($got - $want) <= 1e-9 * abs($want),
		"vmastat_leak_$col of the leaker: $got, vmastat says $want");
}
cmp_ok($leaker->{growth_bytes_per_second} // 0, '>', 1024, 'the leaker grows');
is($leaker->{alive}, 1, 'the leaker is alive');

# Stop the exporter; the port is free again
$exporter->kill_kill(grace => 5);
undef $exporter;
ok(!$http->get($url)->{success}, 'the exporter is stopped');

$_->quit for values %session;
$reader->quit;
$node->stop;

done_testing();
