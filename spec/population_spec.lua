-- nm.population: member k is the lone agent nm.agent{ seed = s + k - 1, ... } bit for bit, at 1 and 2 threads,
-- on whichever backend the interpreter picks (busted runs this file under Lua 5.4 and LuaJIT); per-member
-- options; inputs as tables, nm.vectors and FFI arrays; reused action tables; one checkpoint that continues
-- exactly; reset, replace, agent copies; errors that name the argument or member; no garbage per step (LuaJIT).
local nm = require "neuromod"

local OPTS = { obs = 3, actions = 2, hidden = { 16 } }
local with = require("spec.support.agent_checks").with
local garbage = require "spec.support.garbage"

-- deterministic inputs: member k's observation at step t, its reward for an action, its terminal flag
local function ob(k, t, i) return math.sin(t * 0.37 + k * 1.3 + i) end
local function reward(k, t, a) return ((k + t + a) % 3 == 0) and 1 or -0.25 end
local function terminal(k, t) return (k + t) % 9 == 0 end

-- Steps pop and the lone agents side by side for T steps; returns true or the step and member where they differ.
local function compare(pop, lone, T, t0)
  local n = #lone
  local obs, nobs, r, term, actions = {}, {}, {}, {}, nil
  for t = t0 or 1, (t0 or 1) + T - 1 do
    for k = 1, n do for i = 1, 3 do obs[(k - 1) * 3 + i] = ob(k, t, i); nobs[(k - 1) * 3 + i] = ob(k, t + 1, i) end end
    actions = pop:act(obs, actions)
    for k = 1, n do r[k] = reward(k, t, actions[k]); term[k] = terminal(k, t) end
    pop:learn(r, nobs, term)
    for k = 1, n do
      local a = lone[k]:act { ob(k, t, 1), ob(k, t, 2), ob(k, t, 3) }
      lone[k]:learn(r[k], { ob(k, t + 1, 1), ob(k, t + 1, 2), ob(k, t + 1, 3) }, term[k])
      if a ~= actions[k] then return false, string.format("step %d member %d: action %d vs %d", t, k, actions[k], a) end
    end
  end
  for k = 1, n do
    local h = pop:agent(k):state_hash()
    if h ~= lone[k]:state_hash() then return false, "member " .. k .. ": state hash differs" end
  end
  return true
end

