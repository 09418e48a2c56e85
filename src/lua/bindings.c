/*
 * bindings.c - the scenario API of SCENARIO_API.md section 1 (the C part;
 * lua/nt.lua and lua/win32.lua build the Nt* and Win32 layers on it).
 *
 * Every binding validates its arguments before it changes anything (a
 * luaL_error must not leave the kernel half-updated), checks the calling
 * context (Ke* routines from kernel mode inside simulated code), calls the
 * kernel, and ends with rt_finish(): if the kernel now needs the CPU loop (a
 * frame was pushed, a software interrupt became deliverable, a switch is
 * pending) the coroutine yields and the results are pushed by the
 * continuation when it is resumed; otherwise they are pushed at once.
 */
#include "lua/rt_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace/store.h"      /* trace_parse_time: the command line's time syntax */

static struct KAPC *rt_apc_of(lua_State *L, int idx);

/* ---- small helpers --------------------------------------------------------- */

/* Times are bounded so that "now + t" can never overflow (2^62 ns is about
 * 146 years of simulated time). */
#define RT_MAX_TIME ((int64_t)1 << 62)

static int64_t rt_checktime(lua_State *L, int idx, const char *what)
{
    if (lua_isinteger(L, idx)) {
        lua_Integer v = lua_tointeger(L, idx);
        if (v > RT_MAX_TIME || v < -RT_MAX_TIME)
            rt_error(L, "%s: time %lld ns is out of range (at most 2^62 ns)", what, (long long)v);
        return v;
    }
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double d = lua_tonumber(L, idx);
        if (!isfinite(d) || d > (double)RT_MAX_TIME || d < -(double)RT_MAX_TIME)
            rt_error(L, "%s: time %g ns is out of range (finite, at most 2^62 ns)", what, d);
        return (int64_t)llround(d);
    }
    rt_error(L, "%s: expected a time in ns (integer), got %s", what, luaL_typename(L, idx));
    return 0;
}

static int64_t rt_opttime(lua_State *L, int idx, int64_t def, const char *what)
{
    return lua_isnoneornil(L, idx) ? def : rt_checktime(L, idx, what);
}

/* The value at idx as option k of a table: def if nil; an error if of the wrong type. */
static const char *rt_value_string(lua_State *L, int idx, const char *k, const char *def)
{
    if (lua_isnil(L, idx))
        return def;
    if (lua_type(L, idx) != LUA_TSTRING)
        rt_error(L, "field '%s' must be a string, got %s", k, luaL_typename(L, idx));
    return lua_tostring(L, idx);
}

static int64_t rt_value_int(lua_State *L, int idx, const char *k, int64_t def)
{
    if (lua_isnil(L, idx))
        return def;
    if (!lua_isinteger(L, idx))
        rt_error(L, "field '%s' must be an integer, got %s", k,
                 lua_type(L, idx) == LUA_TNUMBER ? "a float" : luaL_typename(L, idx));
    return lua_tointeger(L, idx);
}

/* Kernel objects live on the C side, outside the Lua allocator; what they
 * cost is charged to --memory-limit too, before they are created, so that a
 * scenario creating millions of threads or APCs stops at the cap. */
static void rt_charge(lua_State *L, size_t bytes)
{
    LuaRuntime *rt = rt_get(L);
    if (rt->mem_used + bytes > rt->mem_limit) {
        rt->mem_exceeded = true;
        rt_error(L, "memory limit exceeded (%zu MiB of kernel objects and Lua data; raise it with --memory-limit)",
                 rt->mem_limit >> 20);
    }
    rt->mem_used += bytes;
}

static const char *rt_field_string(lua_State *L, int t, const char *k, const char *def)
{
    lua_getfield(L, t, k);
    const char *s = rt_value_string(L, -1, k, def);
    lua_pop(L, 1);      /* strings stay alive: the table holds them */
    return s;
}

static int64_t rt_field_int(lua_State *L, int t, const char *k, int64_t def)
{
    lua_getfield(L, t, k);
    int64_t v = rt_value_int(L, -1, k, def);
    lua_pop(L, 1);
    return v;
}

static int64_t rt_field_time(lua_State *L, int t, const char *k, int64_t def)
{
    lua_getfield(L, t, k);
    int64_t v = lua_isnil(L, -1) ? def : rt_checktime(L, -1, k);
    lua_pop(L, 1);
    return v;
}

static bool rt_field_bool(lua_State *L, int t, const char *k, bool def)
{
    lua_getfield(L, t, k);
    bool v = def;
    if (!lua_isnil(L, -1)) {
        if (!lua_isboolean(L, -1))
            rt_error(L, "field '%s' must be a boolean, got %s", k, luaL_typename(L, -1));
        v = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

/* Reject unknown fields: a typo in a table constructor is a scenario error. */
/*
 * The interned copies of a constructor's field names, for rt_check_fields:
 * Lua interns short strings, so a key equal to an allowed name is the same
 * pointer as the interned copy, and most keys are accepted without strcmp.
 * The copies are kept alive in the registry table "apcsim.fieldnames".
 */
typedef struct {
    const char *const *allowed;     /* the static list this entry is for */
    const char *interned[16];
    int n;
} RtFieldNames;

static const RtFieldNames *rt_field_names(lua_State *L, const char *const *allowed)
{
    LuaRuntime *rt = rt_get(L);
    if (!rt->field_names)               /* per runtime: the copies live in its Lua state */
        rt->field_names = g_new0(RtFieldNames, RT_FIELD_NAME_LISTS);
    RtFieldNames *cache = rt->field_names;
    int i;
    for (i = 0; i < RT_FIELD_NAME_LISTS && cache[i].allowed; i++)
        if (cache[i].allowed == allowed)
            return &cache[i];
    if (i == RT_FIELD_NAME_LISTS)
        return NULL;
    if (lua_getfield(L, LUA_REGISTRYINDEX, "apcsim.fieldnames") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "apcsim.fieldnames");
    }
    RtFieldNames *fn = &cache[i];
    for (const char *const *a = allowed; *a && fn->n < (int)G_N_ELEMENTS(fn->interned); a++) {
        lua_pushstring(L, *a);
        fn->interned[fn->n++] = lua_tostring(L, -1);
        lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    }
    lua_pop(L, 1);
    fn->allowed = allowed;
    return fn;
}

/* The position of key k in allowed, or -1 (interned pointers first, then strcmp). */
static int rt_field_index(const RtFieldNames *fn, const char *const *allowed, const char *k)
{
    for (int i = 0; fn && i < fn->n; i++)
        if (k == fn->interned[i])
            return i;
    for (int i = 0; allowed[i]; i++)
        if (strcmp(allowed[i], k) == 0)
            return i;
    return -1;
}

/* The key lua_next left at -2 (value at -1), checked: its position in allowed. */
static int rt_next_field(lua_State *L, const RtFieldNames *fn, const char *ctor, const char *const *allowed)
{
    if (lua_type(L, -2) != LUA_TSTRING)
        rt_error(L, "%s{}: unexpected positional value", ctor);
    const char *k = lua_tostring(L, -2);
    int i = rt_field_index(fn, allowed, k);
    if (i < 0)
        rt_error(L, "%s{}: unknown field '%s'", ctor, k);
    return i;
}

static void rt_check_fields(lua_State *L, int t, const char *ctor, const char *const *allowed)
{
    const RtFieldNames *fn = rt_field_names(L, allowed);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        rt_next_field(L, fn, ctor, allowed);
        lua_pop(L, 1);
    }
}

/*
 * rt_check_fields and the reads of every field in one pass over the table at
 * t (for the calls a scenario makes per event: KeInitializeApc, at): pushes
 * one value per name of allowed, in its order (nil where the table has none),
 * and returns the stack index of the first.
 */
static int rt_read_fields(lua_State *L, int t, const char *ctor, const char *const *allowed)
{
    const RtFieldNames *fn = rt_field_names(L, allowed);
    int n = 0;
    while (allowed[n])
        n++;
    luaL_checkstack(L, n + 3, ctor);
    int base = lua_gettop(L) + 1;
    for (int i = 0; i < n; i++)
        lua_pushnil(L);
    lua_pushnil(L);
    while (lua_next(L, t))
        lua_replace(L, base + rt_next_field(L, fn, ctor, allowed));
    return base;
}

static void rt_push_status(lua_State *L, NTSTATUS st)
{
    const char *n = nt_status_name(st);
    if (n)
        lua_pushstring(L, n);
    else
        lua_pushfstring(L, "0x%08X", (unsigned)st);
}

static KPROCESSOR_MODE rt_check_mode(lua_State *L, int idx, KPROCESSOR_MODE def)
{
    if (lua_isnoneornil(L, idx))
        return def;
    const char *s = luaL_checkstring(L, idx);
    if (strcmp(s, "KernelMode") == 0)
        return KernelMode;
    if (strcmp(s, "UserMode") == 0)
        return UserMode;
    rt_error(L, "mode must be \"KernelMode\" or \"UserMode\", got \"%s\"", s);
    return KernelMode;
}

