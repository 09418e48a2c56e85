/*
 * runtime.c - the Lua state, its sandbox, scenario loading, and the code
 * runner the kernel calls to run scenario code (thread bodies, APC and DPC
 * routines) as coroutines.
 *
 * Sandbox (STYLE.md "Lua embedding"): only base, table, string, math, utf8
 * and coroutine are opened; dofile, loadfile, load, collectgarbage,
 * string.dump and the package library are not there; `require` loads only
 * plain-text modules from lua/ by name; scripts are loaded as text ("t"
 * mode). An allocator with a cap bounds memory; a count hook bounds the
 * instructions one resume may run. math.random draws from the simulator's
 * seeded source, so no other randomness can enter a run.
 *
 * Coroutines: each code frame gets its own coroutine, anchored in a registry
 * table by the frame's `co` number. A kernel call that needs the CPU loop
 * yields (lua_yieldk) with a continuation that pushes the call's results
 * when the kernel resumes the coroutine; compute(d) yields after setting the
 * frame's compute_left.
 */
#include "lua/rt_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define RT_KEY "apcsim.runtime"
#define HOOK_EVERY 1000

/* ---- memory cap and instruction budget ---------------------------------- */

/*
 * The Lua allocator. A run allocates and frees millions of small Lua objects
 * (tables, userdata, closures, call records); blocks of up to RT_POOL_MAX
 * bytes come from per-class free lists (16-byte classes) carved out of
 * 256 KiB chunks, larger ones from malloc. Lua passes the block's size on
 * every free and realloc, so the size says which allocator owns a block.
 * Sanitizer builds use malloc for everything (ASan sees every block).
 */
#define RT_POOL_MAX 256
#define RT_POOL_CHUNK (256 * 1024)

#ifndef APCSIM_SANITIZE
static inline int rt_pool_class(size_t n) { return (int)((n + 15) >> 4) - 1; }

static void *rt_pool_get(LuaRuntime *rt, size_t n)
{
    int c = rt_pool_class(n);
    void *p = rt->pool_free[c];
    if (p) {
        rt->pool_free[c] = *(void **)p;
        return p;
    }
    size_t sz = (size_t)(c + 1) << 4;
    if (rt->pool_cur == NULL || (size_t)(rt->pool_end - rt->pool_cur) < sz) {
        char *chunk = malloc(RT_POOL_CHUNK);
        if (!chunk)
            return NULL;
        if (!rt->pool_chunks)
            rt->pool_chunks = g_ptr_array_new_with_free_func(free);
        g_ptr_array_add(rt->pool_chunks, chunk);
        rt->pool_cur = chunk;
        rt->pool_end = chunk + RT_POOL_CHUNK;
    }
    p = rt->pool_cur;
    rt->pool_cur += sz;
    return p;
}

static void rt_pool_put(LuaRuntime *rt, void *p, size_t n)
{
    int c = rt_pool_class(n);
    *(void **)p = rt->pool_free[c];
    rt->pool_free[c] = p;
}

static void *rt_raw_realloc(LuaRuntime *rt, void *ptr, size_t osize, size_t nsize)
{
    bool opool = ptr && osize <= RT_POOL_MAX, npool = nsize <= RT_POOL_MAX;
    if (opool && npool && rt_pool_class(osize) == rt_pool_class(nsize))
        return ptr;
    if (!opool && !npool)
        return realloc(ptr, nsize);
    void *p = npool ? rt_pool_get(rt, nsize) : malloc(nsize);
    if (!p)
        return NULL;
    if (ptr) {
        memcpy(p, ptr, osize < nsize ? osize : nsize);
        if (opool)
            rt_pool_put(rt, ptr, osize);
        else
            free(ptr);
    }
    return p;
}

static void rt_raw_free(LuaRuntime *rt, void *ptr, size_t osize)
{
    if (ptr && osize <= RT_POOL_MAX)
        rt_pool_put(rt, ptr, osize);
    else
        free(ptr);
}
#else
static void *rt_raw_realloc(LuaRuntime *rt, void *ptr, size_t osize, size_t nsize)
{
    (void)rt, (void)osize;
    return realloc(ptr, nsize);
}

static void rt_raw_free(LuaRuntime *rt, void *ptr, size_t osize)
{
    (void)rt, (void)osize;
    free(ptr);
}
#endif

static void *rt_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    LuaRuntime *rt = ud;
    if (ptr == NULL)
        osize = 0;
    if (nsize == 0) {
        rt->mem_used -= osize;
        rt_raw_free(rt, ptr, osize);
        return NULL;
    }
    if (nsize > osize && rt->mem_used + (nsize - osize) > rt->mem_limit) {
        rt->mem_exceeded = true;
        return NULL;
    }
    void *p = rt_raw_realloc(rt, ptr, osize, nsize);
    if (p)
        rt->mem_used = rt->mem_used - osize + nsize;
    return p;
}

/* Set by the signal handler of the CLI: scenario code stops at its next hook. */
volatile sig_atomic_t lua_runtime_interrupted;

/* The count hook. Once the budget is exceeded (or the run interrupted) the
 * hook fires on every instruction, so a pcall() that catches the error
 * cannot keep the coroutine alive: the next instruction outside it fails. */
