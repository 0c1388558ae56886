/*-------------------------------------------------------------------------
 *
 * memctx_log.c
 *	  Finds the server log and reads it, record by record, from its end at
 *	  the time it was opened.
 *
 * With the logging collector, the log is the file current_logfiles (in the
 * data directory) names, jsonlog preferred over csvlog over stderr: their
 * records carry the PID in a field of its own.  A rotation while reading is
 * followed: the old file is read to its end, then the new one from its
 * start.  Without the collector, server processes write every destination
 * in the stderr format to their standard error, inherited from the
 * postmaster: the file pg_ctl -l or pg_ctlcluster gives it.  If that file
 * shrinks while it is read (logrotate's copytruncate), reading starts again
 * at its beginning.
 *
 * Only whole records are returned, each at most VMASTAT_LOG_RECORD_MAX
 * bytes; longer ones are skipped.  The memory used is two such buffers; the
 * bytes read in all are capped by LOG_SCAN_MAX.
 *
 * src/memctx_log.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memctx.h"
#include "miscadmin.h"
#include "postmaster/syslogger.h"
#include "storage/fd.h"
#include "utils/guc.h"

/* Most bytes of log one request reads: a busy server's seconds of logging */
#define LOG_SCAN_MAX ((uint64) 256 * 1024 * 1024)

#define LOG_BUF_SIZE (2 * VMASTAT_LOG_RECORD_MAX)

static void
cannot_read_log(const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot read memory contexts back from the server log"),
			 errdetail_internal("%s", detail),
			 errhint("%s", hint)));
}

/*
 * The file of the logging collector for the best format it writes, from
 * current_logfiles; NULL if it names none.
 */
static char *
collector_file(VmastatLogFormat *format)
{
	static const struct
	{
		const char *key;
		VmastatLogFormat format;
	}			kinds[] = {
		{"jsonlog", VMASTAT_LOG_JSON},
		{"csvlog", VMASTAT_LOG_CSV},
		{"stderr", VMASTAT_LOG_STDERR},
	};
	char		line[MAXPGPATH + 16];
	char	   *best = NULL;
	int			best_rank = lengthof(kinds);
	FILE	   *f;

	f = AllocateFile(LOG_METAINFO_DATAFILE, "r");
	if (f == NULL)
	{
		if (errno == ENOENT)
			return NULL;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", LOG_METAINFO_DATAFILE)));
	}
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *sp = strchr(line, ' ');
		size_t		n;

		if (sp == NULL || (n = strlen(line)) < 2 || line[n - 1] != '\n')
			continue;
		line[n - 1] = '\0';
		*sp = '\0';
		for (int i = 0; i < best_rank; i++)
		{
			if (strcmp(line, kinds[i].key) != 0)
				continue;
			best = is_absolute_path(sp + 1) ? pstrdup(sp + 1) :
				psprintf("%s/%s", DataDir, sp + 1);
			*format = kinds[i].format;
			best_rank = i;
		}
	}
	FreeFile(f);
	return best;
}

/* Why the standard error of the server is not a file that can be read */
static void
check_stderr_file(void)
{
	struct stat st;

	if (fstat(STDERR_FILENO, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat the standard error of the server process: %m")));
	if (S_ISREG(st.st_mode))
		return;
	cannot_read_log(S_ISFIFO(st.st_mode) ?
					"The standard error of the server goes to a pipe, not to a file." :
					S_ISCHR(st.st_mode) ?
					"The standard error of the server goes to a terminal or device such as /dev/null, not to a file." :
					"The standard error of the server is not a file.",
					"Turn on logging_collector, or start the server with its standard error going to a file (pg_ctl -l).");
}

/* Opens path for reading, from offset pos; errors name the file */
static int
open_log_file(const char *path, const char *display)
{
	int			fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);

	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open server log file \"%s\": %m", display),
				 errhint("The server log must be readable by the operating system user the server runs as.")));
	return fd;
}

/*
 * Finds the server log and opens it at its end.  Lines the pattern of the
 * stderr format cannot attribute are an error here, not a silent timeout.
 */
