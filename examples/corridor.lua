-- A corridor written from scratch: cells 1..7, the agent starts in cell 1 and moves left (0) or right (1);
-- reaching cell 7 pays 1 and ends the episode, every step costs 0.01, and an episode is cut at 50 steps.
-- The observation is the one-hot cell. Prints the mean episode length early and late.
--   luajit examples/corridor.lua      (or lua5.4)
local nm = require "neuromod"

local N = 7
local Corridor = {}
Corridor.__index = Corridor
local function new_corridor()
  local obs = {}
  for i = 1, N do obs[i] = 0 end
  return setmetatable({ obs = obs, pos = 1, steps = 0 }, Corridor)
end
function Corridor:getStateSpace() return { name = "Box", shape = { N }, low = 0, high = 1 } end
function Corridor:getActionSpace() return { name = "Discrete", n = 2 } end
function Corridor:getRewardSpace() return -0.01, 1 end
function Corridor:observe()
  for i = 1, N do self.obs[i] = (i == self.pos) and 1 or 0 end
  return self.obs
end
function Corridor:start() self.pos, self.steps = 1, 0 return self:observe() end
function Corridor:step(a)
  self.steps = self.steps + 1
  self.pos = math.max(1, math.min(N, self.pos + (a == 1 and 1 or -1)))
  if self.pos == N then return 1, self:observe(), true end
  return -0.01, self:observe(), self.steps >= 50
end

local env = new_corridor()
local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 16 }, seed = 3 }
local lengths = {}
for episode = 1, 300 do
  local obs, steps = env:start(), 0
  repeat
    local a = agent:act(obs)
    local r, nobs, terminal = env:step(a)
    agent:learn(r, nobs, terminal)
    obs, steps = nobs, steps + 1
  until terminal
  lengths[episode] = steps
end
local function mean(a, b) local s = 0 for i = a, b do s = s + lengths[i] end return s / (b - a + 1) end
print(string.format("corridor: mean episode length %.1f steps over episodes 1-20, %.1f over 281-300 (shortest %d)",
  mean(1, 20), mean(281, 300), N - 1))
agent:close()
assert(mean(281, 300) < mean(1, 20), "the agent did not learn to walk right")
