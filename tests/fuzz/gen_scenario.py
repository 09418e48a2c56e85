#!/usr/bin/env python3
"""gen_scenario.py SEED [--out FILE] - a random but valid apcsim scenario.

The scenario mixes every feature the scenario API offers: 1-4 CPUs, the three
profiles, 2-8 user and system threads (priorities, affinities, start_at,
created suspended), events, semaphores, KMUTEXes, mutants, timers, a fast
mutex, IRPs, and per thread a random program: compute, system calls, waits of
every kind (with timeouts, zero ones included), critical
and guarded regions, IRQL raise/lower, stack and plain attaches, APC
insertions of every kind and environment (with and without kernel, normal and
rundown routines, whose bodies are random programs too), alerts, suspensions,
terminations, I/O completions, DPCs. at()/every(count=...) DPCs do the same
from arbitrary thread context.

Valid by construction (no scenario error, no bugcheck, every run ends):
  - regions, IRQL raises, fast mutexes, KMUTEX/mutant ownership and attaches
    are LIFO blocks, closed before the code that opened them ends; a user
    thread returns to user mode with nothing open (D7, R8);
  - nothing waits at DISPATCH_LEVEL; nothing attaches in a DPC; nothing raises
    below or lowers above the current IRQL (R3, R10, E2, E3);
  - attaches are made only at PASSIVE with no region and no mutex held, so
    kernel APCs of the attached environment are always deliverable before
    the detach (E5), and user APCs are never queued to an attached
    environment (guards on ApcStateIndex, checked in the same kernel call
    sequence as the insertion, so nothing runs in between);
  - an APC for the Attached environment is inserted only while the target is
    attached (A4: aiming at a non-current environment is a caller bug);
  - no self-termination or thread end while attached, in a region or owning
    a KMUTEX (E7, T5);
  - suspend counts stay far below 127; semaphore limits are never reached;
  - waits have finite timeouts but a few (an infinite one can only leave its
    thread blocked for good: a run ends when nothing can happen any more),
    every() has a count, and machine{stop_at} is a safety net.

Oracles (exit 1 with the action's tag and what was seen): the statuses each
kind of wait may return (W1-W8), the kernel state code must be in (KS: IRQL,
mode, disable counters, process, ApcStateIndex; R3-R7, E1-E3, D9), and in DPCs,
where nothing runs between a call and its check, the results of insertions
(I2), suspend counts (S2-S4), alerts (AL2) and D10.

--avoid FEATURE leaves out a feature while a bug it triggers is open, so that a
flood of one known failure does not hide others; everything is on by default.

Lines: one action per Lua statement line, tagged "-- A<n>". A block (thread,
syscall, region, raise, attach, DPC, APC with its routines, guard) has its
opening and closing lines tagged with the same <n>; deleting every line from
the first to the last line tagged <n> deletes the whole unit (minimize.py).
Deterministic: the same seed gives the same file, byte for byte.
"""

import argparse
import os
import random
import sys

ENV_O = "OriginalApcEnvironment"
ENV_A = "AttachedApcEnvironment"
ENV_C = "CurrentApcEnvironment"
ENV_I = "InsertApcEnvironment"

MAX_SUSPENDS = 90          # per target thread, far below MAXIMUM_SUSPEND_COUNT (127)
MAX_RDEPTH = 2             # nesting of routine bodies (APC routines, DPCs in code)


class Ctx:
    """What the generator knows statically about the code being generated."""

    def __init__(self, kind, mode, irql, self_t, indent, rdepth=0, mult=1):
        self.kind = kind          # main | NR | KR | UNR | RR | DPC
        self.mode = mode          # "U" or "K"
        self.irql = irql          # 0, 1, 2, 31
        self.self_t = self_t      # thread index running the code, None in a DPC
        self.indent = indent
        self.rdepth = rdepth      # routine nesting depth
        self.mult = mult          # how many times this code may run (every(count))
        self.kad = 0              # critical regions entered (KernelApcDisable < 0 for sure)
        self.mx = 0               # KMUTEX blocks open (owned only if the wait succeeded)
        self.sad = 0              # guarded regions
        self.fm = False           # fast mutex held
        self.attach = 0           # stacked attaches open
        self.kattach = False      # KeAttachProcess section open
        self.proc = None          # current process name if known
        self.idx = None           # ApcStateIndex if known
        self.in_syscall = False
        self.no_apc_waits = False  # --avoid apc-waits, in KR and NR code
        self.can_suspend = False   # suspend sites are counted: main-line code and DPCs only

    def sub(self, **kw):
        c = Ctx.__new__(Ctx)
        c.__dict__.update(self.__dict__)
        c.indent = self.indent + 1
        c.__dict__.update(kw)
        return c

    def clean(self):
        return (self.mode == "K" and self.irql == 0 and self.kad == 0 and self.mx == 0 and self.sad == 0
                and not self.fm)

    def in_routine(self):
        return self.kind in ("NR", "KR", "UNR", "RR") or self.rdepth > 0

    def can_wait(self):
        if self.kind in ("DPC", "RR") or (self.kind in ("KR", "NR") and self.no_apc_waits):
            return False
        return self.mode == "U" or self.irql <= 1


AVOIDABLE = {
    "apc-waits": "no waits (nor fast mutex acquisitions) in kernel and normal routines of kernel APCs",
    "dpc-terminate": "a DPC never terminates the thread it interrupted (guard on current_thread())",
    "special-user-apcs": "no special user APCs (QueueUserAPC2, NtQueueApcThreadEx with the special flag)",
}


