# The documentation against a real cluster.  The generated tables of
# doc/reference.md match the catalog they are made from (the COMMENTs of the
# extension script and the descriptions of the settings).  Every code block
# of README.md and doc/*.md names its language, and every "sql" block runs
# without an error, on a cluster with the background sampler, a history and
# a session that leaks.  The example that reads the server log works on a
# log whose last megabyte starts in the middle of a character.
use strict;
use warnings;

use Cwd;
use File::Copy;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);

my $srcdir = getcwd();
my @docs = ('README.md', sort glob('doc/*.md'));
cmp_ok(scalar @docs, '>', 5, 'README.md and the pages of doc/ are found');

# The code blocks of a Markdown file: language (the fence's info string),
# first line and text
sub code_blocks
{
	my ($file) = @_;
	my (@blocks, $block);
	open my $fh, '<', $file or die "could not open $file: $!";
	while (my $line = <$fh>)
	{
		if (!$block && $line =~ /^```(.*?)\s*$/)
		{
			$block = { file => $file, line => $., info => $1, text => '' };
		}
		elsif ($block && $line =~ /^```\s*$/)
		{
			push @blocks, $block;
			undef $block;
		}
		elsif ($block)
		{
			$block->{text} .= $line;
		}
	}
	die "$file: the code block of line $block->{line} is not closed" if $block;
	close $fh;
	return @blocks;
}

