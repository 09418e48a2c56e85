/*
 * machine.c - the simulated machine: configuration, the event loop that
 * drives the CPUs on the virtual clock, stop conditions, and the trace
 * helpers every other kernel file uses.
 *
 * The loop pops engine events in (time, seq) order (sim.h) and hands each to
 * the CPU it concerns; a CPU then runs frames (cpu.c) until it needs time to
 * pass. Stop conditions, checked after every event: stop_at, every thread
 * terminated (with no at() callback still to come), nothing can ever happen
 * again (every CPU idle and no event but the clock tick pending: threads
 * still waiting are listed in the summary), --max-events, a bugcheck, a
 * scenario error, a failed expectation, an interruption (SIGINT/SIGTERM).
 */
#include "ke/ke.h"

#include <assert.h>
#include <stdarg.h>
#include <string.h>

void ke_config_default(KCONFIG *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->cpus = 1;
    cfg->profile = ProfileNt52;
    cfg->seed = 1;
    cfg->clock_tick = 15625000;     /* 15.625 ms */
    cfg->quantum = 6;
    cfg->context_switch_cost = 0;
    cfg->stop_at = SIM_TIME_NEVER;
    cfg->timer_resolution_tick = false;
    cfg->max_events = 10000000;
    cfg->max_zero_time_steps = 2000000;
}

const char *ke_profile_name(KPROFILE p)
{
    switch (p) {
    case ProfileNt52: return "nt52";
    case ProfileReactos: return "reactos";
    case ProfileWin10: return "win10";
    }
    return "?";
}

int ke_profile_from_name(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "nt52") == 0) return ProfileNt52;
    if (strcmp(name, "reactos") == 0) return ProfileReactos;
    if (strcmp(name, "win10") == 0) return ProfileWin10;
    return -1;
}

const char *ke_stop_reason_name(KSTOP_REASON r)
{
    static const char *const names[] = {
        "running", "all threads terminated", "nothing can happen any more", "stop_at reached",
        "event limit reached", "bugcheck", "scenario error", "expectation failed", "interrupted",
        "trace write error", "internal invariant violated",
    };
    return (unsigned)r < G_N_ELEMENTS(names) ? names[r] : "?";
}

void ke_trace(KMACHINE *m, int kind, int32_t cpu, int32_t thread, int32_t obj,
              int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, const char *text)
{
    m->rows++;
    if (m->tracing) {
        KTRACE_RECORD r = {
            .t = m->now, .kind = kind, .cpu = cpu, .thread = thread, .obj = obj,
            .a = a, .b = b, .c = c, .d = d, .e = e, .text = text,
        };
        m->sink.emit(m->sink.ctx, &r);
    }
    if (m->row_hook)
        m->row_hook(m->row_hook_ctx, m, m->rows);
}

static void ki_note_mark(KMARK_NOTE *n, KMACHINE *m, int cpu, int32_t thread, const char *label)
{
    g_free(n->label);
    n->t = m->now;
    n->cpu = cpu;
    n->thread = thread;
    n->label = g_strdup(label);
}

void ke_mark(KMACHINE *m, KTHREAD *t, const char *label)
{
    KPRCB *c = m->running_cpu;
    ke_trace(m, TR_MARK, c->number, t->id, -1, c->irql, t->mode, 0, 0, 0, label);
    KSTATS *s = &m->stats;
    if (s->marks < KE_MARKS_KEPT)
        ki_note_mark(&s->first[s->marks], m, c->number, t->id, label);
    else
        ki_note_mark(&s->last[s->marks % KE_MARKS_KEPT], m, c->number, t->id, label);
    s->marks++;
}

void ke_trace_name(KMACHINE *m, const char *what, int32_t id, const char *name)
{
    if (m->sink.name)
        m->sink.name(m->sink.ctx, what, id, name);
}

void ke_trace_field(KMACHINE *m, KTHREAD *t, KTHREAD_FIELD f, int64_t old_v, int64_t new_v)
{
    if (old_v == new_v)
        return;
    ke_trace(m, TR_FIELD, t->state == Running ? t->cpu : -1, t->id, -1, f, old_v, new_v, 0, 0, NULL);
}

sim_time_t ke_now(const KMACHINE *m) { return m->now; }

