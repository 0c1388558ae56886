# Objects planted by an ordinary role before CREATE EXTENSION never run.
#
# A role with CREATE on the target schema, or on public, plants a function,
# aggregate or operator of the same name for every name the extension's
# views bind, over the argument types a view may pass (an exact match beats
# pg_catalog's polymorphic or cross-type one).  Each planted object logs
# that it ran and, when run by a superuser, makes its author superuser.  The
# extension is then created (into that schema, into public, and as 1.0
# updated to the default version) and a superuser uses every view and
# function.  Nothing planted may have run.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('planted');
$node->init;
# the leak finder's readers need its shared memory; samples are taken below
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 0
});
$node->start;

# The names to plant: every function and operator in the definitions of
# the views of a clean installation (pg_depend does not record pg_catalog's
# objects), with each arity pg_catalog has for the name
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');
my $viewdefs = $node->safe_psql(
	'postgres', q{
SELECT string_agg(pg_get_viewdef(d.objid), ' ')
FROM pg_depend AS d
WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vmastat')});
$node->safe_psql('postgres', 'DROP EXTENSION vmastat');
$viewdefs =~ s/'(?:[^']|'')*'/ /g;
$viewdefs =~ s/"//g;
$viewdefs =~ s/\.\*|\(\s*\*\s*\)|=>/ /g;
my %syntax = map { $_ => 1 } qw(as and or not on exists coalesce greatest least
  array row over filter select from join lateral extract when then else by case);
