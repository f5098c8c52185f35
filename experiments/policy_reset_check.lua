-- experiments/policy_reset_check.lua -- the Go/No-Go and set-shift numbers with NA's policy reset on
-- (config policy_reset), to check that the reversal mechanism does not cost the other tasks.
--
--   lua5.4 experiments/policy_reset_check.lua gonogo [--policy-reset 0.3] [--seeds 5] [--first-seed 1]
--   lua5.4 experiments/policy_reset_check.lua setshift [--policy-reset 0.3] [setshift.lua's options...]
--
-- gonogo: trials to 90% correct over 100 trials within 2,000 (spec/gonogo_spec.lua's run: envs/gonogo.lua,
-- hidden 64, all four modulators) per seed, with and without the reset. setshift: experiments/setshift.lua's
-- table with every agent built with policy_reset (its other options pass through; --out defaults to a
-- temporary directory so the run writes nothing into the checkout).
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local part = arg[1]
local reset, rest = 0.3, {}
local gonogo = { seeds = 5, first_seed = 1 }
local i = 2
while arg[i] do
  local key = arg[i]:gsub("^%-%-", ""):gsub("%-", "_")
  if key == "policy_reset" then
    reset = tonumber(arg[i + 1]) or error("policy_reset_check: --policy-reset expects a number")
  elseif part == "gonogo" and gonogo[key] then
    gonogo[key] = tonumber(arg[i + 1]) or error("policy_reset_check: --" .. key .. " expects a number")
  else
    rest[#rest + 1], rest[#rest + 2] = arg[i], arg[i + 1]
  end
  i = i + 2
end

if part == "gonogo" then
  local runner = require "neuromod.runner"
  local function row(r)
    local out = {}
    for s = gonogo.first_seed, gonogo.first_seed + gonogo.seeds - 1 do
      local res = runner.run{ env = ROOT .. "/envs/gonogo.lua", trials = 2000, seed = s, hidden = { 64 },
        progress = false, agent_options = r > 0 and { policy_reset = r } or nil }
      out[#out + 1] = res.trials_to_criterion and tostring(res.trials_to_criterion) or "never"
      res.agent:close()
    end
    return table.concat(out, ", ")
  end
  print(string.format("Go/No-Go trials to criterion, seeds %d-%d", gonogo.first_seed,
    gonogo.first_seed + gonogo.seeds - 1))
  print("  policy_reset 0:  " .. row(0))
  print(string.format("  policy_reset %g: %s", reset, row(reset)))
elseif part == "setshift" then
  local S = dofile(ROOT .. "/experiments/setshift.lua")
  local agent = S.TASK.agent
  S.TASK.agent = function(...)
    local opts = agent(...)
    opts.policy_reset = reset
    return opts
  end
  local has_out = false
  for _, a in ipairs(rest) do if a == "--out" then has_out = true end end
  if not has_out then rest[#rest + 1], rest[#rest + 2] = "--out", os.tmpname() .. ".d" end
  print(string.format("set-shift with policy_reset = %g", reset))
  os.exit(S.main(rest))
else
  error("policy_reset_check: first argument: gonogo or setshift")
end
