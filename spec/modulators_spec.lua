-- The four modulators: each responds to what it should and not to what it should not, switched-off ones stay
-- at baseline, and the mapping set from Lua is the one used. Each claim is checked over several seeds.
local nm = require "neuromod"

-- A one-state task: obs {1, 0}, reward from reward_at(t, rng) whatever the action, every step terminal. The agent
-- is the one without continual learning (continual = false): these are the modulators' own dynamics, which the
-- default agent's context machinery acts on top of (spec/continual_spec.lua covers the default agent at a switch).
local function trace(reward_at, seed, steps, opts)
  local o = { obs = 2, actions = 2, hidden = { 8 }, seed = seed, continual = false }
  for k, v in pairs(opts or {}) do o[k] = v end
  local a = nm.agent(o)
  local g = nm.rng(seed + 100)
  local m = {}
  local out = { NA = {}, ACh = {}, ["5HT"] = {}, DA = {}, withhold = {}, lr = {} }
  for t = 1, steps do
    a:act{ 1, 0 }
    a:learn(reward_at(t, g), nil, true)
    a:modulators(m)
    out.NA[t], out.ACh[t], out["5HT"][t], out.DA[t] = m.NA, m.ACh, m["5HT"], m.DA
    out.withhold[t], out.lr[t] = m.params.withhold_bias, m.params.learning_rate
  end
  return out, a
end

local function mean(x, a, b) local s = 0 for t = a, b do s = s + x[t] end return s / (b - a + 1) end
local function max(x, a, b) local m = -math.huge for t = a, b do if x[t] > m then m = x[t] end end return m end

-- A clean switch and stationary noise of the same size: both give a squared outcome error of about 1 per
-- surprising step (+0.5 -> -0.5, versus +-1 around a mean of 0).
local function switch(t) return t <= 2000 and 0.5 or -0.5 end
local function noise(_, g) return g:random(2) == 1 and 1 or -1 end

describe("DA", function()
  it("is the TD error: positive for a better outcome than expected, negative for a worse one", function()
    for seed = 1, 5 do
      local out = trace(function(t) return t <= 300 and 1 or 0 end, seed, 301)
      assert.is_true(out.DA[1] > 0.5, "an unexpected reward gives a positive TD error")
      assert.is_true(math.abs(out.DA[300]) < 0.1, "an expected reward gives almost none")
      assert.is_true(out.DA[301] < -0.5, "an omitted reward gives a negative TD error")
    end
  end)
end)

describe("NA", function()
  it("rises after a contingency change but not under stationary noise of the same size", function()
    for seed = 1, 5 do
      local s = trace(switch, seed, 3000)
      local n = trace(noise, seed, 3000)
      local before, after = mean(s.NA, 1500, 2000), max(s.NA, 2001, 2100)
      local noisy = max(n.NA, 1000, 3000)
      assert.is_true(before < 0.05, "NA before the switch " .. before)
      assert.is_true(after > 0.5, "NA after the switch " .. after)
      assert.is_true(noisy < 0.1, "NA under stationary noise " .. noisy)
      assert.is_true(mean(s.NA, 2800, 3000) < 0.1, "NA settles once the new contingency is learned")
    end
  end)

  it("stays up while the reward rate is below its long-run level, after the surprise has ended (utility)", function()
    for seed = 1, 3 do
      local a = nm.agent{ obs = 2, actions = 2, hidden = { 8 }, seed = seed }
      local m, na, surprise = {}, {}, {}
      for t = 1, 3000 do
        a:act{ 1, 0 }
        a:learn(switch(t), nil, true)
        a:modulators(m)
        na[t], surprise[t] = m.NA, m.surprise
      end
      assert.is_true(max(surprise, 2300, 2400) < 1e-3, "the predictor has learned the new outcome")
      assert.is_true(mean(na, 2300, 2400) > 0.2, "NA still up: " .. mean(na, 2300, 2400))
      assert.is_true(mean(na, 2800, 3000) < mean(na, 2300, 2400), "and falling as the long-run rate adapts")
    end
  end)

  it("raises the learning rate and lowers the inverse temperature when it rises", function()
    local s, a = trace(switch, 1, 2005)
    local m = a:modulators()
    assert.is_true(m.NA > 0.3)
    assert.is_true(m.params.learning_rate > 0.05 * 1.2)
    assert.is_true(m.params.inverse_temperature < 1)
    assert.is_true(m.params.gain > 1)
    assert.is_true(s.lr[2005] > s.lr[1990])
  end)
end)

