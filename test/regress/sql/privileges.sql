-- Who may read processes: pg_read_all_stats members; everyone may parse.

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
-- the leak finder: reading is for pg_read_all_stats, sampling and
-- forgetting for the owner
SELECT count(*) FROM vmastat_incarnations();
SELECT count(*) FROM vmastat_history;
SELECT count(*) FROM vmastat_history_archive;
SELECT count(*) FROM vmastat_leaks;
SELECT vmastat_snapshot();
SELECT vmastat_history_forget('1 day');
RESET ROLE;
SET ROLE vmastat_direct;
SELECT count(*) FROM vmastat_backends();
RESET ROLE;
SET ROLE vmastat_monitor;
SELECT count(*) > 0 AS served FROM vmastat_backends();
SELECT count(*) > 0 AS served FROM vmastat_activity WHERE pid = pg_backend_pid();
SELECT count(*) > 0 AS served FROM vmastat_kinds WHERE pid = pg_backend_pid();
SELECT count(*) >= 0 AS served FROM vmastat_growth;
SELECT count(*) >= 0 AS served FROM vmastat_history;
SELECT count(*) >= 0 AS served FROM vmastat_leaks;
SELECT vmastat_snapshot();
SELECT vmastat_history_prune('1 day');
RESET ROLE;
DROP ROLE vmastat_plain;
REVOKE EXECUTE ON FUNCTION vmastat_backends(boolean) FROM vmastat_direct;
DROP ROLE vmastat_direct;
DROP ROLE vmastat_monitor;
