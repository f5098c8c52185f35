-- A two-armed bandit written in the rlenvs style: no state (getStateSpace returns nil, start and step return
-- nil observations); arm 1 pays 1 with probability 0.8, arm 0 with 0.2; episodes of `plays` pulls (default 10).
-- Randomness from nm.rng (the one thing taken from neuromod), so that both interpreters see the same pulls.
local nm = require "neuromod"
local Bandit = {}
Bandit.__index = Bandit
setmetatable(Bandit, { __call = function(_, opts)
  opts = opts or {}
  return setmetatable({ rng = nm.rng(opts.seed or 1), plays = opts.plays or 10 }, Bandit)
end })

function Bandit:getStateSpace() return nil end
function Bandit:getActionSpace() return { name = 'Discrete', n = 2 } end
function Bandit:getRewardSpace() return 0, 1 end
function Bandit:start() self.t = 0 return nil end

function Bandit:step(action)
  self.t = self.t + 1
  local p = action == 1 and 0.8 or 0.2
  return self.rng:random() < p and 1 or 0, nil, self.t >= self.plays
end

return Bandit
