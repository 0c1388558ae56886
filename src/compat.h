/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every difference between the PostgreSQL versions vmastat supports.
 *
 * No other file tests PG_VERSION_NUM.
 *
 * src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef VMASTAT_COMPAT_H
#define VMASTAT_COMPAT_H

#include "postmaster/bgworker.h"
#include "utils/backend_status.h"

#if PG_VERSION_NUM < 150000
#error "vmastat requires PostgreSQL 15 or later"
#endif

/*
 * The n-th entry (1-based) of this transaction's snapshot of backend
 * statuses.  PostgreSQL 16.0 renamed pgstat_fetch_stat_local_beentry(),
 * which took that index, to pgstat_get_local_beentry_by_index() (commit
 * 8dfa37b797, before the 16.0 release); 16 and later have no function of
 * the old name.
 */
#if PG_VERSION_NUM >= 160000
#define vmastat_local_beentry(n) pgstat_get_local_beentry_by_index(n)
#else
#define vmastat_local_beentry(n) pgstat_fetch_stat_local_beentry(n)
#endif

/*
 * From PostgreSQL 19, a worker with this flag is terminated by CREATE
 * DATABASE ... TEMPLATE, ALTER DATABASE ... RENAME or SET TABLESPACE, and
 * DROP DATABASE of the database it is connected to, instead of making them
 * fail.  Tested by the flag itself, which is all that matters here.
 */
#ifdef BGWORKER_INTERRUPTIBLE
#define VMASTAT_BGWORKER_INTERRUPTIBLE BGWORKER_INTERRUPTIBLE
#else
#define VMASTAT_BGWORKER_INTERRUPTIBLE 0
#endif

/*
 * transaction_timeout exists from 17 on; the sampler overrides it, as it
 * overrides the other timeouts a database owner could set for it.
 */
#if PG_VERSION_NUM >= 170000
#define VMASTAT_HAVE_TRANSACTION_TIMEOUT 1
#endif

/*
 * PostgreSQL 19 dropped the initial size argument of ShmemInitHash(): a
 * table in shared memory is made at its largest size at once.
 */
#if PG_VERSION_NUM >= 190000
#define vmastat_shmem_init_hash(name, size, info, flags) \
	ShmemInitHash(name, size, info, flags)
#else
#define vmastat_shmem_init_hash(name, size, info, flags) \
	ShmemInitHash(name, size, size, info, flags)
#endif

#endif							/* VMASTAT_COMPAT_H */
