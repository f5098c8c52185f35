-- boundary_trigger = "evidence_table": as "evidence_defer", but the evidence scores the error of each context's table
-- of the mean reward per observation and action, so that a multi-step task's state-dependent outcomes (the cliff's
-- falls, and the ordinary steps beside them that a model linear in the coordinates mispredicts) are no evidence of a
-- change, while a change of task still is.
local nm = require "neuromod"

local cues = dofile("spec/support/cue_tasks.lua")
local A, B = cues.A, cues.B

local function new(opts) return cues.agent({ name = "Discrete", n = 2, withhold = 0 }, opts) end

-- the cliff walk with every modulator and na_expected = "variance", under the full task-free agent: the context
-- changes over 500 episodes
local FULL = { importance = "si", consolidation = 0.01, gating = 0.1, boundary = 0.5,
               context_predictor = "context_reset", context_tonic = "context", gate_first = "open_yield" }
local function cliff_changes(trigger, seed)
  local Grid = dofile("envs/gridworld.lua")
  local env = Grid{ seed = seed }
  local opts = { obs = env:getStateSpace(), actions = env:getActionSpace(), seed = seed, withhold_action = false,
                 serotonin_input = "punishment", na_expected = "variance", boundary_trigger = trigger }
  for k, v in pairs(FULL) do opts[k] = v end
  local agent, changes = nm.agent(opts), 0
  local last = agent:context()
  for _ = 1, 500 do
    local obs, steps = env:start(), 0
    while true do
      local r, nobs, terminal = env:step(agent:act(obs))
      steps = steps + 1
      agent:learn(r, nobs, terminal, not terminal and steps >= 1000 or nil)
      if agent:context() ~= last then changes, last = changes + 1, agent:context() end
      if terminal or steps >= 1000 then break end
      obs = nobs
    end
  end
  agent:close()
  return changes
end

-- Go/No-Go A (300 trials), B (150), A again: the context after each phase and the actions with their contexts
local function aba(opts, s)
  local a, rng, out, ctx = new(opts), nm.rng(s), {}, {}
  for _, phase in ipairs { { A, 300 }, { B, 150 }, { A, 300 } } do
    for _ = 1, phase[2] do local _, act = cues.trial(a, rng, phase[1], 1, 0); out[#out + 1] = act .. a:context() end
    ctx[#ctx + 1] = a:context()
  end
  return table.concat(out, ","), ctx
end

describe("boundary_trigger = 'evidence_table'", function()
  it("is taken by name", function()
    assert.equal("evidence_table", new{ boundary_trigger = "evidence_table" }:config().boundary_trigger)
  end)

  it("without boundary it changes nothing: the agent is the one without the option, step for step", function()
    local x, hx = cues.alternating_run(new, {})
    local y, hy = cues.alternating_run(new, { boundary_trigger = "evidence_table" })
    assert.equal(x, y)
    assert.equal(hx, hy)
  end)

  it("finds a change of deterministic task, and a young made context defers to NA as with 'evidence_defer'", function()
    local made, back = 0, 0
    for s = 1, 10 do
      local _, ctx = aba({ boundary = 0.5, boundary_trigger = "evidence_table" }, s)
      if ctx[2] ~= ctx[1] then made = made + 1 end
      if ctx[3] == ctx[1] then back = back + 1 end
    end
    assert.is_true(made >= 8, ("B found on %d of 10 task seeds"):format(made))
    assert.is_true(back >= 5, ("back in A's context on %d of 10 task seeds"):format(back))
  end)

  it("makes no context on the cliff walk, where 'evidence_defer' does (seeds 1-5)", function()
    local tab, defer = 0, 0
    for s = 1, 5 do
      tab = tab + cliff_changes("evidence_table", s)
      defer = defer + cliff_changes("evidence_defer", s)
    end
    assert.equal(0, tab)
    assert.is_true(defer > 0, tostring(defer))
  end)

  it("a checkpoint in the middle of a run carries the tables (section CTAB) and goes on as the agent does", function()
    local opts = { boundary = 0.5, boundary_trigger = "evidence_table", gating = 0.5, importance = "si",
                   consolidation = 0.01 }
    local found, ran, resumed = cues.section_continues(new, opts, "CTAB")
    assert.is_true(found)
    assert.equal(ran, resumed)
  end)

  it("a checkpoint with another trigger has no CTAB section", function()
    for _, t in ipairs { "na", "evidence_defer" } do
      local a = new{ boundary = 0.5, boundary_trigger = t }
      local path = os.tmpname()
      assert(a:save(path))
      local f = assert(io.open(path, "rb"))
      local bytes = f:read("a")
      f:close()
      os.remove(path)
      assert.falsy(bytes:find("CTAB", 1, true))
    end
  end)

  it("a run saved mid-curriculum by either backend continues identically in the other", function()
    local cross = dofile("spec/support/cross_backend_run.lua")
    if not cross.available() then pending("needs lua5.4 and luajit") return end
    cross.check("spec/support/continual_run.lua", { CONTINUAL_BOUNDARY_TRIGGER = "evidence_table" }, 900)
  end)
end)
