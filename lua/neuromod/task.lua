-- neuromod.task: small helpers that task scripts share: a class with a callable constructor, and option
-- checks whose errors name the task, the option and what was wrong.
local task = {}

-- task.arguments(name, argv, defaults) -> options: a script's command line of `--key value` pairs (dashes in a
-- key read as underscores) over a copy of defaults; a key must be one of defaults, and its value a number where
-- the default is a number. A key whose default is a boolean is a flag: `--key` alone, with no value, sets it
-- true. `--agent KEY=VALUE` (repeatable) is always accepted: options.agent collects the pairs (VALUE a number,
-- true, false or else a string) for the script to pass to nm.agent. Errors name the script and the option, at the
-- caller's line.
function task.arguments(name, argv, defaults)
  local o = {}
  for k, v in pairs(defaults) do o[k] = v end
  o.agent = {}
  local i = 1
  while argv and argv[i] do
    local key = argv[i]:match("^%-%-(.+)$")
    if not key then error(name .. ": unexpected argument " .. argv[i], 2) end
    key = key:gsub("%-", "_")
    if key == "agent" then
      local k, v = tostring(argv[i + 1]):match("^([%a_][%w_]*)=(.+)$")
      if not k then error(name .. ": --agent expects KEY=VALUE, got " .. tostring(argv[i + 1]), 2) end
      if v == "true" then v = true elseif v == "false" then v = false else v = tonumber(v) or v end
      o.agent[k] = v
      i = i + 2
      goto continue
    end
    if o[key] == nil then error(name .. ": unknown option --" .. key, 2) end
    if type(defaults[key]) == "boolean" then
      o[key] = true
      i = i + 1
      goto continue
    elseif type(defaults[key]) == "number" then
      o[key] = tonumber(argv[i + 1]) or error(name .. ": --" .. key .. " expects a number", 2)
    else
      o[key] = argv[i + 1]
    end
    i = i + 2
    ::continue::
  end
  return o
end

-- task.with(t, extra) -> t: t with every key of extra set on it (extra wins); for a script's agent options and
-- the pairs --agent collected.
function task.with(t, extra)
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

-- task.class(name) -> C; C(opts) or C.new(opts) builds an instance through C:__init(opts).
function task.class(name)
  local C = { name = name }
  C.__index = C
  function C.new(opts)
    local self = setmetatable({}, C)
    self:__init(opts)
    return self
  end
  return setmetatable(C, { __call = function(_, opts) return C.new(opts) end })
end

-- Checks opts against the known keys (with defaults); returns a new table with defaults filled in.
function task.options(name, opts, defaults)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then error(name .. ": options: expected a table, got " .. type(opts), 4) end
  local out = {}
  for k, v in pairs(opts) do
    if defaults[k] == nil then error(name .. ": unknown option '" .. tostring(k) .. "'", 4) end
    out[k] = v
  end
  for k, v in pairs(defaults) do if out[k] == nil then out[k] = v end end
  return out
end

function task.integer(name, key, v)
  if type(v) ~= "number" or v ~= math.floor(v) then
    error(name .. ": " .. key .. ": expected an integer, got " .. tostring(v), 4)
  end
  return v
end

function task.positive(name, key, v)
  if type(v) ~= "number" or not (v > 0) or v == math.huge then
    error(name .. ": " .. key .. ": expected a positive number, got " .. tostring(v), 4)
  end
  return v
end

function task.number(name, key, v)
  if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
    error(name .. ": " .. key .. ": expected a finite number, got " .. tostring(v), 4)
  end
  return v
end

function task.boolean(name, key, v)
  if type(v) ~= "boolean" then error(name .. ": " .. key .. ": expected true or false, got " .. tostring(v), 4) end
  return v
end

-- Merges user overrides into a copy of defaults; every key must be known and every value a finite number.
function task.merge(name, key, defaults, over)
  if type(over) ~= "table" then error(name .. ": " .. key .. ": expected a table, got " .. type(over), 4) end
  local out = {}
  for k, v in pairs(defaults) do out[k] = v end
  for k, v in pairs(over) do
    if defaults[k] == nil then error(name .. ": " .. key .. ": unknown key '" .. tostring(k) .. "'", 4) end
    out[k] = task.number(name, key .. "." .. k, v)
  end
  return out
end

-- The periods of a NeuroGym-style trial: `order` names them in time, `timing` gives each in ms, and each lasts
-- its time over dt, rounded to whole steps. Returns bounds (period -> { first step, stop }, stop excluded),
-- period_at (step -> period; looked up rather than searched: a loop with an early exit in the hot path made
-- LuaJIT's trace selection, and so its speed, vary from run to run by 2x) and the trial's length in steps.
-- Every period named in `required` must last at least one step.
function task.periods(name, order, timing, dt, required)
  local bounds, period_at, t = {}, {}, 0
  for _, p in ipairs(order) do
    local n = math.floor(timing[p] / dt + 0.5)
    if n < 0 then error(name .. ": timing." .. p .. ": must be >= 0", 4) end
    bounds[p] = { t, t + n }
    for step = t, t + n - 1 do period_at[step] = p end
    t = t + n
  end
  for _, p in ipairs(required) do
    if bounds[p][2] == bounds[p][1] then error(name .. ": timing." .. p .. ": must be >= dt", 4) end
  end
  return bounds, period_at, t
end

-- The consequence of `action` in period p of a trial with a fixation and a decision period, where 0 is to
-- withhold: an action during fixation costs rewards.abort (and ends the trial when env.abort is set); an
-- action in the decision period ends the trial, rewarded rewards.correct when it is `answer`, else rewards.fail.
-- Returns reward, terminal and the answer given (0 for none).
function task.judge(env, p, action, answer)
  if p == "fixation" and action ~= 0 then return env.rewards.abort, env.abort, 0 end
  if p == "decision" and action ~= 0 then
    return action == answer and env.rewards.correct or env.rewards.fail, true, action
  end
  return 0, false, 0
end

function task.check_action(name, a, n)
  if type(a) ~= "number" or a ~= math.floor(a) or a < 0 or a >= n then
    error(name .. ": step: action must be an integer in 0.." .. (n - 1) .. ", got " .. tostring(a), 3)
  end
end

return task