KTHREAD *rt_require_context(lua_State *L, const char *fn)
{
    LuaRuntime *rt = rt_get(L);
    if (rt->in_setup || !rt->m || !rt->m->running) {
        rt_error(L, "%s must be called from simulated code (a thread body, a routine or an at() callback), "
                    "not while the scenario is being set up", fn);
    }
    if (L != rt->current_co)
        rt_error(L, "%s: kernel calls cannot be made from inside a coroutine the scenario created", fn);
    return rt->m->running;
}

static KTHREAD *rt_require_kernel(lua_State *L, const char *fn)
{
    KTHREAD *t = rt_require_context(L, fn);
    if (t->mode != KernelMode)
        rt_error(L, "%s called from user mode (use syscall(), an Nt* service or a Win32 function)", fn);
    return t;
}

/* A bugcheck or expectation failure stopped the run: unwind the coroutine. */
static int rt_stopped(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    lua_pushstring(L, rt->m && rt->m->stop_message ? rt->m->stop_message : "run stopped");
    return lua_error(L);
}

int rt_finish(lua_State *L, lua_KContext ctx, lua_KFunction k)
{
    LuaRuntime *rt = rt_get(L);
    KMACHINE *m = rt->m;
    if (m && ke_stopping(m))
        return rt_stopped(L);
    if (m && m->running && ke_needs_yield(m)) {
        rt->yield_kind = YIELD_KCALL;
        return lua_yieldk(L, 0, ctx, k);
    }
    return k(L, LUA_OK, ctx);
}

static int k_none(lua_State *L, int st, lua_KContext ctx)
{
    (void)st; (void)ctx;
    LuaRuntime *rt = rt_get(L);
    if (rt->m && ke_stopping(rt->m))
        return rt_stopped(L);
    return 0;
}

static int k_int(lua_State *L, int st, lua_KContext ctx)
{
    (void)st;
    LuaRuntime *rt = rt_get(L);
    if (rt->m && ke_stopping(rt->m))
        return rt_stopped(L);
    lua_pushinteger(L, (lua_Integer)ctx);
    return 1;
}

static int k_bool(lua_State *L, int st, lua_KContext ctx)
{
    (void)st;
    LuaRuntime *rt = rt_get(L);
    if (rt->m && ke_stopping(rt->m))
        return rt_stopped(L);
    lua_pushboolean(L, ctx != 0);
    return 1;
}

/* The status of a wait; ctx != 0 for object waits, where 0 is STATUS_WAIT_0
 * (delays return STATUS_SUCCESS, W8). */
static int k_status(lua_State *L, int st, lua_KContext ctx)
{
    (void)st;
    LuaRuntime *rt = rt_get(L);
    if (ke_stopping(rt->m))
        return rt_stopped(L);
    NTSTATUS s = (NTSTATUS)rt->m->running->frame_result;
    if (ctx && s == STATUS_WAIT_0)
        lua_pushstring(L, "STATUS_WAIT_0");
    else
        rt_push_status(L, s);
    return 1;
}

/* A signal with Wait = TRUE keeps the dispatcher lock for the wait that must
 * follow (no yield, no preemption in between); otherwise finish normally. */
static int rt_signal_finish(lua_State *L, int32_t old, bool wait)
{
    if (wait) {
        ki_wait_next_begin(rt_get(L)->m);
        lua_pushinteger(L, old);
        return 1;
    }
    return rt_finish(L, old, k_int);
}

/* The thread of thread handle h (at stack index idx), which may not be an idle thread. */
static KTHREAD *rt_thread_of_handle(lua_State *L, RtHandle *h, int idx)
{
    KTHREAD *t = (KTHREAD *)ke_object_by_id(rt_get(L)->m, h->id);
    if (t->idle)
        rt_error(L, "argument #%d: %s is a CPU's idle thread, which takes no APCs, alerts, suspensions or "
                    "terminations (an at() callback runs in whatever thread its CPU runs)", idx, t->header.name);
    return t;
}

static KTHREAD *rt_thread_of(lua_State *L, int idx)
{
    return rt_thread_of_handle(L, rt_check_handle(L, idx, H_THREAD, "a thread"), idx);
}

static DISPATCHER_HEADER *rt_waitable(lua_State *L, int idx)
{
    RtHandle *h = rt_test_handle(L, idx);
    if (!h || h->kind == H_PROCESS || h->kind == H_APC || h->kind == H_IRP || h->kind == H_STACKSTATE)
        rt_error(L, "argument #%d: expected a dispatcher object (event, semaphore, mutex, mutant, timer, thread), "
                    "got %s", idx, h ? "a non-waitable handle" : luaL_typename(L, idx));
    return ke_object_by_id(rt_get(L)->m, h->id);
}

/* ---- time ------------------------------------------------------------------- */

static int l_time_scale(lua_State *L, int64_t scale)
{
    if (lua_isinteger(L, 1)) {
        lua_Integer v = lua_tointeger(L, 1);
        if (v > RT_MAX_TIME / scale || v < -RT_MAX_TIME / scale)
            return rt_error(L, "time %lld x %lld ns is out of range (at most 2^62 ns)", (long long)v, (long long)scale);
        lua_pushinteger(L, v * scale);
        return 1;
    }
    double d = luaL_checknumber(L, 1) * (double)scale;
    if (!isfinite(d) || d > (double)RT_MAX_TIME || d < -(double)RT_MAX_TIME)
        return rt_error(L, "time %g ns is out of range (at most 2^62 ns)", d);
    lua_pushinteger(L, (lua_Integer)llround(d));
    return 1;
}
static int l_ns(lua_State *L) { return l_time_scale(L, 1); }
static int l_us(lua_State *L) { return l_time_scale(L, 1000); }
static int l_ms(lua_State *L) { return l_time_scale(L, 1000000); }
static int l_sec(lua_State *L) { return l_time_scale(L, 1000000000); }

/* ---- machine and objects ---------------------------------------------------- */

static int l_machine(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const allowed[] = { "cpus", "profile", "seed", "clock_tick", "quantum",
                                           "context_switch_cost", "stop_at", "timer_resolution", NULL };
    rt_check_fields(L, 1, "machine", allowed);
    if (rt->m)
        return rt_error(L, "machine{} must come before any process, thread, object or at()");
    if (rt->machine_configured)
        return rt_error(L, "machine{} may be called only once");
    int64_t cpus = rt_field_int(L, 1, "cpus", 1);
    if (cpus < 1 || cpus > KE_MAX_CPUS)
        return rt_error(L, "machine{cpus=%lld}: must be 1..%d", (long long)cpus, KE_MAX_CPUS);
    rt->cfg.cpus = (int)cpus;
    const char *prof = rt_field_string(L, 1, "profile", "nt52");
    int p = ke_profile_from_name(prof);
    if (p < 0)
        return rt_error(L, "machine{profile=\"%s\"}: unknown profile (nt52, reactos, win10)", prof);
    rt->cfg.profile = (KPROFILE)p;
    rt->cfg.seed = (uint64_t)rt_field_int(L, 1, "seed", 1);
    rt->cfg.clock_tick = rt_field_time(L, 1, "clock_tick", rt->cfg.clock_tick);
    if (rt->cfg.clock_tick <= 0)
        return rt_error(L, "machine{clock_tick}: must be > 0");
    int64_t q = rt_field_int(L, 1, "quantum", rt->cfg.quantum);
    if (q < 1 || q > 120)
        return rt_error(L, "machine{quantum}: must be 1..120 units");
    rt->cfg.quantum = (int)q;
    rt->cfg.context_switch_cost = rt_field_time(L, 1, "context_switch_cost", 0);
    if (rt->cfg.context_switch_cost < 0)
        return rt_error(L, "machine{context_switch_cost}: must be >= 0");
    lua_getfield(L, 1, "stop_at");
    bool has_stop = !lua_isnil(L, -1);
    lua_pop(L, 1);
    rt->cfg.stop_at = has_stop ? rt_field_time(L, 1, "stop_at", 0) : SIM_TIME_NEVER;
    if (rt->cfg.stop_at < 0)
        return rt_error(L, "machine{stop_at}: must be >= 0");
    const char *res = rt_field_string(L, 1, "timer_resolution", "exact");
    if (strcmp(res, "tick") == 0)
        rt->cfg.timer_resolution_tick = true;
    else if (strcmp(res, "exact") != 0)
        return rt_error(L, "machine{timer_resolution=\"%s\"}: \"exact\" or \"tick\"", res);
    rt->machine_configured = true;
    return 0;
}

