/*
 * regress.c - `apcsim regress`: re-run scenarios and compare their canonical
 * dumps with the golden ones kept as text under tests/golden/ (a diff of a
 * golden reads well in review; regenerating is the deliberate --update).
 *
 * A divergence reports the first differing transition with a few lines of
 * context from both sides and the scenario line that emitted it (the run is
 * made with the runtime's row hook recording, for every row, the innermost
 * scenario line being executed). Goldens of another schema version or
 * another profile are refused with a reason. The apcsim_version meta line is
 * not compared (a new version must not invalidate every golden).
 */
#include <glib/gstdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ke/ke.h"
#include "trace/store.h"

static char *golden_path(const char *dir, const char *scenario)
{
    char *rel = g_strdup(scenario);
    if (g_str_has_prefix(rel, "./"))
        memmove(rel, rel + 2, strlen(rel) - 1);
    if (g_str_has_suffix(rel, ".lua"))
        rel[strlen(rel) - 4] = 0;
    for (char *p = rel; *p; p++)
        if (*p == '/')
            *p = '_';
    char *path = g_strdup_printf("%s/%s.txt", dir, rel);
    g_free(rel);
    return path;
}

/* The scenarios under path, in byte order. Directory links below the top
 * are not followed (a link to "." would recurse until ELOOP); "./" in front
 * is dropped, so the trace names the scenario as the golden does. */
static void collect(const char *path, GPtrArray *out, bool top)
{
    while (g_str_has_prefix(path, "./"))
        path += 2;
    if (!top && g_file_test(path, G_FILE_TEST_IS_SYMLINK) && g_file_test(path, G_FILE_TEST_IS_DIR))
        return;
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        GDir *d = g_dir_open(path, 0, NULL);
        if (!d)
            return;
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        const char *n;
        while ((n = g_dir_read_name(d)))
            g_ptr_array_add(names, g_build_filename(path, n, NULL));
        g_dir_close(d);
        g_ptr_array_sort(names, (GCompareFunc)(void (*)(void))g_ascii_strcasecmp);
        /* sort by plain strcmp for a stable order */
        for (guint i = 0; i < names->len; i++)
            for (guint j = i + 1; j < names->len; j++)
                if (strcmp(names->pdata[i], names->pdata[j]) > 0) {
                    void *tmp = names->pdata[i];
                    names->pdata[i] = names->pdata[j];
                    names->pdata[j] = tmp;
                }
        for (guint i = 0; i < names->len; i++)
            collect(names->pdata[i], out, false);
        g_ptr_array_free(names, TRUE);
    } else if (g_str_has_suffix(path, ".lua")) {
        g_ptr_array_add(out, g_strdup(path));
    }
}

/* Meta value of "# key = value" in a dump, or NULL (g_free). */
static char *meta_of(char **lines, const char *key)
{
    char *prefix = g_strdup_printf("# %s = ", key);
    char *v = NULL;
    for (char **l = lines; *l && !v; l++)
        if (g_str_has_prefix(*l, prefix))
            v = g_strdup(*l + strlen(prefix));
    g_free(prefix);
    return v;
}

static bool comparable(const char *line)
{
    return !g_str_has_prefix(line, "# apcsim_version = ");
}

/* Build the RunRequest options a scenario's "-- args:" header asks for,
 * as `apcsim run` reads them ("--opt V" or "--opt=V"). Returns NULL, or
 * what is wrong with the line (g_free): the golden must record the run
 * tests/run_scenarios.sh makes, or say why it cannot. */