void
vmastat_log_open(VmastatLogReader *reader)
{
	struct stat st;
	char		last;

	memset(reader, 0, sizeof(*reader));
	reader->fd = -1;
	reader->collector = Logging_collector;
	if (!(Log_destination & (LOG_DESTINATION_STDERR | LOG_DESTINATION_CSVLOG |
							 LOG_DESTINATION_JSONLOG)))
		cannot_read_log(psprintf("log_destination is \"%s\": the server log is not written to a file.",
								 GetConfigOption("log_destination", false, false)),
						"Add stderr, csvlog or jsonlog to log_destination.");
	if (reader->collector)
	{
		reader->path = collector_file(&reader->format);
		if (reader->path == NULL)
			cannot_read_log("The logging collector names no log file in \"" LOG_METAINFO_DATAFILE "\".",
							"Add stderr, csvlog or jsonlog to log_destination.");
		reader->fd = open_log_file(reader->path, reader->path);
	}
	else
	{
		char		target[MAXPGPATH];
		ssize_t		n;

		check_stderr_file();
		reader->format = VMASTAT_LOG_STDERR;
		/* the file's name for messages; it is opened through the descriptor */
		n = readlink("/proc/self/fd/2", target, sizeof(target) - 1);
		reader->path = n > 0 ? pnstrdup(target, n) : pstrdup("/proc/self/fd/2");
		reader->fd = open_log_file("/proc/self/fd/2", reader->path);
	}
	if (reader->format == VMASTAT_LOG_STDERR &&
		!vmastat_prefix_pid_pattern(Log_line_prefix, &reader->pattern))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot tell the lines of server processes apart in the server log"),
				 errdetail("log_line_prefix \"%s\" has no %%p.", Log_line_prefix),
				 errhint("Add %%p to log_line_prefix, or log to csvlog or jsonlog.")));

	if (fstat(reader->fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat server log file \"%s\": %m", reader->path)));
	reader->pos = st.st_size;
	reader->buf = palloc(LOG_BUF_SIZE);
	/* started inside a record: skip to its end */
	if (reader->pos > 0 &&
		(pg_pread(reader->fd, &last, 1, reader->pos - 1) != 1 || last != '\n'))
		reader->skipping = true;
}

/* At the end of the file: follows a rotation or a truncation */
static bool
log_moved(VmastatLogReader *reader)
{
	if (reader->collector)
	{
		VmastatLogFormat format;
		char	   *path = collector_file(&format);
		bool		same = path == NULL || strcmp(path, reader->path) == 0;

		if (same || !reader->drained)
		{
			/* a new file: once more to the end of the old one first */
			reader->drained = !same;
			/* polled every few milliseconds: nothing may pile up */
			if (path)
				pfree(path);
			return !same;
		}
		if (format != reader->format)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the server log changed its format while waiting for the memory contexts"),
					 errdetail("log_destination was changed.")));
		CloseTransientFile(reader->fd);
		reader->fd = -1;
		reader->fd = open_log_file(path, path);
		pfree(reader->path);
		reader->path = path;
	}
	else
	{
		struct stat st;

		if (fstat(reader->fd, &st) != 0 || st.st_size >= reader->pos)
			return false;
	}
	reader->pos = 0;
	reader->begin = reader->end = 0;
	reader->skipping = false;
	reader->skip_in_quotes = false;
	reader->drained = false;
	return true;
}

/* Reads more of the file into the buffer; false at its end */
static bool
log_fill(VmastatLogReader *reader)
{
	ssize_t		nread;

	if (reader->begin > 0)
	{
		memmove(reader->buf, reader->buf + reader->begin,
				reader->end - reader->begin);
		reader->end -= reader->begin;
		reader->begin = 0;
	}
	nread = pg_pread(reader->fd, reader->buf + reader->end,
					 LOG_BUF_SIZE - reader->end, reader->pos);
	if (nread < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read server log file \"%s\": %m", reader->path)));
	if (nread == 0)
		return log_moved(reader);
	reader->pos += nread;
	reader->end += nread;
	reader->scanned += nread;
	if (reader->scanned > LOG_SCAN_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("server log grew by more than %d MB while waiting for the memory contexts",
						(int) (LOG_SCAN_MAX / (1024 * 1024)))));
	return true;
}

/*
 * The next whole record after the position the log was opened at, or
 * false when none is complete yet.  *rec stays valid until the next call.
 */
bool
vmastat_log_next(VmastatLogReader *reader, const char **rec, size_t *len)
{
	for (;;)
	{
		char	   *p = reader->buf + reader->begin;
		size_t		avail = reader->end - reader->begin;

		if (reader->skipping && avail > 0)
		{
			size_t		n = vmastat_log_record_end(reader->format, p, avail,
												   &reader->skip_in_quotes);

			reader->begin = n > 0 ? reader->begin + n : reader->end;
			reader->skipping = n == 0;
			continue;
		}
		if (avail > 0)
		{
			bool		in_quotes = false;
			size_t		n = vmastat_log_record_end(reader->format, p, avail,
												   &in_quotes);

			if (n > 0)
			{
				*rec = p;
				*len = n;
				reader->begin += n;
				return true;
			}
			if (avail >= VMASTAT_LOG_RECORD_MAX)
			{
				reader->skipping = true;
				reader->skip_in_quotes = in_quotes;
				reader->begin = reader->end;
				continue;
			}
		}
		if (!log_fill(reader))
			return false;
	}
}

void
vmastat_log_close(VmastatLogReader *reader)
{
	if (reader->fd >= 0)
		CloseTransientFile(reader->fd);
	reader->fd = -1;
}