void ke_fail(KMACHINE *m, KSTOP_REASON why, const char *fmt, ...)
{
    if (ke_stopping(m))
        return;
    va_list ap;
    va_start(ap, fmt);
    g_free(m->stop_message);
    m->stop_message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    m->stop = why;
    if (why == StopExpectFailed)
        ke_trace(m, TR_EXPECT_FAIL, m->running_cpu ? m->running_cpu->number : -1,
                 m->running ? m->running->id : -1, -1, 0, 0, 0, 0, 0, m->stop_message);
}

void ke_machine_interrupt(KMACHINE *m)
{
    m->interrupted = 1;
}

KMACHINE *ke_machine_new(const KCONFIG *cfg, KTRACE_SINK sink, KRUNNER runner)
{
    KMACHINE *m = g_new0(KMACHINE, 1);
    m->cfg = *cfg;
    g_assert(cfg->cpus >= 1 && cfg->cpus <= KE_MAX_CPUS);
    m->ncpus = cfg->cpus;
    m->q = sim_queue_new();
    sim_rand_seed(&m->rng, cfg->seed);
    m->sink = sink;
    m->tracing = sink.emit != NULL;
    m->runner = runner;
    m->threads = g_ptr_array_new();
    m->objects = g_ptr_array_new();
    m->by_id = g_ptr_array_new();
    m->processes = g_ptr_array_new();
    m->apcs = g_ptr_array_new();
    m->apc_by_id = g_ptr_array_new();
    m->thread_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    m->dpcs = g_ptr_array_new();
    m->irps = g_ptr_array_new();
    m->stack_states = g_ptr_array_new_with_free_func(g_free);
    m->sched = g_ptr_array_new_with_free_func(g_free);
    m->next_id = 1;
    m->next_apc_id = 1;
    g_queue_init(&m->expired_timers);

    ke_trace(m, TR_RUN_BEGIN, -1, -1, -1, cfg->cpus, (int64_t)cfg->seed, cfg->clock_tick, cfg->quantum,
             cfg->context_switch_cost, ke_profile_name(cfg->profile));
    m->system_process = ke_process_create(m, "System");
    m->system_process->system = true;
    for (int i = 0; i < m->ncpus; i++) {
        KPRCB *c = &m->cpu[i];
        c->number = i;
        c->irql = PASSIVE_LEVEL;
        g_queue_init(&c->dpc_queue);
        for (int p = 0; p < KE_MAXIMUM_PRIORITY; p++)
            g_queue_init(&c->ready[p]);
        char name[32];
        snprintf(name, sizeof name, "Idle/%d", i);
        KTHREAD_PARAMS tp = { .name = name, .process = m->system_process, .priority = 0,
                              .affinity = (uint64_t)1 << i, .system = true, .idle = true };
        KTHREAD *idle = ke_thread_create(m, &tp);
        c->idle = idle;
        c->current = idle;
        c->halted = true;           /* idle until its first kick */
        idle->cpu = i;
        ki_set_state(m, idle, Running);
    }
    return m;
}

void ke_machine_free(KMACHINE *m)
{
    if (!m)
        return;
    for (int i = 0; i < KE_MARKS_KEPT; i++) {
        g_free(m->stats.first[i].label);
        g_free(m->stats.last[i].label);
    }
    for (guint i = 0; i < m->threads->len; i++) {
        KTHREAD *t = m->threads->pdata[i];
        while (t->nframes)
            ke_pop_frame(m, t, 0);
        g_free(t->frames);
        for (int w = 0; w < t->wait_pool_cap; w++) {
            KWAIT *rec = t->wait_pool[w];
            if (rec && rec->objects != rec->objects_inline) {
                g_free(rec->objects);
                g_free(rec->blocks);
            }
            g_free(rec);
        }
        g_free(t->wait_pool);
        g_free(t->header.name);
        g_free(t);
    }
    for (guint i = 0; i < m->objects->len; i++) {
        DISPATCHER_HEADER *h = m->objects->pdata[i];
        g_free(h->name);
        g_free(h);
    }
    for (guint i = 0; i < m->processes->len; i++) {
        KPROCESS *p = m->processes->pdata[i];
        g_free(p->name);
        g_free(p);
    }
    for (guint i = 0; i < m->apcs->len; i++) {
        KAPC *a = m->apcs->pdata[i];
        g_free(a->name);
        g_free(a);
    }
    for (guint i = 0; i < m->dpcs->len; i++) {
        KDPC *d = m->dpcs->pdata[i];
        g_free(d->name);
        g_free(d);
    }
    g_ptr_array_free(m->threads, TRUE);
    g_ptr_array_free(m->objects, TRUE);
    g_ptr_array_free(m->by_id, TRUE);
    g_ptr_array_free(m->processes, TRUE);
    for (guint i = 0; i < m->irps->len; i++) {
        KIRP *irp = m->irps->pdata[i];
        g_free(irp->name);
        g_free(irp);
    }
    g_ptr_array_free(m->irps, TRUE);
    g_ptr_array_free(m->stack_states, TRUE);
    g_ptr_array_free(m->apcs, TRUE);
    g_ptr_array_free(m->apc_by_id, TRUE);
    g_hash_table_destroy(m->thread_by_name);
    g_ptr_array_free(m->dpcs, TRUE);
    g_ptr_array_free(m->sched, TRUE);
    sim_queue_free(m->q);
    g_free(m->stop_message);
    g_free(m->expected_bugcheck);
    g_free(m);
}

