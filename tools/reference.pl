#!/usr/bin/perl
# tools/reference.pl: puts the blocks that tools/reference.sql printed
# (read from standard input) in place of the blocks of the same name in
# doc/reference.md, between
#   <!-- BEGIN generated: NAME -->  and  <!-- END generated: NAME -->
#
#   psql -XAtq -f tools/reference.sql | tools/reference.pl doc/reference.md
#
# rewrites the file; with --output=FILE the result goes to FILE instead
# (test/t/041_docs.pl compares it with the file).  Fails if a block is
# missing on either side, so that a renamed block cannot go stale.
use strict;
use warnings;
use Getopt::Long;

my $output;
GetOptions('output=s' => \$output) or die "usage: $0 [--output=FILE] DOC\n";
my $doc = shift or die "usage: $0 [--output=FILE] DOC\n";
$output //= $doc;

my $block = qr/<!-- BEGIN generated: (?<name>[\w-]+) -->\n.*?<!-- END generated: \k<name> -->/s;

local $/;
my $generated = <STDIN>;
my %new;
while ($generated =~ /$block/g)
{
	$new{$+{name}} = $&;
}
die "no generated blocks on standard input\n" unless %new;

open my $in, '<:raw', $doc or die "could not open $doc: $!\n";
my $text = <$in>;
close $in;

my %seen;
$text =~ s{$block}{
	my $name = $+{name};
	die "$doc: no generated block \"$name\" on standard input\n"
	  unless exists $new{$name};
	$seen{$name} = 1;
	$new{$name};
}ge;
for my $name (sort keys %new)
{
	die "$doc: has no block \"$name\" to replace\n" unless $seen{$name};
}

open my $out, '>:raw', $output or die "could not write $output: $!\n";
print $out $text;
close $out or die "could not write $output: $!\n";
