/*
 * testutil.c - see testutil.h.
 */
#include "testutil.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>

static bool
is_root(const char *dir)
{
    char *a = g_build_filename(dir, "scenarios", "quickstart.lua", NULL);
    char *b = g_build_filename(dir, "tests", "scenarios", NULL);
    char *c = g_build_filename(dir, "lua", "win32.lua", NULL);
    bool ok = g_file_test(a, G_FILE_TEST_IS_REGULAR) && g_file_test(b, G_FILE_TEST_IS_DIR) &&
              g_file_test(c, G_FILE_TEST_IS_REGULAR);

    g_free(a);
    g_free(b);
    g_free(c);
    return ok;
}

char *
test_find_source_root(void)
{
    const char *env = g_getenv("APCSIM_ROOT");
    char *starts[2] = { g_get_current_dir(), g_file_read_link("/proc/self/exe", NULL) };
    char *found = NULL;

    if (env && is_root(env))
        found = g_strdup(env);
    for (int i = 0; !found && i < 2; i++) {
        char *dir = starts[i] ? g_strdup(starts[i]) : NULL;

        for (int up = 0; dir && !found && up < 5; up++) {
            char *parent;

            if (is_root(dir))
                found = g_strdup(dir);
            parent = g_path_get_dirname(dir);
            g_free(dir);
            dir = parent;
        }
        g_free(dir);
    }
    g_free(starts[0]);
    g_free(starts[1]);
    return found;
}

void
test_rm_rf(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *n;

    if (d) {
        while ((n = g_dir_read_name(d))) {
            char *p = g_build_filename(path, n, NULL);

            if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                test_rm_rf(p);
            else
                g_unlink(p);
            g_free(p);
        }
        g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}
