# Upgrades: installing 1.0 and updating gives exactly what a fresh install
# of the default version gives, compared object by object in the catalogs:
# definitions, columns, comments, privileges, indexes.  An update from 1.1
# keeps the history.  Every released version works with the current
# library.  And every object and setting of the extension is documented in
# doc/reference.md.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
# 1.2 keeps the leak finder's samples in shared memory; no background
# sampler: the test takes the samples itself
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 0
});
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('postgres', 'CREATE DATABASE updated');
$node->safe_psql('fresh', 'CREATE EXTENSION vmastat');
$node->safe_psql('updated', "CREATE EXTENSION vmastat VERSION '1.0'");
is($node->safe_psql('updated', "SELECT extversion FROM pg_extension WHERE extname = 'vmastat'"),
	'1.0', 'version 1.0 installs');
$node->safe_psql('updated', 'ALTER EXTENSION vmastat UPDATE');

my $default_version = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'vmastat'");
is($node->safe_psql('updated', "SELECT extversion FROM pg_extension WHERE extname = 'vmastat'"),
	$default_version, "1.0 updates to the default version $default_version");

# One line per member object: its identity, definition, columns with types
# and comments, comment, privileges; and the indexes of its tables
my $describe = q{
WITH members AS (
    SELECT d.classid, d.objid
    FROM pg_depend d
    WHERE d.refclassid = 'pg_extension'::regclass
      AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vmastat')
      AND d.deptype = 'e'
)
SELECT pg_describe_object(m.classid, m.objid, 0) || E'\n' ||
       CASE m.classid
           WHEN 'pg_proc'::regclass THEN
               pg_get_functiondef(m.objid) || ' acl=' ||
               coalesce((SELECT proacl::text FROM pg_proc WHERE oid = m.objid), '')
           WHEN 'pg_class'::regclass THEN
               (SELECT relkind::text || ' acl=' || coalesce(relacl::text, '')
                FROM pg_class WHERE oid = m.objid) || E'\n' ||
               coalesce(pg_get_viewdef(m.objid), '') || E'\n' ||
               (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) ||
                                  ' ' || attnotnull::text || ' ' ||
                                  coalesce(col_description(attrelid, attnum), '-'),
                                  E'\n' ORDER BY attnum)
                FROM pg_attribute
                WHERE attrelid = m.objid AND attnum > 0 AND NOT attisdropped) || E'\n' ||
               coalesce((SELECT string_agg(pg_get_indexdef(indexrelid), E'\n'
                                           ORDER BY pg_get_indexdef(indexrelid))
                         FROM pg_index WHERE indrelid = m.objid), '')
           ELSE ''
       END || E'\ncomment: ' ||
       coalesce(obj_description(m.objid,
                                CASE m.classid WHEN 'pg_proc'::regclass THEN 'pg_proc'
                                               ELSE 'pg_class' END), '-')
FROM members m
ORDER BY 1;
};
my $fresh = $node->safe_psql('fresh', $describe);
my $updated = $node->safe_psql('updated', $describe);
ok(length($fresh) > 1000, 'the description covers the objects');
is($updated, $fresh, 'an updated 1.0 has exactly the objects of a fresh install');

# From 1.1 with samples: the update keeps every row of the 1.1 history,
# byte for byte, in the archive tables, and vmastat_history shows them
$node->safe_psql('postgres', 'CREATE DATABASE sampled');
$node->safe_psql('sampled', "CREATE EXTENSION vmastat VERSION '1.1'");
$node->safe_psql('sampled', 'SELECT vmastat_snapshot()') for 1 .. 3;
my $columns = 'sample_time, pid, backend_start, backend_type, datname, usename, '
  . 'application_name, rss, rss_anon, rss_file, rss_shmem, swap, hugetlb, writeable_private';
my $rows_of = sub {
	my ($rel, $where) = @_;
	$where //= 'true';
	return qq{
SELECT count(*), count(DISTINCT sample_time), md5(string_agg(r::text, ',' ORDER BY r::text))
FROM (SELECT $columns FROM $rel WHERE $where) AS r};
};
my $kinds_of = sub {
	my ($rel) = @_;
	return qq{
SELECT count(*), md5(string_agg(k::text, ',' ORDER BY k::text))
FROM $rel AS k};
};
my $before = $node->safe_psql('sampled', $rows_of->('vmastat_history'));
my $before_kinds = $node->safe_psql('sampled', $kinds_of->('vmastat_history_kinds'));
like($before, qr/^\d+\|3\|/, '1.1 took three samples');
like($before_kinds, qr/^[1-9]\d*\|/, 'and per-kind readings');
# whole rows as well: the archive has the 1.1 table's columns, in order
my $before_whole = $node->safe_psql('sampled',
	"SELECT md5(string_agg(h::text, ',' ORDER BY h::text)) FROM vmastat_history AS h");
$node->safe_psql('sampled', 'ALTER EXTENSION vmastat UPDATE');
is($node->safe_psql('sampled', "SELECT extversion FROM pg_extension WHERE extname = 'vmastat'"),
	$default_version, "1.1 with samples updates to $default_version");
is($node->safe_psql('sampled', $rows_of->('vmastat_history_archive')),
	$before, 'the update keeps every 1.1 sample in vmastat_history_archive');
