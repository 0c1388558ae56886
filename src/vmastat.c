/*-------------------------------------------------------------------------
 *
 * vmastat.c
 *	  The module: its magic block and what loading it sets up, the settings
 *	  and, when preloaded, the background sampler.
 *
 * The SQL functions are in vmas.c (per-VMA rows) and summary.c (per-process
 * summaries), the settings in guc.c, the background workers in
 * launcher.c and sampler.c.
 *
 * src/vmastat.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "guc.h"
#include "leak_store.h"
#include "sampler.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	vmastat_define_settings();
	vmastat_store_init();
	vmastat_sampler_init();
}
