/* vmastat--1.1--1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION vmastat UPDATE TO '1.2'" to load this file. \quit

--
-- vmastat_summary grows by four columns.  vmastat_activity shows every
-- column of it: the view is made again on the new type, with its comments
-- and privileges.
--
DROP VIEW @extschema@.vmastat_activity;

ALTER TYPE @extschema@.vmastat_summary
    ADD ATTRIBUTE oom_score integer,
    ADD ATTRIBUTE oom_score_adj integer,
    ADD ATTRIBUTE rss_peak bigint,
    ADD ATTRIBUTE vm_peak bigint;

CREATE VIEW @extschema@.vmastat_activity AS
    SELECT b.*,
           a.datname,
           a.usename,
           a.application_name,
           a.client_addr,
           a.state,
           a.backend_start,
           a.query_start,
           a.wait_event_type,
           a.wait_event,
           a.leader_pid,
           a.query
    FROM @extschema@.vmastat_backends() AS b
        LEFT JOIN pg_catalog.pg_stat_activity AS a
            ON a.pid OPERATOR(pg_catalog.=) b.pid;

COMMENT ON VIEW @extschema@.vmastat_activity IS
'Memory summary of every server process joined to its pg_stat_activity row';
COMMENT ON COLUMN @extschema@.vmastat_activity.pid IS 'PID of the server process';
COMMENT ON COLUMN @extschema@.vmastat_activity.backend_type IS 'pg_stat_activity''s backend_type; postmaster for the postmaster; from the process title for processes pg_stat_activity does not list';
COMMENT ON COLUMN @extschema@.vmastat_activity.mapped IS 'virtual size of all mappings in bytes, the mapped figure of pmap -d (from maps)';
COMMENT ON COLUMN @extschema@.vmastat_activity.writeable_private IS 'private writable virtual size in bytes, the writeable/private figure of pmap -d (VmData + VmStk of status)';
COMMENT ON COLUMN @extschema@.vmastat_activity.private_readonly IS 'private read-only virtual size in bytes (from maps)';
COMMENT ON COLUMN @extschema@.vmastat_activity.shared IS 'shared virtual size in bytes, the shared figure of pmap -d (from maps)';
COMMENT ON COLUMN @extschema@.vmastat_activity.rss IS 'resident bytes, VmRSS of status: counts every page of shared memory touched';
COMMENT ON COLUMN @extschema@.vmastat_activity.rss_anon IS 'resident anonymous bytes, RssAnon of status: memory the process owns';
COMMENT ON COLUMN @extschema@.vmastat_activity.rss_file IS 'resident file-backed bytes, RssFile of status';
COMMENT ON COLUMN @extschema@.vmastat_activity.rss_shmem IS 'resident shared memory bytes, RssShmem of status: the shared buffers this process touched';
COMMENT ON COLUMN @extschema@.vmastat_activity.swap IS 'swapped-out anonymous bytes, VmSwap of status';
COMMENT ON COLUMN @extschema@.vmastat_activity.hugetlb IS 'hugetlbfs bytes, HugetlbPages of status';
COMMENT ON COLUMN @extschema@.vmastat_activity.pss IS 'proportional set size in bytes (from smaps_rollup)';
COMMENT ON COLUMN @extschema@.vmastat_activity.pss_anon IS 'anonymous part of pss, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_activity.pss_file IS 'file-backed part of pss, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_activity.pss_shmem IS 'shared memory part of pss, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_activity.pss_dirty IS 'dirty part of pss, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_activity.uss IS 'unique set size: private_clean + private_dirty, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_activity.shared_clean IS 'resident clean bytes also mapped by other processes';
COMMENT ON COLUMN @extschema@.vmastat_activity.shared_dirty IS 'resident dirty bytes also mapped by other processes';
COMMENT ON COLUMN @extschema@.vmastat_activity.private_clean IS 'resident clean bytes mapped by this process only';
COMMENT ON COLUMN @extschema@.vmastat_activity.private_dirty IS 'resident dirty bytes mapped by this process only';
COMMENT ON COLUMN @extschema@.vmastat_activity.swap_pss IS 'proportional share of swapped-out bytes';
COMMENT ON COLUMN @extschema@.vmastat_activity.locked IS 'bytes locked in memory';
COMMENT ON COLUMN @extschema@.vmastat_activity.anon_huge_pages IS 'bytes backed by transparent huge pages';
COMMENT ON COLUMN @extschema@.vmastat_activity.shared_hugetlb IS 'hugetlbfs bytes also mapped by other processes';
COMMENT ON COLUMN @extschema@.vmastat_activity.private_hugetlb IS 'hugetlbfs bytes mapped by this process only';
COMMENT ON COLUMN @extschema@.vmastat_activity.vmas IS 'number of mappings (from maps)';
COMMENT ON COLUMN @extschema@.vmastat_activity.oom_score IS 'the OOM killer''s badness score, /proc/PID/oom_score: the highest is killed first';
COMMENT ON COLUMN @extschema@.vmastat_activity.oom_score_adj IS 'adjustment of the badness, /proc/PID/oom_score_adj: -1000 never killed, 1000 killed first';
COMMENT ON COLUMN @extschema@.vmastat_activity.rss_peak IS 'highest resident bytes of the process so far, VmHWM of status (a child starts with the postmaster''s at fork)';
COMMENT ON COLUMN @extschema@.vmastat_activity.vm_peak IS 'highest virtual size in bytes of the process so far, VmPeak of status';
COMMENT ON COLUMN @extschema@.vmastat_activity.datname IS 'database of the backend, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_activity.usename IS 'user of the backend, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_activity.application_name IS 'application name, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_activity.client_addr IS 'client address, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_activity.state IS 'state of the backend, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_activity.backend_start IS 'when the process started, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_activity.query_start IS 'when the current or last query started, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_activity.wait_event_type IS 'wait event type, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_activity.wait_event IS 'wait event, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_activity.leader_pid IS 'parallel group leader, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_activity.query IS 'current or last query, from pg_stat_activity';

REVOKE ALL ON @extschema@.vmastat_activity FROM PUBLIC;
GRANT SELECT ON @extschema@.vmastat_activity TO pg_read_all_stats;

--
-- The views again, every function and operator qualified: a view binds its
-- functions and operators when it is created, so one created by an earlier
-- script may have bound to an object planted in the extension's schema or
-- in public.  Replacing it binds it to pg_catalog's.
--
CREATE OR REPLACE VIEW @extschema@.vmastat_growth AS
WITH samples AS (
    SELECT h.*,
           h.rss_anon OPERATOR(pg_catalog.+) coalesce(h.swap, 0) AS owned,
           EXTRACT(epoch FROM h.sample_time) AS t,
           pg_catalog.row_number() OVER w AS n,
           pg_catalog.count(*) OVER (PARTITION BY h.pid, h.backend_start) AS total,
           pg_catalog.ntile(20) OVER w AS bucket,
           pg_catalog.first_value(h.rss_anon OPERATOR(pg_catalog.+) coalesce(h.swap, 0))
               OVER w AS owned_first,
           pg_catalog.first_value(h.writeable_private) OVER w AS wp_first
    FROM @extschema@.vmastat_history AS h
    WINDOW w AS (PARTITION BY h.pid, h.backend_start ORDER BY h.sample_time)
),
buckets AS (
    SELECT pid, backend_start, bucket, pg_catalog.max(owned) AS owned
    FROM samples
    GROUP BY pid, backend_start, bucket
),
trends AS (
    SELECT pid, backend_start,
           @extschema@.vmastat_sparkline(pg_catalog.array_agg(owned ORDER BY bucket)) AS trend
    FROM buckets
    GROUP BY pid, backend_start
),
incarnations AS (
    SELECT pid, backend_start,
           (pg_catalog.array_agg(backend_type ORDER BY sample_time DESC))[1] AS backend_type,
           (pg_catalog.array_agg(datname ORDER BY sample_time DESC))[1] AS datname,
           (pg_catalog.array_agg(usename ORDER BY sample_time DESC))[1] AS usename,
           (pg_catalog.array_agg(application_name ORDER BY sample_time DESC))[1] AS application_name,
           pg_catalog.count(*) AS samples,
           pg_catalog.min(sample_time) AS first_seen,
           pg_catalog.max(sample_time) AS last_seen,
           pg_catalog.min(owned_first) AS anon_first,
           (pg_catalog.array_agg(owned ORDER BY sample_time DESC))[1] AS anon_last,
           (pg_catalog.regr_slope(owned, t) OPERATOR(pg_catalog.*) 60)::bigint AS anon_rate,
           pg_catalog.regr_r2(owned, t) AS anon_r2,
           (pg_catalog.regr_slope(owned, t)
                FILTER (WHERE n OPERATOR(pg_catalog.>) (total OPERATOR(pg_catalog./) 2))
                OPERATOR(pg_catalog.*) 60)::bigint AS anon_recent_rate,
           (pg_catalog.array_agg(writeable_private ORDER BY sample_time DESC))[1]
               OPERATOR(pg_catalog.-) pg_catalog.min(wp_first) AS writeable_private_delta
    FROM samples
    GROUP BY pid, backend_start
)
SELECT i.pid, i.backend_start, i.backend_type, i.datname, i.usename,
       i.application_name, i.samples, i.first_seen, i.last_seen,
       CASE
           WHEN i.backend_type OPERATOR(pg_catalog.=) 'postmaster'
               THEN i.backend_start OPERATOR(pg_catalog.=) pg_catalog.pg_postmaster_start_time()
           WHEN i.backend_start IS NULL
               THEN i.last_seen OPERATOR(pg_catalog.=)
                   (SELECT pg_catalog.max(sample_time) FROM @extschema@.vmastat_history)
           ELSE EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity AS a
                        WHERE a.pid OPERATOR(pg_catalog.=) i.pid
                          AND a.backend_start OPERATOR(pg_catalog.=) i.backend_start)
       END AS alive,
       i.anon_first, i.anon_last, i.anon_last OPERATOR(pg_catalog.-) i.anon_first AS anon_delta,
       i.anon_rate, i.anon_r2, i.anon_recent_rate, i.writeable_private_delta,
       t.trend
FROM incarnations AS i
    JOIN trends AS t ON t.pid OPERATOR(pg_catalog.=) i.pid
        AND (t.backend_start OPERATOR(pg_catalog.=) i.backend_start
             OR (t.backend_start IS NULL AND i.backend_start IS NULL));

CREATE OR REPLACE VIEW @extschema@.vmastat_leak_kinds AS
WITH bounds AS (
    SELECT pid, backend_start,
           pg_catalog.min(sample_time) AS first_time,
           pg_catalog.max(sample_time) AS last_time
    FROM @extschema@.vmastat_history_kinds
    GROUP BY pid, backend_start
)
SELECT b.pid, b.backend_start, k.kind, b.first_time, b.last_time,
       pg_catalog.sum(k.vmas) FILTER (WHERE k.sample_time OPERATOR(pg_catalog.=) b.last_time)
           OPERATOR(pg_catalog.-)
           pg_catalog.sum(k.vmas) FILTER (WHERE k.sample_time OPERATOR(pg_catalog.=) b.first_time)
           AS vmas_delta,
       coalesce(pg_catalog.sum(k.size) FILTER (WHERE k.sample_time OPERATOR(pg_catalog.=) b.last_time), 0)
           OPERATOR(pg_catalog.-)
           coalesce(pg_catalog.sum(k.size) FILTER (WHERE k.sample_time OPERATOR(pg_catalog.=) b.first_time), 0)
           AS size_delta,
       coalesce(pg_catalog.sum(k.rss) FILTER (WHERE k.sample_time OPERATOR(pg_catalog.=) b.last_time), 0)
           OPERATOR(pg_catalog.-)
           coalesce(pg_catalog.sum(k.rss) FILTER (WHERE k.sample_time OPERATOR(pg_catalog.=) b.first_time), 0)
           AS rss_delta,
       coalesce(pg_catalog.sum(k.anonymous) FILTER (WHERE k.sample_time OPERATOR(pg_catalog.=) b.last_time), 0)
           OPERATOR(pg_catalog.-)
           coalesce(pg_catalog.sum(k.anonymous) FILTER (WHERE k.sample_time OPERATOR(pg_catalog.=) b.first_time), 0)
           AS anonymous_delta,
       coalesce(pg_catalog.sum(k.swap) FILTER (WHERE k.sample_time OPERATOR(pg_catalog.=) b.last_time), 0)
           OPERATOR(pg_catalog.-)
           coalesce(pg_catalog.sum(k.swap) FILTER (WHERE k.sample_time OPERATOR(pg_catalog.=) b.first_time), 0)
           AS swap_delta
FROM bounds AS b
    JOIN @extschema@.vmastat_history_kinds AS k ON k.pid OPERATOR(pg_catalog.=) b.pid
        AND (k.backend_start OPERATOR(pg_catalog.=) b.backend_start
             OR (k.backend_start IS NULL AND b.backend_start IS NULL))
        AND (k.sample_time OPERATOR(pg_catalog.=) b.first_time
             OR k.sample_time OPERATOR(pg_catalog.=) b.last_time)
GROUP BY b.pid, b.backend_start, k.kind, b.first_time, b.last_time;

CREATE OR REPLACE VIEW @extschema@.vmastat_leaks AS
SELECT g.pid, g.backend_start, g.backend_type, g.datname, g.usename,
       g.application_name, g.alive, a.state, a.query,
       g.samples, g.first_seen, g.last_seen,
       g.last_seen OPERATOR(pg_catalog.-) g.first_seen AS span,
       g.anon_first, g.anon_last, g.anon_delta, g.anon_rate, g.anon_r2,
       g.anon_recent_rate, g.writeable_private_delta, g.trend,
       (SELECT pg_catalog.string_agg(
                   k.kind OPERATOR(pg_catalog.||) ' '
                   OPERATOR(pg_catalog.||)
                   CASE WHEN (k.rss_delta OPERATOR(pg_catalog.+) k.swap_delta) OPERATOR(pg_catalog.>) 0
                        THEN '+' ELSE '' END
                   OPERATOR(pg_catalog.||)
                   pg_catalog.pg_size_pretty(k.rss_delta OPERATOR(pg_catalog.+) k.swap_delta),
                   ', ' ORDER BY k.rss_delta OPERATOR(pg_catalog.+) k.swap_delta DESC)
        FROM @extschema@.vmastat_leak_kinds AS k
        WHERE k.pid OPERATOR(pg_catalog.=) g.pid
          AND (k.backend_start OPERATOR(pg_catalog.=) g.backend_start
               OR (k.backend_start IS NULL AND g.backend_start IS NULL))
          AND pg_catalog.abs(k.rss_delta OPERATOR(pg_catalog.+) k.swap_delta)
              OPERATOR(pg_catalog.>=) 65536) AS kinds_grown
FROM @extschema@.vmastat_growth AS g
    CROSS JOIN @extschema@.vmastat_leak_settings() AS s
    LEFT JOIN pg_catalog.pg_stat_activity AS a
        ON g.alive AND a.pid OPERATOR(pg_catalog.=) g.pid
       AND a.backend_start OPERATOR(pg_catalog.=) g.backend_start
WHERE g.samples OPERATOR(pg_catalog.>=) s.min_samples
  AND (g.last_seen OPERATOR(pg_catalog.-) g.first_seen) OPERATOR(pg_catalog.>=) s.min_span
  AND g.anon_delta OPERATOR(pg_catalog.>) 0
  AND g.anon_rate OPERATOR(pg_catalog.>=) s.min_rate
  AND g.anon_r2 OPERATOR(pg_catalog.>=) s.min_r2
  AND g.anon_recent_rate OPERATOR(pg_catalog.>=) (s.min_rate OPERATOR(pg_catalog./) 2)
ORDER BY g.anon_rate DESC;

CREATE OR REPLACE VIEW @extschema@.vmastat_top AS
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

--
-- Pruning refuses a negative interval instead of deleting everything
--
CREATE OR REPLACE FUNCTION @extschema@.vmastat_history_prune(keep interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nrows bigint;
BEGIN
    -- a negative interval would reach into the future and delete everything
    IF keep < interval '0' THEN
        RAISE EXCEPTION 'interval to keep must not be negative'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The interval given was %s.', keep);
    END IF;
    DELETE FROM @extschema@.vmastat_history
    WHERE sample_time < clock_timestamp() - keep;
    GET DIAGNOSTICS nrows = ROW_COUNT;
    DELETE FROM @extschema@.vmastat_history_kinds
    WHERE sample_time < clock_timestamp() - keep;
    RETURN nrows;
END
$$;

--
-- The OOM killer's view of the server processes, and memory sums that add up
--
CREATE VIEW @extschema@.vmastat_oom AS
WITH p AS (
    SELECT b.pid, b.backend_type, b.oom_score, b.oom_score_adj,
           b.rss_anon OPERATOR(pg_catalog.+) coalesce(b.swap, 0) AS owned,
           b.pss,
           -- the kernel's badness counts resident and swapped pages
           b.rss OPERATOR(pg_catalog.+) coalesce(b.swap, 0) AS charged,
           pg_catalog.max(b.oom_score_adj)
               FILTER (WHERE b.backend_type OPERATOR(pg_catalog.=) 'postmaster')
               OVER () AS postmaster_adj
    FROM @extschema@.vmastat_backends() AS b
),
ranked AS (
    SELECT p.*,
           pg_catalog.row_number() OVER (
               ORDER BY p.oom_score_adj OPERATOR(pg_catalog.=) '-1000'::integer,
                        p.oom_score DESC, p.charged DESC, p.pid) AS n
    FROM p
)
SELECT r.pid, r.backend_type, r.oom_score, r.oom_score_adj, r.owned, r.pss,
       -- oom_score_adj -1000 exempts a process from the OOM killer
       CASE WHEN r.oom_score_adj OPERATOR(pg_catalog.>) '-1000'::integer THEN r.n END AS kill_order,
       CASE WHEN r.backend_type OPERATOR(pg_catalog.=) 'postmaster'
                THEN r.oom_score_adj OPERATOR(pg_catalog.=) '-1000'::integer
            ELSE r.oom_score_adj OPERATOR(pg_catalog.>) '-1000'::integer
                AND r.postmaster_adj OPERATOR(pg_catalog.=) '-1000'::integer
       END AS setup_ok,
       CASE WHEN r.backend_type OPERATOR(pg_catalog.=) 'postmaster'
                 AND r.oom_score_adj OPERATOR(pg_catalog.>) '-1000'::integer
                THEN pg_catalog.format('postmaster not protected: its oom_score_adj is %s, start it with -1000',
                                       r.oom_score_adj)
            WHEN r.backend_type OPERATOR(pg_catalog.=) 'postmaster'
                THEN NULL
            WHEN r.oom_score_adj OPERATOR(pg_catalog.=) '-1000'::integer
                THEN 'child inherits -1000: set PG_OOM_ADJUST_FILE and PG_OOM_ADJUST_VALUE in the postmaster''s environment'
            WHEN r.postmaster_adj OPERATOR(pg_catalog.>) '-1000'::integer
                THEN 'postmaster not protected'
       END AS setup_note
FROM ranked AS r;

COMMENT ON VIEW @extschema@.vmastat_oom IS
'Every server process as the kernel''s OOM killer sees it: score, adjustment, the order it would kill them in, and a check of the setup PostgreSQL recommends on Linux; reads smaps_rollup for pss';
COMMENT ON COLUMN @extschema@.vmastat_oom.pid IS 'PID of the server process';
COMMENT ON COLUMN @extschema@.vmastat_oom.backend_type IS 'backend type, as in vmastat_backends()';
COMMENT ON COLUMN @extschema@.vmastat_oom.oom_score IS 'the OOM killer''s badness score, /proc/PID/oom_score: the highest is killed first';
COMMENT ON COLUMN @extschema@.vmastat_oom.oom_score_adj IS 'adjustment of the badness, /proc/PID/oom_score_adj: -1000 never killed, 1000 killed first';
COMMENT ON COLUMN @extschema@.vmastat_oom.owned IS 'memory the process owns in bytes, rss_anon + swap';
COMMENT ON COLUMN @extschema@.vmastat_oom.pss IS 'proportional set size in bytes (from smaps_rollup)';
COMMENT ON COLUMN @extschema@.vmastat_oom.kill_order IS 'estimated order in which the OOM killer would pick the server processes, 1 first: by oom_score, ties by larger rss + swap, then pid; NULL if exempt (oom_score_adj -1000)';
COMMENT ON COLUMN @extschema@.vmastat_oom.setup_ok IS 'whether the process is set up as PostgreSQL recommends on Linux: postmaster at oom_score_adj -1000, children above it';
COMMENT ON COLUMN @extschema@.vmastat_oom.setup_note IS 'what is wrong with the setup, NULL if nothing';

CREATE VIEW @extschema@.vmastat_totals AS
WITH p AS (
    SELECT b.pid, b.pss, b.pss_anon, b.pss_file, b.pss_shmem, b.swap_pss, b.uss,
           b.rss_anon OPERATOR(pg_catalog.+) coalesce(b.swap, 0) AS owned,
           a.datname, a.usename,
           coalesce(a.leader_pid, b.pid) AS leader_pid
    FROM @extschema@.vmastat_backends() AS b
        LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid OPERATOR(pg_catalog.=) b.pid
)
SELECT 'cluster'::text AS level, NULL::name AS datname, NULL::name AS usename,
       NULL::integer AS leader_pid,
       pg_catalog.count(*) AS processes,
       pg_catalog.sum(p.pss)::bigint AS pss,
       pg_catalog.sum(p.pss_anon)::bigint AS pss_anon,
       pg_catalog.sum(p.pss_file)::bigint AS pss_file,
       pg_catalog.sum(p.pss_shmem)::bigint AS pss_shmem,
       pg_catalog.sum(p.swap_pss)::bigint AS swap_pss,
       pg_catalog.sum(p.uss)::bigint AS uss,
       pg_catalog.sum(p.owned)::bigint AS owned
FROM p
UNION ALL
SELECT 'database'::text, p.datname, NULL::name, NULL::integer,
       pg_catalog.count(*), pg_catalog.sum(p.pss)::bigint, pg_catalog.sum(p.pss_anon)::bigint,
       pg_catalog.sum(p.pss_file)::bigint, pg_catalog.sum(p.pss_shmem)::bigint,
       pg_catalog.sum(p.swap_pss)::bigint, pg_catalog.sum(p.uss)::bigint,
       pg_catalog.sum(p.owned)::bigint
FROM p
GROUP BY p.datname
UNION ALL
SELECT 'user'::text, NULL::name, p.usename, NULL::integer,
       pg_catalog.count(*), pg_catalog.sum(p.pss)::bigint, pg_catalog.sum(p.pss_anon)::bigint,
       pg_catalog.sum(p.pss_file)::bigint, pg_catalog.sum(p.pss_shmem)::bigint,
       pg_catalog.sum(p.swap_pss)::bigint, pg_catalog.sum(p.uss)::bigint,
       pg_catalog.sum(p.owned)::bigint
FROM p
GROUP BY p.usename
UNION ALL
SELECT 'query'::text, NULL::name, NULL::name, p.leader_pid,
       pg_catalog.count(*), pg_catalog.sum(p.pss)::bigint, pg_catalog.sum(p.pss_anon)::bigint,
       pg_catalog.sum(p.pss_file)::bigint, pg_catalog.sum(p.pss_shmem)::bigint,
       pg_catalog.sum(p.swap_pss)::bigint, pg_catalog.sum(p.uss)::bigint,
       pg_catalog.sum(p.owned)::bigint
FROM p
GROUP BY p.leader_pid;

COMMENT ON VIEW @extschema@.vmastat_totals IS
'Memory of the server processes summed per cluster, database, user and query (a parallel leader with its workers), on PSS so that shared pages count once and the sums add up; reads smaps_rollup of every process';
COMMENT ON COLUMN @extschema@.vmastat_totals.level IS 'cluster, database, user or query: what the row sums over';
COMMENT ON COLUMN @extschema@.vmastat_totals.datname IS 'the database of a database row; NULL there for processes connected to none';
COMMENT ON COLUMN @extschema@.vmastat_totals.usename IS 'the user of a user row; NULL there for processes of no user';
COMMENT ON COLUMN @extschema@.vmastat_totals.leader_pid IS 'the parallel group leader of a query row (a process that leads none is its own group)';
COMMENT ON COLUMN @extschema@.vmastat_totals.processes IS 'number of server processes summed';
COMMENT ON COLUMN @extschema@.vmastat_totals.pss IS 'proportional set size in bytes: each shared page divided among the processes that map it, dynamic shared memory included';
COMMENT ON COLUMN @extschema@.vmastat_totals.pss_anon IS 'anonymous part of pss, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_totals.pss_file IS 'file-backed part of pss, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_totals.pss_shmem IS 'shared memory part of pss (shared buffers, dynamic shared memory), in bytes';
COMMENT ON COLUMN @extschema@.vmastat_totals.swap_pss IS 'proportional share of swapped-out bytes';
COMMENT ON COLUMN @extschema@.vmastat_totals.uss IS 'unique set size in bytes: pages mapped by one process only';
COMMENT ON COLUMN @extschema@.vmastat_totals.owned IS 'rss_anon + swap in bytes; counts copy-on-write pages once per process, so it does not add up across processes';

REVOKE ALL ON @extschema@.vmastat_oom FROM PUBLIC;
REVOKE ALL ON @extschema@.vmastat_totals FROM PUBLIC;
GRANT SELECT ON @extschema@.vmastat_oom TO pg_read_all_stats;
GRANT SELECT ON @extschema@.vmastat_totals TO pg_read_all_stats;