static void rt_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    LuaRuntime *rt = rt_get(L);
    rt->instr_count += rt->budget_exceeded ? 1 : HOOK_EVERY;
    if (!lua_runtime_interrupted && rt->instr_count <= rt->instr_budget)
        return;
    rt->budget_exceeded = true;
    if (lua_isyieldable(L)) {
        /* Leave the coroutine at once: an error could be caught by a pcall
         * or land in an xpcall handler, where Lua runs with hooks off. The
         * runner never resumes an aborted coroutine. */
        rt->yield_kind = YIELD_ABORT;
        g_strlcpy(rt->abort_where, rt_where(L), sizeof rt->abort_where);    /* the line running now */
        lua_yield(L, 0);
        return;
    }
    lua_sethook(L, rt_hook, LUA_MASKCOUNT, 1);
    if (lua_runtime_interrupted)
        rt_error(L, "interrupted");
    rt_error(L, "instruction budget exceeded (%lld instructions without yielding to the simulator: "
                "an endless loop? raise it with --instruction-budget)", (long long)rt->instr_budget);
}

/* ---- errors --------------------------------------------------------------- */

static bool rt_is_library_source(LuaRuntime *rt, const char *src)
{
    return src[0] != '@' || (rt->lua_dir && g_str_has_prefix(src + 1, rt->lua_dir));
}

/* "short_src:line" into buf (rt_where runs per at() call: no printf). */
static void rt_format_where(char *buf, size_t size, const char *src, int line)
{
    char num[16];
    int n = 0;
    do
        num[n++] = (char)('0' + line % 10);
    while ((line /= 10) > 0 && n < (int)sizeof num);
    size_t len = g_strlcpy(buf, src, size);
    if (len + (size_t)n + 2 > size)
        return;
    buf[len++] = ':';
    while (n > 0)
        buf[len++] = num[--n];
    buf[len] = 0;
}

/* How many frames rt_where looks at, at the top of the stack and at its
 * bottom: lua_getstack(L, n) walks n frames, so a walk over every level
 * costs levels^2 / 2, and a scenario can build a stack of 100,000 library
 * frames (tail calls through xpcall) with its own line only at the bottom. */
#define RT_WHERE_MAX_LEVELS 200

/* The deepest valid level of L's stack (as lauxlib's lastlevel). */
static int rt_last_level(lua_State *L)
{
    lua_Debug ar;
    int li = 1, le = 1;
    while (lua_getstack(L, le, &ar)) {
        li = le;
        le *= 2;
    }
    while (li < le) {
        int mid = (li + le) / 2;
        if (lua_getstack(L, mid, &ar))
            li = mid + 1;
        else
            le = mid;
    }
    return le - 1;
}

const char *rt_where(lua_State *L)
{
    static char buf[1024];
    LuaRuntime *rt = rt_get(L);
    lua_Debug ar;
    const char *fallback = NULL;
    static char fb[1024];
    for (int level = 0;; level++) {
        if (level == RT_WHERE_MAX_LEVELS) {
            int bottom = rt_last_level(L) - RT_WHERE_MAX_LEVELS + 1;
            if (bottom > level)
                level = bottom;             /* skip to the bottom levels */
        }
        if (!lua_getstack(L, level, &ar))
            break;
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
            continue;
        if (!rt_is_library_source(rt, ar.source)) {
            rt_format_where(buf, sizeof buf, ar.short_src, ar.currentline);
            return buf;
        }
        if (!fallback) {
            rt_format_where(fb, sizeof fb, ar.short_src, ar.currentline);
            fallback = fb;
        }
    }
    return fallback ? fallback : "?";
}

int rt_error(lua_State *L, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    lua_pushfstring(L, "%s: %s", rt_where(L), msg);
    g_free(msg);
    return lua_error(L);
}

/* ---- handles ------------------------------------------------------------- */

static const char *const handle_kind_names[] = {
    "?", "thread", "process", "event", "semaphore", "mutex", "mutant", "timer", "apc", "irp", "stackstate",
};

static const char *rt_handle_name(LuaRuntime *rt, RtHandle *h)
{
    KMACHINE *m = rt->m;
    if (!m)
        return "?";
    switch (h->kind) {
    case H_PROCESS:
        for (guint i = 0; i < m->processes->len; i++) {
            KPROCESS *p = m->processes->pdata[i];
            if (p->id == h->id)
                return p->name;
        }
        return "?";
    case H_APC: {
        KAPC *a = ke_apc_by_id(m, h->id);
        return a ? a->name : "?";
    }
    case H_STACKSTATE:
        return "KAPC_STATE";
    case H_IRP:
        return h->id >= 1 && (guint)h->id <= m->irps->len ? ((KIRP *)m->irps->pdata[h->id - 1])->name : "?";
    default: {
        DISPATCHER_HEADER *d = ke_object_by_id(m, h->id);
        return d ? d->name : "?";
    }
    }
}

static int handle_index(lua_State *L)
{
    RtHandle *h = lua_touserdata(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "name") == 0) {
        lua_pushstring(L, rt_handle_name(rt_get(L), h));
        return 1;
    }
    if (strcmp(k, "kind") == 0) {
        lua_pushstring(L, handle_kind_names[h->kind]);
        return 1;
    }
    if (strcmp(k, "id") == 0) {
        lua_pushinteger(L, h->id);
        return 1;
    }
    lua_pushnil(L);
    return 1;
}

static int handle_tostring(lua_State *L)
{
    RtHandle *h = lua_touserdata(L, 1);
    lua_pushstring(L, rt_handle_name(rt_get(L), h));
    return 1;
}

