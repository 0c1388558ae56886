# The background sampler runs as the bootstrap superuser in a database that
# someone else may own.  Nothing a non-superuser plants there may run with
# its rights: not operators found through a search_path the owner set with
# ALTER DATABASE, and not an overload of the sampler's own functions.  And
# the owner may not move the thresholds of the leak rule.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sampler_security');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 1
vmastat.database = 'vmdb'
});
$node->start;

# vmdb belongs to an ordinary role, which owns its public schema too; the
# extension lives in a schema of the superuser, where another ordinary role
# may create objects
$node->safe_psql(
	'postgres', q{
CREATE ROLE dbowner LOGIN;
CREATE ROLE planter LOGIN;
CREATE DATABASE vmdb OWNER dbowner;
});
$node->safe_psql(
	'vmdb', q{
CREATE SCHEMA vm;
CREATE EXTENSION vmastat SCHEMA vm;
GRANT USAGE, CREATE ON SCHEMA vm TO planter;
});

# Every planted object records who ran it here, and tries to make its
# author superuser when it runs as one; the trap itself must not call the
# planted operators, or it would recurse until it fails and record nothing
$node->safe_psql(
	'vmdb', q{
CREATE TABLE public.ran (who name, what text);
GRANT INSERT ON public.ran TO PUBLIC;
CREATE FUNCTION public.trap(what text) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO public.ran VALUES (current_user, what);
	IF (SELECT rolsuper FROM pg_catalog.pg_roles
		WHERE rolname OPERATOR(pg_catalog.=) current_user) THEN
		EXECUTE 'ALTER ROLE dbowner SUPERUSER';
		EXECUTE 'ALTER ROLE planter SUPERUSER';
	END IF;
END
$$;
}, extra_params => [ '-U', 'dbowner' ]);

# Finding: the owner plants operators in public, where a search_path set by
# ALTER DATABASE makes them win over pg_catalog's, for every type pair the
# sampler's lookups compare
my $plant_operators = '';
for my $types ([ 'oid', 'oid' ], [ 'name', 'name' ], [ 'name', 'text' ],
	[ 'text', 'text' ], [ 'regnamespace', 'oid' ])
{
	my ($l, $r) = @$types;
	$plant_operators .= qq{
CREATE FUNCTION public.eq_${l}_${r}($l, $r) RETURNS boolean LANGUAGE plpgsql AS \$\$
BEGIN
	PERFORM public.trap('=($l, $r)');
	RETURN \$1::text OPERATOR(pg_catalog.=) \$2::text;
END
\$\$;
CREATE OPERATOR public.= (LEFTARG = $l, RIGHTARG = $r, FUNCTION = public.eq_${l}_${r});
};
}
$node->safe_psql('vmdb', $plant_operators, extra_params => [ '-U', 'dbowner' ]);
$node->safe_psql('vmdb',
	'ALTER DATABASE vmdb SET search_path = public, pg_catalog',
	extra_params => [ '-U', 'dbowner' ]);

# The test's own queries in vmdb qualify every function and operator: the
# planted operators must not run in its superuser sessions either.  The
# samples go to the leak finder's store: the running postmaster's
# incarnation counts them.
my $postmaster_samples = q{
SELECT coalesce(pg_catalog.max(g.samples), 0) FROM vm.vmastat_growth AS g
WHERE g.backend_type OPERATOR(pg_catalog.=) 'postmaster' AND g.alive};

sub samples
{
	return $node->safe_psql('vmdb', $postmaster_samples);
}

sub samples_reach
{
	my ($n) = @_;
	return $node->poll_query_until('vmdb',
		"SELECT ($postmaster_samples) OPERATOR(pg_catalog.>=) $n");
}

sub nothing_ran
{
	my ($when) = @_;
	is($node->safe_psql('vmdb', 'SELECT who, what FROM public.ran'),
		'', "no planted object ran $when");
	is( $node->safe_psql('postgres',
			"SELECT string_agg(rolname, ', ') FROM pg_roles WHERE rolname IN ('dbowner', 'planter') AND rolsuper"
		),
		'',
		"nobody became superuser $when");
}

# A new sampler reads the database's settings when it connects
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'vmastat sampler'")
  or die 'no sampler';
my $old_pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'vmastat sampler'");
$node->safe_psql('postgres', "SELECT pg_terminate_backend($old_pid)");
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'vmastat sampler' AND pid <> $old_pid"
) or die 'the sampler did not come back';

# Several samples by the new sampler, a prune included (the first sample of
# a sampler prunes)
my $before = samples();
ok(samples_reach($before + 4),
	'samples arrive in a database whose owner planted operators');
