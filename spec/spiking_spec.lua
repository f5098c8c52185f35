-- The spiking learner (model = "spiking") through the Lua API, on whichever backend busted runs: it is built
-- and stepped like the rate agent, keeps Dale's law through every update, continues exactly across save/load,
-- refuses the rate network's gradient and tensors by name, and gives the same hash under lua5.4 and luajit.
-- The neuron, the STDP window, the eligibility decay and the two-neuron check are C tests (c/test/test_spiking.c).
local nm = require "neuromod"
local shell = dofile("spec/support/shell.lua")

local function agent(opts)
  local o = { obs = 3, actions = 2, model = "spiking", seed = 4 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return nm.agent(o)
end

-- A fixed Go/No-Go-like stream: cue on for 3 steps, rewarded when the action matches the cue.
local function run(a, steps, t0)
  local actions = {}
  for t = t0 or 1, (t0 or 1) + steps - 1 do
    local cue = math.floor(t / 15) % 2
    local obs = { 1, cue == 0 and 1 or 0, cue }
    local act = a:act(obs)
    actions[#actions + 1] = act
    local last = t % 15 == 0
    a:learn((act == cue) and 1 or -0.5, last and nil or obs, last)
  end
  return actions
end

describe("the spiking learner", function()
  it("is chosen by model and steps through act and learn", function()
    local a = agent()
    local act = a:act({ 1, 0, 1 })
    assert.truthy(act == 0 or act == 1)
    a:learn(1, { 1, 0, 1 }, false)
    assert.equal("spiking", a:config().model)
    local ok, e = pcall(nm.agent, { obs = 3, actions = 2, model = "spiking", dt = 50 })
    assert.is_false(ok)
    assert.truthy(tostring(e):find("dt", 1, true), e)
  end)

  it("keeps every input weight in [0, w_max] through every update (Dale's law)", function()
    local a = agent { learning_rate = 5 }
    for t = 1, 600 do
      run(a, 1, t)
      if t % 50 == 0 then
        for i, w in ipairs(a:params()) do
          if i > 48 * 75 then break end   -- the input weights come first (48 inputs x 75 cells)
          assert.truthy(w >= 0 and w <= 0.6000001, "weight " .. i .. " = " .. w .. " at step " .. t)
        end
      end
    end
  end)

  it("continues exactly after save and load between act and learn", function()
    local a = agent()
    run(a, 200)
    local path = os.tmpname()
    a:act({ 1, 1, 0 })
    assert.is_true(a:save(path))
    local b = assert(nm.load(path))
    os.remove(path)
    assert.equal(a:state_hash(), b:state_hash())
    a:learn(0.5, { 1, 1, 0 }, false)
    b:learn(0.5, { 1, 1, 0 }, false)
    assert.same(run(a, 300, 201), run(b, 300, 201))
    assert.equal(a:state_hash(), b:state_hash())
  end)

  it("takes actor_gate = 'policy' (the default, with the softmax readout), keeps it through save and load, and refuses another name", function()
    local a = agent { actor_gate = "policy", action_readout = "softmax" }
    assert.equal("policy", a:config().actor_gate)
    assert.equal("policy", agent():config().actor_gate)
    assert.equal("softmax", agent():config().action_readout)
    assert.equal("choice", agent({ actor_gate = "choice" }):config().actor_gate)
    run(a, 100)
    local path = os.tmpname()
    assert.is_true(a:save(path))
    local b = nm.load(path)
    os.remove(path)
    assert.equal("policy", b:config().actor_gate)
    assert.same(run(a, 100, 101), run(b, 100, 101))
    assert.equal(a:state_hash(), b:state_hash())
    local ok, e = pcall(agent, { actor_gate = "both" })
    assert.is_false(ok)
    assert.truthy(tostring(e):find("actor_gate", 1, true), e)
  end)

  it("refuses the rate network's gradient and has no named tensors", function()
    local a = agent()
    local ok, e = pcall(a.gradient, a, { 1, 0, 1 }, 1)
    assert.is_false(ok)
    assert.truthy(tostring(e):find("not available for the spiking model", 1, true), e)
    assert.same({}, a:tensors())
  end)

  it("gives the same actions and hash under lua5.4 and luajit", function()
    local script = [[local nm = require "neuromod"
local a = nm.agent { obs = 3, actions = 2, model = "spiking", seed = 11, action_readout = "softmax" }
local acts = {}
for t = 1, 400 do
  local cue = math.floor(t / 15) % 2
  local obs = { 1, 1 - cue, cue }
  local act = a:act(obs)
  acts[#acts + 1] = act
  a:learn(act == cue and 1 or -0.5, t % 15 == 0 and nil or obs, t % 15 == 0)
end
print(table.concat(acts), a:state_hash())]]
    local outs = {}
    for _, lua in ipairs { "lua5.4", "luajit" } do
      if shell.have(lua) then
        local out, err, code = shell.sh("cd " .. shell.quote(shell.ROOT) .. " && LUA_PATH=" ..
          shell.quote(shell.ROOT .. "/lua/?.lua;" .. shell.ROOT .. "/lua/?/init.lua;;") .. " NEUROMOD_BACKEND= " ..
          lua .. " -e " .. shell.quote(script))
        assert.equal(0, code, err)
        outs[#outs + 1] = out
      end
    end
    assert.equal(2, #outs, "both interpreters are needed")
    assert.equal(outs[1], outs[2])
  end)
end)
