-- neuromod.envstate: what a task needs for the protocol's optional env:state() / env:restore(t) pair, with
-- which `neuromod run --resume` continues a run exactly.
--
-- envstate.rng(seed [, draws]) -> a counting rng: the same draws as nm.rng(seed) (:random(), :random(m),
--   :random(m, n), :normal([mu [, sigma]])), which also counts the generator's 64-bit steps (one per random,
--   two per normal), so that its position is { seed, draws }. With draws, it starts after that many steps.
--   (nm_rng_range rejects a draw with probability below span / 2^64, far below anything a task draws from.)
-- envstate.snapshot(obj) -> a table of plain data: every field of obj but functions, tables copied deeply,
--   counting rngs as { rng = { seed, draws } }; raises naming the field for anything else (a userdata, a table
--   with a metatable). Tables shared between fields are copied apart: keep state in plain, unshared tables.
-- envstate.apply(obj, t): sets obj's fields from a snapshot (copies, rngs rebuilt); fields that are not in the
--   snapshot and are not functions are cleared.
-- A task whose fields are its state needs only:
--   function Env:state() return envstate.snapshot(self) end
--   function Env:restore(t) envstate.apply(self, t) end
local nm = require "neuromod"

local envstate = {}

local Counted = {}
Counted.__index = Counted

function envstate.rng(seed, draws)
  if type(seed) ~= "number" or seed ~= math.floor(seed) then
    error("envstate.rng: seed: expected an integer, got " .. tostring(seed), 2)
  end
  draws = draws or 0
  local g = nm.rng(seed)
  for _ = 1, draws do g:random() end
  return setmetatable({ g = g, seed = seed, draws = draws }, Counted)
end

function Counted:random(m, n)
  self.draws = self.draws + 1
  if n ~= nil then return self.g:random(m, n) end
  if m ~= nil then return self.g:random(m) end
  return self.g:random()
end

function Counted:normal(mu, sigma)
  self.draws = self.draws + 2
  if sigma ~= nil then return self.g:normal(mu, sigma) end
  if mu ~= nil then return self.g:normal(mu) end
  return self.g:normal()
end

local function copy(v, where)
  local t = type(v)
  if t == "number" or t == "string" or t == "boolean" then return v end
  if t == "table" then
    local mt = getmetatable(v)
    if mt == Counted then return { rng = { seed = v.seed, draws = v.draws } } end
    if mt ~= nil then
      error("envstate.snapshot: " .. where .. ": a table with a metatable (an object) is not plain state", 0)
    end
    local out = {}
    for k, x in pairs(v) do
      if type(x) ~= "function" then out[k] = copy(x, where .. "." .. tostring(k)) end
    end
    return out
  end
  error("envstate.snapshot: " .. where .. ": a " .. t .. " is not plain state (use envstate.rng for an rng)", 0)
end

function envstate.snapshot(obj)
  local out = {}
  for k, v in pairs(obj) do
    if type(v) ~= "function" then out[k] = copy(v, tostring(k)) end
  end
  return out
end

local function rebuild(v)
  if type(v) ~= "table" then return v end
  if type(v.rng) == "table" and v.rng.seed ~= nil and v.rng.draws ~= nil and next(v, next(v)) == nil then
    return envstate.rng(v.rng.seed, v.rng.draws)
  end
  local out = {}
  for k, x in pairs(v) do out[k] = rebuild(x) end
  return out
end

function envstate.apply(obj, t)
  if type(t) ~= "table" then error("envstate.apply: t: expected a snapshot table, got " .. type(t), 2) end
  local gone = {}
  for k, v in pairs(obj) do if t[k] == nil and type(v) ~= "function" then gone[#gone + 1] = k end end
  for _, k in ipairs(gone) do obj[k] = nil end
  for k, v in pairs(t) do obj[k] = rebuild(v) end
  return obj
end

return envstate
