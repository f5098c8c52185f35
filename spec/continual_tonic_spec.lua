-- context_tonic = "context": each context keeps the modulators' tonic state (average reward and punishment,
-- volatility, expected uncertainty) and gets it back when it is announced again; the default shares one.
local nm = require "neuromod"

local cues = dofile("spec/support/cue_tasks.lua")
local checks = require "spec.support.agent_checks"

-- one-step Go/No-Go over the four cues; "win" pays 1 / 0 for a correct response / an error, "avoid" 0 / -1
local function trial(agent, rng, map, win)
  return (cues.trial(agent, rng, map, win and 1 or 0, win and 0 or -1))
end
local A, B = cues.A, cues.B

local function new(opts) return cues.agent({ name = "Discrete", n = 2, withhold = 0 }, opts) end

-- what the option stores, as agent:modulators() shows it, and what follows from it
local function tonic(a)
  local m = a:modulators()
  return { m.tonic.DA, m.tonic.NA, m.tonic.ACh, m.tonic["5HT"], m.params.withhold_bias, m.params.inverse_temperature }
end

local function same(x, y)
  for i = 1, #x do if x[i] ~= y[i] then return false end end
  return true
end

-- context 1 a "win" task, context 2 an "avoid" task, then back to 1: the tonic state when 1 was left, when 2
-- began, and right after the return (before any step)
local function curriculum(mode, extra)
  local opts = { context_tonic = mode }
  for k, v in pairs(extra or {}) do opts[k] = v end
  local a, rng = new(opts), nm.rng(2)
  a:context(1)
  for _ = 1, 400 do trial(a, rng, A, true) end
  local left = tonic(a)
  a:context(2)
  local start = tonic(a)
  for _ = 1, 400 do trial(a, rng, B, false) end
  local before_return = tonic(a)
  a:context(1)
  return a, left, start, before_return, tonic(a), rng
end

