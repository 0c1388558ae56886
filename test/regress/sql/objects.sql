-- The extension's objects: members, columns, comments, volatility, trust.

CREATE EXTENSION vmastat;

-- every object of the extension (but the types generated along with
-- another object: row types of its tables and views, array types, which
-- are members too from PostgreSQL 17 on)
SELECT pg_describe_object(classid, objid, 0) AS object
FROM pg_depend AS d
WHERE refclassid = 'pg_extension'::regclass
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vmastat')
  AND deptype = 'e'
  AND NOT EXISTS (SELECT 1 FROM pg_depend AS i
                  WHERE i.classid = 'pg_type'::regclass AND d.classid = i.classid
                    AND i.objid = d.objid AND i.deptype = 'i')
ORDER BY 1;

-- columns of the views, in order
SELECT attrelid::regclass AS view, attnum, attname, atttypid::regtype
FROM pg_attribute
WHERE attrelid IN ('vmastat_vmas'::regclass, 'vmastat_activity'::regclass,
                   'vmastat_kinds'::regclass, 'vmastat_oom'::regclass,
                   'vmastat_totals'::regclass)
  AND attnum > 0
ORDER BY attrelid::regclass::text, attnum;

-- columns of the leak finder's views, in order
SELECT attrelid::regclass AS view, attnum, attname, atttypid::regtype
FROM pg_attribute
WHERE attrelid IN ('vmastat_history'::regclass, 'vmastat_growth'::regclass,
                   'vmastat_leak_kinds'::regclass, 'vmastat_leaks'::regclass,
                   'vmastat_top'::regclass)
  AND attnum > 0
ORDER BY attrelid::regclass::text, attnum;

-- every user-visible column and object has a comment
SELECT c.relname, a.attname
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'e'
WHERE a.attnum > 0 AND col_description(c.oid, a.attnum) IS NULL;
SELECT p.oid::regprocedure
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vmastat')
  AND obj_description(p.oid, 'pg_proc') IS NULL;

-- volatility and strictness
SELECT p.oid::regprocedure, provolatile, proisstrict, proparallel
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vmastat')
ORDER BY p.oid::regprocedure::text;

-- the extension is not trusted
SELECT bool_or(trusted) AS trusted FROM pg_available_extension_versions WHERE name = 'vmastat';
