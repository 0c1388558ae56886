/*
 * parse_bench.c
 *	  The user-space share of vmastat's cost: parse (and classify) a saved
 *	  /proc text many times and report the time per VMA and per byte, next
 *	  to the time the kernel takes to print that text.
 *
 * Usage: parse_bench [-r repeats] [-p pid] file...
 *
 * Each file is maps, smaps or smaps_rollup text.  With -p, the same file of
 * that live process (by the name after the last '.' of the file name,
 * e.g. "x.smaps" reads /proc/PID/smaps) is read as many times, for the
 * kernel's side.  Output, one line a file:
 *	 file bytes vmas parse_ns_per_vma classify_ns_per_vma parse_ns_per_byte
 *	 [kernel_ns_per_read parse_share_of_kernel]
 *
 * Plain C: it links the PostgreSQL-free parser and classification.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vma_kind.h"
#include "vma_parser.h"

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

/* Reads a whole file into *buf (grown as needed); returns its length or -1 */
static long
slurp(const char *path, char **buf, size_t *size)
{
	size_t		len = 0;
	int			fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (;;)
	{
		ssize_t		n;

		if (*size - len < 65536)
		{
			*size = *size ? *size * 2 : 1 << 20;
			if ((*buf = realloc(*buf, *size)) == NULL)
			{
				perror("realloc");
				exit(2);
			}
		}
		n = read(fd, *buf + len, *size - len);
		if (n < 0)
		{
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

int
main(int argc, char **argv)
{
	int			repeats = 1000;
	int			pid = 0;
	int			opt;
	char	   *buf = NULL;
	size_t		size = 0;
	char	   *kbuf = NULL;
	size_t		ksize = 0;
	Vma		   *vmas = NULL;
	VmaKind    *kinds = NULL;
	size_t		max_vmas = 0;

	while ((opt = getopt(argc, argv, "r:p:")) != -1)
	{
		if (opt == 'r')
			repeats = atoi(optarg);
		else if (opt == 'p')
			pid = atoi(optarg);
		else
		{
			fprintf(stderr, "usage: parse_bench [-r repeats] [-p pid] file...\n");
			return 2;
		}
	}
	if (repeats < 1 || optind >= argc)
	{
		fprintf(stderr, "usage: parse_bench [-r repeats] [-p pid] file...\n");
		return 2;
	}

	for (; optind < argc; optind++)
	{
		const char *file = argv[optind];
		long		len = slurp(file, &buf, &size);
		size_t		nvmas = 0;
		double		t0,
					t1,
					t2;
		int			r;

		if (len < 0)
		{
			perror(file);
			return 1;
		}

		/* parse: the VMA array grows once, as vmastat's does */
		t0 = now_ns();
		for (r = 0; r < repeats; r++)
		{
			VmaParser	parser;
			VmaParseResult result;

			nvmas = 0;
			vmastat_parser_init(&parser, buf, (size_t) len);
			for (;;)
			{
				if (nvmas == max_vmas)
				{
					max_vmas = max_vmas ? max_vmas * 2 : 256;
					vmas = realloc(vmas, max_vmas * sizeof(Vma));
					kinds = realloc(kinds, max_vmas * sizeof(VmaKind));
					if (vmas == NULL || kinds == NULL)
					{
						perror("realloc");
						return 2;
					}
				}
				result = vmastat_parser_next(&parser, &vmas[nvmas]);
				if (result != VMA_PARSE_OK)
					break;
				nvmas++;
			}
			if (result == VMA_PARSE_ERROR)
			{
				fprintf(stderr, "%s: line %zu: %s\n", file, parser.line_number,
						parser.error);
				return 1;
			}
		}
		t1 = now_ns();
		for (r = 0; r < repeats; r++)
			vmastat_classify(vmas, nvmas, NULL, kinds);
		t2 = now_ns();

		printf("%s %ld %zu %.1f %.1f %.3f", file, len, nvmas,
			   nvmas ? (t1 - t0) / repeats / (double) nvmas : 0.0,
			   nvmas ? (t2 - t1) / repeats / (double) nvmas : 0.0,
			   len ? (t1 - t0) / repeats / (double) len : 0.0);

		if (pid > 0)
		{
			const char *dot = strrchr(file, '.');
			char		path[64];
			int			kreps = repeats < 200 ? repeats : 200;
			double		k0,
						k1;

			snprintf(path, sizeof(path), "/proc/%d/%s", pid,
					 dot ? dot + 1 : "smaps");
			k0 = now_ns();
			for (r = 0; r < kreps; r++)
				if (slurp(path, &kbuf, &ksize) < 0)
				{
					perror(path);
					return 1;
				}
			k1 = now_ns();
			printf(" %.0f %.3f", (k1 - k0) / kreps,
				   ((t1 - t0) / repeats) / ((k1 - k0) / kreps));
		}
		printf("\n");
	}
	free(buf);
	free(kbuf);
	free(vmas);
	free(kinds);
	return 0;
}
