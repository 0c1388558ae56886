/* vmastat--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION vmastat" to load this file. \quit

--
-- Per-VMA rows, from /proc/PID/smaps
--
CREATE FUNCTION @extschema@.vmastat_vmas(
    pid integer,
    OUT pid integer,
    OUT start_addr text,
    OUT end_addr text,
    OUT perms text,
    OUT "offset" bigint,
    OUT dev text,
    OUT inode bigint,
    OUT path text,
    OUT kind text,
    OUT size bigint,
    OUT kernel_page_size bigint,
    OUT mmu_page_size bigint,
    OUT rss bigint,
    OUT pss bigint,
    OUT pss_dirty bigint,
    OUT shared_clean bigint,
    OUT shared_dirty bigint,
    OUT private_clean bigint,
    OUT private_dirty bigint,
    OUT referenced bigint,
    OUT anonymous bigint,
    OUT ksm bigint,
    OUT lazy_free bigint,
    OUT anon_huge_pages bigint,
    OUT shmem_pmd_mapped bigint,
    OUT file_pmd_mapped bigint,
    OUT shared_hugetlb bigint,
    OUT private_hugetlb bigint,
    OUT swap bigint,
    OUT swap_pss bigint,
    OUT locked bigint,
    OUT thp_eligible boolean,
    OUT protection_key integer,
    OUT vm_flags text[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'vmastat_vmas_pid'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION @extschema@.vmastat_vmas(integer) IS
'One row per memory mapping of a server process, from /proc/PID/smaps';

CREATE FUNCTION @extschema@.vmastat_vmas(
    OUT pid integer,
    OUT start_addr text,
    OUT end_addr text,
    OUT perms text,
    OUT "offset" bigint,
    OUT dev text,
    OUT inode bigint,
    OUT path text,
    OUT kind text,
    OUT size bigint,
    OUT kernel_page_size bigint,
    OUT mmu_page_size bigint,
    OUT rss bigint,
    OUT pss bigint,
    OUT pss_dirty bigint,
    OUT shared_clean bigint,
    OUT shared_dirty bigint,
    OUT private_clean bigint,
    OUT private_dirty bigint,
    OUT referenced bigint,
    OUT anonymous bigint,
    OUT ksm bigint,
    OUT lazy_free bigint,
    OUT anon_huge_pages bigint,
    OUT shmem_pmd_mapped bigint,
    OUT file_pmd_mapped bigint,
    OUT shared_hugetlb bigint,
    OUT private_hugetlb bigint,
    OUT swap bigint,
    OUT swap_pss bigint,
    OUT locked bigint,
    OUT thp_eligible boolean,
    OUT protection_key integer,
    OUT vm_flags text[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'vmastat_vmas_all'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.vmastat_vmas() IS
'One row per memory mapping of every server process of the cluster, from /proc/PID/smaps';

CREATE VIEW @extschema@.vmastat_vmas AS
    SELECT * FROM @extschema@.vmastat_vmas();

COMMENT ON VIEW @extschema@.vmastat_vmas IS
'One row per memory mapping of every server process of the cluster';
COMMENT ON COLUMN @extschema@.vmastat_vmas.pid IS 'PID of the server process (NULL for vmastat_parse_smaps)';
COMMENT ON COLUMN @extschema@.vmastat_vmas.start_addr IS 'first address of the mapping, in the kernel''s hex form';
COMMENT ON COLUMN @extschema@.vmastat_vmas.end_addr IS 'first address after the mapping, in the kernel''s hex form';
COMMENT ON COLUMN @extschema@.vmastat_vmas.perms IS 'permissions: r, w, x, then p (private) or s (shared)';
COMMENT ON COLUMN @extschema@.vmastat_vmas."offset" IS 'offset of the mapping in its file, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_vmas.dev IS 'device of the mapped file as major:minor, in hex';
COMMENT ON COLUMN @extschema@.vmastat_vmas.inode IS 'inode of the mapped file (0 if anonymous)';
COMMENT ON COLUMN @extschema@.vmastat_vmas.path IS 'name of the mapping as the kernel prints it, " (deleted)" included; NULL if it has none';
COMMENT ON COLUMN @extschema@.vmastat_vmas.kind IS 'what the mapping is: text, rodata, data, bss, heap, stack, anon, shm_main, shm_sysv, dsm, shared, file, guard or kernel';
COMMENT ON COLUMN @extschema@.vmastat_vmas.size IS 'virtual size in bytes';
COMMENT ON COLUMN @extschema@.vmastat_vmas.kernel_page_size IS 'page size the kernel uses for the mapping, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_vmas.mmu_page_size IS 'page size the MMU uses for the mapping, in bytes';
COMMENT ON COLUMN @extschema@.vmastat_vmas.rss IS 'resident bytes';
COMMENT ON COLUMN @extschema@.vmastat_vmas.pss IS 'proportional set size: resident bytes, each page divided by the number of processes mapping it';
COMMENT ON COLUMN @extschema@.vmastat_vmas.pss_dirty IS 'the dirty part of pss, in bytes (NULL before Linux 6.0)';
COMMENT ON COLUMN @extschema@.vmastat_vmas.shared_clean IS 'resident clean bytes also mapped by other processes';
COMMENT ON COLUMN @extschema@.vmastat_vmas.shared_dirty IS 'resident dirty bytes also mapped by other processes';
COMMENT ON COLUMN @extschema@.vmastat_vmas.private_clean IS 'resident clean bytes mapped by this process only';
COMMENT ON COLUMN @extschema@.vmastat_vmas.private_dirty IS 'resident dirty bytes mapped by this process only';
COMMENT ON COLUMN @extschema@.vmastat_vmas.referenced IS 'bytes recently referenced';
COMMENT ON COLUMN @extschema@.vmastat_vmas.anonymous IS 'resident bytes not backed by a file';
COMMENT ON COLUMN @extschema@.vmastat_vmas.ksm IS 'bytes merged by kernel same-page merging (NULL before Linux 6.12)';
COMMENT ON COLUMN @extschema@.vmastat_vmas.lazy_free IS 'bytes marked free with MADV_FREE, reclaimable by the kernel';
COMMENT ON COLUMN @extschema@.vmastat_vmas.anon_huge_pages IS 'bytes backed by transparent huge pages';
COMMENT ON COLUMN @extschema@.vmastat_vmas.shmem_pmd_mapped IS 'shared memory bytes mapped with huge pages';
COMMENT ON COLUMN @extschema@.vmastat_vmas.file_pmd_mapped IS 'file bytes mapped with huge pages';
COMMENT ON COLUMN @extschema@.vmastat_vmas.shared_hugetlb IS 'hugetlbfs bytes also mapped by other processes (not counted in rss or pss)';
COMMENT ON COLUMN @extschema@.vmastat_vmas.private_hugetlb IS 'hugetlbfs bytes mapped by this process only (not counted in rss or pss)';
COMMENT ON COLUMN @extschema@.vmastat_vmas.swap IS 'bytes swapped out';
COMMENT ON COLUMN @extschema@.vmastat_vmas.swap_pss IS 'proportional share of swapped-out bytes';
COMMENT ON COLUMN @extschema@.vmastat_vmas.locked IS 'bytes locked in memory';
COMMENT ON COLUMN @extschema@.vmastat_vmas.thp_eligible IS 'whether the mapping may use transparent huge pages';
COMMENT ON COLUMN @extschema@.vmastat_vmas.protection_key IS 'memory protection key (NULL where the kernel has none)';
COMMENT ON COLUMN @extschema@.vmastat_vmas.vm_flags IS 'the kernel''s two-letter VmFlags codes';

CREATE FUNCTION @extschema@.vmastat_parse_smaps(
    content text,
    OUT pid integer,
    OUT start_addr text,
    OUT end_addr text,
    OUT perms text,
    OUT "offset" bigint,
    OUT dev text,
    OUT inode bigint,
    OUT path text,
    OUT kind text,
    OUT size bigint,
    OUT kernel_page_size bigint,
    OUT mmu_page_size bigint,
    OUT rss bigint,
    OUT pss bigint,
    OUT pss_dirty bigint,
    OUT shared_clean bigint,
    OUT shared_dirty bigint,
    OUT private_clean bigint,
    OUT private_dirty bigint,
    OUT referenced bigint,
    OUT anonymous bigint,
    OUT ksm bigint,
    OUT lazy_free bigint,
    OUT anon_huge_pages bigint,
    OUT shmem_pmd_mapped bigint,
    OUT file_pmd_mapped bigint,
    OUT shared_hugetlb bigint,
    OUT private_hugetlb bigint,
    OUT swap bigint,
    OUT swap_pss bigint,
    OUT locked bigint,
    OUT thp_eligible boolean,
    OUT protection_key integer,
    OUT vm_flags text[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'vmastat_parse_smaps'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.vmastat_parse_smaps(text) IS
'Per-mapping rows (pid NULL) from the text of a saved /proc/PID/smaps or maps file';

--
-- Per-process summaries, from /proc/PID/status, maps and smaps_rollup
--
CREATE FUNCTION @extschema@.vmastat_backends(
    fast boolean DEFAULT false,
    OUT pid integer,
    OUT backend_type text,
    OUT mapped bigint,
    OUT writeable_private bigint,
    OUT private_readonly bigint,
    OUT shared bigint,
    OUT rss bigint,
    OUT rss_anon bigint,
    OUT rss_file bigint,
    OUT rss_shmem bigint,
    OUT swap bigint,
    OUT hugetlb bigint,
    OUT pss bigint,
    OUT pss_anon bigint,
    OUT pss_file bigint,
    OUT pss_shmem bigint,
    OUT pss_dirty bigint,
    OUT uss bigint,
    OUT shared_clean bigint,
    OUT shared_dirty bigint,
    OUT private_clean bigint,
    OUT private_dirty bigint,
    OUT swap_pss bigint,
    OUT locked bigint,
    OUT anon_huge_pages bigint,
    OUT shared_hugetlb bigint,
    OUT private_hugetlb bigint,
    OUT vmas bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'vmastat_backends_all'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION @extschema@.vmastat_backends(boolean) IS
'One memory summary row per server process; with fast => true only the counters of /proc/PID/status are read';

CREATE FUNCTION @extschema@.vmastat_backend(
    pid integer,
    fast boolean DEFAULT false,
    OUT pid integer,
    OUT backend_type text,
    OUT mapped bigint,
    OUT writeable_private bigint,
    OUT private_readonly bigint,
    OUT shared bigint,
    OUT rss bigint,
    OUT rss_anon bigint,
    OUT rss_file bigint,
    OUT rss_shmem bigint,
    OUT swap bigint,
    OUT hugetlb bigint,
    OUT pss bigint,
    OUT pss_anon bigint,
    OUT pss_file bigint,
    OUT pss_shmem bigint,
    OUT pss_dirty bigint,
    OUT uss bigint,
    OUT shared_clean bigint,
    OUT shared_dirty bigint,
    OUT private_clean bigint,
    OUT private_dirty bigint,
    OUT swap_pss bigint,
    OUT locked bigint,
    OUT anon_huge_pages bigint,
    OUT shared_hugetlb bigint,
    OUT private_hugetlb bigint,
    OUT vmas bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'vmastat_backend_pid'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION @extschema@.vmastat_backend(integer, boolean) IS
'The memory summary row of one server process; with fast => true only the counters of /proc/PID/status are read';

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
        LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid = b.pid;

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

CREATE VIEW @extschema@.vmastat_kinds AS
    SELECT pid, kind,
           pg_catalog.count(*) AS vmas,
           pg_catalog.sum(size)::bigint AS size,
           pg_catalog.sum(rss)::bigint AS rss,
           pg_catalog.sum(pss)::bigint AS pss,
           pg_catalog.sum(private_dirty)::bigint AS private_dirty,
           pg_catalog.sum(anonymous)::bigint AS anonymous,
           pg_catalog.sum(swap)::bigint AS swap
    FROM @extschema@.vmastat_vmas()
    GROUP BY pid, kind;

COMMENT ON VIEW @extschema@.vmastat_kinds IS
'Memory of every server process by kind of mapping';
COMMENT ON COLUMN @extschema@.vmastat_kinds.pid IS 'PID of the server process';
COMMENT ON COLUMN @extschema@.vmastat_kinds.kind IS 'kind of mapping, as in vmastat_vmas';
COMMENT ON COLUMN @extschema@.vmastat_kinds.vmas IS 'number of mappings of this kind';
COMMENT ON COLUMN @extschema@.vmastat_kinds.size IS 'virtual size in bytes';
COMMENT ON COLUMN @extschema@.vmastat_kinds.rss IS 'resident bytes';
COMMENT ON COLUMN @extschema@.vmastat_kinds.pss IS 'proportional set size in bytes';
COMMENT ON COLUMN @extschema@.vmastat_kinds.private_dirty IS 'resident dirty bytes mapped by this process only';
COMMENT ON COLUMN @extschema@.vmastat_kinds.anonymous IS 'resident anonymous bytes';
COMMENT ON COLUMN @extschema@.vmastat_kinds.swap IS 'bytes swapped out';

--
-- Privileges: reading other processes' memory maps is for pg_read_all_stats
-- (and so pg_monitor); parsing saved text is for everyone.
--
REVOKE ALL ON FUNCTION @extschema@.vmastat_vmas(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.vmastat_vmas() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.vmastat_backends(boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.vmastat_backend(integer, boolean) FROM PUBLIC;
REVOKE ALL ON @extschema@.vmastat_vmas FROM PUBLIC;
REVOKE ALL ON @extschema@.vmastat_activity FROM PUBLIC;
REVOKE ALL ON @extschema@.vmastat_kinds FROM PUBLIC;

GRANT EXECUTE ON FUNCTION @extschema@.vmastat_vmas(integer) TO pg_read_all_stats;
GRANT EXECUTE ON FUNCTION @extschema@.vmastat_vmas() TO pg_read_all_stats;
GRANT EXECUTE ON FUNCTION @extschema@.vmastat_backends(boolean) TO pg_read_all_stats;
GRANT EXECUTE ON FUNCTION @extschema@.vmastat_backend(integer, boolean) TO pg_read_all_stats;
GRANT SELECT ON @extschema@.vmastat_vmas TO pg_read_all_stats;
GRANT SELECT ON @extschema@.vmastat_activity TO pg_read_all_stats;
GRANT SELECT ON @extschema@.vmastat_kinds TO pg_read_all_stats;

GRANT EXECUTE ON FUNCTION @extschema@.vmastat_parse_smaps(text) TO PUBLIC;