describe("context_tonic", function()
  it("is 'context' in the default agent and 'shared' without continual learning (continual = false), takes 'context'; other values are refused, naming the option", function()
    checks.continual_row(new, "context_tonic", "context", "shared", "context", { "each" })
  end)

  it("restores a context's tonic state and withhold bias when it is announced again", function()
    local _, left, _, before, back = curriculum("context")
    -- the avoid task moved the state (5-HT up, the withhold bias with it) ...
    assert.is_true(before[4] > left[4])
    assert.is_true(before[5] > left[5] + 0.2)
    -- ... and the return to context 1 gives its own tonic parts back at once, bit for bit, and with them its
    -- withhold bias and inverse temperature (up to NA's phasic part, which stays with the agent)
    assert.is_true(same({ left[1], left[2], left[3], left[4] }, { back[1], back[2], back[3], back[4] }))
    assert.is_true(math.abs(back[5] - left[5]) < 0.01 and math.abs(back[6] - left[6]) < 0.01)
  end)

  it("shared (the default) carries the last task's state into the return", function()
    local _, left, _, before, back = curriculum("shared")
    assert.is_false(same(left, back))
    assert.is_true(same(before, back))
    assert.is_true(math.abs(back[5] - left[5]) > 0.2)
  end)

  it("a new context starts from the state in use: a first visit is the shared agent's, bit for bit", function()
    local function first_pass(mode)
      local a, rng = new{ context_tonic = mode, gating = 0.5 }, nm.rng(2)
      local seen = {}
      for k, map in ipairs { A, B, A } do
        a:context(k)
        for _ = 1, 200 do
          trial(a, rng, map, k ~= 2)
          seen[#seen + 1] = table.concat(tonic(a), " ")
        end
      end
      return table.concat(seen, "\n")
    end
    assert.equal(first_pass("shared"), first_pass("context"))
  end)

  it("the stored states travel in a checkpoint, on both backends", function()
    local shell = dofile("spec/support/shell.lua")
    local script = [[
      local nm = require "neuromod"
      local mode, n, path = arg[1], tonumber(arg[2]), arg[3]
      local A, B = { true, false, true, false }, { false, true, false, true }
      local a
      if mode == "load" then a = assert(nm.load(path))
      else a = nm.agent{ obs = 4, actions = 2, seed = 3, hidden = { 32 }, gating = 0.5, importance = "si",
                         consolidation = 0.01, context_tonic = "context" } end
      local rng = nm.rng(mode == "load" and 7 or 2)
      local function go(k, map, win, steps)
        a:context(k)
        for _ = 1, steps do
          local c = rng:random(1, 4)
          local obs = { 0, 0, 0, 0 }
          obs[c] = 1
          local ok = (a:act(obs) == 1) == map[c]
          a:learn(win and (ok and 1 or 0) or (ok and 0 or -1), nil, true)
        end
      end
      if mode ~= "load" then go(1, A, true, 300) go(2, B, false, 300) end
      if mode == "save" then assert(a:save(path)) return end
      rng = nm.rng(7)
      go(1, A, true, n)
      local m = a:modulators()
      io.write(a:state_hash(), " ", m.params.withhold_bias, " ", m.tonic["5HT"])
    ]]
    local file = os.tmpname()
    local f = assert(io.open(file, "w")) f:write(script) f:close()
    local env = "LUA_PATH=" .. shell.quote("lua/?.lua;lua/?/init.lua;;") .. " NEUROMOD_BACKEND= "
    local function sh(interp, ...)
      local args = {}
      for i, v in ipairs { ... } do args[i] = shell.quote(tostring(v)) end
      local out, err, code = shell.sh(env .. interp .. " " .. file .. " " .. table.concat(args, " "))
      assert(code == 0, err)
      return out
    end
    local interps = {}
    for _, i in ipairs { "lua5.4", "luajit" } do if shell.have(i) then interps[#interps + 1] = i end end
    if #interps == 0 then pending("needs lua5.4 or luajit") os.remove(file) return end
    local whole = sh(interps[1], "run", 200)
    assert.truthy(whole:match("^%x+ "), whole)
    for _, save in ipairs(interps) do
      for _, load in ipairs(interps) do
        local path = os.tmpname()
        sh(save, "save", 0, path)
        assert.equal(whole, sh(load, "load", 200, path))
        os.remove(path)
      end
    end
    os.remove(file)
  end)

  it("experiments/continual.lua takes it through --agent, with --trace", function()
    local shell = dofile("spec/support/shell.lua")
    local interp = jit and "luajit" or "lua5.4"
    if not shell.have(interp) then pending("needs " .. interp) return end
    local out_dir = os.tmpname()
    os.remove(out_dir)
    local out, err, code = shell.sh("NEUROMOD_BACKEND= " .. interp .. " experiments/continual.lua --seeds 1 --tasks 3 " ..
      "--block 20 --max-block 40 --eval 10 --only 4 --trace 1 --eval-from snapshot --agent context_tonic=context " ..
      "--out " .. shell.quote(out_dir))
    assert(code == 0, err)
    assert.truthy(out:match("every condition and the fresh agent also: context_tonic = context"), out)
    assert.truthy(out:match("full, boundaries%s+win%s+2 |"), out)
    os.execute("rm -rf " .. shell.quote(out_dir))
  end)

  it("population members with it equal lone agents, through announced contexts", function()
    local opts = { n = 3, seed = 5, obs = 4, actions = 2, hidden = { 32 }, context_tonic = "context", gating = 0.5 }
    local pop = nm.population(opts)
    local lone = {}
    for k = 1, 3 do
      lone[k] = nm.agent{ obs = 4, actions = 2, hidden = { 32 }, seed = 4 + k, context_tonic = "context", gating = 0.5 }
    end
    local rng = nm.rng(11)
    local obs, rewards, term = {}, {}, { true, true, true }
    local function step(map, win)
      local cues = {}
      for k = 1, 3 do
        cues[k] = rng:random(1, 4)
        for i = 1, 4 do obs[(k - 1) * 4 + i] = i == cues[k] and 1 or 0 end
      end
      local acts = pop:act(obs)
      for k = 1, 3 do
        local o = { 0, 0, 0, 0 }
        o[cues[k]] = 1
        assert.equal(lone[k]:act(o), acts[k])
        local ok = (acts[k] == 1) == map[cues[k]]
        rewards[k] = win and (ok and 1 or 0) or (ok and 0 or -1)
        lone[k]:learn(rewards[k], nil, true)
      end
      pop:learn(rewards, nil, term)
    end
    local function announce(id)
      for k = 1, 3 do
        local m = pop:agent(k)
        m:context(id)
        pop:replace(k, m)
        lone[k]:context(id)
      end
    end
    for _, phase in ipairs { { 1, A, true }, { 2, B, false }, { 1, A, true } } do
      announce(phase[1])
      for _ = 1, 150 do step(phase[2], phase[3]) end
    end
    for k = 1, 3 do assert.equal(lone[k]:state_hash(), pop:state_hash(k)) end
  end)
end)
