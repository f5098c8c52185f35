-- The LuaJIT FFI backend (neuromod.ffi) at parity with the Lua 5.4 C-API module (neuromod.core).
-- Runs under both interpreters: the backend-choice, error and nm.vector specs run on whichever backend
-- the interpreter picks (core under Lua 5.4, ffi under LuaJIT) against the same literal expectations; the
-- FFI-only specs (observation kinds, finalizers, library search) run their body only under LuaJIT.
local nm = require "neuromod"

local SPEC = debug.getinfo(1, "S").source:match("^@(.*)$") or "spec/ffi_spec.lua"
local ROOT = SPEC:match("^(.*)/spec/[^/]*$") or "."

local shell = dofile(ROOT .. "/spec/support/shell.lua")
local sh_quote, have = shell.quote, shell.have
local garbage = dofile(ROOT .. "/spec/support/garbage.lua")

-- Runs `interp -e code` with the checkout's paths; returns ok, output (stdout and stderr).
local function run_lua(interp, code, env)
  local vars = {
    LUA_PATH = ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;" .. ROOT .. "/?.lua;;",
    LUA_CPATH = ROOT .. "/build/lua/?.so;;",
    NEUROMOD_LIB = os.getenv("NEUROMOD_LIB") or "",
  }
  for k, v in pairs(env or {}) do vars[k] = v end
  local parts = { "cd", sh_quote(ROOT), "&&", "env" }
  for k, v in pairs(vars) do parts[#parts + 1] = k .. "=" .. sh_quote(v) end
  parts[#parts + 1] = interp .. " -e " .. sh_quote(code) .. " 2>&1; echo \"<exit $?>\""
  local p = assert(io.popen(table.concat(parts, " ")))
  local out = p:read("*a")
  p:close() -- LuaJIT's close does not return the status: it is echoed instead
  local status = tonumber(out:match("<exit (%d+)>\n?$"))
  return status == 0, (out:gsub("<exit %d+>\n?$", ""))
end


describe("backend choice", function()
  it("require 'neuromod' picks ffi under LuaJIT and core under Lua 5.4", function()
    if jit then
      assert.equal("ffi", nm.backend)
      assert.equal(nm, require "neuromod.ffi")
    else
      assert.equal("core", nm.backend)
      assert.equal(nm, require "neuromod.core")
    end
  end)

  it("require 'neuromod.ffi' refuses Lua 5.4 with a clear message", function()
    if jit then
      assert.equal("ffi", require("neuromod.ffi").backend)
      return
    end
    local ok, e = pcall(require, "neuromod.ffi")
    assert.is_false(ok)
    assert.truthy(tostring(e):find("neuromod.ffi needs LuaJIT", 1, true), e)
  end)

  it("either backend can be forced from LuaJIT, and both report the same library version", function()
    if not have("luajit") then pending("luajit is not installed") return end
    local ok, out = run_lua("luajit", 'local f = require "neuromod.ffi" io.write(f.backend, " ", f.version)')
    assert.is_true(ok, out)
    assert.equal("ffi " .. nm.version, out)
  end)
end)

describe("errors: the same messages on both backends", function()
  local a, closed, v, g
  local n_params = #nm.agent{ obs = 3, actions = 2, hidden = { 4 }, seed = 1 }:params()
  before_each(function()
    a = nm.agent{ obs = 3, actions = 2, hidden = { 4 }, seed = 1 }
    closed = nm.agent{ obs = 3, actions = 2, hidden = { 4 }, seed = 1 }
    closed:close()
    v = nm.vector(3)
    g = nm.rng(1)
  end)

  -- { call, expected message, where the error is raised ("spec": this file, at the call's line) }
  -- No call is a tail call: a tail-called Lua function (the FFI backend) has no caller line to report.
  local cases = {
    { function() local _ = a:act{ 1, 2 } end, "agent:act: obs has 2 values, expected 3" },
    { function() local _ = a:act{ 1, "x", 3 } end, "agent:act: obs[2] is not a number (got string)" },
    { function() local _ = a:act{ 1, {}, 3 } end, "agent:act: obs[2] is not a number (got table)" },
    { function() local _ = a:act() end, "agent:act: obs: expected a table of numbers or an nm.vector, got no value" },
    { function() local _ = a:act(nil) end, "agent:act: obs: expected a table of numbers or an nm.vector, got nil" },
    { function() local _ = a:act(5) end, "agent:act: obs: expected a table of numbers or an nm.vector, got number" },
    { function() local _ = a:act(g) end, "agent:act: obs: expected a table of numbers or an nm.vector, got userdata" },
    { function() local _ = a:act(nm.vector(2)) end, "agent:act: obs has 2 values, expected 3" },
    { function() local _ = a:act{ 0 / 0, 0, 0 } end, "agent:act: obs[1] is NaN" },
    { function() local _ = a.act({}, { 1, 2, 3 }) end, "agent:act: self is not an agent (use agent:act, not agent.act)" },
    { function() local _ = closed:act{ 1, 2, 3 } end, "agent:act: the agent is closed" },
    { function() a:learn(1, { 1, 2, 3 }, false) end, "agent:learn: learn called without a preceding act" },
    { function() a:learn() end, "agent:learn: reward is not a number (got no value)" },
    { function() a:learn(nil, { 1, 2, 3 }) end, "agent:learn: reward is not a number (got nil)" },
    { function() a:learn("1", { 1, 2, 3 }) end, "agent:learn: reward is not a number (got string)" },
    { function() a:learn(1, { 1, 2, 3 }, 1) end, "agent:learn: terminal: expected a boolean or nil, got number" },
    { function() a:learn(1) end, "agent:learn: next_obs is missing (only a terminal step may omit it)" },
    { function() a:learn(1, nil, false) end, "agent:learn: next_obs is missing (only a terminal step may omit it)" },
    { function() a:learn(1, { 1, 2 }, false) end, "agent:learn: next_obs has 2 values, expected 3" },
    { function() closed:learn(1, nil, true) end, "agent:learn: the agent is closed" },
    { function() local _ = a:save(5) end, "agent:save: path: expected a string, got number" },
    { function() local _ = a:save() end, "agent:save: path: expected a string, got no value" },
    { function() local _ = closed:save("x.nmck") end, "agent:save: the agent is closed" },
    { function() local _ = closed:state_hash() end, "agent:state_hash: the agent is closed" },
    { function() local _ = closed:kernel_set() end, "agent:kernel_set: the agent is closed" },
    { function() local _ = closed:params() end, "agent:params: the agent is closed" },
    { function() closed:reset() end, "agent:reset: the agent is closed" },
    { function() local _ = closed:modulators() end, "agent:modulators: the agent is closed" },
    { function() local _ = closed:config() end, "agent:config: the agent is closed" },
    { function() a:set_param(0, 1) end, "agent:set_param: index 0 out of range 1.." .. n_params },
    { function() a:set_param("x", 1) end, "bad argument #1 to 'set_param' (number expected, got string)" },
    { function() a:set_param(1.5, 1) end, "bad argument #1 to 'set_param' (number has no integer representation)" },
    { function() a:set_param(1) end, "bad argument #2 to 'set_param' (number expected, got no value)" },
    { function() local _ = a:evaluate{ 1, 2 } end, "agent:evaluate: obs has 2 values, expected 3" },
    { function() local _ = a:gradient{ 1, 2, 3 } end, "bad argument #2 to 'gradient' (number expected, got no value)" },
    { function() local _ = a:gradient({ 1, 2, 3 }, 7) end, "agent:gradient: action 7 is out of range 0..1" },
    { function() a.close({}) end, "bad argument #1 to 'close' (neuromod.agent expected, got table)" },
    { function() local _ = nm.load(5) end, "nm.load: path: expected a string, got number" },
    { function() local _ = nm.agent{ obs = 3, actions = 2, tau_phasic = { DA = 0 } } end,
      "nm.agent: tau_phasic.DA: expected a number >= 1 (steps), got 0" },
    { function() local _ = nm.rng() end, "nm.rng: seed: expected an integer, got no value" },
    { function() local _ = nm.rng("x") end, "nm.rng: seed: expected an integer, got string" },
    { function() local _ = nm.rng(1.5) end, "nm.rng: seed must be an integer" },
    { function() local _ = g:random(0) end, "rng:random: interval [1, 0] is empty" },
    { function() local _ = g:random(3, 1) end, "rng:random: interval [3, 1] is empty" },
    { function() local _ = g:random(1.5) end, "rng:random: argument #1 must be an integer" },
    { function() local _ = g:random(1, "2") end, "rng:random: argument #2 must be an integer" },
    { function() local _ = g:random(1, 2, 3) end, "rng:random: expected 0, 1 or 2 arguments, got 3" },
    { function() local _ = g:normal(0, -1) end, "rng:normal: sigma must be >= 0" },
    { function() local _ = g:normal("x") end, "bad argument #1 to 'normal' (number expected, got string)" },
    { function() local _ = g.random({}) end, "bad argument #1 to 'random' (neuromod.rng expected, got table)" },
    { function() local _ = nm.vector(0) end, "nm.vector: expected a size > 0 or a table of numbers" },
    { function() local _ = nm.vector("3") end, "nm.vector: expected a size > 0 or a table of numbers" },
    { function() local _ = nm.vector{} end, "nm.vector: size must be 1..65536" },
    { function() local _ = nm.vector(70000) end, "nm.vector: size must be 1..65536, got 70000" },
    { function() local _ = nm.vector(1e9) end, "nm.vector: size must be 1..65536, got 1000000000" },
    { function() local _ = g:random(2^63) end, "rng:random: argument #1 must be an integer in [-2^53, 2^53], got 9.2233720368548e+18" },
    { function() local _ = g:random(1e300) end, "rng:random: argument #1 must be an integer in [-2^53, 2^53], got 1e+300" },
    { function() local _ = g:random(1, 2^53 + 2) end, "rng:random: argument #2 must be an integer in [-2^53, 2^53], got 9.007199254741e+15" },
    { function() local _ = a:modulators("x") end, "bad argument #1 to 'modulators' (table expected, got string)" },
    { function() local _ = a:gain(2^32 + 1) end, "agent:gain: layer 4294967297 out of range 1..1" },
    { function() a:set_param(2^32 + 1, 0) end, "agent:set_param: index 4294967297 out of range 1.." .. n_params },
    { function() local _ = nm.vector{ 1, "a" } end, "nm.vector: [2] is not a number" },
    { function() local _ = v[0] end, "nm.vector: index 0 out of range 1..3" },
    { function() local _ = v[4] end, "nm.vector: index 4 out of range 1..3" },
    { function() v[4] = 1 end, "nm.vector: index 4 out of range 1..3" },
    { function() v[1] = "x" end, "nm.vector: value must be a number" },
    { function() v.x = 1 end, "nm.vector: index must be an integer" },
  }

  it("raises each misuse with the literal message, at the caller's line", function()
    for i, c in ipairs(cases) do
      local f, want, where = c[1], c[2], c[3]
      local ok, e = pcall(f)
      assert.is_false(ok, "case " .. i .. " did not raise: " .. want)
      e = tostring(e)
      local pos, msg = e:match("^(.-:%d+): (.*)$")
      assert.equal(want, msg or e, "case " .. i)
      if where then
        assert.truthy(pos and pos:find(where, 1, true), "case " .. i .. " raised at " .. tostring(pos))
      else
        local line = debug.getinfo(f, "S").linedefined
        assert.equal(SPEC:match("[^/]*$") .. ":" .. line, pos and pos:match("[^/]*$"), "case " .. i .. ": " .. e)
      end
    end
  end)

  it("returns nil and a message for files that cannot be written or read", function()
    local ok, msg = a:save("/nonexistent-neuromod-dir/x.nmck")
    assert.is_nil(ok)
    assert.equal("save: cannot create a temporary file beside /nonexistent-neuromod-dir/x.nmck: No such file or directory", msg)
    local agent, msg2 = nm.load("/nonexistent-neuromod-dir/x.nmck")
    assert.is_nil(agent)
    assert.equal("cannot open /nonexistent-neuromod-dir/x.nmck: No such file or directory", msg2)
  end)

  it("close is idempotent and is_closed tells", function()
    assert.is_false(a:is_closed())
    a:close()
    a:close()
    assert.is_true(a:is_closed())
    assert.equal("neuromod agent (closed)", tostring(a))
  end)
end)

describe("nm.vector", function()
  it("is a 1-based float array with a length, usable as an observation", function()
    local v = nm.vector{ 1, 0.5, 0 }
    assert.equal(3, #v)
    assert.equal(0.5, v[2])
    v[3] = 0.25
    assert.equal(0.25, v[3])
    v[1] = 0.1
    assert.equal(0.1 - 0.1 % 1e-7, v[1] - v[1] % 1e-7) -- stored as a float
    assert.is_nil(v[1.5])
    assert.is_nil(v.foo)
    local z = nm.vector(4)
    for i = 1, 4 do assert.equal(0, z[i]) end
    -- the same agent fed a table or a vector of the same values acts and learns identically
    local a1 = nm.agent{ obs = 3, actions = 2, hidden = { 8 }, seed = 3 }
    local a2 = nm.agent{ obs = 3, actions = 2, hidden = { 8 }, seed = 3 }
    local t = {}
    for step = 1, 200 do
      for i = 1, 3 do t[i] = ((step * i) % 7) / 7 v[i] = t[i] end
      local x1, x2 = a1:act(t), a2:act(v)
      assert.equal(x1, x2)
      a1:learn(x1 == 1 and 1 or -0.5, t, step % 10 == 0)
      a2:learn(x2 == 1 and 1 or -0.5, v, step % 10 == 0)
    end
    assert.equal(a1:state_hash(), a2:state_hash())
  end)
end)

describe("FFI backend", function()
  it("accepts FFI float arrays and pointers as observations, with the same results as tables", function()
    if not jit then assert.equal("core", nm.backend) return end
    local ffi = require "ffi"
    local fixed, vla = ffi.new("float[3]"), ffi.new("float[?]", 3)
    local store = ffi.new("float[3]")
    local ptr = ffi.cast("float *", store)
    local agents, inputs = {}, { fixed, vla, ptr, "table" }
    for k = 1, #inputs do agents[k] = nm.agent{ obs = 3, actions = 3, hidden = { 8 }, seed = 5 } end
    local t = {}
    for step = 1, 300 do
      for i = 1, 3 do
        local x = ((step * (i + 1)) % 5) / 5
        t[i], fixed[i - 1], vla[i - 1], store[i - 1] = x, x, x, x
      end
      local acts = {}
      for k, o in ipairs(inputs) do acts[k] = agents[k]:act(o == "table" and t or o) end
      for k = 2, #acts do assert.equal(acts[1], acts[k]) end
      for k, o in ipairs(inputs) do agents[k]:learn(acts[k] == 2 and 1 or 0, o == "table" and t or o, step % 9 == 0) end
    end
    for k = 2, #agents do assert.equal(agents[1]:state_hash(), agents[k]:state_hash()) end
    assert.has_error(function() agents[1]:act(ffi.new("float[4]")) end, "agent:act: obs has 4 values, expected 3")
    local ok, e = pcall(agents[1].act, agents[1], ffi.new("double[3]"))
    assert.is_false(ok)
    assert.truthy(e:find("expected a table of numbers, an nm.vector or a float array, got ctype<double [3]>", 1, true), e)
  end)

  it("agents are ffi.metatype cdata finalized by the GC; close removes the finalizer", function()
    if not jit then assert.equal("core", nm.backend) return end
    local ffi = require "ffi"
    local a = nm.agent{ obs = 3, actions = 2, hidden = { 4 }, seed = 1 }
    assert.equal("cdata", type(a))
    assert.truthy(ffi.istype("nm_lua_agent", a))
    assert.truthy(tostring(a):match("^neuromod agent %(3 inputs, 2 actions%): 0x%x+$"), tostring(a))
    a:close()
    a:close()
    a = nil
    -- many agents dropped without close: the finalizers free them (a leak would show under ASan/valgrind)
    for _ = 1, 200 do
      local b = nm.agent{ obs = 3, actions = 2, hidden = { 32 }, seed = 1 }
      b:act{ 1, 0, 0 }
    end
    collectgarbage()
    collectgarbage()
  end)

  it("documents and follows its library search order (NEUROMOD_LIB, checkout, prefix, system)", function()
    if not have("luajit") then pending("luajit is not installed") return end
    -- an explicit NEUROMOD_LIB that does not load is an error, never silently replaced
    local ok, out = run_lua("luajit", 'require "neuromod.ffi"', { NEUROMOD_LIB = "/nonexistent/libneuromod.so" })
    assert.is_false(ok)
    assert.truthy(out:find("neuromod.ffi: cannot load NEUROMOD_LIB=/nonexistent/libneuromod.so", 1, true), out)
    -- without it, the checkout's build/lib/libneuromod.so, found relative to ffi.lua
    ok, out = run_lua("luajit", 'local nm = require "neuromod" local a = nm.agent{ obs = 2, actions = 2, seed = 1 } '
                      .. 'io.write(nm.backend, " ", a:act{ 1, 0 })', { NEUROMOD_LIB = "", LD_LIBRARY_PATH = "" })
    assert.is_true(ok, out)
    assert.truthy(out:match("^ffi [01]$"), out)
  end)
end)

describe("hot path", function()
  -- LuaJIT: no garbage per step once the traces are compiled, for tables, nm.vector, FFI arrays and the
  -- reused-table form of agent:modulators. Lua 5.4: the C-API module makes none either.
  it("act + learn make no garbage (collectgarbage('count') stays flat)", function()
    local agent = nm.agent{ obs = 3, actions = 2, hidden = { 16 }, seed = 1 }
    local obs, nobs = { 1, 0, 1 }, { 0, 1, 0 }
    local vec = nm.vector{ 0.5, 0.5, 0 }
    local arr = jit and require("ffi").new("float[3]", 1, 1, 0) or nm.vector{ 1, 1, 0 }
    local mods = {}
    local function run(n)
      for t = 1, n do
        local a = agent:act(obs)
        agent:learn(a == 1 and 0.5 or -0.1, nobs, t % 15 == 0)
      end
    end
    local function run_other_inputs(n)
      for t = 1, n do
        local a = agent:act(vec)
        agent:learn(a == 1 and 0.5 or -0.1, arr, t % 15 == 0)
        agent:modulators(mods)
      end
    end
    local steps = jit and 1000000 or 200000
    -- Garbage made per step grows the heap in every window (1 byte a step is 1 MB here); a late side trace is a
    -- one-off of a few KB (seen once in six runs at 5.1 KB), which the windows after the first rule out.
    for _, f in ipairs { run, run_other_inputs } do
      f(20000) -- warm-up: traces compiled, tables sized
      local grew = garbage.growth_kb(f, steps, 4)
      assert.is_true(grew < 4, string.format("the heap grew by %.1f KB over %d steps, in each of three windows", grew, steps))
    end
    agent:close()
  end)
end)
