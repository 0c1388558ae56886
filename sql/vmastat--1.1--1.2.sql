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
                   CASE WHEN (k.anonymous_delta OPERATOR(pg_catalog.+) k.swap_delta) OPERATOR(pg_catalog.>) 0
                        THEN '+' ELSE '' END
                   OPERATOR(pg_catalog.||)
                   pg_catalog.pg_size_pretty(k.anonymous_delta OPERATOR(pg_catalog.+) k.swap_delta),
                   ', ' ORDER BY k.anonymous_delta OPERATOR(pg_catalog.+) k.swap_delta DESC)
        FROM @extschema@.vmastat_leak_kinds AS k
        WHERE k.pid OPERATOR(pg_catalog.=) g.pid
          AND (k.backend_start OPERATOR(pg_catalog.=) g.backend_start
               OR (k.backend_start IS NULL AND g.backend_start IS NULL))
          AND pg_catalog.abs(k.anonymous_delta OPERATOR(pg_catalog.+) k.swap_delta)
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

COMMENT ON COLUMN @extschema@.vmastat_leaks.kinds_grown IS 'which kinds of mapping grew in owned memory (anonymous + swapped bytes), largest first, from vmastat_leak_kinds';

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
-- Per-kind sums made in C: vmastat_kinds and the per-kind step of
-- vmastat_snapshot() no longer form and group a row per mapping
--
CREATE TYPE @extschema@.vmastat_kind AS (
    pid integer,
    kind text,
    vmas bigint,
    size bigint,
    rss bigint,
    pss bigint,
    private_dirty bigint,
    anonymous bigint,
    swap bigint
);

COMMENT ON TYPE @extschema@.vmastat_kind IS
'The mappings of one kind of a process, summed, as returned by vmastat_kinds() and vmastat_kinds_of(); its columns are described on the view vmastat_kinds';

CREATE FUNCTION @extschema@.vmastat_kinds()
RETURNS SETOF @extschema@.vmastat_kind
AS 'MODULE_PATHNAME', 'vmastat_kinds_all'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.vmastat_kinds() IS
'One row per kind of mapping of every server process of the cluster, from /proc/PID/smaps: the sums vmastat_vmas() would give, without a row per mapping';

CREATE FUNCTION @extschema@.vmastat_kinds_of(
    pids integer[])
RETURNS SETOF @extschema@.vmastat_kind
AS 'MODULE_PATHNAME', 'vmastat_kinds_of'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION @extschema@.vmastat_kinds_of(integer[]) IS
'One row per kind of mapping of the listed server processes, as in vmastat_kinds; PIDs that are not server processes are skipped silently';

CREATE OR REPLACE VIEW @extschema@.vmastat_kinds AS
    SELECT * FROM @extschema@.vmastat_kinds();

