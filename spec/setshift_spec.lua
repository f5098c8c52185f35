-- envs/setshift.lua: protocol, population codes, trial sequence, rule shifts, rewards, options.
local SetShift = dofile("envs/setshift.lua")

local function trial(env, action)
  local obs = env:start()
  local copy = {}
  for i = 1, #obs do copy[i] = obs[i] end
  local r, o, terminal, info = env:step(action)
  return copy, r, terminal, info, o
end

local function ones(obs, a, b)
  local n = 0
  for i = a, b do if obs[i] == 1 then n = n + 1 end end
  return n
end

describe("setshift task", function()
  it("speaks the rlenvs protocol", function()
    local env = SetShift { seed = 1 }
    local s = env:getStateSpace()
    assert.equal("Box", s.name) assert.same({ 20 }, s.shape)
    assert.equal(20, #s.low) assert.equal(20, #s.high)
    assert.equal(0, s.low[1]) assert.equal(1, s.high[20])
    assert.same({ name = "Discrete", n = 2, withhold = 0 }, env:getActionSpace())
    local lo, hi = env:getRewardSpace()
    assert.equal(-1, lo) assert.equal(1, hi)
    local obs, r, terminal, info, o = trial(env, 1)
    assert.equal(20, #obs) assert.equal("number", type(r)) assert.is_true(terminal) assert.equal("table", type(info))
    assert.same(obs, o) -- the terminal observation repeats the cue
    assert.same({ 14 }, SetShift { population = 7 }:getStateSpace().shape)
    s = SetShift { noise = 0.1, reward_noise = 0.1 }:getStateSpace()
    assert.equal(-math.huge, s.low[1]) assert.equal(math.huge, s.high[1])
    assert.same({ -math.huge, math.huge }, { SetShift { reward_noise = 0.1 }:getRewardSpace() })
    assert.same({ -2, 3 }, { SetShift { rewards = { hit = 3, false_alarm = -2 } }:getRewardSpace() })
  end)

  it("encodes each stimulus by exactly `active` of `population` units, codes differing within a modality", function()
    for seed = 1, 30 do
      for _, pk in ipairs { { 10, 3 }, { 6, 1 }, { 4, 3 }, { 12, 6 } } do
        local n, k = pk[1], pk[2]
        local env = SetShift { seed = seed, population = n, active = k }
        for _, s in ipairs { "A", "B", "X", "Y" } do
          local c = env.codes[s]
          assert.equal(k, #c)
          for i = 1, k do
            assert.is_true(c[i] >= 1 and c[i] <= n)
            if i > 1 then assert.is_true(c[i] > c[i - 1]) end -- sorted, distinct
          end
        end
        assert.are_not.same(env.codes.A, env.codes.B)
        assert.are_not.same(env.codes.X, env.codes.Y)
        for _ = 1, 5 do
          local obs = env:start()
          env:step(0)
          assert.equal(k, ones(obs, 1, n)) assert.equal(k, ones(obs, n + 1, 2 * n))
          assert.equal(2 * k, ones(obs, 1, 2 * n)) -- everything else is 0
          for _, u in ipairs(env.codes[env.visual]) do assert.equal(1, obs[u]) end
          for _, u in ipairs(env.codes[env.auditory]) do assert.equal(1, obs[n + u]) end
        end
      end
      local d = SetShift { seed = seed, population = 6, active = 3, disjoint = true }
      for _, pair in ipairs { { "A", "B" }, { "X", "Y" } } do
        local used = {}
        for _, u in ipairs(d.codes[pair[1]]) do used[u] = true end
        for _, u in ipairs(d.codes[pair[2]]) do assert.is_nil(used[u]) end
      end
    end
  end)

  it("pairs the two modalities by independent fair coins", function()
    local env = SetShift { seed = 5 }
    local n = { AX = 0, AY = 0, BX = 0, BY = 0 }
    for _ = 1, 4000 do
      local _, _, _, info = trial(env, 0)
      n[info.visual .. info.auditory] = n[info.visual .. info.auditory] + 1
    end
    for k, c in pairs(n) do assert.is_true(c > 880 and c < 1120, k .. ": " .. c) end -- 1000 +- 3.9 sd
  end)

  it("is deterministic per seed, and the seed matters", function()
    local function run(opts)
      local env = SetShift(opts)
      local out = {}
      for t = 1, 50 do
        local obs, r, _, info = trial(env, t % 2)
        out[t] = table.concat(obs, ",") .. "|" .. r .. "|" .. info.visual .. info.auditory
      end
      return out, env.codes
    end
    local a, ca = run { seed = 7 }
    local b, cb = run { seed = 7 }
    assert.same(a, b) assert.same(ca, cb)
    local c = run { seed = 8 }
    assert.are_not.same(a, c)
    -- the noise options do not change the codes or the trial sequence of a seed
    local e1, e2 = SetShift { seed = 7 }, SetShift { seed = 7, noise = 0.2, reward_flip = 0.3, reward_noise = 0.1 }
    assert.same(e1.codes, e2.codes)
    for _ = 1, 50 do
      local _, _, _, i1 = trial(e1, 1)
      local _, _, _, i2 = trial(e2, 1)
      assert.equal(i1.visual, i2.visual) assert.equal(i1.auditory, i2.auditory)
    end
  end)

  it("switches the rule exactly after shift_trial, for each shift type", function()
    local want = {
      extra = { "visual", "A", "auditory", "X" }, intra = { "visual", "A", "visual", "B" },
      none = { "visual", "A", "visual", "A" },
    }
    for shift, w in pairs(want) do
      local env = SetShift { seed = 3, shift = shift, shift_trial = 40 }
      for t = 1, 80 do
        local _, _, _, info = trial(env, 1)
        local post = t > 40
        assert.equal(t, info.trial)
        assert.equal(post, info.shifted)
        assert.equal(post and w[3] or w[1], info.rule, shift .. " trial " .. t)
        assert.equal(post and w[4] or w[2], info.go, shift .. " trial " .. t)
        local go_cue = info.visual == info.go or info.auditory == info.go
        assert.equal(go_cue, info.go_cue)
        assert.equal(go_cue and "go" or "nogo", info.condition)
        assert.equal(go_cue and 1 or 0, info.correct_action)
        assert.equal(info.visual == "A" and "go" or "nogo", info.old_condition)
        assert.equal(info.visual == "A" and 1 or 0, info.old_correct_action)
        assert.equal(go_cue, info.correct) -- the action was Go
      end
    end
    -- other starting rules, an explicit target, and a shift from the first trial
    local env = SetShift { go = "Y", shift = "extra", shift_go = "B", shift_trial = 1 }
    assert.same({ "auditory", "Y" }, { env:rule(1) }) assert.same({ "visual", "B" }, { env:rule(2) })
    env = SetShift { go = "X", shift = "intra" }
    assert.same({ "auditory", "Y" }, { env:rule(301) })
    env = SetShift { go = "B" }
    assert.same({ "auditory", "X" }, { env:rule(301) }) assert.same({ "visual", "B" }, { env:rule(300) })
    env = SetShift { shift_trial = 0 }
    local _, _, _, info = trial(env, 0)
    assert.is_true(info.shifted) assert.equal("auditory", info.rule)
  end)

  it("rewards hits, false alarms, misses and correct rejections as documented", function()
    for _, rw in ipairs { {}, { hit = 2, false_alarm = -0.5, miss = -0.25, correct_rejection = 0.5 } } do
      local R = { hit = rw.hit or 1, false_alarm = rw.false_alarm or -1, miss = rw.miss or 0,
                  correct_rejection = rw.correct_rejection or 0 }
      local env = SetShift { seed = 9, rewards = rw, shift_trial = 100 }
      local seen = {}
      for t = 1, 200 do
        local action = (t % 3 == 0) and 1 or 0
        local _, r, _, info = trial(env, action)
        local go = info.condition == "go"
        local outcome = action == 1 and (go and "hit" or "false_alarm") or (go and "miss" or "correct_rejection")
        assert.equal(outcome, info.outcome)
        assert.equal(R[outcome], r)
        assert.equal(action, info.action)
        assert.equal((action == 1) == go, info.correct)
        assert.is_false(info.flipped)
        seen[outcome] = true
      end
      assert.is_true(seen.hit and seen.false_alarm and seen.miss and seen.correct_rejection)
    end
  end)

  it("flips feedback with probability reward_flip and adds Gaussian reward noise", function()
    local env = SetShift { seed = 2, reward_flip = 0.25 }
    local flips, n = 0, 4000
    local other = { hit = "false_alarm", false_alarm = "hit", miss = "correct_rejection", correct_rejection = "miss" }
    local R = { hit = 1, false_alarm = -1, miss = 0, correct_rejection = 0 }
    for t = 1, n do
      local _, r, _, info = trial(env, t % 2)
      if info.flipped then flips = flips + 1; assert.equal(R[other[info.outcome]], r)
      else assert.equal(R[info.outcome], r) end
      assert.equal((info.action == 1) == info.go_cue, info.correct) -- correct follows the true rule
    end
    assert.is_true(math.abs(flips / n - 0.25) < 0.03, "flip rate " .. flips / n)
    env = SetShift { seed = 2, reward_noise = 0.5 }
    local s, s2 = 0, 0
    for _ = 1, n do
      local _, r, _, info = trial(env, 0) -- No-Go: the clean reward is 0
      assert.is_true(info.outcome == "miss" or info.outcome == "correct_rejection")
      s, s2 = s + r, s2 + r * r
    end
    local mean = s / n
    local sd = math.sqrt(s2 / n - mean * mean)
    assert.is_true(math.abs(mean) < 0.05 and math.abs(sd - 0.5) < 0.03, mean .. " " .. sd)
  end)

  it("adds Gaussian input noise of sd `noise` on every unit", function()
    local env = SetShift { seed = 4, noise = 0.2 }
    local s, s2, n = 0, 0, 0
    for _ = 1, 500 do
      local obs = env:start()
      env:step(0)
      for i = 1, 10 do
        local on = false
        for _, u in ipairs(env.codes[env.visual]) do if u == i then on = true end end
        local e = obs[i] - (on and 1 or 0)
        s, s2, n = s + e, s2 + e * e, n + 1
      end
    end
    local mean = s / n
    assert.is_true(math.abs(mean) < 0.01 and math.abs(math.sqrt(s2 / n - mean * mean) - 0.2) < 0.01)
  end)

  it("raises errors that name the task and the option", function()
    local cases = {
      { { foo = 1 }, "setshift: unknown option 'foo'" },
      { { seed = 1.5 }, "setshift: seed: expected an integer, got 1.5" },
      { { population = 1 }, "setshift: population: expected an integer >= 2, got 1" },
      { { active = 0 }, "setshift: active: expected an integer in 1..9 (population - 1), got 0" },
      { { active = 10 }, "setshift: active: expected an integer in 1..9 (population - 1), got 10" },
      { { active = 4, population = 7, disjoint = true },
        "setshift: disjoint: needs 2 * active <= population, got active = 4, population = 7" },
      { { disjoint = 1 }, "setshift: disjoint: expected true or false, got 1" },
      { { noise = -1 }, "setshift: noise: expected a number >= 0, got -1" },
      { { go = "C" }, "setshift: go: expected one of \"A\", \"B\", \"X\", \"Y\", got C" },
      { { shift = "reverse" }, "setshift: shift: expected \"extra\", \"intra\" or \"none\", got reverse" },
      { { shift_go = "B" }, "setshift: shift_go: an extra-dimensional shift from A needs a auditory stimulus, got B" },
      { { shift = "intra", shift_go = "X" }, "setshift: shift_go: an intra-dimensional shift from A goes to B, got X" },
      { { shift = "none", shift_go = "X" }, "setshift: shift_go: must not be set with shift = \"none\"" },
      { { shift_trial = -1 }, "setshift: shift_trial: expected an integer >= 0, got -1" },
      { { rewards = { hit = "1" } }, "setshift: rewards.hit: expected a finite number, got 1" },
      { { rewards = { win = 1 } }, "setshift: rewards: unknown key 'win'" },
      { { reward_flip = 1.5 }, "setshift: reward_flip: expected a probability in [0, 1], got 1.5" },
      { { reward_noise = -0.1 }, "setshift: reward_noise: expected a number >= 0, got -0.1" },
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(SetShift, c[1])
      assert.is_false(ok)
      assert.equal(c[2], (tostring(err):gsub("^[^:]*:%d+: ", "")))
    end
    local env = SetShift {}
    assert.has_error(function() env:step(0) end)
    env:start()
    assert.has_error(function() env:step(2) end, "setshift: step: action must be an integer in 0..1, got 2")
    env:step(1)
    local ok, err = pcall(env.step, env, 1)
    assert.is_false(ok)
    assert.truthy(err:find("setshift: step: no trial in progress", 1, true))
  end)
end)
