-- uncertainty_head and na_ach_threshold: two options for what NA reads as expected (docs/results/cliff.md).
-- uncertainty_head = "log": the uncertainty head's readout is log expected surprise, E = P exp(z - P) (P the
-- prior), so it stays positive where the readout generalises between cues. na_ach_threshold = "on": only the part
-- of NA's unexpected-surprise input u beyond theta = ACh / (0.5 + ACh) counts, rescaled to [0, 1] (Yu & Dayan
-- 2005). "linear" and "off" are the behaviour before the options existed.
local nm = require "neuromod"
local checks = require "spec.support.agent_checks"

local function bandit(opts, steps)
  local a = nm.agent(opts)
  local g = nm.rng(opts.seed)
  for _ = 1, steps do
    local act = a:act{ 1 }
    a:learn(g:random() < (act == 0 and 0.8 or 0.2) and 1 or 0, nil, true)
  end
  return a
end

describe("uncertainty_head and na_ach_threshold", function()
  it("default to 'linear' and 'off', take 'log' and 'on', refuse anything else naming the option", function()
    local c = nm.agent{ obs = 1, actions = 2 }:config()
    assert.equal("linear", c.uncertainty_head)
    assert.equal("off", c.na_ach_threshold)
    c = nm.agent{ obs = 1, actions = 2, uncertainty_head = "log", na_ach_threshold = "on" }:config()
    assert.equal("log", c.uncertainty_head)
    assert.equal("on", c.na_ach_threshold)
    for _, k in ipairs{ "uncertainty_head", "na_ach_threshold" } do
      local ok, err = pcall(nm.agent, { obs = 1, actions = 2, [k] = "square" })
      assert.is_false(ok)
      assert.truthy(tostring(err):find(k, 1, true), err)
    end
  end)

  it("'log' starts at the prior and keeps the expected surprise positive under noise", function()
    local a = nm.agent{ obs = 2, actions = 2, hidden = { 8 }, seed = 3, uncertainty_head = "log" }
    local b = nm.agent{ obs = 2, actions = 2, hidden = { 8 }, seed = 3 }
    local m = {}
    a:act{ 1, 0 } a:learn(0, nil, true)
    b:act{ 1, 0 } b:learn(0, nil, true)
    assert.equal(b:modulators(m).signals.expected, a:modulators(m).signals.expected)
    local g = nm.rng(3)
    local floor = a:config().surprise_floor
    for t = 1, 2000 do
      a:act{ g:random(), g:random() }
      a:learn(g:random() < 0.5 and 3 or -3, nil, true)
      local e = a:modulators(m).signals.expected
      assert.is_true(e >= floor and e < 1e6, t .. ": " .. e)
    end
    -- a steady spread of +-3 (squared error near 9) is learned: E far above the floor
    assert.is_true(a:modulators(m).signals.expected > 1, tostring(a:modulators(m).signals.expected))
  end)

  it("'on': u = max(0, u0 - theta) / (1 - theta), theta = ACh / (0.5 + ACh) from ACh's level before the step",
     function()
    local a = nm.agent{ obs = 2, actions = 2, hidden = { 8 }, seed = 5, na_ach_threshold = "on" }
    local c = a:config()
    local g = nm.rng(5)
    local m, ach, cut = {}, a:modulators({}).ACh, false
    for t = 1, 2000 do
      a:act{ 1, 0 }
      a:learn(g:random() < 0.05 and -100 or -1, nil, true)
      a:modulators(m)
      local s = m.signals
      local u0 = math.max(0, s.surprise - c.na_threshold * s.expected) / (s.surprise + c.surprise_floor)
      local th = math.min(1, math.max(0, ach))
      th = th / (0.5 + th)
      local u = u0 > th and (u0 - th) / (1 - th) or 0
      assert.is_true(math.abs(s.unexpected - u) <= 1e-5 * (1 + u), t .. ": " .. s.unexpected .. " vs " .. u)
      if u0 > 0 and th > 0.1 then cut = true end
      ach = m.ACh
    end
    assert.is_true(cut, "ACh raised the threshold under an outlier at least once")
  end)

  it("'on' with ACh switched off is the default bit for bit (its level is 0)", function()
    local mods = { DA = true, NA = true, ["5HT"] = true }
    local x = bandit({ obs = 1, actions = 2, hidden = { 8 }, seed = 7, modulators = mods }, 300)
    local y = bandit({ obs = 1, actions = 2, hidden = { 8 }, seed = 7, modulators = mods, na_ach_threshold = "on" }, 300)
    assert.equal(x:state_hash(), y:state_hash())
  end)

  it("are kept by a checkpoint, which continues bit for bit", function()
    local _, b, ha, hb = checks.save_and_continue{ obs = 2, actions = 2, hidden = { 8 }, seed = 2,
                                                    uncertainty_head = "log", na_ach_threshold = "on",
                                                    na_expected = "variance" }
    assert.equal("log", b:config().uncertainty_head)
    assert.equal("on", b:config().na_ach_threshold)
    assert.equal(ha, hb)
  end)

  it("in a population, members with them (and pavlovian_aversive) equal lone agents bit for bit", function()
    local members = {
      [1] = { uncertainty_head = "log" },
      [2] = { na_ach_threshold = "on", na_expected = "variance" },
      [3] = { uncertainty_head = "log", na_ach_threshold = "on" },
      [4] = { pavlovian = 3, withhold_action = 0, pavlovian_aversive = "serotonergic", modulators = { DA = true } },
      [5] = {},
    }
    local base = { obs = 3, actions = 2, hidden = { 16 } }
    local pop = nm.population(checks.with(base, { n = 5, seed = 11, members = members }))
    local lone = {}
    for k = 1, 5 do lone[k] = nm.agent(checks.with(checks.with(base, { seed = 11 + k - 1 }), members[k])) end
    local obs, nobs, r, term, actions = {}, {}, {}, {}, nil
    local function ob(k, t, i) return math.sin(t * 0.37 + k * 1.3 + i) end
    for t = 1, 300 do
      for k = 1, 5 do for i = 1, 3 do obs[(k - 1) * 3 + i] = ob(k, t, i); nobs[(k - 1) * 3 + i] = ob(k, t + 1, i) end end
      actions = pop:act(obs, actions)
      for k = 1, 5 do r[k] = ((k + t + actions[k]) % 3 == 0) and 1 or -2; term[k] = (k + t) % 9 == 0 end
      pop:learn(r, nobs, term)
      for k = 1, 5 do
        local a = lone[k]:act{ ob(k, t, 1), ob(k, t, 2), ob(k, t, 3) }
        lone[k]:learn(r[k], { ob(k, t + 1, 1), ob(k, t + 1, 2), ob(k, t + 1, 3) }, term[k])
        assert.equal(a, actions[k], "step " .. t .. " member " .. k)
      end
    end
    for k = 1, 5 do assert.equal(lone[k]:state_hash(), pop:agent(k):state_hash(), "member " .. k) end
  end)
end)
