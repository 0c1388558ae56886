/*-------------------------------------------------------------------------
 *
 * vma_kind.h
 *	  Classification of VMAs into the kinds vmastat reports.
 *
 * Free of PostgreSQL headers, like the parser, so that it is unit-tested
 * together with it.
 *
 * src/vma_kind.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef VMA_KIND_H
#define VMA_KIND_H

#include "vma_parser.h"

typedef enum VmaKind
{
	VMA_KIND_TEXT,
	VMA_KIND_RODATA,
	VMA_KIND_DATA,
	VMA_KIND_BSS,
	VMA_KIND_HEAP,
	VMA_KIND_STACK,
	VMA_KIND_ANON,
	VMA_KIND_SHM_MAIN,
	VMA_KIND_SHM_SYSV,
	VMA_KIND_DSM,
	VMA_KIND_SHARED,
	VMA_KIND_FILE,
	VMA_KIND_GUARD,
	VMA_KIND_KERNEL,
	VMA_NUM_KINDS
} VmaKind;

extern const char *const vmastat_kind_names[VMA_NUM_KINDS];

/*
 * Says whether a mapping starting at this address belongs to the server's
 * main shared memory segment.  NULL means the range is unknown (text saved
 * on another host): the segment is then recognized by the names the kernel
 * gives shared anonymous mappings.
 */
typedef bool (*MainShmemTest) (uint64_t start);

extern void vmastat_classify(const Vma *vmas, size_t nvmas, MainShmemTest is_main_shmem,
						 VmaKind *kinds);

/*
 * The pieces of vmastat_classify(), for callers that classify one VMA at a time
 * without holding them all: whether b continues a run of mappings of a's
 * file, and the kind of vma given the one before it and whether its run is
 * an ELF object (a file run with an executable mapping).
 */
extern bool vmastat_same_file(const Vma *a, const Vma *b);
extern VmaKind vmastat_classify_one(const Vma *vma, const Vma *prev, VmaKind prev_kind,
								bool in_object, MainShmemTest is_main_shmem);

#endif							/* VMA_KIND_H */