void ke_schedule_dpc(KMACHINE *m, sim_time_t t, int cpu, KCODE code, sim_time_t period, int64_t count,
                     const char *name)
{
    g_assert(cpu >= 0 && cpu < m->ncpus);
    KSCHED *s = g_new0(KSCHED, 1);
    s->dpc = ke_dpc_create(m, name, code);
    s->dpc->once = period == 0;
    s->cpu = cpu;
    s->period = period;
    s->count = period == 0 ? 1 : count;
    g_ptr_array_add(m->sched, s);
    if (s->count != 0) {
        if (s->count > 0)
            m->pending_scheduled++;
        sim_queue_push(m->q, t < m->now ? m->now : t, EV_DPC_AT, cpu, (int64_t)m->sched->len - 1);
    }
}

/* A scenario DPC is due: queue it on its CPU (R10) and re-arm a periodic one.
 * pending_scheduled counts the queued engine events of finite schedules. */
static void ki_fire_scheduled(KMACHINE *m, int64_t index)
{
    KSCHED *s = m->sched->pdata[index];
    bool finite = s->count > 0;
    if (finite) {
        s->count--;
        m->pending_scheduled--;
    }
    /* A KDPC is queued at most once: if the previous period's DPC has not
     * run yet, KeInsertQueueDpc returns FALSE and this period is lost. */
    KeInsertQueueDpc(m, s->dpc, s->cpu);
    if (s->period > 0 && s->count != 0) {
        if (finite)
            m->pending_scheduled++;
        sim_queue_push(m->q, m->now + s->period, EV_DPC_AT, s->cpu, index);
    }
}

static bool ki_all_cpus_idle(KMACHINE *m)
{
    for (int i = 0; i < m->ncpus; i++) {
        KPRCB *c = &m->cpu[i];
        if (!c->halted || c->computing || c->current != c->idle || c->swint || c->next)
            return false;
    }
    return true;
}

