-- gate_first = "open": the first context the agent learns in keeps every hidden unit open, later ones take their
-- random gate; boundary_learning = "learn": the agent keeps learning while the task-free detector compares the
-- contexts; boundary_sustain = k: NA must stay above the bar k steps in a row. All default to the behaviour before
-- them ("gated", "pause", 1).
local nm = require "neuromod"

local cues = dofile("spec/support/cue_tasks.lua")
local checks = require "spec.support.agent_checks"

-- one-step Go/No-Go over the four cues, +1 for a correct response, 0 for an error; returns the action
local function trial(agent, rng, map)
  local _, a = cues.trial(agent, rng, map, 1, 0)
  return a
end
local A, B = cues.A, cues.B

local function new(opts) return cues.agent({ name = "Discrete", n = 2, withhold = 0 }, opts) end
local open_units = cues.open_units

local actions = cues.actions

-- the actions of an agent on a single task (A, 300 trials)
local function single_task(opts)
  local a, rng = new(opts), nm.rng(5)
  return table.concat(actions(a, rng, A, 300, {}), "")
end

-- context 1 learns A for 100 trials, then the actions of context 2 on B for 200; check(agent) runs at the switch
local function second_context(opts, check)
  local a, rng = new(opts), nm.rng(2)
  a:context(1)
  actions(a, rng, A, 100, {})
  a:context(2)
  if check then check(a) end
  return table.concat(actions(a, rng, B, 200, {}), "")
end

