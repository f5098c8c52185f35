-- The withheld action and 5-HT's input, two config fields whose legacy values are the behaviour before them:
-- withhold_action says which action's logit takes the withhold bias (a task's action space may name it; plain
-- numbers keep action 0), and serotonin_input = "relative" keeps a steady cost per step from pinning 5-HT.
local nm = require "neuromod"

describe("withhold_action", function()
  it("defaults to 0 for plain numbers, to the space's withhold field, and to none for a space without one", function()
    assert.equal(0, nm.agent{ obs = 2, actions = 3 }:config().withhold_action)
    assert.equal(2, nm.agent{ obs = 2, actions = { name = "Discrete", n = 3, withhold = 2 } }:config().withhold_action)
    assert.is_false(nm.agent{ obs = 2, actions = { name = "Discrete", n = 3 } }:config().withhold_action)
    assert.is_false(nm.agent{ obs = 2, actions = { name = "Discrete", n = 3, withhold = false } }:config().withhold_action)
    -- the option overrides the space
    assert.equal(1, nm.agent{ obs = 2, actions = { name = "Discrete", n = 3 }, withhold_action = 1 }:config().withhold_action)
    assert.is_false(nm.agent{ obs = 2, actions = 3, withhold_action = false }:config().withhold_action)
  end)

  it("is declared 0 by the Go/No-Go and set-shift tasks", function()
    assert.equal(0, dofile("envs/gonogo.lua")({ seed = 1 }):getActionSpace().withhold)
    assert.equal(0, dofile("envs/setshift.lua")({ seed = 1 }):getActionSpace().withhold)
  end)

  it("round-trips none through agent:config() and a checkpoint", function()
    local a = nm.agent{ obs = 2, actions = 4, withhold_action = false, seed = 3 }
    local b = nm.agent(a:config())
    assert.is_false(b:config().withhold_action)
    assert.equal(a:state_hash(), b:state_hash())
    local path = os.tmpname()
    assert(a:save(path))
    local c = nm.load(path)
    os.remove(path)
    assert.is_false(c:config().withhold_action)
  end)

  it("names a bad value", function()
    local function message(opts) local ok, e = pcall(nm.agent, opts) assert.is_false(ok) return tostring(e) end
    assert.truthy(message{ obs = 2, actions = 2, withhold_action = 2 }:find("withhold_action: expected an action 0 .. 1 or none, got 2", 1, true))
    assert.truthy(message{ obs = 2, actions = 2, withhold_action = "up" }:find("withhold_action: expected", 1, true))
    assert.truthy(message{ obs = 2, actions = 2, withhold_action = 0.5 }:find("withhold_action: expected", 1, true))
    assert.truthy(message{ obs = 2, actions = { name = "Discrete", n = 2, withhold = 5 } }
      :find("actions.withhold: expected an action 0..1 or false, got 5", 1, true))
  end)

  it("moves the withhold bias to the chosen action", function()
    -- no modulators: the bias is its base value, 4, and beta 1 over near-zero initial logits
    local obs = { 0.3, -0.2 }
    local function probs(w)
      return (nm.agent{ obs = 2, actions = 4, seed = 5, modulators = "none", withhold_bias = 4, withhold_action = w }:evaluate(obs))
    end
    local none = probs(false)
    for i = 1, 4 do assert.is_true(math.abs(none[i] - 0.25) < 0.05, "near uniform without a withheld action") end
    for k = 0, 3 do
      local p = probs(k)
      assert.is_true(p[k + 1] > 0.9, "action " .. k .. " takes the bias: " .. p[k + 1])
      for i = 1, 4 do if i ~= k + 1 then assert.is_true(p[i] < 0.05) end end
    end
  end)
end)

describe("serotonin_input", function()
  -- 5-HT under a constant reward of -1 per step, over `steps` steps: its largest level after the first 100
  -- steps, and its last
  local function serotonin(input, steps)
    local a = nm.agent{ obs = 1, actions = 2, seed = 1, serotonin_input = input }
    local m, top = {}, 0
    for t = 1, steps do
      a:act{ 1 }
      a:learn(-1, { 1 }, false)
      a:modulators(m)
      if t > 100 and m["5HT"] > top then top = m["5HT"] end
    end
    return top, m["5HT"]
  end

  it("defaults to punishment, which a steady cost per step saturates", function()
    assert.equal("punishment", nm.defaults().serotonin_input)
    local _, last = serotonin(nil, 2000)
    assert.is_true(last > 0.95, "5-HT " .. last)
  end)

  it("relative: a steady cost per step does not pin 5-HT", function()
    local top, last = serotonin("relative", 2000)
    assert.is_true(top < 0.2, "largest 5-HT " .. top)
    assert.is_true(last < 0.05, "5-HT at the end " .. last)
  end)

  it("relative: a punishment beyond the usual cost still raises 5-HT", function()
    local a = nm.agent{ obs = 1, actions = 2, seed = 1, serotonin_input = "relative" }
    local m = {}
    for t = 1, 1000 do
      a:act{ 1 }
      a:learn(t % 50 == 0 and -100 or -1, { 1 }, false)
    end
    a:modulators(m)
    assert.is_true(m["5HT"] > 0.5, "5-HT " .. m["5HT"])
  end)
end)
