/*
 * diff.c - two canonical dumps side by side: the first transition where
 * they part, with context from both (`apcsim diff`, and `regress` against a
 * golden).
 *
 * The comparison is line by line over the lines the caller keeps, in order:
 * a trace is a sequence, so the first differing line is the moment the two
 * runs went different ways and everything after it may differ as a
 * consequence. Rejected: a general diff (LCS) of the two dumps - after the
 * first divergence times and sequence numbers shift, and a minimal edit
 * script over them says less than "here they part".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "trace/store.h"

int cli_first_divergence(GPtrArray *a, GPtrArray *b)
{
    guint n = MIN(a->len, b->len);
    for (guint k = 0; k < n; k++)
        if (strcmp(a->pdata[k], b->pdata[k]) != 0)
            return (int)k;
    return a->len == b->len ? -1 : (int)n;
}

void cli_show_context(FILE *out, const char *label, GPtrArray *lines, int at, int context)
{
    int n = (int)lines->len;
    int from = at - context < 0 ? 0 : at - context;
    for (int i = from; i < n && i <= at + context; i++)
        fprintf(out, "    %s %s %s\n", label, i == at ? ">" : " ", (const char *)lines->pdata[i]);
    if (at >= n)
        fprintf(out, "    %s > (end of trace)\n", label);
}

/* The dump of a trace as lines (g_strfreev), or NULL with a message. */
static char **dump_lines(const char *path, int *code)
{
    char *text = NULL;
    size_t len = 0;
    GError *err = NULL;
    FILE *f = open_memstream(&text, &len);
    *code = trace_dump(path, f, &err);
    fclose(f);
    if (*code) {
        fprintf(stderr, "apcsim diff: %s\n", err ? err->message : "cannot read the trace");
        g_clear_error(&err);
        free(text);
        return NULL;
    }
    char **lines = g_strsplit(text, "\n", -1);
    free(text);
    return lines;
}

/* A dump's meta line is "# KEY = VALUE". */
static size_t meta_key_len(const char *line)
{
    const char *eq = strstr(line, " = ");
    return eq ? (size_t)(eq - line) + 3 : strlen(line);
}

static const char *meta_key(const char *line)
{
    static char key[256];
    size_t klen = meta_key_len(line);
    snprintf(key, sizeof key, "%.*s", (int)(klen > 5 ? klen - 5 : 0), line + 2);
    return key;
}

static const char *meta_value(const char *line)
{
    const char *eq = strstr(line, " = ");
    return eq ? eq + 3 : "?";
}

/* The meta line of lines with the same key as line, or NULL. */
static const char *meta_with_key(GPtrArray *lines, const char *line)
{
    size_t klen = meta_key_len(line);
    for (guint j = 0; j < lines->len; j++)
        if (strncmp(lines->pdata[j], line, klen) == 0)
            return lines->pdata[j];
    return NULL;
}

int cmd_diff(int argc, char **argv)
{
    gint64 context = 3;
    GOptionEntry entries[] = {
        { "context", 0, 0, G_OPTION_ARG_INT64, &context, "Lines of context around the divergence (default 3)",
          "N" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new("A.db B.db - where two traces part");
    g_option_context_set_summary(ctx,
        "Compares the transitions of two traces (their canonical dumps, as apcsim dump prints them)\n"
        "and shows the first one where they differ, with context from both: the same scenario under\n"
        "two profiles (--profile nt52 / win10), two seeds or two versions of a scenario. The meta rows\n"
        "that differ (profile, seed, scenario, ...) and the RUN_BEGIN row's configuration are listed\n"
        "first; they do not count as a difference.\n"
        "Exit status: 0 the transitions are the same, 1 they differ, 2 usage, 10-15 a file is not a\n"
        "readable apcsim trace (as for dump).\n\n"
        "  apcsim run scenarios/profiles_special_user_apc.lua --db a.db\n"
        "  apcsim run scenarios/profiles_special_user_apc.lua --profile win10 --db b.db\n"
        "  apcsim diff a.db b.db");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!cli_parse_options(ctx, &argc, &argv, "diff"))
        return EXIT_USAGE;
    if (argc != 3 || context < 0 || context > 1000) {
        fprintf(stderr, argc != 3 ? "apcsim diff: give exactly two trace files (see apcsim diff --help)\n"
                                  : "apcsim diff: --context takes 0..1000\n");
        return EXIT_USAGE;
    }
    int code;
    char **a = dump_lines(argv[1], &code);
    if (!a)
        return code;
    char **b = dump_lines(argv[2], &code);
    if (!b) {
        g_strfreev(a);
        return code;
    }
    GPtrArray *ea = g_ptr_array_new(), *eb = g_ptr_array_new();
    GPtrArray *ma = g_ptr_array_new(), *mb = g_ptr_array_new();
    for (char **l = a; *l; l++)
        if (**l)
            g_ptr_array_add(**l == '#' ? ma : ea, *l);
    for (char **l = b; *l; l++)
        if (**l)
            g_ptr_array_add(**l == '#' ? mb : eb, *l);
    /* meta rows present on one side only or with another value, by key:
     * A's rows in A's order, then the keys only B has */
    for (guint i = 0; i < ma->len; i++) {
        const char *la = ma->pdata[i], *other = meta_with_key(mb, la);
        if (!other || strcmp(other, la) != 0)
            printf("meta %s: %s | %s\n", meta_key(la), meta_value(la), other ? meta_value(other) : "(none)");
    }
    for (guint j = 0; j < mb->len; j++)
        if (!meta_with_key(ma, mb->pdata[j]))
            printf("meta %s: (none) | %s\n", meta_key(mb->pdata[j]), meta_value(mb->pdata[j]));
    /* RUN_BEGIN holds the configuration (CPUs, seed, profile ...): like the
     * meta rows, a difference there is listed, not counted */
    if (ea->len && eb->len && strstr(ea->pdata[0], " RUN_BEGIN ") && strstr(eb->pdata[0], " RUN_BEGIN ")) {
        const char *ra = strstr(ea->pdata[0], " RUN_BEGIN ") + 11, *rb = strstr(eb->pdata[0], " RUN_BEGIN ") + 11;
        if (strcmp(ra, rb) != 0)
            printf("RUN_BEGIN: %s | %s\n", ra, rb);
        g_ptr_array_remove_index(ea, 0);
        g_ptr_array_remove_index(eb, 0);
    }
    int at = cli_first_divergence(ea, eb);
    int rc = 0;
    if (at < 0) {
        printf("the transitions are the same (%u after RUN_BEGIN)\n", ea->len);
    } else {
        printf("the transitions part at the line marked '>' (line %d after RUN_BEGIN, of %u | %u):\n", at + 1,
               ea->len, eb->len);
        cli_show_context(stdout, "A:", ea, at, (int)context);
        cli_show_context(stdout, "B:", eb, at, (int)context);
        rc = 1;
    }
    g_ptr_array_free(ea, TRUE);
    g_ptr_array_free(eb, TRUE);
    g_ptr_array_free(ma, TRUE);
    g_ptr_array_free(mb, TRUE);
    g_strfreev(a);
    g_strfreev(b);
    return rc;
}
