-- A random walk written in the rlenvs style: a Discrete state (an integer 0..6, starting at 3), actions
-- 0 = left, 1 = right; the walk ends at 0 (reward 0) or at 6 (reward 1).
local Walk = {}
Walk.__index = Walk
setmetatable(Walk, { __call = function(_, opts) return setmetatable({ opts = opts or {} }, Walk) end })

function Walk:getStateSpace() return { name = 'Discrete', n = 7 } end
function Walk:getActionSpace() return { name = 'Discrete', n = 2 } end
function Walk:getRewardSpace() return 0, 1 end
function Walk:start() self.position = 3 return self.position end

function Walk:step(action)
  self.position = self.position + (action == 0 and -1 or 1)
  if self.position == 6 then return 1, self.position, true end
  return 0, self.position, self.position == 0
end

return Walk
