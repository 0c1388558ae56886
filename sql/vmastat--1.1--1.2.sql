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

--
-- The leak finder keeps its state in shared memory (vmastat_snapshot() is
-- now in C).  The views over the 1.1 tables go; the tables stay, renamed,
-- as the archive of the samples 1.1 took: vmastat_history shows them,
-- vmastat_history_prune() deletes them as they age.
--
DROP VIEW @extschema@.vmastat_top;
DROP VIEW @extschema@.vmastat_leaks;
DROP VIEW @extschema@.vmastat_leak_kinds;
DROP VIEW @extschema@.vmastat_growth;
DROP FUNCTION @extschema@.vmastat_snapshot();
DROP FUNCTION @extschema@.vmastat_history_prune(interval);
DROP FUNCTION @extschema@.vmastat_leak_settings();
DROP FUNCTION @extschema@.vmastat_sparkline(bigint[]);

ALTER TABLE @extschema@.vmastat_history RENAME TO vmastat_history_archive;
ALTER INDEX @extschema@.vmastat_history_time_idx
    RENAME TO vmastat_history_archive_time_idx;
DROP INDEX @extschema@.vmastat_history_pid_idx;
ALTER TABLE @extschema@.vmastat_history_kinds RENAME TO vmastat_history_kinds_archive;
ALTER INDEX @extschema@.vmastat_history_kinds_time_idx
    RENAME TO vmastat_history_kinds_archive_time_idx;
DROP INDEX @extschema@.vmastat_history_kinds_pid_idx;

COMMENT ON TABLE @extschema@.vmastat_history_archive IS
'Samples taken by version 1.1, one row per server process per sample, kept by the update to 1.2';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.sample_time IS 'when the sample was taken';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.pid IS 'PID of the server process';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.backend_start IS 'when the process started; with pid it identifies one incarnation of a process';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.backend_type IS 'backend type, as in vmastat_backends()';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.datname IS 'database of the backend, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.usename IS 'user of the backend, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.application_name IS 'application name, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.rss IS 'resident bytes (VmRSS)';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.rss_anon IS 'resident anonymous bytes (RssAnon): memory the process owns';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.rss_file IS 'resident file-backed bytes (RssFile)';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.rss_shmem IS 'resident shared memory bytes (RssShmem)';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.swap IS 'swapped-out bytes (VmSwap)';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.hugetlb IS 'hugetlbfs bytes (HugetlbPages)';
COMMENT ON COLUMN @extschema@.vmastat_history_archive.writeable_private IS 'the writeable/private bytes of pmap -d (VmData + VmStk)';

COMMENT ON TABLE @extschema@.vmastat_history_kinds_archive IS
'Per-kind readings taken by version 1.1, kept by the update to 1.2';
COMMENT ON COLUMN @extschema@.vmastat_history_kinds_archive.sample_time IS 'when the reading was taken';
COMMENT ON COLUMN @extschema@.vmastat_history_kinds_archive.pid IS 'PID of the server process';
COMMENT ON COLUMN @extschema@.vmastat_history_kinds_archive.backend_start IS 'start of the process, as in vmastat_history_archive';
COMMENT ON COLUMN @extschema@.vmastat_history_kinds_archive.kind IS 'kind of mapping, as in vmastat_vmas';
COMMENT ON COLUMN @extschema@.vmastat_history_kinds_archive.vmas IS 'number of mappings of this kind';
COMMENT ON COLUMN @extschema@.vmastat_history_kinds_archive.size IS 'virtual size in bytes';
COMMENT ON COLUMN @extschema@.vmastat_history_kinds_archive.rss IS 'resident bytes';
COMMENT ON COLUMN @extschema@.vmastat_history_kinds_archive.anonymous IS 'resident anonymous bytes';
COMMENT ON COLUMN @extschema@.vmastat_history_kinds_archive.swap IS 'swapped-out bytes';

--
-- Leak finder: the state of every process incarnation, kept in shared
-- memory by vmastat_snapshot() (and the background sampler that calls it)
--
CREATE FUNCTION @extschema@.vmastat_snapshot()
RETURNS bigint
AS 'MODULE_PATHNAME', 'vmastat_snapshot'
LANGUAGE C VOLATILE STRICT;

COMMENT ON FUNCTION @extschema@.vmastat_snapshot() IS
'Takes one sample of every server process into the leak finder''s state in shared memory; returns the number of processes sampled';

CREATE FUNCTION @extschema@.vmastat_history_forget(keep interval)
RETURNS bigint
AS 'MODULE_PATHNAME', 'vmastat_history_forget'
LANGUAGE C VOLATILE STRICT;

COMMENT ON FUNCTION @extschema@.vmastat_history_forget(interval) IS
'Forgets the process incarnations last sampled longer ago than keep; returns how many';

