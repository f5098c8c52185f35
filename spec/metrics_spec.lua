-- neuromod.metrics on hand-made series whose answers are worked out in the comments.
local metrics = require "neuromod.metrics"

local function near(a, b, tol) assert(math.abs(a - b) <= (tol or 1e-12), ("expected %.15g, got %.15g"):format(a, b)) end

describe("neuromod.metrics", function()
  it("computes accuracy and rolling accuracy", function()
    local c = { true, false, true, true, 1, 0, 1, 1 }
    local acc, n = metrics.accuracy(c)
    assert.equal(6 / 8, acc) assert.equal(8, n)
    acc, n = metrics.accuracy(c, 2, 4)
    assert.equal(2 / 3, acc) assert.equal(3, n)
    assert.is_nil((metrics.accuracy(c, 5, 4)))
    local r = metrics.rolling_accuracy(c, 3)
    -- 1/1, 1/2, 2/3, then windows of 3: {0,1,1} {1,1,1} {1,1,0} {1,0,1} {0,1,1}
    local want = { 1, 0.5, 2 / 3, 2 / 3, 1, 2 / 3, 2 / 3, 2 / 3 }
    for t = 1, 8 do near(want[t], r[t]) end
  end)

  it("finds trials to criterion after a start trial, or nil", function()
    -- 10 wrong, then right from trial 11 on
    local c = {}
    for t = 1, 40 do c[t] = t > 10 end
    local t, k = metrics.trials_to_criterion(c, { level = 1, window = 5 })
    assert.equal(15, t) assert.equal(15, k)
    -- 0.8 over 5 needs 4 of 5: the window 10..14 is the first with 4 right (11..14), so t = 14
    t = metrics.trials_to_criterion(c, { level = 0.8, window = 5 })
    assert.equal(14, t)
    -- after a start: windows must lie wholly at or after start
    t, k = metrics.trials_to_criterion(c, { level = 1, window = 5, start = 20 })
    assert.equal(24, t) assert.equal(5, k)
    -- never
    assert.is_nil(metrics.trials_to_criterion(c, { level = 1, window = 5, start = 38 }))
    local wrong = {}
    for i = 1, 30 do wrong[i] = false end
    assert.is_nil(metrics.trials_to_criterion(wrong))
    -- the default is 0.9 over 20 (18 of 20): alternate errors every 10th trial -> exactly 18 of 20
    local ten = {}
    for i = 1, 60 do ten[i] = i % 10 ~= 0 end
    assert.equal(20, (metrics.trials_to_criterion(ten)))
  end)

  it("computes entropies in bits", function()
    assert.equal(1, metrics.entropy { 0.5, 0.5 })
    assert.equal(0, metrics.entropy { [0] = 1, [1] = 0 })
    near(2, metrics.entropy { 1, 1, 1, 1 })                          -- normalised by the sum
    near(-(0.9 * math.log(0.9) + 0.1 * math.log(0.1)) / math.log(2), metrics.entropy { 0.9, 0.1 })
    near(-(0.9 * math.log(0.9) + 0.1 * math.log(0.1)), metrics.entropy({ 0.9, 0.1 }, math.exp(1)))
  end)

  it("computes H(A | C) from policy vectors, pooled or per trial", function()
    local probs = { { [0] = 1, [1] = 0 }, { [0] = 0, [1] = 1 } }
    -- pooled: the mean policy is (0.5, 0.5) -> 1 bit; per trial each is deterministic -> 0 bits
    local h, n = metrics.policy_entropy(probs)
    assert.equal(1, h) assert.equal(2, n)
    assert.equal(0, (metrics.policy_entropy(probs, { pooled = false })))
    local p = { { 0.9, 0.1 }, { 0.9, 0.1 } }
    near(metrics.entropy { 0.9, 0.1 }, (metrics.policy_entropy(p)))
    near(metrics.entropy { 0.9, 0.1 }, (metrics.policy_entropy(p, { pooled = false })))
    assert.is_nil((metrics.policy_entropy {}))
  end)

  it("computes H(A | C) from choice counts and from a masked window of choices", function()
    local h, n = metrics.count_entropy { [0] = 5, [1] = 15 }
    near(metrics.entropy { 0.25, 0.75 }, h) assert.equal(20, n)
    -- Miller-Madow adds (K - 1) / (2 n ln 2) bits
    near(metrics.entropy { 0.25, 0.75 } + 1 / (40 * math.log(2)), (metrics.count_entropy({ 5, 15 }, { miller_madow = true })))
    local actions = { 1, 1, 0, 1, 0, 0, 1, 1 }
    local go_cue  = { true, true, true, true, false, false, false, false }
    h, n = metrics.choice_entropy(actions, go_cue) -- cue trials 1..4: three 1s, one 0
    near(metrics.entropy { 3, 1 }, h) assert.equal(4, n)
    h, n = metrics.choice_entropy(actions, go_cue, 1, 2) -- two 1s -> 0 bits
    assert.equal(0, h) assert.equal(2, n)
    h, n = metrics.choice_entropy(actions, nil, 5, 8) -- 0 0 1 1 -> 1 bit
    assert.equal(1, h) assert.equal(4, n)
    assert.same({ 1, 1, 0, 1 }, metrics.select(actions, go_cue))
  end)

  it("counts perseverative errors after a shift", function()
    -- old rule: go on trials 1, 2, 3 (A present); new rule: go on 2, 4 (X present)
    local old = { 1, 1, 1, 0, 0 }
    local new = { 0, 1, 0, 1, 0 }
    local act = { 1, 1, 0, 0, 1 }
    -- t1: error, follows old -> perseverative; t2: correct; t3: correct; t4: error, follows old (0) -> persev.;
    -- t5: error (go on nogo), old says 0 too -> not perseverative. Conflicts: t1, t3, t4.
    local r = metrics.perseverative_errors(act, new, old)
    assert.equal(2, r.count) assert.equal(3, r.errors) assert.equal(3, r.conflicts)
    near(2 / 3, r.fraction) near(2 / 3, r.rate)
    assert.same({ [1] = true, [4] = true }, r.flags)
    r = metrics.perseverative_errors(act, new, old, 2, 3)
    assert.equal(0, r.count) assert.equal(0, r.errors) assert.is_nil(r.fraction)
  end)

  it("measures win-stay / lose-shift with documented denominators", function()
    local actions  = { 1, 1, 0, 0, 1, 1 }
    local outcomes = { 1, -1, 0, true, false, 1 }
    -- t1 win, next same -> stay; t2 loss, next differs -> shift; t3 neither; t4 win, next differs;
    -- t5 loss, next same; t6 has no successor.
    local r = metrics.win_stay_lose_shift(actions, outcomes)
    assert.equal(2, r.wins) assert.equal(1, r.stays) assert.equal(0.5, r.win_stay)
    assert.equal(2, r.losses) assert.equal(1, r.shifts) assert.equal(0.5, r.lose_shift)
    -- with a key: compare with the next trial of the same stimulus
    local key = { "a", "b", "a", "b", "a", "c" }
    -- t1(a) win -> t3 action 0 differs; t2(b) loss -> t4 action 0 differs: shift; t3(a) neither;
    -- t4(b) win -> no later b; t5(a) loss -> no later a.
    r = metrics.win_stay_lose_shift(actions, outcomes, { key = key })
    assert.equal(1, r.wins) assert.equal(0, r.win_stay)
    assert.equal(1, r.losses) assert.equal(1, r.lose_shift)
    r = metrics.win_stay_lose_shift({ 1 }, { 1 })
    assert.is_nil(r.win_stay) assert.is_nil(r.lose_shift)
  end)

  it("reads columns from info tables, and works on a setshift run", function()
    local SetShift = dofile("envs/setshift.lua")
    local env = SetShift { seed = 4, shift_trial = 50 }
    local infos = {}
    for t = 1, 100 do
      env:start()
      -- a perfect follower of the OLD rule: correct before the shift, perseverates after it
      local _, _, _, info = env:step(env.visual == "A" and 1 or 0)
      infos[t] = info
    end
    local correct = metrics.column(infos, "correct")
    assert.equal(1, (metrics.accuracy(correct, 1, 50)))
    local r = metrics.perseverative_errors(metrics.column(infos, "action"), metrics.column(infos, "correct_action"),
      metrics.column(infos, "old_correct_action"), 51, 100)
    assert.equal(r.errors, r.count) assert.equal(r.conflicts, r.count) assert.is_true(r.count > 10)
    assert.is_nil(metrics.trials_to_criterion(correct, { start = 51 }))
  end)

  it("rejects misuse with a message naming the function", function()
    assert.has_error(function() metrics.accuracy { true, "x" } end,
      "metrics.accuracy: correct[2] must be a boolean or 0/1, got x")
    assert.has_error(function() metrics.rolling_accuracy({ true }, 0) end,
      "metrics.rolling_accuracy: window must be a positive integer, got 0")
    assert.has_error(function() metrics.entropy { 0.5, -1 } end,
      "metrics.entropy: p[2] must be a number >= 0, got -1")
  end)
  describe("continual learning over an accuracy matrix R", function()
    -- R[i][j]: accuracy on task j after training block i (T = 3)
    local R = {
      { 0.9, 0.5, 0.4 },
      { 0.6, 0.8, 0.5 },
      { 0.7, 0.3, 1.0 },
    }
    it("ACC averages the last row over T", function()
      near((0.7 + 0.3 + 1.0) / 3, metrics.cl_acc(R))
    end)
    it("BWT averages R[T][j] - R[j][j] over the T - 1 earlier tasks", function()
      -- (0.7 - 0.9) + (0.3 - 0.8) = -0.7, / 2
      near(-0.35, metrics.cl_bwt(R))
      assert.is_nil(metrics.cl_bwt{ { 0.5 } })
    end)
    it("FWT averages R[j-1][j] - b[j] over tasks 2..T (T - 1)", function()
      -- (0.5 - 0.5) + (0.5 - 0.25) = 0.25, / 2
      near(0.125, metrics.cl_fwt(R, { 0.5, 0.5, 0.25 }))
      assert.has_error(function() metrics.cl_fwt(R) end, "metrics.cl_fwt: b must be the fresh agent's accuracy on each task (an array of T)")
    end)
    it("forgetting: right after training minus last, and the max-based variant", function()
      local m, f = metrics.cl_forgetting(R)
      near(0.2, f[1]) near(0.5, f[2]) near(0.35, m)
      -- max over blocks 1..T-1: task 1 max(0.9, 0.6) = 0.9 -> 0.2; task 2 max(0.5, 0.8) = 0.8 -> 0.5
      m, f = metrics.cl_max_forgetting(R)
      near(0.2, f[1]) near(0.5, f[2]) near(0.35, m)
      -- where the best accuracy came after the task's own block, the two differ
      local R2 = { { 0.6, 0.5 }, { 0.9, 0.9 } }
      local R3 = { { 0.6, 0.1, 0.1 }, { 0.8, 0.7, 0.1 }, { 0.5, 0.4, 0.9 } }
      near(-0.3, (metrics.cl_forgetting(R2)))
      local a, fa = metrics.cl_forgetting(R3)
      local b, fb = metrics.cl_max_forgetting(R3)
      near(0.1, fa[1]) near(0.3, fb[1]) near(0.3, fa[2]) near(0.3, fb[2])
      near(0.2, a) near(0.3, b)
    end)
    it("Continual World's forward transfer normalises against a fresh agent", function()
      -- (0.8 - 0.6) / 0.4 = 0.5; (0.5 - 0.75) / 0.25 = -1; task 3 (fresh AUC 1) not counted
      local m, ft = metrics.cl_forward_transfer({ 0.8, 0.5, 1.0 }, { 0.6, 0.75, 1.0 })
      near(0.5, ft[1]) near(-1, ft[2]) assert.is_nil(ft[3]) near(-0.25, m)
    end)
    it("checks R's shape by name and builds an empty matrix", function()
      local E = metrics.cl_matrix(2, 0)
      assert.same({ { 0, 0 }, { 0, 0 } }, E)
      assert.has_error(function() metrics.cl_acc{ { 1, 2 }, { 3 } } end, "metrics.cl_acc: R[2][2] must be a number, got nil")
    end)
  end)
end)
