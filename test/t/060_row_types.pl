# Every set-returning C function checks the row type it is asked to fill
# against the columns it was built for: a row type altered after CREATE
# EXTENSION, or SQL objects of another version than the library, give an
# ERROR, never a crash of the server.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('row_types');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');

my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my $pm_pid = (split /\n/, slurp_file($node->data_dir . '/postmaster.pid'))[0];
my $maps = slurp_file("/proc/$pm_pid/maps");
die 'maps text holds the dollar-quote tag' if $maps =~ /\$maps\$/;

# Each call of every function that fills vmastat_vma, vmastat_summary or
# vmastat_kind, by the row type it returns
my %calls = (
	vmastat_vma => {
		'vmastat_vmas(pid)' => 'vmastat_vmas(pg_backend_pid())',
		'vmastat_vmas()' => 'vmastat_vmas()',
		'view vmastat_vmas' => 'vmastat_vmas',
		'vmastat_vmas_of' => 'vmastat_vmas_of(ARRAY[pg_backend_pid()])',
		'vmastat_parse_smaps' => "vmastat_parse_smaps(\$maps\$$maps\$maps\$)",
	},
	vmastat_summary => {
		'vmastat_backends(fast)' => 'vmastat_backends(true)',
		'vmastat_backends()' => 'vmastat_backends(false)',
		'vmastat_backend(pid, fast)' => 'vmastat_backend(pg_backend_pid(), true)',
		'vmastat_backend(pid)' => 'vmastat_backend(pg_backend_pid(), false)',
		'view vmastat_activity' => 'vmastat_activity',
	},
	vmastat_kind => {
		'vmastat_kinds()' => 'vmastat_kinds()',
		'view vmastat_kinds' => 'vmastat_kinds',
		'vmastat_kinds_of' => 'vmastat_kinds_of(ARRAY[pg_backend_pid()])',
	});

# Ways to change a row type after the library was built; each is rolled
# back.  A column's type can only change once the views that use it are gone,
# so they are taken out of the extension, dropped and made again on the
# altered type.  (Attributes of the extension's types cannot be dropped: the
# extension depends on them.  A dropped column is tried below.)
my $remake_views = q{
	ALTER EXTENSION vmastat DROP VIEW vmastat_activity;
	ALTER EXTENSION vmastat DROP VIEW vmastat_vmas;
	ALTER EXTENSION vmastat DROP VIEW vmastat_oom;
	ALTER EXTENSION vmastat DROP VIEW vmastat_totals;
	DROP VIEW vmastat_activity, vmastat_vmas, vmastat_oom, vmastat_totals CASCADE;
	%s;
	CREATE VIEW vmastat_vmas AS SELECT * FROM vmastat_vmas();
	CREATE VIEW vmastat_activity AS SELECT * FROM vmastat_backends();
};
my %changes = (
	'two attributes added' => {
		vmastat_vma => 'ALTER TYPE vmastat_vma ADD ATTRIBUTE x1 text, ADD ATTRIBUTE x2 text',
		vmastat_summary => 'ALTER TYPE vmastat_summary ADD ATTRIBUTE x1 text, ADD ATTRIBUTE x2 text',
		vmastat_kind => 'ALTER TYPE vmastat_kind ADD ATTRIBUTE x1 text, ADD ATTRIBUTE x2 text',
		error => qr/ERROR:  42804: row type of function vmastat_\w+ has the wrong number of columns\nDETAIL:  The row type has (36 columns, the vmastat library returns 34|34 columns, the vmastat library returns 32|11 columns, the vmastat library returns 9)\.\nHINT:  .*ALTER EXTENSION vmastat UPDATE/,
	},
	'a column of another type' => {
		vmastat_vma => sprintf($remake_views,
			'ALTER TYPE vmastat_vma ALTER ATTRIBUTE start_addr TYPE bigint'),
		vmastat_summary => sprintf($remake_views,
			'ALTER TYPE vmastat_summary ALTER ATTRIBUTE mapped TYPE text'),
		vmastat_kind => q{
			ALTER EXTENSION vmastat DROP VIEW vmastat_kinds;
			DROP VIEW vmastat_kinds;
			ALTER TYPE vmastat_kind ALTER ATTRIBUTE kind TYPE bigint;
			CREATE VIEW vmastat_kinds AS SELECT * FROM vmastat_kinds();
		},
		error => qr/ERROR:  42804: row type of function vmastat_\w+ does not match the vmastat library\nDETAIL:  Column (2 is of type bigint, the library returns text|3 is of type text, the library returns bigint)\./,
	});

for my $change (sort keys %changes)
{
	my $c = $changes{$change};
	for my $type (sort keys %calls)
	{
		for my $what (sort keys %{ $calls{$type} })
		{
			my ($ret, $out, $err) = $node->psql(
				'postgres',
				"BEGIN;
				 $c->{$type};
				 SELECT count(*) FROM $calls{$type}{$what} WHERE pid IS NOT NULL;
				 ROLLBACK;",
				extra_params => [ '-v', 'VERBOSITY=verbose' ]);
			like($err, $c->{error}, "$change to $type: $what raises a clear error");
		}
	}
}

