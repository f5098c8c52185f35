-- A two-armed bandit written from scratch, as a user would: the task is a small table with the rlenvs
-- methods, the agent comes from nm.agent. Arm 1 pays with probability 0.8, arm 0 with 0.2; after 300 trials
-- the arms swap. Prints how often the agent picked the better arm before the swap, just after it, and long
-- after it (reversal is slow for this agent: docs/results/reversal.md).
--   luajit examples/bandit.lua        (or lua5.4; with the library on LUA_PATH/LUA_CPATH: eval "$(make -s env)")
local nm = require "neuromod"

local Bandit = {}
Bandit.__index = Bandit
local function new_bandit(seed)
  return setmetatable({ rng = nm.rng(seed), good = 1, obs = { 1 }, trials = 0 }, Bandit)
end
function Bandit:getStateSpace() return { name = "Box", shape = { 1 }, low = 1, high = 1 } end
function Bandit:getActionSpace() return { name = "Discrete", n = 2 } end
function Bandit:getRewardSpace() return 0, 1 end
function Bandit:start()
  self.trials = self.trials + 1
  if self.trials == 301 then self.good = 1 - self.good end
  return self.obs
end
function Bandit:step(a)
  local p = (a == self.good) and 0.8 or 0.2
  return (self.rng:random() < p) and 1 or 0, self.obs, true, { correct = a == self.good }
end

local env = new_bandit(7)
local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 8 }, seed = 7 }
local good = { 0, 0, 0 }
for t = 1, 1500 do
  local obs = env:start()
  local a = agent:act(obs)
  local r, nobs, terminal, info = env:step(a)
  agent:learn(r, nobs, terminal)
  if t > 200 and t <= 300 and info.correct then good[1] = good[1] + 1 end
  if t > 400 and t <= 500 and info.correct then good[2] = good[2] + 1 end
  if t > 1400 and info.correct then good[3] = good[3] + 1 end
end
local m = agent:modulators()
print(string.format("bandit: better arm in %d%% of trials 201-300; after the swap at 300: %d%% of 401-500, %d%% of " ..
  "1401-1500; NA %.3f", good[1], good[2], good[3], m.NA))
agent:close()
assert(good[1] >= 60, "the agent did not learn the first arm")