static int l_process(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const allowed[] = { "name", NULL };
    rt_check_fields(L, 1, "process", allowed);
    const char *name = rt_field_string(L, 1, "name", NULL);
    if (!name)
        return rt_error(L, "process{}: a name is required");
    rt_charge(L, sizeof(KPROCESS) + 256);
    KPROCESS *p = ke_process_create(rt_machine(rt), name);
    rt_push_handle(L, H_PROCESS, p->id);
    return 1;
}

static KPROCESS *rt_process_of(lua_State *L, int idx)
{
    RtHandle *h = rt_check_handle(L, idx, H_PROCESS, "a process");
    KMACHINE *m = rt_get(L)->m;
    for (guint i = 0; i < m->processes->len; i++) {
        KPROCESS *p = m->processes->pdata[i];
        if (p->id == h->id)
            return p;
    }
    rt_error(L, "unknown process");
    return NULL;
}

static int l_thread(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const allowed[] = { "name", "process", "priority", "affinity", "system", "start_at",
                                           "suspended", "body", NULL };
    rt_check_fields(L, 1, "thread", allowed);
    KMACHINE *m = rt_machine(rt);
    KTHREAD_PARAMS p = { 0 };
    char namebuf[32];
    p.name = rt_field_string(L, 1, "name", NULL);
    if (!p.name) {
        snprintf(namebuf, sizeof namebuf, "thread%u", m->threads->len - (guint)m->ncpus + 1);
        p.name = namebuf;
    }
    if (ke_thread_by_name(m, p.name))
        return rt_error(L, "thread{}: a thread named '%s' exists already", p.name);
    p.system = rt_field_bool(L, 1, "system", false);
    lua_getfield(L, 1, "process");
    if (!lua_isnil(L, -1))
        p.process = rt_process_of(L, lua_gettop(L));
    lua_pop(L, 1);
    if (!p.process) {
        if (p.system) {
            p.process = m->system_process;
        } else {
            /* user threads without a process share one default process */
            lua_getfield(L, LUA_REGISTRYINDEX, "apcsim.default_process");
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                KPROCESS *dp = ke_process_create(m, "user.exe");
                rt_push_handle(L, H_PROCESS, dp->id);
                lua_setfield(L, LUA_REGISTRYINDEX, "apcsim.default_process");
                p.process = dp;
            } else {
                p.process = rt_process_of(L, lua_gettop(L));
                lua_pop(L, 1);
            }
        }
    }
    int64_t prio = rt_field_int(L, 1, "priority", 8);
    if (prio < 1 || prio > 31)
        return rt_error(L, "thread{priority=%lld}: must be 1..31", (long long)prio);
    p.priority = (int)prio;
    int64_t aff = rt_field_int(L, 1, "affinity", 0);
    uint64_t all = m->ncpus == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m->ncpus) - 1);
    if (aff != 0 && ((uint64_t)aff & all) == 0)
        return rt_error(L, "thread{affinity=0x%llx}: no CPU of this machine (%d CPUs) in the mask",
                        (unsigned long long)aff, m->ncpus);
    p.affinity = (uint64_t)aff;
    p.start_at = rt_field_time(L, 1, "start_at", 0);
    if (p.start_at < 0)
        return rt_error(L, "thread{start_at}: must be >= 0");
    p.suspended = rt_field_bool(L, 1, "suspended", false);
    lua_getfield(L, 1, "body");
    if (!lua_isfunction(L, -1))
        return rt_error(L, "thread{}: 'body' must be a function");
    p.body.ref = rt_ref(L, -1);
    lua_pop(L, 1);
    rt_charge(L, sizeof(KTHREAD) + 512);      /* frames, name, wait blocks */
    KTHREAD *t = ke_thread_create(m, &p);
    rt_push_handle(L, H_THREAD, t->id);
    return 1;
}

static int l_event(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    if (lua_isnoneornil(L, 1))
        lua_newtable(L), lua_replace(L, 1);
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const allowed[] = { "name", "type", "signaled", NULL };
    rt_check_fields(L, 1, "event", allowed);
    const char *name = rt_field_string(L, 1, "name", "event");
    const char *type = rt_field_string(L, 1, "type", "notification");
    bool notif;
    if (strcmp(type, "notification") == 0)
        notif = true;
    else if (strcmp(type, "synchronization") == 0)
        notif = false;
    else
        return rt_error(L, "event{type=\"%s\"}: \"notification\" or \"synchronization\"", type);
    bool sig = rt_field_bool(L, 1, "signaled", false);
    rt_charge(L, sizeof(KEVENT) + 128);
    KEVENT *e = ke_event_create(rt_machine(rt), name, notif, sig);
    rt_push_handle(L, H_EVENT, e->header.id);
    return 1;
}

static int l_semaphore(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const allowed[] = { "name", "count", "limit", NULL };
    rt_check_fields(L, 1, "semaphore", allowed);
    const char *name = rt_field_string(L, 1, "name", "semaphore");
    int64_t count = rt_field_int(L, 1, "count", 0);
    int64_t limit = rt_field_int(L, 1, "limit", count > 0 ? count : 1);
    if (limit < 1 || count < 0 || count > limit || limit > INT32_MAX)
        return rt_error(L, "semaphore{}: need 0 <= count <= limit, limit >= 1");
    rt_charge(L, sizeof(KSEMAPHORE) + 128);
    KSEMAPHORE *s = ke_semaphore_create(rt_machine(rt), name, (int32_t)count, (int32_t)limit);
    rt_push_handle(L, H_SEMAPHORE, s->header.id);
    return 1;
}

static int l_mutex_common(lua_State *L, bool kmutex)
{
    LuaRuntime *rt = rt_get(L);
    if (lua_isnoneornil(L, 1))
        lua_newtable(L), lua_replace(L, 1);
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const allowed[] = { "name", NULL };
    rt_check_fields(L, 1, kmutex ? "mutex" : "mutant", allowed);
    const char *name = rt_field_string(L, 1, "name", kmutex ? "mutex" : "mutant");
    rt_charge(L, sizeof(KMUTANT) + 128);
    KMUTANT *mu = ke_mutant_create(rt_machine(rt), name, kmutex);
    rt_push_handle(L, kmutex ? H_MUTEX : H_MUTANT, mu->header.id);
    return 1;
}
static int l_mutex(lua_State *L) { return l_mutex_common(L, true); }
static int l_mutant(lua_State *L) { return l_mutex_common(L, false); }

static int l_timer(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    if (lua_isnoneornil(L, 1))
        lua_newtable(L), lua_replace(L, 1);
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const allowed[] = { "name", "type", NULL };
    rt_check_fields(L, 1, "timer", allowed);
    const char *name = rt_field_string(L, 1, "name", "timer");
    const char *type = rt_field_string(L, 1, "type", "notification");
    if (strcmp(type, "notification") != 0 && strcmp(type, "synchronization") != 0)
        return rt_error(L, "timer{type=\"%s\"}: \"notification\" or \"synchronization\"", type);
    rt_charge(L, sizeof(KTIMER) + 128);
    KTIMER *t = ke_timer_create(rt_machine(rt), name, strcmp(type, "notification") == 0);
    rt_push_handle(L, H_TIMER, t->header.id);
    return 1;
}

/* ---- code a thread runs ----------------------------------------------------- */

static int l_compute(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    KTHREAD *t = rt_require_context(L, "compute");
    int64_t d = rt_checktime(L, 1, "compute");
    if (d < 0)
        return rt_error(L, "compute(%lld): duration must be >= 0", (long long)d);
    if (d == 0)
        return 0;
    KFRAME *f = ke_top_frame(t);
    f->compute_left = d;
    rt->yield_kind = YIELD_COMPUTE;
    return lua_yield(L, 0);
}

static int l_syscall_enter(lua_State *L)
{
    KTHREAD *t = rt_require_context(L, "syscall");
    const char *name = luaL_checkstring(L, 1);
    if (t->mode != UserMode)
        return rt_error(L, "syscall(\"%s\") from kernel mode: system calls are made from user mode", name);
    ke_syscall_enter(rt_get(L)->m, name);
    return 0;
}

static bool m_in_dpc(LuaRuntime *rt)
{
    return rt->m && rt->m->running_cpu && rt->m->running_cpu->dpc_active;
}

static int l_syscall_exit(lua_State *L)
{
    KTHREAD *t = rt_require_context(L, "syscall");
    if (t->mode != KernelMode || t->system || m_in_dpc(rt_get(L)))
        return rt_error(L, "__syscall_exit: only the system call of a user thread returns to user mode");
    ke_syscall_exit(rt_get(L)->m);
    return rt_finish(L, 0, k_none);
}

static KIRQL rt_check_irql(lua_State *L, int idx)
{
    lua_Integer v = luaL_checkinteger(L, idx);
    if (v < 0 || v > 31)
        rt_error(L, "IRQL %lld out of range 0..31", (long long)v);
    return (KIRQL)v;
}

static int l_KeRaiseIrql(lua_State *L)
{
    rt_require_kernel(L, "KeRaiseIrql");
    KIRQL n = rt_check_irql(L, 1), old;
    KeRaiseIrql(rt_get(L)->m, n, &old);
    return rt_finish(L, old, k_int);
}

