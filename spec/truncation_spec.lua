-- agent:learn(reward, next_obs, terminal, truncated): a truncated step (a time limit's cut) bootstraps V(s') and
-- then ends the episode's traces; the study's trial loop passes a task's info.truncated on.
local nm = require "neuromod"
local wrappers = require "neuromod.wrappers"

local function agent(seed) return nm.agent{ obs = 3, actions = 2, hidden = { 8 }, seed = seed } end

describe("truncation", function()
  it("is a plain step followed by agent:reset(), with terminal or without", function()
    local a, b, c = agent(3), agent(3), agent(3)
    local x, y = { 0.5, -1, 0.25 }, { -0.5, 1, 0 }
    for t = 1, 40 do
      local cut = t % 7 == 0
      a:act(x) b:act(x) c:act(x)
      a:learn(0.3, y, false, cut)
      b:learn(0.3, y, cut, cut) -- a time limit reports its cut as a terminal step that is truncated
      c:learn(0.3, y, false)
      if cut then c:reset() end
    end
    assert.equal(c:state_hash(), a:state_hash())
    assert.equal(c:state_hash(), b:state_hash())
    -- and it differs from a terminal step, which does not bootstrap
    local d = agent(3)
    for t = 1, 40 do d:act(x); d:learn(0.3, y, t % 7 == 0) end
    assert.are_not.equal(d:state_hash(), a:state_hash())
  end)

  it("names a bad argument", function()
    local a = agent(1)
    a:act({ 0, 0, 0 })
    local ok, err = pcall(a.learn, a, 0, { 0, 0, 0 }, false, 1)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("agent:learn: truncated: expected a boolean or nil, got number", 1, true), err)
    ok, err = pcall(a.learn, a, 0, nil, true, true)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("next_obs is missing", 1, true), err)
  end)

  it("reaches the agent from a time-limited task through the study's trial loop", function()
    local Grid = dofile("envs/gridworld.lua")
    local function run(limit)
      local study = nm.study{ name = "cut", trials = 30, seeds = { 1 },
        conditions = { { name = "all" } },
        task = {
          env = function(job) return wrappers.time_limit(Grid{ seed = job.seed }, { steps = limit }) end,
          agent = function() return { hidden = { 8 }, withhold_action = false } end,
          record = function() end,
        },
      }
      local r = study:run_job(study:jobs()[1], nil, true)
      local h = r.agent:state_hash()
      r.agent:close()
      return h
    end
    -- by hand: the same task and agent, with and without telling the agent of the cut
    local function by_hand(tell)
      local env = wrappers.time_limit(Grid{ seed = 1 }, { steps = 5 })
      local a = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), seed = 1, hidden = { 8 },
        withhold_action = false }
      for _ = 1, 30 do
        local obs, terminal = env:start(), false
        repeat
          local r, nobs, info
          r, nobs, terminal, info = env:step(a:act(obs))
          a:learn(r, nobs, terminal, tell and info.truncated or nil)
          obs = nobs
        until terminal
      end
      local h = a:state_hash()
      a:close()
      return h
    end
    assert.equal(by_hand(true), run(5))
    assert.are_not.equal(by_hand(false), run(5))
  end)
end)
