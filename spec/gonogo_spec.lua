-- envs/gonogo.lua: the protocol, NeuroGym's conventions, and an agent that learns it.
local nm = require "neuromod"
local GoNogo = dofile("envs/gonogo.lua")

local function trial(env, policy)
  local obs = env:start()
  local seen = { env.go and "go" or "nogo" }
  local total, t = 0, 0
  while true do
    t = t + 1
    local a = policy(t, obs)
    local r, o, terminal, info = env:step(a)
    total = total + r
    if terminal then return total, info, t end
    obs = o
  end
end

describe("gonogo task", function()
  it("speaks the rlenvs protocol", function()
    local env = GoNogo{ seed = 1 }
    assert.same({ name = "Box", shape = { 3 }, low = { 0, 0, 0 }, high = { 1, 1, 1 } }, env:getStateSpace())
    assert.same({ name = "Discrete", n = 2, withhold = 0 }, env:getActionSpace())
    local lo, hi = env:getRewardSpace()
    assert.equal(-0.5, lo)
    assert.equal(1, hi)
  end)

  it("has NeuroGym's timing and observations", function()
    for _, memory in ipairs { false, true } do
      local env = GoNogo{ seed = 3, memory = memory }
      local obs = env:start()
      local cue = env.go and 3 or 2
      local rows = { { obs[1], obs[2], obs[3] } }
      for t = 1, 14 do
        local _, o, terminal = env:step(0)
        if terminal then assert.equal(15, t) break end
        rows[#rows + 1] = { o[1], o[2], o[3] }
      end
      assert.equal(15, #rows) -- 500 + 500 + 500 ms at dt = 100
      for t = 1, 15 do
        local fix = t <= 10 and 1 or 0
        local on = t <= 5 or not memory
        assert.equal(fix, rows[t][1], "fixation at step " .. t)
        assert.equal(on and 1 or 0, rows[t][cue], "cue at step " .. t .. " memory " .. tostring(memory))
        assert.equal(0, rows[t][5 - cue])
      end
    end
  end)

  it("rewards as NeuroGym does", function()
    local env = GoNogo{ seed = 2 }
    local counts = {}
    for _ = 1, 200 do
      -- go at the first decision step
      local r, info, t = trial(env, function(t) return t == 11 and 1 or 0 end)
      if info.condition == "go" then assert.equal(1, r) assert.is_true(info.correct)
      else assert.equal(-0.5, r) assert.is_false(info.correct) end
      assert.equal(11, t)
      counts[info.condition] = (counts[info.condition] or 0) + 1
      -- hold to the end
      r, info, t = trial(env, function() return 0 end)
      assert.equal(15, t)
      if info.condition == "go" then assert.equal(-0.5, r) assert.is_false(info.correct)
      else assert.equal(0, r) assert.is_true(info.correct) end
      -- going during stimulus and delay changes nothing (NeuroGym's fixation period is 0 ms)
      r, info, t = trial(env, function(t) return t <= 10 and 1 or 0 end)
      assert.equal(15, t)
    end
    assert.is_true(counts.go > 70 and counts.nogo > 70)
  end)

  it("charges the abort penalty in a fixation period, and ends the trial with abort = true", function()
    local env = GoNogo{ seed = 1, timing = { fixation = 300 }, abort = true }
    local r, info, t = trial(env, function() return 1 end)
    assert.equal(-0.1, r)
    assert.equal(1, t)
    assert.is_false(info.correct)
  end)

  it("is deterministic for a seed and raises on bad options or actions", function()
    local a, b = GoNogo{ seed = 9 }, GoNogo{ seed = 9 }
    for _ = 1, 50 do a:start() b:start() assert.equal(a.go, b.go) end
    assert.has_error(function() GoNogo{ seed = 1, memroy = true } end, nil)
    local ok, e = pcall(GoNogo, { seed = 1, memroy = true })
    assert.truthy(tostring(e):find("gonogo: unknown option 'memroy'", 1, true))
    ok, e = pcall(GoNogo, { seed = "x" })
    assert.truthy(tostring(e):find("gonogo: seed: expected an integer", 1, true))
    ok, e = pcall(GoNogo, { timing = { stimulus = "long" } })
    assert.truthy(tostring(e):find("gonogo: timing.stimulus: expected a finite number", 1, true))
    local env = GoNogo{ seed = 1 }
    env:start()
    ok, e = pcall(env.step, env, 2)
    assert.is_false(ok)
    assert.truthy(tostring(e):find("gonogo: step: action must be an integer in 0..1, got 2", 1, true))
  end)
end)

describe("learning Go/No-Go", function()
  it("reaches 90% correct over 100 consecutive trials within 2,000 trials, for each of 5 seeds", function()
    local runner = require "neuromod.runner"
    local reached = {}
    for seed = 1, 5 do
      local s = runner.run{ env = "envs/gonogo.lua", trials = 2000, seed = seed, hidden = { 64 }, progress = false }
      assert.is_not_nil(s.trials_to_criterion, "seed " .. seed .. " never reached the criterion")
      assert.is_true(s.trials_to_criterion <= 2000)
      reached[#reached + 1] = s.trials_to_criterion
      s.agent:close()
    end
    print(string.format("\n  Go/No-Go trials to criterion, seeds 1-5: %s", table.concat(reached, ", ")))
  end)
end)
