-- envs/curricula/random_blocks.lua -- random blocks of 50 to 100 trials, each of a task other than the previous
-- block's: the set-shifting task (envs/setshift.lua, 20 inputs, no shift within it), the valenced Go/No-Go
-- (4 inputs) and a probabilistic reversal (1 input), padded to 20 inputs; identity hidden by default.
-- Options (defaults): seed = 1, identity = false.
local curriculum = require "neuromod.curriculum"
local task = require "neuromod.task"

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/../.."

return function(opts)
  opts = task.options("random_blocks", opts, { seed = 1, identity = false })
  return curriculum.new{
    seed = task.integer("random_blocks", "seed", opts.seed),
    identity = task.boolean("random_blocks", "identity", opts.identity),
    root = ROOT,
    tasks = {
      { name = "setshift", env = "envs/setshift.lua", options = { shift = "none" } },
      { name = "valence", env = "envs/gonogo_valence.lua" },
      { name = "reversal", env = "envs/reversal.lua" },
    },
    schedule = "random",
    block = { 50, 100 },
  }
end
