-- model_gate = "evidence": a task-free context's outcome model does not learn from a step after which its own
-- evidence of a change (the CUSUM of boundary_trigger evidence*) is at the detector's bar, so that the first trials
-- of the next task, before NA has risen, do not teach the old context's model the new task. Default "na": the model
-- learns whenever NA is quiet, the behaviour before the option.
local nm = require "neuromod"

local cues = dofile("spec/support/cue_tasks.lua")
local checks = require "spec.support.agent_checks"
local A, B = cues.A, cues.B

local function new(opts) return cues.agent({ name = "Discrete", n = 2, withhold = 0 }, opts) end

-- A, then its reversal B, then A again, 200 trials each; announced (a:context) when asked
local function run(opts, announce)
  local a, rng, out = new(opts), nm.rng(5), {}
  for block, map in ipairs { A, B, A } do
    if announce then a:context(block == 2 and 2 or 1) end
    for _ = 1, 200 do local ok = cues.trial(a, rng, map, 1, 0) out[#out + 1] = ok and "1" or "0" end
  end
  return a, table.concat(out, "")
end

local with = checks.with

describe("model_gate", function()
  it("is 'evidence' in the default agent and 'na' without continual learning (continual = false), takes 'evidence'; other values are refused, naming the option", function()
    checks.continual_row(new, "model_gate", "evidence", "na", "evidence", { "cusum" })
  end)

  local full = { gating = 0.1, importance = "si", consolidation = 0.01, boundary = 0.5, gate_first = "open_yield",
                 context_predictor = "context_reset", context_tonic = "context", policy_entropy = 0.5 }

  it("changes nothing with boundary_trigger = 'na' (no evidence) or with announced contexts", function()
    for _, c in ipairs { { opts = full, announce = false },
                         { opts = with(full, { boundary_trigger = "evidence_table" }), announce = true } } do
      local a, seq = run(c.opts, c.announce)
      local b, seq_b = run(with(c.opts, { model_gate = "evidence" }), c.announce)
      assert.equal(seq, seq_b)
      assert.equal(a:state_hash(), b:state_hash())
    end
  end)

  it("task-free with boundary_trigger = 'evidence_table': the old context's model skips the new task's first trials", function()
    local opts = with(full, { boundary_trigger = "evidence_table" })
    local a = run(opts, false)
    local b = run(with(opts, { model_gate = "evidence" }), false)
    assert.are_not.equal(a:state_hash(), b:state_hash())
  end)
end)