is($node->safe_psql('sampled',
		"SELECT md5(string_agg(h::text, ',' ORDER BY h::text)) FROM vmastat_history_archive AS h"),
	$before_whole, 'whole rows, byte for byte');
is($node->safe_psql('sampled', $kinds_of->('vmastat_history_kinds_archive')),
	$before_kinds, 'and every per-kind reading in vmastat_history_kinds_archive');
is($node->safe_psql('sampled', $rows_of->('vmastat_history', 'archived')),
	$before, 'the view vmastat_history shows each archived sample, marked archived');
is($node->safe_psql('sampled', q{
SELECT count(*) FROM vmastat_history
WHERE archived AND (bucket_start IS DISTINCT FROM sample_time OR samples <> 1
    OR owned_min IS DISTINCT FROM rss_anon + coalesce(swap, 0)
    OR owned_max IS DISTINCT FROM owned_min OR owned_last IS DISTINCT FROM owned_min)}),
	'0', 'as a bucket of one sample whose owned memory is rss_anon + swap');
is($node->safe_psql('sampled', 'SELECT count(*) FROM vmastat_history WHERE NOT archived'),
	'0', 'before any 1.2 sample, the view has nothing else');

# 1.2 samples go to shared memory, not to the archive
cmp_ok($node->safe_psql('sampled', 'SELECT vmastat_snapshot()'), '>', 0, '1.2 samples after the update');
$node->safe_psql('sampled', 'SELECT vmastat_snapshot()');
is($node->safe_psql('sampled', $rows_of->('vmastat_history_archive')),
	$before, 'which leaves the archive alone');
cmp_ok($node->safe_psql('sampled', 'SELECT count(*) FROM vmastat_history WHERE NOT archived'),
	'>', 0, 'and shows in vmastat_history beside it');
cmp_ok($node->safe_psql('sampled', 'SELECT count(*) FROM vmastat_growth'),
	'>', 0, 'the updated views read the new samples');

# pruning reaches the archive by age
$node->safe_psql('sampled', "SELECT vmastat_history_prune('1 day')");
is($node->safe_psql('sampled', 'SELECT count(*) FROM vmastat_history_archive'),
	$before =~ s/\|.*//sr, 'pruning keeps archived samples younger than the interval');
$node->safe_psql('sampled', "SELECT vmastat_history_prune('0')");
is($node->safe_psql('sampled', 'SELECT count(*) FROM vmastat_history_archive')
	  . $node->safe_psql('sampled', 'SELECT count(*) FROM vmastat_history_kinds_archive'),
	'00', 'and deletes the older ones from both archive tables');

# Every released version works with the current library: each of its
# functions and views is used (the library serves the columns the
# version declared)
foreach my $version ('1.0', '1.1')
{
	my $db = 'old' . ($version =~ s/\./_/r);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION vmastat VERSION '$version'");
	my $use = q{
SELECT vmastat_snapshot();
SELECT count(*) FROM vmastat_vmas(pg_backend_pid());
SELECT count(*) FROM vmastat_vmas();
SELECT count(*) FROM vmastat_vmas_of(ARRAY[pg_backend_pid()]);
SELECT count(*) FROM vmastat_backend(pg_backend_pid());
SELECT count(*) FROM vmastat_backend(pg_backend_pid(), true);
SELECT count(*) FROM vmastat_backends();
SELECT count(*) FROM vmastat_backends(true);
SELECT count(*) FROM vmastat_parse_smaps(pg_read_file('/proc/self/smaps'));
SELECT vmastat_sparkline(ARRAY[1, 2]::bigint[]);
SELECT * FROM vmastat_leak_settings();
SELECT vmastat_history_prune('1 day');
};
	$use .= join('', map { "SELECT count(*) FROM $_;\n" } split /\n/,
		$node->safe_psql($db, q{
SELECT c.relname FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'e'
WHERE c.relkind IN ('r', 'v') ORDER BY 1}));
	my ($ret, $out, $err) = $node->psql($db, $use, on_error_stop => 1);
	is($ret, 0, "version $version: every function and view works with the current library")
	  or diag($err);
	like($use, qr/vmastat_leaks/, "version $version: its views were listed")
	  if $version eq '1.0';
	like($use, qr/vmastat_top/, "version $version: its views were listed")
	  if $version eq '1.1';
}

# Documentation: every member object and every setting appears in the
# reference
my $reference = slurp_file('doc/reference.md');
my @names = split /\n/, $node->safe_psql('fresh', q{
SELECT DISTINCT coalesce(p.proname::text, c.relname::text, t.typname::text)
FROM pg_depend d
    LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
    LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
    LEFT JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vmastat')
  AND d.deptype = 'e'
  -- not the array and row types generated along (members from 17 on)
  AND NOT EXISTS (SELECT 1 FROM pg_depend i
                  WHERE i.classid = 'pg_type'::regclass AND i.classid = d.classid
                    AND i.objid = d.objid AND i.deptype = 'i')
ORDER BY 1});
push @names, split /\n/, $node->safe_psql('fresh',
	"LOAD 'vmastat'; SELECT name FROM pg_settings WHERE name LIKE 'vmastat.%' ORDER BY 1");
cmp_ok(scalar @names, '>', 15, 'the objects and settings were listed');
for my $name (@names)
{
	ok($reference =~ /\b\Q$name\E\b/, "doc/reference.md documents $name");
}

$node->stop;
done_testing();