static int handle_newindex(lua_State *L)
{
    return rt_error(L, "handles are read-only");
}

/* A new handle userdata of (kind, id) on top of L's stack. */
void rt_new_handle(lua_State *L, LuaRuntime *rt, int kind, int32_t id)
{
    RtHandle *h = lua_newuserdatauv(L, sizeof *h, 0);
    h->kind = kind;
    h->id = id;
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_handle_mt);
    lua_setmetatable(L, -2);
}

void rt_push_handle(lua_State *L, int kind, int32_t id)
{
    LuaRuntime *rt = rt_get(L);
    KAPC *apc;
    if (kind == H_APC && rt->m && (apc = ke_apc_by_id(rt->m, id)) != NULL && apc->runner_rec > 0) {
        /* a scenario APC's handle lives in its record (a dense array) */
        rt_apc_record(L, apc->runner_rec);
        if (rt_apc_get(L, lua_gettop(L), apc->runner_rec, RT_APC_HANDLE) != LUA_TUSERDATA) {
            lua_pop(L, 1);
            rt_new_handle(L, rt, kind, id);
            lua_pushvalue(L, -1);
            rt_apc_set(L, lua_gettop(L) - 2, apc->runner_rec, RT_APC_HANDLE);
        }
        lua_remove(L, -2);
        return;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_handles);
    if (lua_rawgeti(L, -1, kind) != LUA_TTABLE) {     /* handles of this kind, by id */
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, kind);
    }
    lua_remove(L, -2);
    lua_Integer key = id;
    if (lua_rawgeti(L, -1, key) == LUA_TUSERDATA) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1);
    rt_new_handle(L, rt, kind, id);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, key);
    lua_remove(L, -2);
}

RtHandle *rt_test_handle(lua_State *L, int idx)
{
    /* luaL_testudata without its lookup of the metatable by name: the
     * metatable is compared by address (the registry keeps it alive) */
    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx))
        return NULL;
    bool same = lua_topointer(L, -1) == rt_get(L)->handle_mt;
    lua_pop(L, 1);
    return same ? lua_touserdata(L, idx) : NULL;
}

RtHandle *rt_check_handle(lua_State *L, int idx, int kind, const char *what)
{
    RtHandle *h = rt_test_handle(L, idx);
    if (!h || (kind && h->kind != kind)) {
        rt_error(L, "argument #%d: expected %s, got %s", idx, what, rt_type_name(L, idx));
    }
    return h;
}

int32_t rt_ref(lua_State *L, int idx)
{
    lua_pushvalue(L, idx);
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

void rt_unref(lua_State *L, int32_t ref)
{
    if (ref > 0)
        luaL_unref(L, LUA_REGISTRYINDEX, ref);
}

/* ---- APC records (rt_internal.h) ---------------------------------------------- */

void rt_apc_record(lua_State *L, int32_t rec)
{
    LuaRuntime *rt = rt_get(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_apcs);
    lua_Integer chunk = (rec - 1) / RT_APC_CHUNK + 1;
    if (lua_rawgeti(L, -1, chunk) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, RT_APC_CHUNK * RT_APC_NSLOTS, 0);    /* every slot in the array part */
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, chunk);
    }
    lua_remove(L, -2);
}

void rt_apc_set(lua_State *L, int chunk, int32_t rec, int k)
{
    lua_rawseti(L, chunk, RT_APC_SLOT(rec, k));
}

int rt_apc_get(lua_State *L, int chunk, int32_t rec, int k)
{
    return lua_rawgeti(L, chunk, RT_APC_SLOT(rec, k));
}

const char *rt_type_name(lua_State *L, int idx)
{
    RtHandle *h = rt_test_handle(L, idx);
    return h ? handle_kind_names[h->kind] : luaL_typename(L, idx);
}

/* ---- the runner (KRUNNER) --------------------------------------------------- */

static int rt_traceback(lua_State *co, lua_State *L, const char *msg)
{
    luaL_traceback(L, co, msg, 0);
    return 1;
}

/* Push the function and arguments a new coroutine starts with; returns nargs. */
static int rt_push_entry(LuaRuntime *rt, lua_State *co, KTHREAD *t, KFRAME *f)
{
    lua_State *L = rt->L;
    (void)t;
    switch (f->routine) {
    case RtThreadBody:
    case RtDpc:
        lua_rawgeti(co, LUA_REGISTRYINDEX, f->code.ref);
        return 0;
    case RtKernelRoutine:
        lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_calls);
        if (lua_rawgeti(L, -1, f->call) != LUA_TTABLE) {   /* the call's ctl table */
            lua_pop(L, 2);
            lua_pushnil(co);
            return 0;
        }
        lua_getfield(L, -1, "kernel_routine");
        lua_xmove(L, co, 1);
        rt_push_handle(co, H_APC, f->owner_id);
        lua_xmove(L, co, 1);                   /* ctl */
        lua_pop(L, 1);
        return 2;
    case RtNormalRoutine:
    case RtUserApcNormal:
        lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_calls);
        if (lua_rawgeti(L, -1, f->call) != LUA_TTABLE) {
            lua_pop(L, 2);
            lua_pushnil(co);                    /* reported as "not a function" by the caller */
            return 0;
        }
        lua_getfield(L, -1, "normal_routine");
        lua_getfield(L, -2, "context");
        lua_getfield(L, -3, "arg1");
        lua_getfield(L, -4, "arg2");
        lua_xmove(L, co, 4);
        lua_pop(L, 2);
        return 3;
    case RtRundownRoutine: {
        KAPC *owner = ke_apc_by_id(rt->m, f->owner_id);
        if (!owner || owner->runner_rec <= 0) {
            lua_pushnil(co);
            return 0;
        }
        rt_apc_record(L, owner->runner_rec);
        if (rt_apc_get(L, lua_gettop(L), owner->runner_rec, RT_APC_RR) == LUA_TNIL) {
            lua_pop(L, 2);
            lua_pushnil(co);
            return 0;
        }
        lua_xmove(L, co, 1);
        lua_pop(L, 1);
        rt_push_handle(co, H_APC, f->owner_id);
        return 1;
    }
    default:
        lua_pushnil(co);
        return 0;
    }
}

