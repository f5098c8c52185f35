-- boundary_trigger = "evidence": the task-free detector opens a window only when NA's phasic level is above the bar
-- and the current context's outcome model does not explain the outcomes either (a CUSUM of its log-likelihood
-- ratio, with the context's own outcome noise). Default "na": NA's level alone, the behaviour before the option.
local nm = require "neuromod"

local cues = dofile("spec/support/cue_tasks.lua")
local checks = require "spec.support.agent_checks"
local A, B = cues.A, cues.B

local function new(opts) return cues.agent({ name = "Discrete", n = 2, withhold = 0 }, opts) end

-- deterministic Go/No-Go tasks A, B, A, ... of 150 trials: the context changes the detector makes
local function task_changes(opts)
  local a, rng = new(opts), nm.rng(6)
  local n, last = 0, a:context()
  for k = 1, 10 do
    for _ = 1, 150 do
      cues.trial(a, rng, k % 2 == 1 and A or B, 1, 0)
      if a:context() ~= last then n, last = n + 1, a:context() end
    end
  end
  return n
end

-- a probabilistic reversal (one cue, the good action pays 1 with probability 0.9, the other with 0.1; the good
-- one swaps every 100 trials): the context changes over 2,000 trials
local function reversal_changes(opts)
  local a, rng = new(opts), nm.rng(9)
  local n, last, good = 0, a:context(), 1
  for t = 1, 2000 do
    if t % 100 == 0 then good = 3 - good end
    local act = a:act{ 1, 0, 0, 0 }
    local p = act == good and 0.9 or 0.1
    a:learn(rng:random() < p and 1 or 0, nil, true)
    if a:context() ~= last then n, last = n + 1, a:context() end
  end
  return n
end

describe("boundary_trigger", function()
  it("is 'evidence_table' in the default agent and 'na' without continual learning (continual = false), takes 'evidence'; other values are refused, naming the option", function()
    checks.continual_row(new, "boundary_trigger", "evidence_table", "na", "evidence", { "cusum" })
  end)

  it("without boundary it changes nothing: the agent is the one without the option, step for step", function()
    local x, hx = cues.alternating_run(new, {})
    local y, hy = cues.alternating_run(new, { boundary_trigger = "evidence" })
    assert.equal(x, y)
    assert.equal(hx, hy)
  end)

  it("still finds the changes of deterministic tasks", function()
    local na = task_changes{ boundary = 0.5 }
    local ev = task_changes{ boundary = 0.5, boundary_trigger = "evidence" }
    assert.is_true(na > 0, tostring(na))
    assert.is_true(ev > 0, tostring(ev))
  end)

  it("opens fewer windows on a stochastic reversal, whose surprises the context's noise expects", function()
    local na = reversal_changes{ boundary = 0.5 }
    local ev = reversal_changes{ boundary = 0.5, boundary_trigger = "evidence" }
    assert.is_true(ev < na, ("evidence %d, na %d"):format(ev, na))
  end)

  it("a checkpoint in the middle of a run carries the evidence (section CEVD) and goes on as the agent does", function()
    local opts = { boundary = 0.5, boundary_trigger = "evidence", gating = 0.5, importance = "si",
                   consolidation = 0.01 }
    local found, ran, resumed = cues.section_continues(new, opts, "CEVD")
    assert.is_true(found)
    assert.equal(ran, resumed)
  end)

  it("a run saved mid-curriculum by either backend continues identically in the other", function()
    local cross = dofile("spec/support/cross_backend_run.lua")
    if not cross.available() then pending("needs lua5.4 and luajit") return end
    cross.check("spec/support/continual_run.lua", { CONTINUAL_BOUNDARY_TRIGGER = "evidence" }, 900)
  end)

  it("'evidence_defer' is 'evidence' until the detector has made a context, and lets a young one defer to NA", function()
    assert.equal("evidence_defer", new{ boundary_trigger = "evidence_defer" }:config().boundary_trigger)
    -- one task: no context is made, so the agent is the 'evidence' one step for step
    local function one(opts)
      local a, rng, out = new(opts), nm.rng(4), {}
      for _ = 1, 300 do local _, act = cues.trial(a, rng, A, 1, 0); out[#out + 1] = act end
      return table.concat(out, ""), a:state_hash(), a:context()
    end
    local x, hx, cx = one{ boundary = 0.5, boundary_trigger = "evidence" }
    local y, hy, cy = one{ boundary = 0.5, boundary_trigger = "evidence_defer" }
    assert.equal(x, y)
    assert.equal(hx, hy)
    assert.equal(cx, cy)
    -- A for 300 trials, B for 150, A again: the context B made is young when A returns (its model learned only in
    -- B's quiet trials); over ten task seeds, the returns to the first context by the end of the second A
    local function returns(trigger)
      local k = 0
      for s = 1, 10 do
        local a, rng = new{ boundary = 0.5, boundary_trigger = trigger }, nm.rng(s)
        local first = a:context()
        for _, phase in ipairs { { A, 300 }, { B, 150 }, { A, 300 } } do
          for _ = 1, phase[2] do cues.trial(a, rng, phase[1], 1, 0) end
        end
        if a:context() == first then k = k + 1 end
      end
      return k
    end
    local ev, de = returns("evidence"), returns("evidence_defer")
    assert.is_true(de >= 5 and de > ev, ("evidence_defer %d of 10, evidence %d of 10"):format(de, ev))
  end)

  it("'evidence_state' is 'evidence_defer' where no state's expected surprise exceeds the reward's variance", function()
    assert.equal("evidence_state", new{ boundary_trigger = "evidence_state" }:config().boundary_trigger)
    -- deterministic Go/No-Go A, B, A (300, 150, 300 trials): the uncertainty head expects less than the reward's
    -- variance at every cue, so the two are the same agent step for step, through the detections and the deferral
    local function aba(opts, s)
      local a, rng, out = new(opts), nm.rng(s), {}
      for _, phase in ipairs { { A, 300 }, { B, 150 }, { A, 300 } } do
        for _ = 1, phase[2] do local _, act = cues.trial(a, rng, phase[1], 1, 0); out[#out + 1] = act .. a:context() end
      end
      return table.concat(out, ","), a:state_hash()
    end
    for s = 1, 3 do
      local x, hx = aba({ boundary = 0.5, boundary_trigger = "evidence_defer" }, s)
      local y, hy = aba({ boundary = 0.5, boundary_trigger = "evidence_state" }, s)
      assert.equal(x, y)
      assert.equal(hx, hy)
      assert.truthy(y:find("%d1,"), "the detector made a context")
    end
  end)

  it("a checkpoint without the option has no CEVD section", function()
    local a = new{ boundary = 0.5 }
    local path = os.tmpname()
    assert(a:save(path))
    local f = assert(io.open(path, "rb"))
    local bytes = f:read("a")
    f:close()
    os.remove(path)
    assert.falsy(bytes:find("CEVD", 1, true))
  end)
end)
