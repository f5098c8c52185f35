-- envs/curricula/reversal_return.lua -- sequential blocks with a return: a deterministic serial reversal
-- (200 trials), then Behrens' stable/volatile bandit (290 trials, one stable and one volatile phase), then the
-- reversal task again (200 trials; it continues where it was), and round again. Both tasks show the same
-- constant cue, so without the identity (option identity = false, the default) the agent must notice the
-- change from outcomes alone.
-- Options (defaults): seed = 1, identity = false.
local curriculum = require "neuromod.curriculum"
local task = require "neuromod.task"

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/../.."

return function(opts)
  opts = task.options("reversal_return", opts, { seed = 1, identity = false })
  return curriculum.new{
    seed = task.integer("reversal_return", "seed", opts.seed),
    identity = task.boolean("reversal_return", "identity", opts.identity),
    root = ROOT,
    tasks = {
      { name = "reversal", env = "envs/reversal.lua", options = { p = 1, criterion = 5 } },
      { name = "volatile", env = "envs/volatile_bandit.lua" },
    },
    schedule = "blocks",
    blocks = { { task = "reversal", trials = 200 }, { task = "volatile", trials = 290 }, { task = "reversal", trials = 200 } },
  }
end