# The anchors GitHub makes of the headings of a Markdown file
sub anchors
{
	my ($file) = @_;
	my %anchors;
	my $in_block = 0;
	for my $line (split /\n/, slurp_file($file))
	{
		$in_block = !$in_block if $line =~ /^```/;
		next if $in_block || $line !~ /^#+\s+(.*?)\s*$/;
		my $anchor = lc $1;
		$anchor =~ s/[^\w\- ]//g;
		$anchor =~ tr/ /-/;
		$anchors{$anchor} = 1;
	}
	return \%anchors;
}

# Every link between the pages leads to a file, and to a heading in it
for my $file (@docs)
{
	(my $text = slurp_file($file)) =~ s/^```.*?^```//gms;
	my $dir = $file =~ m{^(.*)/} ? "$1/" : '';
	while ($text =~ /\]\(([^)\s]+)\)/g)
	{
		my $link = $1;
		next if $link =~ /^[a-z]+:/;
		my ($path, $anchor) = split /#/, $link, 2;
		my $target = $path eq '' ? $file : "$dir$path";
		1 while $target =~ s{[^/]+/\.\./}{};
		ok(-e $target, "$file: the link to $link leads to a file");
		next unless defined $anchor && -e $target && $target =~ /\.md$/;
		ok(anchors($target)->{$anchor}, "$file: the link to $link leads to a heading");
	}
}

my @blocks = map { code_blocks($_) } @docs;
my %languages = map { $_ => 1 } ('sql', 'sql norun', 'text', 'sh', 'conf');
for my $b (@blocks)
{
	ok($languages{ $b->{info} },
		"$b->{file}:$b->{line}: the code block names its language (sql, sql norun, text, sh or conf)")
	  or diag("info string: \"$b->{info}\"");
}
my @sql = grep { $_->{info} eq 'sql' } @blocks;
my @norun = grep { $_->{info} eq 'sql norun' } @blocks;
cmp_ok(scalar @sql, '>', 20, 'the documentation has SQL examples');
cmp_ok(scalar @norun, '<=', 3, 'few SQL examples are left unrun');

my $node = PostgreSQL::Test::Cluster->new('docs');
$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'vmastat'
vmastat.sample_interval = 1
vmastat.database = 'postgres'
# the examples read the log through pg_current_logfile()
logging_collector = on
log_directory = 'log'
# an example that runs must leave the log as it is, see the end
log_statement = none
});
$node->start;

# The generated tables of the reference
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');
my $generated = $node->safe_psql('postgres', slurp_file('tools/reference.sql'));
my $genfile = "$PostgreSQL::Test::Utils::tmp_check/reference.generated";
my $regenerated = "$PostgreSQL::Test::Utils::tmp_check/reference.md";
open my $gfh, '>:raw', $genfile or die "could not write $genfile: $!";
print $gfh $generated, "\n";
close $gfh;
my ($stdout, $stderr) = run_command(
	[ 'sh', '-c', "perl tools/reference.pl --output='$regenerated' doc/reference.md < '$genfile'" ]);
ok(-f $regenerated, 'tools/reference.pl regenerates doc/reference.md') or diag($stderr);
my $same = -f $regenerated && slurp_file($regenerated) eq slurp_file('doc/reference.md');
ok($same, 'doc/reference.md matches the COMMENTs and settings of the installed extension')
  or diag("the generated tables differ from the catalog: run \"make reference\" "
	  . "against a server with this version installed, or copy $regenerated "
	  . "to doc/reference.md\n"
	  . (run_command([ 'diff', '-u', 'doc/reference.md', $regenerated ]))[0]);

# What the examples use: samples, a leaking session, a role, a saved smaps
# file in psql's working directory and one the server may read
$node->safe_psql('postgres', 'CREATE ROLE monitoring_user');
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM vmastat_growth WHERE backend_type = 'postmaster' AND alive AND samples >= 2")
  or die 'the sampler does not take samples';

my $leaker = $node->background_psql('postgres', on_error_stop => 0);
my $leaker_pid = $leaker->query_safe(
	"SET application_name = 'orders_api'; SELECT pg_backend_pid()");
$leaker_pid =~ s/\D//g;
$leaker->query_until(
	qr/started/, q{\echo started
DO $$
DECLARE i integer := 0;
BEGIN
    LOOP
        i := i + 1;
        EXECUTE format('PREPARE order_%s AS SELECT %s AS n, relname FROM pg_class WHERE oid = 1259', i, i);
        PERFORM pg_sleep(0.02);
    END LOOP;
END
$$;
});
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM vmastat_leaks WHERE pid = $leaker_pid")
  or die 'the leaking session is not found';

my $workdir = PostgreSQL::Test::Utils::tempdir();
copy('test/fixtures/pg_backend.smaps', "$workdir/backend-12345.smaps")
  or die "could not copy the fixture: $!";
my $server_file = '/tmp/backend-12345.smaps';
my $made_server_file = !-e $server_file;
if ($made_server_file)
{
	copy('test/fixtures/pg_backend.smaps', $server_file)
	  or die "could not copy the fixture to $server_file: $!";
}

# Runs one example through psql's standard input, in psql's working
# directory $workdir; returns psql's exit code, output and errors
my $databases = 0;
sub run_example
{
	my ($b) = @_;
	my $db = 'postgres';
	if ($b->{text} =~ /CREATE EXTENSION vmastat\b/)
	{
		$db = 'docs_' . ++$databases;
		$node->safe_psql('postgres', "CREATE DATABASE $db");
	}
	chdir $workdir or die "could not enter $workdir: $!";
	my @result = $node->psql($db, $b->{text}, on_error_stop => 1);
	chdir $srcdir or die "could not enter $srcdir: $!";
	return @result;
}

for my $b (@sql)
{
	my ($ret, $out, $err) = run_example($b);
	is($ret, 0, "$b->{file}:$b->{line}: the example runs") or diag($err);
}

# The memory contexts the examples asked the leaking session for reach the
# log, and the example that reads the log finds them
my ($read_log) = grep { $_->{text} =~ /pg_read_binary_file\(pg_current_logfile\(\)/ } @sql;
ok($read_log, 'an example reads the server log');
my $found = 0;
for (1 .. 10 * $PostgreSQL::Test::Utils::timeout_default)
{
	my ($ret, $out) = run_example($read_log);
	$found = $ret == 0 && $out =~ /\[$leaker_pid\].*Grand total/;
	last if $found;
	sleep 0.1;
}
ok($found, 'the log example finds the memory contexts of the leaking session');

# A log whose last megabyte starts in the middle of a two-byte character:
# one line of a million and more "é", then short lines until the byte where
# the last megabyte starts is the second byte of one
my $logfile = $node->data_dir . '/'
  . $node->safe_psql('postgres', 'SELECT pg_current_logfile()');

sub log_line
{
	my ($marker, $text_sql) = @_;
	$node->safe_psql('postgres',
		"DO \$\$BEGIN RAISE LOG '$marker %', $text_sql; END\$\$");
	for (1 .. 10 * $PostgreSQL::Test::Utils::timeout_default)
	{
		return if index(slurp_file($logfile), "$marker ") >= 0;
		sleep 0.1;
	}
	die "$marker did not reach the log";
}

# The size of the log once the logging collector has written everything:
# a line shows up in pieces, its context line after it
sub settled_size
{
	my $size = -s $logfile;
	for (1 .. 10 * $PostgreSQL::Test::Utils::timeout_default)
	{
		sleep 0.3;
		my $now = -s $logfile;
		return $now if $now == $size;
		$size = $now;
	}
	die 'the log kept growing';
}

sub byte_at
{
	my ($offset) = @_;
	open my $fh, '<:raw', $logfile or die "could not open $logfile: $!";
	seek $fh, $offset, 0;
	read $fh, my $byte, 1;
	close $fh;
	return ord $byte;
}

log_line('docs-padding-0', 'repeat(chr(233), 600000)');
my $tested = 0;
my @attempts;
for my $attempt (1 .. 60)
{
	my $size = settled_size();
	my $byte = byte_at($size - 1000000);
	push @attempts, sprintf('size %d, byte 0x%02x', $size, $byte);
	if ($byte >= 0x80 && $byte <= 0xbf)
	{
		my ($ret, $out, $err) = run_example($read_log);
		# nothing was logged meanwhile: the example read from mid-character
		$attempts[-1] .= ', then ' . (-s $logfile);
		if (-s $logfile == $size)
		{
			is($ret, 0, 'the log example reads a log cut in the middle of a character')
			  or diag($err);
			# the oracle: reading the same megabyte as text fails
			my ($naive_ret, $naive_out, $naive_err) = $node->psql(
				'postgres', q{SELECT length(pg_read_file(pg_current_logfile(),
				                  (pg_stat_file(pg_current_logfile())).size - 1000000, 1000000))});
			like($naive_err, qr/invalid byte sequence for encoding "UTF8"/,
				'read as text, the same megabyte starts in the middle of a character');
			$tested = 1;
			last;
		}
	}
	# the statement is logged too: its text keeps its length, the
	# message grows by one byte every other time, so the cut moves by an
	# odd number of bytes
	log_line("docs-padding-$attempt", sprintf(q{repeat('x', %d)}, 1 + $attempt % 2));
}
ok($tested, 'a log cut in the middle of a character was made')
  or diag(join("\n", @attempts));

$node->safe_psql('postgres', "SELECT pg_terminate_backend($leaker_pid)");
# its psql ends with the session: quitting may find the pipe closed
eval { $leaker->quit; };
unlink $server_file if $made_server_file;
$node->stop;
done_testing();
