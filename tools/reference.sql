-- tools/reference.sql: the generated parts of doc/reference.md, from the
-- catalog of a database where vmastat is installed.  The descriptions are
-- the COMMENTs of sql/vmastat--*.sql and the descriptions of the settings,
-- so that they are written once.  Run as a superuser (vmastat.proc_root is
-- hidden from other roles), through "make reference", which puts each
-- BEGIN ... END block of the output in place of the same block of
-- doc/reference.md.
\set ON_ERROR_STOP on
\encoding UTF8
\pset format unaligned
\pset tuples_only on
\pset footer off
SET client_min_messages = warning;
-- defines the settings in a session without shared_preload_libraries
LOAD 'vmastat';

-- A table cell: no line break, and a | does not end the cell
CREATE FUNCTION pg_temp.cell(t text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$SELECT replace(regexp_replace(coalesce(t, ''), '\s+', ' ', 'g'), '|', '\|')$$;

CREATE TEMP VIEW members AS
SELECT d.classid, d.objid
FROM pg_catalog.pg_depend AS d
WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
  AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'vmastat')
  AND d.deptype = 'e';

-- Every object: functions, views, tables and composite types, by name
SELECT '<!-- BEGIN generated: objects -->' || E'\n' ||
       '| object | what | description |' || E'\n' ||
       '| --- | --- | --- |' || E'\n' ||
       string_agg(format('| `%s` | %s | %s |', o.name, o.what, pg_temp.cell(o.description)),
                  E'\n' ORDER BY o.sortname, o.name) || E'\n' ||
       '<!-- END generated: objects -->'
FROM (
    SELECT p.proname || '(' || pg_catalog.pg_get_function_arguments(p.oid) || ')' AS name,
           p.proname::text AS sortname,
           'function returning `' || pg_catalog.pg_get_function_result(p.oid) || '`' AS what,
           pg_catalog.obj_description(p.oid, 'pg_proc') AS description
    FROM members AS m JOIN pg_catalog.pg_proc AS p ON p.oid = m.objid
    WHERE m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
    UNION ALL
    SELECT c.relname, c.relname,
           CASE c.relkind WHEN 'v' THEN 'view' WHEN 'r' THEN 'table' END,
           pg_catalog.obj_description(c.oid, 'pg_class')
    FROM members AS m JOIN pg_catalog.pg_class AS c ON c.oid = m.objid
    WHERE m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND c.relkind IN ('v', 'r')
    UNION ALL
    SELECT t.typname, t.typname, 'type',
           pg_catalog.obj_description(t.oid, 'pg_type')
    FROM members AS m
        JOIN pg_catalog.pg_type AS t ON t.oid = m.objid
        JOIN pg_catalog.pg_class AS c ON c.oid = t.typrelid
    WHERE m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
      AND c.relkind = 'c'
) AS o;

-- The columns of every view and table, in the order a reader meets them
SELECT '<!-- BEGIN generated: columns -->' || E'\n' ||
       string_agg(section, E'\n' ORDER BY ord, relname) ||
       '<!-- END generated: columns -->'
FROM (
    SELECT c.relname,
           coalesce(pg_catalog.array_position(
               ARRAY['vmastat_vmas', 'vmastat_activity', 'vmastat_top', 'vmastat_kinds',
                     'vmastat_history', 'vmastat_growth',
                     'vmastat_leaks', 'vmastat_leak_kinds', 'vmastat_history_archive',
                     'vmastat_history_kinds_archive']::name[], c.relname), 1000) AS ord,
           format(E'### Columns of `%s`\n\n%s %s.\n\n| column | type | description |\n| --- | --- | --- |\n',
                  c.relname,
                  CASE c.relkind WHEN 'v' THEN 'View:' WHEN 'c' THEN 'Type:' ELSE 'Table:' END,
                  pg_temp.cell(CASE c.relkind WHEN 'c'
                                    THEN pg_catalog.obj_description(c.reltype, 'pg_type')
                                    ELSE pg_catalog.obj_description(c.oid, 'pg_class') END)) ||
           (SELECT string_agg(format('| `%s` | %s | %s |', a.attname,
                                     pg_catalog.format_type(a.atttypid, a.atttypmod),
                                     pg_temp.cell(pg_catalog.col_description(c.oid, a.attnum))),
                              E'\n' ORDER BY a.attnum)
            FROM pg_catalog.pg_attribute AS a
            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) ||
           E'\n' AS section
    FROM members AS m
        LEFT JOIN pg_catalog.pg_type AS t
            ON m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND t.oid = m.objid
        JOIN pg_catalog.pg_class AS c
            ON c.oid = CASE WHEN m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                            THEN m.objid ELSE t.typrelid END
    -- views, tables, and the composite types whose columns are described
    -- on the type itself (the others on a view)
    WHERE (t.oid IS NULL AND c.relkind IN ('v', 'r'))
       OR (t.oid IS NOT NULL AND c.relkind = 'c'
           AND EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = c.oid AND a.attnum > 0
                         AND pg_catalog.col_description(c.oid, a.attnum) IS NOT NULL))
) AS s;

-- The settings, with their descriptions as SHOW ALL and pg_settings give them
SELECT '<!-- BEGIN generated: settings -->' || E'\n' ||
       '| setting | type | unit | default | range | context | description |' || E'\n' ||
       '| --- | --- | --- | --- | --- | --- | --- |' || E'\n' ||
       string_agg(format('| `%s` | %s | %s | `%s` | %s | %s | %s |', name, vartype,
                         coalesce(unit, ''), boot_val,
                         coalesce(min_val || ' to ' || max_val, ''), context,
                         pg_temp.cell(short_desc || coalesce(' ' || extra_desc, ''))),
                  E'\n' ORDER BY name) || E'\n' ||
       '<!-- END generated: settings -->'
FROM pg_catalog.pg_settings
WHERE name LIKE 'vmastat.%';