class Gen:
    def __init__(self, seed, avoid=()):
        self.avoid = set(avoid)
        self.seed = seed
        self.r = random.Random(seed)
        self.lines = []
        self.tag = 0
        self.apc_n = 0
        self.local_n = 0
        self.suspends = {}

    # ---- emission -----------------------------------------------------------------

    def new_tag(self):
        self.tag += 1
        return self.tag

    def emit(self, indent, text, tag):
        self.lines.append("%s%s -- A%d" % ("  " * indent, text, tag))

    def raw(self, text):
        self.lines.append(text)

    def act(self, ctx, text):
        self.emit(ctx.indent, text, self.new_tag())

    def local(self, prefix):
        self.local_n += 1
        return "%s%d" % (prefix, self.local_n)

    # ---- random helpers -----------------------------------------------------------

    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def wpick(self, items):
        """items: list of (weight, value); weights > 0 only."""
        items = [(w, v) for (w, v) in items if w > 0]
        total = sum(w for w, _ in items)
        x = self.r.random() * total
        for w, v in items:
            x -= w
            if x < 0:
                return v
        return items[-1][1]

    def us(self, lo, hi):
        return "us(%d)" % self.r.randint(lo, hi)

    def ms_str(self, lo_us, hi_us):
        """Win32 milliseconds for lo..hi microseconds (a decimal literal)."""
        v = self.r.randint(lo_us, hi_us)
        s = ("%.3f" % (v / 1000.0)).rstrip("0").rstrip(".")
        return s if s else "0"

    def timeout_ns(self, allow_infinite=True):
        x = self.r.random()
        if x < 0.08:
            return "0"
        if allow_infinite and x < 0.12:
            return "nil"
        return self.us(5, 300)

    def timeout_ms(self):
        x = self.r.random()
        if x < 0.08:
            return "0"
        if x < 0.11:
            return "INFINITE"
        return self.ms_str(5, 300)

    def thread_ref(self, j):
        return "T[%d]" % j

    def other_thread(self, ctx):
        cands = [j for j in range(1, self.nthreads + 1) if j != ctx.self_t]
        return self.pick(cands) if cands else None

    def any_thread(self):
        return self.r.randint(1, self.nthreads)

    def waitables(self, ctx, n, allow_threads=True):
        objs = ["O.%s" % e for e in self.events] + ["O.%s" % s for s in self.sems] + \
               ["O.%s" % t for t in self.timers]
        if allow_threads:
            objs += [self.thread_ref(j) for j in range(1, self.nthreads + 1)]
        self.r.shuffle(objs)
        return objs[:n]

    # ---- scenario skeleton --------------------------------------------------------

    def generate(self):
        r = self.r
        self.cpus = r.randint(1, 4)
        self.profile = self.wpick([(6, "nt52"), (2, "reactos"), (2, "win10")])
        self.nthreads = r.randint(2, 8)
        self.nprocs = r.randint(1, 3)
        self.events = ["e%d" % i for i in range(1, r.randint(1, 3) + 1)]
        self.sems = ["s%d" % i for i in range(1, r.randint(0, 2) + 1)]
        self.mutexes = ["mx%d" % i for i in range(1, r.randint(0, 2) + 1)]
        self.mutants = ["mu%d" % i for i in range(1, r.randint(0, 2) + 1)]
        self.timers = ["tm%d" % i for i in range(1, r.randint(0, 2) + 1)]
        self.fastmutex = self.chance(0.5)
        self.threads = []
        for j in range(1, self.nthreads + 1):
            system = self.chance(0.3)
            prio = self.wpick([(8, 8), (10, r.randint(1, 15)), (2, r.randint(16, 31))])
            aff = 0 if self.chance(0.5) else r.randint(1, (1 << self.cpus) - 1)
            start = 0 if self.chance(0.5) else r.randint(0, 500)
            susp = self.chance(0.15)
            proc = r.randint(1, self.nprocs)
            self.threads.append(dict(j=j, system=system, prio=prio, aff=aff, start=start, susp=susp,
                                     proc=proc, home=("System" if system else "p%d" % proc)))
            if susp:
                self.suspends[j] = 1
        self.irps = []      # (index, thread, env, has_completion)

        machine = ["cpus = %d" % self.cpus, 'profile = "%s"' % self.profile, "stop_at = ms(50)"]
        if self.chance(0.2):
            machine.append("clock_tick = %s" % self.pick(["us(50)", "us(200)", "ms(1)"]))
        if self.chance(0.2):
            machine.append("quantum = %d" % r.randint(1, 12))
        if self.chance(0.2):
            machine.append("context_switch_cost = %s" % self.pick(["ns(500)", "us(2)"]))
        if self.chance(0.1):
            machine.append('timer_resolution = "tick"')
        self.raw("-- fuzz scenario, seed %d: generated by tests/fuzz/gen_scenario.py (regenerate, do not edit)"
                 % self.seed)
        self.raw("-- Each action line is tagged -- A<n>; a block's first and last lines share its tag.")
        self.raw("machine { %s }" % ", ".join(machine))
        self.raw("local T, P, O, I, APCS, DYN, DONE = {}, {}, {}, {}, {}, {}, {}")
        self.raw(LUA_HELPERS.rstrip("\n"))

        for i in range(1, self.nprocs + 1):
            self.act(Ctx("top", "-", 0, None, 0), 'P[%d] = process { name = "p%d" }' % (i, i))
        top = Ctx("top", "-", 0, None, 0)
        for e in self.events:
            typ = self.pick(["notification", "synchronization"])
            sig = "true" if self.chance(0.3) else "false"
            self.act(top, 'O.%s = event { name = "%s", type = "%s", signaled = %s }' % (e, e, typ, sig))
        for s in self.sems:
            self.act(top, 'O.%s = semaphore { name = "%s", count = %d, limit = 1000000 }' % (s, s, r.randint(0, 2)))
        for m in self.mutexes:
            self.act(top, 'O.%s = mutex { name = "%s" }' % (m, m))
        for m in self.mutants:
            self.act(top, 'O.%s = mutant { name = "%s" }' % (m, m))
        for t in self.timers:
            self.act(top, 'O.%s = timer { name = "%s", type = "%s" }' % (t, t, self.pick(["notification",
                                                                                          "synchronization"])))
        if self.fastmutex:
            self.act(top, 'O.fm1 = fast_mutex { name = "fm1" }')

        # IRPs are decided before the threads so that programs can complete them.
        nirps = r.randint(0, 4)
        for k in range(1, nirps + 1):
            j = self.any_thread()
            comp = self.chance(0.5)
            if comp:
                env = self.pick([ENV_O, ENV_C])        # IO2: the completion goes to the Current env
            else:
                env = self.pick([ENV_O, ENV_O, ENV_C, ENV_A])
            self.irps.append((k, j, env, comp))

        for th in self.threads:
            self.gen_thread(th)

        for (k, j, env, comp) in self.irps:
            tag = self.new_tag()
            fields = ["thread = T[%d]" % j, 'name = "irp%d"' % k]
            if self.events and self.chance(0.6):
                fields.append("event = O.%s" % self.pick(self.events))
            fields.append('environment = "%s"' % env)
            if comp:
                self.emit(0, "I[%d] = irp { %s, completion = function(err, n, rq) -- irp%d's routine"
                          % (k, ", ".join(fields), k), tag)
                # IO2: the completion APC takes the requestor mode - a normal
                # kernel APC for a system thread's request, else a user APC
                if next(th for th in self.threads if th["j"] == j)["system"]:
                    uctx = Ctx("NR", "K", 0, j, 1, rdepth=1)
                    self.act(uctx, 'expect(current_mode() == "KernelMode" and current_irql() == 0, '
                             '"A%d: completion of a system thread\'s request: kernel mode, PASSIVE")' % tag)
                else:
                    uctx = Ctx("UNR", "U", 0, j, 1, rdepth=1)
                    self.act(uctx, 'expect(current_mode() == "UserMode", "A%d: completion in user mode")' % tag)
                uctx.can_suspend = False
                self.gen_steps(uctx, self.r.randint(0, 3))
                self.emit(0, "end }", tag)
            else:
                self.emit(0, "I[%d] = irp { %s }" % (k, ", ".join(fields)), tag)

        # created-suspended threads are usually resumed by a DPC
        for th in self.threads:
            if th["susp"] and self.chance(0.8):
                self.act(top, "at(us(%d), function() KeResumeThread(T[%d]) end, { cpu = %d })"
                         % (r.randint(0, 800), th["j"], r.randint(0, self.cpus - 1)))

        for _ in range(r.randint(2, 10)):
            self.gen_dpc_entry()
        return "\n".join(self.lines) + "\n"

    # ---- threads ------------------------------------------------------------------

    def gen_thread(self, th):
        j = th["j"]
        fields = ['name = "t%d"' % j]
        if th["system"]:
            fields.append("system = true")
        else:
            fields.append("process = P[%d]" % th["proc"])
        fields.append("priority = %d" % th["prio"])
        if th["aff"]:
            fields.append("affinity = %d" % th["aff"])
        if th["start"]:
            fields.append("start_at = us(%d)" % th["start"])
        if th["susp"]:
            fields.append("suspended = true")
        tag = self.new_tag()
        self.emit(0, "T[%d] = thread { %s, body = function()" % (j, ", ".join(fields)), tag)
        ctx = Ctx("main", "K" if th["system"] else "U", 0, j, 1)
        ctx.can_suspend = True
        ctx.proc = th["home"]
        ctx.idx = 0
        n = self.r.randint(3, 12)
        self.gen_steps(ctx, n)
        if self.chance(0.1):
            self.gen_self_terminate(ctx)
        self.emit(0, "end }", tag)

    def gen_steps(self, ctx, n):
        for _ in range(n):
            self.gen_step(ctx)

    def gen_step(self, ctx):
        if ctx.mode == "U":
            return self.gen_user_step(ctx)
        if ctx.kind == "DPC":
            return self.gen_dpc_step(ctx)
        if ctx.kind == "RR":
            return self.gen_rundown_step(ctx)
        return self.gen_kernel_step(ctx)

    # ---- user mode ----------------------------------------------------------------

    def gen_user_step(self, ctx):
        routine = ctx.in_routine()
        deep = ctx.rdepth >= MAX_RDEPTH
        choices = [
            (12, self.u_compute),
            (0 if deep and routine else 22, self.u_syscall),
            (7, self.u_sleep),
            (8, self.u_wait_single),
            (4, self.u_wait_multiple),
            (2, self.u_signal_and_wait),
            (0 if deep else 6, self.u_queue_apc),
            (0 if deep or "special-user-apcs" in self.avoid else 2, self.u_queue_special),
            (5, self.u_signal),
            (3 if ctx.can_suspend else 0, self.u_suspend_resume),
            (1, self.u_terminate_other),
            (3, self.u_test_alert),
            (2, self.u_alert),
            (0 if deep else 3, self.u_readfileex),
            (2 if self.timers and not deep else 0, self.u_waitable_timer),
            (2 if self.mutants else 0, self.u_mutant_block),
            (2, self.u_delay),
            (1, self.u_expect),
            (0.3 if routine else 0, self.u_exit_self),
        ]
        self.wpick(choices)(ctx)

    def u_compute(self, ctx):
        self.act(ctx, "compute(%s)" % self.us(1, 80))

    def u_syscall(self, ctx):
        tag = self.new_tag()
        self.emit(ctx.indent, 'syscall("NtFuzz%d", function()' % tag, tag)
        # the body of a system call made by the thread's own code is "main" code; one made
        # from a user APC routine is routine code ("SYS": may attach, no KeAttachProcess)
        k = ctx.sub(mode="K", irql=0, kind=("main" if ctx.kind == "main" else "SYS"))
        k.in_syscall = True
        self.gen_steps(k, self.r.randint(1, 6))
        if self.chance(0.25):
            self.act(k, 'expect(current_mode() == "KernelMode" and current_irql() == 0, "A%d: syscall body")'
                     % tag)
        self.emit(ctx.indent, "end)", tag)

    def u_sleep(self, ctx):
        alertable = self.pick(["true", "false"])
        t = self.new_tag()
        self.emit(ctx.indent, 'SX(SleepEx(%s, %s), "A%d")' % (self.ms_str(0, 200), alertable, t), t)

    def u_wait_single(self, ctx):
        o = self.waitables(ctx, 1)
        if not o:
            return self.u_compute(ctx)
        t = self.new_tag()
        self.emit(ctx.indent, 'UW(WaitForSingleObjectEx(%s, %s, %s), 1, "A%d")'
                  % (o[0], self.timeout_ms(), self.pick(["true", "false"]), t), t)

    def u_wait_multiple(self, ctx):
        objs = self.waitables(ctx, self.r.randint(1, 4))
        if not objs:
            return self.u_compute(ctx)
        wall = self.pick(["true", "false"])
        t = self.new_tag()
        self.emit(ctx.indent, 'UW(WaitForMultipleObjectsEx({ %s }, %s, %s, %s), %d, "A%d")'
                  % (", ".join(objs), wall, self.timeout_ms(), self.pick(["true", "false"]),
                     1 if wall == "true" else len(objs), t), t)

    def u_signal_and_wait(self, ctx):
        sig = ["O.%s" % e for e in self.events] + ["O.%s" % s for s in self.sems]
        w = self.waitables(ctx, 1)
        if not sig or not w:
            return self.u_compute(ctx)
        t = self.new_tag()
        self.emit(ctx.indent, 'UW(SignalObjectAndWait(%s, %s, %s, %s), 1, "A%d")'
                  % (self.pick(sig), w[0], self.timeout_ms(), self.pick(["true", "false"]), t), t)

    def u_queue_apc(self, ctx):
        j = self.any_thread()
        tag = self.new_tag()
        self.emit(ctx.indent, "QueueUserAPC(function(c) -- user APC for t%d" % j, tag)
        self.user_routine_body(ctx, j, tag)
        self.emit(ctx.indent, "end, T[%d], %d)" % (j, tag), tag)

    def u_queue_special(self, ctx):
        j = self.any_thread()
        tag = self.new_tag()
        self.emit(ctx.indent, "QueueUserAPC2(function(c) -- special user APC for t%d" % j, tag)
        self.user_routine_body(ctx, j, tag)
        self.emit(ctx.indent, "end, T[%d], %d, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC)" % (j, tag), tag)

    def user_routine_body(self, ctx, j, tag):
        u = Ctx("UNR", "U", 0, j, ctx.indent + 1, rdepth=ctx.rdepth + 1)
        u.can_suspend = False
        if self.chance(0.5):
            self.act(u, 'expect(current_mode() == "UserMode" and current_irql() == 0, "A%d: user NR")' % tag)
        self.gen_steps(u, self.r.randint(0, 3))

    def u_signal(self, ctx):
        ops = []
        for e in self.events:
            ops += ["SetEvent(O.%s)" % e, "ResetEvent(O.%s)" % e, "NtSetEvent(O.%s)" % e]
        for s in self.sems:
            ops.append("ReleaseSemaphore(O.%s, %d)" % (s, self.r.randint(1, 2)))
        self.act(ctx, self.pick(ops))

    def count_suspend(self, ctx, j):
        if self.suspends.get(j, 0) + ctx.mult > MAX_SUSPENDS:
            return False
        self.suspends[j] = self.suspends.get(j, 0) + ctx.mult
        return True

    def u_suspend_resume(self, ctx):
        j = self.any_thread()
        x = self.r.random()
        if x < 0.45 and self.count_suspend(ctx, j):
            self.act(ctx, "SuspendThread(T[%d])" % j)
        elif x < 0.9:
            self.act(ctx, "ResumeThread(T[%d])" % j)
        else:
            self.act(ctx, "NtAlertResumeThread(T[%d])" % j)

    def u_terminate_other(self, ctx):
        j = self.other_thread(ctx)
        if j is None:
            return self.u_compute(ctx)
        self.act(ctx, "TerminateThread(T[%d], %d)" % (j, self.r.randint(1, 99)))

    def u_test_alert(self, ctx):
        self.act(ctx, "NtTestAlert()")

    def u_alert(self, ctx):
        self.act(ctx, "NtAlertThread(T[%d])" % self.any_thread())

    def u_readfileex(self, ctx):
        tag = self.new_tag()
        self.emit(ctx.indent, "do local ok, rq = ReadFileEx(nil, function(err, n, rq) -- completion routine", tag)
        self.user_routine_body(ctx, ctx.self_t, tag)
        self.emit(ctx.indent, "end); DYN[#DYN + 1] = rq end", tag)

    def u_waitable_timer(self, ctx):
        tm = self.pick(self.timers)
        tag = self.new_tag()
        period = "0" if self.chance(0.85) else self.ms_str(100, 400)
        self.emit(ctx.indent, "SetWaitableTimer(O.%s, %s, %s, function(arg) -- timer APC"
                  % (tm, self.ms_str(0, 300), period), tag)
        self.user_routine_body(ctx, ctx.self_t, tag)
        self.emit(ctx.indent, "end, %d)" % tag, tag)
        if period != "0" and self.chance(0.7):
            self.act(ctx, "CancelWaitableTimer(O.%s)" % tm)

    def u_mutant_block(self, ctx):
        m = self.pick(self.mutants)
        tag = self.new_tag()
        self.emit(ctx.indent, 'UW(WaitForSingleObjectEx(O.%s, %s, %s), 1, "A%d", true)'
                  % (m, self.timeout_ms(), self.pick(["true", "false"]), tag), tag)
        inner = ctx.sub()
        self.gen_steps(inner, self.r.randint(0, 2))
        self.emit(ctx.indent, "ReleaseMutex(O.%s)" % m, tag)

    def u_delay(self, ctx):
        a = self.pick(["true", "false"])
        t = self.new_tag()
        self.emit(ctx.indent, 'KD(NtDelayExecution(%s, %s), %s, true, "A%d")'
                  % (a, self.timeout_ns(allow_infinite=False), a, t), t)

    def u_expect(self, ctx):
        t = self.new_tag()
        self.emit(ctx.indent, 'expect(current_mode() == "UserMode" and current_irql() == 0 and '
                  'state().ApcStateIndex == 0 and state().KernelApcDisable == 0, "A%d: user mode is clean (D7)")'
                  % t, t)

    def u_exit_self(self, ctx):
        self.act(ctx, "ExitThread(%d)" % self.r.randint(1, 99))

    # ---- kernel mode (thread code and APC routines) ---------------------------------

    def gen_kernel_step(self, ctx):
        main = ctx.kind == "main"
        routine = ctx.in_routine()
        deep = ctx.rdepth >= MAX_RDEPTH
        irql = ctx.irql
        le_apc = irql <= 1
        passive = irql == 0
        can_attach = ctx.clean() and ctx.kind in ("main", "NR", "SYS")
        choices = [
            (8, self.k_compute),
            (6 if le_apc else 0, self.k_critical),
            (5 if le_apc else 0, self.k_guarded),
            (6 if irql < 2 else 1, self.k_raise),
            (2 if self.fastmutex and le_apc and not ctx.fm and ctx.can_wait() else 0, self.k_fast_mutex),
            (3 if self.mutexes and le_apc and not routine else 0, self.k_mutex_block),
            (2 if self.mutants and le_apc and not routine else 0, self.k_mutant_block),
            (6 if can_attach else 0, self.k_stack_attach),
            # not under reactos: its KeDetachProcess has no pre-delivery loop ([DIFF] row 3), so
            # an APC another CPU inserts while the detach takes its lock (C14b) bugchecks
            (2 if can_attach and main and ctx.attach == 0 and not ctx.kattach and self.profile != "reactos" else 0,
             self.k_attach),
            (8 if ctx.can_wait() else 0, self.k_wait_single),
            (4 if ctx.can_wait() else 0, self.k_wait_multiple),
            (5 if ctx.can_wait() else 0, self.k_delay),
            (5, self.k_signal),
            (0 if deep else 10, self.k_insert_apc),
            (4, self.k_alert),
            (1, self.k_test_alert),
            (3 if ctx.can_suspend else 0, self.k_suspend_resume),
            (0.5 if ctx.can_suspend and main else 0, self.k_suspend_self),
            (1, self.k_terminate_other),
            (2 if self.irps else 0, self.k_complete_irp),
            (1, self.k_complete_dyn_irp),
            (0 if deep else 2, self.k_insert_dpc),
            (2 if self.timers else 0, self.k_timer),
            (2 if main or ctx.kind == "DPC" else 0, self.k_pool),
            (0.3, self.k_flush),
            (1, self.k_priority),
            (0 if deep else 2, self.k_nt_queue_apc),
            (3, self.k_expect),
        ]
        self.wpick(choices)(ctx)

    def k_compute(self, ctx):
        self.act(ctx, "compute(%s)" % self.us(1, 60))

    def k_expect(self, ctx):
        """KS(tag, irql, kad, sad, proc, idx): the kernel state the code must be in (R3-R7, E1-E3)."""
        t = self.new_tag()
        whole = ctx.kind in ("main", "SYS")     # code that owns every counter of the thread
        own = ctx.kind in ("NR", "KR")          # routine code: SAD was 0 at delivery (D2), KAD too for an NK NR
        if ctx.mx > 0 and ctx.kad == 0:
            kad = "nil"
        elif ctx.kad > 0:
            kad = "true"
        elif whole or ctx.kind == "NR":
            kad = "false"
        else:
            kad = "nil"
        sad = "true" if ctx.sad > 0 else ("false" if whole or own else "nil")
        proc = '"%s"' % ctx.proc if ctx.proc is not None else "nil"
        idx = "%d" % ctx.idx if ctx.idx is not None else "nil"
        self.emit(ctx.indent, 'KS("A%d", %d, %s, %s, %s, %s)' % (t, ctx.irql, kad, sad, proc, idx), t)

    def k_critical(self, ctx):
        tag = self.new_tag()
        self.emit(ctx.indent, "KeEnterCriticalRegion()", tag)
        inner = ctx.sub(kad=ctx.kad + 1)
        if self.chance(0.4):
            self.act(inner, 'expect(KeAreApcsDisabled(), "A%d: in a critical region (R4, R7)")' % tag)
        self.gen_steps(inner, self.r.randint(1, 4))
        self.emit(ctx.indent, "KeLeaveCriticalRegion()", tag)

    def k_guarded(self, ctx):
        tag = self.new_tag()
        self.emit(ctx.indent, "KeEnterGuardedRegion()", tag)
        inner = ctx.sub(sad=ctx.sad + 1)
        if self.chance(0.4):
            self.act(inner, 'expect(KeAreAllApcsDisabled(), "A%d: in a guarded region (R5, R7)")' % tag)
        self.gen_steps(inner, self.r.randint(1, 4))
        self.emit(ctx.indent, "KeLeaveGuardedRegion()", tag)

    def k_raise(self, ctx):
        levels = [lv for lv in (1, 2) if lv >= ctx.irql]
        if ctx.irql >= 2 or self.chance(0.03):
            levels = [31] if ctx.irql <= 31 else []
        if not levels:
            return self.k_compute(ctx)
        lv = self.pick(levels)
        name = {1: "APC_LEVEL", 2: "DISPATCH_LEVEL", 31: "HIGH_LEVEL"}[lv]
        tag = self.new_tag()
        o = self.local("o")
        self.emit(ctx.indent, "do local %s = KeRaiseIrql(%s)" % (o, name), tag)
        inner = ctx.sub(irql=lv)
        if self.chance(0.4):
            self.act(inner, 'expect(current_irql() == %d and %s == %d, "A%d: raised (R3): irql " .. current_irql() '
                            '.. ", old " .. %s)' % (lv, o, ctx.irql, tag, o))
        if lv == 31:
            self.gen_steps_limited(inner, self.r.randint(0, 2), self.k_compute)
        else:
            self.gen_steps(inner, self.r.randint(1, 4))
        self.emit(ctx.indent, "KeLowerIrql(%s) end" % o, tag)

    def gen_steps_limited(self, ctx, n, fn):
        for _ in range(n):
            fn(ctx)

    def k_fast_mutex(self, ctx):
        tag = self.new_tag()
        self.emit(ctx.indent, "KeAcquireFastMutex(O.fm1)", tag)
        inner = ctx.sub(irql=max(ctx.irql, 1), fm=True)
        self.gen_steps(inner, self.r.randint(0, 3))
        self.emit(ctx.indent, "KeReleaseFastMutex(O.fm1)", tag)

    def k_mutex_block(self, ctx):
        m = self.pick(self.mutexes)
        tag = self.new_tag()
        rv = self.local("r")
        self.emit(ctx.indent, 'local %s = KeWaitForSingleObject(O.%s, { timeout = %s }); KW(%s, 1, false, false, "A%d")'
                  % (rv, m, self.timeout_ns(allow_infinite=False), rv, tag), tag)
        inner = ctx.sub(indent=ctx.indent, mx=ctx.mx + 1)
        self.gen_steps(inner, self.r.randint(0, 3))
        self.emit(ctx.indent, 'if %s == "STATUS_WAIT_0" then KeReleaseMutex(O.%s) end' % (rv, m), tag)

    def k_mutant_block(self, ctx):
        m = self.pick(self.mutants)
        tag = self.new_tag()
        rv = self.local("r")
        mode = self.pick(["KernelMode", "UserMode"])
        al = self.pick(["true", "false"])
        self.emit(ctx.indent, 'local %s = KeWaitForSingleObject(O.%s, { mode = "%s", alertable = %s, timeout = %s }); '
                  'KW(%s, 1, %s, %s, "A%d", true)'
                  % (rv, m, mode, al, self.timeout_ns(allow_infinite=False), rv, al,
                     "true" if mode == "UserMode" else "false", tag), tag)
        inner = ctx.sub(indent=ctx.indent)
        self.gen_steps(inner, self.r.randint(0, 3))
        self.emit(ctx.indent, 'if %s == "STATUS_WAIT_0" or %s == "STATUS_ABANDONED_WAIT_0" then KeReleaseMutant(O.%s, %d) end'
                  % (rv, rv, m, self.r.randint(0, 2)), tag)

    def k_stack_attach(self, ctx):
        p = self.r.randint(1, self.nprocs)
        tag = self.new_tag()
        s = self.local("s")
        self.emit(ctx.indent, "local %s = KeStackAttachProcess(P[%d])" % (s, p), tag)
        inner = ctx.sub(indent=ctx.indent, attach=ctx.attach + 1)
        pname = "p%d" % p
        if ctx.proc is not None:
            if pname != ctx.proc:
                inner.idx = 1
            inner.proc = pname
        else:
            inner.proc = pname
            inner.idx = None
        if self.chance(0.5):
            conds = ['state().process == "%s"' % pname]
            if inner.idx is not None:
                conds.append("state().ApcStateIndex == %d" % inner.idx)
            self.act(inner, 'expect(%s, "A%d: attached (E2, E3)")' % (" and ".join(conds), tag))
        self.gen_steps(inner, self.r.randint(1, 5))
        self.emit(ctx.indent, "KeUnstackDetachProcess(%s)" % s, tag)
        if ctx.proc is not None and self.chance(0.3):
            conds = ['state().process == "%s"' % ctx.proc]
            if ctx.idx is not None:
                conds.append("state().ApcStateIndex == %d" % ctx.idx)
            self.act(ctx, 'expect(%s, "A%d: detached (E6)")' % (" and ".join(conds), tag))

    def k_attach(self, ctx):
        p = self.r.randint(1, self.nprocs)
        tag = self.new_tag()
        self.emit(ctx.indent, "KeAttachProcess(P[%d])" % p, tag)
        inner = ctx.sub(indent=ctx.indent, kattach=True)
        pname = "p%d" % p
        inner.proc = pname
        inner.idx = 0 if pname == ctx.proc else 1
        if self.chance(0.5):
            self.act(inner, 'expect(state().process == "%s" and state().ApcStateIndex == %d, "A%d: attached (E2)")'
                     % (pname, inner.idx, tag))
        self.gen_steps(inner, self.r.randint(1, 5))
        self.emit(ctx.indent, "KeDetachProcess()", tag)

    def wait_opts(self, ctx, allow_infinite=True):
        mode = self.pick(["KernelMode", "UserMode"])
        al = self.pick(["true", "false"])
        opts = ['mode = "%s"' % mode, "alertable = %s" % al, "timeout = %s" % self.timeout_ns(allow_infinite)]
        return "{ %s }" % ", ".join(opts), al, ("true" if mode == "UserMode" else "false")

    def k_wait_single(self, ctx):
        o = self.waitables(ctx, 1)
        if not o:
            return self.k_delay(ctx)
        opts, al, user = self.wait_opts(ctx)
        t = self.new_tag()
        self.emit(ctx.indent, 'KW(KeWaitForSingleObject(%s, %s), 1, %s, %s, "A%d")' % (o[0], opts, al, user, t), t)

    def k_wait_multiple(self, ctx):
        objs = self.waitables(ctx, self.r.randint(1, 4))
        if not objs:
            return self.k_delay(ctx)
        wt = self.pick(["WaitAny", "WaitAll"])
        opts, al, user = self.wait_opts(ctx)
        t = self.new_tag()
        self.emit(ctx.indent, 'KW(KeWaitForMultipleObjects({ %s }, "%s", %s), %d, %s, %s, "A%d")'
                  % (", ".join(objs), wt, opts, len(objs) if wt == "WaitAny" else 1, al, user, t), t)

    def k_delay(self, ctx):
        mode = self.pick(["KernelMode", "UserMode"])
        al = self.pick(["true", "false"])
        t = self.new_tag()
        self.emit(ctx.indent, 'KD(KeDelayExecutionThread("%s", %s, %s), %s, %s, "A%d")'
                  % (mode, al, self.timeout_ns(allow_infinite=False), al,
                     "true" if mode == "UserMode" else "false", t), t)

    def k_signal(self, ctx):
        ops = []
        for e in self.events:
            inc = self.r.randint(0, 8)
            ops += ["KeSetEvent(O.%s, %d)" % (e, inc), "KeResetEvent(O.%s)" % e, "KePulseEvent(O.%s, %d)" % (e, inc)]
        for s in self.sems:
            ops.append("KeReleaseSemaphore(O.%s, %d, %d)" % (s, self.r.randint(0, 4), self.r.randint(1, 2)))
        self.act(ctx, self.pick(ops))

    def k_timer(self, ctx):
        tm = self.pick(self.timers)
        if self.chance(0.8):
            self.act(ctx, "KeSetTimer(O.%s, %s)" % (tm, self.us(0, 400)))
        else:
            self.act(ctx, "KeCancelTimer(O.%s)" % tm)

    def k_alert(self, ctx):
        j = self.any_thread()
        x = self.r.random()
        mode = self.pick(["KernelMode", "UserMode"])
        t = self.new_tag()
        if x < 0.7:
            if ctx.kind == "DPC":
                # AL2: an alert already set stays set (no action at all)
                self.emit(ctx.indent, 'ALR(T[%d], "%s", KeAlertThread(T[%d], "%s"), "A%d")' % (j, mode, j, mode, t), t)
            else:
                self.emit(ctx.indent, 'KeAlertThread(T[%d], "%s")' % (j, mode), t)
        elif ctx.kind == "DPC":
            self.emit(ctx.indent, 'RES(T[%d], KeAlertResumeThread(T[%d]), "A%d")' % (j, j, t), t)
        else:
            self.emit(ctx.indent, "KeAlertResumeThread(T[%d])" % j, t)

    def k_test_alert(self, ctx):
        if ctx.kind == "DPC":
            return self.k_alert(ctx)
        self.act(ctx, 'KeTestAlertThread("%s")' % self.pick(["KernelMode", "UserMode"]))

    def k_suspend_resume(self, ctx):
        j = self.any_thread()
        x = self.r.random()
        t = self.new_tag()
        if ctx.kind == "DPC":
            # S2-S4: the previous count, and the count after (nothing runs in between in a DPC)
            if x < 0.45 and self.count_suspend(ctx, j):
                self.emit(ctx.indent, 'SUS(T[%d], KeSuspendThread(T[%d]), "A%d")' % (j, j, t), t)
            elif x < 0.9:
                self.emit(ctx.indent, 'RES(T[%d], KeResumeThread(T[%d]), "A%d")' % (j, j, t), t)
            else:
                self.emit(ctx.indent, 'FRES(T[%d], KeForceResumeThread(T[%d]), "A%d")' % (j, j, t), t)
            return
        if x < 0.45 and self.count_suspend(ctx, j):
            self.emit(ctx.indent, "KeSuspendThread(T[%d])" % j, t)
        elif x < 0.9:
            self.emit(ctx.indent, "KeResumeThread(T[%d])" % j, t)
        else:
            self.emit(ctx.indent, "KeForceResumeThread(T[%d])" % j, t)

    def k_suspend_self(self, ctx):
        if self.count_suspend(ctx, ctx.self_t):
            self.act(ctx, "KeSuspendThread(T[%d])" % ctx.self_t)

    def k_terminate_other(self, ctx):
        if ctx.kind == "DPC":
            # a DPC runs in whatever thread its CPU was running: the target may be that thread
            j = self.any_thread()
            if "dpc-terminate" in self.avoid:
                return self.act(ctx, "if current_thread() ~= T[%d] then PsTerminateThread(T[%d], %d) end"
                                % (j, j, self.r.randint(1, 99)))
        else:
            j = self.other_thread(ctx)
            if j is None:
                return self.k_compute(ctx)
        self.act(ctx, "PsTerminateThread(T[%d], %d)" % (j, self.r.randint(1, 99)))

    def k_complete_irp(self, ctx):
        (k, j, env, comp) = self.pick(self.irps)
        boost = self.r.randint(0, 8)
        if env == ENV_A:
            self.act(ctx, "if not DONE[%d] and state(T[%d]).ApcStateIndex == 1 then DONE[%d] = true; "
                     "IoCompleteRequest(I[%d], %d) end" % (k, j, k, k, boost))
        else:
            self.act(ctx, "if not DONE[%d] then DONE[%d] = true; IoCompleteRequest(I[%d], %d) end" % (k, k, k, boost))

    def k_complete_dyn_irp(self, ctx):
        self.act(ctx, "do local rq = table.remove(DYN, 1); if rq then IoCompleteRequest(rq, %d) end end"
                 % self.r.randint(0, 4))

    def k_insert_dpc(self, ctx):
        tag = self.new_tag()
        cpu = self.r.randint(0, self.cpus - 1)
        self.emit(ctx.indent, "KeInsertQueueDpc(function() -- a DPC", tag)
        d = Ctx("DPC", "K", 2, None, ctx.indent + 1, rdepth=ctx.rdepth + 1, mult=ctx.mult)
        d.can_suspend = ctx.can_suspend
        self.gen_steps(d, self.r.randint(1, 3))
        self.emit(ctx.indent, "end, %d)" % cpu, tag)

    def k_pool(self, ctx):
        x = self.r.random()
        k = self.r.randint(1, 6)
        if x < 0.6:
            self.act(ctx, "do local a = APCS[%d]; if a then KeRemoveQueueApc(a) end end" % k)
        else:
            self.act(ctx, "do local a = APCS[%d]; if a then KeInsertQueueApc(a, nil, nil, %d) end end"
                     % (k, self.r.randint(0, 2)))

    def k_flush(self, ctx):
        j = self.any_thread()
        if self.chance(0.6):
            self.act(ctx, 'KeFlushQueueApc(T[%d], "KernelMode")' % j)
        else:
            # I11 leaves UserApcPending set; a live thread would then return to user
            # mode with UAP and an empty list (D10), so flush only when UAP is clear.
            self.act(ctx, 'if not state(T[%d]).UserApcPending then KeFlushQueueApc(T[%d], "UserMode") end' % (j, j))

    def k_priority(self, ctx):
        self.act(ctx, "KeSetPriorityThread(T[%d], %d)" % (self.any_thread(), self.r.randint(1, 15)))

    def k_nt_queue_apc(self, ctx):
        j = self.any_thread()
        tag = self.new_tag()
        if self.chance(0.7) or "special-user-apcs" in self.avoid:
            self.emit(ctx.indent, "NtQueueApcThread(T[%d], function(c, a1, a2) -- user APC" % j, tag)
            self.user_routine_body(ctx, j, tag)
            self.emit(ctx.indent, "end, %d, 1, 2)" % tag, tag)
        else:
            self.emit(ctx.indent, "NtQueueApcThreadEx(T[%d], QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC, function(c) -- special" % j,
                      tag)
            self.user_routine_body(ctx, j, tag)
            self.emit(ctx.indent, "end, %d)" % tag, tag)

    # ---- APC insertion ---------------------------------------------------------------

    def k_insert_apc(self, ctx):
        j = self.any_thread()
        kind = self.wpick([(3, "SK"), (4, "NK"), (4, "U")])
        if kind == "U":
            env = self.wpick([(6, ENV_O), (2, ENV_I), (2, ENV_C)])
        else:
            env = self.wpick([(5, ENV_O), (2, ENV_A), (2, ENV_I), (2, ENV_C)])
        guard = None
        if env == ENV_A:
            guard = "state(T[%d]).ApcStateIndex == 1" % j        # A4: only while attached
        elif kind == "U" and env != ENV_O:
            guard = "state(T[%d]).ApcStateIndex == 0" % j        # E5: never a user APC in an attached env
        pool = env == ENV_O and ctx.kind in ("main", "DPC") and ctx.rdepth == 0 and self.chance(0.4)
        self.apc_n += 1
        name = "a%d" % self.apc_n
        fields = ["thread = T[%d]" % j, 'name = "%s"' % name]
        if kind == "U":
            fields.append('mode = "UserMode"')
        elif self.chance(0.3):
            fields.append('mode = "KernelMode"')
        if env != ENV_O or self.chance(0.3):
            fields.append('environment = "%s"' % env)
        if kind != "SK":
            fields.append("context = %d" % self.apc_n)
        args = "%d, %d, %d" % (self.r.randint(0, 9), self.r.randint(0, 9), self.r.randint(0, 4))
        has_kr = self.chance(0.6)
        has_rr = self.chance(0.35)
        tag = self.new_tag()
        head = "KeInitializeApc { %s" % ", ".join(fields)
        # in a DPC nothing else runs between the insertion and the check (INS)
        check = ctx.kind == "DPC"
        if pool:
            open_ = "do local a = " + head
            if check:
                close = '}; APCS[#APCS + 1] = a; INS(T[%d], "%s", KeInsertQueueApc(a, %s), "A%d") end' % (j, name, args, tag)
            else:
                close = "}; APCS[#APCS + 1] = a; KeInsertQueueApc(a, %s) end" % args
        elif check:
            open_ = "INS(T[%d], \"%s\", KeInsertQueueApc(%s" % (j, name, head)
            close = '}, %s), "A%d")' % (args, tag)
        else:
            open_ = "KeInsertQueueApc(" + head
            close = "}, %s)" % args
        if guard:
            open_ = "if %s then %s" % (guard, open_)
            close = close + " end"
        if not (has_kr or kind != "SK" or has_rr):
            self.emit(ctx.indent, open_ + " " + close, tag)
            return
        self.emit(ctx.indent, open_ + ",", tag)
        ri = ctx.indent + 1
        rd = ctx.rdepth + 1
        if has_kr:
            t2 = self.new_tag()
            self.emit(ri, "kernel_routine = function(apc, ctl)", t2)
            kr = Ctx("KR", "K", 1, j, ri + 1, rdepth=rd)
            kr.no_apc_waits = "apc-waits" in self.avoid
            kr.can_suspend = False
            if self.chance(0.5):
                self.act(kr, 'expect(current_irql() == 1 and current_mode() == "KernelMode", "%s: KR at APC_LEVEL (D9)")'
                         % name)
            self.gen_steps(kr, self.r.randint(0, 3))
            if kind != "SK" and self.chance(0.2):
                self.act(kr, "ctl.normal_routine = nil")
            elif kind != "SK" and self.chance(0.2):
                self.act(kr, "ctl.context = %d" % (1000 + self.apc_n))
            self.emit(ri, "end,", t2)
        if kind == "NK":
            t3 = self.new_tag()
            self.emit(ri, "normal_routine = function(c, a1, a2)", t3)
            nr = Ctx("NR", "K", 0, j, ri + 1, rdepth=rd)
            nr.no_apc_waits = "apc-waits" in self.avoid
            nr.can_suspend = False
            if env == ENV_O:
                nr.idx = 0
                nr.proc = self.threads[j - 1]["home"]
            if self.chance(0.5):
                self.act(nr, 'expect(current_irql() == 0 and state().KernelApcInProgress, "%s: NK NR at PASSIVE, '
                         'KernelApcInProgress (D3, D9)")' % name)
            self.gen_steps(nr, self.r.randint(0, 4))
            self.emit(ri, "end,", t3)
        elif kind == "U":
            t3 = self.new_tag()
            self.emit(ri, "normal_routine = function(c, a1, a2)", t3)
            u = Ctx("UNR", "U", 0, j, ri + 1, rdepth=rd)
            u.can_suspend = False
            if self.chance(0.5):
                self.act(u, 'expect(current_mode() == "UserMode", "%s: user NR in user mode (D9)")' % name)
            self.gen_steps(u, self.r.randint(0, 3))
            self.emit(ri, "end,", t3)
        if has_rr:
            t4 = self.new_tag()
            self.emit(ri, "rundown_routine = function(apc)", t4)
            rr = Ctx("RR", "K", 0, j, ri + 1, rdepth=rd)
            rr.can_suspend = False
            self.gen_steps(rr, self.r.randint(0, 2))
            self.emit(ri, "end,", t4)
        self.emit(ctx.indent, close, tag)

    # ---- rundown routines: run while the thread exits (T5) -------------------------------

    def gen_rundown_step(self, ctx):
        x = self.r.random()
        if x < 0.4:
            self.act(ctx, 'mark("rundown " .. tostring(apc))')
        elif x < 0.7 and self.events:
            self.act(ctx, "KeSetEvent(O.%s, 0)" % self.pick(self.events))
        else:
            self.act(ctx, "compute(%s)" % self.us(1, 20))

    # ---- DPCs -----------------------------------------------------------------------

    def gen_dpc_entry(self):
        tag = self.new_tag()
        cpu = self.r.randint(0, self.cpus - 1)
        if self.chance(0.7):
            self.emit(0, "at(us(%d), function()" % self.r.randint(0, 1500), tag)
            d = Ctx("DPC", "K", 2, None, 1)
            d.can_suspend = True
            self.gen_steps(d, self.r.randint(1, 5))
            self.emit(0, "end, { cpu = %d })" % cpu, tag)
        else:
            count = self.r.randint(1, 8)
            self.emit(0, "every(us(%d), function()" % self.r.randint(20, 300), tag)
            d = Ctx("DPC", "K", 2, None, 1, mult=count)
            d.can_suspend = True
            self.gen_steps(d, self.r.randint(1, 4))
            self.emit(0, "end, { cpu = %d, count = %d, start = us(%d) })" % (cpu, count, self.r.randint(0, 800)), tag)

    def gen_dpc_step(self, ctx):
        deep = ctx.rdepth >= MAX_RDEPTH
        choices = [
            (0 if deep else 25, self.k_insert_apc),
            (7, self.k_alert),
            (8 if ctx.can_suspend else 0, self.k_suspend_resume),
            (3, self.k_terminate_other),
            (6 if self.irps else 0, self.k_complete_irp),
            (3, self.k_complete_dyn_irp),
            (7, self.k_signal),
            (2 if self.timers else 0, self.k_timer),
            (0 if deep else 4, self.k_nt_queue_apc),
            (4 if ctx.rdepth == 0 else 0, self.k_pool),
            (0.5, self.k_flush),
            (0 if deep else 2, self.k_insert_dpc),
            (1, self.k_raise),
            (2, self.k_compute),
            (1, self.k_priority),
            (2, self.dpc_expect),
            (2, self.dpc_d10),
        ]
        self.wpick(choices)(ctx)

    def dpc_d10(self, ctx):
        t = self.new_tag()
        self.emit(ctx.indent, 'D10(T[%d], "A%d")' % (self.any_thread(), t), t)

    def dpc_expect(self, ctx):
        t = self.new_tag()
        self.emit(ctx.indent, 'expect(current_irql() >= 2 and current_mode() == "KernelMode", "A%d: DPC at DISPATCH_LEVEL '
                  '(R10)")' % t, t)

    # ---- self-termination ---------------------------------------------------------------

    def gen_self_terminate(self, ctx):
        # T1: only with nothing open (E7, T5); the rest of the body is not reached
        if ctx.mode == "U":
            self.act(ctx, "TerminateThread(T[%d], %d)" % (ctx.self_t, self.r.randint(1, 99)))
        else:
            self.act(ctx, "PsTerminateThread(T[%d], %d)" % (ctx.self_t, self.r.randint(1, 99)))
            self.act(ctx, 'expect(false, "A%d: PsTerminateThread on itself returned (T1)")' % self.tag)