static KRUN_RESULT rt_resume(void *ctx, KTHREAD *t, KFRAME *f, int64_t *ret)
{
    LuaRuntime *rt = ctx;
    lua_State *L = rt->L;
    lua_State *co;
    int nargs = 0;
    if (f->co == 0 && rt->co_pool->len) {
        /* a coroutine whose function returned is idle with an empty stack:
         * it can start the next piece of code (no allocation, no GC) */
        f->co = g_array_index(rt->co_pool, int32_t, rt->co_pool->len - 1);
        g_array_set_size(rt->co_pool, rt->co_pool->len - 1);
        lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_cos);
        lua_rawgeti(L, -1, f->co);
        co = lua_tothread(L, -1);
        lua_pop(L, 2);
        nargs = rt_push_entry(rt, co, t, f);
        if (!lua_isfunction(co, -1 - nargs)) {
            ke_fail(rt->m, StopScenarioError, "%s of %s is not a function", nt_routine_name(f->routine),
                    t->header.name);
            return KRUN_ERROR;
        }
    } else if (f->co == 0) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_cos);
        co = lua_newthread(L);
        lua_getfield(L, LUA_REGISTRYINDEX, "apcsim.frames");
        lua_pushvalue(L, -2);
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
        lua_pop(L, 1);
        f->co = (int32_t)luaL_ref(L, -2);
        lua_pop(L, 1);
        nargs = rt_push_entry(rt, co, t, f);
        if (!lua_isfunction(co, -1 - nargs)) {
            ke_fail(rt->m, StopScenarioError, "%s of %s is not a function", nt_routine_name(f->routine),
                    t->header.name);
            return KRUN_ERROR;
        }
    } else {
        lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_cos);
        lua_rawgeti(L, -1, f->co);
        co = lua_tothread(L, -1);
        lua_pop(L, 2);
    }
    int nres = 0;
    lua_State *saved = rt->current_co;
    rt->current_co = co;
    rt->yield_kind = YIELD_NONE;
    rt->instr_count = 0;
    if (rt->budget_exceeded) {
        rt->budget_exceeded = false;
        lua_sethook(co, rt_hook, LUA_MASKCOUNT, HOOK_EVERY);
    }
    int st = lua_resume(co, L, nargs, &nres);
    rt->current_co = saved;
    if (st == LUA_YIELD && rt->yield_kind == YIELD_ABORT) {
        if (lua_runtime_interrupted) {
            rt->m->stop = StopInterrupted;
            return KRUN_ERROR;
        }
        ke_fail(rt->m, StopScenarioError,
                "%s: instruction budget exceeded (%lld instructions without yielding to the simulator: an endless "
                "loop? raise it with --instruction-budget)", rt->abort_where, (long long)rt->instr_budget);
        return KRUN_ERROR;
    }
    if (st == LUA_YIELD) {
        lua_pop(co, nres);
        if (rt->yield_kind == YIELD_NONE) {
            ke_fail(rt->m, StopScenarioError, "%s: coroutine.yield() in simulated code (use compute() or a wait)",
                    rt_where(co));
            return KRUN_ERROR;
        }
        return rt->yield_kind == YIELD_COMPUTE ? KRUN_COMPUTE : KRUN_KCALL;
    }
    if (st != LUA_OK) {
        if (ke_stopping(rt->m))
            return KRUN_ERROR;      /* expect() failure or bugcheck raised as an error */
        if (lua_runtime_interrupted) {
            rt->m->stop = StopInterrupted;
            return KRUN_ERROR;
        }
        const char *msg = lua_type(co, -1) == LUA_TSTRING ? lua_tostring(co, -1) : NULL;
        char *full;
        const char *where = rt_where(co);
        if (rt->mem_exceeded || st == LUA_ERRMEM) {
            /* no traceback: it would need memory the cap refuses */
            full = g_strdup_printf("%s: memory limit exceeded (%zu MiB; raise it with --memory-limit)", where,
                                   rt->mem_limit >> 20);
            ke_fail(rt->m, StopScenarioError, "%s", full);
            g_free(full);
            return KRUN_ERROR;
        }
        if (!msg)
            full = g_strdup_printf("%s: error object is a %s, not a message", where, luaL_typename(co, -1));
        else if (strstr(msg, ".lua:") == NULL || strncmp(msg, where, strcspn(where, ":")) != 0)
            full = g_strdup_printf("%s: %s", where, msg);       /* locate errors Lua gave no position */
        else
            full = g_strdup(msg);
        rt_traceback(co, L, full);
        ke_fail(rt->m, StopScenarioError, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        g_free(full);
        return KRUN_ERROR;
    }
    /* Returned. */
    f->flag = 1;                    /* the coroutine is idle again: reusable */
    *ret = 0;
    if (f->routine == RtThreadBody && nres >= 1 && lua_isinteger(co, -nres)) {
        *ret = lua_tointeger(co, -nres);
    } else if (f->routine == RtThreadBody && nres >= 1 && !lua_isnil(co, -nres)) {
        /* an exit status that is not one: say so rather than exit with 0 */
        char where[LUA_IDSIZE + 16] = "?";
        lua_Debug ar;
        const char *type = lua_type(co, -nres) == LUA_TNUMBER ? "float" : luaL_typename(co, -nres);
        lua_rawgeti(L, LUA_REGISTRYINDEX, f->code.ref);
        if (lua_isfunction(L, -1) && lua_getinfo(L, ">S", &ar) && ar.linedefined > 0)
            rt_format_where(where, sizeof where, ar.short_src, ar.linedefined);
        else
            lua_pop(L, 1);
        lua_pop(co, nres);
        ke_fail(rt->m, StopScenarioError, "%s: the body of %s returned a %s; a body returns an integer exit "
                "status or nothing", where, t->header.name, type);
        return KRUN_ERROR;
    }
    if (f->routine == RtKernelRoutine) {
        /* D3/D4: did the KR leave a normal routine? */
        lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_calls);
        lua_rawgeti(L, -1, f->call);
        lua_getfield(L, -1, "normal_routine");
        *ret = !lua_isnil(L, -1);
        if (*ret && !lua_isfunction(L, -1)) {
            /* name the kernel routine that wrote it: the NR runs later, elsewhere */
            const char *type = luaL_typename(L, -1);
            char where[LUA_IDSIZE + 16] = "?";
            lua_Debug ar;
            lua_getfield(L, -2, "kernel_routine");
            if (!lua_isfunction(L, -1))
                lua_pop(L, 1);
            else if (lua_getinfo(L, ">S", &ar) && ar.linedefined > 0)   /* pops the function */
                rt_format_where(where, sizeof where, ar.short_src, ar.linedefined);
            ke_fail(rt->m, StopScenarioError, "%s: the kernel routine set ctl.normal_routine to a %s, not a "
                    "function or nil (D3)", where, type);
            lua_pop(L, 3);
            return KRUN_ERROR;
        }
        lua_pop(L, 3);
    }
    lua_pop(co, nres);
    return KRUN_RETURNED;
}

