-- neuromod.baseline: tabular Rescorla-Wagner and Q-learning with the agent's interface.
local baseline = require "neuromod.baseline"

local function message(f)
  local ok, err = pcall(f)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

describe("neuromod.baseline", function()
  it("updates only the chosen action's value by Rescorla-Wagner", function()
    local b = baseline{ kind = "rw", alpha = 0.5, beta = 0, obs = 1, actions = 2, seed = 1 }
    local a = b:act{ 1 }
    b:learn(1, { 1 }, true)
    local q = b:values{ 1 }
    assert.equal(0.5, q[a + 1]) assert.equal(0, q[2 - a])
    assert.same({ 0, 0 }, b:values{ 2 }) -- another observation: its own values, starting at 0
    local m = b:modulators()
    assert.equal(1, m.DA) -- the last prediction error
    assert.equal(0.5, m.params.learning_rate) assert.equal(0, m.params.inverse_temperature)
    assert.equal(0, m.NA) assert.equal(0, m.levels.ACh)
  end)

  it("bootstraps the discounted best next value with kind q, not on a terminal step", function()
    local b = baseline{ kind = "q", alpha = 1, beta = 0, gamma = 0.5, actions = 2 }
    -- state 2's values first
    b:act(2) b:learn(4, nil, true)
    local q2 = b:values(2)
    local best = math.max(q2[1], q2[2])
    assert.equal(4, best)
    local a = b:act(1)
    b:learn(0, 2, false)
    assert.equal(2, b:values(1)[a + 1])
    b:act(3) b:learn(1, 2, true, true) -- truncated: bootstraps
    assert.is_true(b:values(3)[1] == 3 or b:values(3)[2] == 3)
  end)

  it("chooses by softmax with beta and learns a bandit", function()
    local b = baseline{ kind = "rw", alpha = 0.3, beta = 5, actions = 2, seed = 3 }
    local Bandit = dofile("spec/support/rlenvs/bandit.lua")
    local env = Bandit{ seed = 2, plays = 100 }
    local good = 0
    env:start()
    for t = 1, 1000 do
      local a = b:act(nil)
      local r, _, terminal = env:step(a)
      b:learn(r, nil, terminal)
      if terminal then env:start() end
      if t > 500 and a == 1 then good = good + 1 end
    end
    assert.is_true(good > 400, tostring(good))
  end)

  it("is deterministic for a seed and saves and loads to continue exactly", function()
    local function run(b, n, g)
      local acts = {}
      for t = 1, n do
        local obs = { t % 3, 0.5 }
        acts[t] = b:act(obs)
        b:learn(((acts[t] + t) % 2 == 0) and 1 or 0, { (t + 1) % 3, 0.5 }, t % 5 == 0)
      end
      return table.concat(acts)
    end
    local a1 = baseline{ kind = "q", alpha = 0.2, beta = 3, obs = 2, actions = 3, seed = 7 }
    local a2 = baseline{ kind = "q", alpha = 0.2, beta = 3, obs = 2, actions = 3, seed = 7 }
    assert.equal(run(a1, 200), run(a2, 200))
    local path = os.tmpname()
    assert.is_true(a1:save(path))
    local a3 = assert(baseline.load(path))
    os.remove(path)
    assert.same(a1:config(), a3:config())
    assert.same(a1:values{ 1, 0.5 }, a3:values{ 1, 0.5 })
    assert.equal(run(a1, 100), run(a3, 100))
    local none = baseline{ actions = 2 }
    none:act(nil) none:learn(1, nil, true)
    assert.is_true(none:save(path))
    assert.same(none:values(nil), assert(baseline.load(path)):values(nil))
    os.remove(path)
    local ok, err = baseline.load("/nonexistent/x.lua")
    assert.is_nil(ok) assert.truthy(err:find("^baseline.load: "))
  end)

  it("names bad options and misuse", function()
    assert.truthy(message(function() baseline{ kind = "td", actions = 2 } end):find("baseline.new: kind: expected \"rw\" or \"q\"", 1, true))
    assert.truthy(message(function() baseline{ actions = 2, alpha = 2 } end):find("baseline.new: alpha: expected a number in [0, 1]", 1, true))
    assert.truthy(message(function() baseline{ obs = 2 } end):find("baseline.new: actions is required", 1, true))
    assert.truthy(message(function() baseline{ actions = 2, colour = 1 } end):find("baseline.new: unknown option 'colour'", 1, true))
    local b = baseline{ obs = 2, actions = 2 }
    assert.truthy(message(function() b:act{ 1 } end):find("learner:act: obs has 1 values, expected 2", 1, true))
    assert.truthy(message(function() b:learn(1, { 1, 1 }) end):find("learner:learn: learn called without a preceding act", 1, true))
    b:close()
    assert.is_true(b:is_closed())
    assert.truthy(message(function() b:act{ 1, 1 } end):find("learner:act: the learner is closed", 1, true))
  end)
end)
