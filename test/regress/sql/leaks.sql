-- The leak rule on hand-made history: exact figures, deterministic verdicts.
-- The incarnations below do not exist, so none of them is alive.

SET vmastat.leak_min_rate = '100kB';
SET vmastat.leak_min_samples = 10;
SET vmastat.leak_min_span = '30s';
SET vmastat.leak_min_r2 = 0.8;
SELECT * FROM vmastat_leak_settings();

-- 20 samples, 10 s apart, of five made-up processes:
--   steady:   +1 MB a sample (6 MB per minute), a perfect line
--   slow:     +20 kB a sample (120 kB per minute)
--   warmup:   +8 MB in the first two samples, then flat
--   growfree: +2 MB a sample for 10 samples, then back to where it started
--   noisy:    alternating 0 / +4 MB
INSERT INTO vmastat_history (sample_time, pid, backend_start, backend_type,
                             rss, rss_anon, rss_file, rss_shmem, swap, hugetlb,
                             writeable_private)
SELECT '2026-01-01 00:00:00+00'::timestamptz + s * interval '10 s', p.pid,
       '2025-12-31 23:00:00+00', 'client backend',
       0, p.anon, 0, s * 1048576, 0, 0, p.anon + 1048576
FROM generate_series(0, 19) AS s,
     LATERAL (VALUES
        (900001, 4194304 + s * 1048576),
        (900002, 4194304 + s * 20480),
        (900003, 4194304 + least(s, 2) * 4194304),
        (900004, 4194304 + CASE WHEN s < 10 THEN s * 2097152 ELSE 0 END),
        (900005, 4194304 + (s % 2) * 4194304)) AS p(pid, anon);

SELECT pid, samples, alive, anon_first, anon_last, anon_delta, anon_rate,
       round(anon_r2::numeric, 3) AS anon_r2, anon_recent_rate,
       writeable_private_delta, trend
FROM vmastat_growth WHERE pid > 900000 ORDER BY pid;

-- only the steady and the slow leaker, fastest first
SELECT pid, alive, state, query, span, anon_rate FROM vmastat_leaks WHERE pid > 900000;

-- a higher rate drops the slow leaker; more samples or a longer span drop both
SET vmastat.leak_min_rate = '1MB';
SELECT pid FROM vmastat_leaks WHERE pid > 900000;
RESET vmastat.leak_min_rate;
SET vmastat.leak_min_samples = 25;
SELECT pid FROM vmastat_leaks WHERE pid > 900000;
RESET vmastat.leak_min_samples;
SET vmastat.leak_min_span = '1h';
SELECT pid FROM vmastat_leaks WHERE pid > 900000;
RESET vmastat.leak_min_span;

-- which kind grew, from two per-kind samples of the steady leaker: owned
-- memory only (anonymous + swap), so the shared buffers it touched meanwhile
-- (shm_main, resident but not anonymous) do not explain the leak
INSERT INTO vmastat_history_kinds VALUES
  ('2026-01-01 00:00:00+00', 900001, '2025-12-31 23:00:00+00', 'heap', 1, 4194304, 4194304, 4194304, 0),
  ('2026-01-01 00:00:00+00', 900001, '2025-12-31 23:00:00+00', 'text', 10, 8388608, 2097152, 0, 0),
  ('2026-01-01 00:00:00+00', 900001, '2025-12-31 23:00:00+00', 'shm_main', 1, 134217728, 1048576, 0, 0),
  ('2026-01-01 00:03:10+00', 900001, '2025-12-31 23:00:00+00', 'shm_main', 1, 134217728, 104857600, 0, 0),
  ('2026-01-01 00:03:10+00', 900001, '2025-12-31 23:00:00+00', 'heap', 1, 20971520, 20971520, 20971520, 0),
  ('2026-01-01 00:03:10+00', 900001, '2025-12-31 23:00:00+00', 'anon', 2, 4194304, 3145728, 3145728, 0),
  ('2026-01-01 00:03:10+00', 900001, '2025-12-31 23:00:00+00', 'text', 10, 8388608, 2097152, 0, 0);
SELECT kind, vmas_delta, size_delta, rss_delta, anonymous_delta, swap_delta
FROM vmastat_leak_kinds WHERE pid = 900001 ORDER BY kind;
SELECT kinds_grown FROM vmastat_leaks WHERE pid = 900001;

-- a reused PID is a new incarnation
INSERT INTO vmastat_history (sample_time, pid, backend_start, backend_type, rss, rss_anon, swap, writeable_private)
VALUES ('2026-01-01 00:05:00+00', 900001, '2026-01-01 00:04:00+00', 'client backend', 0, 1048576, 0, 0);
SELECT pid, backend_start, samples FROM vmastat_growth WHERE pid = 900001 ORDER BY backend_start;

-- sparklines
SELECT vmastat_sparkline(ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::bigint[]);
SELECT vmastat_sparkline(ARRAY[5, 5, 5]::bigint[]);
SELECT vmastat_sparkline(ARRAY[0, NULL, 100]::bigint[]);
SELECT vmastat_sparkline('{}'::bigint[]) IS NULL AS empty_is_null;

-- pruning: everything above is older than a day
SELECT vmastat_history_prune('1 day');
SELECT count(*) FROM vmastat_history_kinds;

-- a real snapshot: one row per server process, this backend among them
SELECT vmastat_snapshot() > 1 AS sampled;
SELECT backend_type, datname = current_database() AS this_db, rss_anon > 0 AS owns_memory
FROM vmastat_history WHERE pid = pg_backend_pid();
SELECT count(*) > 0 AS baseline_kinds FROM vmastat_history_kinds WHERE pid = pg_backend_pid();
SELECT vmastat_history_prune('0 s') > 0 AS pruned;

-- privileges: reading history is for pg_read_all_stats, writing for the owner
CREATE ROLE vmastat_leak_plain;
CREATE ROLE vmastat_leak_monitor IN ROLE pg_monitor;
SET ROLE vmastat_leak_plain;
SELECT count(*) FROM vmastat_leaks;
SELECT vmastat_snapshot();
RESET ROLE;
SET ROLE vmastat_leak_monitor;
SELECT count(*) FROM vmastat_leaks;
SELECT count(*) FROM vmastat_growth;
SELECT vmastat_snapshot();
SELECT vmastat_history_prune('1 day');
RESET ROLE;
DROP ROLE vmastat_leak_plain;
DROP ROLE vmastat_leak_monitor;
