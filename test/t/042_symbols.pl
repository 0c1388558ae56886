# The installed library exports only what PostgreSQL looks up (_PG_init,
# Pg_magic_func, pg_finfo_*) and names with vmastat's prefix, so that no
# function of another loaded library with a common name (procfs_read,
# server_pids...) can take the place of one of vmastat's, or the reverse.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;

my $pg_config = $ENV{PG_CONFIG} // 'pg_config';
chomp(my $pkglibdir = `$pg_config --pkglibdir`);
my $library = "$pkglibdir/vmastat.so";
ok(-f $library, "the library is installed at $library");

my ($stdout, $stderr);
my $ok = IPC::Run::run([ 'nm', '-D', '--defined-only', $library ],
	'>', \$stdout, '2>', \$stderr);
ok($ok, 'nm reads the library') or diag($stderr);

my @symbols = map { (split ' ')[-1] } grep { /\S/ } split /\n/, $stdout;
cmp_ok(scalar @symbols, '>', 10, 'the library exports symbols');
ok((grep { $_ eq 'pg_finfo_vmastat_vmas_pid' } @symbols),
	'the SQL functions are among them');
my @unprefixed =
  grep { !/^(?:_PG_init|Pg_magic_func|pg_finfo_\w+|vmastat_\w+)$/ } @symbols;
is_deeply(\@unprefixed, [], 'every exported symbol is prefixed');

done_testing();
