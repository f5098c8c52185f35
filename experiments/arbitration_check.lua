-- experiments/arbitration_check.lua -- the Go/No-Go and set-shift numbers with NA's outcome bias and a stronger
-- NA -> inverse temperature entry of the mapping (NA hands the choice from the actor to the outcome values), to
-- check that what helps the serial reversal does not cost the other tasks.
--
--   lua5.4 experiments/arbitration_check.lua gonogo [--na-beta -4] [--seeds 5] [--first-seed 1] [--agent K=V ...]
--   lua5.4 experiments/arbitration_check.lua setshift [--na-beta -4] [--agent K=V ...] [setshift.lua's options...]
--
-- Every agent gets mapping.inverse_temperature.NA = --na-beta (the default mapping's is -2) and the --agent
-- pairs (e.g. outcome_bias=10 predictor_rate=0.5). gonogo: trials to 90% correct over 100 trials within 2,000
-- (spec/gonogo_spec.lua's run: envs/gonogo.lua, hidden 64, all four modulators) per seed. setshift:
-- experiments/setshift.lua's table with every agent so built (a condition's own mapping entries are kept).
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local part = arg[1]
local na_beta, rest, agent = -2, {}, {}
local gonogo = { seeds = 5, first_seed = 1 }
local i = 2
while arg[i] do
  local key = arg[i]:gsub("^%-%-", ""):gsub("%-", "_")
  if key == "na_beta" then
    na_beta = tonumber(arg[i + 1]) or error("arbitration_check: --na-beta expects a number")
  elseif part == "gonogo" and gonogo[key] then
    gonogo[key] = tonumber(arg[i + 1]) or error("arbitration_check: --" .. key .. " expects a number")
  elseif part == "gonogo" and key == "agent" then
    local k, v = tostring(arg[i + 1]):match("^([%w_]+)=(.*)$")
    if not k then error("arbitration_check: --agent expects KEY=VALUE, got " .. tostring(arg[i + 1])) end
    agent[k] = v == "true" or (v ~= "false" and (tonumber(v) or v))
  else
    rest[#rest + 1], rest[#rest + 2] = arg[i], arg[i + 1]
  end
  i = i + 2
end

local function with_mapping(m)
  local out = {}
  for p, row in pairs(m or {}) do out[p] = {} for k, v in pairs(row) do out[p][k] = v end end
  out.inverse_temperature = out.inverse_temperature or {}
  out.inverse_temperature.NA = na_beta
  return out
end

if part == "gonogo" then
  local runner = require "neuromod.runner"
  local out = {}
  for s = gonogo.first_seed, gonogo.first_seed + gonogo.seeds - 1 do
    local opts = { mapping = with_mapping(nil) }
    for k, v in pairs(agent) do opts[k] = v end
    local res = runner.run{ env = ROOT .. "/envs/gonogo.lua", trials = 2000, seed = s, hidden = { 64 },
      progress = false, agent_options = opts }
    out[#out + 1] = res.trials_to_criterion and tostring(res.trials_to_criterion) or "never"
    res.agent:close()
  end
  local keys = {}
  for k, v in pairs(agent) do keys[#keys + 1] = k .. " " .. tostring(v) end
  table.sort(keys)
  print(string.format("Go/No-Go trials to criterion, seeds %d-%d, NA -> inverse temperature %g%s", gonogo.first_seed,
    gonogo.first_seed + gonogo.seeds - 1, na_beta, #keys > 0 and ", " .. table.concat(keys, ", ") or ""))
  print("  " .. table.concat(out, ", "))
elseif part == "setshift" then
  local S = dofile(ROOT .. "/experiments/setshift.lua")
  local build = S.TASK.agent
  S.TASK.agent = function(...)
    local opts = build(...)
    opts.mapping = with_mapping(opts.mapping)
    return opts
  end
  local has_out = false
  for _, a in ipairs(rest) do if a == "--out" then has_out = true end end
  if not has_out then rest[#rest + 1], rest[#rest + 2] = "--out", os.tmpname() .. ".d" end
  print(string.format("set-shift with mapping.inverse_temperature.NA = %g", na_beta))
  os.exit(S.main(rest))
else
  error("arbitration_check: first argument: gonogo or setshift")
end
