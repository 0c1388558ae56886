/*-------------------------------------------------------------------------
 *
 * unit_check.h
 *	  What the plain-C unit tests share: CHECK(), which counts and prints
 *	  failures with their line, and the summary line that ends a run.
 *
 * Included by one test program each, so its definitions are static.
 *
 * test/unit/unit_check.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef UNIT_CHECK_H
#define UNIT_CHECK_H

#include <stdio.h>

static int	n_passed;
static int	n_failed;

static void
check(int ok, int line, const char *what)
{
	if (ok)
		n_passed++;
	else
	{
		n_failed++;
		printf("FAIL line %d: %s\n", line, what);
	}
}

#define CHECK(cond) check((cond), __LINE__, #cond)

/* Prints "N passed, M failed"; the exit status of the test program */
static int
unit_report(void)
{
	printf("%d passed, %d failed\n", n_passed, n_failed);
	return n_failed ? 1 : 0;
}

#endif							/* UNIT_CHECK_H */
