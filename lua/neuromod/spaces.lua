-- neuromod.spaces: turns the observations of an rlenvs-style state space into the flat array of numbers an
-- agent takes, so that environments written for the Lua RL ecosystem run unchanged.
--
-- spaces.encoder(space [, name]) -> { size = n, encode = function(obs, out) -> out, space = Box, kind }
--   Box (any shape; low/high numbers or tables of prod(shape) numbers): flattened (a flat array of prod(shape)
--     numbers, or nested tables row-major, or a plain number when the shape holds one element). An element
--     whose bounds are both finite and reach beyond [-1, 1] is scaled into [-1, 1] by them:
--     2 (x - low) / (high - low) - 1 (0 when low == high); bounds within [-1, 1] and infinite bounds pass the
--     value through unchanged;
--   Discrete (n): an integer observation 0..n-1, one-hot encoded into n numbers;
--   nil: no state; one constant input 1 (the observation must be nil).
-- spaces.encoder(space, name, coding) with coding = "onehot" | "cells" codes a Box whose bounds are finite integers
--   (a grid's coordinates) by indicator features instead of scaled numbers (Sutton & Barto 2018, 9.5: coarse and
--   tile coding), each element an integer within its bounds:
--   "onehot": per element, high - low + 1 indicators, 1 on the element's value (sum of the counts: 12 + 4 = 16
--     features for a 12 x 4 grid's {x, y});
--   "cells": one indicator per combination of the elements' values (product of the counts: 48 for the grid),
--     the first element varying fastest, so that every cell has a feature of its own (one tiling at the grid's
--     resolution: a tabular code);
--   nil or "scaled": as above (the behaviour before the argument existed).
-- An observation that disagrees with its space (length, type, range, integer) raises
--   "spaces: <name> Box {12, 4}: observation[2] = 7 is outside [1, 4]".
-- encode writes into out (a table, made once if nil) and makes no garbage.
-- spaces.wrap(env [, name [, coding]]) -> a protocol environment whose observations are encoded and whose state
--   space is the encoded Box: the adaptation layer in front of an agent or the runner.
local spaces = {}

local function fail(msg) error("spaces: " .. msg, 0) end

local function is_int(v) return type(v) == "number" and v == math.floor(v) and v > -math.huge and v < math.huge end

-- A short description of a space for messages: Box {12, 4}, Discrete(7), nil.
function spaces.describe(space)
  if space == nil then return "nil" end
  if type(space) ~= "table" then return tostring(space) end
  if space.name == "Discrete" then return "Discrete(" .. tostring(space.n) .. ")" end
  if space.name == "Box" and type(space.shape) == "table" then
    local d = {}
    for i, v in ipairs(space.shape) do d[i] = tostring(v) end
    return "Box {" .. table.concat(d, ", ") .. "}"
  end
  return tostring(space.name)
end

local function fmt(v) return type(v) == "number" and string.format("%.14g", v) or tostring(v) end

local function bounds(label, space, which, m)
  local b = space[which]
  local out = {}
  if b == nil then
    for i = 1, m do out[i] = which == "low" and -math.huge or math.huge end
  elseif type(b) == "number" then
    if b ~= b then fail(label .. ": " .. which .. " is NaN") end
    for i = 1, m do out[i] = b end
  elseif type(b) == "table" then
    if #b ~= m then fail(label .. ": " .. which .. " has " .. #b .. " entries, the shape holds " .. m) end
    for i = 1, m do
      if type(b[i]) ~= "number" or b[i] ~= b[i] then
        fail(label .. ": " .. which .. "[" .. i .. "] must be a number, got " .. fmt(b[i]))
      end
      out[i] = b[i]
    end
  else
    fail(label .. ": " .. which .. " must be a number or a table of " .. m .. " numbers, got " .. type(b))
  end
  return out
end

local CODINGS = { scaled = true, onehot = true, cells = true }
local indicators   -- the indicator codes, below (they read observations through a scaled Box)

