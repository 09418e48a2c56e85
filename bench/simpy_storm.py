#!/usr/bin/env python3
"""simpy_storm.py - the peer of bench/storm.lua: the same APC storm as a SimPy model.

C CPUs (one simpy.Resource of capacity C, FIFO), T threads each looping
{ compute 10 us on a CPU; alertable sleep 1 ms }, a fraction of them doing the
compute inside a critical region (normal kernel APCs held back until it ends)
or attached to another process (all their APCs parked until the detach). Per
CPU a DPC every dpc_period inserts `burst` APCs, cycling user / normal kernel /
special kernel, each into a thread drawn from a seeded random source, until N
APCs were inserted; once N APCs were delivered the threads leave their loops.

Each APC is an object with a kernel routine and (user and normal kernel APCs)
a normal routine, both called at delivery; the routines count deliveries, as
storm.lua's Lua routines do.

Delivery, as apcsim does it at this level of detail:
  - a kernel APC for a thread on a CPU runs at once (special: always; normal:
    unless the thread is in its critical region; both: unless attached);
  - a kernel APC for a ready thread runs when the thread gets a CPU;
  - a kernel APC for a sleeping thread interrupts the sleep: the thread takes
    a CPU, runs it, and sleeps again until the original deadline;
  - a user APC wakes an alertable sleeper, which takes a CPU and runs all its
    user APCs; for a thread that is not sleeping it waits for the next
    alertable sleep, which then returns at once after running them.

Prints one line: "simpy_storm delivered=D inserted=I sim_end_ns=E wall_s=W apcs_per_s=R"
(wall_s covers building the model and running it, not the interpreter's start).
Parameters as storm.lua: --cpus --threads --apcs --dpc-period-ns --burst --seed
--crit-frac --attach-frac --compute-ns --sleep-ms.
"""
import argparse
import random
import sys
import time

import simpy

PLAIN, CRIT, ATTACH = 0, 1, 2
USER, NORMAL, SPECIAL = 0, 1, 2


class Apc:
    __slots__ = ("kernel_routine", "normal_routine")

    def __init__(self, kernel_routine, normal_routine):
        self.kernel_routine = kernel_routine
        self.normal_routine = normal_routine


class Thread:
    __slots__ = ("kind", "user_q", "kernel_q", "on_cpu", "in_crit", "attached", "wake")

    def __init__(self, kind):
        self.kind = kind
        self.user_q = []         # queued user APCs
        self.kernel_q = []       # queued kernel APCs, specials first
        self.on_cpu = False
        self.in_crit = False
        self.attached = False
        self.wake = None         # the event an alertable sleep waits on, or None