describe("gate_first", function()
  it("is 'open_yield' in the default agent and 'gated' without continual learning (continual = false), takes 'open'; other values are refused, naming the option", function()
    checks.continual_row(new, "gate_first", "open_yield", "gated", "open", { "first" })
  end)

  it("open: the first context learned in keeps every unit; a later one takes its gate; the first keeps its own", function()
    local a, rng = new{ gating = 0.25, gate_first = "open", importance = "si", consolidation = 0.01 }, nm.rng(2)
    a:context(1)   -- announced before anything was learned: context 1, not the initial 0, is the first
    assert.equal(32, open_units(a))
    actions(a, rng, A, 100, {})
    a:context(2)
    local two = open_units(a)
    assert.is_true(two > 0 and two < 32, tostring(two))
    actions(a, rng, B, 100, {})
    a:context(1)
    assert.equal(32, open_units(a))
    a:context(0)
    assert.is_true(open_units(a) < 32)
  end)

  it("open_free: the first context is open and its boundary adds no importance", function()
    assert.equal("open_free", new{ gate_first = "open_free" }:config().gate_first)
    -- a second context pulls nothing toward the first one's weights: with no importance the pull is zero, so
    -- learning in context 2 is that of an agent without consolidation, action for action
    local function run(opts)
      return second_context(opts, function(a) assert.is_true(open_units(a) < 32) end)
    end
    assert.equal(run{ gating = 0.25, gate_first = "open_free" },
                 run{ gating = 0.25, gate_first = "open_free", importance = "si", consolidation = 0.01 })
    assert.are_not.equal(run{ gating = 0.25, gate_first = "open" },
                         run{ gating = 0.25, gate_first = "open", importance = "si", consolidation = 0.01 })
  end)

  it("open_yield: the first context gives up the units of every context made after it, and adds no importance", function()
    assert.equal("open_yield", new{ gate_first = "open_yield" }:config().gate_first)
    local function closed(agent)
      local g, set = agent:gain(1), {}
      for i = 1, #g do if g[i] == 0 then set[i] = true end end
      return set
    end
    local a, rng = new{ gating = 0.25, gate_first = "open_yield", importance = "si", consolidation = 0.01 }, nm.rng(2)
    a:context(1)
    actions(a, rng, A, 100, {})
    assert.equal(32, open_units(a))   -- a single task keeps the full width
    a:context(2)
    local two = open_units(a)
    local shut = closed(a)
    actions(a, rng, B, 100, {})
    a:context(1)
    -- the first context now keeps exactly the units context 2's gate leaves closed
    assert.equal(32 - two, open_units(a))
    local g = a:gain(1)
    for i = 1, #g do assert.equal(shut[i] == true, g[i] ~= 0, "unit " .. i) end
    a:context(3)
    a:context(1)
    assert.is_true(open_units(a) < 32 - two)
    -- context 0 was made before the first context learned: it takes no units from it
    local b = new{ gating = 0.25, gate_first = "open_yield" }
    b:context(1)
    actions(b, nm.rng(2), A, 10, {})
    assert.equal(32, open_units(b))
    -- as open_free, context 2 learns as an agent without consolidation, action for action
    assert.equal(second_context{ gating = 0.25, gate_first = "open_yield" },
                 second_context{ gating = 0.25, gate_first = "open_yield", importance = "si", consolidation = 0.01 })
  end)

  it("open_yield: contexts announced before the first learning take their units once it starts", function()
    local a, rng = new{ gating = 0.25, gate_first = "open_yield" }, nm.rng(2)
    a:context(1)
    a:context(2)
    a:context(1)
    assert.equal(32, open_units(a))   -- nothing learned yet: no context is the first
    actions(a, rng, A, 1, {})
    local one = open_units(a)
    a:context(2)
    assert.equal(32, one + open_units(a))
  end)

  it("open_yield: a single task is the agent without gating, action for action; a run saved and reloaded continues", function()
    assert.equal(single_task{ importance = "si", consolidation = 0.01 },
                 single_task{ importance = "si", consolidation = 0.01, gating = 0.1, gate_first = "open_yield" })
    local opts = { gating = 0.25, gate_first = "open_yield", importance = "si", consolidation = 0.01 }
    local a, rng = new(opts), nm.rng(2)
    a:context(1)
    actions(a, rng, A, 100, {})
    a:context(2)
    actions(a, rng, B, 50, {})
    local path = os.tmpname()
    assert(a:save(path))
    local b = assert(nm.load(path))
    os.remove(path)
    assert.equal(a:state_hash(), b:state_hash())
    local seq = {}
    for _, x in ipairs { a, b } do
      local r, out = nm.rng(9), {}
      actions(x, r, B, 50, out)
      x:context(1)
      out[#out + 1] = open_units(x)
      actions(x, r, A, 100, out)
      seq[#seq + 1] = table.concat(out, ",") .. x:state_hash()
    end
    assert.equal(seq[1], seq[2])
  end)

  it("gated (the default) gates the first context too", function()
    local a = new{ gating = 0.25 }
    assert.is_true(open_units(a) < 32)
  end)

  it("open: a single task is the agent without gating, action for action", function()
    assert.equal(single_task{ importance = "si", consolidation = 0.01 },
                 single_task{ importance = "si", consolidation = 0.01, gating = 0.1, gate_first = "open" })
  end)

  it("the first-learned context travels in a checkpoint", function()
    local a, rng = new{ gating = 0.25, gate_first = "open", importance = "si", consolidation = 0.01 }, nm.rng(2)
    a:context(1)
    actions(a, rng, A, 100, {})
    a:context(2)
    actions(a, rng, B, 50, {})
    local path = os.tmpname()
    assert(a:save(path))
    local b = assert(nm.load(path))
    os.remove(path)
    assert.equal(a:state_hash(), b:state_hash())
    for _, x in ipairs { a, b } do x:context(1) end
    assert.equal(32, open_units(b))
    local ra, rb = nm.rng(9), nm.rng(9)
    assert.equal(table.concat(actions(a, ra, A, 100, {}), ""), table.concat(actions(b, rb, A, 100, {}), ""))
    assert.equal(a:state_hash(), b:state_hash())
  end)
end)

describe("boundary_learning", function()
  it("is 'pause' in the default agent and without continual learning, takes 'learn'; other values are refused, naming the option", function()
    checks.continual_row(new, "boundary_learning", "pause", "pause", "learn", { "always" })
  end)

  -- a task, then its reversal: the detector fires at the reversal
  local function reversal(opts)
    local a, rng = new(opts), nm.rng(4)
    local acts, first_change = {}, nil
    for k, map in ipairs { A, B, A } do
      for _ = 1, 300 do
        acts[#acts + 1] = trial(a, rng, map)
        if not first_change and a:context() ~= 0 then first_change = #acts end
      end
      if k == 3 then break end
    end
    return acts, first_change
  end

  it("learn: until the detector changes the context, the agent is the one without the detector", function()
    local plain = reversal{}
    local learn, change = reversal{ boundary = 0.5, boundary_learning = "learn" }
    local upto = (change or #learn + 1) - 1
    assert.is_true(upto >= 300, tostring(upto))
    for i = 1, upto do assert.equal(plain[i], learn[i], "trial " .. i) end
  end)

  it("pause (the default) stops learning in the detector's windows", function()
    local plain = reversal{}
    local pause = reversal{ boundary = 0.5 }
    assert.are_not.equal(table.concat(plain, ""), table.concat(pause, ""))
  end)
end)

describe("boundary_sustain", function()
  it("is 1 in the default agent and without continual learning, takes a count of steps; 0 and fractions are refused, naming the option", function()
    checks.continual_row(new, "boundary_sustain", 1, 1, 10, { 0, 2.5 })
  end)

  -- tasks A, B, A, B, ... of 150 trials: the number of context changes the detector makes
  local function changes(opts)
    local a, rng = new(opts), nm.rng(6)
    local n, last = 0, a:context()
    for k = 1, 10 do
      for _ = 1, 150 do
        trial(a, rng, k % 2 == 1 and A or B)
        if a:context() ~= last then n, last = n + 1, a:context() end
      end
    end
    return n
  end

  it("a longer run of surprise before a detection gives fewer detections", function()
    local once = changes{ boundary = 0.5 }
    local long = changes{ boundary = 0.5, boundary_sustain = 1000 }
    assert.is_true(once > 0, tostring(once))
    assert.equal(0, long)
  end)

  it("a checkpoint in the middle of a run goes on as the agent does", function()
    local opts = { boundary = 0.5, boundary_sustain = 5, boundary_learning = "learn", gating = 0.5,
                   importance = "si", consolidation = 0.01 }
    local a, rng = new(opts), nm.rng(6)
    for k = 1, 5 do for _ = 1, 150 do trial(a, rng, k % 2 == 1 and A or B) end end
    local path = os.tmpname()
    assert(a:save(path))
    local b = assert(nm.load(path))
    os.remove(path)
    local ra, rb = nm.rng(8), nm.rng(8)
    local xa, xb = {}, {}
    for k = 1, 4 do
      actions(a, ra, k % 2 == 1 and B or A, 150, xa)
      actions(b, rb, k % 2 == 1 and B or A, 150, xb)
    end
    assert.equal(table.concat(xa, ""), table.concat(xb, ""))
    assert.equal(a:state_hash(), b:state_hash())
  end)
end)
