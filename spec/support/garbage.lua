-- How much a piece of code allocates, for the "no garbage per step" specs.
local M = {}

-- Bytes allocated by n calls of f after 50 warm-up calls, the collector stopped. LuaJIT's compiler is off
-- meanwhile: its trace recording and exits allocate on their own, whatever the code does.
function M.bytes(f, n)
  if jit then jit.off() jit.flush() end
  for _ = 1, 50 do f() end
  collectgarbage("collect")
  collectgarbage("stop")
  local before = collectgarbage("count")
  for _ = 1, n do f() end
  local kb = collectgarbage("count") - before
  collectgarbage("restart")
  if jit then jit.on() end
  return kb * 1024
end

local function grown(run, steps)
  collectgarbage()
  collectgarbage()
  collectgarbage("stop")
  local before = collectgarbage("count")
  run(steps)
  local grew = collectgarbage("count") - before
  collectgarbage("restart")
  return grew
end

-- KB the heap grew while run(steps) ran with the compiler on, the collector stopped. Garbage made per step grows
-- it in every window, by at least 16 bytes times the steps it is made in; LuaJIT also counts the trace compiler's
-- own allocations, and a branch that turns hot late gets a side trace, a one-off of a few KB (LuaJIT retries an
-- aborted trace after a random number of passes, so when varies from run to run). So a window that grew by bar_kb
-- or more is measured again, up to three windows in all, and the least growth is returned: every window must be
-- above the bar to fail. With two windows, one full LuaJIT run in twelve failed on 4.4 KB in both (population_spec,
-- 20,000 steps: 0.2 bytes a step, a compile's, not a step's).
function M.growth_kb(run, steps, bar_kb)
  local grew = grown(run, steps)
  for _ = 2, 3 do
    if grew < bar_kb then break end
    grew = math.min(grew, grown(run, steps))
  end
  return grew
end

return M