REVOKE ALL ON FUNCTION @extschema@.vmastat_kinds() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.vmastat_kinds_of(integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.vmastat_kinds() TO pg_read_all_stats;
GRANT EXECUTE ON FUNCTION @extschema@.vmastat_kinds_of(integer[]) TO pg_read_all_stats;

CREATE OR REPLACE FUNCTION @extschema@.vmastat_snapshot()
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    taken timestamp with time zone := clock_timestamp();
    nrows bigint;
BEGIN
    -- the status counters of every server process: O(1) each, no page walk
    INSERT INTO @extschema@.vmastat_history
    SELECT taken, b.pid,
           CASE WHEN b.backend_type = 'postmaster'
                THEN pg_postmaster_start_time() ELSE a.backend_start END,
           b.backend_type, a.datname, a.usename, a.application_name,
           b.rss, b.rss_anon, b.rss_file, b.rss_shmem, b.swap, b.hugetlb,
           b.writeable_private
    FROM @extschema@.vmastat_backends(fast => true) AS b
        LEFT JOIN pg_stat_activity AS a ON a.pid = b.pid;
    GET DIAGNOSTICS nrows = ROW_COUNT;

    -- per-kind figures, read from smaps only for a process seen for the
    -- first time (the baseline) and for one whose owned memory grew by a
    -- step (1 MB, or 10% if more) since its last per-kind figures
    WITH grown AS (
        SELECT h.pid, h.backend_start
        FROM @extschema@.vmastat_history AS h
            CROSS JOIN LATERAL (
                SELECT sum(k.anonymous + k.swap) AS owned
                FROM @extschema@.vmastat_history_kinds AS k
                WHERE k.pid = h.pid
                  AND k.backend_start IS NOT DISTINCT FROM h.backend_start
                  AND k.sample_time =
                      (SELECT max(l.sample_time)
                       FROM @extschema@.vmastat_history_kinds AS l
                       WHERE l.pid = h.pid
                         AND l.backend_start IS NOT DISTINCT FROM h.backend_start)
            ) AS base
        WHERE h.sample_time = taken
          AND (base.owned IS NULL OR
               h.rss_anon + h.swap >= base.owned + greatest(1048576, base.owned / 10))
    )
    INSERT INTO @extschema@.vmastat_history_kinds
    SELECT taken, k.pid, g.backend_start, k.kind, k.vmas,
           k.size, k.rss, k.anonymous, k.swap
    FROM @extschema@.vmastat_kinds_of(ARRAY(SELECT pid FROM grown)) AS k
        JOIN grown AS g ON g.pid = k.pid;

    RETURN nrows;
END
$$;

-- Host and cgroup memory: vmastat_system
--
CREATE FUNCTION @extschema@.vmastat_system_info(
    OUT mem_total bigint,
    OUT mem_available bigint,
    OUT swap_total bigint,
    OUT swap_free bigint,
    OUT commit_limit bigint,
    OUT committed_as bigint,
    OUT overcommit_memory integer,
    OUT overcommit_ratio integer,
    OUT hugepages_total bigint,
    OUT hugepages_free bigint,
    OUT hugepages_reserved bigint,
    OUT hugepages_surplus bigint,
    OUT hugepage_size bigint,
    OUT thp_mode text,
    OUT dev_shm_size bigint,
    OUT dev_shm_used bigint,
    OUT cgroup_version integer,
    OUT cgroup_path text,
    OUT cgroup_limit bigint,
    OUT cgroup_high bigint,
    OUT cgroup_usage bigint,
    OUT cgroup_peak bigint,
    OUT cgroup_swap_limit bigint,
    OUT cgroup_anon bigint,
    OUT cgroup_file bigint,
    OUT cgroup_shmem bigint,
    OUT cgroup_oom_kills bigint,
    OUT cgroup_oom_events bigint,
    OUT cgroup_under_oom boolean,
    OUT psi_some_avg10 double precision,
    OUT psi_some_avg60 double precision,
    OUT psi_full_avg10 double precision,
    OUT psi_full_avg60 double precision,
    OUT headroom bigint,
    OUT headroom_by text)
RETURNS record
AS 'MODULE_PATHNAME', 'vmastat_system_info'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.vmastat_system_info() IS
'Host memory figures and the memory cgroup of the postmaster, one row; see the view vmastat_system';

CREATE VIEW @extschema@.vmastat_system AS
    SELECT s.* FROM @extschema@.vmastat_system_info() AS s;

COMMENT ON VIEW @extschema@.vmastat_system IS
'Will it fit? Host memory, the memory cgroup of the postmaster and the headroom left, one row; sizes in bytes, NULL where the kernel does not print a figure';
COMMENT ON COLUMN @extschema@.vmastat_system.mem_total IS 'bytes of RAM the kernel manages (MemTotal of /proc/meminfo)';
COMMENT ON COLUMN @extschema@.vmastat_system.mem_available IS 'bytes the host can still give without swapping (MemAvailable of /proc/meminfo)';
COMMENT ON COLUMN @extschema@.vmastat_system.swap_total IS 'bytes of swap space (SwapTotal of /proc/meminfo)';
COMMENT ON COLUMN @extschema@.vmastat_system.swap_free IS 'bytes of unused swap space (SwapFree of /proc/meminfo)';
COMMENT ON COLUMN @extschema@.vmastat_system.commit_limit IS 'bytes that may be committed under strict overcommit (CommitLimit of /proc/meminfo)';
COMMENT ON COLUMN @extschema@.vmastat_system.committed_as IS 'bytes committed by all processes (Committed_AS of /proc/meminfo)';
COMMENT ON COLUMN @extschema@.vmastat_system.overcommit_memory IS 'overcommit mode from /proc/sys/vm/overcommit_memory: 0 heuristic, 1 always, 2 strict (CommitLimit applies)';
COMMENT ON COLUMN @extschema@.vmastat_system.overcommit_ratio IS 'percentage of RAM in CommitLimit, from /proc/sys/vm/overcommit_ratio';
COMMENT ON COLUMN @extschema@.vmastat_system.hugepages_total IS 'number of huge pages in the pool (HugePages_Total of /proc/meminfo)';
COMMENT ON COLUMN @extschema@.vmastat_system.hugepages_free IS 'number of huge pages not yet faulted in (HugePages_Free of /proc/meminfo)';
COMMENT ON COLUMN @extschema@.vmastat_system.hugepages_reserved IS 'number of free huge pages promised to mappings (HugePages_Rsvd of /proc/meminfo)';
COMMENT ON COLUMN @extschema@.vmastat_system.hugepages_surplus IS 'number of huge pages above the pool size (HugePages_Surp of /proc/meminfo)';
COMMENT ON COLUMN @extschema@.vmastat_system.hugepage_size IS 'bytes per default huge page (Hugepagesize of /proc/meminfo)';
COMMENT ON COLUMN @extschema@.vmastat_system.thp_mode IS 'transparent huge page mode: the bracketed word of /sys/kernel/mm/transparent_hugepage/enabled';
COMMENT ON COLUMN @extschema@.vmastat_system.dev_shm_size IS 'bytes of the /dev/shm file system, where dynamic shared memory lives (statvfs)';
COMMENT ON COLUMN @extschema@.vmastat_system.dev_shm_used IS 'bytes used in /dev/shm (statvfs)';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_version IS 'version of the memory cgroup of the postmaster, 1 or 2, from /proc/PID/cgroup';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_path IS 'path of the memory cgroup of the postmaster in its hierarchy, from /proc/PID/cgroup';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_limit IS 'bytes the cgroup may use (v2 memory.max, v1 memory.limit_in_bytes); NULL when unlimited';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_high IS 'bytes above which the cgroup is throttled and reclaimed (v2 memory.high); NULL when unlimited and in v1';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_usage IS 'bytes the cgroup uses now (v2 memory.current, v1 memory.usage_in_bytes)';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_peak IS 'most bytes the cgroup has used (v2 memory.peak, v1 memory.max_usage_in_bytes)';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_swap_limit IS 'swap limit in bytes: v2 memory.swap.max counts swap only, v1 memory.memsw.limit_in_bytes memory plus swap; NULL when unlimited';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_anon IS 'bytes of anonymous memory (memory.stat anon; v1 total_rss, with descendants)';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_file IS 'bytes of page cache, shared memory included (memory.stat file; v1 total_cache, with descendants)';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_shmem IS 'bytes of shared memory (memory.stat shmem; v1 total_shmem, with descendants)';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_oom_kills IS 'processes the OOM killer ended in the cgroup (v2 memory.events oom_kill, v1 memory.oom_control oom_kill)';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_oom_events IS 'times the cgroup reached its limit and the OOM killer was invoked (v2 memory.events oom); NULL in v1';
COMMENT ON COLUMN @extschema@.vmastat_system.cgroup_under_oom IS 'whether the cgroup is out of memory now (v1 memory.oom_control under_oom); NULL in v2';
COMMENT ON COLUMN @extschema@.vmastat_system.psi_some_avg10 IS 'percentage of the last 10 seconds in which some task of the cgroup stalled on memory (v2 memory.pressure); NULL without PSI';
COMMENT ON COLUMN @extschema@.vmastat_system.psi_some_avg60 IS 'as psi_some_avg10, over the last 60 seconds';
COMMENT ON COLUMN @extschema@.vmastat_system.psi_full_avg10 IS 'percentage of the last 10 seconds in which all tasks of the cgroup stalled on memory (v2 memory.pressure); NULL without PSI';
COMMENT ON COLUMN @extschema@.vmastat_system.psi_full_avg60 IS 'as psi_full_avg10, over the last 60 seconds';
COMMENT ON COLUMN @extschema@.vmastat_system.headroom IS 'bytes left: the smallest of cgroup_limit - cgroup_usage, mem_available and, when overcommit_memory is 2, commit_limit - committed_as';
COMMENT ON COLUMN @extschema@.vmastat_system.headroom_by IS 'which bound gives headroom: cgroup, host or commit';

REVOKE ALL ON FUNCTION @extschema@.vmastat_system_info() FROM PUBLIC;
REVOKE ALL ON @extschema@.vmastat_system FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.vmastat_system_info() TO pg_read_all_stats;
GRANT SELECT ON @extschema@.vmastat_system TO pg_read_all_stats;

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

--
-- The memory contexts of a server process, read back from the server log
--
CREATE TYPE @extschema@.vmastat_memory_context AS (
    kind text,
    name text,
    ident text,
    parent text,
    level integer,
    path text[],
    contexts bigint,
    total_bytes bigint,
    total_nblocks bigint,
    free_bytes bigint,
    free_chunks bigint,
    used_bytes bigint
);

COMMENT ON TYPE @extschema@.vmastat_memory_context IS
'One line of the memory context dump of a server process, as returned by vmastat_memory_contexts()';
COMMENT ON COLUMN @extschema@.vmastat_memory_context.kind IS 'context: one memory context; summary: the children of a context the server did not print one by one (beyond the 100 it prints per parent); total: the server''s grand total of the process, the last row';
COMMENT ON COLUMN @extschema@.vmastat_memory_context.name IS 'name of the context, as in pg_backend_memory_contexts; NULL for summary and total rows';
COMMENT ON COLUMN @extschema@.vmastat_memory_context.ident IS 'identifier of the context (a query text, a relation, a function), cut by the server at 100 bytes with "..." appended, control characters as spaces; NULL if it has none, and for processes of other roles unless the caller has the privileges of pg_read_all_stats';
COMMENT ON COLUMN @extschema@.vmastat_memory_context.parent IS 'name of the parent context (for a summary: of the context whose children it sums); NULL for TopMemoryContext and the total';
COMMENT ON COLUMN @extschema@.vmastat_memory_context.level IS 'depth in the context tree as pg_backend_memory_contexts of the same server counts it: TopMemoryContext is 0 up to PostgreSQL 17, 1 from 18 on; a summary has the level of the contexts it sums; NULL for the total';
COMMENT ON COLUMN @extschema@.vmastat_memory_context.path IS 'names of the contexts from TopMemoryContext down to this one (for a summary: down to the parent); NULL for the total';
COMMENT ON COLUMN @extschema@.vmastat_memory_context.contexts IS 'number of contexts the row stands for: 1 for a context; for a summary the number the server printed, which counts the unprinted children only on PostgreSQL 15, and their descendants too from 17 on; NULL for the total';
COMMENT ON COLUMN @extschema@.vmastat_memory_context.total_bytes IS 'bytes allocated for the context (for a summary: for all the contexts it sums, descendants included)';
COMMENT ON COLUMN @extschema@.vmastat_memory_context.total_nblocks IS 'number of blocks allocated for the context';
COMMENT ON COLUMN @extschema@.vmastat_memory_context.free_bytes IS 'bytes allocated but free in the context';
COMMENT ON COLUMN @extschema@.vmastat_memory_context.free_chunks IS 'number of free chunks; NULL for bump contexts (PostgreSQL 17 on), which do not keep any';
COMMENT ON COLUMN @extschema@.vmastat_memory_context.used_bytes IS 'bytes in use: total_bytes - free_bytes';

CREATE FUNCTION @extschema@.vmastat_memory_contexts(pid integer,
    timeout interval DEFAULT '5 seconds')
RETURNS SETOF @extschema@.vmastat_memory_context
AS 'MODULE_PATHNAME', 'vmastat_memory_contexts'
LANGUAGE C VOLATILE STRICT;

COMMENT ON FUNCTION @extschema@.vmastat_memory_contexts(integer, interval) IS
'The memory contexts of a server process, one row each: asks it with pg_log_backend_memory_contexts() and reads its answer back from the server log, waiting up to timeout; superuser only unless granted, like pg_log_backend_memory_contexts()';

REVOKE ALL ON FUNCTION @extschema@.vmastat_memory_contexts(integer, interval) FROM PUBLIC;
