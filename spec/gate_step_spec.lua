-- gate_step = "width": in a gated context the learning step of the trunk and the heads (with the entropy bonus's,
-- SI's path integral and consolidation's pull) is scaled by sqrt(hidden units / units the gate keeps open), so that
-- one update changes the weights by as much as at full width. Default "fixed": the behaviour before the option.
local nm = require "neuromod"

local cues = dofile("spec/support/cue_tasks.lua")
local checks = require "spec.support.agent_checks"
local A, B = cues.A, cues.B
local open_units = cues.open_units

local function new(opts) return cues.agent({ name = "Discrete", n = 2, withhold = 0 }, opts) end

local actions = cues.actions

-- the traced weights (trunk, policy and value heads) and the outcome predictor's, as two flat arrays
local function weights(agent)
  local p, traced, pred = agent:params(), {}, {}
  for _, t in ipairs(agent:tensors()) do
    local into = t.name:match("^predictor") and pred or traced
    for i = t.offset, t.offset + t.rows * t.cols - 1 do into[#into + 1] = p[i] end
  end
  return traced, pred
end

describe("gate_step", function()
  it("is 'width' in the default agent and 'fixed' without continual learning (continual = false), takes 'width'; other values are refused, naming the option", function()
    checks.continual_row(new, "gate_step", "width", "fixed", "width", { "wide" })
  end)

  it("changes nothing without gating or in an open first context (a single task)", function()
    local function run(opts)
      local a, rng = new(opts), nm.rng(5)
      return table.concat(actions(a, rng, A, 300, {}), ""), a:state_hash()
    end
    local base = { importance = "si", consolidation = 0.01, policy_entropy = 0.5 }
    local function with(extra)
      local o = {}
      for k, v in pairs(base) do o[k] = v end
      for k, v in pairs(extra) do o[k] = v end
      return o
    end
    local x, hx = run(base)
    local y, hy = run(with{ gate_step = "width" })
    assert.equal(x, y)
    assert.equal(hx, hy)
    local z = run(with{ gating = 0.1, gate_first = "open_yield", gate_step = "width" })
    assert.equal(x, z)
  end)

  it("width: a gated context's update is the fixed one times sqrt(units / open units); the predictor's is not", function()
    -- two agents with the same history in the open first context, then one learn step in context 2's gate
    local deltas, n_open = {}, nil
    for _, step in ipairs { "fixed", "width" } do
      local a, rng = new{ gating = 0.25, gate_first = "open_yield", gate_step = step }, nm.rng(2)
      a:context(1)
      actions(a, rng, A, 50, {})
      a:context(2)
      n_open = open_units(a)
      local before, pred0 = weights(a)
      actions(a, nm.rng(7), B, 1, {})
      local after, pred1 = weights(a)
      local d, dp = {}, {}
      for i = 1, #before do d[i] = after[i] - before[i] end
      for i = 1, #pred0 do dp[i] = pred1[i] - pred0[i] end
      deltas[step] = { d = d, dp = dp }
    end
    assert.is_true(n_open > 0 and n_open < 32, tostring(n_open))
    local s, moved = math.sqrt(32 / n_open), 0
    local f, w = deltas.fixed, deltas.width
    for i = 1, #f.d do
      assert.is_true(math.abs(w.d[i] - s * f.d[i]) <= 1e-4 * math.abs(s * f.d[i]) + 1e-9,
                     ("weight %d: %g against %g x %g"):format(i, w.d[i], s, f.d[i]))
      if f.d[i] ~= 0 then moved = moved + 1 end
    end
    assert.is_true(moved > 0)
    for i = 1, #f.dp do assert.equal(f.dp[i], w.dp[i]) end
  end)

  it("width: a run saved in a gated context and reloaded continues identically (the factor follows the gate)", function()
    local a, rng = new{ gating = 0.25, gate_first = "open_yield", gate_step = "width", importance = "si",
                        consolidation = 0.01 }, nm.rng(2)
    a:context(1)
    actions(a, rng, A, 100, {})
    a:context(2)
    actions(a, rng, B, 50, {})
    local path = os.tmpname()
    assert(a:save(path))
    local b = assert(nm.load(path))
    os.remove(path)
    assert.equal("width", b:config().gate_step)
    assert.equal(cues.announced_record(a), cues.announced_record(b))
  end)

  it("a run saved mid-curriculum by either backend continues identically in the other", function()
    local cross = dofile("spec/support/cross_backend_run.lua")
    if not cross.available() then pending("needs lua5.4 and luajit") return end
    cross.check("spec/support/continual_run.lua", { CONTINUAL_GATE_FIRST = "open_yield", CONTINUAL_GATE_STEP = "width" },
                900)
  end)
end)
