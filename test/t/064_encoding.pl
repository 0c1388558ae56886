# File names read from /proc are bytes in no particular encoding.  vmastat
# returns them as text valid in the database encoding: a byte that does not
# start a valid character becomes \xNN, valid characters (multibyte ones
# too) and the kernel's " (deleted)" stay as they are.
#
# The mapping: a backend LOADs a copy of the test module through a symlink
# with a plain name; the kernel names the mapping by the file the link
# points to, in a directory whose name is not valid UTF-8.

use strict;
use warnings;

use File::Copy;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('encoding');
$node->init(extra => [ '--locale=C.UTF-8', '--encoding=UTF8' ]);
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vmastat');
is($node->safe_psql('postgres', 'SHOW server_encoding'), 'UTF8', 'a UTF8 database');

my $pkglibdir = $node->safe_psql('postgres',
	"SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'");
my $module = "$pkglibdir/vmastat_test_leak.so";
die "$module is needed (make -C test/leak install)\n" unless -f $module;

# "bad" 0xff "name" U+00E9 (two bytes, valid) 0xc3 (a lead byte cut short)
my $tempdir = PostgreSQL::Test::Utils::tempdir;
my $dir = "$tempdir/bad\xffname\xc3\xa9\xc3";
mkdir $dir or die "mkdir: $!";
copy($module, "$dir/mod.so") or die "copy: $!";
symlink("$dir/mod.so", "$tempdir/link.so") or die "symlink: $!";
# what vmastat should return, as UTF-8 text
my $expected = "$tempdir/bad\\xffname\xc3\xa9\\xc3/mod.so";

my $session = $node->background_psql('postgres');
$session->query_safe("LOAD '$tempdir/link.so'");
my $pid = $session->query_safe('SELECT pg_backend_pid()');
$pid =~ s/\D//g;
like(slurp_file("/proc/$pid/maps"), qr/\Q$dir\E\/mod\.so$/m,
	'the kernel names the mapping by the file with the invalid name');

# Each mapping of the file: its path, checked by a conversion that verifies
# the encoding (convert_from of UTF8 in a UTF8 database checks the bytes)
my $check = q{
SELECT count(*), count(DISTINCT path),
       bool_and(convert_from(convert_to(path, 'UTF8'), 'UTF8') = path),
       min(path)
FROM %s WHERE path LIKE '%%/mod.so%%'};
for my $from ('vmastat_vmas(pg_backend_pid())', 'vmastat_vmas()')
{
	my $out = $session->query_safe(sprintf($check, $from));
	my ($n, $distinct, $valid, $path) = split /\|/, $out, 4;
	ok($n > 0 && $distinct == 1, "$from: $n mappings of the file, one path");
	is($valid, 't', "$from: the path is valid UTF-8");
	is($path, $expected, "$from: invalid bytes escaped, the valid character kept");
}

# The file removed: " (deleted)" stays as the kernel prints it
unlink("$dir/mod.so") or die "unlink: $!";
my $out = $session->query_safe(sprintf($check, 'vmastat_vmas(pg_backend_pid())'));
my ($n, $distinct, $valid, $path) = split /\|/, $out, 4;
is("$valid|$path", "t|$expected (deleted)",
	'a deleted file keeps its " (deleted)" after the escaped name');

$session->quit;
$node->stop;
done_testing();
