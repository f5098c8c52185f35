-- neuromod.wrappers and neuromod.gym: observation noise, previous reward and action, a time limit whose
-- truncation is reported apart from termination, and Gymnasium's shape.
local wrappers = require "neuromod.wrappers"
local gym = require "neuromod.gym"
local protocol = require "neuromod.protocol"

local function load(name) return dofile("envs/" .. name .. ".lua") end

local function message(f)
  local ok, err = pcall(f)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

describe("neuromod.wrappers", function()
  it("adds seeded Gaussian noise and unbounds the space", function()
    local env = wrappers.noise(load("gonogo_valence"){ seed = 1 }, { sd = 0.5, seed = 3 })
    assert.same({ name = "Box", shape = { 4 }, low = -math.huge, high = math.huge }, env:getStateSpace())
    local o = env:start()
    local clean = env.env.obs
    local diff = 0
    for i = 1, 4 do diff = diff + math.abs(o[i] - clean[i]) end
    assert.is_true(diff > 0)
    protocol.check(function(opts) return wrappers.noise(load("gonogo_valence")(opts), { sd = 0.2 }) end, {}, "noise")
    assert.truthy(message(function() wrappers.noise(load("reversal"){}, { sd = -1 }) end):find("wrappers.noise: sd: ", 1, true))
  end)

  it("appends the previous reward and the one-hot previous action", function()
    local env = wrappers.previous(load("reversal"){ seed = 2, p = 1, reverse = "none" })
    assert.same({ name = "Box", shape = { 4 }, low = { 1, 0, 0, 0 }, high = { 1, 1, 1, 1 } }, env:getStateSpace())
    assert.same({ 1, 0, 0, 0 }, env:start())
    local r, o = env:step(0) -- option A is good: reward 1
    assert.equal(1, r)
    assert.same({ 1, 1, 1, 0 }, { o[1], o[2], o[3], o[4] })
    o = env:start() -- carried into the next trial
    assert.same({ 1, 1, 1, 0 }, { o[1], o[2], o[3], o[4] })
    env:step(1)
    o = env:start()
    assert.same({ 1, 0, 0, 1 }, { o[1], o[2], o[3], o[4] })
    local reset = wrappers.previous(load("reversal"){}, { reset = true, action = false })
    reset:start() reset:step(0)
    assert.same({ 1, 0 }, reset:start())
    protocol.check(function(opts) return wrappers.previous(load("two_step")(opts)) end, {}, "previous")
  end)

  it("cuts episodes at the time limit and says so apart from termination", function()
    local env = wrappers.time_limit(load("gridworld"){}, { steps = 5 })
    env:start()
    for t = 1, 5 do
      local _, _, terminal, info = env:step(0) -- up: never reaches the goal
      assert.equal(t == 5, terminal)
      assert.equal(t == 5, info.truncated)
    end
    -- the goal reached at the limit's step is a termination, not a truncation
    env = wrappers.time_limit(load("gridworld"){ map = { "SG" } }, { steps = 1 })
    env:start()
    local _, _, terminal, info = env:step(1)
    assert.is_true(terminal) assert.is_false(info.truncated)
    assert.truthy(message(function() wrappers.time_limit(env, { steps = 0 }) end):find("wrappers.time_limit: steps: ", 1, true))
    assert.truthy(message(function() wrappers.time_limit({}, { steps = 3 }) end):find("wrappers.time_limit: env: missing method start", 1, true))
  end)

  it("compose", function()
    local env = wrappers.time_limit(wrappers.previous(wrappers.noise(load("gridworld"){ obs = "onehot" }, { sd = 0.1 })), { steps = 20 })
    local s = protocol.check(function() return wrappers.time_limit(wrappers.previous(wrappers.noise(
      load("gridworld"){ obs = "onehot" }, { sd = 0.1 })), { steps = 20 }) end, {}, "composed", { steps = 200 })
    assert.equal(48 + 1 + 4, s.obs_size)
    assert.equal(10, s.episodes)
    assert.equal(53, #env:start())
  end)
end)

describe("neuromod.gym", function()
  it("gives Gymnasium's reset and step, truncation apart from termination", function()
    local g = gym(wrappers.time_limit(load("gridworld"){}, { steps = 3 }))
    assert.same({ name = "Discrete", n = 4 }, g.action_space)
    assert.same({ -100, -1 }, g.reward_range)
    local obs, info = g:reset()
    assert.same({ 1, 1 }, { obs[1], obs[2] }) assert.equal(1, info.episode)
    local _, r, terminated, truncated = g:step(0)
    assert.equal(-1, r) assert.is_false(terminated) assert.is_false(truncated)
    g:step(0)
    local _, _, terminated3, truncated3 = g:step(0)
    assert.is_false(terminated3) assert.is_true(truncated3)
    assert.truthy(message(function() g:step(0) end):find("gym:step: call reset first", 1, true))
    assert.truthy(message(function() g:reset(2) end):find("cannot be reseeded", 1, true))
  end)

  it("reseeds through a constructor, and terminates", function()
    local g = gym.new(load("reversal"), { p = 0.8 })
    local function episode(seed)
      g:reset(seed)
      local _, r, terminated, truncated, info = g:step(0)
      assert.is_true(terminated) assert.is_false(truncated) assert.is_table(info)
      return r
    end
    local a, b = {}, {}
    for i = 1, 20 do a[i] = episode(i == 1 and 5 or nil) end
    for i = 1, 20 do b[i] = episode(i == 1 and 5 or nil) end
    assert.same(a, b)
  end)
end)
