-- experiments/reversal_trace.lua -- one seed of the serial reversal (envs/reversal.lua, 80/20, criterion 8) with
-- NA's outcome bias (outcome_bias 10, predictor_rate 0.5), traced in blocks of --every trials: reversals in the
-- block, mean P(good) before the act, the actor's part of the good-minus-bad logit (beta x the policy head's
-- logit difference), the outcome bias's part (w x level_NA x (q_good - q_bad)), q_good - q_bad, NA, ACh, the
-- learning rate, the attention, beta and |delta|. The head's inputs are recomputed from agent:params() for the
-- one hidden tanh layer of 32 units.
--
--   lua5.4 experiments/reversal_trace.lua [--seed 6] [--mods all | DA,NA,5HT ...] [--every 50] [--na-beta B] [--agent K=V]
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)
local nm = require "neuromod"
local Reversal = dofile(ROOT .. "/envs/reversal.lua")
local task = require "neuromod.task"
local o = task.arguments("reversal_trace", arg, { seed = 6, mods = "all", trials = 1000, every = 50, na_beta = -2 })
local mods = o.mods == "all" and "all" or {}
if o.mods ~= "all" then for m in o.mods:gmatch("[^,]+") do mods[m] = true end end
local env = Reversal{ seed = o.seed, p = 0.8, reverse = "criterion", criterion = 8 }
local ag = nm.agent(task.with({ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 32 },
  seed = o.seed,
  modulators = mods, outcome_bias = 10, predictor_rate = 0.5,
  mapping = o.na_beta ~= -2 and { inverse_temperature = { NA = o.na_beta } } or nil }, o.agent))
local W = ag:config().outcome_bias
local H, off = 32, {}
for _, t in ipairs(ag:tensors()) do off[t.name] = t.offset end
-- the policy head's logits and the outcome predictor's values for the constant cue {1}
local function heads()
  local p = ag:params(); local att = ag:attention()[1]; local g = ag:gain(1)
  local h = {}
  for i = 1, H do h[i] = math.tanh(g[i] * (p[off["trunk1.weight"] + i - 1] * att + p[off["trunk1.bias"] + i - 1])) end
  local function lin(w, b, r) local s = p[off[b] + r] for i = 1, H do s = s + p[off[w] + r * H + i - 1] * h[i] end return s end
  return lin("policy.weight", "policy.bias", 0), lin("policy.weight", "policy.bias", 1),
    lin("predictor.weight", "predictor.bias", 0), lin("predictor.weight", "predictor.bias", 1)
end
local t = {}
local acc, n, revs0 = {}, 0, 0
local function reset()
  acc = { pg = 0, dl = 0, dq = 0, ob = 0, na = 0, ach = 0, lr = 0, att = 0, beta = 0, d = 0 }
  n = 0
end
reset()
print(" trial rev  Pgood  beta*dlogit(good-bad)  w*NA*dq   dq     NA    ACh    lr     att   beta   |delta|")
for i = 1, o.trials do
  local obs = env:start()
  local probs = ag:evaluate(obs)
  local l0, l1, q0, q1 = heads()
  ag:modulators(t)
  local a = ag:act(obs)
  local r, nobs, term, info = env:step(a)
  local gd = info.good
  local dl = (gd == 0 and (l0 - l1) or (l1 - l0)) * t.params.inverse_temperature
  local dq = gd == 0 and (q0 - q1) or (q1 - q0)
  acc.pg = acc.pg + probs[gd + 1]; acc.dl = acc.dl + dl; acc.dq = acc.dq + dq; acc.ob = acc.ob + W * t.NA * dq
  acc.na = acc.na + t.NA; acc.ach = acc.ach + t.ACh; acc.lr = acc.lr + t.params.learning_rate
  acc.att = acc.att + t.params.attention; acc.beta = acc.beta + t.params.inverse_temperature
  ag:learn(r, nobs, term)
  acc.d = acc.d + math.abs(ag:levels())
  n = n + 1
  if i % o.every == 0 then
    print(string.format("%6d %3d  %.3f  %8.2f  %8.2f  %6.3f  %.3f  %.3f  %.4f  %.3f  %.3f  %.3f", i,
      info.reversals - revs0, acc.pg / n, acc.dl / n, acc.ob / n, acc.dq / n, acc.na / n, acc.ach / n, acc.lr / n, acc.att / n, acc.beta / n, acc.d / n))
    revs0 = info.reversals; reset()
  end
end