static int l_KeLowerIrql(lua_State *L)
{
    rt_require_kernel(L, "KeLowerIrql");
    KIRQL n = rt_check_irql(L, 1);
    KeLowerIrql(rt_get(L)->m, n);
    return rt_finish(L, 0, k_none);
}

#define REGION_BINDING(fn)                          \
    static int l_##fn(lua_State *L)                 \
    {                                               \
        rt_require_kernel(L, #fn);                  \
        fn(rt_get(L)->m);                           \
        return rt_finish(L, 0, k_none);             \
    }
REGION_BINDING(KeEnterCriticalRegion)
REGION_BINDING(KeEnterGuardedRegion)

/* Leaving a region that was not entered would make the counter positive:
 * a scenario mistake (checked builds of NT assert), not an apcsim bug. */
static int l_KeLeaveCriticalRegion(lua_State *L)
{
    KTHREAD *t = rt_require_kernel(L, "KeLeaveCriticalRegion");
    if (t->kernel_apc_disable >= 0)
        return rt_error(L, "KeLeaveCriticalRegion without a matching KeEnterCriticalRegion (KernelApcDisable is %d)",
                        t->kernel_apc_disable);
    KeLeaveCriticalRegion(rt_get(L)->m);
    return rt_finish(L, 0, k_none);
}

static int l_KeLeaveGuardedRegion(lua_State *L)
{
    KTHREAD *t = rt_require_kernel(L, "KeLeaveGuardedRegion");
    if (t->special_apc_disable >= 0)
        return rt_error(L, "KeLeaveGuardedRegion without a matching KeEnterGuardedRegion (SpecialApcDisable is %d)",
                        t->special_apc_disable);
    KeLeaveGuardedRegion(rt_get(L)->m);
    return rt_finish(L, 0, k_none);
}

static int l_KeAreApcsDisabled(lua_State *L)
{
    rt_require_kernel(L, "KeAreApcsDisabled");
    lua_pushboolean(L, KeAreApcsDisabled(rt_get(L)->m));
    return 1;
}

static int l_KeAreAllApcsDisabled(lua_State *L)
{
    rt_require_kernel(L, "KeAreAllApcsDisabled");
    lua_pushboolean(L, KeAreAllApcsDisabled(rt_get(L)->m));
    return 1;
}

/* Wait options table: {mode, alertable, timeout, reason}. */
static void rt_wait_opts(lua_State *L, int idx, KWAIT_ARGS *a, KPROCESSOR_MODE def_mode)
{
    a->mode = def_mode;
    a->alertable = false;
    a->timeout = -1;
    a->reason = a->wait_type == WaitDelay ? DelayExecution : Executive;
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    static const char *const allowed[] = { "mode", "alertable", "timeout", "reason", NULL };
    rt_check_fields(L, idx, "wait options", allowed);
    lua_getfield(L, idx, "mode");
    a->mode = rt_check_mode(L, lua_gettop(L), def_mode);
    lua_pop(L, 1);
    a->alertable = rt_field_bool(L, idx, "alertable", false);
    lua_getfield(L, idx, "timeout");
    if (!lua_isnil(L, -1)) {
        a->timeout = rt_checktime(L, -1, "timeout");
        if (a->timeout < 0)
            rt_error(L, "timeout must be >= 0 (relative ns) or nil (infinite)");
    }
    lua_pop(L, 1);
    const char *reason = rt_field_string(L, idx, "reason", NULL);
    if (reason) {
        int r = nt_wait_reason_from_name(reason);
        if (r < 0)
            rt_error(L, "unknown wait reason \"%s\"", reason);
        a->reason = (KWAIT_REASON)r;
    }
    if (a->mode == UserMode && a->reason == Executive)
        a->reason = UserRequest;
}

static int rt_do_wait(lua_State *L, KWAIT_ARGS *a)
{
    ke_wait_begin(rt_get(L)->m, a);
    return rt_finish(L, a->wait_type != WaitDelay, k_status);
}

static int l_KeWaitForSingleObject(lua_State *L)
{
    rt_require_kernel(L, "KeWaitForSingleObject");
    DISPATCHER_HEADER *objs[1] = { rt_waitable(L, 1) };
    KWAIT_ARGS a = { .objects = objs, .count = 1, .wait_type = WaitAny };
    rt_wait_opts(L, 2, &a, KernelMode);
    return rt_do_wait(L, &a);
}

static int l_KeWaitForMultipleObjects(lua_State *L)
{
    rt_require_kernel(L, "KeWaitForMultipleObjects");
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    if (n < 1 || n > KE_MAX_WAIT_OBJECTS)
        return rt_error(L, "KeWaitForMultipleObjects: 1..%d objects, got %lld", KE_MAX_WAIT_OBJECTS, (long long)n);
    DISPATCHER_HEADER *objs[KE_MAX_WAIT_OBJECTS];
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        objs[i - 1] = rt_waitable(L, lua_gettop(L));
        lua_pop(L, 1);
    }
    const char *type = luaL_checkstring(L, 2);
    KWAIT_ARGS a = { .objects = objs, .count = (int)n };
    if (strcmp(type, "WaitAny") == 0)
        a.wait_type = WaitAny;
    else if (strcmp(type, "WaitAll") == 0)
        a.wait_type = WaitAll;
    else
        return rt_error(L, "KeWaitForMultipleObjects: wait type \"WaitAny\" or \"WaitAll\", got \"%s\"", type);
    if (a.wait_type == WaitAll)
        for (int i = 0; i < a.count; i++)
            for (int j = 0; j < i; j++)
                if (objs[i] == objs[j])
                    return rt_error(L, "KeWaitForMultipleObjects: WaitAll on the same object twice "
                                       "(STATUS_INVALID_PARAMETER_MIX)");
    rt_wait_opts(L, 3, &a, KernelMode);
    return rt_do_wait(L, &a);
}

/* A BOOLEAN argument: true, false or nil (= false); anything else is a
 * mistake in the scenario ("no" would be true for lua_toboolean). */
static bool rt_check_flag(lua_State *L, int idx, const char *fn, const char *what)
{
    if (!lua_isnoneornil(L, idx) && !lua_isboolean(L, idx))
        rt_error(L, "%s: argument #%d (%s): expected true, false or nil, got %s", fn, idx, what, rt_type_name(L, idx));
    return lua_toboolean(L, idx);
}

static int l_KeDelayExecutionThread(lua_State *L)
{
    rt_require_kernel(L, "KeDelayExecutionThread");
    KWAIT_ARGS a = { .objects = NULL, .count = 0, .wait_type = WaitDelay, .reason = DelayExecution };
    a.mode = rt_check_mode(L, 1, KernelMode);
    a.alertable = rt_check_flag(L, 2, "KeDelayExecutionThread", "alertable");
    a.timeout = rt_opttime(L, 3, -1, "interval");
    if (!lua_isnoneornil(L, 3) && a.timeout < 0)
        return rt_error(L, "KeDelayExecutionThread: interval must be >= 0 or nil");
    if (a.mode == UserMode)
        a.reason = UserRequest;
    return rt_do_wait(L, &a);
}

static KEVENT *rt_event_of(lua_State *L, int idx)
{
    RtHandle *h = rt_check_handle(L, idx, H_EVENT, "an event");
    return (KEVENT *)ke_object_by_id(rt_get(L)->m, h->id);
}

static int l_KeSetEvent(lua_State *L)
{
    rt_require_kernel(L, "KeSetEvent");
    KEVENT *e = rt_event_of(L, 1);
    int inc = (int)luaL_optinteger(L, 2, 0);
    bool wait = rt_check_flag(L, 3, "KeSetEvent", "wait");
    int32_t old = KeSetEvent(rt_get(L)->m, e, inc);
    return rt_signal_finish(L, old, wait);
}

static int l_KeResetEvent(lua_State *L)
{
    rt_require_kernel(L, "KeResetEvent");
    KEVENT *e = rt_event_of(L, 1);
    int32_t old = KeResetEvent(rt_get(L)->m, e);
    return rt_finish(L, old, k_int);
}

static int l_KePulseEvent(lua_State *L)
{
    rt_require_kernel(L, "KePulseEvent");
    KEVENT *e = rt_event_of(L, 1);
    int inc = (int)luaL_optinteger(L, 2, 0);
    int32_t old = KePulseEvent(rt_get(L)->m, e, inc);
    return rt_finish(L, old, k_int);
}

