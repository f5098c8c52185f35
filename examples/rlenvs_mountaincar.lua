-- An environment in the rlenvs style, run unchanged: rlenvs' MountainCar (Sutton & Barto 10.1) as that
-- library writes it, a class whose Box state space has the physical bounds ([-1.2, 0.6] position, [-0.07,
-- 0.07] velocity). nm.agent takes the space as declared and scales the observations into [-1, 1] itself;
-- neuromod.wrappers.time_limit cuts an episode at 300 steps (info.truncated). Forty episodes show the
-- environment running, not a solved task: the goal needs far more exploration than that.
--   luajit examples/rlenvs_mountaincar.lua   (or lua5.4)
local nm = require "neuromod"
local wrappers = require "neuromod.wrappers"

-------------------------------------------------- as in rlenvs (minus its classic/torch base class) -------
local MountainCar = {}
MountainCar.__index = MountainCar
setmetatable(MountainCar, { __call = function(cls, opts) local self = setmetatable({}, cls); self:_init(opts or {}); return self end })
function MountainCar:_init(opts) self.position, self.velocity = -0.5, 0 end
function MountainCar:getStateSpace()
  return { name = 'Box', shape = { 2 }, low = { -1.2, -0.07 }, high = { 0.6, 0.07 } }
end
function MountainCar:getActionSpace() return { name = 'Discrete', n = 3 } end -- left, neutral, right
function MountainCar:getRewardSpace() return -1, 0 end
function MountainCar:start()
  self.position, self.velocity = -0.5, 0
  return { self.position, self.velocity }
end
function MountainCar:step(action)
  self.velocity = math.max(-0.07, math.min(0.07, self.velocity + (action - 1) * 0.001 - 0.0025 * math.cos(3 * self.position)))
  self.position = math.max(-1.2, math.min(0.6, self.position + self.velocity))
  if self.position == -1.2 then self.velocity = 0 end
  local terminal = self.position >= 0.5
  return terminal and 0 or -1, { self.position, self.velocity }, terminal
end
--------------------------------------------------------------------------------------------------------------

local env = wrappers.time_limit(MountainCar(), { steps = 300 })
local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 32 }, seed = 1 }
local reached, best = 0, math.huge
for _ = 1, 40 do
  local obs, steps = env:start(), 0
  local info
  repeat
    local a = agent:act(obs)
    local r, nobs, terminal
    r, nobs, terminal, info = env:step(a)
    agent:learn(r, nobs, terminal and not (info and info.truncated))
    obs, steps = nobs, steps + 1
  until terminal
  if not (info and info.truncated) then reached, best = reached + 1, math.min(best, steps) end
end
print(string.format("rlenvs MountainCar, unchanged: the goal reached in %d of 40 episodes of at most 300 steps%s",
  reached, reached > 0 and string.format(" (fastest %d steps)", best) or ""))
agent:close()
