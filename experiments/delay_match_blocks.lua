-- experiments/delay_match_blocks.lua -- does a recurrent agent that reached delay_match's criterion stay there?
-- Accuracy per block of trials over one seed's training, and the norm of the layer's weights at the block's end.
--
--   luajit experiments/delay_match_blocks.lua [--seeds 1] [--first-seed 1] [--trials 20000] [--block 2000]
--                                             [--kind recurrent|integrator] [--recurrent 64] [--tau 5]
--                                             [--parts] [--agent KEY=VALUE ...]
--
-- Agent: the recurrent layer alone (memory.lua's --hidden 0 --recurrent N --tau T --kind K) with memory.lua's
-- delay_match options (init_scale 3, policy_entropy 0.02), then the --agent pairs. One line per seed: the share
-- of trials answered right in each block (%), then |W| (the layer's weight tensor, [W U]', Frobenius norm) at the
-- end of each block. With --parts, four more rows per seed: |Wx| (the tensor's input columns), |U| (its recurrent
-- columns), |b| (the layer's bias), and |dW| (the mean norm of one learn step's change to the layer's weights and
-- bias over the block; it reads the weights around every learn, so the run is slower). The numbers come from
-- nm.rng streams: the same on both backends.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)
local nm = require "neuromod"
local task = require "neuromod.task"
local memory = dofile(ROOT .. "/experiments/memory.lua")
local DelayMatch = dofile(ROOT .. "/envs/delay_match.lua")

local parsed, o = pcall(task.arguments, "delay_match_blocks", arg,
  { seeds = 1, first_seed = 1, trials = 20000, block = 2000, kind = "recurrent", recurrent = 64, tau = 5,
    parts = false })
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

-- the trunk layer's two tensors: its weights ([W U]': a row of input weights per input, then a row of recurrent
-- weights per unit, each row one weight per unit) and its bias, each { offset, rows, cols } in agent:params()
local function trunk_tensors(agent)
  local weight, bias
  for _, t in ipairs(agent:tensors()) do
    if t.name == "trunk1.weight" then weight = t elseif t.name == "trunk1.bias" then bias = t end
  end
  return weight, bias
end

-- the Frobenius norms of the weight tensor, of its input rows, of its recurrent rows, and of the bias
local function weight_norms(p, weight, bias)
  local w, wx, u, b = 0, 0, 0, 0
  local first_u = weight.offset + (weight.rows - weight.cols) * weight.cols
  for k = weight.offset, weight.offset + weight.rows * weight.cols - 1 do
    local sq = p[k] * p[k]
    w = w + sq
    if k < first_u then wx = wx + sq else u = u + sq end
  end
  for k = bias.offset, bias.offset + bias.rows * bias.cols - 1 do b = b + p[k] * p[k] end
  return math.sqrt(w), math.sqrt(wx), math.sqrt(u), math.sqrt(b)
end

print(string.format("delay_match per %d-trial block: %s layer of %d units, tau %g; %d trials", o.block, o.kind,
                    o.recurrent, o.tau, o.trials))
for seed = o.first_seed, o.first_seed + o.seeds - 1 do
  local env = DelayMatch{ seed = seed }
  local opts = task.with({ obs = env:getStateSpace(), actions = env:getActionSpace(), seed = seed,
                           hidden = { { kind = o.kind, n = o.recurrent, tau = o.tau } } }, memory.DELAY_MATCH_AGENT)
  local ok, agent = pcall(nm.agent, task.with(opts, o.agent))
  if not ok then io.stderr:write("delay_match_blocks: ", tostring(agent), "\n") os.exit(1) end
  local right, n, acc, norms, parts = 0, 0, {}, {}, { {}, {}, {}, {} }
  local weight, bias = trunk_tensors(agent)
  local lo = math.min(weight.offset, bias.offset)   -- the layer's weights and bias, one range of the block
  local hi = math.max(weight.offset + weight.rows * weight.cols, bias.offset + bias.rows * bias.cols) - 1
  local moved, learns = 0, 0   -- the block's sum of |dW| over its learn steps (--parts)
  for t = 1, o.trials do
    local obs = env:start()
    repeat
      local a = agent:act(obs)
      local r, nobs, terminal, info = env:step(a)
      local before = o.parts and agent:params()
      agent:learn(r, nobs, terminal)
      if before then
        local after, d = agent:params(), 0
        for k = lo, hi do d = d + (after[k] - before[k]) ^ 2 end
        moved, learns = moved + math.sqrt(d), learns + 1
      end
      obs = nobs
      if terminal then right, n = right + (info.correct and 1 or 0), n + 1 end
    until terminal
    if t % o.block == 0 or t == o.trials then
      acc[#acc + 1] = string.format("%3.0f", 100 * right / n)
      local w, wx, u, b = weight_norms(agent:params(), weight, bias)
      norms[#norms + 1] = string.format("%.0f", w)
      for i, v in ipairs { wx, u, b } do parts[i][#parts[i] + 1] = string.format("%3.0f", v) end
      parts[4][#parts[4] + 1] = string.format("%.2f", moved / math.max(learns, 1))
      right, n, moved, learns = 0, 0, 0, 0
    end
  end
  print(string.format("  seed %-3d %%: %s   |W|: %s", seed, table.concat(acc, " "), table.concat(norms, " ")))
  if o.parts then
    for i, name in ipairs { "|Wx|", "|U| ", "|b| ", "|dW|" } do
      print(string.format("           %s %s", name, table.concat(parts[i], " ")))
    end
  end
end
