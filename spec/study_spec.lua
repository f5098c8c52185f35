-- neuromod.study: jobs from seeds x conditions, a job alone equals the same job in a full run, merging, and the
-- measures through neuromod.metrics (checked against hand-computed values).
local study = require "neuromod.study"
local metrics = require "neuromod.metrics"
local SetShift = dofile("envs/setshift.lua")

-- A short set-shift study: 60 trials, the shift after trial 30.
local TASK = {
  env = function(job, o) return SetShift{ seed = job.seed, shift_trial = o.shift_trial } end,
  agent = function() return { hidden = { 8 } } end,
  policy = true,
  columns = { "correct", "p_go", "action", "n" },
  record = function(rec, t, trial, state)
    rec.correct[t] = trial.info.correct and 1 or 0
    rec.p_go[t] = trial.probs[2]
    rec.action[t] = trial.action
    state.n = (state.n or 0) + 1 -- private to the job: every job starts from scratch
    rec.n[t] = state.n
  end,
}
local CONDITIONS = { { name = "DA", modulators = { DA = true } }, { name = "DA+NA", modulators = { DA = true, NA = true } },
                     { name = "lr 0.03", modulators = { DA = true }, options = { learning_rate = 0.03 } } }
local MEASURES = {
  { "acc", function(r) return (metrics.accuracy(r.correct)) end },
  { "crit", function(r) local _, k = metrics.trials_to_criterion(r.correct, { window = 10, start = 31 }) return k or 30 end },
  { "H", function(r) return metrics.binary_entropy(r.p_go[#r.p_go]) end },
  { "crit_plus_one", function(_, _, m) return m.crit + 1 end },
}
local function make(seeds)
  return study{ name = "tiny", task = TASK, conditions = CONDITIONS, seeds = seeds, trials = 60, measures = MEASURES,
                options = { shift_trial = 30 } }
end

describe("neuromod.study", function()
  it("expands seeds x conditions into jobs with stable ids, conditions outer", function()
    local jobs = make({ first = 5, count = 2 }):jobs()
    assert.equal(6, #jobs)
    local ids = {}
    for i, j in ipairs(jobs) do ids[i] = j.id end
    assert.same({ "tiny/DA/5", "tiny/DA/6", "tiny/DA+NA/5", "tiny/DA+NA/6", "tiny/lr 0.03/5", "tiny/lr 0.03/6" }, ids)
    assert.equal(3, jobs[5].condition_index) assert.equal(1, jobs[5].seed_index) assert.equal(5, jobs[5].seed)
    assert.equal(CONDITIONS[3], jobs[5].condition)
    assert.same({ 1, 2, 3 }, make(3).seeds)
    assert.same({ 7, 2 }, make({ 7, 2 }).seeds)
    assert.equal("tiny/DA+NA/6", make({ first = 5, count = 2 }):job("tiny/DA+NA/6").id)
  end)

  it("gives a job run alone the same records and measures as inside a full run", function()
    local s = make({ first = 5, count = 2 })
    local all = s:run()
    assert.equal(3, #all)
    assert.equal("lr 0.03", all[3].name)
    assert.equal(6, all[3].jobs[2].seed)
    local alone = make({ first = 5, count = 2 }):run_job(s:job("tiny/lr 0.03/6"))
    assert.equal("tiny/lr 0.03/6", alone.id)
    assert.same(all[3].records[2], alone.records)
    assert.same(all[3].seeds[2], alone.measures)
    assert.equal(60, #alone.records.correct)
    assert.equal(60, all[3].records[2].n[60])
    -- the condition's options reach the agent: the base learning rate changes the run
    assert.are_not.same(all[1].records[2].p_go, all[3].records[2].p_go)
  end)

  it("merges job results in any order, and refuses a missing, doubled or foreign one", function()
    local s = make(2)
    local res = {}
    for i, j in ipairs(s:jobs()) do res[i] = s:run_job(j) end
    local reversed = {}
    for i = #res, 1, -1 do reversed[#reversed + 1] = res[i] end
    assert.same(s:merge(res), s:merge(reversed))
    assert.has_error(function() s:merge { res[1] } end)
    assert.has_error(function() s:merge { res[1], res[1], res[2], res[3], res[4], res[5], res[6] } end)
    local other = make({ 9 })
    assert.has_error(function() s:merge { res[1], res[2], res[3], res[4], res[5], res[6], other:run_job(other:jobs()[1]) } end)
  end)

  it("computes each seed's measures from its records through metrics, in order", function()
    local s = make({ 3 })
    local r = s:run_job(s:jobs()[2])
    local m, rec = r.measures, r.records
    assert.equal((metrics.accuracy(rec.correct)), m.acc)
    local _, k = metrics.trials_to_criterion(rec.correct, { window = 10, start = 31 })
    assert.equal(k or 30, m.crit)
    assert.equal(m.crit + 1, m.crit_plus_one)
    assert.equal(metrics.binary_entropy(rec.p_go[60]), m.H)
  end)

  it("names the argument it rejects", function()
    assert.has_error(function() study{ task = TASK, conditions = CONDITIONS, seeds = 2, trials = 0 } end,
      "study: trials: expected a positive integer, got 0")
    assert.has_error(function() study{ task = TASK, conditions = { { name = "a" }, { name = "a" } }, seeds = 2, trials = 5 } end,
      "study: conditions: two are named 'a'")
    assert.has_error(function() make(2):job("tiny/none/1") end, "study:job: id: no job 'tiny/none/1' in study 'tiny'")
  end)
end)

describe("the measures' metrics, by hand", function()
  it("trials to criterion: 18 of 20 after a start trial, the window wholly after it", function()
    -- trials 1..10 before the start (all correct: must not count), then 3 errors, then all correct
    local c = {}
    for t = 1, 10 do c[t] = 1 end
    for t = 11, 13 do c[t] = 0 end
    for t = 14, 60 do c[t] = 1 end
    -- from start 11 the window 11..30 has 17 correct; 12..31 has 18: t = 31, 21 trials since the start
    local t, k = metrics.trials_to_criterion(c, { level = 0.9, window = 20, start = 11 })
    assert.equal(31, t) assert.equal(21, k)
    -- from trial 1: every window ending at 20..30 holds all three errors (17 correct); the one ending at 31
    -- (12..31) holds two: t = 31 again, 31 trials since the start
    t, k = metrics.trials_to_criterion(c, { level = 0.9, window = 20 })
    assert.equal(31, t) assert.equal(31, k)
    assert.is_nil(metrics.trials_to_criterion(c, { level = 0.9, window = 20, start = 45 }))
  end)

  it("binary entropy in bits, as the per-trial H(A | go cue)", function()
    assert.equal(1, metrics.binary_entropy(0.5))
    assert.equal(0, metrics.binary_entropy(0)) assert.equal(0, metrics.binary_entropy(1))
    -- H(0.25) = 0.25 log2 4 + 0.75 log2 (4/3) = 0.5 + 0.75 (2 - log2 3)
    assert.is_true(math.abs(metrics.binary_entropy(0.25) - (0.5 + 0.75 * (2 - math.log(3, 2)))) < 1e-15)
    -- to the bit the two-term sum -p log p / log 2 - (1 - p) log (1 - p) / log 2
    for _, p in ipairs { 1e-9, 0.1, 0.3, 0.7, 0.999999 } do
      local h = -p * math.log(p) / math.log(2) - (1 - p) * math.log(1 - p) / math.log(2)
      assert.equal(h, metrics.binary_entropy(p))
      assert.equal(h, metrics.entropy { p, 1 - p })
    end
    assert.has_error(function() metrics.binary_entropy(1.5) end,
      "metrics.binary_entropy: p must be a probability in [0, 1], got 1.5")
  end)

  it("means and sums over a range", function()
    assert.equal(2, (metrics.mean { 1, 2, 3 }))
    local m, n = metrics.mean({ 1, 2, 3, 10 }, 3, 4)
    assert.equal(6.5, m) assert.equal(2, n)
    assert.is_nil((metrics.mean {}))
    assert.equal(13, metrics.sum({ 1, 2, 3, 10 }, 3))
    assert.equal(0, metrics.sum({ 1 }, 2, 1))
  end)
end)
