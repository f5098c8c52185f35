-- experiments/delay_match_blocks.lua -- does a recurrent agent that reached delay_match's criterion stay there?
-- Accuracy per block of trials over one seed's training, and the norm of the layer's weights at the block's end.
--
--   luajit experiments/delay_match_blocks.lua [--seeds 1] [--first-seed 1] [--trials 20000] [--block 2000]
--                                             [--kind recurrent|integrator] [--recurrent 64] [--tau 5]
--                                             [--agent KEY=VALUE ...]
--
-- Agent: the recurrent layer alone (memory.lua's --hidden 0 --recurrent N --tau T --kind K) with memory.lua's
-- delay_match options (init_scale 3, policy_entropy 0.02), then the --agent pairs. One line per seed: the share
-- of trials answered right in each block (%), then |W| (the layer's weight tensor, [W U]', Frobenius norm) at the
-- end of each block. The numbers come from nm.rng streams: the same on both backends.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)
local nm = require "neuromod"
local task = require "neuromod.task"
local memory = dofile(ROOT .. "/experiments/memory.lua")
local DelayMatch = dofile(ROOT .. "/envs/delay_match.lua")

local parsed, o = pcall(task.arguments, "delay_match_blocks", arg,
  { seeds = 1, first_seed = 1, trials = 20000, block = 2000, kind = "recurrent", recurrent = 64, tau = 5 })
if not parsed then io.stderr:write(tostring(o):gsub("^[^:]*:%d+: ", ""), "\n") os.exit(2) end
for _, k in ipairs { "seeds", "trials", "block", "recurrent", "tau" } do
  if o[k] < 1 or (k ~= "tau" and o[k] ~= math.floor(o[k])) then
    io.stderr:write("delay_match_blocks: --" .. k .. ": expected a positive " .. (k == "tau" and "number" or "integer") ..
                    ", got " .. o[k] .. "\n")
    os.exit(2)
  end
end

if o.kind ~= "recurrent" and o.kind ~= "integrator" then
  io.stderr:write("delay_match_blocks: --kind: expected recurrent or integrator, got " .. tostring(o.kind) .. "\n")
  os.exit(2)
end

local function weight_norm(agent)
  local p = agent:params()
  for _, t in ipairs(agent:tensors()) do
    if t.name == "trunk1.weight" then
      local s = 0
      for k = t.offset, t.offset + t.rows * t.cols - 1 do s = s + p[k] * p[k] end
      return math.sqrt(s)
    end
  end
end

print(string.format("delay_match per %d-trial block: %s layer of %d units, tau %g; %d trials", o.block, o.kind,
                    o.recurrent, o.tau, o.trials))
for seed = o.first_seed, o.first_seed + o.seeds - 1 do
  local env = DelayMatch{ seed = seed }
  local opts = task.with({ obs = env:getStateSpace(), actions = env:getActionSpace(), seed = seed,
                           hidden = { { kind = o.kind, n = o.recurrent, tau = o.tau } } }, memory.DELAY_MATCH_AGENT)
  local ok, agent = pcall(nm.agent, task.with(opts, o.agent))
  if not ok then io.stderr:write("delay_match_blocks: ", tostring(agent), "\n") os.exit(1) end
  local right, n, acc, norms = 0, 0, {}, {}
  for t = 1, o.trials do
    local obs = env:start()
    repeat
      local a = agent:act(obs)
      local r, nobs, terminal, info = env:step(a)
      agent:learn(r, nobs, terminal)
      obs = nobs
      if terminal then right, n = right + (info.correct and 1 or 0), n + 1 end
    until terminal
    if t % o.block == 0 or t == o.trials then
      acc[#acc + 1] = string.format("%3.0f", 100 * right / n)
      norms[#norms + 1] = string.format("%.0f", weight_norm(agent))
      right, n = 0, 0
    end
  end
  print(string.format("  seed %-3d %%: %s   |W|: %s", seed, table.concat(acc, " "), table.concat(norms, " ")))
end