static int l_KeReleaseSemaphore(lua_State *L)
{
    rt_require_kernel(L, "KeReleaseSemaphore");
    RtHandle *h = rt_check_handle(L, 1, H_SEMAPHORE, "a semaphore");
    KSEMAPHORE *s = (KSEMAPHORE *)ke_object_by_id(rt_get(L)->m, h->id);
    int inc = (int)luaL_optinteger(L, 2, 0);
    lua_Integer n = luaL_optinteger(L, 3, 1);
    if (n < 1 || n > INT32_MAX)
        return rt_error(L, "KeReleaseSemaphore: the adjustment must be 1..%d, got %lld", INT32_MAX, (long long)n);
    NTSTATUS st;
    bool wait = rt_check_flag(L, 4, "KeReleaseSemaphore", "wait");
    int32_t old = KeReleaseSemaphore(rt_get(L)->m, s, inc, (int32_t)n, &st);
    if (st != STATUS_SUCCESS)
        return rt_error(L, "KeReleaseSemaphore(%s, n=%lld): count would exceed the limit %d "
                           "(STATUS_SEMAPHORE_LIMIT_EXCEEDED)", s->header.name, (long long)n, s->limit);
    return rt_signal_finish(L, old, wait);
}

static int rt_release_mutant(lua_State *L, const char *fn, int kind)
{
    rt_require_kernel(L, fn);
    RtHandle *h = rt_test_handle(L, 1);
    if (!h || (h->kind != H_MUTEX && h->kind != H_MUTANT))
        return rt_error(L, "%s: argument #1: expected a %s", fn, kind == H_MUTEX ? "mutex" : "mutant");
    KMUTANT *mu = (KMUTANT *)ke_object_by_id(rt_get(L)->m, h->id);
    /* NT's KeReleaseMutex has no increment: it is KeReleaseMutant(m,
     * MUTANT_INCREMENT, FALSE, Wait); an omitted one is that too (K4) */
    int inc = (int)luaL_optinteger(L, 2, KE_MUTANT_INCREMENT);
    bool wait = rt_check_flag(L, 3, fn, "wait");
    NTSTATUS st;
    int32_t old = KeReleaseMutant(rt_get(L)->m, mu, inc, false, &st);
    if (st != STATUS_SUCCESS)
        return rt_error(L, "%s(%s): the calling thread does not own it (STATUS_MUTANT_NOT_OWNED)", fn,
                        mu->header.name);
    return rt_signal_finish(L, old, wait);
}
static int l_KeReleaseMutex(lua_State *L) { return rt_release_mutant(L, "KeReleaseMutex", H_MUTEX); }
static int l_KeReleaseMutant(lua_State *L) { return rt_release_mutant(L, "KeReleaseMutant", H_MUTANT); }

static int l_KeSetTimer(lua_State *L)
{
    rt_require_kernel(L, "KeSetTimer");
    RtHandle *h = rt_check_handle(L, 1, H_TIMER, "a timer");
    KTIMER *tm = (KTIMER *)ke_object_by_id(rt_get(L)->m, h->id);
    int64_t due = rt_checktime(L, 2, "KeSetTimer due");
    int64_t period = rt_opttime(L, 3, 0, "KeSetTimer period");
    if (due < 0 || period < 0)
        return rt_error(L, "KeSetTimer: due and period must be >= 0 (relative ns)");
    KAPC *apc = lua_isnoneornil(L, 4) ? NULL : rt_apc_of(L, 4);
    if (apc && apc->apc_mode != UserMode)
        return rt_error(L, "KeSetTimer: the timer APC must be a user-mode APC");
    bool was = KeSetTimer(rt_get(L)->m, tm, due, period, apc);
    return rt_finish(L, was ? 1 : 0, k_int);      /* TRUE (1) if it was set already */
}

static int l_KeCancelTimer(lua_State *L)
{
    rt_require_kernel(L, "KeCancelTimer");
    RtHandle *h = rt_check_handle(L, 1, H_TIMER, "a timer");
    KTIMER *tm = (KTIMER *)ke_object_by_id(rt_get(L)->m, h->id);
    bool was = KeCancelTimer(rt_get(L)->m, tm);
    return rt_finish(L, was, k_bool);
}

static int l_KeSetPriorityThread(lua_State *L)
{
    rt_require_kernel(L, "KeSetPriorityThread");
    KTHREAD *t = rt_thread_of(L, 1);
    lua_Integer p = luaL_checkinteger(L, 2);
    if (p < 1 || p > 31)
        return rt_error(L, "KeSetPriorityThread: priority 1..31");
    int old = KeSetPriorityThread(rt_get(L)->m, t, (int)p);
    return rt_finish(L, old, k_int);
}

/* ---- APCs ---------------------------------------------------------------------- */

static struct KAPC *rt_apc_of(lua_State *L, int idx)
{
    RtHandle *h = rt_check_handle(L, idx, H_APC, "an APC");
    KAPC *a = ke_apc_by_id(rt_get(L)->m, h->id);
    if (!a)
        rt_error(L, "unknown APC");
    return a;
}

static int l_noop(lua_State *L)
{
    (void)L;
    return 0;
}

static int l_KeInitializeApc(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    rt_require_kernel(L, "KeInitializeApc");
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const allowed[] = { "thread", "environment", "kernel_routine", "normal_routine",
                                           "rundown_routine", "mode", "context", "name", NULL };
    enum { F_THREAD, F_ENV, F_KR, F_NR, F_RR, F_MODE, F_CTX, F_NAME };
    int b = rt_read_fields(L, 1, "KeInitializeApc", allowed);
    RtHandle *th = rt_test_handle(L, b + F_THREAD);
    if (!th || th->kind != H_THREAD)
        return rt_error(L, "KeInitializeApc: field 'thread' must be a thread, got %s",
                        rt_type_name(L, b + F_THREAD));
    KTHREAD *t = rt_thread_of_handle(L, th, b + F_THREAD);
    const char *envs = rt_value_string(L, b + F_ENV, "environment", "OriginalApcEnvironment");
    int env = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(envs, nt_env_name(i)) == 0)
            env = i;
    if (env < 0)
        return rt_error(L, "KeInitializeApc: unknown environment \"%s\"", envs);
    KPROCESSOR_MODE mode = rt_check_mode(L, b + F_MODE, KernelMode);
    for (int i = F_KR; i <= F_RR; i++)
        if (!lua_isnil(L, b + i) && !lua_isfunction(L, b + i))
            return rt_error(L, "KeInitializeApc: %s must be a function", allowed[i]);
    bool has_nr = !lua_isnil(L, b + F_NR);
    bool has_rr = !lua_isnil(L, b + F_RR);
    char namebuf[64];
    const char *name = rt_value_string(L, b + F_NAME, "name", NULL);
    if (!name) {
        snprintf(namebuf, sizeof namebuf, "apc%d", rt->m->next_apc_id);
        name = namebuf;
    }
    rt_charge(L, sizeof(KAPC) + strlen(name) + 1);
    KAPC *apc = KeInitializeApc(rt->m, t, (KAPC_ENVIRONMENT)env, mode, has_nr, has_rr, name);
    apc->runner_rec = ++rt->next_rec;
    int32_t rec = apc->runner_rec;
    /* The scenario side of the APC: routines and context (A1-A3); no system
     * arguments before an insertion (A5): a new record's slots are nil. */
    rt_apc_record(L, rec);
    int slots = lua_gettop(L);
    if (lua_isnil(L, b + F_KR))
        lua_pushcfunction(L, l_noop);
    else
        lua_pushvalue(L, b + F_KR);
    rt_apc_set(L, slots, rec, RT_APC_KR);
    lua_pushvalue(L, b + F_NR);
    rt_apc_set(L, slots, rec, RT_APC_NR);
    lua_pushvalue(L, b + F_RR);
    rt_apc_set(L, slots, rec, RT_APC_RR);
    if (has_nr)         /* A2: a special APC's context is NULL */
        lua_pushvalue(L, b + F_CTX);
    else
        lua_pushnil(L);
    rt_apc_set(L, slots, rec, RT_APC_CTX);
    rt_new_handle(L, rt, H_APC, apc->id);
    lua_pushvalue(L, -1);
    rt_apc_set(L, slots, rec, RT_APC_HANDLE);
    return 1;
}

static int l_KeInsertQueueApc(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    rt_require_kernel(L, "KeInsertQueueApc");
    KAPC *apc = rt_apc_of(L, 1);
    int inc = (int)luaL_optinteger(L, 4, 0);
    bool ok = KeInsertQueueApc(rt->m, apc, inc);
    if (ok) {
        /* A5: the system arguments are written only by a successful insertion. */
        rt_apc_record(L, apc->runner_rec);
        int chunk = lua_gettop(L);
        lua_pushvalue(L, 2);
        rt_apc_set(L, chunk, apc->runner_rec, RT_APC_ARG1);
        lua_pushvalue(L, 3);
        rt_apc_set(L, chunk, apc->runner_rec, RT_APC_ARG2);
        lua_pop(L, 1);
    }
    return rt_finish(L, ok, k_bool);
}