CREATE FUNCTION @extschema@.vmastat_history_prune(keep interval)
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
    nrows := @extschema@.vmastat_history_forget(keep);
    -- a hot standby keeps the archive its primary prunes; an empty archive
    -- needs no write, so that a read-only database can be sampled
    IF NOT pg_is_in_recovery() AND
       (EXISTS (SELECT FROM @extschema@.vmastat_history_archive) OR
        EXISTS (SELECT FROM @extschema@.vmastat_history_kinds_archive)) THEN
        DELETE FROM @extschema@.vmastat_history_archive
        WHERE sample_time < clock_timestamp() - keep;
        DELETE FROM @extschema@.vmastat_history_kinds_archive
        WHERE sample_time < clock_timestamp() - keep;
    END IF;
    RETURN nrows;
END
$$;

COMMENT ON FUNCTION @extschema@.vmastat_history_prune(interval) IS
'Forgets the process incarnations last sampled longer ago than keep, and deletes the archived samples older than keep; returns the number of incarnations forgotten';

CREATE FUNCTION @extschema@.vmastat_sparkline(vals bigint[])
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT string_agg(
               CASE WHEN v IS NULL THEN ' '
                    WHEN hi = lo THEN chr(9601)
                    ELSE chr(9601 + ((v - lo)::numeric * 7 / (hi - lo))::integer)
               END, '' ORDER BY i)
    FROM unnest(vals) WITH ORDINALITY AS u(v, i),
         (SELECT min(x) AS lo, max(x) AS hi FROM unnest(vals) AS x) AS r
$$;

COMMENT ON FUNCTION @extschema@.vmastat_sparkline(bigint[]) IS
'One block character (from ▁ for the least value to █ for the greatest) per value; a space for NULL';

