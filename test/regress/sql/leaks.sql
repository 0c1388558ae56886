-- The leak rule on samples fed through the sampler's path, with time
-- compressed: deterministic series, verdicts at the default thresholds.
-- The made-up PIDs are above the kernel's largest (4194304), so none of them
-- is alive, and the times are in the past, so pruning forgets them.

CREATE FUNCTION vmastat_test_feed(pid integer, start timestamptz,
                                  times timestamptz[], owned bigint[],
                                  backend_type text) RETURNS void
    AS 'vmastat', 'vmastat_history_feed' LANGUAGE C STRICT;

SELECT * FROM vmastat_leak_settings();

-- Feeds n samples, interval s apart, from 2026-01-01, of owned bytes f(i)
CREATE FUNCTION feed(pid integer, n integer, step interval, f text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz[];
    o bigint[];
BEGIN
    EXECUTE format('SELECT array_agg(%L::timestamptz + i * %L::interval ORDER BY i),
                           array_agg((%s)::bigint ORDER BY i)
                    FROM generate_series(0, %s - 1) AS i',
                   '2026-01-01 00:00:00+00', step, f, n)
        INTO t, o;
    PERFORM vmastat_test_feed(pid, '2025-12-31 23:00:00+00', t, o, 'client backend');
END
$$;

-- a pseudo-random number in [0, 1) for sample i of series s
CREATE FUNCTION noise(i integer, s integer) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$
    SELECT ((hashint4(i * 7919 + s) & 1048575)::float8 / 1048576)
$$;

-- at 1 s for 5 minutes:
--   clean:  8 MB + 570 kB per minute
--   spiky:  the same, and 1 sample in 10 taken while a statement holds 15 MB
--   warmup: +32 MB over 60 s, then flat for 30 s
SELECT feed(5000001, 300, '1 s', '8388608 + i * 583680 / 60');
SELECT feed(5000002, 300, '1 s', '8388608 + i * 583680 / 60 + CASE WHEN i % 10 = 3 THEN 15728640 ELSE 0 END');
SELECT feed(5000003, 91, '1 s', '8388608 + least(i, 60) * 33554432 / 60');

-- the clean leak is named within its first two minutes (1 MB of growth
-- at 570 kB/min takes 108 s), the spiky one within twice that time
SELECT pid, verdict, suspect_since - first_seen AS named_after,
       round(anon_rate / 1024.0) AS rate_kb_per_min, round(anon_r2::numeric, 2) AS r2
FROM vmastat_growth WHERE pid IN (5000001, 5000002) ORDER BY pid;
SELECT (s.suspect_since - s.first_seen) <= 2 * (c.suspect_since - c.first_seen) AS spiky_within_twice
FROM vmastat_growth AS c, vmastat_growth AS s
WHERE c.pid = 5000001 AND s.pid = 5000002;

-- the warm-up was a suspect while it grew, not once flat for 30 s
SELECT pid, verdict, suspect_since IS NOT NULL AS was_named, samples, span
FROM vmastat_growth g, LATERAL (SELECT last_seen - first_seen AS span) s
WHERE pid = 5000003;

-- at 10 s for 6 hours:
--   slow:     a pooled connection leaking 1 MB per hour in 128 kB steps, with
--             a statement of 2-8 MB in 1 sample in 10
--   idle:     constant
--   steady:   constant within 64 kB
--   growfree: +50 MB over a minute, then freed, every hour
--   noisy:    sorts of 0-50 MB in 3 samples in 10 over a baseline within 200 kB
--   warmup:   +32 MB over the first 60 s, then flat
SELECT feed(5000011, 2160, '10 s',
            '8388608 + (i * 10 / 3600.0 * 8)::integer * 131072
             + CASE WHEN noise(i, 11) < 0.1 THEN 2097152 + (noise(i, 12) * 6291456)::bigint ELSE 0 END');
SELECT feed(5000012, 2160, '10 s', '8388608');
SELECT feed(5000013, 2160, '10 s', '8388608 + (noise(i, 13) * 65536)::bigint');
SELECT feed(5000014, 2160, '10 s',
            '8388608 + CASE WHEN i % 360 < 6 THEN (i % 360) * 10485760 ELSE 0 END');
SELECT feed(5000015, 2160, '10 s',
            '8388608 + (noise(i, 15) * 204800)::bigint
             + CASE WHEN noise(i, 16) < 0.3 THEN (noise(i, 17) * 52428800)::bigint ELSE 0 END');
SELECT feed(5000016, 2160, '10 s', '8388608 + least(i, 6) * 5592405');

-- only the slow leak is ever named, within 6 hours
SELECT pid, suspect_since - first_seen AS named_after,
       suspect_since - first_seen < interval '6 hours' AS within_6h, verdict,
       samples, last_seen - first_seen AS span
FROM vmastat_growth WHERE pid BETWEEN 5000011 AND 5000016 ORDER BY pid;

-- every condition of the rule, alone: a steady leak of 1 MB per minute for
-- 10 minutes is a suspect, and each threshold raised past it rejects it
SELECT feed(5000021, 600, '1 s', '8388608 + i * 1048576 / 60 + (noise(i, 21) * 16384)::bigint');
SELECT verdict FROM vmastat_growth WHERE pid = 5000021;
SET vmastat.leak_min_samples = 1000;
SELECT verdict FROM vmastat_growth WHERE pid = 5000021;
RESET vmastat.leak_min_samples;
SET vmastat.leak_min_span = '1h';
SELECT verdict FROM vmastat_growth WHERE pid = 5000021;
RESET vmastat.leak_min_span;
SET vmastat.leak_min_growth = '1GB';
SELECT verdict FROM vmastat_growth WHERE pid = 5000021;
RESET vmastat.leak_min_growth;
SET vmastat.leak_min_rate = '2MB';
SELECT verdict FROM vmastat_growth WHERE pid = 5000021;
RESET vmastat.leak_min_rate;
SET vmastat.leak_min_r2 = 1;
SELECT verdict FROM vmastat_growth WHERE pid = 5000021;
RESET vmastat.leak_min_r2;
-- and the warm-up above is rejected only because it stopped growing
SELECT verdict FROM vmastat_growth WHERE pid = 5000003;

-- the leaks view lists the suspects, fastest first; fed samples have no
-- per-kind readings, these processes are gone, and their last samples are
-- older than this server's start
SELECT pid, alive, state, query, kinds_grown, before_restart
FROM vmastat_leaks WHERE pid > 5000000 ORDER BY anon_rate DESC;

-- the series: at most 32 buckets whatever the number of samples, holding
-- every sample, least and greatest values kept
SELECT pid, count(*) AS buckets, sum(samples) AS samples,
       min(owned_min) AS least, max(owned_max) AS greatest
FROM vmastat_history WHERE pid IN (5000012, 5000014) GROUP BY pid ORDER BY pid;

-- a reused PID is a new incarnation
SELECT vmastat_test_feed(5000012, '2026-01-02 00:00:00+00',
                         ARRAY['2026-01-02 00:01:00+00']::timestamptz[],
                         ARRAY[1048576]::bigint[], 'client backend');
SELECT pid, backend_start, samples FROM vmastat_growth WHERE pid = 5000012 ORDER BY backend_start;

-- bad input to the feed
SELECT vmastat_test_feed(5000031, now(), ARRAY[now()], ARRAY[1, 2]::bigint[], 'x');
SELECT vmastat_test_feed(5000031, now(), ARRAY[NULL]::timestamptz[], ARRAY[1]::bigint[], 'x');

-- sparklines
SELECT vmastat_sparkline(ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::bigint[]);
SELECT vmastat_sparkline(ARRAY[5, 5, 5]::bigint[]);
SELECT vmastat_sparkline(ARRAY[0, NULL, 100]::bigint[]);
SELECT vmastat_sparkline('{}'::bigint[]) IS NULL AS empty_is_null;

-- pruning forgets everything fed above, older than a day
SELECT vmastat_history_prune('1 day') >= 11 AS forgotten;
SELECT count(*) FROM vmastat_growth WHERE pid > 5000000;
SELECT vmastat_history_prune('-1 s');

-- a real snapshot: this backend among the processes, named from
-- pg_stat_activity, with its per-kind baseline
SELECT vmastat_snapshot() > 1 AS sampled;
SELECT backend_type, datname = current_database() AS this_db, anon_last > 0 AS owns_memory,
       alive, before_restart
FROM vmastat_growth WHERE pid = pg_backend_pid();
SELECT count(*) > 0 AS baseline_kinds FROM vmastat_leak_kinds WHERE pid = pg_backend_pid();

-- privileges: reading is for pg_read_all_stats, sampling for the owner
CREATE ROLE vmastat_leak_plain;
CREATE ROLE vmastat_leak_monitor IN ROLE pg_monitor;
SET ROLE vmastat_leak_plain;
SELECT count(*) FROM vmastat_leaks;
SELECT count(*) FROM vmastat_incarnations();
SELECT vmastat_snapshot();
RESET ROLE;
SET ROLE vmastat_leak_monitor;
SELECT count(*) >= 0 AS readable FROM vmastat_leaks;
SELECT count(*) > 0 AS readable FROM vmastat_growth;
SELECT vmastat_snapshot();
SELECT vmastat_history_prune('1 day');
SELECT vmastat_history_forget('1 day');
SELECT vmastat_test_feed(5000041, now(), ARRAY[now()], ARRAY[1]::bigint[], 'x');
RESET ROLE;
DROP ROLE vmastat_leak_plain;
DROP ROLE vmastat_leak_monitor;
DROP FUNCTION feed(integer, integer, interval, text);
DROP FUNCTION noise(integer, integer);
DROP FUNCTION vmastat_test_feed(integer, timestamptz, timestamptz[], bigint[], text);
