/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Every setting of vmastat, and the SQL function that reports the
 *	  thresholds of the leak rule.
 *
 * Who may change what: the sampler's settings are read from the server's
 * configuration only (PGC_SIGHUP).  The thresholds of the leak rule decide
 * what a superuser is shown, so only a superuser may change them
 * (PGC_SUSET): otherwise the owner of a database could hide a leak with
 * ALTER DATABASE ... SET.
 *
 * src/guc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "guc.h"
#include "leak_model.h"
#include "scan.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(vmastat_leak_settings);

char	   *vmastat_proc_root = NULL;
char	   *vmastat_sys_root = NULL;

double		vmastat_sample_interval = 60;
char	   *vmastat_database = NULL;
int			vmastat_history_keep = 86400;
int			vmastat_leak_contexts_interval = 60;

/* Thresholds of the leak rule, see vmastat_leaks() */
static int	leak_min_rate_kb = LEAK_DEFAULT_MIN_RATE_KB;
static int	leak_min_growth_kb = LEAK_DEFAULT_MIN_GROWTH_KB;
static int	leak_min_samples = LEAK_DEFAULT_MIN_SAMPLES;
static int	leak_min_span = LEAK_DEFAULT_MIN_SPAN;
static double leak_min_r2 = LEAK_DEFAULT_MIN_R2;

/*
 * The shortest interval between samples, in seconds.  Shorter ones would
 * make the sampler a busy loop; a value below it is refused rather than
 * rounded, so that "500ms" means what it says and "1ms" is not silently off.
 */
#define MIN_SAMPLE_INTERVAL 0.1

/* the signature is a check hook's */
static bool
/* cppcheck-suppress constParameter */
check_sample_interval(double *newval, void **extra, GucSource source)
{
	if (*newval > 0 && *newval < MIN_SAMPLE_INTERVAL)
	{
		GUC_check_errdetail("The interval must be 0, which turns the sampler off, or at least %d ms.",
							(int) (MIN_SAMPLE_INTERVAL * 1000));
		return false;
	}
	return true;
}

/*
 * A longer name could never match a database: PostgreSQL truncates names to
 * NAMEDATALEN - 1 bytes.  Refusing it beats waiting forever for a database
 * that cannot exist.
 */
static bool
check_database(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
	{
		GUC_check_errdetail("The background sampler needs the name of a database.");
		return false;
	}
	if (strlen(*newval) >= NAMEDATALEN)
	{
		GUC_check_errdetail("A database name is at most %d bytes long.",
							NAMEDATALEN - 1);
		return false;
	}
	return true;
}

static void
define_sampler_settings(void)
{
	DefineCustomRealVariable("vmastat.sample_interval",
							 "Time between two samples of the background sampler.",
							 "0 turns the sampler off; otherwise at least 100 ms.",
							 &vmastat_sample_interval,
							 60, 0, 86400,
							 PGC_SIGHUP, GUC_UNIT_S,
							 check_sample_interval, NULL, NULL);
	DefineCustomStringVariable("vmastat.database",
							   "Database the background sampler connects to.",
							   "The vmastat extension must be installed in it: the sampler calls its functions there.",
							   &vmastat_database,
							   "postgres",
							   PGC_SIGHUP, 0,
							   check_database, NULL, NULL);
	DefineCustomIntVariable("vmastat.history_keep",
							"How long the leak finder keeps a process that exited.",
							NULL,
							&vmastat_history_keep,
							86400, 1, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("vmastat.leak_contexts_interval",
							"Least time between two captures of a leak suspect's memory contexts by the background sampler.",
							"0 turns the captures off.  Each capture writes the process's memory contexts to the server log.",
							&vmastat_leak_contexts_interval,
							60, 0, INT_MAX / 1000,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
}

static void
define_leak_settings(void)
{
	DefineCustomIntVariable("vmastat.leak_min_rate",
							"Growth of owned memory, in kB per minute, from which a process is a leak suspect.",
							NULL,
							&leak_min_rate_kb,
							LEAK_DEFAULT_MIN_RATE_KB, 1, INT_MAX,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("vmastat.leak_min_growth",
							"Growth of the memory a process holds throughout, from its first sample on, from which it can be a leak suspect.",
							NULL,
							&leak_min_growth_kb,
							LEAK_DEFAULT_MIN_GROWTH_KB, 1, INT_MAX,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("vmastat.leak_min_samples",
							"Samples of a process needed before it can be a leak suspect.",
							NULL,
							&leak_min_samples,
							LEAK_DEFAULT_MIN_SAMPLES, 3, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("vmastat.leak_min_span",
							"Time between the first and the last sample of a process needed before it can be a leak suspect.",
							NULL,
							&leak_min_span,
							LEAK_DEFAULT_MIN_SPAN, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomRealVariable("vmastat.leak_min_r2",
							 "Fit of a straight line to the growth of owned memory needed for a leak suspect.",
							 "1 means perfectly steady growth.",
							 &leak_min_r2,
							 LEAK_DEFAULT_MIN_R2, 0.0, 1.0,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
}

/*
 * Defines every setting; called from _PG_init, preloaded or not, so that
 * every backend knows them.
 */
void
vmastat_define_settings(void)
{
	/* superuser-only, so that nobody else can make vmastat read other files */
	DefineCustomStringVariable("vmastat.proc_root",
							   "Directory vmastat reads process files from.",
							   "For tests only: every other value than /proc reads a made-up tree.",
							   &vmastat_proc_root,
							   "/proc",
							   PGC_SUSET, GUC_NOT_IN_SAMPLE | GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("vmastat.sys_root",
							   "Directory vmastat reads kernel and cgroup files from.",
							   "For tests only: every other value than /sys reads a made-up tree.",
							   &vmastat_sys_root,
							   "/sys",
							   PGC_SUSET, GUC_NOT_IN_SAMPLE | GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	define_sampler_settings();
	define_leak_settings();
	MarkGUCPrefixReserved("vmastat");
}

/*
 * vmastat.sample_interval in milliseconds, 0 when the sampler is off.
 */
long
vmastat_sample_interval_ms(void)
{
	return (long) rint(vmastat_sample_interval * 1000.0);
}

/*
 * The thresholds of the leak rule, as this session sees them.
 */
void
vmastat_leak_rule(LeakRule *rule)
{
	rule->min_rate = (double) leak_min_rate_kb * 1024;
	rule->min_growth = (double) leak_min_growth_kb * 1024;
	rule->min_samples = leak_min_samples;
	rule->min_span = leak_min_span;
	rule->min_r2 = leak_min_r2;
}

/*
 * The thresholds of the leak rule, for the SQL functions.
 */
Datum
vmastat_leak_settings(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	Interval   *span = palloc0(sizeof(Interval));

	static const Oid types[5] = {INT8OID, INT4OID, INTERVALOID, FLOAT8OID, INT8OID};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	/* versions before 1.2 have no min_growth */
	(void) vmastat_check_row_layout(fcinfo, tupdesc, types, lengthof(types), 4);
	span->time = (int64) leak_min_span * USECS_PER_SEC;
	values[0] = Int64GetDatum((int64) leak_min_rate_kb * 1024);
	values[1] = Int32GetDatum(leak_min_samples);
	values[2] = IntervalPGetDatum(span);
	values[3] = Float8GetDatum(leak_min_r2);
	values[4] = Int64GetDatum((int64) leak_min_growth_kb * 1024);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
