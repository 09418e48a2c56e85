/*
 * runtime.h - the Lua scenario runtime: loads a scenario in a sandbox, builds
 * the machine it describes, and runs thread bodies and routines as
 * coroutines for the kernel (it implements the kernel's KRUNNER).
 *
 * Three kinds of failure stay apart (STYLE.md 7): a scenario mistake is a
 * scenario error reported at the scenario's file:line with a traceback; a
 * kernel rule broken by the scenario is a simulated bugcheck (src/ke); a bug
 * in apcsim is an assertion.
 */
#ifndef APCSIM_LUA_RUNTIME_H
#define APCSIM_LUA_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "ke/ke.h"

typedef struct LuaRuntime LuaRuntime;

typedef struct LuaRuntimeOptions {
    const char *scenario;           /* path of the scenario file */
    const char *lua_dir;            /* directory of lua/ (win32.lua, nt.lua); NULL = find it */
    GHashTable *params;             /* --param name=value (char* -> char*), may be NULL */
    int64_t seed;                   /* --seed, -1 = scenario's or default */
    int profile;                    /* --profile, -1 = scenario's or default */
    int64_t max_events;             /* --max-events, -1 = default */
    int64_t instruction_budget;     /* per resume of one coroutine; 0 = default */
    size_t memory_limit;            /* bytes; 0 = default */
    KTRACE_SINK sink;               /* where the trace goes (may have NULL emit) */
    bool *setup_expect_failed;      /* if non-NULL: set when lua_runtime_new fails because an
                                       expect() at the top level failed (not a scenario error) */
} LuaRuntimeOptions;

#define APCSIM_DEFAULT_INSTRUCTION_BUDGET 200000000LL   /* ~1 s of CPU */
#define APCSIM_DEFAULT_MEMORY_LIMIT (512u * 1024u * 1024u)

/* Create the runtime and run the scenario's top level (setup): machine{},
 * objects, at()/every(). Returns NULL and sets *err (a scenario error with
 * file:line, or a usage problem) on failure. */
LuaRuntime *lua_runtime_new(const LuaRuntimeOptions *opt, char **err);
void lua_runtime_free(LuaRuntime *rt);

/* The --param names the scenario never read with param(), sorted
 * (g_strfreev; empty when all were read). After the run; any caller. */
char **lua_runtime_unread_params(LuaRuntime *rt);

/* The machine the scenario built (created at the first object or at run). */
KMACHINE *lua_runtime_machine(LuaRuntime *rt);

/* Run the simulation to its end. Returns the stop reason. */
KSTOP_REASON lua_runtime_run(LuaRuntime *rt);

/* The scenario's expect_bugcheck(NAME), or NULL. */
const char *lua_runtime_expected_bugcheck(LuaRuntime *rt);

/* The scenario's file:line being executed now (NULL outside scenario code);
 * the string is valid until the next call. */
const char *lua_runtime_where(LuaRuntime *rt);

/* Set from a signal handler: scenario code stops at its next instruction
 * hook and the run ends as interrupted. */
#include <signal.h>
extern volatile sig_atomic_t lua_runtime_interrupted;

/* Stop the run from a signal handler. */
void lua_runtime_interrupt(LuaRuntime *rt);

#endif /* APCSIM_LUA_RUNTIME_H */
