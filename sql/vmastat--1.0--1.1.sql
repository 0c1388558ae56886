/* vmastat--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION vmastat UPDATE TO '1.1'" to load this file. \quit

--
-- A view for people at a psql prompt: who owns the most memory right now
--
CREATE VIEW @extschema@.vmastat_top AS
SELECT b.pid,
       b.backend_type,
       a.usename,
       a.datname,
       a.state,
       pg_catalog.pg_size_pretty(b.rss_anon OPERATOR(pg_catalog.+) b.swap) AS owned,
       pg_catalog.pg_size_pretty(b.rss) AS rss,
       pg_catalog.pg_size_pretty(b.rss_shmem) AS rss_shmem,
       pg_catalog.pg_size_pretty(b.writeable_private) AS writeable_private,
       CASE WHEN l.pid IS NOT NULL
            THEN 'growing ' OPERATOR(pg_catalog.||) pg_catalog.pg_size_pretty(l.anon_rate)
                 OPERATOR(pg_catalog.||) '/min'
       END AS leak,
       pg_catalog.left(pg_catalog.regexp_replace(a.query, '\s+', ' ', 'g'), 60) AS query,
       b.rss_anon OPERATOR(pg_catalog.+) b.swap AS owned_bytes
FROM @extschema@.vmastat_backends(fast => true) AS b
    LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid OPERATOR(pg_catalog.=) b.pid
    -- the incarnation's start, as vmastat_snapshot() records it
    CROSS JOIN LATERAL (
        SELECT CASE WHEN b.backend_type OPERATOR(pg_catalog.=) 'postmaster'
                    THEN pg_catalog.pg_postmaster_start_time()
                    ELSE a.backend_start END AS backend_start) AS i
    LEFT JOIN @extschema@.vmastat_leaks AS l
        ON l.pid OPERATOR(pg_catalog.=) b.pid AND l.alive
       AND (l.backend_start OPERATOR(pg_catalog.=) i.backend_start
            OR (l.backend_start IS NULL AND i.backend_start IS NULL))
ORDER BY b.rss_anon OPERATOR(pg_catalog.+) b.swap DESC
LIMIT 20;

COMMENT ON VIEW @extschema@.vmastat_top IS
'The 20 server processes that own the most memory (rss_anon + swap), readable sizes, with the leak verdict; from the status counters only';
COMMENT ON COLUMN @extschema@.vmastat_top.pid IS 'PID of the server process';
COMMENT ON COLUMN @extschema@.vmastat_top.backend_type IS 'backend type, as in vmastat_backends()';
COMMENT ON COLUMN @extschema@.vmastat_top.usename IS 'user of the backend, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_top.datname IS 'database of the backend, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_top.state IS 'state of the backend, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_top.owned IS 'memory the process owns, rss_anon + swap, readable';
COMMENT ON COLUMN @extschema@.vmastat_top.rss IS 'resident size, readable (counts the shared memory it touched)';
COMMENT ON COLUMN @extschema@.vmastat_top.rss_shmem IS 'resident shared memory (the shared buffers it touched), readable';
COMMENT ON COLUMN @extschema@.vmastat_top.writeable_private IS 'the writeable/private figure of pmap -d, readable';
COMMENT ON COLUMN @extschema@.vmastat_top.leak IS 'growth per minute if vmastat_leaks lists this process, else NULL';
COMMENT ON COLUMN @extschema@.vmastat_top.query IS 'current or last query, whitespace folded, first 60 characters';
COMMENT ON COLUMN @extschema@.vmastat_top.owned_bytes IS 'owned memory in bytes, the sort key';

REVOKE ALL ON @extschema@.vmastat_top FROM PUBLIC;
GRANT SELECT ON @extschema@.vmastat_top TO pg_read_all_stats;
