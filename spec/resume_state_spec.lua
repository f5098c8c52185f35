-- The protocol's optional state()/restore(t) pair on composite tasks: a curriculum, the wrappers and an encoded
-- state space continue exactly where they were saved, as `neuromod run --resume` needs.
local nm = require "neuromod"
local wrappers = require "neuromod.wrappers"

-- Runs n trials with a fixed action rule and returns what they produced, as one string.
local function trials(env, n, log)
  log = log or {}
  for t = 1, n do
    local obs, steps = env:start(), 0
    while true do
      local a = (#log * 7 + 3) % 5 < 2 and 1 or 0   -- from the log's length, so a resumed run acts alike
      local r, o, terminal, info = env:step(a)
      steps = steps + 1
      log[#log + 1] = string.format("%d %a %s %s", a, r, tostring(terminal), table.concat(o or {}, ","))
      if terminal or steps > 50 then break end
      obs = o
    end
  end
  return log
end

local function check_resume(make, n1, n2)
  local whole = trials(make(), n1 + n2)
  local first = make()
  local log = trials(first, n1)
  local saved = first:state()
  local second = make()
  second:restore(saved)
  trials(second, n2, log)
  assert.same(whole, log)
end

describe("state()/restore() of composite tasks", function()
  for _, name in ipairs { "gonogo_mix", "random_blocks", "reversal_return" } do
    it("continues the curriculum " .. name .. " exactly", function()
      local C = dofile("envs/curricula/" .. name .. ".lua")
      check_resume(function() return C{ seed = 3 } end, 37, 41)
    end)
  end

  it("continues wrapped tasks exactly (noise, previous, time limit)", function()
    local Rev = dofile("envs/reversal.lua")
    check_resume(function()
      return wrappers.time_limit(wrappers.previous(wrappers.noise(Rev{ seed = 4 }, { sd = 0.2, seed = 9 })), { steps = 3 })
    end, 25, 30)
  end)

  it("has no state pair when one of its tasks lacks it", function()
    local curriculum = require "neuromod.curriculum"
    local Plain = { __index = {} }
    function Plain.__index:start() return { 0 } end
    function Plain.__index:step() return 0, { 0 }, true end
    function Plain.__index:getStateSpace() return { name = "Box", shape = { 1 }, low = 0, high = 1 } end
    function Plain.__index:getActionSpace() return { name = "Discrete", n = 2 } end
    function Plain.__index:getRewardSpace() return 0, 1 end
    local c = curriculum.new{ seed = 1, tasks = { { name = "plain", env = setmetatable({}, Plain) } },
                                schedule = "interleaved" }
    assert.is_nil(c.state)
    assert.is_nil(c.restore)
  end)
end)
