/*
 * floor.c
 *	  The kernel floor of vmastat: the time to read /proc files of a list of
 *	  processes, whole, with open/read/close into one reused buffer, and
 *	  nothing else.  Whatever vmastat spends above this is its own.
 *
 * Usage: floor [-n passes] [-m mode,mode...] [-o open] pid... (or PIDs on stdin)
 *
 * Modes:
 *	 srm	  maps, smaps_rollup and status of every PID (what
 *			  vmastat_backends() reads, in its order)
 *	 status   status alone (vmastat_backends(fast => true))
 *	 statm	  statm alone (the leak finder's sampler on a host without swap)
 *	 smaps	  smaps alone (SELECT * FROM vmastat_vmas)
 *	 maps, rollup: the parts of srm, for a breakdown
 *
 * Opening (-o), to price how a reader opens the files:
 *	 path	  open("/proc/PID/name"), the floor (default)
 *	 dirfd	  open /proc/PID once, then "/proc/self/fd/N/name" (vmastat 1.0)
 *	 openat   open /proc/PID once, then openat(dirfd, name)
 *
 * For each pass and mode, one line: mode pass seconds bytes files missing
 * cpu_seconds (mode as "srm@dirfd" for the other opening styles).  The
 * CPU time is what the kernel spent for this process, even if other work
 * on the machine made it wait for a core.
 * Passes run the modes in turn (srm, status, smaps, srm, ...) so that a
 * drift of the machine during the run spreads over all of them.
 *
 * Plain C on purpose: no PostgreSQL headers, no parsing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Free space wanted before each read(), as vmastat's vmastat_procfs_read() does */
#define READ_CHUNK 65536

static char *buf;
static size_t buf_size;

enum
{
	OPEN_PATH,
	OPEN_DIRFD,
	OPEN_OPENAT
}			open_style = OPEN_PATH;

typedef struct Mode
{
	const char *name;
	const char *files[4];		/* NULL-terminated */
} Mode;

static const Mode modes[] = {
	{"srm", {"maps", "smaps_rollup", "status", NULL}},
	{"status", {"status", NULL}},
	{"statm", {"statm", NULL}},
	{"smaps", {"smaps", NULL}},
	{"maps", {"maps", NULL}},
	{"rollup", {"smaps_rollup", NULL}},
};

#define NUM_MODES ((int) (sizeof(modes) / sizeof(modes[0])))

static double
clock_seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/*
 * Reads /proc/pid/name into buf from its start; returns the byte count, or
 * -1 if the file could not be opened or read (the process exited).  dirfd
 * is the open /proc/pid for the dirfd and openat styles.
 */
static long
read_whole(int pid, int dirfd, const char *name)
{
	char		path[64];
	size_t		len = 0;
	int			fd;

	if (open_style == OPEN_PATH)
	{
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	else if (open_style == OPEN_DIRFD)
	{
		snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	else
		fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;)
	{
		ssize_t		n;

		if (buf_size - len < READ_CHUNK)
		{
			buf_size *= 2;
			if ((buf = realloc(buf, buf_size)) == NULL)
			{
				perror("realloc");
				exit(2);
			}
		}
		n = read(fd, buf + len, buf_size - len);
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t) n;
	}
	close(fd);
	return (long) len;
}

static void
run_mode(const Mode *mode, int pass, const int *pids, int npids)
{
	double		start = clock_seconds(CLOCK_MONOTONIC);
	double		cpu_start = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
	long long	bytes = 0;
	int			files = 0;
	int			missing = 0;
	int			i;
	int			f;

	for (i = 0; i < npids; i++)
	{
		int			dirfd = -1;

		if (open_style != OPEN_PATH)
		{
			char		path[32];

			snprintf(path, sizeof(path), "/proc/%d", pids[i]);
			if ((dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			{
				missing++;
				continue;
			}
		}
		for (f = 0; mode->files[f] != NULL; f++)
		{
			long		n = read_whole(pids[i], dirfd, mode->files[f]);

			if (n < 0)
			{
				missing++;
				break;
			}
			bytes += n;
			files++;
		}
		if (dirfd >= 0)
			close(dirfd);
	}
	printf("%s%s %d %.6f %lld %d %d %.6f\n", mode->name,
		   open_style == OPEN_PATH ? "" : open_style == OPEN_DIRFD ? "@dirfd" : "@openat",
		   pass, clock_seconds(CLOCK_MONOTONIC) - start, bytes, files, missing,
		   clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start);
	fflush(stdout);
}

static const Mode *
find_mode(const char *name)
{
	int			i;

	for (i = 0; i < NUM_MODES; i++)
		if (strcmp(modes[i].name, name) == 0)
			return &modes[i];
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: floor [-n passes] [-m srm,status,statm,smaps,maps,rollup]\n"
			"             [-o path|dirfd|openat] pid...\n"
			"       (without pid arguments, PIDs are read from stdin)\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const Mode *chosen[NUM_MODES * 4];
	int			nchosen = 0;
	int			passes = 1;
	int		   *pids;
	int			npids = 0;
	int			maxpids = 1024;
	int			opt;
	int			pass;
	int			m;

	while ((opt = getopt(argc, argv, "n:m:o:")) != -1)
	{
		if (opt == 'n')
			passes = atoi(optarg);
		else if (opt == 'o')
		{
			if (strcmp(optarg, "path") == 0)
				open_style = OPEN_PATH;
			else if (strcmp(optarg, "dirfd") == 0)
				open_style = OPEN_DIRFD;
			else if (strcmp(optarg, "openat") == 0)
				open_style = OPEN_OPENAT;
			else
				usage();
		}
		else if (opt == 'm')
		{
			char	   *list = strdup(optarg);
			char	   *save = NULL;
			char	   *name;

			for (name = strtok_r(list, ",", &save); name != NULL;
				 name = strtok_r(NULL, ",", &save))
			{
				if (nchosen == (int) (sizeof(chosen) / sizeof(chosen[0])) ||
					(chosen[nchosen] = find_mode(name)) == NULL)
					usage();
				nchosen++;
			}
			free(list);
		}
		else
			usage();
	}
	if (passes < 1)
		usage();
	if (nchosen == 0)
	{
		chosen[nchosen++] = find_mode("srm");
		chosen[nchosen++] = find_mode("status");
		chosen[nchosen++] = find_mode("smaps");
	}

	pids = malloc(maxpids * sizeof(int));
	if (optind < argc)
	{
		for (; optind < argc; optind++)
		{
			if (npids == maxpids)
				pids = realloc(pids, (maxpids *= 2) * sizeof(int));
			pids[npids++] = atoi(argv[optind]);
		}
	}
	else
	{
		int			pid;

		while (scanf("%d", &pid) == 1)
		{
			if (npids == maxpids)
				pids = realloc(pids, (maxpids *= 2) * sizeof(int));
			pids[npids++] = pid;
		}
	}
	if (npids == 0 || pids == NULL)
		usage();

	/* start with room for a large smaps, so that passes do not differ */
	buf_size = 1 << 20;
	if ((buf = malloc(buf_size)) == NULL)
	{
		perror("malloc");
		return 2;
	}

	for (pass = 1; pass <= passes; pass++)
		for (m = 0; m < nchosen; m++)
			run_mode(chosen[m], pass, pids, npids);
	free(buf);
	free(pids);
	return 0;
}
