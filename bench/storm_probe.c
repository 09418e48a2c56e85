/*
 * storm_probe.c - `apcsim run --no-trace` with the numbers an untraced run
 * does not print, for `make bench` (scale figures, queue size).
 *
 * It links the very objects apcsim is built from (BUILD_DIR/src/{sim,ke,
 * trace,lua}/*.o) and does what `apcsim run SCENARIO --no-trace -q` does:
 * lua_runtime_new (load the scenario, create its objects), lua_runtime_run,
 * lua_runtime_free. Then it prints the trace rows the run emitted (the
 * transitions a traced run would have written: the count is kept with or
 * without a sink, and is the same by determinism), the engine events, the
 * wall time from the start of main to the end of the run (scenario set-up
 * included, as in `apcsim run`), and the peak resident memory (VmHWM of
 * /proc/self/status) reached by then.
 *
 * With --queue it also samples the engine's event queue length once per
 * engine event (through the machine's row hook, at the first row of each
 * event) and prints the mean and maximum; that slows the run down, so the
 * wall time of a --queue run is not a throughput figure.
 *
 * --max-events N stops the run after N engine events (a throughput sample of
 * a run too long to finish; exit status 0 all the same).
 *
 * Usage: storm_probe SCENARIO LUA_DIR [--queue] [--max-events N] [NAME=VALUE ...]
 * Prints: "probe rows=R events=E wall_s=W hwm_kb=H end_ns=T stop=S [queue_mean=Q queue_max=M]"
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ke/ke.h"
#include "lua/runtime.h"
#include "sim/sim.h"

static long hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

typedef struct QueueStats {
    int64_t last_event;
    double sum;
    int64_t samples;
    size_t max;
} QueueStats;

static void on_row(void *ctx, KMACHINE *m, int64_t seq)
{
    QueueStats *qs = ctx;
    (void)seq;
    if (m->events == qs->last_event)
        return;
    qs->last_event = m->events;
    size_t n = sim_queue_len(m->q);
    qs->sum += (double)n;
    qs->samples++;
    if (n > qs->max)
        qs->max = n;
}

int main(int argc, char **argv)
{
    gint64 t0 = g_get_monotonic_time();

    if (argc < 3) {
        fprintf(stderr, "usage: storm_probe SCENARIO LUA_DIR [--queue] [--max-events N] [NAME=VALUE ...]\n");
        return 2;
    }
    GHashTable *params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    bool queue = false;
    int64_t max_events = 0;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--queue") == 0) {
            queue = true;
            continue;
        }
        if (strcmp(argv[i], "--max-events") == 0 && i + 1 < argc) {
            max_events = g_ascii_strtoll(argv[++i], NULL, 10);
            continue;
        }
        char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            fprintf(stderr, "storm_probe: parameters are NAME=VALUE, got '%s'\n", argv[i]);
            return 2;
        }
        g_hash_table_replace(params, g_strndup(argv[i], eq - argv[i]), g_strdup(eq + 1));
    }

    LuaRuntimeOptions opt = {
        .scenario = argv[1], .lua_dir = argv[2], .params = params, .seed = -1, .profile = -1,
        .max_events = max_events, .instruction_budget = 0,
        .memory_limit = (size_t)4096 * 1024 * 1024,
    };
    char *err = NULL;
    LuaRuntime *rt = lua_runtime_new(&opt, &err);
    if (!rt) {
        fprintf(stderr, "storm_probe: scenario error: %s\n", err ? err : "?");
        return 3;
    }
    KMACHINE *m = lua_runtime_machine(rt);
    QueueStats qs = { -1, 0, 0, 0 };
    if (queue) {
        m->row_hook = on_row;
        m->row_hook_ctx = &qs;
    }
    KSTOP_REASON why = lua_runtime_run(rt);
    gint64 t1 = g_get_monotonic_time();
    long hwm = hwm_kb();

    printf("probe rows=%" G_GINT64_FORMAT " events=%" G_GINT64_FORMAT " wall_s=%.6f hwm_kb=%ld end_ns=%"
           G_GINT64_FORMAT " stop=%d", (gint64)m->rows, (gint64)m->events, (t1 - t0) / 1e6, hwm,
           (gint64)m->now, (int)why);
    if (queue)
        printf(" queue_mean=%.1f queue_max=%zu", qs.samples ? qs.sum / (double)qs.samples : 0.0, qs.max);
    printf("\n");
    /* A clean end, or the --max-events cap that was asked for. */
    int code = why == StopAllTerminated || why == StopNothingToDo || (why == StopMaxEvents && max_events > 0) ? 0 : 1;
    if (code)
        fprintf(stderr, "storm_probe: the run stopped with: %s%s%s\n", ke_stop_reason_name(why),
                m->stop_message ? ": " : "", m->stop_message ? m->stop_message : "");
    lua_runtime_free(rt);
    g_hash_table_unref(params);
    return code;
}
