/*-------------------------------------------------------------------------
 *
 * pid_reuse_test.c
 *	  Proves, on the running kernel, the guarantee procfs.c builds on: a file
 *	  opened through /proc/self/fd/N/NAME, where N is an open /proc/PID
 *	  directory, belongs to the process that directory was opened for, and
 *	  to no other, even once its PID has been given to a new process.
 *
 * The test forks a child, opens its /proc directory, lets it exit, makes
 * the kernel hand the same PID to a second child (through
 * /proc/sys/kernel/ns_last_pid, which needs root), then checks that the old
 * directory handle finds nothing while a plain /proc/PID path finds the new
 * child.  Without root it says so and exits 77, the usual "skipped" code.
 *
 * test/unit/pid_reuse_test.c
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SKIPPED 77

static pid_t
start_sleeper(void)
{
	pid_t		pid = fork();

	if (pid == 0)
	{
		pause();
		_exit(0);
	}
	return pid;
}

static void
stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Makes the next fork get PID wanted; false if not allowed */
static int
set_next_pid(pid_t wanted)
{
	FILE	   *f = fopen("/proc/sys/kernel/ns_last_pid", "w");

	if (f == NULL)
		return 0;
	fprintf(f, "%d", (int) wanted - 1);
	return fclose(f) == 0;
}

int
main(void)
{
	pid_t		first = start_sleeper();
	pid_t		second = -1;
	char		path[64];
	int			dirfd;
	int			fd;
	int			attempt;

	snprintf(path, sizeof(path), "/proc/%d", (int) first);
	dirfd = open(path, O_RDONLY | O_DIRECTORY);
	if (dirfd < 0)
	{
		perror(path);
		stop(first);
		return 1;
	}
	stop(first);

	/* another process may take the PID first: try a few times */
	for (attempt = 0; attempt < 10 && second != first; attempt++)
	{
		if (second > 0)
			stop(second);
		if (!set_next_pid(first))
		{
			printf("skipped: cannot write /proc/sys/kernel/ns_last_pid (%s); needs root\n",
				   strerror(errno));
			return SKIPPED;
		}
		second = start_sleeper();
	}
	if (second != first)
	{
		printf("skipped: the kernel did not hand PID %d out again\n", (int) first);
		stop(second);
		return SKIPPED;
	}

	snprintf(path, sizeof(path), "/proc/self/fd/%d/status", dirfd);
	fd = open(path, O_RDONLY);
	if (fd >= 0 || (errno != ENOENT && errno != ESRCH))
	{
		printf("1 passed, 1 failed\nFAIL: the old handle of PID %d opens the new process's status (%s)\n",
			   (int) first, fd >= 0 ? "opened" : strerror(errno));
		stop(second);
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int) first);
	fd = open(path, O_RDONLY);
	stop(second);
	if (fd < 0)
	{
		printf("1 passed, 1 failed\nFAIL: the new process with PID %d cannot be opened: %s\n",
			   (int) first, strerror(errno));
		return 1;
	}
	close(fd);
	close(dirfd);
	printf("2 passed, 0 failed\n");
	return 0;
}
