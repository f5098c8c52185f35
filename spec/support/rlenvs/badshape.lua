-- An rlenvs-style environment whose Box declares shape {3} but whose observations have 2 numbers: an adapter
-- must name the space, not crash.
local Bad = {}
Bad.__index = Bad
setmetatable(Bad, { __call = function(_, opts) return setmetatable({}, Bad) end })

function Bad:getStateSpace() return { name = 'Box', shape = { 3 }, low = 0, high = 1 } end
function Bad:getActionSpace() return { name = 'Discrete', n = 2 } end
function Bad:getRewardSpace() return 0, 1 end
function Bad:start() return { 0, 1 } end
function Bad:step(action) return 0, { 1, 0 }, true end

return Bad