describe("ACh", function()
  it("rises with outcome noise but not after a clean switch", function()
    for seed = 1, 5 do
      local s = trace(switch, seed, 3000)
      local n = trace(noise, seed, 3000)
      local noisy = mean(n.ACh, 1000, 3000)
      local switched = max(s.ACh, 2001, 3000)
      assert.is_true(noisy > 0.5, "ACh under noise " .. noisy)
      assert.is_true(switched < 0.2, "ACh after a clean switch " .. switched)
      assert.is_true(mean(s.ACh, 1500, 2000) < 0.05, "ACh in a clean, stable world")
    end
  end)

  it("lowers the learning rate under known noise", function()
    local n = trace(noise, 1, 2000)
    assert.is_true(n.lr[2000] < 0.05 * 0.8, "learning rate under noise " .. n.lr[2000])
  end)
end)

describe("5-HT", function()
  it("rises with the punishment rate and raises the withhold bias", function()
    for seed = 1, 3 do
      local levels, biases = {}, {}
      for i, p in ipairs { 0, 0.05, 0.2, 0.6 } do
        local out = trace(function(_, g) return g:random() < p and -1 or 0 end, seed, 3000)
        levels[i], biases[i] = mean(out["5HT"], 2000, 3000), mean(out.withhold, 2000, 3000)
      end
      for i = 2, 4 do
        assert.is_true(levels[i] > levels[i - 1], "5-HT rises with the punishment rate")
        assert.is_true(biases[i] > biases[i - 1], "the withhold bias rises with it")
      end
      assert.is_true(levels[1] == 0)
    end
  end)
end)

describe("ablation", function()
  it("holds a switched-off modulator at baseline", function()
    for _, off in ipairs { "NA", "ACh", "5HT" } do
      local mods = { DA = true, NA = true, ACh = true, ["5HT"] = true }
      mods[off] = false
      local s = trace(function(t, g) return (t > 500 and -0.5 or 0.5) + (g:random() < 0.3 and -1 or 0) end, 2, 1500,
        { modulators = mods })
      for t = 1, 1500 do assert.equal(0, s[off][t], off .. " at step " .. t) end
    end
    local none = trace(switch, 3, 2500, { modulators = "none" })
    for t = 1, 2500 do assert.equal(0.05, math.floor(none.lr[t] * 1e6 + 0.5) / 1e6) end
  end)
end)

describe("mapping", function()
  it("the mapping set from Lua is the one used", function()
    local zero = { DA = 0, NA = 0, ACh = 0, ["5HT"] = 0 }
    local mapping = {}
    for _, p in ipairs(nm.param_names) do mapping[p] = zero end
    mapping.learning_rate = { DA = 0, NA = 3, ACh = 0, ["5HT"] = 0 }
    local _, a = trace(switch, 1, 2003, { mapping = mapping, interactions = {
      DA = { NA = 0, ACh = 0, ["5HT"] = 0 }, NA = { DA = 0, ACh = 0, ["5HT"] = 0 },
      ACh = { DA = 0, NA = 0, ["5HT"] = 0 }, ["5HT"] = { DA = 0, NA = 0, ACh = 0 } } })
    local m = a:modulators()
    assert.is_true(m.NA > 0.2)
    assert.near(0.05 * math.exp(3 * m.NA), m.params.learning_rate, 1e-6)
    assert.near(1, m.params.inverse_temperature, 1e-7)
    assert.equal(3, a:mapping().learning_rate.NA)
    assert.equal(0, a:mapping().inverse_temperature.NA)
  end)
end)

describe("consolidation (5-HT: the weight of prior knowledge)", function()
  -- A two-armed bandit that reverses: arm 1 pays for 1500 steps, then arm 0. The pull toward a slow copy of the
  -- weights (importance = "slow", the agent without continual learning); the default agent's importance-weighted
  -- anchor acts at context boundaries (spec/continual_spec.lua).
  local function run(consolidation, seed)
    local a = nm.agent{ obs = 2, actions = 2, hidden = { 8 }, seed = seed, consolidation = consolidation,
                        continual = false }
    local p0
    local drift, correct = 0, 0
    for t = 1, 2000 do
      local act = a:act{ 1, 0 }
      local good = t <= 1500 and 1 or 0
      a:learn(act == good and 1 or -0.2, nil, true)
      if t == 1500 then p0 = a:params() end
      if t > 1500 and act == good then correct = correct + 1 end
    end
    local p = a:params()
    for i = 1, #p0 do drift = drift + (p[i] - p0[i]) ^ 2 end
    return math.sqrt(drift), correct / 500, a
  end

  it("pulls the weights toward what was learned before: they move less after a reversal", function()
    for seed = 1, 3 do
      local free = run(0, seed)
      local held = run(0.05, seed)
      assert.is_true(held < 0.7 * free, string.format("drift %.3f with consolidation vs %.3f without", held, free))
    end
  end)

  it("is raised by 5-HT and lowered by NA", function()
    local a = nm.agent{ obs = 2, actions = 2, hidden = { 8 }, seed = 1, consolidation = 0.01,
                        modulators = { DA = true, ["5HT"] = true } }
    local g = nm.rng(1)
    local m = {}
    for _ = 1, 2000 do a:act{ 1, 0 } a:learn(g:random() < 0.3 and -1 or 0, nil, true) end
    a:modulators(m)
    assert.is_true(m["5HT"] > 0.3)
    assert.is_true(m.params.consolidation > 0.01 * 1.2, "5-HT raises it: " .. m.params.consolidation)
    local b = nm.agent{ obs = 2, actions = 2, hidden = { 8 }, seed = 1, consolidation = 0.01, modulators = { NA = true } }
    for t = 1, 2005 do b:act{ 1, 0 } b:learn(switch(t), nil, true) end
    local mb = b:modulators()
    assert.is_true(mb.NA > 0.3)
    assert.is_true(mb.params.consolidation < 0.01 * 0.8, "NA lowers it: " .. mb.params.consolidation)
  end)

  it("refuses a coupling above 0.5", function()
    local ok, e = pcall(nm.agent, { obs = 2, actions = 2, consolidation = 0.9 })
    assert.is_false(ok)
    assert.truthy(tostring(e):find("consolidation: expected a per-step coupling in [0, 0.5], got 0.9", 1, true))
  end)
end)

