-- Determinism across threads and CPUs (the option `deterministic`, default true): agents with a layer of 16,384
-- weights or more (252 inputs x 64 units, the widest layer below the BLAS threshold's old reach, and 128 x 128,
-- at it) train 300 steps to the same state hash under every OPENBLAS_NUM_THREADS (1, 2, 4), every kernel set
-- this CPU runs (NEUROMOD_KERNELS) and every OPENBLAS_CORETYPE it runs, on both interpreters. With
-- deterministic = false the same runs are printed, not asserted: OpenBLAS's results depend on its thread
-- count and core type, which is what the option trades for speed.
local SPEC = debug.getinfo(1, "S").source:match("^@(.*)$") or "spec/determinism_spec.lua"
local ROOT = SPEC:match("^(.*)/spec/[^/]*$") or "."
local shell = dofile(ROOT .. "/spec/support/shell.lua")
local sh_quote, have = shell.quote, shell.have

local STEPS = 300
local SCRIPT = [[
local nm = require "neuromod"
local det = os.getenv("NM_SPEC_DETERMINISTIC") ~= "false"
local out = {}
for _, shape in ipairs { { 252, 64 }, { 128, 128 } } do
  local n_obs, units = shape[1], shape[2]
  local ok, agent = pcall(nm.agent, { obs = n_obs, actions = 4, hidden = { units }, seed = 3, deterministic = det })
  if not ok then print("error " .. tostring(agent)) return end
  local rng, obs = nm.rng(11), {}
  for t = 1, ]] .. STEPS .. [[ do
    for i = 1, n_obs do obs[i] = rng:random() * 2 - 1 end
    local a = agent:act(obs)
    -- the rewarded action is the sign pattern of the first two inputs
    local want = (obs[1] > 0 and 1 or 0) + (obs[2] > 0 and 2 or 0)
    for i = 1, n_obs do obs[i] = rng:random() * 2 - 1 end
    agent:learn(a == want and 1 or -0.25, obs, t % 50 == 0)
  end
  out[#out + 1] = agent:state_hash()
  out[#out + 1] = agent:kernel_set()
end
print(table.concat(out, " "))
]]

local function run(interp, vars)
  local env = {
    "LUA_PATH=" .. sh_quote(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;" .. ROOT .. "/?.lua;;"),
    "LUA_CPATH=" .. sh_quote((os.getenv("LUA_CPATH") or "") ~= "" and os.getenv("LUA_CPATH") or ROOT .. "/build/lua/?.so;;"),
    "NEUROMOD_LIB=" .. sh_quote(os.getenv("NEUROMOD_LIB") or ""),
    "NEUROMOD_BACKEND=", "OPENBLAS_VERBOSE=2",
  }
  for k, v in pairs(vars) do env[#env + 1] = k .. "=" .. sh_quote(v) end
  local cmd = table.concat({ "cd", sh_quote(ROOT), "&& env", table.concat(env, " "), interp, "-e",
                             sh_quote(SCRIPT), "2>&1" }, " ")
  local p = assert(io.popen(cmd))
  local text = p:read("*a")
  p:close()
  -- OPENBLAS_VERBOSE=2 makes OpenBLAS name the core type it took ("Core: Haswell")
  local core = text:match("Core: (%S+)") or "?"
  local line = text:match("(%x+ %S+ %x+ %S+)%s*$")
  assert(line, "unexpected output: " .. text)
  local h1, k1, h2 = line:match("^(%x+) (%S+) (%x+)")
  return h1 .. " " .. h2, k1, core
end

-- The CPU's flags (Linux); the OpenBLAS core types below need these, and a type the CPU lacks would crash.
local function cpu_flags()
  local f = io.open("/proc/cpuinfo")
  if not f then return {} end
  local text = f:read("*a")
  f:close()
  local flags = {}
  for w in (text:match("\nflags%s*:([^\n]*)") or ""):gmatch("%S+") do flags[w] = true end
  return flags
end

local CORETYPES = {
  { "Prescott", { "pni" } }, { "Nehalem", { "ssse3", "sse4_2" } }, { "Sandybridge", { "avx" } },
  { "Haswell", { "avx2", "fma" } }, { "SkylakeX", { "avx512f", "avx512bw", "avx512vl", "avx512dq" } },
}

local function runnable_coretypes()
  local flags, list = cpu_flags(), { "" }   -- "" lets OpenBLAS choose
  for _, c in ipairs(CORETYPES) do
    local ok = true
    for _, need in ipairs(c[2]) do ok = ok and flags[need] == true end
    if ok then list[#list + 1] = c[1] end
  end
  return list
end

describe("deterministic = true", function()
  -- the matrix runs under the interpreter running this spec (make test runs the specs under both)
  local interp = shell.LUA
  it(interp .. ": the same state on every OpenBLAS thread count, kernel set and core type", function()
    local ref, runs, cores = nil, 0, {}
    for _, set in ipairs { "avx512", "avx2", "generic" } do
      local refused = false
      for _, coretype in ipairs(runnable_coretypes()) do
        for _, threads in ipairs { 1, 2, 4 } do
          local ok, h, k, core = pcall(run, interp, { NEUROMOD_KERNELS = set, OPENBLAS_CORETYPE = coretype,
                                                       OPENBLAS_NUM_THREADS = tostring(threads) })
          if not ok then
            -- a kernel set this CPU cannot run is refused by nm.agent; anything else is a failure
            assert.is_truthy(tostring(h):match("NEUROMOD_KERNELS=" .. set), h)
            refused = true
            break
          end
          assert.equal(set, k)
          if coretype ~= "" then assert.equal(coretype, core, "OpenBLAS did not take the core type") end
          cores[core] = true
          ref = ref or h
          assert.equal(ref, h, ("%s, OPENBLAS_CORETYPE=%s, %d threads"):format(set, coretype, threads))
          runs = runs + 1
        end
        if refused then break end
      end
    end
    local names = {}
    for c in pairs(cores) do names[#names + 1] = c end
    table.sort(names)
    print(("\n  %s: %d runs (kernel sets x core types %s x 1, 2, 4 threads), one state: %s"):format(
      interp, runs, table.concat(names, ", "), ref))
    assert.is_true(runs >= 6)
  end)

  it("gives the same state on both interpreters", function()
    local other = interp == "luajit" and "lua5.4" or "luajit"
    if not have(other) then pending(other .. " is not installed") return end
    assert.equal((run(interp, { OPENBLAS_NUM_THREADS = "2" })), (run(other, { OPENBLAS_NUM_THREADS = "1" })))
  end)

  it("is the default, survives a checkpoint, and is false for checkpoints written before it existed", function()
    local nm = require "neuromod"
    assert.is_true(nm.agent{ obs = 3, actions = 2 }:config().deterministic)
    local dir = os.tmpname()
    for _, det in ipairs { true, false } do
      local a = nm.agent{ obs = 3, actions = 2, deterministic = det }
      assert(a:save(dir .. ".nmck"))
      assert.equal(det, nm.load(dir .. ".nmck"):config().deterministic)
    end
    os.remove(dir .. ".nmck")
    os.remove(dir)
    for _, f in ipairs { "format2.nmck", "format3.nmck" } do
      assert.is_false(nm.load(ROOT .. "/c/test/fixtures/" .. f):config().deterministic, f)
    end
    assert.has_error(function() nm.agent{ obs = 3, actions = 2, deterministic = 1 } end,
                     "nm.agent: deterministic: expected true or false, got 1")
  end)

  it("deterministic = false: OpenBLAS's results vary with threads and core type (printed, not asserted)", function()
    local seen, lines = {}, {}
    for _, coretype in ipairs(runnable_coretypes()) do
      for _, threads in ipairs { 1, 2, 4 } do
        local h, _, core = run(interp, { NM_SPEC_DETERMINISTIC = "false", OPENBLAS_CORETYPE = coretype,
                                         OPENBLAS_NUM_THREADS = tostring(threads) })
        seen[h] = true
        lines[#lines + 1] = ("    %-12s %d threads: %s"):format(core, threads, h)
      end
    end
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    print(("\n  deterministic = false (%s): %d distinct states over %d runs\n%s"):format(
      interp, n, #lines, table.concat(lines, "\n")))
  end)
end)