static void rt_release(void *ctx, KFRAME *f)
{
    LuaRuntime *rt = ctx;
    if (!f->co)
        return;
    lua_State *L = rt->L;
    if (f->flag == 1) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_cos);
        lua_rawgeti(L, -1, f->co);
        lua_State *co = lua_tothread(L, -1);
        lua_pop(L, 2);
        if (co && lua_status(co) == LUA_OK && lua_gettop(co) == 0) {
            g_array_append_val(rt->co_pool, f->co);
            f->co = 0;
            return;
        }
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_cos);
    lua_getfield(L, LUA_REGISTRYINDEX, "apcsim.frames");
    lua_rawgeti(L, -2, f->co);
    lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    luaL_unref(L, -1, f->co);
    lua_pop(L, 1);
    f->co = 0;
}

static void rt_unref_cb(void *ctx, int32_t ref)
{
    LuaRuntime *rt = ctx;
    lua_State *L = rt->L;
    /* APC calls are the only refs the kernel gives back. */
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_calls);
    lua_pushnil(L);
    lua_rawseti(L, -2, ref);
    lua_pop(L, 1);
    g_array_append_val(rt->call_free, ref);
}

/* A6: copy the APC's routines, context and arguments into a new call. */
static int32_t rt_call_begin(void *ctx, KAPC *apc)
{
    LuaRuntime *rt = ctx;
    lua_State *L = rt->L;
    int32_t id;
    if (rt->call_free->len) {
        id = g_array_index(rt->call_free, int32_t, rt->call_free->len - 1);
        g_array_set_size(rt->call_free, rt->call_free->len - 1);
    } else {
        id = ++rt->next_call;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_calls);
    lua_createtable(L, 0, 5);
    rt_apc_record(L, apc->runner_rec);
    static const struct { int slot; const char *field; } fields[] = {
        { RT_APC_KR, "kernel_routine" }, { RT_APC_NR, "normal_routine" }, { RT_APC_CTX, "context" },
        { RT_APC_ARG1, "arg1" }, { RT_APC_ARG2, "arg2" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
        if (rt_apc_get(L, lua_gettop(L), apc->runner_rec, fields[i].slot) == LUA_TNIL)
            lua_pop(L, 1);                  /* nil: nothing to copy (the table has no such key) */
        else
            lua_setfield(L, -3, fields[i].field);
    }
    lua_pop(L, 1);
    lua_rawseti(L, -2, id);
    lua_pop(L, 1);
    return id;
}

/* ---- machine creation ------------------------------------------------------- */

KMACHINE *rt_machine(LuaRuntime *rt)
{
    if (rt->m)
        return rt->m;
    if (rt->opt.seed >= 0)
        rt->cfg.seed = (uint64_t)rt->opt.seed;
    if (rt->opt.profile >= 0)
        rt->cfg.profile = (KPROFILE)rt->opt.profile;
    if (rt->opt.max_events >= 0)
        rt->cfg.max_events = rt->opt.max_events;
    KRUNNER runner = { rt, rt_resume, rt_release, rt_unref_cb, rt_call_begin,
                       (const char *(*)(void *))lua_runtime_where };
    rt->m = ke_machine_new(&rt->cfg, rt->opt.sink, runner);
    rt->m->interrupt_flag = &lua_runtime_interrupted;
    return rt->m;
}

KMACHINE *lua_runtime_machine(LuaRuntime *rt)
{
    return rt_machine(rt);
}

/* ---- sandbox ------------------------------------------------------------------ */

static int rt_require(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    const char *name = luaL_checkstring(L, 1);
    for (const char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_')
            return rt_error(L, "require: module names are letters, digits and '_' only (got '%s'); "
                               "modules come from apcsim's lua/ directory", name);
    lua_getfield(L, LUA_REGISTRYINDEX, "apcsim.loaded");
    if (lua_getfield(L, -1, name) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    if (strcmp(name, "apcsim") == 0) {
        lua_pushglobaltable(L);
        return 1;
    }
    char *path = g_strdup_printf("%s/%s.lua", rt->lua_dir, name);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_free(path);
        return rt_error(L, "require: no module '%s' in apcsim's lua/ directory", name);
    }
    if (luaL_loadfilex(L, path, "t") != LUA_OK) {
        g_free(path);
        return lua_error(L);
    }
    g_free(path);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, name);
    return 1;
}

static int rt_random(lua_State *L)
{
    LuaRuntime *rt = rt_get(L);
    KMACHINE *m = rt_machine(rt);
    int n = lua_gettop(L);
    if (n == 0) {
        lua_pushnumber(L, (double)(sim_rand_u64(&m->rng) >> 11) * (1.0 / 9007199254740992.0));
        return 1;
    }
    lua_Integer lo = 1, hi;
    if (n == 1) {
        hi = luaL_checkinteger(L, 1);
    } else {
        lo = luaL_checkinteger(L, 1);
        hi = luaL_checkinteger(L, 2);
    }
    if (lo > hi)
        return rt_error(L, "math.random: interval is empty");
    lua_pushinteger(L, sim_rand_range(&m->rng, lo, hi));
    return 1;
}

/* setmetatable without finalizers: a __gc runs with hooks off (no budget can
 * stop it) and may run after the machine is gone, at lua_close. */
static int rt_setmetatable(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_getfield(L, 2, "__gc");
        bool gc = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (gc)
            return rt_error(L, "setmetatable: __gc finalizers are not available in scenarios");
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* coroutine.resume / coroutine.close on a coroutine apcsim runs (a thread
 * body, a routine) would run simulated code outside the simulator. */
static bool rt_is_frame_coroutine(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TTHREAD)
        return false;
    lua_getfield(L, LUA_REGISTRYINDEX, "apcsim.frames");
    lua_pushvalue(L, idx);
    bool yes = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return yes;
}

static int rt_coroutine_guard(lua_State *L)
{
    if (rt_is_frame_coroutine(L, 1))
        return rt_error(L, "coroutine.%s: this coroutine runs simulated code (a thread body, a routine, an at() "
                           "callback); only the simulator resumes it", lua_tostring(L, lua_upvalueindex(2)));
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static int rt_randomseed(lua_State *L)
{
    return rt_error(L, "math.randomseed is not available: the run's seed is set with machine{seed=} or --seed");
}

/*
 * pcall, as the base library's (yieldable: lua_pcallk with a continuation),
 * except that every error it catches is charged against the instruction
 * budget: RT_CAUGHT_ERROR_COST, or RT_DEEP_ERROR_COST when the stack is more
 * than RT_DEEP_STACK frames deep. Lua unwinds a caught error in C, at a cost
 * that grows with the depth of the stack and that the count hook never sees:
 * code that recurses through its error handlers (xpcall(f, f)) builds a stack
 * of 100,000 frames and would spend minutes there, the budget and an
 * interrupt notwithstanding.
 */
#define RT_CAUGHT_ERROR_COST 10000
#define RT_DEEP_STACK 1000
#define RT_DEEP_ERROR_COST 10000000

static int rt_pcall_finish(lua_State *L, int status, lua_KContext extra)
{
    if (status != LUA_OK && status != LUA_YIELD) {
        lua_Debug ar;
        rt_get(L)->instr_count += lua_getstack(L, RT_DEEP_STACK, &ar) ? RT_DEEP_ERROR_COST : RT_CAUGHT_ERROR_COST;
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - (int)extra;
}

static int rt_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, rt_pcall_finish);
    return rt_pcall_finish(L, status, 0);
}

static void rt_open_sandbox(LuaRuntime *rt)
{
    lua_State *L = rt->L;
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base }, { LUA_TABLIBNAME, luaopen_table }, { LUA_STRLIBNAME, luaopen_string },
        { LUA_MATHLIBNAME, luaopen_math }, { LUA_UTF8LIBNAME, luaopen_utf8 }, { LUA_COLIBNAME, luaopen_coroutine },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(libs); i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    static const char *const removed[] = { "dofile", "loadfile", "load", "collectgarbage", "require" };
    for (size_t i = 0; i < G_N_ELEMENTS(removed); i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_getglobal(L, "math");
    lua_pushcfunction(L, rt_random);
    lua_setfield(L, -2, "random");
    lua_pushcfunction(L, rt_randomseed);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, rt_setmetatable, 1);
    lua_setglobal(L, "setmetatable");
    lua_pushcfunction(L, rt_pcall);                 /* nt.lua's xpcall is built on it */
    lua_setglobal(L, "pcall");
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "apcsim.frames");
    lua_getglobal(L, "coroutine");
    static const char *const guarded[] = { "resume", "close" };
    for (size_t i = 0; i < G_N_ELEMENTS(guarded); i++) {
        lua_getfield(L, -1, guarded[i]);
        lua_pushstring(L, guarded[i]);
        lua_pushcclosure(L, rt_coroutine_guard, 2);
        lua_setfield(L, -2, guarded[i]);
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "apcsim.loaded");
    lua_pushcfunction(L, rt_require);
    lua_setglobal(L, "require");
    /* the loaded-modules table of LUA_LOADED_TABLE is left to luaL_requiref */
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
}

