-- The adaptive-behaviour tasks (envs/reversal, volatile_bandit, gonogo_valence, two_step, gridworld): the
-- protocol, their documented structure, and no garbage per step.
local nm = require "neuromod"
local protocol = require "neuromod.protocol"

local function load(name) return dofile("envs/" .. name .. ".lua") end

-- Runs n one-step trials with policy(info_of_last) and returns the infos (copied).
local function trials(env, n, policy)
  local out, last = {}, nil
  for t = 1, n do
    env:start()
    local r, _, terminal, info = env:step(policy(t, last))
    assert.is_true(terminal)
    local c = { reward = r }
    for k, v in pairs(info) do c[k] = v end
    out[t], last = c, c
  end
  return out
end

local garbage = require("spec.support.garbage").bytes

describe("the adaptive-behaviour tasks", function()
  it("pass the protocol checker with their options", function()
    local cases = {
      { "reversal", {} }, { "reversal", { p = 1, reverse = "fixed", block = 5 } },
      { "reversal", { reverse = "random", block_min = 3, block_max = 9, rewards = { lose = -1 } } },
      { "reversal", { reverse = "none" } },
      { "volatile_bandit", {} }, { "volatile_bandit", { cycle = false, phases = { { trials = 5, p = 0.9, swap = { 2, 3 } } } } },
      { "gonogo_valence", {} }, { "gonogo_valence", { balanced = true, p = 0.7 } },
      { "two_step", {} }, { "two_step", { mode = "drift", common = 0.7 } },
      { "gridworld", {} }, { "gridworld", { obs = "onehot", map = { "S.#", "..G", "CC." } } },
    }
    for _, c in ipairs(cases) do
      local s = protocol.check("envs/" .. c[1] .. ".lua", c[2], nil, { steps = 500 })
      assert.equal(500, s.steps)
    end
  end)

  it("reject bad options naming the task and the option", function()
    local function msg(name, opts) local ok, e = pcall(load(name), opts) assert.is_false(ok) return e end
    assert.truthy(msg("reversal", { p = 2 }):find("reversal: p: expected a probability", 1, true))
    assert.truthy(msg("reversal", { reverse = "sometimes" }):find("reversal: reverse: ", 1, true))
    assert.truthy(msg("volatile_bandit", { phases = { { trials = 0, p = 0.5 } } }):find("volatile_bandit: phases[1].trials", 1, true))
    assert.truthy(msg("gonogo_valence", { colour = 1 }):find("gonogo_valence: unknown option 'colour'", 1, true))
    assert.truthy(msg("two_step", { mode = "walk" }):find("two_step: mode: ", 1, true))
    assert.truthy(msg("gridworld", { map = { "S.", "..." } }):find("gridworld: map: row 2 has 3 cells", 1, true))
    assert.truthy(msg("gridworld", { map = { "..", ".." } }):find("gridworld: map: no start 'S'", 1, true))
  end)

  it("reversal: reverses after k consecutive correct choices and counts reversals", function()
    local env = load("reversal"){ seed = 2, p = 1, criterion = 3 }
    local infos = trials(env, 12, function(_, last)
      if last == nil then return 0 end
      return last.reversed and 1 - last.good or last.good
    end)
    -- always choosing the good option: a reversal every 3 trials
    for t, i in ipairs(infos) do
      assert.is_true(i.correct) assert.is_true(i.rewarded) assert.equal(1, i.reward)
      assert.equal(t % 3 == 0, i.reversed)
      assert.equal(math.floor(t / 3), i.reversals)
      assert.equal(math.floor((t - 1) / 3) % 2, i.good)
    end
    -- 80/20: the good option pays about 80% of the time
    env = load("reversal"){ seed = 3, reverse = "none" }
    local paid = 0
    for _, i in ipairs(trials(env, 2000, function() return 0 end)) do paid = paid + (i.rewarded and 1 or 0) end
    assert.is_true(math.abs(paid / 2000 - 0.8) < 0.03, tostring(paid))
    -- random blocks within their bounds
    env = load("reversal"){ seed = 4, reverse = "random", block_min = 4, block_max = 6 }
    local run = 0
    for _, i in ipairs(trials(env, 300, function() return 0 end)) do
      run = run + 1
      if i.reversed then assert.is_true(run >= 4 and run <= 6) run = 0 end
    end
  end)

  it("volatile_bandit: a stable phase, then swaps every 20-40 trials", function()
    local env = load("volatile_bandit"){ seed = 5 }
    local infos = trials(env, 290 * 2, function() return 0 end)
    local since = 0
    for t, i in ipairs(infos) do
      local cycle_t = (t - 1) % 290 + 1
      assert.equal(cycle_t <= 120 and "stable" or "volatile", i.phase)
      if i.phase == "stable" then assert.is_false(i.swapped) assert.equal(0.75, i.p) end
      since = since + 1
      if i.swapped then
        assert.equal("volatile", i.phase)
        assert.is_true(since >= 20 and since <= 40, "run of " .. since)
        since = 0
      end
      if i.phase_trial == 1 then since = 1 end
    end
    assert.is_true(infos[#infos].swaps >= 8)
  end)

  it("gonogo_valence: four conditions, the correct response earns the better outcome 80% of the time", function()
    local env = load("gonogo_valence"){ seed = 6 }
    assert.same({ name = "Discrete", n = 2, withhold = 0 }, env:getActionSpace())
    local count, better, rewards = {}, {}, {}
    for _, i in ipairs(trials(env, 4000, function(t) return t % 2 end)) do
      local c = i.condition
      count[c] = (count[c] or 0) + 1
      if i.correct then better[c] = (better[c] or 0) + (i.better and 1 or 0) end
      rewards[c .. (i.better and "+" or "-")] = i.reward
      assert.equal(c:match("^go_") and 1 or 0, i.correct_action)
    end
    for _, c in ipairs { "go_to_win", "go_to_avoid", "nogo_to_win", "nogo_to_avoid" } do
      assert.is_true(count[c] > 800, c)
      assert.is_true(math.abs(better[c] / (count[c] / 2) - 0.8) < 0.06, c)
    end
    assert.equal(1, rewards["go_to_win+"]) assert.equal(0, rewards["go_to_win-"])
    assert.equal(0, rewards["nogo_to_avoid+"]) assert.equal(-1, rewards["nogo_to_avoid-"])
    -- balanced: every run of four trials shows each cue once
    env = load("gonogo_valence"){ seed = 7, balanced = true }
    local infos = trials(env, 40, function() return 0 end)
    for b = 0, 9 do
      local seen = {}
      for t = 1, 4 do seen[infos[4 * b + t].cue] = true end
      assert.same({ true, true, true, true }, seen)
    end
  end)

  it("two_step: common transitions 80% of the time, and the stage-2 state in the observation", function()
    local env = load("two_step"){ seed = 8 }
    local common, n = 0, 2000
    for _ = 1, n do
      local o = env:start()
      assert.same({ 1, 0, 0 }, { o[1], o[2], o[3] })
      local r, o2, terminal, info = env:step(0)
      assert.equal(0, r) assert.is_false(terminal)
      assert.equal(1, info.stage)
      assert.equal(info.state == "A" and 1 or 0, o2[2])
      assert.equal(info.common, info.state == "A")
      if info.common then common = common + 1 end
      local _, _, t2, info2 = env:step(1)
      assert.is_true(t2)
      assert.equal(info2.common and "common" or "rare", info2.condition)
      assert.is_boolean(info2.rewarded)
    end
    assert.is_true(math.abs(common / n - 0.8) < 0.03)
    -- drift: probabilities stay within their bounds
    env = load("two_step"){ seed = 9, mode = "drift" }
    for _ = 1, 500 do
      env:start() env:step(1)
      local _, _, _, info = env:step(0)
      for _, s in ipairs { "A", "B" } do
        for a = 1, 2 do assert.is_true(info.probs[s][a] >= 0.25 and info.probs[s][a] <= 0.75) end
      end
    end
  end)

  it("gridworld: the cliff walk's moves, walls, cliff and goal", function()
    local env = load("gridworld"){}
    assert.same({ name = "Box", shape = { 2 }, low = { 1, 1 }, high = { 12, 4 } }, env:getStateSpace())
    local o = env:start()
    assert.same({ 1, 1 }, { o[1], o[2] })
    local r, o2, terminal, info = env:step(1) -- right: onto the cliff, back to the start
    assert.equal(-100, r) assert.is_false(terminal) assert.is_true(info.cliff)
    assert.same({ 1, 1 }, { o2[1], o2[2] })
    r, o2 = env:step(3) -- left into the edge: stays
    assert.equal(-1, r) assert.same({ 1, 1 }, { o2[1], o2[2] })
    -- the safe path: up, 11 x right, down
    local total = 0
    env:start()
    for _, a in ipairs { 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2 } do
      r, o2, terminal, info = env:step(a)
      total = total + r
    end
    assert.is_true(terminal) assert.equal(-13, total) assert.is_true(info.correct)
    -- walls, one-hot and index observations
    env = load("gridworld"){ obs = "onehot", map = { "S#G", "..." } }
    o = env:start()
    assert.equal(6, #o) assert.equal(1, o[4]) -- (x 1, y 2) is cell 4
    r, o2 = env:step(1)
    assert.equal(1, o2[4]) -- the wall holds it
    env = load("gridworld"){ obs = "index", map = { "S#G", "..." } }
    assert.same({ name = "Discrete", n = 6 }, env:getStateSpace())
    assert.equal(3, env:start())
  end)

  it("make no garbage per step", function()
    for _, c in ipairs { { "reversal", {} }, { "volatile_bandit", {} }, { "gonogo_valence", {} }, { "two_step", {} },
                         { "gridworld", {} }, { "gridworld", { obs = "onehot" } } } do
      local env = load(c[1])(c[2])
      local g = nm.rng(1)
      local n = env:getActionSpace().n
      local running = false
      local bytes = garbage(function()
        if not running then env:start() running = true end
        local _, _, terminal = env:step(g:random(n) - 1)
        if terminal then running = false end
      end, 2000)
      assert.is_true(bytes < 2048, c[1] .. ": " .. bytes .. " bytes for 2000 steps")
    end
  end)

  it("give the same trials for the same seed and different ones for another", function()
    for _, name in ipairs { "reversal", "volatile_bandit", "gonogo_valence" } do
      local a = trials(load(name){ seed = 11 }, 200, function(t) return t % 2 end)
      local b = trials(load(name){ seed = 11 }, 200, function(t) return t % 2 end)
      local c = trials(load(name){ seed = 12 }, 200, function(t) return t % 2 end)
      local same, differ = true, false
      for t = 1, 200 do
        if a[t].reward ~= b[t].reward then same = false end
        if a[t].reward ~= c[t].reward then differ = true end
      end
      assert.is_true(same, name) assert.is_true(differ, name)
    end
  end)
end)
