/*
 * lockprobe.c
 *	  How long a process that changes its memory map waits while another
 *	  process reads its /proc/PID/smaps (or smaps_rollup, maps, status).
 *
 * Usage: lockprobe [-m touched_mb] [-s seconds] [-f file] [-r] [-i interval_ms]
 *
 * The child maps touched_mb of shared memory and touches every page (as a
 * backend touches shared_buffers: a page table to walk), then, for the
 * given seconds, maps and unmaps a 256 kB anonymous region in a loop (what
 * malloc does for a large allocation; it needs the mmap lock for writing)
 * and records how long each mmap+munmap took.  With -r the parent reads
 * the child's /proc file meanwhile, back to back or every interval_ms;
 * without, nobody reads it.  Output, one line:
 *	 file read|none loops p50_us p99_us p999_us max_us
 * and on stderr the number of reads and their mean duration.
 *
 * Plain C, no PostgreSQL.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REGION (256 * 1024)
#define MAX_SAMPLES (1 << 22)

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int
compare_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	long		touched_mb = 100;
	double		seconds = 5;
	const char *file = "smaps";
	int			reader = 0;
	double		interval_ms = 0;
	int			opt;
	int			pipefd[2];
	pid_t		child;

	while ((opt = getopt(argc, argv, "m:s:f:ri:")) != -1)
	{
		if (opt == 'm')
			touched_mb = atol(optarg);
		else if (opt == 's')
			seconds = atof(optarg);
		else if (opt == 'f')
			file = optarg;
		else if (opt == 'r')
			reader = 1;
		else if (opt == 'i')
			interval_ms = atof(optarg);
		else
		{
			fprintf(stderr, "usage: lockprobe [-m touched_mb] [-s seconds] [-f file] [-r] [-i interval_ms]\n");
			return 2;
		}
	}
	if (pipe(pipefd) != 0)
	{
		perror("pipe");
		return 2;
	}

	child = fork();
	if (child < 0)
	{
		perror("fork");
		return 2;
	}
	if (child == 0)
	{
		size_t		size = (size_t) touched_mb << 20;
		char	   *shm = NULL;
		double	   *lat = malloc(MAX_SAMPLES * sizeof(double));
		long		n = 0;
		double		end;
		char		c = 'r';

		if (size > 0)
		{
			shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
			if (shm == MAP_FAILED)
			{
				perror("mmap");
				_exit(2);
			}
			for (size_t off = 0; off < size; off += 4096)
				shm[off] = 1;
		}
		/* tell the parent the page tables are there, then start */
		if (write(pipefd[1], &c, 1) != 1)
			_exit(2);
		end = now_us() + seconds * 1e6;
		while (n < MAX_SAMPLES)
		{
			double		t0 = now_us();
			char	   *p;

			if (t0 >= end)
				break;
			p = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
			{
				perror("mmap");
				_exit(2);
			}
			p[0] = 1;
			munmap(p, REGION);
			lat[n++] = now_us() - t0;
		}
		qsort(lat, n, sizeof(double), compare_double);
		printf("%s %s %ld %.1f %.1f %.1f %.1f\n", file, reader ? "read" : "none", n,
			   lat[n / 2], lat[(long) (n * 0.99)], lat[(long) (n * 0.999)], lat[n - 1]);
		fflush(stdout);
		_exit(0);
	}

	{
		char		c;
		char		path[64];
		char	   *buf = malloc(1 << 22);
		long		reads = 0;
		double		read_us = 0;
		int			status;

		if (read(pipefd[0], &c, 1) != 1)
			return 2;
		snprintf(path, sizeof(path), "/proc/%d/%s", (int) child, file);
		while (reader && waitpid(child, &status, WNOHANG) == 0)
		{
			double		t0 = now_us();
			int			fd = open(path, O_RDONLY);

			if (fd < 0)
				break;
			/* one read() for the whole file, as vmastat's large buffer does */
			while (read(fd, buf, 1 << 22) > 0)
				;
			close(fd);
			read_us += now_us() - t0;
			reads++;
			if (interval_ms > 0)
				usleep((useconds_t) (interval_ms * 1000));
		}
		if (reader)
			fprintf(stderr, "lockprobe: %ld reads of %s, %.0f us each\n", reads, file,
					reads ? read_us / reads : 0.0);
		waitpid(child, &status, 0);
		free(buf);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
}
