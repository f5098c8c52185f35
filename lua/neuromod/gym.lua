-- neuromod.gym: any task of the protocol in Gymnasium's shape, which keeps termination and truncation apart.
--
-- gym.new(env) or gym.new(Env, opts) -> g (also gym(env) / gym(Env, opts))
--   env: an environment (start, step, get*Space); or Env, a constructor (a callable or a class with .new),
--   with its options opts, so that reset(seed) can rebuild the environment with opts.seed = seed.
-- g:reset([seed]) -> obs, info. With a seed: a fresh environment from the constructor (an environment given
--   as an instance cannot be reseeded: an error says so). info = { episode = n } (one table, reused).
-- g:step(action) -> obs, reward, terminated, truncated, info. truncated is info.truncated (set by
--   neuromod.wrappers.time_limit); terminated is the protocol's terminal when the step was not truncated.
--   After terminated or truncated, call reset before the next step.
-- g.observation_space, g.action_space: the environment's getStateSpace() and getActionSpace();
-- g.reward_range = { min, max }; g.env: the environment; g:close() drops it.
local gym = {}

local Gym = {}
Gym.__index = Gym

local function is_callable(x)
  if type(x) == "function" then return true end
  local mt = getmetatable(x)
  return type(mt) == "table" and mt.__call ~= nil
end

local function is_env(x)
  return (type(x) == "table" or type(x) == "userdata") and type(x.start) == "function" and type(x.step) == "function"
end

local function build(Env, opts, seed)
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  if seed ~= nil then o.seed = seed end
  if is_callable(Env) then return Env(o) end
  return Env.new(o)
end

function Gym:attach(env)
  self.env = env
  self.observation_space = env:getStateSpace()
  self.action_space = env:getActionSpace()
  local lo, hi = env:getRewardSpace()
  self.reward_range = { lo, hi }
end

function gym.new(env, opts)
  local self = setmetatable({ episodes = 0, info = {} }, Gym)
  -- a class (task.class) has start and step too: a callable is taken for a constructor first
  if not is_callable(env) and is_env(env) then
    if opts ~= nil then error("gym.new: opts: only a constructor takes options (got an environment)", 2) end
  elseif is_callable(env) or (type(env) == "table" and type(env.new) == "function") then
    if opts ~= nil and type(opts) ~= "table" then error("gym.new: opts: expected a table, got " .. type(opts), 2) end
    self.Env, self.opts = env, opts or {}
    env = build(self.Env, self.opts)
  else
    error("gym.new: env: expected an environment or a constructor, got " .. type(env), 2)
  end
  self:attach(env)
  return self
end

setmetatable(gym, { __call = function(_, env, opts) return gym.new(env, opts) end })

function Gym:reset(seed)
  if not self.env then error("gym:reset: the environment is closed", 2) end
  if seed ~= nil then
    if type(seed) ~= "number" or seed ~= math.floor(seed) then error("gym:reset: seed: expected an integer, got " .. tostring(seed), 2) end
    if not self.Env then
      error("gym:reset: seed: an environment given as an instance cannot be reseeded (use gym.new(Env, opts))", 2)
    end
    self:attach(build(self.Env, self.opts, seed))
  end
  local obs = self.env:start()
  self.episodes = self.episodes + 1
  self.running = true
  local info = self.info
  info.episode = self.episodes
  return obs, info
end

function Gym:step(action)
  if not self.env then error("gym:step: the environment is closed", 2) end
  if not self.running then error("gym:step: call reset first (no episode is running)", 2) end
  local reward, obs, terminal, info = self.env:step(action)
  local truncated = info ~= nil and info.truncated == true
  local terminated = terminal == true and not truncated
  if terminal then self.running = false end
  return obs, reward, terminated, truncated, info or self.info
end

function Gym:close() self.env = nil end

return gym
