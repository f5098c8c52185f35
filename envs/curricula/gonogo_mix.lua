-- envs/curricula/gonogo_mix.lua -- two Go/No-Go tasks interleaved trial by trial: NeuroGym's timed Go/No-Go
-- (envs/gonogo.lua: 3 inputs, 15 steps a trial) and the valenced one of Guitart-Masip 2012
-- (envs/gonogo_valence.lua: 4 inputs, one step). Observations are padded to 4 inputs; with identity = true
-- (the default here) a one-hot of the current task is appended (6 inputs), as NeuroGym's ScheduleEnvs do.
-- Options (defaults): seed = 1, identity = true.
local curriculum = require "neuromod.curriculum"
local task = require "neuromod.task"

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/../.."

return function(opts)
  opts = task.options("gonogo_mix", opts, { seed = 1, identity = true })
  return curriculum.new{
    seed = task.integer("gonogo_mix", "seed", opts.seed),
    identity = task.boolean("gonogo_mix", "identity", opts.identity),
    root = ROOT,
    tasks = {
      { name = "gonogo", env = "envs/gonogo.lua" },
      { name = "valence", env = "envs/gonogo_valence.lua" },
    },
    schedule = "interleaved",
  }
end