static int l_KeRemoveQueueApc(lua_State *L)
{
    rt_require_kernel(L, "KeRemoveQueueApc");
    KAPC *apc = rt_apc_of(L, 1);
    bool was = KeRemoveQueueApc(rt_get(L)->m, apc);
    return rt_finish(L, was, k_bool);
}

static int l_KeFlushQueueApc(lua_State *L)
{
    rt_require_kernel(L, "KeFlushQueueApc");
    KTHREAD *t = rt_thread_of(L, 1);
    KPROCESSOR_MODE mode = rt_check_mode(L, 2, KernelMode);
    int max = (int)t->apc_state.list[mode].length;
    KAPC **out = g_new(KAPC *, max ? max : 1);
    int n = KeFlushQueueApc(rt_get(L)->m, t, mode, out, max);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        rt_push_handle(L, H_APC, out[i]->id);
        lua_rawseti(L, -2, i + 1);
    }
    g_free(out);
    return 1;
}

static int l_KeAlertThread(lua_State *L)
{
    rt_require_kernel(L, "KeAlertThread");
    KTHREAD *t = rt_thread_of(L, 1);
    KPROCESSOR_MODE mode = rt_check_mode(L, 2, KernelMode);
    bool old = KeAlertThread(rt_get(L)->m, t, mode);
    return rt_finish(L, old, k_bool);
}

static int l_KeTestAlertThread(lua_State *L)
{
    rt_require_kernel(L, "KeTestAlertThread");
    KPROCESSOR_MODE mode = rt_check_mode(L, 1, KernelMode);
    bool old = KeTestAlertThread(rt_get(L)->m, mode);
    return rt_finish(L, old, k_bool);
}

static int l_KeInsertQueueDpc(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    rt_require_kernel(L, "KeInsertQueueDpc");
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_Integer cpu = luaL_optinteger(L, 2, rt->m->running_cpu->number);
    if (cpu < 0 || cpu >= rt->m->ncpus)
        return rt_error(L, "KeInsertQueueDpc: no CPU %lld", (long long)cpu);
    KCODE code = { rt_ref(L, 1), 0 };
    char name[64];
    snprintf(name, sizeof name, "dpc@%s", rt_where(L));
    rt_charge(L, sizeof(KDPC) + 128);
    KDPC *d = ke_dpc_create(rt->m, name, code);
    bool ok = KeInsertQueueDpc(rt->m, d, (int)cpu);
    return rt_finish(L, ok, k_bool);
}

static KIRP *rt_irp_of(lua_State *L, int idx)
{
    RtHandle *h = rt_check_handle(L, idx, H_IRP, "an IRP");
    KMACHINE *m = rt_get(L)->m;
    return m->irps->pdata[h->id - 1];
}

/* irp{thread, completion, event, environment, name} */
static int l_irp(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const allowed[] = { "thread", "completion", "event", "environment", "name", NULL };
    rt_check_fields(L, 1, "irp", allowed);
    KMACHINE *m = rt_machine(rt);
    lua_getfield(L, 1, "thread");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        if (!m->running)
            return rt_error(L, "irp{}: a thread is required outside simulated code");
        rt_push_handle(L, H_THREAD, m->running->id);
    }
    KTHREAD *t = rt_thread_of(L, lua_gettop(L));
    lua_pop(L, 1);
    KEVENT *e = NULL;
    lua_getfield(L, 1, "event");
    if (!lua_isnil(L, -1))
        e = rt_event_of(L, lua_gettop(L));
    lua_pop(L, 1);
    lua_getfield(L, 1, "completion");
    bool has_completion = !lua_isnil(L, -1);
    if (has_completion && !lua_isfunction(L, -1))
        return rt_error(L, "irp{}: completion must be a function");
    lua_pop(L, 1);
    const char *envs = rt_field_string(L, 1, "environment", "CurrentApcEnvironment");
    int env = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(envs, nt_env_name(i)) == 0)
            env = i;
    if (env < 0 || env == InsertApcEnvironment)
        return rt_error(L, "irp{}: environment \"%s\" (Original, Attached or Current)", envs);
    char namebuf[32];
    const char *name = rt_field_string(L, 1, "name", NULL);
    if (!name) {
        snprintf(namebuf, sizeof namebuf, "irp%u", m->irps->len + 1);
        name = namebuf;
    }
    rt_charge(L, sizeof(KIRP) + sizeof(KAPC) + 128);
    KIRP *irp = ke_irp_create(m, name, t, e, has_completion, (KAPC_ENVIRONMENT)env);
    irp->apc->runner_rec = ++rt->next_rec;
    rt_push_handle(L, H_IRP, irp->id);
    int h = lua_gettop(L);
    /* the completion routine is called (dwErrorCode, dwNumberOfBytesTransfered, irp) */
    int32_t id = irp->apc->runner_rec;
    rt_apc_record(L, id);
    int chunk = lua_gettop(L);
    lua_pushnil(L);
    rt_apc_set(L, chunk, id, RT_APC_KR);
    lua_getfield(L, 1, "completion");
    rt_apc_set(L, chunk, id, RT_APC_NR);
    lua_pushnil(L);
    rt_apc_set(L, chunk, id, RT_APC_RR);
    lua_pushinteger(L, 0);
    rt_apc_set(L, chunk, id, RT_APC_CTX);
    lua_pushinteger(L, 0);
    rt_apc_set(L, chunk, id, RT_APC_ARG1);
    lua_pushvalue(L, h);
    rt_apc_set(L, chunk, id, RT_APC_ARG2);
    lua_pop(L, 1);
    return 1;
}

/* __IrpSetCompletion(irp, fn): ReadFileEx on an existing irp{} (lua/nt.lua).
 * Checks that irp is an IRP; fn (may be nil) becomes its completion routine
 * if it has none; giving another routine than the one it has is an error. */
static int l_IrpSetCompletion(lua_State *L)
{
    KIRP *irp = rt_irp_of(L, 1);
    if (lua_isnoneornil(L, 2))
        return 0;
    if (!lua_isfunction(L, 2))
        return rt_error(L, "ReadFileEx: argument #2: the completion routine must be a function, got %s",
                        rt_type_name(L, 2));
    int32_t id = irp->apc->runner_rec;
    rt_apc_record(L, id);
    int chunk = lua_gettop(L);
    if (irp->has_completion) {
        rt_apc_get(L, chunk, id, RT_APC_NR);
        bool same = lua_rawequal(L, -1, 2);
        lua_pop(L, 2);
        if (!same)
            return rt_error(L, "ReadFileEx: %s already has a completion routine (irp{completion = ...}); "
                               "give the same one or nil", irp->name);
        return 0;
    }
    lua_pushvalue(L, 2);
    rt_apc_set(L, chunk, id, RT_APC_NR);
    lua_pop(L, 1);
    irp->has_completion = true;
    return 0;
}

static int l_IoCompleteRequest(lua_State *L)
{
    rt_require_kernel(L, "IoCompleteRequest");
    KIRP *irp = rt_irp_of(L, 1);
    int boost = (int)luaL_optinteger(L, 2, 0);
    if (!irp->pending)
        return rt_error(L, "IoCompleteRequest(%s): the IRP was completed already", irp->name);
    bool ok = IoCompleteRequest(rt_get(L)->m, irp, boost);
    return rt_finish(L, ok, k_bool);
}

/* Mark an initialized APC as a special user APC (SU1; NtQueueApcThreadEx). */
static int l_special_user_apc(lua_State *L)
{
    KAPC *apc = rt_apc_of(L, 1);
    if (apc->apc_mode != UserMode || apc->inserted)
        return rt_error(L, "only a user-mode APC that is not inserted can be made special");
    apc->special_user = true;
    return 0;
}

/* __error(msg): a scenario error at the scenario's line (for lua/ libraries). */
static int l_error(lua_State *L)
{
    return rt_error(L, "%s", luaL_checkstring(L, 1));
}

static int l_profile(lua_State *L)
{
    lua_pushstring(L, ke_profile_name(rt_machine(rt_get(L))->cfg.profile));
    return 1;
}

/* ---- suspension, termination, attach ------------------------------------------- */

static int l_KeSuspendThread(lua_State *L)
{
    rt_require_kernel(L, "KeSuspendThread");
    KTHREAD *t = rt_thread_of(L, 1);
    NTSTATUS st;
    int old = KeSuspendThread(rt_get(L)->m, t, &st);
    if (st != STATUS_SUCCESS)
        return rt_error(L, "KeSuspendThread(%s): suspend count at its maximum of %d (STATUS_SUSPEND_COUNT_EXCEEDED)",
                        t->header.name, KE_MAXIMUM_SUSPEND_COUNT);
    return rt_finish(L, old, k_int);
}