static char *apply_args(RunRequest *rq, char **args, GHashTable *params)
{
    for (char **a = args; a && *a; a++) {
        g_autofree char *opt = g_strdup(*a);
        char *eq = g_str_has_prefix(opt, "--") ? strchr(opt, '=') : NULL;
        const char *v = eq ? eq + 1 : a[1];
        if (eq)
            *eq = 0;
        if (strcmp(opt, "--bad-args-line") == 0)
            return g_strdup_printf("its '-- args:' line does not parse: %s", v ? v : "?");
        if (strcmp(opt, "--check-invariants") == 0 || strcmp(opt, "-q") == 0 || strcmp(opt, "--quiet") == 0) {
            rq->check_invariants |= strcmp(opt, "--check-invariants") == 0;
            continue;
        }
        if (!v)
            return g_strdup_printf("its '-- args:' line gives %s no value", opt);
        if (strcmp(opt, "--profile") == 0) {
            rq->profile = ke_profile_from_name(v);
            if (rq->profile < 0)
                return g_strdup_printf("its '-- args:' line names an unknown profile '%s'", v);
        } else if (strcmp(opt, "--seed") == 0) {
            rq->seed = g_ascii_strtoll(v, NULL, 10);
        } else if (strcmp(opt, "--param") == 0) {
            const char *peq = strchr(v, '=');
            if (!peq || peq == v)
                return g_strdup_printf("its '-- args:' line has --param '%s', not NAME=VALUE", v);
            g_hash_table_replace(params, g_strndup(v, peq - v), g_strdup(peq + 1));
        } else if (strcmp(opt, "--instruction-budget") == 0) {
            rq->instruction_budget = g_ascii_strtoll(v, NULL, 10);
        } else if (strcmp(opt, "--memory-limit") == 0) {
            rq->memory_limit_mib = g_ascii_strtoll(v, NULL, 10);
        } else if (strcmp(opt, "--max-events") == 0) {
            rq->max_events = g_ascii_strtoll(v, NULL, 10);
        } else {
            return g_strdup_printf("its '-- args:' line has %s, which regress does not apply", opt);
        }
        if (!eq)
            a++;
    }
    return NULL;
}

