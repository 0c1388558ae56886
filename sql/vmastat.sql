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
                   'vmastat_kinds'::regclass)
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

-- this backend and the postmaster are server processes
SELECT count(*) = 1 AS found_self FROM vmastat_backends() WHERE pid = pg_backend_pid();
SELECT backend_type, vmas > 0 AS has_vmas, rss > 0 AS has_rss, uss <= rss AS uss_le_rss
FROM vmastat_backend(pg_backend_pid());
SELECT count(*) FROM vmastat_backends() WHERE backend_type = 'postmaster';
SELECT count(*) > 0 AS has_vmas FROM vmastat_vmas(pg_backend_pid());

-- fast path: status counters only
SELECT mapped IS NULL AS no_maps, pss IS NULL AS no_rollup, vmas IS NULL AS no_count,
       rss IS NOT NULL AS has_rss, writeable_private IS NOT NULL AS has_wp
FROM vmastat_backend(pg_backend_pid(), fast => true);

-- bad PIDs warn and return nothing; NULL returns nothing
SELECT count(*) FROM vmastat_backend(0);
SELECT count(*) FROM vmastat_backend(-1);
SELECT count(*) FROM vmastat_backend(1);
SELECT count(*) FROM vmastat_backend(2147483647);
SELECT count(*) FROM vmastat_vmas(1);
SELECT count(*) FROM vmastat_vmas(NULL);
SELECT count(*) FROM vmastat_backend(NULL);
SELECT count(*) FROM vmastat_backend(pg_backend_pid(), NULL);
SELECT count(*) FROM vmastat_backends(NULL);

-- saved smaps text: every column, kinds found by name, NULL for absent fields
SELECT pid, start_addr, end_addr, perms, "offset", dev, inode, path, kind,
       size, rss, pss, pss_dirty, private_dirty, anonymous, ksm, swap,
       thp_eligible, protection_key, vm_flags
FROM vmastat_parse_smaps(E'55d0c5a00000-55d0c5a6f000 r--p 00000000 103:02 1837  /usr/lib/postgresql/15/bin/postgres
Size:                444 kB
Rss:                 444 kB
Pss:                  31 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
Swap:                  0 kB
THPeligible:\t0
ProtectionKey:         0
VmFlags: rd mr mw me sd
55d0c5a6f000-55d0c5e8b000 r-xp 0006f000 103:02 1837  /usr/lib/postgresql/15/bin/postgres
Size:               4208 kB
55d0c5e8b000-55d0c5f04000 rw-p 0048b000 103:02 1837  /usr/lib/postgresql/15/bin/postgres
Size:                484 kB
55d0c5f04000-55d0c5f1b000 rw-p 00000000 00:00 0
Size:                 92 kB
Rss:                  92 kB
Anonymous:            92 kB
Swap:                  4 kB
55d0c6d9d000-55d0c6ee0000 rw-p 00000000 00:00 0                          [heap]
7f0b5f000000-7f0b67e22000 rw-s 00000000 00:01 4                          /dev/zero (deleted)
7f0b67e22000-7f0b67e23000 rw-s 00000000 00:01 7                          /SYSV0052e2c1 (deleted)
7f0b67e23000-7f0b67e24000 rw-s 00000000 00:1a 22                         /dev/shm/PostgreSQL.3411521410
7f0b67e24000-7f0b67e30000 r--p 00000000 fe:00 9999                       /usr/lib/locale/my locale (deleted)
7f0b67e30000-7f0b67e34000 ---p 00000000 00:00 0
7ffc0a8f0000-7ffc0a911000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
FutureField:          12 kB
');

-- maps text alone: the size is known, the smaps fields are NULL
SELECT start_addr, kind, size, rss, vm_flags
FROM vmastat_parse_smaps(E'7f0b67e30000-7f0b67e34000 r--s 00000000 fe:00 12 /usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache\n');
SELECT count(*) FROM vmastat_parse_smaps('');
SELECT count(*) FROM vmastat_parse_smaps(NULL);

-- bad text is an error, never a crash
SELECT * FROM vmastat_parse_smaps('garbage');
SELECT * FROM vmastat_parse_smaps(E'Rss: 4 kB\n');
SELECT * FROM vmastat_parse_smaps(E'00400000-00300000 r--p 00000000 00:00 0\n');
SELECT * FROM vmastat_parse_smaps(E'00400000-00500000 r--p 00000000 00:00 0\nRss: 99999999999999999999 kB\n');
SELECT * FROM vmastat_parse_smaps(E'00400000-00500000 r--p 00000000 00:00 0\nRss: 12 MB\n');
SELECT * FROM vmastat_parse_smaps(E'00400000-00500000 rwzp 00000000 00:00 0\n');
SELECT * FROM vmastat_parse_smaps(E'00400000-00500000 r--p 00000000 00:00');

-- privileges: reading processes needs pg_read_all_stats, parsing does not
CREATE ROLE vmastat_plain;
CREATE ROLE vmastat_direct;
CREATE ROLE vmastat_monitor IN ROLE pg_monitor;
GRANT EXECUTE ON FUNCTION vmastat_backends(boolean) TO vmastat_direct;
SET ROLE vmastat_plain;
SELECT count(*) FROM vmastat_backends();
SELECT count(*) FROM vmastat_vmas;
SELECT count(*) FROM vmastat_activity;
SELECT count(*) FROM vmastat_kinds;
SELECT count(*) FROM vmastat_parse_smaps(E'00400000-00500000 r--p 00000000 00:00 0\n');
RESET ROLE;
SET ROLE vmastat_direct;
SELECT count(*) FROM vmastat_backends();
RESET ROLE;
SET ROLE vmastat_monitor;
SELECT count(*) > 0 AS served FROM vmastat_backends();
SELECT count(*) > 0 AS served FROM vmastat_activity WHERE pid = pg_backend_pid();
SELECT count(*) > 0 AS served FROM vmastat_kinds WHERE pid = pg_backend_pid();
RESET ROLE;
DROP ROLE vmastat_plain;
REVOKE EXECUTE ON FUNCTION vmastat_backends(boolean) FROM vmastat_direct;
DROP ROLE vmastat_direct;
DROP ROLE vmastat_monitor;
