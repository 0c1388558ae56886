# "make test" sets itself up: tools/test-packages.sh lists what the suite
# needs and is missing, and for a user who can neither install nor sudo it
# names the one command that installs it all, and fails.
use strict;
use warnings;

use FindBin;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;

plan skip_all => 'not a Debian or Ubuntu system' unless -x '/usr/bin/apt-cache';
plan skip_all => 'runs as root, which installs instead' if $> == 0;

my $script = "$FindBin::RealBin/../../tools/test-packages.sh";

# the installed version: nothing missing, nothing to do
my $pg_config = $ENV{PG_CONFIG} // 'pg_config';
my ($out, $err) = ('', '');
ok(IPC::Run::run([ $script ], '>', \$out, '2>', \$err), 'the list for this server is made')
  or diag($err);
unlike($out, qr/postgresql-server-dev/, 'the development files of this server are there');

# a version that is not installed (nor installable): the command to run
($out, $err) = ('', '');
my $ok = IPC::Run::run([ $script, '--install', '99' ], '>', \$out, '2>', \$err);
ok(!$ok, 'a missing server fails the set-up for a user who cannot install');
like($err, qr/sudo apt-get install -y --no-install-recommends .*postgresql-99 postgresql-server-dev-99/,
	'and names the one command that installs what is missing');

# the exporters the integration tests run, where apt knows them and they
# are not installed yet
for my $package (qw(prometheus-postgres-exporter prometheus-sql-exporter))
{
	my $policy = `apt-cache policy $package 2>/dev/null`;
	my ($candidate) = $policy =~ /^\s*Candidate: (\S+)/m;
	my ($installed) = $policy =~ /^\s*Installed: (\S+)/m;
  SKIP:
	{
		skip "apt has no $package", 1 unless $candidate && $candidate ne '(none)';
		if ($installed && $installed ne '(none)')
		{
			unlike($err, qr/ \Q$package\E( |$)/m, "$package is installed: not asked for");
		}
		else
		{
			like($err, qr/ \Q$package\E( |$)/m, "$package is asked for");
		}
	}
}

done_testing();
