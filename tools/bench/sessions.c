/*
 * sessions.c
 *	  Holds N idle sessions open for the benchmark, from one small process
 *	  instead of one psql each.
 *
 * Usage: sessions -n N [-q query] [-j parallel] [-c] conninfo
 *
 * Opens N connections, runs query on each (at most parallel at a time, so
 * that two cores are not swamped by hundreds of scans at once), prints the
 * backend PIDs, one a line, then "ready", and keeps the sessions idle until
 * its standard input closes.  Exits 1 if a connection or a query fails.
 *
 * With -c (churn), instead of idling it keeps closing its oldest session and
 * opening a new one, so that the postmaster's oldest children keep exiting
 * while N sessions stay open, until its standard input closes; then it
 * prints how many sessions it replaced.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "libpq-fe.h"

static void
die(const char *what, PGconn *conn)
{
	fprintf(stderr, "sessions: %s: %s", what, conn ? PQerrorMessage(conn) : "\n");
	exit(1);
}

/* Waits for the result of the query sent on conn, failing on an error */
static void
finish_query(PGconn *conn)
{
	PGresult   *res;

	while ((res = PQgetResult(conn)) != NULL)
	{
		ExecStatusType st = PQresultStatus(res);

		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
			die("query failed", conn);
		PQclear(res);
	}
}

int
main(int argc, char **argv)
{
	const char *query = NULL;
	int			churn = 0;
	int			nsessions = 0;
	int			parallel = 2;
	PGconn	  **conns;
	struct rlimit rl;
	char		drain[256];
	int			opt;
	int			i;

	while ((opt = getopt(argc, argv, "n:q:j:c")) != -1)
	{
		if (opt == 'n')
			nsessions = atoi(optarg);
		else if (opt == 'q')
			query = optarg;
		else if (opt == 'j')
			parallel = atoi(optarg);
		else if (opt == 'c')
			churn = 1;
		else
			break;
	}
	if (optind != argc - 1 || nsessions < 1 || parallel < 1)
	{
		fprintf(stderr, "usage: sessions -n N [-q query] [-j parallel] [-c] conninfo\n");
		return 2;
	}

	/* a socket a session: the default soft limit of 1024 is too low */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
	{
		rl.rlim_cur = rl.rlim_max;
		(void) setrlimit(RLIMIT_NOFILE, &rl);
	}

	conns = calloc(nsessions, sizeof(PGconn *));
	for (i = 0; i < nsessions; i++)
	{
		conns[i] = PQconnectdb(argv[optind]);
		if (PQstatus(conns[i]) != CONNECTION_OK)
			die("could not connect", conns[i]);
	}

	if (query != NULL)
	{
		int			batch;

		for (batch = 0; batch < nsessions; batch += parallel)
		{
			int			end = batch + parallel < nsessions ? batch + parallel : nsessions;

			for (i = batch; i < end; i++)
				if (!PQsendQuery(conns[i], query))
					die("could not send the query", conns[i]);
			for (i = batch; i < end; i++)
				finish_query(conns[i]);
		}
	}

	for (i = 0; i < nsessions; i++)
		printf("%d\n", PQbackendPID(conns[i]));
	printf("ready\n");
	fflush(stdout);

	if (churn)
	{
		struct pollfd in = {STDIN_FILENO, POLLIN, 0};
		long		replaced = 0;

		/* the oldest session is next after the newest, in a ring */
		for (i = 0; poll(&in, 1, 0) == 0; i = (i + 1) % nsessions)
		{
			PQfinish(conns[i]);
			conns[i] = PQconnectdb(argv[optind]);
			if (PQstatus(conns[i]) != CONNECTION_OK)
				die("could not connect", conns[i]);
			replaced++;
		}
		printf("replaced %ld\n", replaced);
	}

	/* idle until the caller closes our stdin */
	while (read(STDIN_FILENO, drain, sizeof(drain)) > 0)
		;

	for (i = 0; i < nsessions; i++)
		PQfinish(conns[i]);
	free(conns);
	return 0;
}