static void rt_new_registry_table(lua_State *L, int *ref)
{
    lua_newtable(L);
    *ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

static char *rt_find_lua_dir(void)
{
    const char *env = g_getenv("APCSIM_LUA_DIR");
    if (env && *env)
        return g_strdup(env);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *dir = g_path_get_dirname(exe);
        for (int up = 0; up < 3; up++) {
            char *cand = g_build_filename(dir, "lua", "win32.lua", NULL);
            bool ok = g_file_test(cand, G_FILE_TEST_IS_REGULAR);
            g_free(cand);
            if (ok) {
                char *res = g_build_filename(dir, "lua", NULL);
                g_free(dir);
                return res;
            }
            char *parent = g_path_get_dirname(dir);
            g_free(dir);
            dir = parent;
        }
        g_free(dir);
    }
    return g_strdup("lua");
}

/* Run a file's top level. It runs as a coroutine, like every other piece of
 * scenario code, so that the instruction budget can stop it even inside an
 * error handler (see rt_hook). */
static bool rt_dofile(LuaRuntime *rt, const char *path, char **err)
{
    lua_State *L = rt->L;
    int base = lua_gettop(L);
    int st = luaL_loadfilex(L, path, "t");
    if (st != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        *err = g_strdup_printf("%s", msg ? msg : "cannot load the file");
        if (!strstr(*err, path)) {
            g_free(*err);
            *err = g_strdup_printf("%s: %s", path, msg ? msg : "cannot load the file");
        }
        lua_settop(L, base);
        return false;
    }
    lua_State *co = lua_newthread(L);
    lua_insert(L, -2);
    lua_xmove(L, co, 1);
    int nres = 0;
    lua_State *saved = rt->current_co;
    rt->current_co = NULL;          /* setup is not simulated code */
    rt->yield_kind = YIELD_NONE;
    rt->instr_count = 0;
    rt->budget_exceeded = false;
    st = lua_resume(co, L, 0, &nres);
    rt->current_co = saved;
    bool ok = st == LUA_OK;
    if (st == LUA_YIELD && rt->yield_kind == YIELD_ABORT) {
        *err = g_strdup_printf("%s: %s", rt->abort_where,
                               lua_runtime_interrupted ? "interrupted"
                               : "instruction budget exceeded (an endless loop? raise it with --instruction-budget)");
    } else if (st == LUA_YIELD) {
        *err = g_strdup_printf("%s: the scenario's top level cannot yield (compute() and waits belong in a thread "
                               "body or an at() callback)", rt_where(co));
    } else if (st != LUA_OK) {
        const char *where = rt_where(co);
        if (rt->mem_exceeded || st == LUA_ERRMEM) {
            *err = g_strdup_printf("%s: memory limit exceeded (%zu MiB; raise it with --memory-limit)", where,
                                   rt->mem_limit >> 20);
        } else if (rt->m && ke_stopping(rt->m) && rt->m->stop_message) {
            *err = g_strdup(rt->m->stop_message);
            if (rt->m->stop == StopExpectFailed && rt->opt.setup_expect_failed)
                *rt->opt.setup_expect_failed = true;
        } else {
            const char *msg = lua_type(co, -1) == LUA_TSTRING ? lua_tostring(co, -1) : NULL;
            char *m1 = msg ? (strncmp(msg, where, strcspn(where, ":")) == 0 ? g_strdup(msg)
                                                                            : g_strdup_printf("%s: %s", where, msg))
                           : g_strdup_printf("%s: error object is a %s, not a message", where,
                                             luaL_typename(co, -1));
            luaL_traceback(L, co, m1, 0);
            *err = g_strdup(lua_tostring(L, -1));
            g_free(m1);
        }
    }
    if (ok)
        rt->budget_exceeded = false;
    lua_settop(L, base);
    return ok;
}

