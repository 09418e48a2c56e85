-- C11 - Several user APCs all run before the thread resumes its code
-- (SEMANTICS.md 2, C11; rules I8, D4, D5, D6, W3).
--
-- Case: "T1 in NtDelayExecution(TRUE, inf). T2 queues U1, U2, U3 back-to-back.
-- Expected: U1's insertion wakes T1 with STATUS_USER_APC (UAP = TRUE); U2/U3 are
-- only queued (T1 no longer Waiting). On the way back to user mode: KR_U1@APC,
-- NR_U1 user, NtContinue(TestAlert) re-arms UAP, KR_U2/NR_U2, same for U3, final
-- NtContinue finds the list empty and restores the original context; the delay
-- returns STATUS_USER_APC. Log order: NR_U1, NR_U2, NR_U3, then the instruction
-- after the wait; each NR gets its own kernel->user transition (syscall exit,
-- then two NtContinue exits), and a fourth transition (the last NtContinue)
-- resumes the original code. (I8, D4-D6)"
-- The transitions themselves are visible in the trace (SYSCALL_EXIT rows), not
-- from Lua; here each NR checks it runs in user mode with UAP already cleared
-- (D4) and sees the rest of the queue still waiting (one APC per exit, D5).
-- In the trace: each user routine gets its own return to user mode (the system call's
-- exit, then two NtContinue exits), NtContinue's TestAlert re-arms UserApcPending for
-- the next APC, and a fourth exit resumes the interrupted code (D4-D6).
-- expect-dump-order: T1 SYSCALL_EXIT
-- expect-dump-order: T1 ROUTINE_BEGIN U1 routine=UserApcNormalRoutine irql=PASSIVE_LEVEL mode=UserMode
-- expect-dump-order: T1 SYSCALL_ENTER NtContinue
-- expect-dump-order: T1 FIELD UserApcPending from=0 to=1
-- expect-dump-order: T1 SYSCALL_EXIT
-- expect-dump-order: T1 ROUTINE_BEGIN U2 routine=UserApcNormalRoutine irql=PASSIVE_LEVEL mode=UserMode
-- expect-dump-order: T1 SYSCALL_ENTER NtContinue
-- expect-dump-order: T1 FIELD UserApcPending from=0 to=1
-- expect-dump-order: T1 SYSCALL_EXIT
-- expect-dump-order: T1 ROUTINE_BEGIN U3 routine=UserApcNormalRoutine irql=PASSIVE_LEVEL mode=UserMode
-- expect-dump-order: T1 SYSCALL_ENTER NtContinue
-- expect-dump-order: T1 SYSCALL_EXIT
-- expect-dump-order: T1 MODE from=KernelMode to=UserMode
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
local rest = { U1 = "U2 U3", U2 = "U3", U3 = "" }

T1 = thread { name = "T1", body = function()
  local st = NtDelayExecution(true, nil)
  rec("after-wait:" .. st)
  expect(st == "STATUS_USER_APC", "the delay returns STATUS_USER_APC: " .. st)
  expect(joined(log) == "KR_U1@APC NR_U1@user KR_U2@APC NR_U2@user KR_U3@APC NR_U3@user after-wait:STATUS_USER_APC",
         "all user APCs run back to back, FIFO, before the code after the wait (D5, D6): " .. joined(log))
  local s = state(T1)
  expect(#s.user_queue == 0 and s.UserApcPending == false, "user list empty, UAP FALSE at the end")
end }

thread { name = "T2", system = true, start_at = us(10), body = function()
  expect(state(T1).state == "Waiting", "T1 waits")
  for i, name in ipairs { "U1", "U2", "U3" } do
    local a = KeInitializeApc { thread = T1, name = name, mode = "UserMode", context = name,
      kernel_routine = function()
        expect(current_mode() == "KernelMode", "KR_" .. name .. " in kernel mode")
        rec("KR_" .. name .. "@" .. at_irql())
      end,
      normal_routine = function(ctx)
        local s = state(T1)
        expect(current_mode() == "UserMode" and current_irql() == PASSIVE_LEVEL, "NR_" .. ctx .. " in user mode at PASSIVE")
        expect(s.UserApcPending == false, "UAP cleared by D4 before NR_" .. ctx)
        expect(joined(s.user_queue) == rest[ctx], "queue while NR_" .. ctx .. " runs: " .. joined(s.user_queue))
        rec("NR_" .. ctx .. "@user")
      end }
    expect(KeInsertQueueApc(a, nil, nil, 0) == true, "insert " .. name)
    local s = state(T1)
    if i == 1 then
      expect(s.state ~= "Waiting", "U1 woke T1 (I8): " .. s.state)
      expect(s.UserApcPending == true, "U1's insertion set UAP (I8)")
    else
      expect(s.state ~= "Waiting", "T1 no longer waiting")
    end
  end
  local s = state(T1)
  expect(joined(s.user_queue) == "U1 U2 U3", "U1 U2 U3 queued FIFO (I5): " .. joined(s.user_queue))
  expect(s.UserApcPending == true, "UAP still TRUE")
end }