local function box(space, label, coding)
  local shape = space.shape
  if type(shape) ~= "table" or #shape == 0 then fail(label .. ": shape must be a non-empty list of positive integers") end
  local m = 1
  for i = 1, #shape do
    if not is_int(shape[i]) or shape[i] < 1 then
      fail(label .. ": shape[" .. i .. "] must be a positive integer, got " .. fmt(shape[i]))
    end
    m = m * shape[i]
  end
  local low, high = bounds(label, space, "low", m), bounds(label, space, "high", m)
  if coding == "onehot" or coding == "cells" then return indicators(label, coding, shape, m, low, high) end
  -- per element: the span and low bound of a scaled element, or false (passed through)
  local scale, base = {}, {}
  local enc_low, enc_high = {}, {}
  for i = 1, m do
    local lo, hi = low[i], high[i]
    if lo > hi then fail(label .. ": low[" .. i .. "] = " .. fmt(lo) .. " > high[" .. i .. "] = " .. fmt(hi)) end
    if lo > -math.huge and hi < math.huge and (lo < -1 or hi > 1) then
      scale[i], base[i] = hi - lo, lo
      enc_low[i], enc_high[i] = hi > lo and -1 or 0, hi > lo and 1 or 0
    else
      scale[i], base[i] = false, false
      enc_low[i], enc_high[i] = lo, hi
    end
  end
  local depth = #shape
  local function put(out, i, v)
    if type(v) ~= "number" then fail(label .. ": observation[" .. i .. "] must be a number, got " .. type(v)) end
    if v ~= v or v < low[i] or v > high[i] then
      fail(label .. ": observation[" .. i .. "] = " .. fmt(v) .. " is outside [" .. fmt(low[i]) .. ", " .. fmt(high[i]) .. "]")
    end
    -- 2 (v - low) / span - 1 is exactly -1 at low and 1 at high
    local span = scale[i]
    if span then out[i] = span > 0 and 2 * (v - base[i]) / span - 1 or 0 else out[i] = v end
  end
  -- nested tables, row-major: dimension d of obs t, writing from flat index base + 1
  local function nested(out, t, d, base, stride)
    if type(t) ~= "table" then fail(label .. ": observation at dimension " .. d .. " must be a table, got " .. type(t)) end
    if #t ~= shape[d] then
      fail(label .. ": observation has " .. #t .. " entries at dimension " .. d .. ", the shape says " .. shape[d])
    end
    local inner = stride / shape[d]
    for j = 1, shape[d] do
      if d == depth then put(out, base + j, t[j])
      else nested(out, t[j], d + 1, base + (j - 1) * inner, inner) end
    end
  end
  local function encode(obs, out)
    out = out or {}
    if type(obs) == "number" and m == 1 then put(out, 1, obs) return out end
    if type(obs) ~= "table" then fail(label .. ": observation must be a table of " .. m .. " numbers, got " .. type(obs)) end
    if depth > 1 and type(obs[1]) == "table" then nested(out, obs, 1, 0, m) return out end
    if #obs ~= m then fail(label .. ": observation has " .. #obs .. " numbers, the shape holds " .. m) end
    for i = 1, m do put(out, i, obs[i]) end
    return out
  end
  return { size = m, encode = encode, kind = "Box",
           space = { name = "Box", shape = { m }, low = enc_low, high = enc_high } }
end

-- The indicator codes of a Box with integer bounds ("onehot": per element; "cells": per combination). The
-- observation is read flat or nested as for the scaled code; each element must be an integer within its bounds.
function indicators(label, coding, shape, m, low, high)
  local count, offset, stride = {}, {}, {}
  local size = coding == "cells" and 1 or 0
  for i = 1, m do
    if not (is_int(low[i]) and is_int(high[i])) then
      fail(label .. ": obs_coding \"" .. coding .. "\" needs finite integer bounds, element " .. i .. " has [" ..
           fmt(low[i]) .. ", " .. fmt(high[i]) .. "]")
    end
    count[i] = high[i] - low[i] + 1
    if coding == "cells" then stride[i], size = size, size * count[i]
    else offset[i], size = size, size + count[i] end
    -- refused before any table of that size is made (the core takes at most 65536 inputs)
    if size > 65536 then
      fail(label .. ": obs_coding \"" .. coding .. "\" would make more than 65536 inputs (elements 1.." .. i .. ")")
    end
  end
  local flat = {}
  local scaled = box({ name = "Box", shape = shape, low = low, high = high }, label)
  -- the scaled code's reader does the shape, type and range checks; its output is discarded (bounds within
  -- [-1, 1] pass through, others are scaled), so the elements are read again from obs here
  local depth, k = #shape, 0
  local function walk(t, d)
    for j = 1, shape[d] do
      if d == depth then k = k + 1; flat[k] = t[j] else walk(t[j], d + 1) end
    end
  end
  local function read(obs)
    if type(obs) == "number" and m == 1 then flat[1] = obs return flat end
    if depth > 1 and type(obs[1]) == "table" then k = 0; walk(obs, 1) return flat end
    return obs
  end
  local check = {}
  local function encode(obs, out)
    out = out or {}
    scaled.encode(obs, check)
    local v = read(obs)
    for i = 1, m do
      if not is_int(v[i]) then
        fail(label .. ": observation[" .. i .. "] = " .. fmt(v[i]) .. " is not an integer (obs_coding \"" .. coding .. "\")")
      end
    end
    for i = 1, size do out[i] = 0 end
    if coding == "cells" then
      local c = 1
      for i = 1, m do c = c + (v[i] - low[i]) * stride[i] end
      out[c] = 1
    else
      for i = 1, m do out[offset[i] + v[i] - low[i] + 1] = 1 end
    end
    return out
  end
  local lo, hi = {}, {}
  for i = 1, size do lo[i], hi[i] = 0, 1 end
  return { size = size, encode = encode, kind = "Box", coding = coding,
           space = { name = "Box", shape = { size }, low = lo, high = hi } }
