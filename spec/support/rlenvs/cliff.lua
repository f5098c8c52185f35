-- A 12 x 4 cliff walk written in the rlenvs style (plain tables, its own class code, nothing from neuromod):
-- coordinates {x, y} in 1..12 x 1..4 as a Box with bounds; actions 0 = up, 1 = right, 2 = down, 3 = left;
-- -1 a step, -100 and back to the start {1, 1} on the cliff (y = 1, 1 < x < 12), the goal at {12, 1}.
local Cliff = {}
Cliff.__index = Cliff
setmetatable(Cliff, { __call = function(_, opts) return setmetatable({ opts = opts or {} }, Cliff) end })

function Cliff:getStateSpace() return { name = 'Box', shape = { 2 }, low = { 1, 1 }, high = { 12, 4 } } end
function Cliff:getActionSpace() return { name = 'Discrete', n = 4 } end
function Cliff:getRewardSpace() return -100, -1 end

function Cliff:start()
  self.position = { 1, 1 }
  return self.position
end

function Cliff:step(action)
  local p = self.position
  if action == 0 then p[2] = math.min(p[2] + 1, 4)
  elseif action == 1 then p[1] = math.min(p[1] + 1, 12)
  elseif action == 2 then p[2] = math.max(p[2] - 1, 1)
  else p[1] = math.max(p[1] - 1, 1) end
  if p[2] == 1 and p[1] > 1 and p[1] < 12 then
    p[1], p[2] = 1, 1
    return -100, p, false
  end
  return -1, p, p[2] == 1 and p[1] == 12
end

return Cliff
