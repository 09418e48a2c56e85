/*
 * rt_internal.h - what runtime.c (state, sandbox, coroutines) and
 * bindings.c (the scenario API) share. Not for the rest of apcsim.
 */
#ifndef APCSIM_LUA_RT_INTERNAL_H
#define APCSIM_LUA_RT_INTERNAL_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lua/runtime.h"

/* Handle kinds (userdata "kind" field). */
enum {
    H_THREAD = 1, H_PROCESS, H_EVENT, H_SEMAPHORE, H_MUTEX, H_MUTANT, H_TIMER, H_APC, H_IRP, H_STACKSTATE,
    H__COUNT
};

typedef struct RtHandle {
    int kind;
    int32_t id;                     /* object/thread/process id, or APC id */
} RtHandle;

/* How the last yield of a coroutine should be read by the runner. */
enum { YIELD_NONE = 0, YIELD_COMPUTE, YIELD_KCALL, YIELD_ABORT };

struct LuaRuntime {
    lua_State *L;
    KMACHINE *m;
    KCONFIG cfg;
    bool machine_configured;        /* machine{} was called */
    char *scenario;                 /* path */
    char *scenario_dir;
    char *lua_dir;
    GHashTable *params;
    GHashTable *params_read;        /* names param() was asked for (a set), for the unread warning */
    LuaRuntimeOptions opt;
    size_t mem_used, mem_limit;
    /* Small-block pool of rt_alloc: free lists by 16-byte class (blocks of
     * up to RT_POOL_MAX bytes), carved from chunks freed with the runtime. */
    void *pool_free[16];
    char *pool_cur, *pool_end;      /* the chunk being carved */
    GPtrArray *pool_chunks;
    bool mem_exceeded;
    int64_t instr_budget, instr_count;
    bool budget_exceeded;           /* the hook now fails every instruction */
    char abort_where[512];          /* file:line where the budget ran out */
    int yield_kind;
    lua_State *current_co;          /* the coroutine being resumed */
    int32_t next_call;
    int32_t next_rec;               /* the last APC record number (KAPC.runner_rec) */
    char *expected_bugcheck;
    int ref_handles;                /* registry: handles[kind][id] (ids are dense: array parts) */
    int ref_handle_mt;              /* registry: the handles' metatable ("apcsim.handle") */
    const void *handle_mt;          /* its address (rt_test_handle compares it, never orders by it) */
    int ref_apcs;                   /* registry: apc records, flat: slot RT_APC_SLOT(id, k) */
    int ref_calls;                  /* registry: APC calls by id */
    int ref_cos;                    /* registry: coroutines by frame co ref */
    bool in_setup;
    GArray *co_pool;                /* int32 refs (in ref_cos) of coroutines that returned: reused */
    void *field_names;              /* bindings.c: interned constructor field names (RT_FIELD_NAME_LISTS) */
    GArray *call_free;              /* int32 ids of ended APC calls: reused, so ref_calls stays a
                                     * small array (ids are internal, never traced) */
};

/*
 * The scenario side of an APC (A1-A3, A5): its routines, context, system
 * arguments and handle, kept flat (no table per APC) in chunk tables of
 * RT_APC_CHUNK records each, held by the registry table ref_apcs: value k of
 * the APC whose record number (KAPC.runner_rec, dense from 1) is rec is at
 * index RT_APC_SLOT(rec, k) of chunk (rec - 1) / RT_APC_CHUNK + 1. A chunk is
 * created with all its slots in the array part, so storing a value (nil
 * included) never makes Lua rehash it.
 */
enum { RT_APC_KR = 1, RT_APC_NR, RT_APC_RR, RT_APC_CTX, RT_APC_ARG1, RT_APC_ARG2,
       RT_APC_HANDLE,               /* the APC's handle userdata (rt_push_handle) */
       RT_APC_NSLOTS = RT_APC_HANDLE };
#define RT_APC_CHUNK 256
#define RT_APC_SLOT(rec, k) ((lua_Integer)(((rec) - 1) % RT_APC_CHUNK) * RT_APC_NSLOTS + (k))
/* Push the chunk table that holds record rec (created on first use). */
void rt_apc_record(lua_State *L, int32_t rec);
/* Pop the value on top of L's stack into slot k of record rec (chunk: the
 * absolute stack index of rt_apc_record's table for rec). */
void rt_apc_set(lua_State *L, int chunk, int32_t rec, int k);
/* Push slot k of record rec; returns its Lua type. */
int rt_apc_get(lua_State *L, int chunk, int32_t rec, int k);
/* A new handle userdata of (kind, id) on top of L's stack (rt_push_handle
 * finds an existing one first). */
void rt_new_handle(lua_State *L, LuaRuntime *rt, int kind, int32_t id);
/* The kind of the handle at idx ("thread", "event", ...) or its Lua type name. */
const char *rt_type_name(lua_State *L, int idx);

/* bindings.c */
#define RT_FIELD_NAME_LISTS 32
void rt_register_bindings(LuaRuntime *rt);

/* runtime.c */
/* The runtime of L (any of its coroutines): kept in the state's extra space,
 * which Lua copies into every thread it creates. */
static inline LuaRuntime *rt_get(lua_State *L) { return *(LuaRuntime **)lua_getextraspace(L); }
KMACHINE *rt_machine(LuaRuntime *rt);          /* creates the machine if needed */
void rt_push_handle(lua_State *L, int kind, int32_t id);
RtHandle *rt_check_handle(lua_State *L, int idx, int kind, const char *what);
RtHandle *rt_test_handle(lua_State *L, int idx);
/* Raise a scenario error located at the scenario's innermost line. */
int rt_error(lua_State *L, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Where the scenario stands now: "file:line" (static buffer). */
const char *rt_where(lua_State *L);
/* The calling simulated context; raises an error outside one. */
KTHREAD *rt_require_context(lua_State *L, const char *fn);
/* Yield to the CPU loop if the kernel needs it, then push results via k. */
int rt_finish(lua_State *L, lua_KContext ctx, lua_KFunction k);
int32_t rt_ref(lua_State *L, int idx);          /* luaL_ref in the registry */
void rt_unref(lua_State *L, int32_t ref);

#endif /* APCSIM_LUA_RT_INTERNAL_H */
