-- neuromod.protocol: the shipped tasks pass; broken tasks get an error naming the script, method and fault.
local nm = require "neuromod"
local protocol = require "neuromod.protocol"

-- A minimal correct task (a 2-armed coin flip, 3-step episodes); `break_it` patches one part of each instance,
-- `break_class` the class (to remove a method).
local function make(break_it, break_class)
  local Env = {}
  Env.__index = Env
  setmetatable(Env, { __call = function(_, opts)
    local self = setmetatable({ rng = nm.rng(opts.seed or 1), t = 0 }, Env)
    if break_it then break_it(self) end
    return self
  end })
  function Env:getStateSpace() return { name = "Box", shape = { 2 }, low = 0, high = 1 } end
  function Env:getActionSpace() return { name = "Discrete", n = 2 } end
  function Env:getRewardSpace() return 0, 1 end
  function Env:start() self.t = 0; return { 1, 0 } end
  function Env:step(a)
    self.t = self.t + 1
    local r = (self.rng:random(2) - 1 == a) and 1 or 0
    return r, { 0, self.rng:random() }, self.t >= 3, { correct = r == 1 }
  end
  if break_class then break_class(Env) end
  return Env
end

local function message(f)
  local ok, err = pcall(f)
  assert(not ok, "expected an error, got none")
  return err
end

