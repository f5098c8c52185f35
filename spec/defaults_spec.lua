-- The default agent is the continual-learning agent; continual = false is the agent before it, bit for bit.
local nm = require "neuromod"

local ROWS = { "importance", "consolidation", "gating", "boundary", "context_predictor", "context_tonic", "gate_first",
               "boundary_learning", "boundary_sustain", "boundary_trigger", "gate_step", "gate_min", "model_gate" }
local ON = { importance = "si", consolidation = 0.01, gating = 0.1, boundary = 0.5, context_predictor = "context_reset",
             context_tonic = "context", gate_first = "open_yield", boundary_learning = "pause", boundary_sustain = 1,
             boundary_trigger = "evidence_table", gate_step = "width", gate_min = 6, model_gate = "evidence" }
local OFF = { importance = "slow", consolidation = 0, gating = 0, boundary = 0, context_predictor = "shared",
              context_tonic = "shared", gate_first = "gated", boundary_learning = "pause", boundary_sustain = 1,
              boundary_trigger = "na", gate_step = "fixed", gate_min = 0, model_gate = "na" }

local function rows(opts)
  local o = { obs = 3, actions = 2, hidden = { 8 }, seed = 1 }
  for k, v in pairs(opts or {}) do o[k] = v end
  local a = nm.agent(o)
  local c = a:config()
  a:close()
  local t = {}
  for _, r in ipairs(ROWS) do t[r] = type(c[r]) == "number" and tonumber(string.format("%.6g", c[r])) or c[r] end
  return t
end

-- a Go/No-Go run: its actions and modulator levels step by step, as one string
local function gonogo_run(opts, steps)
  local Env = dofile "envs/gonogo.lua"
  local env = Env{ seed = 1 }
  local o = { obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 16 }, seed = 7 }
  for k, v in pairs(opts) do o[k] = v end
  local a, out, m = nm.agent(o), {}, {}
  local obs = env:start()
  for t = 1, steps do
    local act = a:act(obs)
    local r, nextobs, terminal = env:step(act)
    a:learn(r, nextobs, terminal)
    a:modulators(m)
    out[t] = string.format("%d %a %a %a %a", act, m.DA, m.NA, m.ACh, m["5HT"])
    obs = terminal and env:start() or nextobs
  end
  local ctx = a:context()
  a:close()
  return table.concat(out, "\n"), ctx
end

describe("the default agent", function()
  it("has every continual-learning row on; continual = false sets each to its off value", function()
    assert.same(ON, rows())
    assert.same(ON, rows{ continual = true })
    assert.same(OFF, rows{ continual = false })
  end)

  it("lets a row given beside continual override it, in either direction", function()
    local t = rows{ continual = false, gating = 0.3 }
    assert.equal(0.3, t.gating)
    assert.equal("slow", t.importance)
    assert.equal(0, rows{ boundary = 0 }.boundary)
    assert.equal("si", rows{ boundary = 0 }.importance)
  end)

  it("refuses a continual that is not a boolean, naming it", function()
    for _, bad in ipairs { 1, "yes", {} } do
      local ok, err = pcall(nm.agent, { obs = 3, actions = 2, continual = bad })
      assert.is_false(ok)
      assert.truthy(tostring(err):match("continual: expected true or false"), err)
    end
  end)

  it("is the spiking learner without continual learning, and refuses continual = true for it", function()
    local a = nm.agent{ obs = 3, actions = 2, model = "spiking", seed = 1 }
    assert.equal(0, a:config().gating)
    assert.equal("slow", a:config().importance)
    a:close()
    local ok, err = pcall(nm.agent, { obs = 3, actions = 2, model = "spiking", continual = true })
    assert.is_false(ok)
    assert.truthy(tostring(err):match("continual: not available for the spiking model"), err)
  end)

  it("does not detect boundaries on a recurrent trunk unless boundary is given", function()
    assert.equal(0, rows{ recurrent = 8 }.boundary)
    assert.equal("si", rows{ recurrent = 8 }.importance)
    assert.equal(0.1, rows{ hidden = { 4, { kind = "recurrent", n = 8 } } }.gating)
    assert.equal(0.5, rows{ recurrent = 8, boundary = 0.5 }.boundary)
  end)

  it("acts on a single task as the agent without continual learning, step for step", function()
    local full, ctx = gonogo_run({}, 3000)
    local plain = gonogo_run({ continual = false }, 3000)
    assert.equal(plain, full)
    assert.equal(0, ctx)
  end)

  it("keeps a single-task checkpoint small: the outcome tables of the contexts in use only", function()
    local path = os.tmpname()
    local a = nm.agent{ obs = 3, actions = 2, hidden = { 4 }, seed = 2 }
    assert.is_true(a:save(path))
    local f = io.open(path, "rb")
    local n = #f:read("a")
    f:close()
    os.remove(path)
    a:close()
    -- one context's table (256 entries x 3 floats) and its per-context copies; every slot's would be 100 KB more
    assert.is_true(n < 20000, tostring(n))
  end)
end)