int cmd_regress(int argc, char **argv)
{
    gboolean update = FALSE;
    g_autofree char *golden_dir = NULL;
    gint context = 3;
    gint64 seed = -1;
    GOptionEntry entries[] = {
        { "update", 0, 0, G_OPTION_ARG_NONE, &update, "Rewrite the goldens from this run (deliberately)", NULL },
        { "golden-dir", 0, 0, G_OPTION_ARG_FILENAME, &golden_dir, "Where goldens live (default tests/golden)",
          "DIR" },
        { "context", 0, 0, G_OPTION_ARG_INT, &context, "Lines of context around a divergence (default 3)", "N" },
        { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Run with this seed instead of the scenario's", "N" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new("[PATH...] - compare scenarios with their golden traces");
    g_option_context_set_summary(ctx,
        "Re-runs each scenario (files, or directories searched for *.lua; default scenarios/), with\n"
        "the options of its first '-- args:' line, and compares its canonical dump with the golden\n"
        "GOLDEN_DIR/<path without .lua, '/' as '_'>.txt (tests/golden/scenarios_quickstart.txt for\n"
        "scenarios/quickstart.lua). A divergence shows the first differing transition with context\n"
        "from both sides and the scenario line that produced it.\n"
        "Exit status: 0 all match, 1 a divergence or a missing/refused golden, 2 usage, 130 interrupted.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    if (!cli_parse_options(ctx, &argc, &argv, "regress"))
        return EXIT_USAGE;
    if (context < 0 || context > 1000) {
        fprintf(stderr, "apcsim regress: --context takes 0..1000 (see apcsim regress --help)\n");
        return EXIT_USAGE;
    }
    if (!golden_dir)
        golden_dir = g_strdup("tests/golden");
    GPtrArray *scenarios = g_ptr_array_new_with_free_func(g_free);
    if (argc < 2)
        collect("scenarios", scenarios, true);
    for (int i = 1; i < argc; i++) {
        guint before = scenarios->len;
        if (!g_file_test(argv[i], G_FILE_TEST_EXISTS)) {
            fprintf(stderr, "apcsim regress: %s: no such file or directory\n", argv[i]);
            g_ptr_array_free(scenarios, TRUE);
            return EXIT_USAGE;
        }
        collect(argv[i], scenarios, true);
        if (scenarios->len == before) {
            /* a mistyped path must not pass as "0 failed" */
            fprintf(stderr, "apcsim regress: %s: no scenario (*.lua) there\n", argv[i]);
            g_ptr_array_free(scenarios, TRUE);
            return EXIT_USAGE;
        }
    }
    if (update && seed >= 0) {
        fprintf(stderr, "apcsim regress: a golden records the scenario's own run: --update does not go with "
                        "--seed (see apcsim regress --help)\n");
        g_ptr_array_free(scenarios, TRUE);
        return EXIT_USAGE;
    }
    /* golden names flatten '/' to '_': two scenarios must not share one */
    GHashTable *owner = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < scenarios->len; i++) {
        char *gp = golden_path(golden_dir, scenarios->pdata[i]);
        const char *other = g_hash_table_lookup(owner, gp);
        if (other && strcmp(other, scenarios->pdata[i]) != 0) {
            fprintf(stderr, "apcsim regress: %s and %s would share the golden %s: rename one\n", other,
                    (const char *)scenarios->pdata[i], gp);
            g_free(gp);
            g_hash_table_destroy(owner);
            g_ptr_array_free(scenarios, TRUE);
            return EXIT_USAGE;
        }
        g_hash_table_replace(owner, gp, scenarios->pdata[i]);
    }
    g_hash_table_destroy(owner);
    char *tmpdir = g_dir_make_tmp("apcsim-regress-XXXXXX", NULL);
    int pass = 0, fail = 0;
    bool interrupted = false;
    for (guint i = 0; i < scenarios->len && !interrupted; i++) {
        const char *scn = scenarios->pdata[i];
        char *gpath = golden_path(golden_dir, scn);
        char *db = g_build_filename(tmpdir, "run.db", NULL);
        GHashTable *params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        char **args = cli_scenario_args(scn);
        RunRequest rq = { .scenario = scn, .db = db, .seed = -1, .profile = -1, .max_events = -1, .quiet = true,
                          .params = params };
        g_autofree char *bad_args = apply_args(&rq, args, params);
        if (seed >= 0)
            rq.seed = seed;
        g_strfreev(args);
        if (bad_args) {
            printf("FAIL %s: %s\n", scn, bad_args);
            fail++;
            g_hash_table_unref(params);
            g_free(db);
            g_free(gpath);
            continue;
        }
        char *msgs = NULL;
        size_t msglen = 0;
        rq.messages = open_memstream(&msgs, &msglen);
        rq.row_lines = g_ptr_array_new_with_free_func(g_free);
        char *trace = NULL;
        int code = cli_simulate(&rq, &trace);
        fclose(rq.messages);
        char *now = NULL;
        size_t nowlen = 0;
        bool ok = false;
        /* how the run ended, when not with status 0: a golden may record a
         * failing run on purpose (a bugcheck scenario), but it is said */
        g_autofree char *ended = NULL;
        if (code != 0 && code != EXIT_INTERRUPTED && msgs)
            ended = g_strdup_printf(" (the run ended with status %d: %s)", code, cli_first_reason(msgs, code));
        if (code == EXIT_INTERRUPTED) {
            interrupted = true;
            printf("interrupted at %s\n", scn);  /* not an outcome: not counted */
        } else if (!trace) {
            printf("FAIL %s: the run left no trace\n%s", scn, msgs ? msgs : "");
        } else {
            FILE *f = open_memstream(&now, &nowlen);
            int rc = trace_dump(trace, f, &err);
            fclose(f);
            if (rc) {
                printf("FAIL %s: cannot dump its trace: %s\n", scn, err ? err->message : "?");
                g_clear_error(&err);
            } else if (update) {
                g_mkdir_with_parents(golden_dir, 0755);
                if (g_file_set_contents(gpath, now, (gssize)nowlen, &err)) {
                    printf("updated %s%s\n", gpath, ended ? ended : "");
                    ok = true;
                } else {
                    printf("FAIL %s: %s\n", gpath, err->message);
                    g_clear_error(&err);
                }
            } else {
                gchar *gold = NULL;
                gsize goldlen = 0;
                bool exists = g_file_test(gpath, G_FILE_TEST_EXISTS);
                if (exists && !g_file_test(gpath, G_FILE_TEST_IS_REGULAR)) {
                    printf("FAIL %s: golden %s is not a regular file: refused\n", scn, gpath);
                } else if (!exists || !g_file_get_contents(gpath, &gold, &goldlen, NULL)) {
                    printf("FAIL %s: no golden %s (create it with apcsim regress --update %s)\n", scn, gpath, scn);
                } else if (strlen(gold) != goldlen || !g_utf8_validate(gold, (gssize)goldlen, NULL)) {
                    printf("FAIL %s: golden %s is not text (a NUL byte or invalid UTF-8): refused\n", scn, gpath);
                    g_free(gold);
                } else if (goldlen == 0) {
                    printf("FAIL %s: golden %s is empty: refused (regenerate it with apcsim regress --update %s)\n",
                           scn, gpath, scn);
                    g_free(gold);
                } else if (strchr(gold, '\r')) {
                    printf("FAIL %s: golden %s has CRLF line ends (edited or checked out on Windows?): refused "
                           "(convert it with dos2unix, or regenerate with --update)\n", scn, gpath);
                    g_free(gold);
                } else if (gold[goldlen - 1] != '\n') {
                    printf("FAIL %s: golden %s does not end with a newline (cut short, or edited by hand?): "
                           "refused (regenerate with --update)\n", scn, gpath);
                    g_free(gold);
                } else {
                    char **gl = g_strsplit(gold, "\n", -1), **nl = g_strsplit(now, "\n", -1);
                    char *gv = meta_of(gl, "schema_version"), *nv = meta_of(nl, "schema_version");
                    char *gp = meta_of(gl, "profile"), *np = meta_of(nl, "profile");
                    if (!gv) {
                        printf("FAIL %s: golden %s has no '# schema_version = ' line: it was not written by "
                               "apcsim regress --update: refused\n", scn, gpath);
                    } else if (!nv || strcmp(gv, nv) != 0) {
                        printf("FAIL %s: golden %s is of schema version %s, this apcsim writes %s: refused "
                               "(regenerate with --update)\n", scn, gpath, gv ? gv : "?", nv ? nv : "?");
                    } else if (!gp || !np || strcmp(gp, np) != 0) {
                        printf("FAIL %s: golden %s was recorded under profile %s, this run is %s: refused\n", scn,
                               gpath, gp ? gp : "?", np ? np : "?");
                    } else {
                        /* keep the comparable lines of both sides */
                        GPtrArray *ga = g_ptr_array_new(), *na = g_ptr_array_new();
                        /* (not the empty string after the last newline) */
                        for (char **l = gl; *l; l++)
                            if (**l && comparable(*l))
                                g_ptr_array_add(ga, *l);
                        for (char **l = nl; *l; l++)
                            if (**l && comparable(*l))
                                g_ptr_array_add(na, *l);
                        int at = cli_first_divergence(ga, na);
                        if (at < 0) {
                            ok = true;
                            printf("ok   %s%s\n", scn, ended ? ended : "");
                        } else if (at >= (int)na->len || at >= (int)ga->len) {
                            bool now_short = at >= (int)na->len;
                            printf("FAIL %s: %s %s%s\n", scn,
                                   now_short ? "the run now ends where the golden goes on:" :
                                               "the run now goes on past the end of the golden:",
                                   gpath, ended ? ended : "");
                            cli_show_context(stdout, "golden:", ga, at, context);
                            cli_show_context(stdout, "now:   ", na, at, context);
                        } else {
                            const char *line = at < (int)na->len ? na->pdata[at] : ga->pdata[at];
                            long long seq = g_ascii_strtoll(line, NULL, 10);
                            printf("FAIL %s: diverges from %s at %s\n", scn, gpath,
                                   line[0] == '#' ? "the meta rows" : "the transition below");
                            cli_show_context(stdout, "golden:", ga, at, context);
                            cli_show_context(stdout, "now:   ", na, at, context);
                            const char *where = seq > 0 && seq < (long long)rq.row_lines->len
                                                    ? rq.row_lines->pdata[seq] : NULL;
                            if (line[0] != '#')
                                printf("    transition %lld was produced by %s\n", seq,
                                       where ? where : "the kernel itself (no scenario code was running)");
                        }
                        g_ptr_array_free(ga, TRUE);
                        g_ptr_array_free(na, TRUE);
                    }
                    g_free(gv); g_free(nv); g_free(gp); g_free(np);
                    g_strfreev(gl);
                    g_strfreev(nl);
                    g_free(gold);
                }
            }
        }
        if (interrupted)
            ;
        else if (ok)
            pass++;
        else
            fail++;
        if (trace)
            g_unlink(trace);
        g_free(trace);
        free(now);
        free(msgs);
        g_ptr_array_free(rq.row_lines, TRUE);
        g_hash_table_unref(params);
        g_free(db);
        g_free(gpath);
    }
    /* an interrupted run leaves run.db.partial */
    g_autofree char *partial = g_build_filename(tmpdir, "run.db.partial", NULL);
    g_unlink(partial);
    g_rmdir(tmpdir);
    g_free(tmpdir);
    g_ptr_array_free(scenarios, TRUE);
    if (interrupted) {
        printf("regress: interrupted after %d passed, %d failed\n", pass, fail);
        return EXIT_INTERRUPTED;
    }
    printf("regress: %d passed, %d failed\n", pass, fail);
    return fail ? 1 : 0;
}