describe("neuromod.protocol", function()
  it("passes the shipped tasks, by path or by constructor", function()
    local s = protocol.check("envs/gonogo.lua")
    assert.equal(300, s.steps) assert.equal(3, s.obs_size) assert.equal(2, s.actions)
    assert.is_true(s.episodes >= 300 / 15)
    s = protocol.check("envs/setshift.lua", { seed = 2, shift_trial = 100 }, nil, { steps = 400 })
    assert.equal(400, s.episodes) assert.equal(20, s.obs_size)
    -- with every source of noise on (unbounded spaces)
    protocol.check(dofile("envs/setshift.lua"), { noise = 0.5, reward_noise = 0.3, reward_flip = 0.2,
      population = 7, active = 2, shift = "intra", shift_trial = 10 }, "envs/setshift.lua")
    protocol.check(make(), { seed = 3 }, "inline")
  end)

  it("names the script, the method and the fault of a broken task", function()
    local cases = {
      { nil, "protocol: broken.lua: step: missing method (got nil)", function(E) E.step = nil end },
      { function(e) e.getStateSpace = function() return { name = "Box", shape = { 3 }, low = 0, high = 1 } end end,
        "protocol: broken.lua: start: observation has 2 numbers, getStateSpace's shape says 3" },
      { function(e) e.getStateSpace = function() return { name = "Box", shape = { 2 } } end end,
        "protocol: broken.lua: getStateSpace: low must be a number or an array of 2 numbers, got nil" },
      { function(e) e.getActionSpace = function() return { name = "Box", n = 2 } end end,
        "protocol: broken.lua: getActionSpace: name must be \"Discrete\" (the only kind neuromod's agents use), got Box" },
      { function(e) e.getRewardSpace = function() return 0 end end,
        "protocol: broken.lua: getRewardSpace: must return two numbers min, max, got number, nil" },
      { function(e) e.step = function() return "1", { 0, 0 }, true, {} end end,
        "protocol: broken.lua: step: reward must be a number, got string" },
      { function(e) e.step = function() return 0 / 0, { 0, 0 }, true, {} end end,
        "protocol: broken.lua: step: reward is NaN" },
      { function(e) e.step = function() return 2, { 0, 0 }, true, {} end end,
        "protocol: broken.lua: step: reward 2 is outside getRewardSpace's [0, 1]" },
      { function(e) e.step = function() return 1, { 0, 0 }, 1, {} end end,
        "protocol: broken.lua: step: terminal must be a boolean, got number" },
      { function(e) e.step = function() return 1, { 0, 0 }, true, "done" end end,
        "protocol: broken.lua: step: info must be a table or nil, got string" },
      { function(e) e.step = function() return 1, { 0, 7 }, true end end,
        "protocol: broken.lua: step: observation[2] = 7 is outside getStateSpace's [0, 1]" },
      { function(e) e.step = function() return 1, { 0, "x" }, true end end,
        "protocol: broken.lua: step: observation[2] must be a number, got string" },
      { function(e) e.start = function() error("boom", 0) end end,
        "protocol: broken.lua: start: raised an error: boom" },
    }
    for _, c in ipairs(cases) do
      assert.equal(c[2], message(function() protocol.check(make(c[1], c[3]), {}, "broken.lua") end))
    end
  end)

  it("catches math.random and non-determinism", function()
    local err = message(function()
      protocol.check(make(function(e) e.step = function() return math.random(0, 1), { 0, 0 }, true end end),
        {}, "random.lua")
    end)
    assert.truthy(err:find("protocol: random.lua: step: raised an error: ", 1, true))
    assert.truthy(err:find("math.random called: tasks draw randomness only from a seeded nm.rng", 1, true))
    assert.equal("function", type(math.random)) -- restored
    assert.is_true(math.random() < 1)
    local k = 0
    err = message(function()
      protocol.check(make(function(e) k = k + 1; e.rng = nm.rng(k) end), {}, "seedless.lua")
    end)
    assert.truthy(err:find("^protocol: seedless.lua: step: not deterministic: two envs built with the same options differ at step %d+"))
  end)

  it("lists every violation of a task, each once with its count, and goes on where it can", function()
    local list, summary = protocol.violations(make(function(e)
      e.getRewardSpace = function() return 0 end
      e.step = function(self, a)
        self.t = self.t + 1
        return a == 0 and "x" or 1, { 0, self.t % 2 == 0 and 7 or 0.5 }, self.t >= 3 and 1 or false
      end
    end), {}, "many.lua", { steps = 30 })
    local texts = {}
    for i, v in ipairs(list) do texts[i] = v.text end
    assert.same({
      "protocol: many.lua: getRewardSpace: must return two numbers min, max, got number, nil",
      "protocol: many.lua: step: reward must be a number, got string",
      "protocol: many.lua: step: observation[2] = 7 is outside getStateSpace's [0, 1]",
      "protocol: many.lua: step: terminal must be a boolean, got number",
    }, texts)
    assert.equal("getRewardSpace", list[1].method) assert.equal(0, list[1].step) assert.equal(1, list[1].count)
    assert.equal("step", list[3].method)
    assert.is_true(list[2].count > 1 and list[3].count > 1 and list[4].count > 1)
    assert.equal(30, summary.steps)
    -- a correct task has none; a task whose step raises ends the run there, with what came before
    assert.same({}, (protocol.violations(make(), {}, "fine.lua")))
    list = protocol.violations(make(function(e)
      e.getStateSpace = function() return { name = "Box", shape = { 2 } } end
      e.step = function() error("boom", 0) end
    end), {}, "raises.lua")
    assert.equal(2, #list)
    assert.equal("protocol: raises.lua: getStateSpace: low must be a number or an array of 2 numbers, got nil", list[1].text)
    assert.equal("protocol: raises.lua: step: raised an error: boom", list[2].text)
    list = protocol.violations("envs/no-such-task.lua")
    assert.equal(1, #list) assert.equal("load", list[1].method)
  end)

  it("reports constructor and loading failures", function()
    assert.equal("protocol: bad.lua: constructor: raised an error: nope",
      message(function() protocol.check(function() error("nope", 0) end, {}, "bad.lua") end))
    assert.equal("protocol: bad.lua: constructor: must return an environment object, got number",
      message(function() protocol.check(function() return 1 end, {}, "bad.lua") end))
    local err = message(function() protocol.check("envs/no-such-task.lua") end)
    assert.truthy(err:find("^protocol: envs/no%-such%-task.lua: load: "))
  end)
end)