describe("the signals that drive the modulators", function()
  local NAMES = { "surprise", "expected", "unexpected", "changepoint", "outlier_rate", "reward_short",
                  "reward_long", "reward_variance", "utility_drop" }

  it("are reported by name, before the first step as well, into the same table each call", function()
    local a = nm.agent{ obs = 2, actions = 2, hidden = { 8 }, seed = 1 }
    local m = a:modulators()
    for _, k in ipairs(NAMES) do assert.equal("number", type(m.signals[k]), k) end
    assert.equal(0.25, m.signals.expected, "expected uncertainty starts at the uncertainty head's prior")
    local sig = m.signals
    a:act{ 1, 0 } a:learn(1, nil, true)
    a:modulators(m)
    assert.equal(sig, m.signals)
  end)

  it("are the numbers the modulators read: S, E and u agree, reward_long is tonic DA", function()
    local a = nm.agent{ obs = 2, actions = 2, hidden = { 8 }, seed = 3 }
    local c = a:config()
    local g = nm.rng(3)
    local m = {}
    local seen_u = false
    for t = 1, 3000 do
      a:act{ 1, 0 }
      a:learn(switch(t) + (g:random() < 0.1 and 1 or 0), nil, true)
      a:modulators(m)
      local s = m.signals
      assert.equal(m.surprise, s.surprise)
      assert.equal(m.tonic.DA, s.reward_long)
      assert.is_true(s.expected >= c.surprise_floor)
      -- u = max(0, S - na_threshold E) / (S + floor), computed in float by the core
      local u = math.max(0, s.surprise - c.na_threshold * s.expected) / (s.surprise + c.surprise_floor)
      assert.is_true(math.abs(s.unexpected - u) <= 1e-5 * (1 + u), t .. ": " .. s.unexpected .. " vs " .. u)
      assert.is_true(s.unexpected >= 0 and s.unexpected < 1)
      if s.unexpected > 0 then seen_u = true end
      assert.is_true(s.reward_variance >= 0)
      assert.is_true(s.utility_drop >= 0 and s.utility_drop < 1)
      -- the surprise input leaves the change-point statistic at rest
      assert.equal(0, s.changepoint)
    end
    assert.is_true(seen_u, "the switch at step 2000 is unexpected")
  end)

  it("show utility_drop when the reward rate falls, and the change-point statistic after a switch", function()
    local a = nm.agent{ obs = 2, actions = 2, hidden = { 8 }, seed = 2, na_input = "changepoint" }
    local m = {}
    local before, after, cp_before, cp_after, rate = 0, 0, 0, 0, 0
    for t = 1, 2300 do
      a:act{ 1, 0 }
      a:learn(t <= 2000 and 1 or 0, nil, true)
      a:modulators(m)
      local s = m.signals
      if t > 1000 and t <= 2000 then
        before = math.max(before, s.utility_drop); cp_before = math.max(cp_before, s.changepoint)
      elseif t > 2000 then
        after = math.max(after, s.utility_drop); cp_after = math.max(cp_after, s.changepoint)
        rate = math.max(rate, s.outlier_rate)
      end
      assert.is_true(s.outlier_rate >= 0 and s.outlier_rate <= 1)
    end
    assert.equal(0, before, "a steady reward gives no utility drop")
    assert.is_true(after > 0.3, "the reward rate fell: " .. after)
    assert.is_true(cp_after > cp_before + 3, "the switch drives the CUSUM up: " .. cp_before .. " -> " .. cp_after)
    assert.is_true(rate > 0.01, "outliers after the switch raise the outlier rate: " .. rate)
    assert.is_true(m.signals.reward_short < 0.1 and m.signals.reward_long > m.signals.reward_short)
  end)
end)