my %names = map { $_ => 1 } grep { !$syntax{$_} && !/^vmastat_/ }
  ($viewdefs =~ /\b([a-z_][a-z0-9_]*)\(/g);
my %operators = map { $_ => 1 } ($viewdefs =~ /([-+*\/<>=~!\@#%^&|]+)/g);
my @operators = sort keys %operators;

my (@functions, @aggregates);
my $arities = $node->safe_psql(
	'postgres', sprintf(q{
SELECT DISTINCT proname, pronargs, prokind <> 'f'
FROM pg_proc
WHERE pronamespace = 'pg_catalog'::regnamespace AND pronargs > 0
  AND proname IN (%s)
ORDER BY 1, 2}, join(', ', map { "'$_'" } sort keys %names)));
foreach my $line (split /\n/, $arities)
{
	my ($name, $nargs, $aggregate) = split /\|/, $line;
	push @{ $aggregate eq 't' ? \@aggregates : \@functions }, [ $name, $nargs ];
}
cmp_ok(scalar @operators, '>=', 5, 'the views use operators: ' . join(' ', @operators));
ok( (grep { $_->[0] eq 'sum' } @aggregates),
	'the views use aggregates: ' . join(' ', map { $_->[0] } @aggregates));

# The argument types a view may pass
my @types = (
	'text', 'name', 'bigint', 'integer', 'numeric', 'double precision',
	'timestamp with time zone', 'interval', 'boolean', 'text[]', 'bigint[]');

# What a planted aggregate returns, as pg_catalog's does (T: its argument's
# type), so that a view bound to it is created and runs it
my %aggregate_result = (
	array_agg => 'T[]',
	ntile => 'integer',
	regr_r2 => 'double precision',
	regr_slope => 'double precision',
	string_agg => 'text',
	sum => 'numeric');

# SQL that plants everything in one schema, run as mallory
sub planting_sql
{
	my ($schema) = @_;
	my $sql = '';
	my $n = 0;
	# plain functions: every type for each argument (3 or more: text)
	foreach my $f (@functions)
	{
		my ($name, $nargs) = @$f;
		my @lists =
		  $nargs <= 2
		  ? ($nargs == 1 ? (map { [$_] } @types) : (map { my $a = $_; map { [ $a, $_ ] } @types } @types))
		  : ([ ('text') x $nargs ]);
		foreach my $args (@lists)
		{
			$sql .= sprintf(
				"CREATE FUNCTION %s.%s(%s) RETURNS %s LANGUAGE plpgsql AS \$\$BEGIN PERFORM public.planted_ran('%s'); RETURN \$1; END\$\$;\n",
				$schema, $name, join(', ', @$args), $args->[0], $name);
		}
	}
	# aggregates (and so window functions): state of the first argument's type
	foreach my $a (@aggregates)
	{
		my ($name, $nargs) = @$a;
		my @lists =
		  $nargs == 1
		  ? (map { [$_] } @types)
		  : (map { my $x = $_; map { [ $x, $_ ] } @types } @types);
		foreach my $args (@lists)
		{
			my $state = $aggregate_result{$name} // $args->[0];
			$state =~ s/T/$args->[0]/;
			$n++;
			$sql .= sprintf(
				"CREATE FUNCTION %s.planted_sf%d(%s, %s) RETURNS %s LANGUAGE plpgsql AS \$\$BEGIN PERFORM public.planted_ran('%s'); RETURN \$1; END\$\$;\n"
				  . "CREATE AGGREGATE %s.%s(%s) (sfunc = %s.planted_sf%d, stype = %s);\n",
				$schema, $n, $state, join(', ', @$args), $state, $name,
				$schema, $name, join(', ', @$args), $schema, $n, $state);
		}
	}
	# operators: every pair of types; comparisons give boolean
	foreach my $left (@types)
	{
		foreach my $right (@types)
		{
			$n++;
			foreach my $kind ('b', 'l')
			{
				$sql .= sprintf(
					"CREATE FUNCTION %s.planted_op%d_%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS \$\$BEGIN PERFORM public.planted_ran('operator'); RETURN %s; END\$\$;\n",
					$schema, $n, $kind, $left, $right,
					$kind eq 'b' ? ('boolean', 'true') : ($left, '$1'));
			}
			foreach my $op (@operators)
			{
				my $boolean = $op =~ /^[<>=!]+$/;
				$sql .= sprintf(
					"CREATE OPERATOR %s.%s (leftarg = %s, rightarg = %s, function = %s.planted_op%d_%s);\n",
					$schema, $op, $left, $right, $schema, $n, $boolean ? 'b' : 'l');
			}
		}
	}
	return $sql;
}

$node->safe_psql('postgres', 'CREATE ROLE mallory LOGIN');

# Logs a run and, run by a superuser, makes mallory superuser
my $ran_sql = q{
CREATE FUNCTION public.planted_ran(what text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    super boolean := (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user);
BEGIN
    INSERT INTO public.planted_log VALUES (what, current_user, super);
    IF super THEN
        EXECUTE 'ALTER ROLE mallory SUPERUSER';
    END IF;
END$$;
};

# One database per way of installing
my %installs = (
	'into_schema' => [ 'mon', 'CREATE EXTENSION vmastat SCHEMA mon' ],
	'into_public' => [ 'public', 'CREATE EXTENSION vmastat' ],
	'updated' => [
		'mon',
		"CREATE EXTENSION vmastat SCHEMA mon VERSION '1.0'; ALTER EXTENSION vmastat UPDATE"
	]);

foreach my $db (sort keys %installs)
{
	my ($schema, $create) = @{ $installs{$db} };
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql(
		$db, qq{
CREATE TABLE public.planted_log (what text, by_role name, by_superuser boolean);
GRANT INSERT ON public.planted_log TO PUBLIC;
CREATE SCHEMA mon;
GRANT USAGE, CREATE ON SCHEMA mon TO mallory;
GRANT CREATE ON SCHEMA public TO mallory;
ALTER DATABASE $db SET vmastat.leak_min_samples = 3;
ALTER DATABASE $db SET vmastat.leak_min_span = 0;
ALTER DATABASE $db SET vmastat.leak_min_rate = 1;
ALTER DATABASE $db SET vmastat.leak_min_r2 = 0;
ALTER DATABASE $db SET vmastat.leak_min_growth = 1;
});
	$node->safe_psql($db, "SET ROLE mallory;\n" . $ran_sql);
	# both the target schema and public get everything
	$node->safe_psql($db, "SET ROLE mallory;\n" . planting_sql('mon') . planting_sql('public'));

	# the planted objects would run: an unqualified call as mallory finds
	# them (pg_catalog has no sum(text): the planted one is the only match)
	$node->safe_psql($db,
		"SET ROLE mallory; SET search_path = $schema; SELECT sum(x) FROM (VALUES ('a'::text)) AS v(x)");
	is($node->safe_psql($db, 'SELECT pg_catalog.count(*) FROM public.planted_log'),
		'1', "$db: a planted aggregate runs where a call is unqualified");
	$node->safe_psql($db, 'TRUNCATE public.planted_log');

	my ($created) = $node->psql($db, $create);
	is($created, 0, "$db: the extension installs");
	my $ext = $node->safe_psql($db,
		"SELECT n.nspname FROM pg_catalog.pg_extension AS e JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace WHERE e.extname OPERATOR(pg_catalog.=) 'vmastat'");
	is($ext, $schema, "$db: the extension is in $schema");

	# a superuser uses everything: samples to give the views rows (the
	# database's leak rule lets a process with any growth through), each
	# view and table, each function
	my $use = qq{
SELECT $schema.vmastat_snapshot();
SELECT pg_catalog.pg_sleep(0.2);
SELECT $schema.vmastat_snapshot();
SELECT pg_catalog.pg_sleep(0.2);
SELECT $schema.vmastat_snapshot();
SELECT * FROM $schema.vmastat_vmas(pg_catalog.pg_backend_pid());
SELECT * FROM $schema.vmastat_vmas_of(ARRAY[pg_catalog.pg_backend_pid()]);
SELECT * FROM $schema.vmastat_kinds_of(ARRAY[pg_catalog.pg_backend_pid()]);
SELECT * FROM $schema.vmastat_kinds();
SELECT * FROM $schema.vmastat_backend(pg_catalog.pg_backend_pid());
SELECT * FROM $schema.vmastat_backends();
SELECT * FROM $schema.vmastat_backends(fast => true);
SELECT * FROM $schema.vmastat_parse_smaps(pg_catalog.pg_read_file('/proc/self/smaps'));
SELECT $schema.vmastat_sparkline(ARRAY[1, 5, 3]::bigint[]);
SELECT * FROM $schema.vmastat_leak_settings();
SELECT $schema.vmastat_history_prune('1 day'::interval);
};
	my $relations = $node->safe_psql(
		$db, q{
SELECT c.oid::pg_catalog.regclass
FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_depend AS d ON d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,v}'::"char"[])
ORDER BY 1});
	my @relations = split /\n/, $relations;
	cmp_ok(scalar @relations, '>=', 8, "$db: the extension's views and tables are found");
	$use .= join('', map { "SELECT * FROM $_;\n" } @relations);
	my ($ret, $out, $err) = $node->psql($db, $use, on_error_stop => 1);
	is($ret, 0, "$db: every view and function works for a superuser") or diag($err);
	cmp_ok(
		$node->safe_psql($db,
			"SELECT pg_catalog.count(*) FROM $schema.vmastat_growth"),
		'>', 0, "$db: the leak views had samples to evaluate");

	is($node->safe_psql($db, 'SELECT pg_catalog.string_agg(DISTINCT what, \', \') FROM public.planted_log'),
		'', "$db: no planted object ran");
	is($node->safe_psql('postgres', "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'mallory'"),
		'f', "$db: mallory is no superuser");
}

$node->stop;
done_testing();
