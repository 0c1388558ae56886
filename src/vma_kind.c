/*-------------------------------------------------------------------------
 *
 * vma_kind.c
 *	  Classification of VMAs into the kinds vmastat reports.
 *
 * The dynamic loader maps every ELF object (the postgres executable and each
 * shared library) as a run of adjacent mappings of one file: read-only
 * headers and constants, executable text, relocated read-only data, writable
 * data, and after that the anonymous bss.  A run of mappings of one file in
 * which some mapping is executable is therefore an object; any other file
 * mapping (locale archive, gconv cache, a mapped data file) is plain "file".
 *
 * src/vma_kind.c
 *
 *-------------------------------------------------------------------------
 */
#include "vma_kind.h"

#include <string.h>

const char *const vmastat_kind_names[VMA_NUM_KINDS] = {
	[VMA_KIND_TEXT] = "text",
	[VMA_KIND_RODATA] = "rodata",
	[VMA_KIND_DATA] = "data",
	[VMA_KIND_BSS] = "bss",
	[VMA_KIND_HEAP] = "heap",
	[VMA_KIND_STACK] = "stack",
	[VMA_KIND_ANON] = "anon",
	[VMA_KIND_SHM_MAIN] = "shm_main",
	[VMA_KIND_SHM_SYSV] = "shm_sysv",
	[VMA_KIND_DSM] = "dsm",
	[VMA_KIND_SHARED] = "shared",
	[VMA_KIND_FILE] = "file",
	[VMA_KIND_GUARD] = "guard",
	[VMA_KIND_KERNEL] = "kernel",
};

static bool
path_starts_with(const Vma *vma, const char *prefix)
{
	size_t		len = strlen(prefix);

	return vma->path_len >= len && memcmp(vma->path, prefix, len) == 0;
}

static bool
path_is(const Vma *vma, const char *name)
{
	size_t		len = strlen(name);

	return vma->path_len == len && memcmp(vma->path, name, len) == 0;
}

/* Names the kernel gives a shared anonymous mapping such as the main segment */
static bool
looks_like_main_shmem(const Vma *vma)
{
	return path_is(vma, "/dev/zero (deleted)") ||
		path_is(vma, "/anon_hugepage (deleted)") ||
		path_starts_with(vma, "/memfd:");
}

/*
 * Names of shared memory objects other than System V segments: POSIX
 * shared memory, shared anonymous mappings, memfds.  A shared mapping of any
 * other file (the gconv cache, a mapped data file) is a file mapping.
 */
static bool
is_shmem_object(const Vma *vma)
{
	return path_starts_with(vma, "/dev/shm/") ||
		path_starts_with(vma, "/dev/zero") ||
		path_starts_with(vma, "/anon_hugepage") ||
		path_starts_with(vma, "/memfd:");
}

bool
vmastat_same_file(const Vma *a, const Vma *b)
{
	return a->inode == b->inode && a->dev_major == b->dev_major &&
		a->dev_minor == b->dev_minor && a->path != NULL && b->path != NULL;
}

/* Kind of a mapping named "[...]" by the kernel */
static VmaKind
bracketed_kind(const Vma *vma, bool shared)
{
	if (path_is(vma, "[heap]"))
		return VMA_KIND_HEAP;
	if (path_starts_with(vma, "[stack"))
		return VMA_KIND_STACK;
	/* anonymous mappings named with prctl(PR_SET_VMA_ANON_NAME) */
	if (path_starts_with(vma, "[anon:") || path_starts_with(vma, "[anon_shmem:"))
		return shared ? VMA_KIND_SHARED : VMA_KIND_ANON;
	return VMA_KIND_KERNEL;
}

VmaKind
vmastat_classify_one(const Vma *vma, const Vma *prev, VmaKind prev_kind, bool in_object,
				 MainShmemTest is_main_shmem)
{
	bool		shared = vma->perms[3] == 's';

	if (is_main_shmem != NULL && is_main_shmem(vma->start))
		return VMA_KIND_SHM_MAIN;
	if (vma->perms[0] == '-' && vma->perms[1] == '-' && vma->perms[2] == '-')
		return VMA_KIND_GUARD;
	if (vma->path != NULL && vma->path[0] == '[')
		return bracketed_kind(vma, shared);
	if (shared)
	{
		if (vma->path == NULL)
			return VMA_KIND_SHARED;
		if (path_starts_with(vma, "/SYSV"))
			return VMA_KIND_SHM_SYSV;
		if (path_starts_with(vma, "/dev/shm/PostgreSQL."))
			return VMA_KIND_DSM;
		if (is_main_shmem == NULL && looks_like_main_shmem(vma))
			return VMA_KIND_SHM_MAIN;
		if (!is_shmem_object(vma))
			return VMA_KIND_FILE;
		return VMA_KIND_SHARED;
	}
	if (vma->path == NULL)
	{
		if (prev != NULL && prev_kind == VMA_KIND_DATA && prev->end == vma->start &&
			strcmp(vma->perms, "rw-p") == 0)
			return VMA_KIND_BSS;
		return VMA_KIND_ANON;
	}
	if (!in_object)
		return VMA_KIND_FILE;
	if (vma->perms[2] == 'x')
		return VMA_KIND_TEXT;
	if (vma->perms[1] == 'w')
		return VMA_KIND_DATA;
	return VMA_KIND_RODATA;
}

void
vmastat_classify(const Vma *vmas, size_t nvmas, MainShmemTest is_main_shmem,
			 VmaKind *kinds)
{
	size_t		run_start = 0;

	while (run_start < nvmas)
	{
		size_t		run_end = run_start + 1;
		bool		executable = vmas[run_start].perms[2] == 'x';
		bool		is_file = vmas[run_start].path != NULL && vmas[run_start].inode != 0;
		size_t		i;

		/* a run: adjacent mappings of one file */
		if (is_file)
		{
			while (run_end < nvmas && vmastat_same_file(&vmas[run_end], &vmas[run_start]))
			{
				executable |= vmas[run_end].perms[2] == 'x';
				run_end++;
			}
		}
		for (i = run_start; i < run_end; i++)
			kinds[i] = vmastat_classify_one(&vmas[i], i > 0 ? &vmas[i - 1] : NULL,
										i > 0 ? kinds[i - 1] : VMA_KIND_ANON,
										is_file && executable, is_main_shmem);
		run_start = run_end;
	}
}