static void ki_handle_event(KMACHINE *m, const SimEvent *ev)
{
    switch (ev->kind) {
    case EV_COMPUTE_DONE: {
        KPRCB *c = &m->cpu[ev->a];
        if (!c->computing || c->compute_event != ev->handle)
            return;
        KTHREAD *t = c->current;
        KFRAME *f = ke_top_frame(t);
        t->cpu_time += m->now - c->compute_start;
        if (t != c->idle)
            c->busy_time += m->now - c->compute_start;
        f->compute_left = 0;
        c->computing = false;
        c->compute_event = 0;
        ki_cpu_run(m, c);
        break;
    }
    case EV_CPU_KICK: {
        KPRCB *c = &m->cpu[ev->a];
        if (ki_swint_deliverable(c) || (c->halted && c->current == c->idle)) {
            ki_cpu_stop_compute(m, c);
            c->halted = false;
            ki_cpu_run(m, c);
        }
        break;
    }
    case EV_CPU_RESUME: {
        /* A yielded CPU goes on once nothing else is due at this instant -
         * including what this instant's events push (the kick that runs a
         * DPC another event queued); other yielded CPUs do not hold it. */
        SimEvent next;
        if (sim_queue_peek(m->q, &next) && next.t == m->now && next.kind != EV_CPU_RESUME) {
            sim_queue_push(m->q, m->now, EV_CPU_RESUME, ev->a, 0);
            break;
        }
        ki_cpu_run(m, &m->cpu[ev->a]);
        break;
    }
    case EV_TIMER: {
        DISPATCHER_HEADER *h = NULL;
        KTIMER *tm;
        if (ev->b < 0) {
            KTHREAD *t = (KTHREAD *)ke_object_by_id(m, (int32_t)-ev->b);
            tm = &t->wait_timer;
        } else {
            h = ke_object_by_id(m, (int32_t)ev->b);
            tm = (KTIMER *)h;
        }
        if (!tm->inserted || tm->event != ev->handle)
            return;
        tm->event = 0;
        /* Timer expiry is processed by the timer DPC on CPU 0 (R10: expired
         * timers are retired before the DPC queue). */
        g_queue_push_tail_link(&m->expired_timers, &tm->expired_link);
        ki_request_software_interrupt(m, &m->cpu[0], DISPATCH_LEVEL);
        ki_cpu_kick(m, &m->cpu[0]);
        break;
    }
    case EV_DPC_AT:
        ki_fire_scheduled(m, ev->b);
        break;
    case EV_THREAD_START: {
        KTHREAD *t = (KTHREAD *)ke_object_by_id(m, (int32_t)ev->b);
        m->pending_starts--;
        ki_ready_thread(m, t);
        break;
    }
    case EV_TICK:
        ki_clock_tick(m);
        m->tick_event = sim_queue_push(m->q, m->now + m->cfg.clock_tick, EV_TICK, 0, 0);
        break;
    default:
        g_assert_not_reached();
    }
}

KSTOP_REASON ke_machine_run(KMACHINE *m)
{
    g_assert(!m->started);
    m->started = true;
    m->tick_event = sim_queue_push(m->q, m->cfg.clock_tick, EV_TICK, 0, 0);
    for (int i = 0; i < m->ncpus; i++)
        sim_queue_push(m->q, 0, EV_CPU_KICK, i, 0);
    bool any_thread = m->live_threads > 0 || m->pending_starts > 0;

    SimEvent ev;
    while (!ke_stopping(m)) {
        if (m->interrupted || (m->interrupt_flag && *m->interrupt_flag)) {
            m->stop = StopInterrupted;
            break;
        }
        if (m->pending_starts == 0 && m->pending_scheduled == 0 && ki_all_cpus_idle(m)) {
            if (any_thread && m->live_threads == 0) {
                m->stop = StopAllTerminated;     /* every thread ended; infinite every() do not count */
                break;
            }
            if (sim_queue_len(m->q) == 1 && sim_queue_pending(m->q, m->tick_event)) {
                m->stop = StopNothingToDo;       /* only the clock is left: nothing can ever happen */
                break;
            }
        }
        if (!sim_queue_pop(m->q, &ev)) {
            m->stop = StopNothingToDo;
            break;
        }
        if (ev.t > m->cfg.stop_at) {
            m->now = m->cfg.stop_at;
            m->stop = StopAtTime;
            break;
        }
        assert(ev.t >= m->now && "the clock never goes backwards");
        /* --max-events N: N events are handled; the next one is not, and
         * the clock stays at the last one handled */
        if (ev.kind != EV_TICK && m->cfg.max_events > 0 && m->events >= m->cfg.max_events) {
            m->stop = StopMaxEvents;
            break;
        }
        if (ev.t > m->now) {
            m->now = ev.t;
            m->zero_steps = 0;
        }
        if (ev.kind != EV_TICK) {
            m->events++;
            if ((m->events & 0xFFFF) == 0 && m->progress)
                m->progress(m->progress_ctx, m);
        }
        int64_t rows_before = m->rows;
        ki_handle_event(m, &ev);
        ke_maybe_check_invariants(m, rows_before);
    }
    /* Account for computations cut short by the stop. */
    for (int i = 0; i < m->ncpus; i++)
        ki_cpu_stop_compute(m, &m->cpu[i]);
    ke_trace(m, TR_RUN_END, -1, -1, -1, m->stop, m->events, 0, 0, 0, ke_stop_reason_name(m->stop));
    return m->stop;
}
