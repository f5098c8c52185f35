-- bench/soak.lua [steps [every]]: a long Go/No-Go training run that checks memory stays flat. Every `every`
-- steps (default 2,000) the agent is saved, closed and loaded back (the loaded agent must have the saved
-- state hash); every 100,000 steps it prints the process's resident set (from /proc/self/statm) and the Lua
-- heap after a full collection. The first 30% of the run is the warm-up (allocator arenas; LuaJIT compiles
-- traces for the save/load path, whose options and checks are Lua, for about 600 round trips, some 50 KB of
-- heap, then stops: measured flat from 1.2M to 4M steps); every later
-- sample must stay within RSS_SLACK of the warm-up's last and the heap within HEAP_SLACK, or the script
-- exits 1. Runs under lua5.4 (C-API backend) and luajit (FFI backend) on
-- the checkout it lives in (after `make`). `make soak-ci` runs 1M steps per backend, `make soak` 10M.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)
local nm = require "neuromod"
local Env = dofile(ROOT .. "/envs/gonogo.lua")

local steps = tonumber(arg and arg[1]) or 1000000
local every = tonumber(arg and arg[2]) or 2000
local SAMPLE = 100000
local WARMUP = math.max(SAMPLE, math.floor(0.3 * steps / SAMPLE) * SAMPLE)
-- A leak of one checkpoint-sized buffer (about 3 KB for this agent) per round trip would add 300 KB per
-- 1M steps at the default `every`; one Lua table per step would add megabytes of heap.
local RSS_SLACK = 256 * 1024
local HEAP_SLACK = 16 * 1024

local function page_size()
  local p = io.popen("getconf PAGESIZE")
  local n = p and tonumber(p:read("*l"))
  if p then p:close() end
  return n or 4096
end
local PAGE = page_size()

local function rss_bytes()
  local f = assert(io.open("/proc/self/statm", "r"))
  local line = f:read("*l")
  f:close()
  local resident = line:match("^%d+%s+(%d+)")
  return tonumber(resident) * PAGE
end

local function heap_bytes()
  collectgarbage("collect"); collectgarbage("collect")
  return collectgarbage("count") * 1024
end

local path = os.tmpname()
local env = Env{ seed = 1 }
local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 16 }, seed = 1 }
local obs = env:start()
-- the samples are kept in preallocated fields, so that the script itself does not grow the heap it measures
local round_trips, n_samples, base_step, base_rss, base_heap, worst_rss, worst_heap = 0, 0, 0, 0, 0, 0, 0
local t0 = os.clock()

print(string.format("soak: %s backend (%s), %d steps, save/load every %d", nm.backend, _VERSION .. (jit and
  " / " .. jit.version or ""), steps, every))
print(string.format("%10s %12s %12s %12s %12s", "step", "rss KB", "d rss KB", "heap KB", "d heap KB"))
for t = 1, steps do
  local a = agent:act(obs)
  local r, nextobs, terminal = env:step(a)
  agent:learn(r, nextobs, terminal)
  obs = terminal and env:start() or nextobs
  if t % every == 0 then
    local hash = agent:state_hash()
    assert(agent:save(path))
    agent:close()
    agent = assert(nm.load(path))
    if agent:state_hash() ~= hash then
      io.stderr:write(string.format("soak: step %d: the loaded agent's hash %s differs from the saved %s\n", t,
        agent:state_hash(), hash))
      os.exit(1)
    end
    round_trips = round_trips + 1
  end
  if t % SAMPLE == 0 or t == steps then
    local rss, heap = rss_bytes(), heap_bytes()
    if t <= WARMUP then
      base_step, base_rss, base_heap = t, rss, heap
    else
      n_samples = n_samples + 1
      worst_rss = math.max(worst_rss, rss - base_rss)
      worst_heap = math.max(worst_heap, heap - base_heap)
    end
    print(string.format("%10d %12.0f %12.0f %12.1f %12.1f%s", t, rss / 1024, (rss - base_rss) / 1024,
      heap / 1024, (heap - base_heap) / 1024, t <= WARMUP and "  warm-up" or ""))
  end
end
os.remove(path)
local steps_done = agent:modulators().steps
agent:close()

print(string.format("soak: %s: %d steps (%d learn steps), %d save/load round trips in %.1f s; after the warm-up "
  .. "(step %d) RSS grew by at most %.0f KB (limit %d), the Lua heap by at most %.1f KB (limit %d)", nm.backend,
  steps, steps_done, round_trips, os.clock() - t0, base_step, worst_rss / 1024, RSS_SLACK / 1024,
  worst_heap / 1024, HEAP_SLACK / 1024))
if n_samples < 1 then
  io.stderr:write("soak: no sample after the warm-up; run at least " .. 2 * SAMPLE .. " steps\n")
  os.exit(1)
end
if worst_rss > RSS_SLACK or worst_heap > HEAP_SLACK then
  io.stderr:write("soak: FAILED: memory grew after the warm-up\n")
  os.exit(1)
end
print("soak: " .. nm.backend .. ": memory flat")
