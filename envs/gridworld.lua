-- envs/gridworld.lua -- a small grid world given as a Lua table of strings: walls, a cliff, a start and goals.
--
-- Source: the grid worlds of Sutton & Barto (Reinforcement Learning: An Introduction, 2nd ed.), by default
-- their cliff walking (Example 6.6): a 12 x 4 grid, the start at the bottom left, the goal at the bottom right
-- and the cliff between them.
--
-- The map (option `map`), one string per row, top row first; every row has the same length:
--   "." free   "#" wall (moves into it, or off the grid, leave the agent where it is)
--   "S" start (exactly one)   "G" goal (one or more; reaching one ends the episode)
--   "C" cliff (stepping onto it costs rewards.cliff and sends the agent back to the start; not terminal)
-- The default map:
--   "............"
--   "............"
--   "............"
--   "SCCCCCCCCCCG"
--
-- Trial structure: an episode runs from the start until a goal is reached (add a time limit with
-- neuromod.wrappers.time_limit if the agent may never get there). Actions: 0 = up, 1 = right, 2 = down,
-- 3 = left (the rlenvs CliffWalking convention; none is "withhold").
-- Rewards (option `rewards`): every move costs `step` (-1), a move onto the cliff costs `cliff` (-100) instead,
-- and reaching a goal adds `goal` (0) to the step's cost.
--
-- Observations (option `obs`):
--   "xy" (default) the coordinates {x, y}: x = column 1..width from the left, y = row 1..height from the
--        bottom, a Box with bounds low = {1, 1}, high = {width, height} (rlenvs CliffWalking's);
--   "onehot"  a Box of width * height numbers, 1 on the agent's cell (cell index (y - 1) * width + x);
--   "index"   the cell index minus one as a plain integer, with a Discrete state space of width * height
--             values (the rlenvs style; an agent needs neuromod.spaces to one-hot it).
--
-- Options (defaults): seed = 1 (unused: the world is deterministic; accepted so that every task takes one),
-- map = the cliff walk above, obs = "xy", rewards = { step = -1, cliff = -100, goal = 0 }.
--
-- info (one table per env, refilled every step: copy what you keep): x, y (after the move), cell ("." "S" "G"
-- or "C": what the move landed on before any return to the start), cliff (the move fell off the cliff), goal,
-- steps (moves in this episode), and on the terminal step correct = true and condition = "goal".
local task = require "neuromod.task"
local envstate = require "neuromod.envstate"

local NAME = "gridworld"
local Grid = task.class(NAME)

local DEFAULT_MAP = { "............", "............", "............", "SCCCCCCCCCCG" }
local DX = { [0] = 0, 1, 0, -1 }
local DY = { [0] = 1, 0, -1, 0 }

local function fail(key, msg) error(NAME .. ": " .. key .. ": " .. msg, 4) end

local function parse(map)
  if type(map) ~= "table" or #map == 0 then fail("map", "expected a non-empty list of strings") end
  local height, width = #map, nil
  local cells, start = {}, nil
  for r = 1, height do
    local row = map[r]
    if type(row) ~= "string" then fail("map", "row " .. r .. " is not a string") end
    width = width or #row
    if #row ~= width or width == 0 then fail("map", "row " .. r .. " has " .. #row .. " cells, row 1 has " .. width) end
    local y = height - r + 1
    for x = 1, width do
      local c = row:sub(x, x)
      if not (c == "." or c == "#" or c == "S" or c == "G" or c == "C") then
        fail("map", "row " .. r .. ", column " .. x .. ": unknown cell '" .. c .. "' (known: . # S G C)")
      end
      if c == "S" then
        if start then fail("map", "more than one start 'S'") end
        start = { x, y }
      end
      cells[(y - 1) * width + x] = c
    end
  end
  if not start then fail("map", "no start 'S'") end
  return cells, width, height, start
end

function Grid:__init(opts)
  opts = task.options(NAME, opts, { seed = 1, map = DEFAULT_MAP, obs = "xy", rewards = {} })
  task.integer(NAME, "seed", opts.seed)
  self.cells, self.width, self.height, self.start_xy = parse(opts.map)
  if opts.obs ~= "xy" and opts.obs ~= "onehot" and opts.obs ~= "index" then
    fail("obs", "expected \"xy\", \"onehot\" or \"index\", got " .. tostring(opts.obs))
  end
  self.mode = opts.obs
  self.rewards = task.merge(NAME, "rewards", { step = -1, cliff = -100, goal = 0 }, opts.rewards)
  local n = self.mode == "xy" and 2 or self.width * self.height
  self.obs = {}
  for i = 1, n do self.obs[i] = 0 end
  self.info = {}
end

function Grid:getStateSpace()
  if self.mode == "xy" then return { name = "Box", shape = { 2 }, low = { 1, 1 }, high = { self.width, self.height } } end
  local n = self.width * self.height
  if self.mode == "index" then return { name = "Discrete", n = n } end
  return { name = "Box", shape = { n }, low = 0, high = 1 }
end
function Grid:getActionSpace() return { name = "Discrete", n = 4 } end
function Grid:getRewardSpace()
  local r = self.rewards
  return math.min(r.step, r.cliff, r.step + r.goal), math.max(r.step, r.cliff, r.step + r.goal)
end

function Grid:cell(x, y) return self.cells[(y - 1) * self.width + x] end

-- The observation of the current position (the "xy" and "onehot" tables are reused).
function Grid:observe()
  local x, y = self.x, self.y
  if self.mode == "xy" then
    self.obs[1], self.obs[2] = x, y
    return self.obs
  end
  local k = (y - 1) * self.width + x
  if self.mode == "index" then return k - 1 end
  local o = self.obs
  if self.last_k then o[self.last_k] = 0 end
  o[k] = 1
  self.last_k = k
  return o
end

function Grid:start()
  self.x, self.y, self.steps = self.start_xy[1], self.start_xy[2], 0
  return self:observe()
end

function Grid:step(action)
  task.check_action(NAME, action, 4)
  if not self.steps then error(NAME .. ": step: no episode in progress (call start first)", 2) end
  local x, y = self.x + DX[action], self.y + DY[action]
  if x < 1 or x > self.width or y < 1 or y > self.height or self:cell(x, y) == "#" then x, y = self.x, self.y end
  local c = self:cell(x, y)
  local r = self.rewards
  local reward, terminal = r.step, false
  self.steps = self.steps + 1
  local info = self.info
  info.cliff, info.goal, info.cell, info.steps = c == "C", c == "G", c, self.steps
  if c == "C" then
    reward = r.cliff
    x, y = self.start_xy[1], self.start_xy[2]
  elseif c == "G" then
    reward, terminal = r.step + r.goal, true
  end
  self.x, self.y = x, y
  info.x, info.y = x, y
  if terminal then
    info.correct, info.condition = true, "goal"
    self.steps = nil
  else
    info.correct, info.condition = nil, nil
  end
  return reward, self:observe(), terminal, info
end

-- The task's state for `neuromod run --resume` (its fields are plain data and counting rngs).
function Grid:state() return envstate.snapshot(self) end
function Grid:restore(t) envstate.apply(self, t) end

return Grid