LuaRuntime *lua_runtime_new(const LuaRuntimeOptions *opt, char **err)
{
    LuaRuntime *rt = g_new0(LuaRuntime, 1);
    rt->opt = *opt;
    rt->scenario = g_strdup(opt->scenario);
    rt->lua_dir = opt->lua_dir ? g_strdup(opt->lua_dir) : rt_find_lua_dir();
    char *abs = g_canonicalize_filename(rt->lua_dir, NULL);
    g_free(rt->lua_dir);
    rt->lua_dir = abs;
    rt->params = opt->params;
    rt->params_read = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    rt->mem_limit = opt->memory_limit ? opt->memory_limit : APCSIM_DEFAULT_MEMORY_LIMIT;
    rt->instr_budget = opt->instruction_budget > 0 ? opt->instruction_budget : APCSIM_DEFAULT_INSTRUCTION_BUDGET;
    ke_config_default(&rt->cfg);
    rt->L = lua_newstate(rt_alloc, rt);
    if (!rt->L) {
        *err = g_strdup("cannot create the Lua state (out of memory)");
        g_free(rt);
        return NULL;
    }
    lua_State *L = rt->L;
    _Static_assert(LUA_EXTRASPACE >= sizeof(LuaRuntime *), "rt_get keeps the runtime in the extra space");
    *(LuaRuntime **)lua_getextraspace(L) = rt;     /* rt_get; every coroutine copies it */
    rt_open_sandbox(rt);
    rt_new_registry_table(L, &rt->ref_handles);
    rt_new_registry_table(L, &rt->ref_apcs);
    rt_new_registry_table(L, &rt->ref_calls);
    rt_new_registry_table(L, &rt->ref_cos);
    rt->co_pool = g_array_new(FALSE, FALSE, sizeof(int32_t));
    rt->call_free = g_array_new(FALSE, FALSE, sizeof(int32_t));
    luaL_newmetatable(L, "apcsim.handle");
    lua_pushcfunction(L, handle_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, handle_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, handle_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    rt->handle_mt = lua_topointer(L, -1);
    rt->ref_handle_mt = luaL_ref(L, LUA_REGISTRYINDEX);     /* pops it; also kept by name */
    rt_register_bindings(rt);
    lua_sethook(L, rt_hook, LUA_MASKCOUNT, HOOK_EVERY);

    if (!g_file_test(opt->scenario, G_FILE_TEST_IS_REGULAR)) {
        *err = g_strdup_printf("%s: %s", opt->scenario,
                               g_file_test(opt->scenario, G_FILE_TEST_IS_DIR) ? "is a directory, not a scenario file"
                               : g_file_test(opt->scenario, G_FILE_TEST_EXISTS) ? "is not a regular file"
                                                                                : "no such scenario file");
        lua_runtime_free(rt);
        return NULL;
    }
    /* The Lua-side libraries: Nt* services and the Win32 layer. */
    static const char *const libs[] = { "nt", "win32" };
    for (size_t i = 0; i < G_N_ELEMENTS(libs); i++) {
        char *path = g_strdup_printf("%s/%s.lua", rt->lua_dir, libs[i]);
        bool ok = rt_dofile(rt, path, err);
        g_free(path);
        if (!ok) {
            lua_runtime_free(rt);
            return NULL;
        }
    }
    rt->in_setup = true;
    rt->instr_count = 0;
    bool ok = rt_dofile(rt, opt->scenario, err);
    rt->in_setup = false;
    if (!ok) {
        lua_runtime_free(rt);
        return NULL;
    }
    rt_machine(rt);
    return rt;
}

KSTOP_REASON lua_runtime_run(LuaRuntime *rt)
{
    KMACHINE *m = rt_machine(rt);
    return ke_machine_run(m);
}

const char *lua_runtime_expected_bugcheck(LuaRuntime *rt)
{
    return rt->expected_bugcheck;
}

const char *lua_runtime_where(LuaRuntime *rt)
{
    lua_State *co = rt->current_co;
    if (!co && rt->m && rt->m->running) {
        /* kernel code of the running thread: the scenario line below it is
         * the innermost code frame's (a wait's caller, a routine's body) */
        KTHREAD *t = rt->m->running;
        for (int i = t->nframes - 1; i >= 0 && !co; i--) {
            KFRAME *f = &t->frames[i];
            if (f->kind == FRAME_CODE && f->co) {
                lua_rawgeti(rt->L, LUA_REGISTRYINDEX, rt->ref_cos);
                lua_rawgeti(rt->L, -1, f->co);
                co = lua_tothread(rt->L, -1);
                lua_pop(rt->L, 2);
            }
        }
    }
    if (!co)
        return NULL;
    const char *w = rt_where(co);
    return strcmp(w, "?") == 0 ? NULL : w;
}

void lua_runtime_interrupt(LuaRuntime *rt)
{
    if (rt && rt->m)
        ke_machine_interrupt(rt->m);
}

void lua_runtime_free(LuaRuntime *rt)
{
    if (!rt)
        return;
    if (rt->m)
        rt->m->tracing = false;
    ke_machine_free(rt->m);
    if (rt->L)
        lua_close(rt->L);
    if (rt->pool_chunks)
        g_ptr_array_free(rt->pool_chunks, TRUE);
    if (rt->co_pool)
        g_array_free(rt->co_pool, TRUE);
    if (rt->call_free)
        g_array_free(rt->call_free, TRUE);
    g_free(rt->field_names);
    g_free(rt->scenario);
    g_free(rt->lua_dir);
    g_free(rt->expected_bugcheck);
    if (rt->params_read)
        g_hash_table_destroy(rt->params_read);
    g_free(rt);
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **lua_runtime_unread_params(LuaRuntime *rt)
{
    GPtrArray *out = g_ptr_array_new();
    if (rt->params) {
        GHashTableIter it;
        gpointer k;
        g_hash_table_iter_init(&it, rt->params);
        while (g_hash_table_iter_next(&it, &k, NULL))
            if (!g_hash_table_contains(rt->params_read, k))
                g_ptr_array_add(out, g_strdup(k));
    }
    g_ptr_array_sort(out, cmp_str);       /* hash order is no order */
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}