# A row type with a dropped column, and a function returning it
$node->safe_psql(
	'postgres', q{
DO $$BEGIN
EXECUTE 'CREATE TYPE summary_dropped AS (pid integer, junk integer, '
    || (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(attname) || ' '
                || pg_catalog.format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
        FROM pg_catalog.pg_attribute
        WHERE attrelid = 'vmastat_summary'::pg_catalog.regclass AND attnum > 1)
    || ')';
END$$;
ALTER TYPE summary_dropped DROP ATTRIBUTE junk;
CREATE FUNCTION backends_dropped(fast boolean) RETURNS SETOF summary_dropped
    AS '$libdir/vmastat', 'vmastat_backends_all' LANGUAGE C;
});
my ($ret, $out, $err) = $node->psql('postgres',
	'SELECT count(*) FROM backends_dropped(true) WHERE pid IS NOT NULL',
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  42804: row type of function backends_dropped does not match the vmastat library\nDETAIL:  Column 2 was dropped, the library returns text\./,
	'a row type with a dropped column raises a clear error');

# A library newer or older than the SQL objects: the same functions bound to
# other row types, as CREATE FUNCTION of another version would
$node->safe_psql(
	'postgres', q{
CREATE FUNCTION short_vmas(OUT pid integer, OUT start_addr text)
    RETURNS SETOF record AS '$libdir/vmastat', 'vmastat_vmas_all' LANGUAGE C;
CREATE FUNCTION text_backends(fast boolean, OUT pid text, OUT backend_type text,
    OUT a bigint, OUT b bigint, OUT c bigint, OUT d bigint, OUT e bigint, OUT f bigint,
    OUT g bigint, OUT h bigint, OUT i bigint, OUT j bigint, OUT k bigint, OUT l bigint,
    OUT m bigint, OUT n bigint, OUT o bigint, OUT p bigint, OUT q bigint, OUT r bigint,
    OUT s bigint, OUT t bigint, OUT u bigint, OUT v bigint, OUT w bigint, OUT x bigint,
    OUT y bigint, OUT z bigint)
    RETURNS SETOF record AS '$libdir/vmastat', 'vmastat_backends_all' LANGUAGE C;
});
($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM short_vmas()',
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  42804: row type of function short_vmas has the wrong number of columns/,
	'a function of fewer columns raises a clear error');
($ret, $out, $err) = $node->psql('postgres',
	'SELECT count(*) FROM text_backends(true) WHERE pid IS NOT NULL',
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  42804: .*\nDETAIL:  Column 1 is of type text, the library returns integer\./,
	'a function whose first column has another type raises a clear error');

# vmastat_leak_settings() returns one row, not a set: the same check
$node->safe_psql(
	'postgres', q{
CREATE FUNCTION short_settings(OUT min_rate bigint, OUT min_samples integer)
    RETURNS record AS '$libdir/vmastat', 'vmastat_leak_settings' LANGUAGE C;
CREATE FUNCTION text_settings(OUT min_rate text, OUT min_samples integer,
    OUT min_span interval, OUT min_r2 double precision)
    RETURNS record AS '$libdir/vmastat', 'vmastat_leak_settings' LANGUAGE C;
});
($ret, $out, $err) = $node->psql('postgres', 'SELECT * FROM short_settings()',
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  42804: row type of function short_settings has the wrong number of columns/,
	'leak settings of fewer columns raise a clear error');
($ret, $out, $err) = $node->psql('postgres', 'SELECT * FROM text_settings()',
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  42804: .*\nDETAIL:  Column 1 is of type text, the library returns bigint\./,
	'leak settings whose first column has another type raise a clear error');

# The leak finder's readers: the same check, before they look for their
# shared memory (this cluster does not preload vmastat)
for my $c_name ('vmastat_incarnations', 'vmastat_incarnation_kinds', 'vmastat_incarnation_series')
{
	$node->safe_psql('postgres',
		"CREATE FUNCTION short_$c_name(OUT pid integer, OUT backend_start timestamptz)
		 RETURNS SETOF record AS '\$libdir/vmastat', '$c_name' LANGUAGE C");
	($ret, $out, $err) = $node->psql('postgres', "SELECT count(*) FROM short_$c_name()",
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($err, qr/ERROR:  42804: row type of function short_$c_name has the wrong number of columns/,
		"$c_name into a row type of fewer columns raises a clear error");
}

# Nothing crashed meanwhile, and the unaltered types still work
is($node->safe_psql('postgres',
		'SELECT (SELECT count(*) > 0 FROM vmastat_vmas(pg_backend_pid())),
		        (SELECT count(*) FROM vmastat_backend(pg_backend_pid()))'),
	't|1', 'the functions work with the row types they were built for');
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$start_time, 'the server did not restart');
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated/,
	'no server process was terminated');

$node->stop;
done_testing();
