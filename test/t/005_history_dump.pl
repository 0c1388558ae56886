# The history's edges: pruning refuses a negative interval, which would
# reach into the future and delete every sample; pg_dump leaves the samples
# out, as the documentation says, and a restored database has the extension
# with an empty history.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('history');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');
$node->safe_psql('postgres', 'SELECT vmastat_snapshot()');
$node->safe_psql('postgres', 'SELECT vmastat_snapshot()');
my $rows = $node->safe_psql('postgres', 'SELECT count(*) FROM vmastat_history');
cmp_ok($rows, '>', 0, 'samples were taken');

# A negative interval is an error and deletes nothing
my ($ret, $out, $err) = $node->psql('postgres',
	"SELECT vmastat_history_prune('-1 day')",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($ret, 0, 'pruning with a negative interval fails');
like($err, qr/ERROR:  22023: interval to keep must not be negative/,
	'with invalid_parameter_value and a message naming the problem');
is($node->safe_psql('postgres', 'SELECT count(*) FROM vmastat_history'),
	$rows, 'and deletes nothing');
is($node->safe_psql('postgres', "SELECT vmastat_history_prune('1 day')"),
	'0', 'a positive interval still prunes (nothing this young)');
is($node->safe_psql('postgres', "SELECT vmastat_history_prune('0')"),
	$rows, 'and zero empties the history');

# pg_dump: the extension, not its samples
$node->safe_psql('postgres', 'SELECT vmastat_snapshot()');
my $dump = $node->backup_dir . '/history.sql';
$node->command_ok(
	[ 'pg_dump', '-d', $node->connstr('postgres'), '-f', $dump ],
	'pg_dump runs');
my $text = slurp_file($dump);
like($text, qr/CREATE EXTENSION IF NOT EXISTS vmastat/, 'the dump creates the extension');
unlike($text, qr/COPY public\.vmastat_history/, 'the dump has no samples');

$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('restored'), '-f', $dump ],
	'the dump restores');
is($node->safe_psql('restored', 'SELECT count(*) FROM vmastat_history'),
	'0', 'the restored history is empty');
cmp_ok($node->safe_psql('restored', 'SELECT vmastat_snapshot()'),
	'>', 0, 'and sampling works there');

$node->stop;
done_testing();
