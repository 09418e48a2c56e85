/*
 * testutil.h - small helpers the unit test programs share (linked into every
 * one of them, like kfake.c): finding the source tree and removing scratch
 * directories.
 */
#ifndef APCSIM_TESTUTIL_H
#define APCSIM_TESTUTIL_H

/* The source tree: $APCSIM_ROOT, the working directory or one of its parents,
 * or a parent of the test binary (build/tests/test_x); a directory counts if
 * it has scenarios/quickstart.lua, tests/scenarios/ and lua/win32.lua.
 * Returns a newly allocated path (g_free) or NULL. */
char *test_find_source_root(void);

/* Remove path: a file, or a directory with everything below it. */
void test_rm_rf(const char *path);

#endif
