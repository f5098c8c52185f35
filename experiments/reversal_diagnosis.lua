-- experiments/reversal_diagnosis.lua -- why the agent completes few serial reversals: per-trial numbers around
-- each reversal of envs/reversal.lua (80/20, criterion 8), for the agent and the Rescorla-Wagner learner.
--
--   lua5.4 experiments/reversal_diagnosis.lua [--seeds 5] [--first-seed 1] [--trials 1000] [--hidden 32]
--                                             [--modulators all|DA|DANA] [--policy-reset 0]
--                                             [--na-input surprise|changepoint] [--na-threshold 4]
--                                             [--policy-entropy 0]
--
-- For each seed: reversals completed; the mean P(choose the good option) (from agent:evaluate before the act);
-- the policy's saturation |beta (logit_0 - logit_1)| (the softmax's argument; RW: beta |Q0 - Q1|), over all
-- trials and at the trial of each reversal; the trials after a reversal until P(good) first exceeds 0.5; NA's
-- level and beta at the reversal and its peak in the 20 trials after; the learning rate's peak; the TD error
-- averaged over the 10 trials after a reversal, and how often the abandoned (now good) option is chosen in
-- those 10 trials; NA's utility input (utility_drop) averaged over all trials and its peak in the 20 trials
-- after a reversal; NA's unexpected fraction u averaged over all trials and over the 10 after a reversal.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local nm = require "neuromod"
local Reversal = dofile(ROOT .. "/envs/reversal.lua")

local task = require "neuromod.task"
local o = task.arguments("reversal_diagnosis", arg, { seeds = 5, first_seed = 1, trials = 1000,
  hidden = 32, modulators = "all", policy_reset = 0, na_input = "surprise",
  na_threshold = 4, policy_entropy = 0 })
local MODS = { all = "all", DA = { DA = true }, DANA = { DA = true, NA = true } }

local function mean(t) local s = 0; for _, x in ipairs(t) do s = s + x end; return #t > 0 and s / #t or 0 / 0 end

local function run(seed)
  local env = Reversal{ seed = seed, p = 0.8, reverse = "criterion", criterion = 8 }
  local opts = { obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { o.hidden }, seed = seed,
    modulators = MODS[o.modulators] or error("--modulators: all, DA or DANA") }
  opts.na_input = o.na_input
  opts.na_threshold = o.na_threshold
  if o.policy_entropy > 0 then opts.policy_entropy = o.policy_entropy end
  if o.policy_reset > 0 then opts.policy_reset = o.policy_reset end
  local agent = nm.agent(task.with(opts, o.agent))
  local rows = {}
  for t = 1, o.trials do
    local obs = env:start()
    local probs = agent:evaluate(obs)
    local m0 = agent:modulators()
    local beta = m0.params.inverse_temperature
    local a = agent:act(obs)
    local r, nobs, terminal, info = env:step(a)
    agent:learn(r, nobs, terminal)
    local m = agent:modulators()
    local p0 = math.max(probs[1], 1e-12)
    local p1 = math.max(probs[2], 1e-12)
    rows[t] = { good = info.good, pgood = info.good == 0 and probs[1] or probs[2], sat = math.abs(math.log(p0 / p1)),
      reversed = info.reversed, na = m.levels.NA, beta = beta, alpha = m.params.learning_rate,
      delta = m.phasic.DA, correct = info.correct, reversals = info.reversals,
      ud = m.signals.utility_drop, u = m.signals.unexpected }
  end
  agent:close()
  -- per-reversal windows
  local ud_pk, u10 = {}, {}
  local sat_rev, na_at, na_peak, beta_min, alpha_peak, d10, abandon10, lag = {}, {}, {}, {}, {}, {}, {}, {}
  for t = 1, o.trials do
    if rows[t].reversed and t + 20 <= o.trials then
      sat_rev[#sat_rev + 1] = rows[t].sat
      na_at[#na_at + 1] = rows[t].na
      local pk, bm, ap, ds, ab = -1e9, 1e9, 0, 0, 0
      for k = t + 1, t + 20 do
        pk = math.max(pk, rows[k].na); bm = math.min(bm, rows[k].beta); ap = math.max(ap, rows[k].alpha)
      end
      local up, us = 0, 0
      for k = t + 1, t + 20 do up = math.max(up, rows[k].ud) end
      for k = t + 1, t + 10 do ds = ds + rows[k].delta; ab = ab + (rows[k].correct and 1 or 0); us = us + rows[k].u end
      ud_pk[#ud_pk + 1], u10[#u10 + 1] = up, us / 10
      na_peak[#na_peak + 1], beta_min[#beta_min + 1], alpha_peak[#alpha_peak + 1] = pk, bm, ap
      d10[#d10 + 1], abandon10[#abandon10 + 1] = ds / 10, ab / 10
      local L = 0
      for k = t + 1, o.trials do if rows[k].pgood > 0.5 then break end; L = L + 1 end
      lag[#lag + 1] = L
    end
  end
  local pg, sat, ud, u = {}, {}, {}, {}
  for t = 1, o.trials do pg[t], sat[t], ud[t], u[t] = rows[t].pgood, rows[t].sat, rows[t].ud, rows[t].u end
  return rows[o.trials].reversals, mean(pg), mean(sat), mean(sat_rev), mean(lag), mean(na_at), mean(na_peak),
    mean(beta_min), mean(alpha_peak), mean(d10), mean(abandon10), mean(ud), mean(ud_pk), mean(u), mean(u10)
end

print(string.format("reversal diagnosis: modulators %s, hidden %d, %d trials, policy_reset %g, na_input %s%s%s",
  o.modulators, o.hidden, o.trials, o.policy_reset, o.na_input,
  o.na_threshold ~= 4 and string.format(", na_threshold %g", o.na_threshold) or "",
  o.policy_entropy > 0 and string.format(", policy_entropy %g", o.policy_entropy) or ""))
print(string.format("%5s %4s %6s %6s %7s %6s %6s %6s %6s %7s %7s %7s %6s %6s %6s %6s", "seed", "rev", "Pgood", "|sat|",
  "sat@rev", "lag", "NA@rev", "NApk", "betamn", "alphapk", "d10", "Pgood10", "UD", "UDpk", "u", "u10"))
for s = o.first_seed, o.first_seed + o.seeds - 1 do
  print(string.format("%5d %4d %6.3f %6.2f %7.2f %6.1f %6.3f %6.3f %6.3f %7.4f %7.3f %7.2f %6.3f %6.3f %6.3f %6.3f", s, run(s)))
end