describe("nm.population", function()
  for _, threads in ipairs { 1, 2 } do
    it("member k equals nm.agent{ seed = s + k - 1 } bit for bit (" .. threads .. " thread" .. (threads > 1 and "s" or "") .. ")", function()
      local pop = nm.population(with(OPTS, { n = 6, seed = 11, threads = threads }))
      assert.equal(6, pop:size())
      assert.equal(threads, pop:threads())
      local lone = {}
      for k = 1, 6 do lone[k] = nm.agent(with(OPTS, { seed = 11 + k - 1 })) end
      assert.is_true(compare(pop, lone, 400))
    end)

    it("per-member options (modulators, base meta-parameters, mapping) and seeds = {...} (" .. threads .. " threads)", function()
      local members = {
        [2] = { modulators = { DA = true } },
        [3] = { learning_rate = 0.1, inverse_temperature = 2 },
        [4] = { mapping = { learning_rate = { NA = 2 } }, seed = 1000 },
      }
      local seeds = { 5, 9, 2, 77, 31 }
      local pop = nm.population(with(OPTS, { n = 5, seeds = seeds, threads = threads, members = members, discount = 0.9 }))
      local lone = {}
      for k = 1, 5 do
        lone[k] = nm.agent(with(with(OPTS, { seed = seeds[k], discount = 0.9 }), members[k]))
      end
      assert.is_true(compare(pop, lone, 300))
      assert.equal(0.1, tonumber(string.format("%.6g", pop:config(3).learning_rate)))
      assert.equal(1000, pop:config(4).seed)
    end)
  end

  it("the default seed is 1: member k has seed k", function()
    local pop = nm.population(with(OPTS, { n = 3 }))
    for k = 1, 3 do assert.equal(k, pop:config(k).seed) end
  end)

  it("takes nm.vectors for every input and output, and reuses a given actions table", function()
    local pop = nm.population(with(OPTS, { n = 4, seed = 3 }))
    local twin = nm.population(with(OPTS, { n = 4, seed = 3 }))
    local obs, rew, term, acts = nm.vector(12), nm.vector(4), nm.vector(4), nm.vector(4)
    local tobs, trew, tterm, tacts = {}, {}, {}, {}
    for t = 1, 50 do
      for i = 1, 12 do obs[i] = math.cos(t + i); tobs[i] = obs[i] end
      local same = pop:act(obs, acts)
      assert.equal(acts, same)
      local back = twin:act(tobs, tacts)
      assert.equal(tacts, back)
      for k = 1, 4 do
        assert.equal(tacts[k], acts[k])
        rew[k] = tacts[k] == 1 and 1 or 0; trew[k] = rew[k]
        term[k] = t % 5 == 0 and 1 or 0; tterm[k] = t % 5 == 0
      end
      pop:learn(rew, obs, term)
      twin:learn(trew, tobs, tterm)
    end
    for k = 1, 4 do assert.equal(twin:agent(k):state_hash(), pop:agent(k):state_hash()) end
  end)

  for _, threads in ipairs { 1, 2 } do
    it("pop:step learns and then acts, as pop:learn then pop:act (" .. threads .. " thread" .. (threads > 1 and "s" or "") .. ")", function()
      local n = 20
      local pop = nm.population(with(OPTS, { n = n, seed = 4, threads = threads }))
      local twin = nm.population(with(OPTS, { n = n, seed = 4, threads = threads }))
      local obs, nobs, fresh, r, term = {}, {}, {}, {}, {}
      for k = 1, n do for i = 1, 3 do obs[(k - 1) * 3 + i] = ob(k, 0, i) end end
      local acts, tacts = pop:act(obs), twin:act(obs)
      for t = 1, 300 do
        for k = 1, n do
          r[k] = reward(k, t, acts[k]); term[k] = terminal(k, t)
          for i = 1, 3 do
            nobs[(k - 1) * 3 + i] = ob(k, t, i)
            fresh[(k - 1) * 3 + i] = term[k] and ob(k, t + 500, i) or ob(k, t, i)   -- a new episode where one ended
          end
        end
        -- every other step the members act on a new episode's observation where theirs ended; else on next_obs
        local on = t % 2 == 0 and fresh or nil
        local same = pop:step(r, nobs, term, on, acts)
        assert.equal(acts, same)
        twin:learn(r, nobs, term)
        tacts = twin:act(on or nobs, tacts)
        for k = 1, n do assert.equal(tacts[k], acts[k]) end
      end
      for k = 1, n do assert.equal(twin:agent(k):state_hash(), pop:agent(k):state_hash()) end
    end)
  end

  it("pop:step: a member whose learn fails does not act; the others step; arguments are named", function()
    local pop = nm.population(with(OPTS, { n = 3, seed = 2 }))
    local twin = nm.population(with(OPTS, { n = 3, seed = 2 }))
    local obs = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9 }
    pop:act(obs); twin:act(obs)
    local hash2 = pop:agent(2):state_hash()
    assert.has_error(function() pop:step({ 1, 0 / 0, 0 }, obs) end,
      "pop:step: member 2: reward is NaN (1 member failed; the others stepped)")
    assert.equal(hash2, pop:agent(2):state_hash())
    -- the others learned and acted: member 1 is twin's member 1 after its learn and act
    assert.is_false(pcall(twin.learn, twin, { 1, 0 / 0, 0 }, obs))
    local lone = twin:agent(1)
    lone:act { 0.1, 0.2, 0.3 }
    assert.equal(lone:state_hash(), pop:agent(1):state_hash())
    -- member 2 still waits for its learn: the next step learns it and acts
    pop:step({ 1, 1, 0 }, obs)
    assert.are_not.equal(hash2, pop:agent(2):state_hash())
    assert.has_error(function() pop:step({ 1, 1 }, obs) end, "pop:step: rewards has 2 values, expected 3")
    assert.has_error(function() pop:step({ 1, 1, 1 }, obs, nil, { 1, 2 }) end, "pop:step: obs has 2 values, expected 9")
    assert.has_error(function() pop:step({ 1, 1, 1 }, nil, { true, true, false }) end,
      "pop:step: next_obs is missing (only a step where every member is terminal may omit it)")
    assert.has_error(function() pop:step({ 1, 1, 1 }, nil, { true, true, true }) end,
      "pop:step: obs is missing (with no next_obs, give the observations to act on)")
    assert.has_error(function() pop:step({ 1, 1, 1 }, obs, nil, nil, "x") end,
      "pop:step: actions: expected a table, an nm.vector or an int32_t array, got string")
    local a = pop:step({ 1, 1, 1 }, nil, { true, 1, true }, obs)   -- every episode ended: act on the new ones
    assert.equal(3, #a)
    -- a raised step still hands back the actions of the members that acted; the failed member's entry stays
    local keep = { 7, 7, 7 }
    assert.has_error(function() pop:step({ 0 / 0, 1, 1 }, obs, nil, nil, keep) end,
      "pop:step: member 1: reward is NaN (1 member failed; the others stepped)")
    assert.equal(7, keep[1])
    assert.is_true(keep[2] == 0 or keep[2] == 1)
    assert.is_true(keep[3] == 0 or keep[3] == 1)
    -- a member with no act to learn from (reset) only acts: member 2 below is its copy's act, nothing learned
    pop:step({ 1, 1, 1 }, obs)
    pop:reset(2)
    local lone = pop:agent(2)
    lone:act { 0.4, 0.5, 0.6 }
    pop:step({ 1, 1, 1 }, obs)
    assert.equal(lone:state_hash(), pop:agent(2):state_hash())
    pop:close()
    assert.has_error(function() pop:step({ 1, 1, 1 }, obs) end, "pop:step: the population is closed")
  end)

  for _, continual in ipairs { true, false } do
    it("pop:context and pop:freeze act per member, as on lone agents (continual = " .. tostring(continual) .. ")", function()
      local n, opts = 20, with(OPTS, { continual = continual })
      local pop = nm.population(with(opts, { n = n, seed = 3, threads = 2 }))
      local lone = {}
      for k = 1, n do lone[k] = nm.agent(with(opts, { seed = 3 + k - 1 })) end
      local ids = {}
      for t = 1, 240 do
        if t % 60 == 1 then   -- a boundary: member k's context is its own function of the block
          for k = 1, n do ids[k] = (k + (t - 1) / 60) % 3 == 0 and "b" or (t - 1) / 60 end
          pop:context(ids)
          for k = 1, n do lone[k]:context(ids[k]) end
        end
        if t == 100 then pop:freeze(3, true); lone[3]:freeze(true) end
        if t == 180 then pop:freeze(3, false); lone[3]:freeze(false) end
        local ok, why = compare(pop, lone, 1, t)
        assert(ok, why)
      end
      assert.equal("b", pop:context(3))
      assert.equal(3, pop:context(2))
      assert.equal(lone[4]:context(), pop:context(4))
      assert.is_false(pop:frozen(3))
      pop:context(5, 7)
      assert.equal(7, pop:context(5))
      assert.has_error(function() pop:context({ 1 }) end, "pop:context: ids has 1 values, expected 20")
      assert.has_error(function() pop:context(2, 1.5) end,
        "pop:context: id: expected an integer 0 .. 2^31-1 or a string, got 1.5")
      assert.has_error(function() pop:freeze(2) end, "pop:freeze: on: expected true or false, got no value")
      assert.has_error(function() pop:frozen(21) end, "pop:frozen: k: member 21 out of range 1..20")
    end)
  end

  it("learns a terminal step without next_obs when every member is terminal", function()
    local pop = nm.population(with(OPTS, { n = 2 }))
    pop:act { 0, 0, 0, 1, 1, 1 }
    pop:learn({ 1, 0 }, nil, { true, 1 })
    assert.has_error(function() pop:act { 0, 0, 0, 1, 1, 1 }; pop:learn({ 1, 0 }, nil, { true, false }) end,
      "pop:learn: next_obs is missing (only a step where every member is terminal may omit it)")
  end)

  it("saves and loads as one checkpoint that continues exactly", function()
    local path = os.tmpname()
    local pop = nm.population(with(OPTS, { n = 4, seed = 21, members = { [3] = { modulators = "none" } } }))
    local lone = {}
    for k = 1, 4 do lone[k] = nm.agent(with(OPTS, { seed = 20 + k, modulators = k == 3 and "none" or nil })) end
    assert.is_true(compare(pop, lone, 100))
    assert.is_true(pop:save(path))
    local back = assert(nm.population_load(path, 2))
    assert.equal(4, back:size())
    assert.equal(2, back:threads())
    local again = {}
    for k = 1, 4 do again[k] = back:agent(k) end
    assert.is_true(compare(back, lone, 100, 101))
    assert.is_true(compare(pop, again, 100, 101))
    os.remove(path)
    local f = assert(io.open(path, "wb")) f:write("not a population") f:close()
    local none, err = nm.population_load(path)
    assert.is_nil(none)
    assert.matches("not a neuromod population checkpoint", err)
    os.remove(path)
  end)

  it("resets, copies and replaces members", function()
    local pop = nm.population(with(OPTS, { n = 3, seed = 4 }))
    local lone = {}
    for k = 1, 3 do lone[k] = nm.agent(with(OPTS, { seed = 3 + k })) end
    assert.is_true(compare(pop, lone, 30))
    local copy = pop:agent(2)
    assert.equal(lone[2]:state_hash(), copy:state_hash())
    assert.is_number(copy:modulators().steps)
    copy:act { 1, 1, 1 }   -- a copy: the member does not move
    assert.equal(lone[2]:state_hash(), pop:agent(2):state_hash())
    pop:replace(1, lone[3])
    assert.equal(lone[3]:state_hash(), pop:agent(1):state_hash())
    pop:replace(3, { seed = 99 })
    assert.equal(nm.agent(with(OPTS, { seed = 99 })):state_hash(), pop:agent(3):state_hash())
    pop:act { 0, 0, 0, 0, 0, 0, 0, 0, 0 }
    pop:reset(2)
    assert.has_error(function() pop:learn({ 0, 0, 0 }, { 0, 0, 0, 0, 0, 0, 0, 0, 0 }) end,
      "pop:learn: member 2: learn called without a preceding act (1 member failed; the others stepped)")
    pop:reset()
    local probs, v = pop:evaluate(1, { 0.5, 0.5, 0.5 })
    assert.equal(2, #probs)
    assert.is_number(v)
  end)

  it("names the argument or the member in its errors", function()
    assert.has_error(function() nm.population(OPTS) end,
      "nm.population: n: expected the number of members, a positive integer, got nil")
    assert.has_error(function() nm.population(with(OPTS, { n = 2, seeds = { 1 } })) end,
      "nm.population: seeds: expected 2 seeds (n), got 1")
    assert.has_error(function() nm.population(with(OPTS, { n = 2, threads = 0 })) end,
      "nm.population: threads: expected an integer from 1 to 1024, got 0")
    assert.has_error(function() nm.population(with(OPTS, { n = 2, learning_rate = -1 })) end,
      "nm.population: learning_rate: expected a number >= 0, got -1")
    assert.has_error(function() nm.population(with(OPTS, { n = 3, members = { [2] = { hidden = { 8 } } } })) end,
      "nm.population: member 2: hidden differs from member 1's (a population has one shape)")
    assert.has_error(function() nm.population(with(OPTS, { n = 3, members = { [4] = {} } })) end,
      "nm.population: members: expected keys 1..3, got 4")
    local pop = nm.population(with(OPTS, { n = 2 }))
    assert.has_error(function() pop:act { 1, 2, 3 } end, "pop:act: obs has 3 values, expected 6")
    assert.has_error(function() pop:act { 1, 2, 3, 4, 5, "x" } end, "pop:act: obs[6] is not a number (got string)")
    assert.has_error(function() pop:act({ 0, 0, 0, 0, 0, 0 }, "x") end,
      "pop:act: actions: expected a table, an nm.vector or an int32_t array, got string")
    pop:act { 0, 0, 0, 0, 0, 0 }
    assert.has_error(function() pop:learn({ 1 }, { 0, 0, 0, 0, 0, 0 }) end, "pop:learn: rewards has 1 values, expected 2")
    assert.has_error(function() pop:learn({ 1, 1 }, { 0, 0, 0, 0, 0, 0 }, { true, "no" }) end,
      "pop:learn: terminals[2]: expected a boolean or 0/1, got string")
    assert.has_error(function() pop:learn({ 1, 0 / 0 }, { 0, 0, 0, 0, 0, 0 }) end,
      "pop:learn: member 2: reward is NaN (1 member failed; the others stepped)")
    assert.has_error(function() pop:agent(3) end, "pop:agent: k: member 3 out of range 1..2")
    assert.has_error(function() pop:reset(0) end, "pop:reset: k: member 0 out of range 1..2")
    assert.has_error(function() pop:replace(1, nm.agent { obs = 4, actions = 2, hidden = { 16 } }) end,
      "pop:replace: replace: member 1: the agent's obs differs from the population's")
    assert.has_error(function() pop:save(3) end, "pop:save: path: expected a string, got number")
    assert.has_error(function() pop:evaluate(2, { 0, 0 / 0, 0 }) end, "pop:evaluate: member 2: obs[2] is NaN")
    assert.has_error(function() pop:evaluate(1, { 0 }) end, "pop:evaluate: obs has 1 values, expected 3")
    assert.has_error(function() nm.population{ n = 2, obs = { name = "Discrete", n = 3 }, actions = 2 } end,
      "nm.population: obs: a population takes flat observations (a number of inputs, or a flat Box within " ..
      "[-1, 1]); encode other spaces with neuromod.spaces before pop:act")
    -- raised at the caller's line, on both backends
    local ok, err = pcall(function() pop:act { 1 } end)
    assert.is_false(ok)
    assert.matches("population_spec%.lua:%d+: pop:act: obs has 1 values", err)
    ok, err = pcall(function() pop:evaluate(1, { 0 }) end)
    assert.matches("population_spec%.lua:%d+: pop:evaluate:", err)
    pop:close()
    assert.is_true(pop:is_closed())
    assert.has_error(function() pop:act { 0, 0, 0, 0, 0, 0 } end, "pop:act: the population is closed")
  end)

  it("makes no garbage per step under LuaJIT (reused tables; nm.vectors; FFI arrays)", function()
    if not jit then return end
    local ffi = require "ffi"
    local N = 16
    local pop = nm.population(with(OPTS, { n = N, threads = 2 }))
    local obs, rew, term, acts = {}, {}, {}, nil
    for i = 1, 3 * N do obs[i] = (i % 7) / 7 end
    for k = 1, N do rew[k], term[k] = 0, false end
    local fobs, facts, vrew, vterm = ffi.new("float[?]", 3 * N), ffi.new("int32_t[?]", N), nm.vector(N), nm.vector(N)
    local function tables(n)
      for t = 1, n do
        acts = pop:act(obs, acts)
        for k = 1, N do rew[k] = acts[k] == 1 and 1 or 0; term[k] = (t + k) % 10 == 0 end
        pop:learn(rew, obs, term)
      end
    end
    local function arrays(n)
      for t = 1, n do
        pop:act(fobs, facts)
        vterm[1] = t % 10 == 0 and 1 or 0
        pop:learn(vrew, fobs, vterm)
      end
    end
    local function steps(n)   -- pop:step with tables, then with arrays, between an act and a learn
      acts = pop:act(obs, acts)
      for t = 1, n do
        for k = 1, N do rew[k] = acts[k] == 1 and 1 or 0; term[k] = (t + k) % 10 == 0 end
        acts = pop:step(rew, obs, term, nil, acts)
        vterm[1] = t % 10 == 0 and 1 or 0
        pop:step(vrew, fobs, vterm, fobs, facts)
      end
      pop:learn(rew, obs, term)
    end
    -- as ffi_spec's agent check: 4 KB over 20,000 steps, in each of up to three windows
    for _, f in ipairs { tables, arrays, steps } do
      f(5000)
      local grew = garbage.growth_kb(f, 20000, 4)
      assert.is_true(grew < 4, string.format("the heap grew by %.1f KB over 20,000 steps, in each of three windows", grew))
    end
    pop:close()
  end)

  -- A loop, or a branch of one, that LuaJIT does not compile runs in its interpreter, where an nm.vector's element
  -- once cost a boxed reference (24 bytes) per access: the check above then failed now and then, when LuaJIT gave up
  -- on a side trace. garbage.bytes runs the calls with the compiler off.
  it("makes no garbage per step in LuaJIT's interpreter either (nm.vectors, FFI arrays)", function()
    if not jit then return end
    local ffi = require "ffi"
    local N = 16
    local pop = nm.population(with(OPTS, { n = N, threads = 2 }))
    local agent = nm.agent(OPTS)
    local fobs, facts, frew, iterm = ffi.new("float[?]", 3 * N), ffi.new("int32_t[?]", N), ffi.new("float[?]", N),
                                     ffi.new("int32_t[?]", N)
    local vrew, vterm, vacts, vobs = nm.vector(N), nm.vector(N), nm.vector(N), nm.vector(3)
    for i = 0, 3 * N - 1 do fobs[i] = (i % 7) / 7 end
    local t = 0
    local calls = {
      { "vector element read and write", function() t = t + 1; vterm[1] = t % 2; vrew[2] = vterm[1] end },
      { "pop:act and pop:learn, FFI arrays", function() pop:act(fobs, facts); pop:learn(frew, fobs, iterm) end },
      { "pop:act into an nm.vector, pop:learn from nm.vectors", function()
          t = t + 1; vterm[1] = t % 10 == 0 and 1 or 0
          pop:act(fobs, vacts); pop:learn(vrew, fobs, vterm)
        end },
      { "pop:step with nm.vectors", function() pop:step(vrew, fobs, vterm, fobs, vacts) end },
      { "agent:act and agent:learn with an nm.vector", function()
          t = t + 1; vobs[1] = t % 3
          agent:learn(agent:act(vobs) == 1 and 1 or 0, vobs, t % 10 == 0)
        end },
    }
    pop:act(fobs, facts); pop:learn(frew, fobs, iterm)
    for _, c in ipairs(calls) do
      local per_call = garbage.bytes(c[2], 2000) / 2000
      assert.is_true(per_call < 1, string.format("%s: %.1f bytes a call, interpreted", c[1], per_call))
    end
    pop:close()
  end)
end)

describe("studies as populations", function()
  it("study:run_populations gives run's records and measures (set-shift, 3 seeds, 2 threads, logged modulators)", function()
    local setshift = dofile("experiments/setshift.lua")
    local o = { seeds = 3, trials = 220, shift_trial = 60, log = true }
    local a = setshift.study(o):run()
    local b = setshift.study(o):run_populations(nil, 2)
    assert.equal(#a, #b)
    for c = 1, #a do
      assert.equal(a[c].name, b[c].name)
      assert.are.same(a[c].seeds, b[c].seeds)
      assert.are.same(a[c].records, b[c].records)
    end
  end)
end)

-- Every kernel set and both interpreters: a population of 2 threads trained in a child process under
-- NEUROMOD_KERNELS=<set> ends with the members' hashes equal to lone agents' in the same process, and the same
-- hashes under every set and interpreter (the kernel sets compute the same bits).
describe("populations under every kernel set and backend", function()
  local SPEC = debug.getinfo(1, "S").source:match("^@(.*)$") or "spec/population_spec.lua"
  local ROOT = SPEC:match("^(.*)/spec/[^/]*$") or "."
  local shell = dofile(ROOT .. "/spec/support/shell.lua")
  local sh_quote, have = shell.quote, shell.have
  local SCRIPT = [[
local nm = require "neuromod"
local O = { obs = 3, actions = 2, hidden = { 24 } }
local pop = nm.population{ n = 5, seed = 7, threads = 2, obs = 3, actions = 2, hidden = { 24 } }
local lone = {}
for k = 1, 5 do O.seed = 6 + k; lone[k] = nm.agent(O) end
local flat, nflat, r, t, acts = {}, {}, {}, {}, nil
for step = 1, 300 do
  for i = 1, 15 do flat[i] = math.sin(step * 0.1 + i); nflat[i] = math.sin((step + 1) * 0.1 + i) end
  acts = pop:act(flat, acts)
  for k = 1, 5 do r[k] = acts[k] == k % 2 and 1 or -0.2; t[k] = (step + k) % 11 == 0 end
  pop:learn(r, nflat, t)
  for k = 1, 5 do
    local a = lone[k]:act { flat[3 * k - 2], flat[3 * k - 1], flat[3 * k] }
    lone[k]:learn(r[k], { nflat[3 * k - 2], nflat[3 * k - 1], nflat[3 * k] }, t[k])
    if a ~= acts[k] then print("differs at step " .. step) return end
  end
end
local out = { lone[1]:kernel_set() }
for k = 1, 5 do
  if pop:state_hash(k) ~= lone[k]:state_hash() then print("hash differs, member " .. k) return end
  out[#out + 1] = pop:state_hash(k)
end
print(table.concat(out, " "))
]]
  local function run(interp, kernels, script, extra)
    local env = {
      "LUA_PATH=" .. sh_quote(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;" .. ROOT .. "/?.lua;;"),
      "LUA_CPATH=" .. sh_quote((os.getenv("LUA_CPATH") or "") ~= "" and os.getenv("LUA_CPATH") or ROOT .. "/build/lua/?.so;;"),
      "NEUROMOD_LIB=" .. sh_quote(os.getenv("NEUROMOD_LIB") or ""),
      "NEUROMOD_BACKEND=",
      "NEUROMOD_KERNELS=" .. sh_quote(kernels),
      extra or "NEUROMOD_INTERLEAVE=",
    }
    local p = assert(io.popen(table.concat({ "cd", sh_quote(ROOT), "&& env", table.concat(env, " "), interp, "-e",
                                             sh_quote(script or SCRIPT), "2>&1" }, " ")))
    local out = p:read("*a")
    p:close()
    return (out:gsub("%s+$", ""))
  end

  it("members equal lone agents, and every set and backend gives the same hashes", function()
    local hashes
    for _, interp in ipairs { "lua5.4", "luajit" } do
      if have(interp) then
        for _, set in ipairs { "generic", "avx2", "avx512" } do
          local out = run(interp, set)
          if not out:find("cannot run", 1, true) and not out:find("NEUROMOD_KERNELS", 1, true) then
            local got_set, rest = out:match("^(%S+) (.+)$")
            assert.equal(set, got_set, interp .. " " .. set .. ": " .. out)
            hashes = hashes or rest
            assert.equal(hashes, rest, interp .. " " .. set)
          end
        end
      end
    end
    assert.is_truthy(hashes)
  end)
  -- The interleaved step's hard cases (c/population_simd.c): 37 members (two full groups of 16 and a partial one)
  -- on 2 threads, 64 hidden units, clipping that acts, NA's trace resets and policy reset, terminal steps, members
  -- without a critic step or with a withheld action, 2000 steps; the same hashes with the interleaved step on and
  -- off (NEUROMOD_INTERLEAVE=0), under every set and interpreter.
  local HARD = [[
local nm = require "neuromod"
local N, O = 37, { obs = 3, actions = 2, hidden = { 64 }, max_update = 0.05, policy_reset = 0.2, na_reset = 0.3 }
local members, lone = {}, {}
for k = 1, N do
  local m = {}
  if k % 5 == 2 then m.critic_scale = 0 end
  if k % 3 == 0 then m.withhold_action = 1; m.withhold_bias = 0.5 end
  members[k] = m
  local o = { seed = 40 + k }
  for key, v in pairs(O) do o[key] = v end
  for key, v in pairs(m) do o[key] = v end
  lone[k] = nm.agent(o)
end
local P = { n = N, seed = 41, threads = 2, members = members }
for key, v in pairs(O) do P[key] = v end
local pop = nm.population(P)
local flat, nflat, r, t, acts = {}, {}, {}, {}, nil
for step = 1, 2000 do
  for i = 1, 3 * N do flat[i] = math.sin(step * 0.37 + i * 1.3); nflat[i] = math.sin((step + 1) * 0.37 + i * 1.3) end
  acts = pop:act(flat, acts)
  for k = 1, N do r[k] = (acts[k] + k + step) % 3 == 0 and 1 or -0.25; t[k] = (step + k) % 23 == 0 end
  pop:learn(r, nflat, t)
  for k = 1, N do
    local a = lone[k]:act { flat[3 * k - 2], flat[3 * k - 1], flat[3 * k] }
    lone[k]:learn(r[k], { nflat[3 * k - 2], nflat[3 * k - 1], nflat[3 * k] }, t[k])
    if a ~= acts[k] then print("differs at step " .. step .. " member " .. k) return end
  end
end
local out = { lone[1]:kernel_set() }
for k = 1, N do
  if pop:state_hash(k) ~= lone[k]:state_hash() then print("hash differs, member " .. k) return end
  out[#out + 1] = pop:state_hash(k)
end
print(table.concat(out, " "))
]]

  -- the same with a recurrent trunk of 16 units (interleaved too), over 1000 steps
  local HARD_RECURRENT = HARD:gsub("hidden = { 64 }", 'hidden = { { kind = "recurrent", n = 16, tau = 5 } }')
                             :gsub("for step = 1, 2000 do", "for step = 1, 1000 do")
  -- and with an integrator layer of 16 units (interleaved too)
  local HARD_INTEGRATOR = HARD_RECURRENT:gsub('kind = "recurrent"', 'kind = "integrator"')
  for _, trunk in ipairs { { "dense", HARD }, { "recurrent", HARD_RECURRENT }, { "integrator", HARD_INTEGRATOR } } do
  it("interleaved members equal lone agents through clipping, resets and terminals, with the step on and off ("
     .. trunk[1] .. " trunk)", function()
    local hashes
    for _, interp in ipairs { "lua5.4", "luajit" } do
      if have(interp) then
        for _, set in ipairs { "generic", "avx2", "avx512" } do
          for _, extra in ipairs { "NEUROMOD_INTERLEAVE=", "NEUROMOD_INTERLEAVE=0" } do
            local out = run(interp, set, trunk[2], extra)
            if not out:find("cannot run", 1, true) and not out:find("NEUROMOD_KERNELS", 1, true) then
              local got_set, rest = out:match("^(%S+) (.+)$")
              assert.equal(set, got_set, interp .. " " .. set .. " " .. extra .. ": " .. out)
              hashes = hashes or rest
              assert.equal(hashes, rest, interp .. " " .. set .. " " .. extra)
            end
          end
        end
      end
    end
    assert.is_truthy(hashes)
  end)
  end
end)