LUA_HELPERS = r'''
-- Result checks: the statuses each kind of wait may return (W1-W8, SCENARIO_API).
local function okw(st, n, alertable, user, mutant)
  if st == "STATUS_TIMEOUT" then return true end
  for i = 0, n - 1 do
    if st == "STATUS_WAIT_" .. i then return true end
    if mutant and st == "STATUS_ABANDONED_WAIT_" .. i then return true end
  end
  return (alertable and st == "STATUS_ALERTED") or (user and st == "STATUS_USER_APC")
end
local function KW(st, n, alertable, user, tag, mutant)
  expect(okw(st, n, alertable, user, mutant), tag .. ": wait returned " .. tostring(st))
end
local function KD(st, alertable, user, tag)
  expect(st == "STATUS_SUCCESS" or (alertable and st == "STATUS_ALERTED") or (user and st == "STATUS_USER_APC"),
         tag .. ": delay returned " .. tostring(st))
end
local function UW(r, n, tag, mutant)
  local ok = r == "WAIT_TIMEOUT" or r == "WAIT_IO_COMPLETION" or r == "WAIT_OBJECT_0"
  ok = ok or (mutant and r == "WAIT_ABANDONED")
  for i = 1, n - 1 do ok = ok or r == "WAIT_OBJECT_0+" .. i end
  expect(ok, tag .. ": Win32 wait returned " .. tostring(r))
end
-- KS: the kernel state code must be in; kad/sad: true = disabled, false = enabled, nil = unknown.
local function KS(tag, irql, kad, sad, proc, idx)
  local s, q = state(), current_irql()
  local cad = s.KernelApcDisable ~= 0 or s.SpecialApcDisable ~= 0
  local ok = q == irql and current_mode() == "KernelMode" and KeAreApcsDisabled() == cad
    and KeAreAllApcsDisabled() == (s.SpecialApcDisable ~= 0 or q >= APC_LEVEL)
  if kad ~= nil then ok = ok and (s.KernelApcDisable ~= 0) == kad end
  if sad ~= nil then ok = ok and (s.SpecialApcDisable ~= 0) == sad end
  if proc ~= nil then ok = ok and s.process == proc end
  if idx ~= nil then ok = ok and s.ApcStateIndex == idx end
  expect(ok, string.format("%s: kernel state: irql %d, %s, KernelApcDisable %d, SpecialApcDisable %d, process %s, "
    .. "ApcStateIndex %d", tag, q, current_mode(), s.KernelApcDisable, s.SpecialApcDisable, s.process, s.ApcStateIndex))
end
-- Checks made in DPCs, where nothing else runs between a call and the check.
local function inq(s, name)
  for _, l in ipairs({ s.kernel_queue, s.user_queue, s.saved_kernel_queue, s.saved_user_queue }) do
    for _, n in ipairs(l) do if n == name then return true end end
  end
  return false
end
local function INS(t, name, ok, tag)      -- I2: a new APC is inserted iff the thread is queueable
  local s = state(t)
  expect(ok == s.ApcQueueable and (not ok or inq(s, name)), string.format("%s: KeInsertQueueApc(%s) returned %s, "
    .. "ApcQueueable %s, queued %s", tag, name, tostring(ok), tostring(s.ApcQueueable), tostring(inq(s, name))))
end
local function SUS(t, n, tag)             -- S2: previous count; +1 unless not queueable
  local s = state(t)
  expect(math.type(n) == "integer" and (s.SuspendCount == n + 1 or (not s.ApcQueueable and s.SuspendCount == n)),
    string.format("%s: KeSuspendThread returned %s, SuspendCount now %d", tag, tostring(n), s.SuspendCount))
end
local function RES(t, n, tag)             -- S3, AL3: previous count; -1 if it was > 0
  local s = state(t)
  expect(math.type(n) == "integer" and s.SuspendCount == math.max(n - 1, 0),
    string.format("%s: resume returned %s, SuspendCount now %d", tag, tostring(n), s.SuspendCount))
end
local function FRES(t, n, tag)            -- S4: previous count; 0 after
  local s = state(t)
  expect(math.type(n) == "integer" and n >= 0 and s.SuspendCount == 0,
    string.format("%s: KeForceResumeThread returned %s, SuspendCount now %d", tag, tostring(n), s.SuspendCount))
end
local function ALR(t, mode, old, tag)     -- AL2: an alert that was set stays set
  expect(type(old) == "boolean" and (not old or state(t).Alerted[mode]),
    string.format("%s: KeAlertThread(%s) returned %s, Alerted now %s", tag, mode, tostring(old),
    tostring(state(t).Alerted[mode])))
end
local function D10(t, tag)                -- D10: UserApcPending only with a non-empty user list
  local s = state(t)
  expect(not s.UserApcPending or #s.user_queue > 0 or not s.ApcQueueable, string.format(
    "%s: %s has UserApcPending with an empty user APC list (D10)", tag, tostring(t)))
end
local function SX(r, tag) expect(r == 0 or r == "WAIT_IO_COMPLETION", tag .. ": SleepEx returned " .. tostring(r)) end
'''


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate a random but valid apcsim scenario (seeded).")
    ap.add_argument("seed", type=int)
    ap.add_argument("--out", help="output file (default: stdout)")
    ap.add_argument("--batch", type=int, metavar="COUNT",
                    help="write seeds SEED..SEED+COUNT-1 as DIR/fuzz-<seed>.lua (one process for many seeds)")
    ap.add_argument("--dir", default=".", help="directory for --batch (default: .)")
    ap.add_argument("--avoid", action="append", default=[], metavar="FEATURE",
                    help="leave out a feature while a bug it triggers is open (repeatable; comma lists too): "
                         + "; ".join("%s = %s" % kv for kv in sorted(AVOIDABLE.items())))
    a = ap.parse_args(argv)
    avoid = [x for v in a.avoid for x in v.split(",") if x]
    for x in avoid:
        if x not in AVOIDABLE:
            ap.error("--avoid %s: unknown feature (%s)" % (x, ", ".join(sorted(AVOIDABLE))))
    if a.batch is not None:
        for seed in range(a.seed, a.seed + a.batch):
            with open(os.path.join(a.dir, "fuzz-%d.lua" % seed), "w") as f:
                f.write(Gen(seed, avoid).generate())
        return 0
    text = Gen(a.seed, avoid).generate()
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
