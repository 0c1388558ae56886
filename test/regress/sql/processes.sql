-- Server processes read from /proc: this backend, the postmaster, the fast
-- path, and PIDs that are not server processes.

-- this backend and the postmaster are server processes
SELECT count(*) = 1 AS found_self FROM vmastat_backends() WHERE pid = pg_backend_pid();
SELECT backend_type, vmas > 0 AS has_vmas, rss > 0 AS has_rss, uss <= rss AS uss_le_rss
FROM vmastat_backend(pg_backend_pid());
SELECT count(*) FROM vmastat_backends() WHERE backend_type = 'postmaster';
SELECT count(*) > 0 AS has_vmas FROM vmastat_vmas(pg_backend_pid());

-- fast path: status counters only, the OOM files and the peaks too
SELECT mapped IS NULL AS no_maps, pss IS NULL AS no_rollup, vmas IS NULL AS no_count,
       rss IS NOT NULL AS has_rss, writeable_private IS NOT NULL AS has_wp,
       oom_score >= 0 AS has_oom_score, oom_score_adj BETWEEN -1000 AND 1000 AS has_oom_adj,
       rss_peak >= rss AS peak_ge_rss, vm_peak > 0 AS has_vm_peak
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