CREATE FUNCTION @extschema@.vmastat_leak_settings(
    OUT min_rate bigint,
    OUT min_samples integer,
    OUT min_span interval,
    OUT min_r2 double precision,
    OUT min_growth bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'vmastat_leak_settings'
LANGUAGE C STABLE STRICT;

COMMENT ON FUNCTION @extschema@.vmastat_leak_settings() IS
'The thresholds of the leak rule: vmastat.leak_min_rate (bytes per minute), vmastat.leak_min_samples, vmastat.leak_min_span, vmastat.leak_min_r2 and vmastat.leak_min_growth (bytes)';

CREATE FUNCTION @extschema@.vmastat_incarnations(
    require_store boolean DEFAULT true,
    OUT pid integer,
    OUT backend_start timestamp with time zone,
    OUT backend_type text,
    OUT datname name,
    OUT usename name,
    OUT application_name text,
    OUT alive boolean,
    OUT before_restart boolean,
    OUT samples bigint,
    OUT first_seen timestamp with time zone,
    OUT last_seen timestamp with time zone,
    OUT anon_first bigint,
    OUT anon_last bigint,
    OUT baseline_first bigint,
    OUT baseline_last bigint,
    OUT anon_rate bigint,
    OUT anon_r2 double precision,
    OUT anon_recent_rate bigint,
    OUT writeable_private_delta bigint,
    OUT trend_values bigint[],
    OUT verdict text,
    OUT suspect_since timestamp with time zone,
    OUT contexts_grown text,
    OUT contexts_taken timestamp with time zone)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'vmastat_incarnations'
LANGUAGE C VOLATILE STRICT;

COMMENT ON FUNCTION @extschema@.vmastat_incarnations(boolean) IS
'One row per process incarnation the leak finder keeps, with the verdict of the leak rule under this session''s thresholds; without vmastat in shared_preload_libraries an error, or no rows if require_store is false';

CREATE FUNCTION @extschema@.vmastat_incarnation_kinds(
    OUT pid integer,
    OUT backend_start timestamp with time zone,
    OUT kind text,
    OUT first_time timestamp with time zone,
    OUT last_time timestamp with time zone,
    OUT vmas_delta bigint,
    OUT size_delta bigint,
    OUT rss_delta bigint,
    OUT anonymous_delta bigint,
    OUT swap_delta bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'vmastat_incarnation_kinds'
LANGUAGE C VOLATILE STRICT;

COMMENT ON FUNCTION @extschema@.vmastat_incarnation_kinds() IS
'Per process incarnation and kind of mapping: the change between its first and its last per-kind reading';

CREATE FUNCTION @extschema@.vmastat_incarnation_series(
    OUT pid integer,
    OUT backend_start timestamp with time zone,
    OUT backend_type text,
    OUT datname name,
    OUT usename name,
    OUT application_name text,
    OUT first_time timestamp with time zone,
    OUT last_time timestamp with time zone,
    OUT samples bigint,
    OUT owned_min bigint,
    OUT owned_max bigint,
    OUT owned_last bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'vmastat_incarnation_series'
LANGUAGE C VOLATILE STRICT;

COMMENT ON FUNCTION @extschema@.vmastat_incarnation_series() IS
'The series of owned memory of every process incarnation: at most 32 time buckets each, oldest first';

CREATE VIEW @extschema@.vmastat_history AS
SELECT s.last_time AS sample_time, s.pid, s.backend_start, s.backend_type,
       s.datname, s.usename, s.application_name,
       NULL::bigint AS rss, NULL::bigint AS rss_anon, NULL::bigint AS rss_file,
       NULL::bigint AS rss_shmem, NULL::bigint AS swap, NULL::bigint AS hugetlb,
       NULL::bigint AS writeable_private,
       s.first_time AS bucket_start, s.samples, s.owned_min, s.owned_max,
       s.owned_last, false AS archived
FROM @extschema@.vmastat_incarnation_series() AS s
UNION ALL
SELECT h.sample_time, h.pid, h.backend_start, h.backend_type,
       h.datname, h.usename, h.application_name,
       h.rss, h.rss_anon, h.rss_file, h.rss_shmem, h.swap, h.hugetlb,
       h.writeable_private,
       h.sample_time, 1, o.owned, o.owned, o.owned, true
FROM @extschema@.vmastat_history_archive AS h
    CROSS JOIN LATERAL (
        SELECT h.rss_anon OPERATOR(pg_catalog.+) coalesce(h.swap, 0) AS owned) AS o;

COMMENT ON VIEW @extschema@.vmastat_history IS
'The series of owned memory of every process incarnation the leak finder keeps, one row per time bucket, and the samples archived from version 1.1, one row each';
COMMENT ON COLUMN @extschema@.vmastat_history.sample_time IS 'time of the last sample in the bucket';
COMMENT ON COLUMN @extschema@.vmastat_history.pid IS 'PID of the server process';
COMMENT ON COLUMN @extschema@.vmastat_history.backend_start IS 'when the process started (pg_stat_activity.backend_start; the postmaster''s start time for the postmaster; NULL for processes pg_stat_activity does not list); with pid it identifies one incarnation of a process';
COMMENT ON COLUMN @extschema@.vmastat_history.backend_type IS 'backend type, as in vmastat_backends()';
COMMENT ON COLUMN @extschema@.vmastat_history.datname IS 'database of the backend, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_history.usename IS 'user of the backend, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_history.application_name IS 'application name, from pg_stat_activity';
COMMENT ON COLUMN @extschema@.vmastat_history.rss IS 'resident bytes (VmRSS); archived samples only';
COMMENT ON COLUMN @extschema@.vmastat_history.rss_anon IS 'resident anonymous bytes (RssAnon); archived samples only';
COMMENT ON COLUMN @extschema@.vmastat_history.rss_file IS 'resident file-backed bytes (RssFile); archived samples only';
COMMENT ON COLUMN @extschema@.vmastat_history.rss_shmem IS 'resident shared memory bytes (RssShmem); archived samples only';
COMMENT ON COLUMN @extschema@.vmastat_history.swap IS 'swapped-out bytes (VmSwap); archived samples only';
COMMENT ON COLUMN @extschema@.vmastat_history.hugetlb IS 'hugetlbfs bytes (HugetlbPages); archived samples only';
COMMENT ON COLUMN @extschema@.vmastat_history.writeable_private IS 'the writeable/private bytes of pmap -d (VmData + VmStk); archived samples only';
COMMENT ON COLUMN @extschema@.vmastat_history.bucket_start IS 'time of the first sample in the bucket';
COMMENT ON COLUMN @extschema@.vmastat_history.samples IS 'number of samples in the bucket';
COMMENT ON COLUMN @extschema@.vmastat_history.owned_min IS 'least owned bytes (rss_anon + swap) of the samples in the bucket: what the process held throughout';
COMMENT ON COLUMN @extschema@.vmastat_history.owned_max IS 'greatest owned bytes of the samples in the bucket';
COMMENT ON COLUMN @extschema@.vmastat_history.owned_last IS 'owned bytes at the last sample in the bucket';
COMMENT ON COLUMN @extschema@.vmastat_history.archived IS 'true for a sample taken by version 1.1 and kept in vmastat_history_archive';

CREATE VIEW @extschema@.vmastat_growth AS
SELECT i.pid, i.backend_start, i.backend_type, i.datname, i.usename,
       i.application_name, i.samples, i.first_seen, i.last_seen, i.alive,
       i.anon_first, i.anon_last,
       i.anon_last OPERATOR(pg_catalog.-) i.anon_first AS anon_delta,
       i.anon_rate, i.anon_r2, i.anon_recent_rate, i.writeable_private_delta,
       @extschema@.vmastat_sparkline(i.trend_values) AS trend,
       i.baseline_first, i.baseline_last, i.verdict, i.suspect_since,
       i.before_restart, i.contexts_grown, i.contexts_taken
FROM @extschema@.vmastat_incarnations() AS i;

COMMENT ON VIEW @extschema@.vmastat_growth IS
'Growth of the owned memory (rss_anon + swap) of every process incarnation the leak finder keeps, with the verdict of the leak rule';
COMMENT ON COLUMN @extschema@.vmastat_growth.pid IS 'PID of the process';
COMMENT ON COLUMN @extschema@.vmastat_growth.backend_start IS 'start of the process; with pid it identifies the incarnation';
COMMENT ON COLUMN @extschema@.vmastat_growth.backend_type IS 'backend type at the last sample';
COMMENT ON COLUMN @extschema@.vmastat_growth.datname IS 'database at the last sample';
COMMENT ON COLUMN @extschema@.vmastat_growth.usename IS 'user at the last sample';
COMMENT ON COLUMN @extschema@.vmastat_growth.application_name IS 'application name at the last sample, as pg_stat_activity showed it at most 10 s before';
COMMENT ON COLUMN @extschema@.vmastat_growth.samples IS 'number of samples';
COMMENT ON COLUMN @extschema@.vmastat_growth.first_seen IS 'time of the first sample';
COMMENT ON COLUMN @extschema@.vmastat_growth.last_seen IS 'time of the last sample';
COMMENT ON COLUMN @extschema@.vmastat_growth.alive IS 'whether this incarnation of the process is still running';
COMMENT ON COLUMN @extschema@.vmastat_growth.anon_first IS 'owned bytes (rss_anon + swap) at the first sample';
COMMENT ON COLUMN @extschema@.vmastat_growth.anon_last IS 'owned bytes (rss_anon + swap) at the last sample';
COMMENT ON COLUMN @extschema@.vmastat_growth.anon_delta IS 'anon_last - anon_first, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_growth.anon_rate IS 'growth per minute of the baseline, the owned bytes held throughout each time bucket: slope of its least-squares line';
COMMENT ON COLUMN @extschema@.vmastat_growth.anon_r2 IS 'coefficient of determination of that line: near 1 for steady growth';
COMMENT ON COLUMN @extschema@.vmastat_growth.anon_recent_rate IS 'growth per minute of the baseline over the recent part of the series';
COMMENT ON COLUMN @extschema@.vmastat_growth.writeable_private_delta IS 'change of the writeable/private bytes of pmap -d between the first and the last sample';
COMMENT ON COLUMN @extschema@.vmastat_growth.trend IS 'sparkline of owned bytes over the time buckets (at most 32 characters, each the greatest value of its bucket)';
COMMENT ON COLUMN @extschema@.vmastat_growth.baseline_first IS 'the baseline at the start: owned bytes held throughout the first time bucket';
COMMENT ON COLUMN @extschema@.vmastat_growth.baseline_last IS 'the baseline now';
COMMENT ON COLUMN @extschema@.vmastat_growth.verdict IS 'what the leak rule says: suspect, or the first condition the series fails (few samples, short span, little growth, slow, unsteady, stopped)';
COMMENT ON COLUMN @extschema@.vmastat_growth.suspect_since IS 'when a sample first found the process a suspect under the server''s thresholds (NULL if never)';
COMMENT ON COLUMN @extschema@.vmastat_growth.before_restart IS 'whether the last sample is from before the last start or crash restart of the server: kept in $PGDATA/pg_stat_tmp/vmastat.state';
COMMENT ON COLUMN @extschema@.vmastat_growth.contexts_grown IS 'which subtrees of memory contexts grew between the background sampler''s first and latest capture of the process''s memory contexts, largest growth first (NULL before two captures)';
COMMENT ON COLUMN @extschema@.vmastat_growth.contexts_taken IS 'time of the latest capture of the process''s memory contexts (NULL if none)';

CREATE VIEW @extschema@.vmastat_leak_kinds AS
SELECT k.pid, k.backend_start, k.kind, k.first_time, k.last_time,
       k.vmas_delta, k.size_delta, k.rss_delta, k.anonymous_delta, k.swap_delta
FROM @extschema@.vmastat_incarnation_kinds() AS k;

COMMENT ON VIEW @extschema@.vmastat_leak_kinds IS
'Per process incarnation and kind of mapping: the change between its first and its last per-kind reading';
COMMENT ON COLUMN @extschema@.vmastat_leak_kinds.pid IS 'PID of the process';
COMMENT ON COLUMN @extschema@.vmastat_leak_kinds.backend_start IS 'start of the process; with pid it identifies the incarnation';
COMMENT ON COLUMN @extschema@.vmastat_leak_kinds.kind IS 'kind of mapping, as in vmastat_vmas';
COMMENT ON COLUMN @extschema@.vmastat_leak_kinds.first_time IS 'time of the first per-kind reading';
COMMENT ON COLUMN @extschema@.vmastat_leak_kinds.last_time IS 'time of the last per-kind reading';
COMMENT ON COLUMN @extschema@.vmastat_leak_kinds.vmas_delta IS 'change of the number of mappings (NULL if the kind is missing from either reading)';
COMMENT ON COLUMN @extschema@.vmastat_leak_kinds.size_delta IS 'change of the virtual size, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_leak_kinds.rss_delta IS 'change of the resident size, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_leak_kinds.anonymous_delta IS 'change of the resident anonymous bytes';
COMMENT ON COLUMN @extschema@.vmastat_leak_kinds.swap_delta IS 'change of the swapped-out bytes';

CREATE VIEW @extschema@.vmastat_leaks AS
WITH grown AS (
    SELECT k.pid, k.backend_start,
           pg_catalog.string_agg(
               k.kind OPERATOR(pg_catalog.||) ' '
               OPERATOR(pg_catalog.||)
               CASE WHEN d.owned OPERATOR(pg_catalog.>) 0 THEN '+' ELSE '' END
               OPERATOR(pg_catalog.||) pg_catalog.pg_size_pretty(d.owned),
               ', ' ORDER BY d.owned DESC) AS kinds_grown
    FROM @extschema@.vmastat_incarnation_kinds() AS k
        CROSS JOIN LATERAL (
            SELECT k.anonymous_delta OPERATOR(pg_catalog.+) k.swap_delta AS owned) AS d
    WHERE pg_catalog.abs(d.owned) OPERATOR(pg_catalog.>=) 65536
    GROUP BY k.pid, k.backend_start
)
SELECT g.pid, g.backend_start, g.backend_type, g.datname, g.usename,
       g.application_name, g.alive, a.state, a.query,
       g.samples, g.first_seen, g.last_seen,
       g.last_seen OPERATOR(pg_catalog.-) g.first_seen AS span,
       g.anon_first, g.anon_last, g.anon_delta, g.anon_rate, g.anon_r2,
       g.anon_recent_rate, g.writeable_private_delta, g.trend, k.kinds_grown,
       g.baseline_first, g.baseline_last, g.suspect_since, g.before_restart,
       g.contexts_grown
FROM @extschema@.vmastat_growth AS g
    LEFT JOIN grown AS k ON k.pid OPERATOR(pg_catalog.=) g.pid
        AND (k.backend_start OPERATOR(pg_catalog.=) g.backend_start
             OR (k.backend_start IS NULL AND g.backend_start IS NULL))
    LEFT JOIN pg_catalog.pg_stat_activity AS a
        ON g.alive AND a.pid OPERATOR(pg_catalog.=) g.pid
       AND a.backend_start OPERATOR(pg_catalog.=) g.backend_start
WHERE g.verdict OPERATOR(pg_catalog.=) 'suspect'
ORDER BY g.anon_rate DESC;

COMMENT ON VIEW @extschema@.vmastat_leaks IS
'Process incarnations whose owned memory grows steadily: the leak suspects, fastest first';
COMMENT ON COLUMN @extschema@.vmastat_leaks.pid IS 'PID of the process';
COMMENT ON COLUMN @extschema@.vmastat_leaks.backend_start IS 'start of the process; with pid it identifies the incarnation';
COMMENT ON COLUMN @extschema@.vmastat_leaks.backend_type IS 'backend type at the last sample';
COMMENT ON COLUMN @extschema@.vmastat_leaks.datname IS 'database at the last sample';
COMMENT ON COLUMN @extschema@.vmastat_leaks.usename IS 'user at the last sample';
COMMENT ON COLUMN @extschema@.vmastat_leaks.application_name IS 'application name at the last sample, as pg_stat_activity showed it at most 10 s before';
COMMENT ON COLUMN @extschema@.vmastat_leaks.alive IS 'whether this incarnation of the process is still running';
COMMENT ON COLUMN @extschema@.vmastat_leaks.state IS 'current state from pg_stat_activity (NULL once the process exited)';
COMMENT ON COLUMN @extschema@.vmastat_leaks.query IS 'current or last query from pg_stat_activity (NULL once the process exited)';
COMMENT ON COLUMN @extschema@.vmastat_leaks.samples IS 'number of samples';
COMMENT ON COLUMN @extschema@.vmastat_leaks.first_seen IS 'time of the first sample';
COMMENT ON COLUMN @extschema@.vmastat_leaks.last_seen IS 'time of the last sample';
COMMENT ON COLUMN @extschema@.vmastat_leaks.span IS 'time between the first and the last sample';
COMMENT ON COLUMN @extschema@.vmastat_leaks.anon_first IS 'owned bytes (rss_anon + swap) at the first sample';
COMMENT ON COLUMN @extschema@.vmastat_leaks.anon_last IS 'owned bytes (rss_anon + swap) at the last sample';
COMMENT ON COLUMN @extschema@.vmastat_leaks.anon_delta IS 'anon_last - anon_first, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_leaks.anon_rate IS 'growth per minute of the owned bytes held throughout (least squares over the time buckets)';
COMMENT ON COLUMN @extschema@.vmastat_leaks.anon_r2 IS 'fit of the least-squares line: 1 for perfectly steady growth';
COMMENT ON COLUMN @extschema@.vmastat_leaks.anon_recent_rate IS 'growth per minute over the recent part of the series';
COMMENT ON COLUMN @extschema@.vmastat_leaks.writeable_private_delta IS 'change of the writeable/private bytes of pmap -d';
COMMENT ON COLUMN @extschema@.vmastat_leaks.trend IS 'sparkline of owned bytes over the time buckets';
COMMENT ON COLUMN @extschema@.vmastat_leaks.kinds_grown IS 'which kinds of mapping grew in owned memory (anonymous + swapped bytes), largest first, from vmastat_leak_kinds';
COMMENT ON COLUMN @extschema@.vmastat_leaks.baseline_first IS 'owned bytes held throughout the first time bucket';
COMMENT ON COLUMN @extschema@.vmastat_leaks.baseline_last IS 'owned bytes held throughout the last time bucket';
COMMENT ON COLUMN @extschema@.vmastat_leaks.suspect_since IS 'when a sample first found the process a suspect under the server''s thresholds';
COMMENT ON COLUMN @extschema@.vmastat_leaks.before_restart IS 'whether the evidence is from before the last start or crash restart of the server';
COMMENT ON COLUMN @extschema@.vmastat_leaks.contexts_grown IS 'which subtrees of memory contexts grew, from the background sampler''s captures, for example "CacheMemoryContext +12 MB, +1555 contexts (mostly CachedPlanSource)"';

--
-- Privileges of the leak finder: reading is for pg_read_all_stats, taking
-- samples and pruning for the owner unless granted.
--
REVOKE ALL ON FUNCTION @extschema@.vmastat_vmas_of(integer[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.vmastat_kinds_of(integer[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.vmastat_snapshot() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.vmastat_history_forget(interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.vmastat_history_prune(interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.vmastat_incarnations(boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.vmastat_incarnation_kinds() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.vmastat_incarnation_series() FROM PUBLIC;
REVOKE ALL ON @extschema@.vmastat_history FROM PUBLIC;
REVOKE ALL ON @extschema@.vmastat_history_archive FROM PUBLIC;
REVOKE ALL ON @extschema@.vmastat_history_kinds_archive FROM PUBLIC;
REVOKE ALL ON @extschema@.vmastat_growth FROM PUBLIC;
REVOKE ALL ON @extschema@.vmastat_leak_kinds FROM PUBLIC;
REVOKE ALL ON @extschema@.vmastat_leaks FROM PUBLIC;

GRANT EXECUTE ON FUNCTION @extschema@.vmastat_vmas_of(integer[]) TO pg_read_all_stats;
GRANT EXECUTE ON FUNCTION @extschema@.vmastat_kinds_of(integer[]) TO pg_read_all_stats;
GRANT EXECUTE ON FUNCTION @extschema@.vmastat_incarnations(boolean) TO pg_read_all_stats;
GRANT EXECUTE ON FUNCTION @extschema@.vmastat_incarnation_kinds() TO pg_read_all_stats;
GRANT EXECUTE ON FUNCTION @extschema@.vmastat_incarnation_series() TO pg_read_all_stats;
GRANT SELECT ON @extschema@.vmastat_history TO pg_read_all_stats;
GRANT SELECT ON @extschema@.vmastat_history_archive TO pg_read_all_stats;
GRANT SELECT ON @extschema@.vmastat_history_kinds_archive TO pg_read_all_stats;
GRANT SELECT ON @extschema@.vmastat_growth TO pg_read_all_stats;
GRANT SELECT ON @extschema@.vmastat_leak_kinds TO pg_read_all_stats;
GRANT SELECT ON @extschema@.vmastat_leaks TO pg_read_all_stats;

--
-- A view for people at a psql prompt: who owns the most memory right now
--
CREATE VIEW @extschema@.vmastat_top AS
SELECT b.pid,
       b.backend_type,
       a.usename,
       a.datname,
       a.state,
       pg_catalog.pg_size_pretty(o.owned) AS owned,
       pg_catalog.pg_size_pretty(b.rss) AS rss,
       pg_catalog.pg_size_pretty(b.rss_shmem) AS rss_shmem,
       pg_catalog.pg_size_pretty(b.writeable_private) AS writeable_private,
       CASE WHEN l.pid IS NOT NULL
            THEN 'growing ' OPERATOR(pg_catalog.||) pg_catalog.pg_size_pretty(l.anon_rate)
                 OPERATOR(pg_catalog.||) '/min'
       END AS leak,
       pg_catalog.left(pg_catalog.regexp_replace(a.query, '\s+', ' ', 'g'), 60) AS query,
       o.owned AS owned_bytes
FROM @extschema@.vmastat_backends(fast => true) AS b
    LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid OPERATOR(pg_catalog.=) b.pid
    CROSS JOIN LATERAL (
        SELECT b.rss_anon OPERATOR(pg_catalog.+) coalesce(b.swap, 0) AS owned,
               -- the incarnation's start, as vmastat_snapshot() records it
               CASE WHEN b.backend_type OPERATOR(pg_catalog.=) 'postmaster'
                    THEN pg_catalog.pg_postmaster_start_time()
                    ELSE a.backend_start END AS backend_start) AS o
    -- without the leak finder's store (not preloaded), no verdicts
    LEFT JOIN @extschema@.vmastat_incarnations(require_store => false) AS l
        ON l.pid OPERATOR(pg_catalog.=) b.pid AND l.alive
       AND l.verdict OPERATOR(pg_catalog.=) 'suspect'
       AND (l.backend_start OPERATOR(pg_catalog.=) o.backend_start
            OR (l.backend_start IS NULL AND o.backend_start IS NULL))
ORDER BY o.owned DESC NULLS LAST
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
COMMENT ON COLUMN @extschema@.vmastat_system.headroom IS 'bytes left: the smallest of what the cgroup and each of its ancestors leave (the smaller of memory.max and memory.high, less usage without inactive page cache), mem_available and, when overcommit_memory is 2, commit_limit - committed_as';
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
                        p.oom_score DESC NULLS LAST, p.charged DESC NULLS LAST, p.pid) AS n
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
COMMENT ON COLUMN @extschema@.vmastat_oom.kill_order IS 'estimated order in which the OOM killer would pick the server processes, 1 first: by oom_score (those whose score cannot be read last), ties by larger rss + swap, then pid; NULL if exempt (oom_score_adj -1000)';
COMMENT ON COLUMN @extschema@.vmastat_oom.setup_ok IS 'whether the process is set up as PostgreSQL recommends on Linux: postmaster at oom_score_adj -1000, children above it';
COMMENT ON COLUMN @extschema@.vmastat_oom.setup_note IS 'what is wrong with the setup, NULL if nothing';

CREATE VIEW @extschema@.vmastat_totals AS
WITH h AS (
    SELECT b.*, a.datname, a.usename,
           coalesce(a.leader_pid, b.pid) AS leader_pid,
           -- huge pages (huge_pages = on) are in no pss: a page mapped by
           -- one process counts for it; the shared ones count once, as the
           -- most that one process maps, shared in proportion to what each
           -- maps
           coalesce(b.private_hugetlb, 0) OPERATOR(pg_catalog.+)
           CASE WHEN b.shared_hugetlb OPERATOR(pg_catalog.>) 0
                THEN pg_catalog.round(b.shared_hugetlb::numeric
                         OPERATOR(pg_catalog.*) (pg_catalog.max(b.shared_hugetlb) OVER ())
                         OPERATOR(pg_catalog./) (pg_catalog.sum(b.shared_hugetlb) OVER ()))::bigint
                ELSE 0
           END AS hugetlb_share
    FROM @extschema@.vmastat_backends() AS b
        LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid OPERATOR(pg_catalog.=) b.pid
),
p AS (
    SELECT h.pid, h.pss OPERATOR(pg_catalog.+) h.hugetlb_share AS pss, h.pss_anon, h.pss_file,
           h.pss_shmem OPERATOR(pg_catalog.+) h.hugetlb_share AS pss_shmem,
           h.hugetlb_share AS hugetlb, h.swap_pss, h.uss,
           h.rss_anon OPERATOR(pg_catalog.+) coalesce(h.swap, 0) AS owned,
           h.datname, h.usename, h.leader_pid
    FROM h
)
SELECT 'cluster'::text AS level, NULL::name AS datname, NULL::name AS usename,
       NULL::integer AS leader_pid,
       pg_catalog.count(*) AS processes,
       pg_catalog.sum(p.pss)::bigint AS pss,
       pg_catalog.sum(p.pss_anon)::bigint AS pss_anon,
       pg_catalog.sum(p.pss_file)::bigint AS pss_file,
       pg_catalog.sum(p.pss_shmem)::bigint AS pss_shmem,
       pg_catalog.sum(p.hugetlb)::bigint AS hugetlb,
       pg_catalog.sum(p.swap_pss)::bigint AS swap_pss,
       pg_catalog.sum(p.uss)::bigint AS uss,
       pg_catalog.sum(p.owned)::bigint AS owned,
       pg_catalog.sum(p.pss)::double precision OPERATOR(pg_catalog./) b.bytes AS share,
       b.of AS share_of
FROM p
    -- what the cluster may use: its cgroup's limit, else the host's memory
    CROSS JOIN (
        SELECT CASE WHEN i.cgroup_limit IS NOT NULL THEN i.cgroup_limit
                    ELSE i.mem_total END AS bytes,
               CASE WHEN i.cgroup_limit IS NOT NULL THEN 'cgroup limit'
                    ELSE 'host memory' END AS of
        FROM @extschema@.vmastat_system_info() AS i) AS b
GROUP BY b.bytes, b.of
UNION ALL
SELECT 'database'::text, p.datname, NULL::name, NULL::integer,
       pg_catalog.count(*), pg_catalog.sum(p.pss)::bigint, pg_catalog.sum(p.pss_anon)::bigint,
       pg_catalog.sum(p.pss_file)::bigint, pg_catalog.sum(p.pss_shmem)::bigint,
       pg_catalog.sum(p.hugetlb)::bigint, pg_catalog.sum(p.swap_pss)::bigint, pg_catalog.sum(p.uss)::bigint,
       pg_catalog.sum(p.owned)::bigint, NULL::double precision, NULL::text
FROM p
GROUP BY p.datname
UNION ALL
SELECT 'user'::text, NULL::name, p.usename, NULL::integer,
       pg_catalog.count(*), pg_catalog.sum(p.pss)::bigint, pg_catalog.sum(p.pss_anon)::bigint,
       pg_catalog.sum(p.pss_file)::bigint, pg_catalog.sum(p.pss_shmem)::bigint,
       pg_catalog.sum(p.hugetlb)::bigint, pg_catalog.sum(p.swap_pss)::bigint, pg_catalog.sum(p.uss)::bigint,
       pg_catalog.sum(p.owned)::bigint, NULL::double precision, NULL::text
FROM p
GROUP BY p.usename
UNION ALL
SELECT 'query'::text, NULL::name, NULL::name, p.leader_pid,
       pg_catalog.count(*), pg_catalog.sum(p.pss)::bigint, pg_catalog.sum(p.pss_anon)::bigint,
       pg_catalog.sum(p.pss_file)::bigint, pg_catalog.sum(p.pss_shmem)::bigint,
       pg_catalog.sum(p.hugetlb)::bigint, pg_catalog.sum(p.swap_pss)::bigint, pg_catalog.sum(p.uss)::bigint,
       pg_catalog.sum(p.owned)::bigint, NULL::double precision, NULL::text
FROM p
GROUP BY p.leader_pid;

COMMENT ON VIEW @extschema@.vmastat_totals IS
'Memory of the server processes summed per cluster, database, user and query (a parallel leader with its workers), on PSS so that shared pages count once and the sums add up; reads smaps_rollup of every process';
COMMENT ON COLUMN @extschema@.vmastat_totals.level IS 'cluster, database, user or query: what the row sums over';
COMMENT ON COLUMN @extschema@.vmastat_totals.datname IS 'the database of a database row; NULL there for processes connected to none';
COMMENT ON COLUMN @extschema@.vmastat_totals.usename IS 'the user of a user row; NULL there for processes of no user';
COMMENT ON COLUMN @extschema@.vmastat_totals.leader_pid IS 'the parallel group leader of a query row (a process that leads none is its own group)';
COMMENT ON COLUMN @extschema@.vmastat_totals.processes IS 'number of server processes summed';
COMMENT ON COLUMN @extschema@.vmastat_totals.pss IS 'proportional set size in bytes: each shared page divided among the processes that map it, dynamic shared memory and hugetlb included';
COMMENT ON COLUMN @extschema@.vmastat_totals.pss_anon IS 'anonymous part of pss, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_totals.pss_file IS 'file-backed part of pss, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_totals.pss_shmem IS 'shared memory part of pss (shared buffers, dynamic shared memory, hugetlb), in bytes';
COMMENT ON COLUMN @extschema@.vmastat_totals.hugetlb IS 'huge pages of shared memory (huge_pages = on), part of pss_shmem: the kernel counts them in no pss, so a page one process maps counts for it and the shared ones count once, as the most that one process maps, divided in proportion to what each maps';
COMMENT ON COLUMN @extschema@.vmastat_totals.swap_pss IS 'proportional share of swapped-out bytes';
COMMENT ON COLUMN @extschema@.vmastat_totals.uss IS 'unique set size in bytes: pages mapped by one process only';
COMMENT ON COLUMN @extschema@.vmastat_totals.owned IS 'rss_anon + swap in bytes; counts copy-on-write pages once per process, so it does not add up across processes';
COMMENT ON COLUMN @extschema@.vmastat_totals.share IS 'for the cluster row, pss as a fraction of what the cluster may use (share_of); NULL in the other rows';
COMMENT ON COLUMN @extschema@.vmastat_totals.share_of IS 'for the cluster row, what share is a fraction of: the memory cgroup''s limit (cgroup limit), or without one the host''s MemTotal (host memory)';

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
