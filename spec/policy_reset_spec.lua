-- policy_reset: NA's "network reset" of the actor (c/learner_rate.c). Off by default and in older checkpoints;
-- when on, each learn step shrinks the policy head toward uniform by policy_reset x level_NA, and it does nothing
-- when NA is switched off. On serial reversal it raises the reversals completed (experiments/reversal.lua
-- --policy-reset, docs/results/reversal.md).
local nm = require "neuromod"
local Reversal = dofile("envs/reversal.lua")

local function policy_head(agent)
  local p, out = agent:params(), {}
  for _, t in ipairs(agent:tensors()) do
    if t.name == "policy.weight" or t.name == "policy.bias" then
      for i = t.offset, t.offset + t.rows * t.cols - 1 do out[#out + 1] = p[i] end
    end
  end
  return out
end

local function reversals(seed, opts)
  local env = Reversal{ seed = seed }
  local o = { obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 32 }, seed = seed,
    modulators = "all" }
  for k, v in pairs(opts) do o[k] = v end
  local agent = nm.agent(o)
  local info
  for _ = 1, 1000 do
    local obs = env:start()
    local r, nobs, terminal
    r, nobs, terminal, info = env:step(agent:act(obs))
    agent:learn(r, nobs, terminal)
  end
  agent:close()
  return info.reversals
end

describe("policy_reset", function()
  it("is 0 (off) by default, and 0 gives the same agent as not setting it", function()
    assert.equal(0, nm.defaults().policy_reset)
    local a = nm.agent{ obs = 2, actions = 2, seed = 3 }
    local b = nm.agent{ obs = 2, actions = 2, seed = 3, policy_reset = 0 }
    for _ = 1, 50 do
      local x, y = a:act({ 1, 0 }), b:act({ 1, 0 })
      assert.equal(x, y)
      a:learn(x == 0 and 1 or -1, { 1, 0 }, true)
      b:learn(y == 0 and 1 or -1, { 1, 0 }, true)
    end
    assert.equal(a:state_hash(), b:state_hash())
    a:close(); b:close()
  end)

  it("refuses a value outside [0, 1], naming the option", function()
    local ok, e = pcall(nm.agent, { obs = 1, actions = 2, policy_reset = 2 })
    assert.is_false(ok)
    assert.truthy(tostring(e):find("policy_reset", 1, true))
  end)

  it("shrinks the policy head by 1 - policy_reset x level_NA when NA is on, and does nothing with NA off", function()
    for _, mods in ipairs({ "all", { DA = true } }) do
      local a = nm.agent{ obs = 1, actions = 2, seed = 5, modulators = mods, policy_reset = 0.5, max_update = 0,
        learning_rate = 0 }
      -- learning_rate 0: the update leaves the weights, so any change is the reset
      for _ = 1, 20 do a:learn(a:act({ 1 }) == 0 and 1 or 0, { 1 }, true) end
      local before = policy_head(a)
      a:learn(a:act({ 1 }) == 0 and 0 or 1, { 1 }, true)
      local after, na = policy_head(a), math.max(0, math.min(1, a:modulators().NA))
      local keep = 1 - 0.5 * na
      if mods == "all" then assert.is_true(na > 0) else assert.equal(0, na) end
      for i = 1, #before do assert.near(before[i] * keep, after[i], 1e-6 * math.abs(before[i]) + 1e-12) end
      a:close()
    end
  end)

  it("raises the reversals completed on serial reversal (all four, seeds 1-5, reset 0.1)", function()
    local off, on = 0, 0
    for seed = 1, 5 do
      off = off + reversals(seed, {})
      on = on + reversals(seed, { policy_reset = 0.1 })
    end
    print(string.format("\n  serial reversal, seeds 1-5, mean reversals: off %.1f, policy_reset 0.1 %.1f", off / 5, on / 5))
    assert.is_true(on > 1.5 * off)
  end)
end)
