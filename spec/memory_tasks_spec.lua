-- The working-memory tasks (envs/delay_match.lua, envs/perceptual_decision.lua): the protocol, NeuroGym's
-- timing, observations and rewards, the info fields, the options' checks, and no garbage per step.
local nm = require "neuromod"
local protocol = require "neuromod.protocol"

local DelayMatch = dofile("envs/delay_match.lua")
local Perceptual = dofile("envs/perceptual_decision.lua")

-- One trial with policy(t, obs) -> action (t = 1 for the step on start()'s observation); returns the summed
-- reward, a copy of the terminal info, the number of steps, and copies of the observations the agent acted on.
local function trial(env, policy)
  local obs = env:start()
  local seen, total, t = {}, 0, 0
  while true do
    t = t + 1
    local copy = {}
    for i = 1, #obs do copy[i] = obs[i] end
    seen[t] = copy
    local r, o, terminal, info = env:step(policy(t, obs))
    total = total + r
    if terminal then
      local c = {}
      for k, v in pairs(info) do c[k] = v end
      return total, c, t, seen
    end
    obs = o
  end
end

local function never() return 0 end

local garbage = require("spec.support.garbage").bytes

local function message(f, opts) local ok, e = pcall(f, opts) assert.is_false(ok) return tostring(e) end

describe("delay_match", function()
  it("passes the protocol checker with its options", function()
    for _, o in ipairs { {}, { sigma = 0 }, { dim_ring = 4, seed = 3 }, { abort = true, timing = { fixation = 100 } },
                         { dt = 50, timing = { delay = 2000 }, rewards = { fail = -1 } } } do
      local s = protocol.check("envs/delay_match.lua", o, nil, { steps = 600 })
      assert.equal(600, s.steps) assert.equal(3, s.actions)
    end
  end)

  it("declares its spaces: fixation + ring, three actions with fixate withheld", function()
    local env = DelayMatch{}
    assert.same({ name = "Discrete", n = 3, withhold = 0 }, env:getActionSpace())
    local s = env:getStateSpace()
    assert.same({ 3 }, s.shape) assert.same({ 0, -math.huge, -math.huge }, s.low)
    assert.same({ 0, 0, 0 }, DelayMatch{ sigma = 0 }:getStateSpace().low)
    assert.same({ 1, 1, 1 }, DelayMatch{ sigma = 0 }:getStateSpace().high)
    assert.same({ 5 }, DelayMatch{ dim_ring = 4 }:getStateSpace().shape)
    assert.same({ -0.1, 1 }, { env:getRewardSpace() })
  end)

  it("has NeuroGym's timing and observations: 3 + 5 + 10 + 5 + 9 steps, the ring off in delay and decision", function()
    local env = DelayMatch{ seed = 2, sigma = 0 }
    local kinds = {}
    for _ = 1, 200 do
      local r, info, t, seen = trial(env, never)
      assert.equal(32, t) assert.equal(0, r)
      assert.is_false(info.correct) assert.equal(0, info.performance) assert.equal(0, info.action)
      local sample = info.sample == 1 and { 1, 0 } or { 0, 1 }
      local test = info.test == 1 and { 1, 0 } or { 0, 1 }
      assert.equal(info.condition == "match", info.sample == info.test)
      assert.equal(info.condition == "match" and 1 or 2, info.correct_action)
      for step = 1, 32 do
        local o = seen[step]
        assert.equal(step <= 23 and 1 or 0, o[1], "fixation at step " .. step)
        local want = { 0, 0 }
        if step >= 4 and step <= 8 then want = sample elseif step >= 19 and step <= 23 then want = test end
        assert.same(want, { o[2], o[3] }, "ring at step " .. step)
      end
      kinds[info.condition .. info.sample] = (kinds[info.condition .. info.sample] or 0) + 1
    end
    for _, k in ipairs { "match1", "match2", "nonmatch1", "nonmatch2" } do assert.is_true(kinds[k] > 30, k) end
    -- timing in ms, rounded to steps
    local _, _, t = trial(DelayMatch{ dt = 50, timing = { delay = 500 } }, never)
    assert.equal(6 + 10 + 10 + 10 + 18, t)
    -- a larger ring: the non-match is the opposite direction
    env = DelayMatch{ dim_ring = 4, sigma = 0, seed = 5 }
    for _ = 1, 50 do
      local _, info, _, seen = trial(env, never)
      if info.condition == "nonmatch" then assert.equal((info.sample + 1) % 4 + 1, info.test) end
      assert.equal(1, seen[4][1 + info.sample]) assert.equal(1, seen[19][1 + info.test])
    end
  end)

  it("rewards as NeuroGym does: an answer in the decision period ends the trial", function()
    local env = DelayMatch{ seed = 4 }
    for _ = 1, 100 do
      -- the right answer at the first decision step
      local r, info, t = trial(env, function(step) return step == 24 and (env.match and 1 or 2) or 0 end)
      assert.equal(1, r) assert.equal(24, t) assert.is_true(info.correct) assert.equal(1, info.performance)
      assert.equal(info.correct_action, info.action) assert.is_true(info.new_trial) assert.equal("decision", info.period)
      assert.equal(info.correct_action, info.gt)
      -- the wrong one at the last decision step
      r, info, t = trial(env, function(step) return step == 32 and (env.match and 2 or 1) or 0 end)
      assert.equal(0, r) assert.equal(32, t) assert.is_false(info.correct)
      -- answers in sample, delay and test change nothing; in fixation they cost the abort penalty
      r, info, t = trial(env, function(step) return step <= 23 and 1 or 0 end)
      assert.near(-0.3, r, 1e-12) assert.equal(32, t)
    end
    env = DelayMatch{ abort = true }
    local r, info, t = trial(env, function() return 2 end)
    assert.equal(-0.1, r) assert.equal(1, t) assert.is_false(info.correct) assert.equal("fixation", info.period)
  end)

  it("fills info.period and info.gt on every step", function()
    local env = DelayMatch{ seed = 6 }
    env:start()
    local periods = {}
    for step = 1, 32 do
      local _, _, terminal, info = env:step(0)
      periods[#periods + 1] = info.period
      assert.equal(info.period == "decision" and (env.match and 1 or 2) or 0, info.gt)
      assert.equal(step == 32, terminal) assert.equal(terminal, info.new_trial)
      if not terminal then assert.is_nil(info.correct) end
    end
    assert.equal("fixation", periods[3]) assert.equal("sample", periods[4]) assert.equal("delay", periods[18])
    assert.equal("test", periods[19]) assert.equal("decision", periods[24])
  end)

  it("adds noise of sd sigma / sqrt(dt) to the ring, from its own stream", function()
    local env = DelayMatch{ seed = 7, sigma = 2, dt = 100 }
    local sum, sq, n = 0, 0, 0
    for _ = 1, 300 do
      local _, _, _, seen = trial(env, never)
      for step = 4, 8 do
        local base = env.patterns[env.sample]
        for i = 1, 2 do
          local e = seen[step][i + 1] - base[i]
          sum, sq, n = sum + e, sq + e * e, n + 1
        end
      end
    end
    local sd = math.sqrt(sq / n - (sum / n) ^ 2)
    assert.is_true(math.abs(sd - 0.2) < 0.01, "sd " .. sd)
    -- the trial sequence does not depend on the noise
    local a, b = DelayMatch{ seed = 8, sigma = 0 }, DelayMatch{ seed = 8, sigma = 1 }
    local c = DelayMatch{ seed = 9 }
    local differ = false
    for _ = 1, 50 do
      local _, ia = trial(a, never)
      local _, ib = trial(b, never)
      local _, ic = trial(c, never)
      assert.equal(ia.sample, ib.sample) assert.equal(ia.condition, ib.condition)
      if ia.sample ~= ic.sample or ia.condition ~= ic.condition then differ = true end
    end
    assert.is_true(differ)
  end)

  it("rejects bad options naming the task and the option", function()
    assert.truthy(message(DelayMatch, { colour = 1 }):find("delay_match: unknown option 'colour'", 1, true))
    assert.truthy(message(DelayMatch, { dim_ring = 3 }):find("delay_match: dim_ring: expected an even integer", 1, true))
    assert.truthy(message(DelayMatch, { sigma = -1 }):find("delay_match: sigma: expected a number >= 0", 1, true))
    assert.truthy(message(DelayMatch, { timing = { decision = 0 } }):find("delay_match: timing.decision: must be >= dt", 1, true))
    assert.truthy(message(DelayMatch, { timing = { wait = 1 } }):find("delay_match: timing: unknown key 'wait'", 1, true))
    assert.truthy(message(DelayMatch, { seed = 1.5 }):find("delay_match: seed: expected an integer", 1, true))
    local env = DelayMatch{}
    assert.truthy(message(function() env:step(0) end):find("delay_match: step called before start", 1, true))
    env:start()
    assert.truthy(message(function() env:step(3) end):find("delay_match: step: action must be an integer in 0..2", 1, true))
  end)
end)

describe("perceptual_decision", function()
  it("passes the protocol checker with its options", function()
    for _, o in ipairs { {}, { sigma = 0 }, { memory = false, seed = 3 }, { coherence = 25.6 },
                         { coherence = { 0, 100 }, timing = { stimulus = 300, delay = 200 }, abort = true } } do
      local s = protocol.check("envs/perceptual_decision.lua", o, nil, { steps = 600 })
      assert.equal(600, s.steps) assert.equal(3, s.actions)
    end
  end)

  it("declares its spaces: fixation + two stimuli, three actions with fixate withheld", function()
    local env = Perceptual{}
    assert.same({ name = "Discrete", n = 3, withhold = 0 }, env:getActionSpace())
    assert.same({ 0, -math.huge, -math.huge }, env:getStateSpace().low)
    assert.same({ 1, 1, 1 }, Perceptual{ sigma = 0 }:getStateSpace().high)
    assert.same({ -0.1, 1 }, { env:getRewardSpace() })
  end)

  it("has NeuroGym's timing and observations: 1 + 20 + 0 + 1 steps, evidence 1/2 +- c/200", function()
    for _, memory in ipairs { true, false } do
      local env = Perceptual{ seed = 2, sigma = 0, memory = memory }
      for _ = 1, 100 do
        local r, info, t, seen = trial(env, never)
        assert.equal(22, t) assert.equal(0, r) assert.is_false(info.correct) assert.equal(20, info.stimulus_steps)
        local c = info.coherence
        local hi, lo = 0.5 + c / 200, 0.5 - c / 200
        local want = info.correct_action == 1 and { hi, lo } or { lo, hi }
        assert.same({ 1, 0, 0 }, seen[1])
        for step = 2, 21 do assert.same({ 1, want[1], want[2] }, seen[step]) end
        if memory then assert.same({ 0, 0, 0 }, seen[22]) else assert.same({ 0, want[1], want[2] }, seen[22]) end
      end
    end
    local _, info, t = trial(Perceptual{ timing = { stimulus = 300, delay = 500 } }, never)
    assert.equal(1 + 3 + 5 + 1, t) assert.equal(3, info.stimulus_steps)
  end)

  it("draws the coherence per trial from the option: a number, or a list uniformly", function()
    local env = Perceptual{ seed = 3 }
    local count = {}
    for _ = 1, 1000 do
      local _, info = trial(env, never)
      count[info.coherence] = (count[info.coherence] or 0) + 1
      assert.equal(string.format("coh %g", info.coherence), info.condition)
    end
    for _, c in ipairs { 0, 6.4, 12.8, 25.6, 51.2 } do assert.is_true(count[c] > 150, tostring(c)) end
    env = Perceptual{ seed = 3, coherence = 12.8 }
    for _ = 1, 20 do local _, info = trial(env, never) assert.equal(12.8, info.coherence) end
    env = Perceptual{ seed = 3, coherence = { 100 }, sigma = 0 }
    local _, info, _, seen = trial(env, never)
    assert.equal(1, seen[2][info.correct_action + 1]) assert.equal(0, seen[2][4 - info.correct_action])
  end)

  it("rewards as NeuroGym does: a choice in the decision period ends the trial", function()
    local env = Perceptual{ seed = 4 }
    local sides = { 0, 0 }
    for _ = 1, 200 do
      local r, info, t = trial(env, function(step) return step == 22 and env.side or 0 end)
      assert.equal(1, r) assert.equal(22, t) assert.is_true(info.correct) assert.equal(1, info.performance)
      assert.equal(info.correct_action, info.action) assert.equal(info.correct_action, info.gt)
      sides[info.correct_action] = sides[info.correct_action] + 1
      r, info = trial(env, function(step) return step == 22 and 3 - env.side or 0 end)
      assert.equal(0, r) assert.is_false(info.correct) assert.equal(0, info.performance)
      -- choices during the stimulus change nothing; in fixation they cost the abort penalty
      r, info, t = trial(env, function(step) return step <= 21 and 1 or 0 end)
      assert.equal(-0.1, r) assert.equal(22, t) assert.equal(0, info.action)
    end
    assert.is_true(sides[1] > 70 and sides[2] > 70)
    local r, info, t = trial(Perceptual{ abort = true }, function() return 1 end)
    assert.equal(-0.1, r) assert.equal(1, t) assert.is_false(info.correct)
  end)

  it("adds noise of sd sigma / sqrt(dt) from its own stream; the trials do not depend on it", function()
    local env = Perceptual{ seed = 5, sigma = 1, dt = 25, coherence = 0 }
    local sum, sq, n = 0, 0, 0
    for _ = 1, 50 do
      local _, _, _, seen = trial(env, never)
      for step = 5, 84 do for i = 2, 3 do
        local e = seen[step][i] - 0.5
        sum, sq, n = sum + e, sq + e * e, n + 1
      end end
    end
    local sd = math.sqrt(sq / n - (sum / n) ^ 2)
    assert.is_true(math.abs(sd - 0.2) < 0.01, "sd " .. sd)
    local a, b = Perceptual{ seed = 6, sigma = 0 }, Perceptual{ seed = 6, memory = false }
    for _ = 1, 50 do
      local _, ia = trial(a, never)
      local _, ib = trial(b, never)
      assert.equal(ia.coherence, ib.coherence) assert.equal(ia.correct_action, ib.correct_action)
    end
  end)

  it("rejects bad options naming the task and the option", function()
    assert.truthy(message(Perceptual, { coherence = 150 }):find("perceptual_decision: coherence: expected a coherence in [0, 100]", 1, true))
    assert.truthy(message(Perceptual, { coherence = {} }):find("perceptual_decision: coherence: expected a number or a non-empty list", 1, true))
    assert.truthy(message(Perceptual, { coherence = { 1, "x" } }):find("perceptual_decision: coherence[2]: ", 1, true))
    assert.truthy(message(Perceptual, { memory = 1 }):find("perceptual_decision: memory: expected true or false", 1, true))
    assert.truthy(message(Perceptual, { timing = { stimulus = 0 } }):find("perceptual_decision: timing.stimulus: must be >= dt", 1, true))
    assert.truthy(message(Perceptual, { sigma = "high" }):find("perceptual_decision: sigma: expected a finite number", 1, true))
  end)
end)

describe("the working-memory tasks", function()
  it("make no garbage per step", function()
    for _, c in ipairs { { DelayMatch, {} }, { DelayMatch, { sigma = 0, dim_ring = 4 } }, { Perceptual, {} },
                         { Perceptual, { memory = false } } } do
      local env = c[1](c[2])
      local g = nm.rng(1)
      local running = false
      local bytes = garbage(function()
        if not running then env:start() running = true end
        local _, _, terminal = env:step(g:random(3) - 1)
        if terminal then running = false end
      end, 2000)
      assert.is_true(bytes < 2048, bytes .. " bytes for 2000 steps")
    end
  end)

  it("give the same trials for the same seed and different ones for another", function()
    for _, Env in ipairs { DelayMatch, Perceptual } do
      local function run(seed)
        local env, out = Env{ seed = seed }, {}
        local g = nm.rng(3)
        for t = 1, 100 do
          local r, info, steps, seen = trial(env, function() return g:random(3) - 1 end)
          out[t] = table.concat({ r, steps, info.condition, info.correct_action, seen[#seen][2] }, " ")
        end
        return table.concat(out, "\n")
      end
      assert.equal(run(11), run(11)) assert.are_not.equal(run(11), run(12))
    end
  end)

  it("are found by name by neuromod run and neuromod check", function()
    local cli = require "neuromod.cli"
    for _, name in ipairs { "delay_match", "perceptual_decision" } do
      assert.equal("./envs/" .. name .. ".lua", cli.find_task(name, "."))
    end
  end)
end)
