-- The agent's Lua API: construction, act/learn, modulators, errors, close.
local nm = require "neuromod"

local function agent(extra)
  local o = { obs = 3, actions = 2, hidden = { 8 }, seed = 1 }
  for k, v in pairs(extra or {}) do o[k] = v end
  return nm.agent(o)
end

local function err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return tostring(e)
end

describe("nm module", function()
  it("has a version and names its backend", function()
    assert.is_string(nm.version)
    assert.truthy(nm.version:match("^%d+%.%d+%.%d+$"))
    assert.truthy(nm.backend == "core" or nm.backend == "ffi")
    if jit then assert.equal("ffi", nm.backend) else assert.equal("core", nm.backend) end
  end)
end)

describe("nm.agent", function()
  it("accepts numbers or rlenvs spaces", function()
    local a = nm.agent{ obs = { name = "Box", shape = { 3 } }, actions = { name = "Discrete", n = 4 }, seed = 2 }
    local act = a:act{ 1, 0, 0 }
    assert.is_true(act >= 0 and act <= 3 and act == math.floor(act))
    local c = a:config()
    assert.equal(3, c.obs)
    assert.equal(4, c.actions)
    assert.same({ 64 }, c.hidden)
    a:close()
  end)

  it("names the kernel set its CPU runs (a speed detail: every set gives the same bits)", function()
    local a = agent()
    local k = a:kernel_set()
    assert.is_true(k == "avx512" or k == "avx2" or k == "generic", "unexpected kernel set " .. tostring(k))
    assert.equal(k, agent{ hidden = { 64 } }:kernel_set())
    a:close()
  end)

  it("acts with 0-based actions and learns", function()
    local a = agent()
    for _ = 1, 50 do
      local act = a:act{ 0, 1, 0 }
      assert.is_true(act == 0 or act == 1)
      a:learn(act == 1 and 1 or 0, { 1, 0, 0 }, false)
    end
    local act = a:act{ 1, 0, 0 }
    a:learn(0, nil, true)       -- a terminal step may omit next_obs
    assert.is_true(act == 0 or act == 1)
  end)

  it("reports the four modulators and the meta-parameters", function()
    local a = agent()
    a:act{ 1, 0, 0 }
    a:learn(1, { 0, 1, 0 }, false)
    local m = a:modulators()
    for _, k in ipairs { "DA", "NA", "ACh", "5HT" } do assert.is_number(m[k]) end
    for _, p in ipairs { "learning_rate", "inverse_temperature", "discount", "trace_decay", "gain", "attention",
                         "withhold_bias", "consolidation" } do
      assert.is_number(m.params[p], p)
    end
    assert.is_true(m.DA > 0, "a first reward is better than expected")
    -- the table can be reused to log every step
    local again = a:modulators(m)
    assert.equal(m, again)
  end)

  it("returns the same numbers without a table through levels() and meta()", function()
    local a = agent()
    for i = 1, 30 do
      a:act{ i % 2, 1, 0 }
      a:learn(i % 3 == 0 and 1 or -0.5, { 1, i % 2, 0 }, i % 5 == 0)
    end
    local m = a:modulators()
    local da, na, ach, ht = a:levels()
    assert.equal(m.DA, da)
    assert.equal(m.NA, na)
    assert.equal(m.ACh, ach)
    assert.equal(m["5HT"], ht)
    local meta = { a:meta() }
    assert.equal(8, #meta)
    for i, p in ipairs(nm.param_names) do assert.equal(m.params[p], meta[i], p) end
    assert.equal(m.levels.NA, m.NA)
    assert.equal(30, m.steps)
  end)

  it("reports the per-input attention that ACh sets", function()
    local a = agent()
    a:act{ 1, 0, 0 }
    a:learn(1, nil, true)
    local at = a:attention()
    assert.equal(3, #at)
    for i = 1, 3 do assert.near(a:modulators().params.attention, at[i], 1e-6) end
  end)

  it("exposes DA as the TD error r + gamma V(s') - V(s)", function()
    local a = agent{ modulators = "none" }
    local _, v = a:evaluate{ 1, 0, 0 }
    local _, v2 = a:evaluate{ 0, 0, 1 }
    a:act{ 1, 0, 0 }
    local gamma = a:modulators().params.discount
    a:learn(0.5, { 0, 0, 1 }, false)
    local delta = 0.5 + gamma * v2 - v
    assert.near(delta, a:modulators().DA, 1e-5)
  end)

  it("is deterministic for a seed", function()
    local function run(seed)
      local a = agent{ seed = seed }
      local out = {}
      for i = 1, 200 do
        local act = a:act{ i % 2, 1 - i % 2, 0.5 }
        out[i] = act
        a:learn(act == i % 2 and 1 or -0.5, { (i + 1) % 2, i % 2, 0.5 }, i % 10 == 0)
      end
      return table.concat(out), a:state_hash()
    end
    local s1, h1 = run(7)
    local s2, h2 = run(7)
    local s3 = run(8)
    assert.equal(s1, s2)
    assert.equal(h1, h2)
    assert.not_equal(s1, s3)
  end)
end)

describe("bad input", function()
  local a = agent()
  local cases = {
    { "obs too short", function() return a:act{ 1, 2 } end, "agent:act: obs has 2 values, expected 3" },
    { "obs too long", function() return a:act{ 1, 2, 3, 4 } end, "agent:act: obs has 4 values, expected 3" },
    { "nil obs", function() return a:act(nil) end, "agent:act: obs: expected a table of numbers or an nm.vector, got nil" },
    { "string in obs", function() return a:act{ 1, "x", 3 } end, "agent:act: obs[2] is not a number (got string)" },
    { "NaN in obs", function() return a:act{ 1, 0 / 0, 3 } end, "agent:act: obs[2] is NaN" },
    { "inf in obs", function() return a:act{ 1, 0, math.huge } end, "agent:act: obs[3] is infinite" },
    { "learn before act", function() return agent():learn(1, { 1, 2, 3 }, false) end,
      "agent:learn: learn called without a preceding act" },
  }
  for _, c in ipairs(cases) do
    it("raises for " .. c[1], function()
      local e = err_of(c[2])
      assert.truthy(e:find(c[3], 1, true), "got: " .. e)
    end)
  end

  it("checks learn's arguments", function()
    local b = agent()
    b:act{ 1, 0, 0 }
    assert.truthy(err_of(b.learn, b, "1", { 1, 0, 0 }, false):find("agent:learn: reward is not a number (got string)", 1, true))
    assert.truthy(err_of(b.learn, b, nil, { 1, 0, 0 }, false):find("reward is not a number (got nil)", 1, true))
    assert.truthy(err_of(b.learn, b, 0 / 0, { 1, 0, 0 }, false):find("agent:learn: reward is NaN", 1, true))
    assert.truthy(err_of(b.learn, b, 1, nil, false):find("next_obs is missing", 1, true))
    assert.truthy(err_of(b.learn, b, 1, { 1, 0 }, false):find("next_obs has 2 values, expected 3", 1, true))
    assert.truthy(err_of(b.learn, b, 1, { 1, 0, 0 }, "yes"):find("terminal: expected a boolean", 1, true))
    b:learn(1, { 1, 0, 0 }, false) -- still usable after refused calls
  end)

  local bad_configs = {
    { {}, "nm.agent: actions is required" },
    { { obs = 3 }, "nm.agent: actions is required" },
    { { obs = 0, actions = 2 }, "nm.agent: obs: expected 1 to 65536 inputs, got 0" },
    { { obs = 3, actions = 1 }, "nm.agent: actions: expected 2 to 65536 actions, got 1" },
    { { obs = 3, actions = { name = "Box", shape = { 2 } } }, "nm.agent: actions: expected a Discrete space" },
    { { obs = 3, actions = 2, hidden = { 16, 0 } }, "nm.agent: hidden[2]: expected a positive integer, got 0" },
    { { obs = 3, actions = 2, hidden = 16 }, "nm.agent: hidden: expected a list of layer sizes" },
    { { obs = 3, actions = 2, hiden = { 4 } }, "nm.agent: unknown option 'hiden'" },
    { { obs = 3, actions = 2, modulators = { DX = true } }, "nm.agent: modulators: unknown modulator 'DX'" },
    { { obs = 3, actions = 2, modulators = { NA = 1 } }, "nm.agent: modulators.NA: expected true or false" },
    { { obs = 3, actions = 2, learning_rate = -1 }, "nm.agent: learning_rate: expected a number >= 0, got -1" },
    { { obs = 3, actions = 2, discount = 1 }, "nm.agent: discount: expected a number in [0, 1), got 1" },
    { { obs = 3, actions = 2, learning_rate = 0 / 0 }, "nm.agent: learning_rate: expected a number, got NaN" },
    { { obs = 3, actions = 2, activation = "sigmoid" }, "nm.agent: activation: expected 'tanh' or 'relu'" },
    { { obs = 3, actions = 2, seed = 1.5 }, "nm.agent: seed: expected a non-negative integer, got 1.5" },
    { { obs = 3, actions = 2, mapping = { learning_rate = { XX = 1 } } }, "nm.agent: mapping.learning_rate: unknown modulator 'XX'" },
    { { obs = 3, actions = 2, mapping = "nope" }, "nm.agent: mapping: unknown preset 'nope'" },
    { { obs = 3, actions = 2, tau_tonic = { NA = 0 } }, "nm.agent: tau_tonic.NA: expected a number >= 1 (steps)" },
    { { obs = 3, actions = 2, attention_set = 0.5 }, "nm.agent: attention_set: expected 0 (off) or a time constant >= 1 (steps)" },
    { { obs = 3, actions = 2, gain_focus = -1 }, "nm.agent: gain_focus: expected a number >= 0 (0: the same gain for every unit)" },
    { { obs = 3, actions = 2, gain_focus = "a" }, "nm.agent: gain_focus: expected a number" },
    { { obs = 3, actions = 2, na_input = "cusum" }, "nm.agent: na_input: expected 'surprise' or 'changepoint', got 'cusum'" },
    { { obs = 3, actions = 2, na_input = 1 }, "nm.agent: na_input: expected 'surprise' or 'changepoint', got 1" },
  }
  for _, c in ipairs(bad_configs) do
    it("refuses the config: " .. c[2], function()
      local e = err_of(nm.agent, c[1])
      assert.truthy(e:find(c[2], 1, true), "got: " .. e)
    end)
  end
  it("refuses a non-table config", function()
    assert.truthy(err_of(nm.agent, 3):find("nm.agent: expected a table of options, got number", 1, true))
  end)
end)

describe("close", function()
  it("is idempotent and makes the agent refuse use", function()
    local a = agent()
    a:close()
    a:close()
    assert.is_true(a:is_closed())
    assert.truthy(err_of(a.act, a, { 1, 0, 0 }):find("agent:act: the agent is closed", 1, true))
    assert.truthy(err_of(a.modulators, a):find("the agent is closed", 1, true))
    assert.truthy(tostring(a):find("closed", 1, true))
  end)

  it("runs on garbage collection", function()
    for _ = 1, 200 do agent{ hidden = { 256, 256 } } end
    collectgarbage()
    collectgarbage()
  end)

  if _VERSION == "Lua 5.4" and not jit then
    it("runs at the end of a to-be-closed scope", function()
      local f = assert(load([[
        local nm, seen = ...
        do
          local a <close> = nm.agent{ obs = 2, actions = 2 }
          seen.a = a
        end
        return seen.a:is_closed()
      ]]))
      assert.is_true(f(nm, {}))
    end)
  end
end)

describe("mapping", function()
  it("returns the matrix and uses the one set from Lua", function()
    local a = agent{ mapping = { learning_rate = { NA = 2.5 } } }
    local m = a:mapping()
    assert.equal(2.5, m.learning_rate.NA)
    assert.is_number(m.discount["5HT"])
    local doya = agent{ mapping = "doya" }:mapping()
    assert.equal(0, doya.learning_rate.NA)
    assert.is_true(doya.discount["5HT"] > 0)
    assert.is_true(doya.inverse_temperature.NA < 0)
    assert.is_true(doya.learning_rate.ACh > 0)
  end)
end)