nothing_ran('in a database whose owner planted operators');

# Finding: another role plants overloads of the sampler's functions in the
# extension's schema; with defaults, a call by name no longer resolves.
# (Planted after the operators were checked: a sample failing on them
# would roll back what the operators did.)
$node->safe_psql(
	'vmdb', q{
CREATE FUNCTION vm.vmastat_snapshot(n integer DEFAULT 0) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM public.trap('vmastat_snapshot(integer)');
	RETURN 0;
END
$$;
CREATE FUNCTION vm.vmastat_history_prune(keep interval, n integer DEFAULT 0)
RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
	PERFORM public.trap('vmastat_history_prune(interval, integer)');
	RETURN 0;
END
$$;
}, extra_params => [ '-U', 'planter' ]);

# A restart of the whole server: the first sample of the new sampler prunes
$node->restart;
$before = samples();
ok(samples_reach($before + 4),
	'samples keep arriving beside planted overloads of vmastat_snapshot and vmastat_history_prune'
);
nothing_ran('beside planted overloads, after a server restart');

# Finding: the thresholds of the leak rule are the superuser's.  The owner
# of a database can set most settings for it, but not these.
for my $setting (
	'vmastat.leak_min_samples = 2147483647',
	"vmastat.leak_min_rate = '2000000000kB'",
	"vmastat.leak_min_span = '1000d'",
	'vmastat.leak_min_r2 = 1',
	"vmastat.leak_min_growth = '2000000000kB'")
{
	my ($ret, $stdout, $stderr) = $node->psql('vmdb',
		"ALTER DATABASE vmdb SET $setting",
		extra_params => [ '-U', 'dbowner' ]);
	like($stderr, qr/permission denied to set parameter/,
		"the database owner cannot ALTER DATABASE SET $setting");
	($ret, $stdout, $stderr) =
	  $node->psql('vmdb', "SET $setting", extra_params => [ '-U', 'dbowner' ]);
	like($stderr, qr/permission denied to set parameter/,
		"a non-superuser cannot SET $setting");
}
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_db_role_setting WHERE array_to_string(setconfig, ',') LIKE '%vmastat.leak%'"
	),
	0,
	'no leak threshold is stored for a database or role');
is( $node->safe_psql('postgres',
		"SELECT string_agg(DISTINCT context, ',') FROM pg_settings WHERE name LIKE 'vmastat.leak\\_min%'"),
	'superuser',
	'every leak threshold is superuser-only');
like(
	$node->safe_psql('postgres',
		"SELECT short_desc FROM pg_settings WHERE name = 'vmastat.leak_min_rate'"),
	qr/kB per minute/,
	'vmastat.leak_min_rate says it is kB per minute');

# A superuser still sets them
is( $node->safe_psql('vmdb',
		'SET vmastat.leak_min_samples = 20; SHOW vmastat.leak_min_samples'),
	'20',
	'a superuser sets a leak threshold');

# Settings the database owner can set that would end every sample with
# FATAL (exit_on_error, and transaction_timeout from 17 on) or cut it short
# (statement_timeout): the sampler overrides them, so it neither dies nor
# is started again and again
my $version = $node->safe_psql('postgres', "SELECT current_setting('server_version_num')::int");
my @fatal_settings = ("exit_on_error = on", "statement_timeout = '1ms'");
push @fatal_settings, "transaction_timeout = '1ms'" if $version >= 170000;
# the test's own sessions in vmdb keep the defaults, from the first ALTER
# on: with statement_timeout = '1ms' set, a busy machine cancels the next
local $ENV{PGOPTIONS} = '-c exit_on_error=off -c statement_timeout=0'
  . ($version >= 170000 ? ' -c transaction_timeout=0' : '');
foreach my $setting (@fatal_settings)
{
	$node->safe_psql('vmdb', "ALTER DATABASE vmdb SET $setting", extra_params => [ '-U', 'dbowner' ]);
}
my $sampler_pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'vmastat sampler'");
$node->safe_psql('postgres', "SELECT pg_terminate_backend($sampler_pid)");
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'vmastat sampler' AND pid <> $sampler_pid"
) or die 'the sampler did not come back';
my $restarted = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'vmastat sampler'");
$before = samples();
ok(samples_reach($before + 3),
	'samples arrive although the database sets ' . join(', ', @fatal_settings));
is( $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'vmastat sampler'"),
	$restarted,
	'and the same sampler takes them: it never exited');
$node->safe_psql('vmdb', 'ALTER DATABASE vmdb RESET ALL', extra_params => [ '-U', 'dbowner' ]);

$node->stop('fast');
done_testing();
