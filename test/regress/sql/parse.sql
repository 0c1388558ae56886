-- vmastat_parse_smaps on saved text: every column, absent fields, bad text.

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

-- a file saved with CRLF line ends parses as with LF alone: the same rows
SELECT (SELECT array_agg(p ORDER BY p.start_addr) FROM vmastat_parse_smaps(
            E'00400000-00500000 r-xp 00000000 08:01 12 /usr/bin/x\r\nSize: 1024 kB\r\nRss: 4 kB\r\nVmFlags: rd ex\r\n7f000000-7f001000 rw-p 00000000 00:00 0 \r\nRss: 4 kB\r\n') AS p)
       IS NOT DISTINCT FROM
       (SELECT array_agg(p ORDER BY p.start_addr) FROM vmastat_parse_smaps(
            E'00400000-00500000 r-xp 00000000 08:01 12 /usr/bin/x\nSize: 1024 kB\nRss: 4 kB\nVmFlags: rd ex\n7f000000-7f001000 rw-p 00000000 00:00 0 \nRss: 4 kB\n') AS p)
       AS crlf_same_as_lf;
SELECT path, vm_flags FROM vmastat_parse_smaps(
    E'00400000-00500000 r-xp 00000000 08:01 12 /usr/bin/x\r\nVmFlags: rd ex\r\n');
