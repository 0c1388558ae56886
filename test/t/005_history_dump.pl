# The history's edges: pruning refuses a negative interval, which would
# reach into the future and delete everything; it forgets the leak finder's
# incarnations and deletes the archived 1.1 samples by age.  pg_dump leaves
# the samples out, as the documentation says: the store lives in shared
# memory, and the archive tables are extension members not marked for
# dumping, so a restored database has the extension with an empty archive.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('history');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 0
});
$node->start;

# an archive to keep or delete: samples taken by 1.1, then the update
$node->safe_psql('postgres', "CREATE EXTENSION vmastat VERSION '1.1'");
$node->safe_psql('postgres', 'SELECT vmastat_snapshot()') for 1 .. 2;
$node->safe_psql('postgres', 'ALTER EXTENSION vmastat UPDATE');
$node->safe_psql('postgres', 'SELECT vmastat_snapshot()') for 1 .. 2;
my $count = q{SELECT (SELECT count(*) FROM vmastat_history_archive) || ' '
    || (SELECT count(*) FROM vmastat_history_kinds_archive) || ' '
    || (SELECT count(*) FROM vmastat_growth)};
my $rows = $node->safe_psql('postgres', $count);
like($rows, qr/^[1-9]\d* [1-9]\d* [1-9]\d*$/,
	'archived samples, archived per-kind readings and sampled incarnations');
my $incarnations = (split / /, $rows)[2];

# A negative interval is an error and deletes nothing
my ($ret, $out, $err) = $node->psql('postgres',
	"SELECT vmastat_history_prune('-1 day')",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($ret, 0, 'pruning with a negative interval fails');
like($err, qr/ERROR:  22023: interval to keep must not be negative/,
	'with invalid_parameter_value and a message naming the problem');
is($node->safe_psql('postgres', $count), $rows, 'and deletes nothing');
is($node->safe_psql('postgres', "SELECT vmastat_history_prune('1 day')"),
	'0', 'a positive interval forgets no incarnation this young');
is($node->safe_psql('postgres', $count), $rows, 'and keeps the archive this young');
is($node->safe_psql('postgres', "SELECT vmastat_history_prune('0')"),
	$incarnations, 'zero forgets every incarnation');
is($node->safe_psql('postgres', $count), '0 0 0', 'and empties the archive and the store');

# pg_dump: the extension, not its samples (the archive gets rows again)
$node->safe_psql('postgres', q{
INSERT INTO vmastat_history_archive (sample_time, pid, rss_anon) VALUES (now(), 1, 1);
INSERT INTO vmastat_history_kinds_archive (sample_time, pid, kind) VALUES (now(), 1, 'heap');
SELECT vmastat_snapshot();
});
my $dump = $node->backup_dir . '/history.sql';
$node->command_ok(
	[ 'pg_dump', '-d', $node->connstr('postgres'), '-f', $dump ],
	'pg_dump runs');
my $text = slurp_file($dump);
like($text, qr/CREATE EXTENSION IF NOT EXISTS vmastat/, 'the dump creates the extension');
unlike($text, qr/COPY public\.vmastat_history/, 'the dump has no archived samples');

$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('restored'), '-f', $dump ],
	'the dump restores');
is($node->safe_psql('restored',
		'SELECT (SELECT count(*) FROM vmastat_history_archive) + (SELECT count(*) FROM vmastat_history_kinds_archive) + (SELECT count(*) FROM vmastat_history WHERE archived)'),
	'0', 'the restored archive is empty');
cmp_ok($node->safe_psql('restored', 'SELECT vmastat_snapshot()'),
	'>', 0, 'and sampling works there');

$node->stop;
done_testing();
