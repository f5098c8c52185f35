-- bench/step.lua [steps]: steps per second of Go/No-Go training (the task in Lua, envs/gonogo.lua, plus the
-- agent's act and learn), and of the agent alone (act + learn on a reused observation table), for a few
-- network sizes. Runs under lua5.4 (C-API backend) and luajit (FFI backend) on the checkout it lives in
-- (after `make`; from any directory); under LuaJIT also the floor, the agent stepped by C calls alone. Each
-- figure is the best of 3 runs of `steps` steps (default 200,000) after a warm-up, so that LuaJIT's traces
-- are compiled. bench/run.sh runs both interpreters and prints the LuaJIT / Lua 5.4 ratio; it reads the
-- "result" lines.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)
local nm = require "neuromod"
local Env = dofile(ROOT .. "/envs/gonogo.lua")

local steps = tonumber(arg and arg[1]) or 200000
local clock = os.clock

-- Warms run up (so that LuaJIT's traces are compiled), then returns n / the best of 3 timed run(n).
local function steps_per_second(run, n)
  run(math.min(n, 20000))
  local best = math.huge
  for _ = 1, 3 do
    local t0 = clock()
    run(n)
    best = math.min(best, clock() - t0)
  end
  return n / best
end

local function gonogo(hidden, n)
  local env = Env{ seed = 1 }
  local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { hidden }, seed = 1 }
  local obs = env:start()
  local function run(k)
    for _ = 1, k do
      local a = agent:act(obs)
      local r, nextobs, terminal = env:step(a)
      agent:learn(r, nextobs, terminal)
      obs = terminal and env:start() or nextobs
    end
  end
  local sps = steps_per_second(run, n)
  agent:close()
  return sps
end

-- The agent alone on a reused observation table; log(agent), if given, runs after every step (the cost of
-- logging).
local function agent_bench(log)
  return function(hidden, n)
    local agent = nm.agent{ obs = 3, actions = 2, hidden = { hidden }, seed = 1 }
    local o1, o2 = { 1, 0, 1 }, { 0, 1, 0 }
    local function run(k)
      for t = 1, k do
        local a = agent:act(o1)
        agent:learn(a == 1 and 0.5 or -0.1, o2, t % 15 == 0)
        if log then log(agent) end
      end
    end
    local sps = steps_per_second(run, n)
    agent:close()
    return sps
  end
end

local sink, m = 0, {}
local agent_only = agent_bench(nil)
-- agent:modulators(t) into a reused table: every field, by name
local agent_logging = agent_bench(function(agent)
  agent:modulators(m)
  sink = sink + m.NA + m.params.learning_rate
end)
-- agent:levels() and agent:meta(): plain return values, the cheap logging path
local agent_levels = agent_bench(function(agent)
  local da, na = agent:levels()
  local lr = agent:meta()
  sink = sink + da + na + lr
end)

-- The floor: the same agent stepped by C calls only (LuaJIT, through the FFI, on a float array), so that
-- run.sh can tell the cost of the core from the cost of Lua (the task and the binding).
local function c_floor(hidden, n)
  local ffi = require "ffi"
  local lib = os.getenv("NEUROMOD_LIB")
  local C = ffi.load(lib and lib ~= "" and lib or ROOT .. "/build/lib/libneuromod.so")
  -- the config through the by-name API (the FFI binding holds it as opaque bytes of nm_config_size())
  local words = math.ceil(tonumber(C.nm_config_size()) / 8)
  local cfg = ffi.cast("nm_agent_config *", ffi.new("uint64_t[?]", words))
  C.nm_agent_config_default(cfg)
  for name, v in pairs { n_obs = 3, n_actions = 2, hidden = hidden } do
    assert(C.nm_config_set(cfg, name, 0, v, nil, 0) == 0, name)
  end
  local out = ffi.new("nm_agent *[1]")
  assert(C.nm_agent_new(cfg, out, nil, 0) == 0)
  local agent = out[0]
  local o1, o2 = ffi.new("float[3]", 1, 0, 1), ffi.new("float[3]", 0, 1, 0)
  local act = ffi.new("int[1]")
  local function run(k)
    for t = 1, k do
      C.nm_agent_act(agent, o1, 3, act)
      C.nm_agent_learn(agent, act[0] == 1 and 0.5 or -0.1, o2, 3, t % 15 == 0 and 1 or 0)
    end
  end
  local sps = steps_per_second(run, n)
  C.nm_agent_free(agent)
  return sps
end

local interp = jit and jit.version or _VERSION
local probe = nm.agent{ obs = 3, actions = 2, seed = 1 }
print(string.format("neuromod %s, backend %s, %s, kernel set %s, %d steps per run, best of 3", nm.version,
                    nm.backend, interp, probe:kernel_set(), steps))
probe:close()
print(string.format("%-22s %8s %14s %12s", "benchmark", "hidden", "steps/s", "us/step"))
local cases = { { "gonogo", gonogo, "gonogo (task+agent)" }, { "agent", agent_only, "agent (act+learn)" },
                { "logging", agent_logging, "agent + modulators(t)" },
                { "levels", agent_levels, "agent + levels(), meta()" } }
if nm.backend == "ffi" then cases[#cases + 1] = { "cfloor", c_floor, "C calls only" } end
for _, case in ipairs(cases) do
  for _, h in ipairs { 16, 64 } do
    local sps = case[2](h, steps)
    print(string.format("%-22s %8d %14.0f %12.3f", case[3], h, sps, 1e6 / sps))
    io.stderr:write(string.format("result %s %d %.1f\n", case[1], h, sps))
  end
end
