/*-------------------------------------------------------------------------
 *
 * vmastat.c
 *	  The module: its magic block and what loading it sets up, the settings
 *	  and, when preloaded, the background sampler.
 *
 * The SQL functions are in vmas.c (per-VMA rows) and summary.c (per-process
 * summaries), the sampler in sampler.c.
 *
 * src/vmastat.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "procfs.h"
#include "sampler.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	procfs_define_settings();
	sampler_init();
	MarkGUCPrefixReserved("vmastat");
}
