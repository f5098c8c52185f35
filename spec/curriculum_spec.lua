-- neuromod.curriculum and envs/curricula/: sequential blocks with returns, random blocks, interleaved trials,
-- identity given or hidden, padding, and info naming task and block.
local curriculum = require "neuromod.curriculum"
local protocol = require "neuromod.protocol"
local unpack = table.unpack or unpack

local function message(f)
  local ok, err = pcall(f)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

-- n one-step-or-more trials with action 0; returns the terminal infos (copied fields).
local function run(env, n)
  local out = {}
  for t = 1, n do
    env:start()
    while true do
      local _, o, terminal, info = env:step(0)
      if terminal then
        out[t] = { task = info.task, block = info.block, block_trial = info.block_trial, trial = info.trial,
                   condition = info.condition, correct = info.correct, obs = { unpack(o) } }
        break
      end
    end
  end
  return out
end

describe("neuromod.curriculum", function()
  it("runs sequential blocks with a return, continuing the returning task", function()
    local env = curriculum{
      tasks = { { name = "rev", env = "envs/reversal.lua", options = { p = 1, reverse = "fixed", block = 1000 } },
                { name = "val", env = "envs/gonogo_valence.lua" } },
      blocks = { { task = "rev", trials = 3 }, { task = "val", trials = 2 }, { task = "rev", trials = 2 } },
      seed = 4,
    }
    assert.same({ name = "Box", shape = { 4 }, low = { 0, 0, 0, 0 }, high = { 1, 1, 1, 1 } }, env:getStateSpace())
    local infos = run(env, 9)
    local want = { "rev", "rev", "rev", "val", "val", "rev", "rev", "rev", "rev" }
    local blocks = { 1, 1, 1, 2, 2, 3, 3, 4, 4 }
    for t, i in ipairs(infos) do
      assert.equal(want[t], i.task, "trial " .. t)
      assert.equal(blocks[t], i.block) assert.equal(t, i.trial)
      if i.task == "rev" then
        assert.same({ 1, 0, 0, 0 }, i.obs) -- padded
        assert.equal("rev/A", i.condition)
      end
    end
    assert.equal(7, env.tasks[1].env.trials) -- the returning task continued
  end)

  it("draws random blocks, never the same task twice in a row, and interleaves", function()
    local env = curriculum{
      tasks = { { name = "a", env = "envs/reversal.lua" }, { name = "b", env = "envs/reversal.lua" },
                { name = "c", env = "envs/gonogo_valence.lua" } },
      schedule = "random", block = { 3, 5 }, seed = 2, identity = true,
    }
    local infos = run(env, 200)
    local last_task, last_block, len = nil, nil, 0
    for _, i in ipairs(infos) do
      if i.block ~= last_block then
        if last_block then assert.is_true(len >= 3 and len <= 5) end
        assert.are_not.equal(last_task, i.task)
        last_task, last_block, len = i.task, i.block, 0
      end
      len = len + 1
      -- identity one-hot after the 4 padded inputs
      local idx = ({ a = 1, b = 2, c = 3 })[i.task]
      for k = 1, 3 do assert.equal(k == idx and 1 or 0, i.obs[4 + k]) end
    end
    env = curriculum{ tasks = { { name = "a", env = "envs/reversal.lua" }, { name = "b", env = "envs/gonogo_valence.lua" } },
                      schedule = "interleaved", seed = 3 }
    local count = { a = 0, b = 0 }
    for t, i in ipairs(run(env, 400)) do count[i.task] = count[i.task] + 1 assert.equal(t, i.block) end
    assert.is_true(count.a > 150 and count.b > 150)
  end)

  it("is itself a protocol environment, deterministic for a seed; the curricula scripts pass the checker", function()
    for _, path in ipairs { "envs/curricula/reversal_return.lua", "envs/curricula/gonogo_mix.lua",
                            "envs/curricula/random_blocks.lua" } do
      local s = protocol.check(path, { seed = 3 }, nil, { steps = 1500 })
      assert.equal(1500, s.steps)
    end
    local s = protocol.check("envs/curricula/gonogo_mix.lua", { identity = false }, nil, { steps = 100 })
    assert.equal(4, s.obs_size)
    s = protocol.check("envs/curricula/random_blocks.lua", { identity = true }, nil, { steps = 100 })
    assert.equal(23, s.obs_size)
  end)

  it("wraps tasks with Discrete or nil states through neuromod.spaces", function()
    local env = curriculum{ tasks = { { name = "walk", env = dofile("spec/support/rlenvs/randomwalk.lua") },
                                      { name = "bandit", env = dofile("spec/support/rlenvs/bandit.lua") } },
                            schedule = "interleaved" }
    assert.equal(7, env:getStateSpace().shape[1])
    protocol.check(function() return curriculum{ tasks = { { name = "walk", env = dofile("spec/support/rlenvs/randomwalk.lua") },
      { name = "bandit", env = dofile("spec/support/rlenvs/bandit.lua") } }, schedule = "interleaved" } end, {}, "mixed")
  end)

  it("names what is wrong in a definition", function()
    assert.truthy(message(function() curriculum{ tasks = {} } end):find("curriculum: tasks: expected a non-empty list", 1, true))
    assert.truthy(message(function()
      curriculum{ tasks = { { name = "a", env = "envs/reversal.lua" } }, blocks = { { task = "b", trials = 3 } } }
    end):find("curriculum: blocks[1].task: expected the name of a task, got b", 1, true))
    assert.truthy(message(function()
      curriculum{ tasks = { { name = "a", env = "envs/reversal.lua" }, { name = "g", env = "envs/gridworld.lua" } },
                  schedule = "interleaved" }
    end):find("curriculum: tasks: every task needs the same number of actions: a has 2, g has 4", 1, true))
    assert.truthy(message(function()
      curriculum{ tasks = { { name = "a", env = "envs/reversal.lua" } }, schedule = "shuffled" }
    end):find("curriculum: schedule: ", 1, true))
  end)
end)
