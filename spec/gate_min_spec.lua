-- gate_min = m: a context's gate keeps at least m hidden units open (the draw's gate, then its closed units with the
-- lowest draws), so that a small network's draw cannot leave a context one or two units. Default 0: the draw alone,
-- the behaviour before the option.
local nm = require "neuromod"

local cues = dofile("spec/support/cue_tasks.lua")
local checks = require "spec.support.agent_checks"
local A, B = cues.A, cues.B
local open_units = cues.open_units

local function new(opts) return cues.agent({ name = "Discrete", n = 2, withhold = 0 }, opts) end

-- the indices of the hidden units the current context keeps open
local function open_set(agent)
  local g, s = agent:gain(1), {}
  for i = 1, #g do if g[i] ~= 0 then s[i] = true end end
  return s
end

local function run(opts, n)
  local a, rng, out = new(opts), nm.rng(4), {}
  a:context(1)
  cues.actions(a, rng, A, n, out)
  a:context(2)
  cues.actions(a, rng, B, n, out)
  return a, table.concat(out, "")
end

describe("gate_min", function()
  it("is 6 in the default agent and 0 without continual learning (continual = false), takes a count of units; other values are refused, naming the option", function()
    checks.continual_row(new, "gate_min", 6, 0, 6, { -1, 1.5, "six" })
  end)

  it("changes nothing while the draw keeps as many units open; adds the lowest draws when it keeps fewer", function()
    local opts = { gating = 0.1, importance = "si", consolidation = 0.01 }
    local function with(m)
      local o = { gate_min = m }
      for k, v in pairs(opts) do o[k] = v end
      return o
    end
    local a, seq = run(opts, 100)
    local n2, drawn = open_units(a), open_set(a)
    assert.is_true(n2 > 0 and n2 < 10, tostring(n2))
    local b, seq_b = run(with(n2), 100)
    assert.equal(seq, seq_b)
    assert.equal(a:state_hash(), b:state_hash())
    local c = run(with(10), 100)
    assert.equal(10, open_units(c))
    local wide = open_set(c)
    for i in pairs(drawn) do assert.is_true(wide[i], "unit " .. i .. " of the draw closed") end
    assert.equal(32, open_units(run(with(1000), 10)))
  end)

  it("a run saved in a context the floor widened and reloaded continues identically", function()
    local a, rng = new{ gating = 0.1, gate_min = 8, gate_step = "width", gate_first = "open_yield",
                        importance = "si", consolidation = 0.01 }, nm.rng(2)
    a:context(1)
    for _ = 1, 100 do cues.trial(a, rng, A, 1, 0) end
    a:context(2)
    for _ = 1, 50 do cues.trial(a, rng, B, 1, 0) end
    assert.equal(8, open_units(a))
    local path = os.tmpname()
    assert(a:save(path))
    local b = assert(nm.load(path))
    os.remove(path)
    assert.equal(8, b:config().gate_min)
    assert.equal(cues.announced_record(a), cues.announced_record(b))
  end)

  -- 14 of 16 units: more than the last context's draw keeps (13; 12 changes nothing), so the floor acts
  it("a run saved mid-curriculum by either backend continues identically in the other", function()
    local cross = dofile("spec/support/cross_backend_run.lua")
    if not cross.available() then pending("needs lua5.4 and luajit") return end
    cross.check("spec/support/continual_run.lua", { CONTINUAL_GATE_FIRST = "open_yield", CONTINUAL_GATE_STEP = "width",
                                                     CONTINUAL_GATE_MIN = "14" }, 900)
  end)
end)