def run(a):
    env = simpy.Environment()
    cpus = simpy.Resource(env, capacity=a.cpus)
    rng = random.Random(a.seed)
    st = {"delivered": 0, "inserted": 0, "done": False, "live": a.threads, "kind": SPECIAL}
    N = a.apcs

    def count():
        st["delivered"] += 1
        if st["delivered"] >= N:
            st["done"] = True

    # The routines, as storm.lua's: small functions that count a delivery.
    def noop_kr(apc):
        pass

    def user_nr(apc):
        count()

    def kernel_nr(apc):
        count()

    def special_kr(apc):
        count()

    def run_apc(apc):
        apc.kernel_routine(apc)
        if apc.normal_routine is not None:
            apc.normal_routine(apc)

    def deliver_kernel(th):
        """Run the kernel APCs the thread's state lets run (it is on a CPU)."""
        if th.attached or not th.kernel_q:
            return
        q = th.kernel_q
        if th.in_crit:                  # specials only (they sit at the head)
            while q and q[0].normal_routine is None:
                run_apc(q.pop(0))
        else:
            th.kernel_q = []
            for apc in q:
                run_apc(apc)

    def deliver_user(th):
        q = th.user_q
        th.user_q = []
        for apc in q:
            run_apc(apc)

    def body(th):
        req = cpus.request()                # the new thread is ready: wait for a CPU
        yield req
        th.on_cpu = True
        while not st["done"]:
            deliver_kernel(th)
            if th.kind == CRIT:             # syscall + KeEnterCriticalRegion
                th.in_crit = True
            elif th.kind == ATTACH:         # syscall + KeAttachProcess
                th.attached = True
            yield env.timeout(a.compute_ns)
            th.in_crit = False              # KeLeaveCriticalRegion / KeDetachProcess
            th.attached = False
            deliver_kernel(th)
            # SleepEx(sleep_ms, TRUE)
            if th.user_q:                   # user APCs pending: the wait returns at once
                deliver_user(th)
                continue
            deadline = env.now + a.sleep_ns
            while True:
                th.on_cpu = False           # the thread waits: its CPU goes to the next one
                cpus.release(req)
                wake = th.wake = env.event()
                yield wake | env.timeout(deadline - env.now)
                th.wake = None
                req = cpus.request()        # woken (timeout or APC): ready, wait for a CPU
                yield req
                th.on_cpu = True
                deliver_kernel(th)
                if th.user_q:               # SleepEx returns WAIT_IO_COMPLETION
                    deliver_user(th)
                    break
                if env.now >= deadline:     # SleepEx returns 0
                    break
                # a kernel APC interrupted the wait; it ran: wait again until the deadline
        th.on_cpu = False
        cpus.release(req)
        st["live"] -= 1

    def dpc(cpu):
        while st["inserted"] < N:
            yield env.timeout(a.dpc_period_ns)
            for _ in range(a.burst):
                if st["inserted"] >= N:
                    return
                k = st["kind"] = (st["kind"] + 1) % 3      # USER, NORMAL, SPECIAL in turn, all CPUs
                th = threads[rng.randrange(a.threads)]
                st["inserted"] += 1
                if k == USER:
                    th.user_q.append(Apc(noop_kr, user_nr))
                    if th.wake is not None and not th.wake.triggered:
                        th.wake.succeed()
                else:
                    if k == SPECIAL:            # specials go after the specials already queued
                        q = th.kernel_q
                        i = 0
                        while i < len(q) and q[i].normal_routine is None:
                            i += 1
                        q.insert(i, Apc(special_kr, None))
                    else:
                        th.kernel_q.append(Apc(noop_kr, kernel_nr))
                    if th.on_cpu:
                        deliver_kernel(th)      # the APC interrupt, at once
                    elif th.wake is not None and not th.wake.triggered:
                        th.wake.succeed()       # a kernel APC interrupts the wait

    t0 = time.perf_counter()                # the clock covers building the model, as apcsim's does
    threads = []
    for _ in range(a.threads):
        r = rng.random()
        kind = PLAIN
        if r < a.crit_frac:
            kind = CRIT
        elif r < a.crit_frac + a.attach_frac:
            kind = ATTACH
        threads.append(Thread(kind))
    for th in threads:
        env.process(body(th))
    for c in range(a.cpus):
        env.process(dpc(c))

    env.run()
    wall = time.perf_counter() - t0
    return st, env.now, wall


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cpus", type=int, default=2)
    p.add_argument("--threads", type=int, default=1000)
    p.add_argument("--apcs", type=int, default=100000)
    p.add_argument("--dpc-period-ns", type=int, default=5000)
    p.add_argument("--burst", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--crit-frac", type=float, default=0.1)
    p.add_argument("--attach-frac", type=float, default=0.1)
    p.add_argument("--compute-ns", type=int, default=10000)
    p.add_argument("--sleep-ms", type=float, default=1)
    a = p.parse_args()
    a.sleep_ns = int(a.sleep_ms * 1000000)
    st, end, wall = run(a)
    print("simpy_storm delivered=%d inserted=%d sim_end_ns=%d wall_s=%.6f apcs_per_s=%.0f"
          % (st["delivered"], st["inserted"], end, wall, st["delivered"] / wall if wall > 0 else 0))
    return 0 if st["delivered"] >= a.apcs else 1


if __name__ == "__main__":
    sys.exit(main())
