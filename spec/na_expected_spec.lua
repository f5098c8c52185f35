-- na_expected: NA's bar for an outlier. "cue" (the default, the behaviour before the option existed) is
-- na_threshold x the expected surprise of the state and action; "variance" is also at least the variance of the
-- task's rewards around their long-run average (its value before the step), so that a known hazard, the cliff
-- walk's falls, stops holding NA at its ceiling (docs/results/cliff.md).
local nm = require "neuromod"
local checks = require "spec.support.agent_checks"

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$") or ".")

describe("na_expected", function()
  it("defaults to 'cue', takes 'variance', refuses anything else naming the option", function()
    assert.equal("cue", nm.agent{ obs = 1, actions = 2 }:config().na_expected)
    assert.equal("variance", nm.agent{ obs = 1, actions = 2, na_expected = "variance" }:config().na_expected)
    local ok, err = pcall(nm.agent, { obs = 1, actions = 2, na_expected = "rate" })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("na_expected", 1, true), err)
  end)

  it("'variance': u = max(0, S - max(na_threshold E, V)) / (S + floor), V the reward variance before the step",
     function()
    local a = nm.agent{ obs = 2, actions = 2, hidden = { 8 }, seed = 5, na_expected = "variance" }
    local c = a:config()
    local g = nm.rng(5)
    local m, v_before, seen_cut = {}, 0, false
    for t = 1, 2000 do
      a:act{ 1, 0 }
      -- a -1 cost with a rare -100 (a known hazard): the variance soon exceeds na_threshold x E
      a:learn(g:random() < 0.05 and -100 or -1, nil, true)
      a:modulators(m)
      local s = m.signals
      local bar = math.max(c.na_threshold * s.expected, v_before)
      local u = math.max(0, s.surprise - bar) / (s.surprise + c.surprise_floor)
      assert.is_true(math.abs(s.unexpected - u) <= 1e-5 * (1 + u), t .. ": " .. s.unexpected .. " vs " .. u)
      if v_before > c.na_threshold * s.expected and s.surprise > c.na_threshold * s.expected then seen_cut = true end
      v_before = s.reward_variance
    end
    assert.is_true(seen_cut, "the variance raised the bar above the cue's at least once")
  end)

  it("is kept by a checkpoint, which continues bit for bit", function()
    local _, b, ha, hb = checks.save_and_continue{ obs = 2, actions = 2, hidden = { 8 }, seed = 2,
                                                    na_expected = "variance" }
    assert.equal("variance", b:config().na_expected)
    assert.equal(ha, hb)
  end)

  it("leaves a 0/1 bandit whose reward variance stays below na_threshold x E bit for bit as 'cue'", function()
    local function run(mode)
      local a = nm.agent{ obs = 1, actions = 2, hidden = { 8 }, seed = 7, na_expected = mode }
      local g = nm.rng(7)
      for _ = 1, 300 do
        local act = a:act{ 1 }
        a:learn(g:random() < (act == 0 and 0.8 or 0.2) and 1 or 0, nil, true)
      end
      return a:state_hash()
    end
    assert.equal(run("cue"), run("variance"))
  end)

  it("guards the cliff walk: the full agent better than -30 on 4 of 5 develop seeds (-31.8 mean)", function()
    local Grid = dofile(ROOT .. "/envs/gridworld.lua")
    local better = 0
    for seed = 1, 5 do
      local env = Grid{ seed = seed }
      local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), seed = seed,
                              withhold_action = false, na_expected = "variance" }
      if checks.last_returns(agent, env, 500, 50, 1000) > -30 then better = better + 1 end
      agent:close()
    end
    assert.is_true(better >= 4, better .. " of 5")
  end)
end)