#define THREAD_INT_BINDING(fn)                          \
    static int l_##fn(lua_State *L)                     \
    {                                                   \
        rt_require_kernel(L, #fn);                      \
        KTHREAD *t = rt_thread_of(L, 1);                \
        int old = fn(rt_get(L)->m, t);                  \
        return rt_finish(L, old, k_int);                \
    }
THREAD_INT_BINDING(KeResumeThread)
THREAD_INT_BINDING(KeForceResumeThread)
THREAD_INT_BINDING(KeAlertResumeThread)

static int k_terminate(lua_State *L, int st, lua_KContext ctx)
{
    (void)st;
    LuaRuntime *rt = rt_get(L);
    if (ke_stopping(rt->m))
        return rt_stopped(L);
    rt_push_status(L, (NTSTATUS)ctx);
    return 1;
}

static int l_PsTerminateThread(lua_State *L)
{
    KTHREAD *self = rt_require_kernel(L, "PsTerminateThread");
    KTHREAD *t = rt_thread_of(L, 1);
    lua_Integer code = luaL_optinteger(L, 2, 0);
    bool in_dpc = rt_get(L)->m->running_cpu->dpc_active;
    NTSTATUS st = PsTerminateThread(rt_get(L)->m, t, (NTSTATUS)code);
    if (t == self && !in_dpc) {
        /* T1: PspExitThread never returns to this code */
        rt_get(L)->yield_kind = YIELD_KCALL;
        return lua_yield(L, 0);
    }
    return rt_finish(L, (lua_KContext)(uint32_t)st, k_terminate);
}

static KPROCESS *rt_process_of(lua_State *L, int idx);

static int l_KeAttachProcess(lua_State *L)
{
    rt_require_kernel(L, "KeAttachProcess");
    KPROCESS *p = rt_process_of(L, 1);
    KeAttachProcess(rt_get(L)->m, p);
    return rt_finish(L, 0, k_none);
}

static int l_KeDetachProcess(lua_State *L)
{
    rt_require_kernel(L, "KeDetachProcess");
    KeDetachProcess(rt_get(L)->m);
    return rt_finish(L, 0, k_none);
}

static int l_KeStackAttachProcess(lua_State *L)
{
    rt_require_kernel(L, "KeStackAttachProcess");
    KPROCESS *p = rt_process_of(L, 1);
    KAPC_STATE_BUF *buf = KeStackAttachProcess(rt_get(L)->m, p);
    if (!buf)
        return rt_finish(L, 0, k_none);
    rt_push_handle(L, H_STACKSTATE, buf->id);
    return 1;
}

static int l_KeUnstackDetachProcess(lua_State *L)
{
    rt_require_kernel(L, "KeUnstackDetachProcess");
    RtHandle *h = rt_check_handle(L, 1, H_STACKSTATE, "the state KeStackAttachProcess returned");
    KMACHINE *m = rt_get(L)->m;
    KAPC_STATE_BUF *buf = m->stack_states->pdata[h->id - 1];
    if (!buf->used)
        return rt_error(L, "KeUnstackDetachProcess: this state was detached already");
    if (buf->thread != m->running || buf->depth != m->running->stack_attach_depth)
        return rt_error(L, "KeUnstackDetachProcess: not the state of this thread's innermost KeStackAttachProcess "
                           "(stacked attaches are undone in reverse order, by the thread that made them)");
    KeUnstackDetachProcess(m, buf);
    return rt_finish(L, 0, k_none);
}

/* ---- scheduling and observing -------------------------------------------------- */

static int rt_schedule(lua_State *L, bool periodic)
{
    LuaRuntime *rt = rt_get(L);
    KMACHINE *m = rt_machine(rt);
    const char *fn = periodic ? "every" : "at";
    int64_t t = rt_checktime(L, 1, fn);
    if (t < 0 || (periodic && t <= 0))
        return rt_error(L, "%s(%lld): time must be %s", fn, (long long)t, periodic ? "> 0" : ">= 0");
    luaL_checktype(L, 2, LUA_TFUNCTION);
    /* at(t): t is a simulated time (SCENARIO_API: "at simulated time t"),
     * not a delay from now; every(period): the first run one period from now
     * unless {start} says when */
    if (!periodic && t < m->now)
        return rt_error(L, "at(%lld): that time has passed (now is %lld ns): at() takes a simulated time; "
                           "for a delay from now use at(now() + d, ...)", (long long)t, (long long)m->now);
    int64_t cpu = 0, count = -1, start = periodic ? m->now + t : t;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        static const char *const allowed_every[] = { "cpu", "count", "start", NULL };
        static const char *const allowed_at[] = { "cpu", NULL };
        int b = rt_read_fields(L, 3, fn, periodic ? allowed_every : allowed_at);
        cpu = rt_value_int(L, b, "cpu", 0);
        if (periodic) {
            count = rt_value_int(L, b + 1, "count", -1);
            if (!lua_isnil(L, b + 2))
                start = rt_checktime(L, b + 2, "start");
        }
    }
    if (cpu < 0 || cpu >= m->ncpus)
        return rt_error(L, "%s: no CPU %lld on this machine (%d CPUs)", fn, (long long)cpu, m->ncpus);
    if (periodic && count == 0)
        return 0;
    rt_charge(L, sizeof(KDPC) + 160);          /* the DPC and its schedule entry */
    KCODE code = { rt_ref(L, 2), 0 };
    char name[80];
    g_strlcpy(name, periodic ? "every@" : "at@", sizeof name);
    g_strlcat(name, rt_where(L), sizeof name);
    if (periodic)
        ke_schedule_dpc(m, start, (int)cpu, code, t, count, name);
    else
        ke_schedule_dpc(m, t, (int)cpu, code, 0, 1, name);
    return 0;
}
static int l_at(lua_State *L) { return rt_schedule(L, false); }
static int l_every(lua_State *L) { return rt_schedule(L, true); }

static int l_mark(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    KTHREAD *t = rt_require_context(L, "mark");
    ke_mark(rt->m, t, luaL_tolstring(L, 1, NULL));
    return 0;
}

static int l_expect(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    luaL_checkany(L, 1);
    if (lua_toboolean(L, 1))
        return 0;
    const char *msg = lua_isnoneornil(L, 2) ? "expectation failed" : luaL_tolstring(L, 2, NULL);
    KMACHINE *m = rt_machine(rt);
    ke_fail(m, StopExpectFailed, "%s: %s", rt_where(L), msg);
    lua_pushstring(L, m->stop_message);
    return lua_error(L);
}

static int l_expect_bugcheck(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    const char *name = luaL_checkstring(L, 1);
    uint32_t code;
    if (!ke_bugcheck_code_from_name(name, &code))
        return rt_error(L, "expect_bugcheck: unknown bugcheck name \"%s\"", name);
    g_free(rt->expected_bugcheck);
    rt->expected_bugcheck = g_strdup(name);
    return 0;
}

static void rt_push_queue(lua_State *L, GQueue *q)
{
    lua_createtable(L, (int)q->length, 0);
    int i = 1;
    for (GList *l = q->head; l; l = l->next) {
        lua_pushstring(L, ((KAPC *)l->data)->name);
        lua_rawseti(L, -2, i++);
    }
}

static int l_state(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    KMACHINE *m = rt_machine(rt);
    KTHREAD *t = m->running;
    if (!lua_isnoneornil(L, 1)) {
        RtHandle *h = rt_check_handle(L, 1, H_THREAD, "a thread");
        t = (KTHREAD *)ke_object_by_id(m, h->id);
    }
    if (!t)
        return rt_error(L, "state(): no thread given and no current thread");
    lua_createtable(L, 0, 32);
    lua_pushstring(L, nt_state_name(t->state));
    lua_setfield(L, -2, "state");
    int irql = (t->state == Running && m->cpu[t->cpu].current == t) ? m->cpu[t->cpu].irql : t->wait_irql;
    lua_pushinteger(L, irql);
    lua_setfield(L, -2, "irql");
    lua_pushstring(L, nt_mode_name(t->mode));
    lua_setfield(L, -2, "mode");
    lua_pushstring(L, t->apc_state.process ? t->apc_state.process->name : "?");
    lua_setfield(L, -2, "process");
    lua_pushstring(L, t->process->name);
    lua_setfield(L, -2, "home_process");
    lua_pushinteger(L, t->kernel_apc_disable);
    lua_setfield(L, -2, "KernelApcDisable");
    lua_pushinteger(L, t->special_apc_disable);
    lua_setfield(L, -2, "SpecialApcDisable");
    lua_pushboolean(L, t->apc_state.kernel_apc_pending);
    lua_setfield(L, -2, "KernelApcPending");
    lua_pushboolean(L, t->apc_state.user_apc_pending);
    lua_setfield(L, -2, "UserApcPending");
    lua_pushboolean(L, t->apc_state.kernel_apc_in_progress);
    lua_setfield(L, -2, "KernelApcInProgress");
    lua_createtable(L, 0, 2);
    lua_pushboolean(L, t->alerted[KernelMode]);
    lua_setfield(L, -2, "KernelMode");
    lua_pushboolean(L, t->alerted[UserMode]);
    lua_setfield(L, -2, "UserMode");
    lua_setfield(L, -2, "Alerted");
    lua_pushinteger(L, t->apc_state_index);
    lua_setfield(L, -2, "ApcStateIndex");
    lua_pushboolean(L, t->apc_queueable);
    lua_setfield(L, -2, "ApcQueueable");
    lua_pushinteger(L, t->suspend_count);
    lua_setfield(L, -2, "SuspendCount");
    lua_pushinteger(L, t->priority);
    lua_setfield(L, -2, "priority");
    lua_pushinteger(L, t->base_priority);
    lua_setfield(L, -2, "base_priority");
    lua_pushinteger(L, t->quantum);
    lua_setfield(L, -2, "quantum");
    if (t->state == Waiting)
        lua_pushstring(L, nt_wait_reason_name(t->wait_reason));
    else
        lua_pushnil(L);
    lua_setfield(L, -2, "wait_reason");
    if (t->state == Terminated)
        lua_pushinteger(L, t->exit_status);
    else
        lua_pushnil(L);
    lua_setfield(L, -2, "exit_status");
    lua_pushinteger(L, t->cpu);
    lua_setfield(L, -2, "cpu");
    lua_pushinteger(L, t->cpu_time);
    lua_setfield(L, -2, "cpu_time");
    rt_push_queue(L, &t->apc_state.list[KernelMode]);
    lua_setfield(L, -2, "kernel_queue");
    rt_push_queue(L, &t->apc_state.list[UserMode]);
    lua_setfield(L, -2, "user_queue");
    rt_push_queue(L, &t->saved_apc_state.list[KernelMode]);
    lua_setfield(L, -2, "saved_kernel_queue");
    rt_push_queue(L, &t->saved_apc_state.list[UserMode]);
    lua_setfield(L, -2, "saved_user_queue");
    return 1;
}

