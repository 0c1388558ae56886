# The memory a whole-cluster scan keeps until the end of its call does not
# grow with the number of processes: the text of a row's device, which
# changes from mapping to mapping, is built on the stack.  The memory is
# read from pg_backend_memory_contexts in the same statement, while the
# function scan's per-call context still holds what the call left there.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('call_memory');
$node->init;
$node->append_conf('postgresql.conf', 'max_connections = 60');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');

my $mon = $node->background_psql('postgres');

# The lateral subquery runs after the first row of vmastat_vmas() was
# fetched, so before the scan's context is reset: what the call left in it
# is counted in the "ExprContext" contexts
my $query = q{
SELECT m.used
FROM (SELECT pid FROM vmastat_vmas() LIMIT 1) AS v,
    LATERAL (SELECT sum(used_bytes) AS used
             FROM pg_backend_memory_contexts
             WHERE name = 'ExprContext' AND v.pid IS NOT NULL) AS m};
like($mon->query_safe("EXPLAIN (COSTS OFF) $query"),
	qr/Nested Loop\n.*Limit\n.*Function Scan on vmastat_vmas/s,
	'the memory is read while the scan of vmastat_vmas() is under way');

# Mappings whose device differs from the one before, over all processes
my $dev_changes = q{
SELECT count(*) FROM (
    SELECT dev IS DISTINCT FROM lag(dev) OVER (PARTITION BY pid ORDER BY start_addr) AS changed
    FROM vmastat_vmas()) AS r
WHERE changed};

my $used_before = $mon->query_safe($query);
my $changes_before = $mon->query_safe($dev_changes);

my @sessions = map { $node->background_psql('postgres') } 1 .. 30;
$_->query_safe('SELECT 1') for @sessions;

my $used_after = $mon->query_safe($query);
my $changes_after = $mon->query_safe($dev_changes);
note("device changes $changes_before -> $changes_after, "
	  . "memory left by the call $used_before -> $used_after bytes");

cmp_ok($changes_after - $changes_before, '>', 1000,
	'30 more processes bring more than 1,000 more device changes');
# a leak of even one 8-byte chunk per change would pass this bound
cmp_ok($used_after - $used_before, '<', 8192,
	'the memory the call leaves does not grow with the device changes');

$_->quit for @sessions;
$mon->quit;
$node->stop;
done_testing();