end

local function discrete(space, label)
  local n = space.n
  if not is_int(n) or n < 1 then fail(label .. ": n must be a positive integer, got " .. fmt(n)) end
  local function encode(obs, out)
    out = out or {}
    if not is_int(obs) or obs < 0 or obs >= n then
      fail(label .. ": observation = " .. fmt(obs) .. " is not an integer in 0.." .. (n - 1))
    end
    for i = 1, n do out[i] = 0 end
    out[obs + 1] = 1
    return out
  end
  local low, high = {}, {}
  for i = 1, n do low[i], high[i] = 0, 1 end
  return { size = n, encode = encode, kind = "Discrete", space = { name = "Box", shape = { n }, low = low, high = high } }
end

local function none(label)
  local function encode(obs, out)
    if obs ~= nil then fail(label .. ": observation must be nil (no state), got " .. type(obs)) end
    out = out or {}
    out[1] = 1
    return out
  end
  return { size = 1, encode = encode, kind = "nil", space = { name = "Box", shape = { 1 }, low = { 1 }, high = { 1 } } }
end

function spaces.encoder(space, name, coding)
  local label = (name and name .. " " or "") .. spaces.describe(space)
  if coding ~= nil and not CODINGS[coding] then
    fail((name and name .. " " or "") .. "obs_coding: expected \"scaled\", \"onehot\" or \"cells\", got " ..
         (type(coding) == "string" and "\"" .. coding .. "\"" or tostring(coding)))
  end
  if coding ~= nil and coding ~= "scaled" and (type(space) ~= "table" or space.name ~= "Box") then
    fail(label .. ": obs_coding \"" .. coding .. "\" codes a Box with integer bounds, not " .. spaces.describe(space))
  end
  if space == nil then return none(label) end
  if type(space) ~= "table" then fail(label .. ": a state space must be a table or nil, got " .. type(space)) end
  if space.name == "Box" then return box(space, label, coding) end
  if space.name == "Discrete" then return discrete(space, label) end
  fail(label .. ": unknown state space name " .. fmt(space.name) .. " (known: Box, Discrete, or nil for none)")
end

-- spaces.wrap(env [, name]): env's observations encoded; the rest of the protocol passed through.
function spaces.wrap(env, name, coding)
  local enc = spaces.encoder(env:getStateSpace(), name or "state space", coding)
  local out = {}
  local w = {}
  function w.getStateSpace() return enc.space end
  function w.getActionSpace() return env:getActionSpace() end
  function w.getRewardSpace() return env:getRewardSpace() end
  function w.start() return enc.encode(env:start(), out) end
  function w.step(_, a)
    local r, o, terminal, info = env:step(a)
    return r, enc.encode(o, out), terminal, info
  end
  -- the protocol's optional state pair passes through: encoding keeps no state of its own
  if type(env.state) == "function" and type(env.restore) == "function" then
    function w.state() return env:state() end
    function w.restore(_, t) env:restore(t) end
  end
  w.env, w.encoder = env, enc
  -- methods called with ':' get the wrapper as first argument; start/getX ignore it
  return w
end

return spaces