/* param(name, default): "--param name=value"; numbers and times converted. */
static int l_param(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    const char *name = luaL_checkstring(L, 1);
    const char *v = rt->params ? g_hash_table_lookup(rt->params, name) : NULL;
    if (v && !g_hash_table_contains(rt->params_read, name))
        g_hash_table_add(rt->params_read, g_strdup(name));
    if (!v) {
        lua_settop(L, 2);
        return 1;
    }
    char *end;
    errno = 0;
    long long i = strtoll(v, &end, 10);
    if (*v && errno == 0) {
        int64_t scale = 0;
        if (*end == 0) scale = 1;
        else if (strcmp(end, "ns") == 0) scale = 1;
        else if (strcmp(end, "us") == 0) scale = 1000;
        else if (strcmp(end, "ms") == 0) scale = 1000000;
        else if (strcmp(end, "s") == 0) scale = 1000000000;
        if (scale) {
            lua_pushinteger(L, (lua_Integer)i * scale);
            return 1;
        }
    }
    /* a fractional time with a unit ("1.5ms", "2.5e3us"), as every time
     * option of the command line takes it: integer ns */
    int64_t ns;
    size_t n = strlen(v);
    if (n >= 2 && v[n - 1] == 's' && trace_parse_time(v, &ns)) {
        lua_pushinteger(L, (lua_Integer)ns);
        return 1;
    }
    double d = g_ascii_strtod(v, &end);
    if (*v && *end == 0) {
        lua_pushnumber(L, d);
        return 1;
    }
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
        lua_pushboolean(L, v[0] == 't');
        return 1;
    }
    lua_pushstring(L, v);
    return 1;
}

static int l_now(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    lua_pushinteger(L, rt->m ? rt->m->now : 0);
    return 1;
}

static int l_current_thread(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    if (!rt->m || !rt->m->running)
        return lua_pushnil(L), 1;
    rt_push_handle(L, H_THREAD, rt->m->running->id);
    return 1;
}

static int l_current_cpu(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    if (!rt->m || !rt->m->running_cpu)
        return lua_pushnil(L), 1;
    lua_pushinteger(L, rt->m->running_cpu->number);
    return 1;
}

static int l_current_irql(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    if (!rt->m || !rt->m->running_cpu)
        return lua_pushnil(L), 1;
    lua_pushinteger(L, rt->m->running_cpu->irql);
    return 1;
}

static int l_current_mode(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    if (!rt->m || !rt->m->running)
        return lua_pushnil(L), 1;
    lua_pushstring(L, nt_mode_name(rt->m->running->mode));
    return 1;
}

static int l_current_process(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    if (!rt->m || !rt->m->running)
        return lua_pushnil(L), 1;
    rt_push_handle(L, H_PROCESS, rt->m->running->apc_state.process->id);
    return 1;
}

void rt_register_bindings(LuaRuntime *rt)
{
    lua_State *L = rt->L;
    static const luaL_Reg fns[] = {
        { "ns", l_ns }, { "us", l_us }, { "ms", l_ms }, { "sec", l_sec },
        { "machine", l_machine }, { "process", l_process }, { "thread", l_thread }, { "event", l_event },
        { "semaphore", l_semaphore }, { "mutex", l_mutex }, { "mutant", l_mutant }, { "timer", l_timer },
        { "compute", l_compute }, { "__syscall_enter", l_syscall_enter }, { "__syscall_exit", l_syscall_exit },
        { "KeRaiseIrql", l_KeRaiseIrql }, { "KeLowerIrql", l_KeLowerIrql },
        { "KeEnterCriticalRegion", l_KeEnterCriticalRegion }, { "KeLeaveCriticalRegion", l_KeLeaveCriticalRegion },
        { "KeEnterGuardedRegion", l_KeEnterGuardedRegion }, { "KeLeaveGuardedRegion", l_KeLeaveGuardedRegion },
        { "KeAreApcsDisabled", l_KeAreApcsDisabled }, { "KeAreAllApcsDisabled", l_KeAreAllApcsDisabled },
        { "KeWaitForSingleObject", l_KeWaitForSingleObject },
        { "KeWaitForMultipleObjects", l_KeWaitForMultipleObjects },
        { "KeDelayExecutionThread", l_KeDelayExecutionThread },
        { "KeSetEvent", l_KeSetEvent }, { "KeResetEvent", l_KeResetEvent }, { "KePulseEvent", l_KePulseEvent },
        { "KeReleaseSemaphore", l_KeReleaseSemaphore }, { "KeReleaseMutex", l_KeReleaseMutex },
        { "KeReleaseMutant", l_KeReleaseMutant }, { "KeSetTimer", l_KeSetTimer }, { "KeCancelTimer", l_KeCancelTimer },
        { "KeSetPriorityThread", l_KeSetPriorityThread },
        { "KeInitializeApc", l_KeInitializeApc }, { "KeInsertQueueApc", l_KeInsertQueueApc },
        { "KeRemoveQueueApc", l_KeRemoveQueueApc }, { "KeFlushQueueApc", l_KeFlushQueueApc },
        { "KeAlertThread", l_KeAlertThread }, { "KeTestAlertThread", l_KeTestAlertThread },
        { "KeInsertQueueDpc", l_KeInsertQueueDpc },
        { "irp", l_irp }, { "IoCompleteRequest", l_IoCompleteRequest },
        { "__special_user_apc", l_special_user_apc },
        { "KeSuspendThread", l_KeSuspendThread }, { "KeResumeThread", l_KeResumeThread },
        { "KeForceResumeThread", l_KeForceResumeThread }, { "KeAlertResumeThread", l_KeAlertResumeThread },
        { "PsTerminateThread", l_PsTerminateThread }, { "KeAttachProcess", l_KeAttachProcess },
        { "KeDetachProcess", l_KeDetachProcess }, { "KeStackAttachProcess", l_KeStackAttachProcess },
        { "KeUnstackDetachProcess", l_KeUnstackDetachProcess }, { "current_profile", l_profile },
        { "__error", l_error }, { "__IrpSetCompletion", l_IrpSetCompletion },
        { "at", l_at }, { "every", l_every }, { "mark", l_mark }, { "expect", l_expect },
        { "expect_bugcheck", l_expect_bugcheck }, { "state", l_state }, { "param", l_param }, { "now", l_now },
        { "current_thread", l_current_thread }, { "current_cpu", l_current_cpu },
        { "current_irql", l_current_irql }, { "current_mode", l_current_mode },
        { "current_process", l_current_process },
        { NULL, NULL },
    };
    lua_pushglobaltable(L);
    luaL_setfuncs(L, fns, 0);
    static const struct { const char *n; int v; } consts[] = {
        { "PASSIVE_LEVEL", PASSIVE_LEVEL }, { "APC_LEVEL", APC_LEVEL }, { "DISPATCH_LEVEL", DISPATCH_LEVEL },
        { "HIGH_LEVEL", HIGH_LEVEL },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(consts); i++) {
        lua_pushinteger(L, consts[i].v);
        lua_setfield(L, -2, consts[i].n);
    }
    lua_pop(L, 1);
}
