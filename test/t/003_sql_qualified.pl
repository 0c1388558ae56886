# Every function and operator that the extension's scripts bind at creation
# time is schema-qualified, so that no object planted in the target schema
# or in public can take its place ("Security Considerations for Extension
# Scripts" in PostgreSQL's documentation).
#
# Two checks.  The scripts' text: in every view, a function call is
# pg_catalog.f(...) or @extschema@.f(...), an operator is
# OPERATOR(pg_catalog.op), and the constructs that look an operator up by
# its bare name (IS DISTINCT FROM, IN, NULLIF, BETWEEN, LIKE, USING, simple
# CASE, ANY/ALL) do not occur; every SQL or PL/pgSQL function pins its
# search_path instead.  The installed catalog: every view depends only on
# functions and operators of pg_catalog or of the extension, and every
# function not written in C pins search_path to pg_catalog, pg_temp.
use strict;
use warnings;

use File::Basename qw(dirname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $srcdir = dirname(__FILE__) . '/../..';

# Words that may stand before "(" without being a function call
my %syntax = map { $_ => 1 } qw(
  AS AND OR NOT ON EXISTS COALESCE GREATEST LEAST ARRAY ROW OVER FILTER
  SELECT FROM JOIN LATERAL EXTRACT WHEN THEN ELSE BY OPERATOR VIEW WITH
);

# Constructs that resolve an operator by its unqualified name
my @bare_operator_constructs = (
	qr/\bIS\s+(?:NOT\s+)?DISTINCT\s+FROM\b/i, qr/\bIN\s*\(/i,
	qr/\bNULLIF\s*\(/i, qr/\bBETWEEN\b/i,
	qr/\b(?:I?LIKE|SIMILAR)\b/i, qr/\bUSING\s*\(/i,
	qr/\b(?:ANY|ALL|SOME)\s*\(/i, qr/\bOVERLAPS\b/i,
	qr/\bCASE\s+(?!WHEN\b)\S/i);

# The text of a script with comments removed and string literals and
# dollar-quoted bodies replaced by placeholders; bodies are returned apart.
sub mask_script
{
	my ($text) = @_;
	my (@bodies, $out);
	# psql meta-commands (the \echo guard) are not SQL
	$text =~ s/^\\[^\n]*$//mg;
	while (length $text)
	{
		if ($text =~ s/^(\$[A-Za-z_]*\$)(.*?)\1//s)
		{
			push @bodies, $2;
			$out .= ' $BODY' . $#bodies . '$ ';
		}
		elsif ($text =~ s/^'(?:[^']|'')*'//s)
		{
			$out .= "'S'";
		}
		elsif ($text =~ s/^--[^\n]*//) { }
		elsif ($text =~ s/^\/\*.*?\*\///s) { }
		elsif ($text =~ s/^([^'\$\-\/]+|.)//s)
		{
			$out .= $1;
		}
	}
	return ($out, \@bodies);
}

# Problems in one view statement, as strings
sub lint_view
{
	my ($stmt) = @_;
	my @problems;

	foreach my $re (@bare_operator_constructs)
	{
		push @problems, "operator looked up by bare name: \"$1\""
		  if $stmt =~ /($re)/;
	}
	# qualified operators are fine; take them out before looking for others
	(my $rest = $stmt) =~ s/OPERATOR\s*\(\s*pg_catalog\.[^)\s]+\s*\)/ , /g;
	# function calls
	while ($rest =~ /((?:[\w\@]+\.)*[\w\@]+)\s*\(/g)
	{
		my $name = $1;
		next if $name =~ /^(?:pg_catalog|\@extschema\@)\.\w+$/;
		next if $name !~ /\./ && $syntax{ uc $name };
		next if $name =~ /^\d+$/;
		push @problems, "unqualified function or unknown syntax: \"$name(\"";
	}
	# operators: everything left that is made of operator characters, but
	# "*" of a whole row or count(*), "=>" of a named argument and "::"
	$rest =~ s/\.\*|\(\s*\*\s*\)|SELECT\s+\*|=>|::\w+(?:\[\])?/ /gi;
	while ($rest =~ /([-+*\/<>=~!\@#%^&|`?]+)/g)
	{
		my $op = $1;
		next if $op eq '@' || $op =~ /^\@extschema\@/;
		push @problems, "unqualified operator \"$op\"";
	}
	return @problems;
}

# Problems of a whole script
sub lint_script
{
	my ($text) = @_;
	my ($masked, $bodies) = mask_script($text);
	my @problems;

	foreach my $stmt (split /;/, $masked)
	{
		(my $flat = $stmt) =~ s/\s+/ /g;
		$flat =~ s/^\s+//;
		if ($flat =~ /^CREATE (?:OR REPLACE )?VIEW (\S+)/i)
		{
			my $view = $1;
			push @problems, map { "$view: $_" } lint_view($flat);
		}
		elsif ($flat =~ /^CREATE (?:OR REPLACE )?FUNCTION (\S+?)\(/i)
		{
			my $func = $1;
			next if $flat =~ /\bLANGUAGE C\b/i;
			push @problems, "$func: body in another language without SET search_path = pg_catalog, pg_temp"
			  unless $flat =~ /\bSET search_path = pg_catalog, pg_temp\b/i;
		}
		elsif ($flat =~ /^CREATE (?:TABLE|INDEX)/i
			&& $flat =~ /\b(DEFAULT|CHECK|GENERATED)\b|\(\s*[\w.]+\s*\(/i)
		{
			push @problems, "expression in a table or index: $flat";
		}
	}
	return @problems;
}

# The lint catches what it must: the shapes of the 1.1 views, and more
my @must_fail = (
	'CREATE VIEW v AS SELECT array_agg(x) FROM t',
	'CREATE VIEW v AS SELECT pg_catalog.sum(a) FROM t WHERE a > 1',
	'CREATE VIEW v AS SELECT a FROM t WHERE a IS NOT DISTINCT FROM b',
	'CREATE VIEW v AS SELECT a FROM t WHERE a IN (1, 2)',
	'CREATE VIEW v AS SELECT CASE a WHEN 1 THEN 2 END FROM t',
	'CREATE VIEW v AS SELECT a || b FROM t',
	'CREATE VIEW v AS SELECT a FROM t JOIN u USING (a)',
	'CREATE VIEW v AS SELECT public.f(a) FROM t',
	'CREATE VIEW v AS SELECT a FROM t WHERE a OPERATOR(public.=) 1',
	'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$SELECT 1$$',
	'CREATE TABLE t (a int DEFAULT f())');
foreach my $bad (@must_fail)
{
	ok(scalar(lint_script("$bad;")) > 0, "the lint rejects: $bad");
}
is_deeply(
	[
		lint_script(
			q{CREATE VIEW v AS SELECT h.*, pg_catalog.count(*) OVER w, (a OPERATOR(pg_catalog.+) 1)::bigint
FROM @extschema@.f(fast => true) AS h WHERE EXTRACT(epoch FROM x) OPERATOR(pg_catalog.>) 'S' -- a > b
WINDOW w AS (PARTITION BY h.pid);})
	],
	[],
	'the lint accepts qualified text');

# Every script of the extension: the frozen ones too, since installing an
# older version binds its views the same way
my @scripts = glob("$srcdir/sql/vmastat--*.sql");
cmp_ok(scalar @scripts, '>=', 4, 'the scripts are found');
foreach my $script (@scripts)
{
	my @problems = lint_script(slurp_file($script));
	is_deeply(\@problems, [], 'no unqualified reference in ' . $script =~ s{.*/}{}r)
	  or diag(join("\n", @problems));
}

# The installed catalog, for the default version and for every older one
my $node = PostgreSQL::Test::Cluster->new('qualified');
$node->init;
$node->start;

my @versions = split /\n/, $node->safe_psql('postgres',
	"SELECT version FROM pg_available_extension_versions WHERE name = 'vmastat' ORDER BY version");
foreach my $version (@versions)
{
	my $db = 'v' . ($version =~ s/\./_/gr);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION vmastat VERSION '$version'");

	# functions and operators the views were bound to, outside pg_catalog
	# and the extension
	is( $node->safe_psql(
			$db, q{
SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.refclassid, d.refobjid, 0), ', ')
FROM pg_catalog.pg_depend AS d
    JOIN pg_catalog.pg_rewrite AS r ON r.oid = d.objid
    JOIN pg_catalog.pg_depend AS e ON e.objid = r.ev_class AND e.deptype = 'e'
        AND e.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
  AND d.refclassid IN ('pg_catalog.pg_proc'::pg_catalog.regclass,
                       'pg_catalog.pg_operator'::pg_catalog.regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend AS m
                  WHERE m.classid = d.refclassid AND m.objid = d.refobjid
                    AND m.deptype = 'e' AND m.refobjid = e.refobjid)
  AND CASE d.refclassid
          WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass
              THEN (SELECT pronamespace FROM pg_catalog.pg_proc WHERE oid = d.refobjid)
          ELSE (SELECT oprnamespace FROM pg_catalog.pg_operator WHERE oid = d.refobjid)
      END <> 'pg_catalog'::pg_catalog.regnamespace
}),
		'',
		"$version: views use functions and operators of pg_catalog and the extension only");

	# functions in SQL or PL/pgSQL resolve names under a pinned path
	is( $node->safe_psql(
			$db, q{
SELECT pg_catalog.string_agg(p.oid::pg_catalog.regprocedure::text, ', ')
FROM pg_catalog.pg_proc AS p
    JOIN pg_catalog.pg_depend AS e ON e.objid = p.oid AND e.deptype = 'e'
        AND e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
    JOIN pg_catalog.pg_language AS l ON l.oid = p.prolang
WHERE l.lanname NOT IN ('c', 'internal')
  AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
}),
		'',
		"$version: every SQL and PL/pgSQL function pins search_path");
}

$node->stop;
done_testing();
