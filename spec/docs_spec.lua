-- docs/api.md documents every public name of the Lua API. The names are found at run time (the module's keys,
-- the agent's method table, the rng and vector methods, the keys of agent:config(), the public modules in
-- lua/neuromod/), so a function added anywhere fails here until it has an entry. An entry counts when the
-- qualified name (nm.agent, agent:act, rng:normal, stats.mean, learning_rate) is in a heading or in backticks.
local nm = require "neuromod"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- The heading lines and backtick spans of a markdown text (fenced code blocks left out).
local function documented_spans(text)
  local spans = {}
  text = ("\n" .. text):gsub("\n```.-\n```", "\n")
  for line in text:gmatch("[^\n]+") do
    if line:match("^#+%s") then spans[#spans + 1] = line end
  end
  for span in text:gmatch("`([^`\n]+)`") do spans[#spans + 1] = span end
  return spans
end

-- True if name occurs in a span as a whole name: not inside a longer identifier or qualified name.
local function mentions(spans, name)
  for _, s in ipairs(spans) do
    local init = 1
    while true do
      local i, j = s:find(name, init, true)
      if not i then break end
      local before, after = s:sub(i - 1, i - 1), s:sub(j + 1, j + 1)
      if not before:match("[%w_.:]") and not after:match("[%w_]") then return true end
      init = i + 1
    end
  end
  return false
end

local spans = documented_spans(read("docs/api.md"))

local function undocumented(names)
  local missing = {}
  for _, n in ipairs(names) do
    if not mentions(spans, n) then missing[#missing + 1] = n end
  end
  table.sort(missing)
  return missing
end

local function is_array(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

-- The public functions of a table t as prefix .. sep .. name; one level of nested tables of functions too.
local function public_names(t, prefix, sep, out)
  out = out or {}
  for k, v in pairs(t) do
    if type(k) == "string" and not k:match("^_") then
      if type(v) == "function" then
        out[#out + 1] = prefix .. sep .. k
      elseif type(v) == "table" and not is_array(v) then
        for kk, vv in pairs(v) do
          if type(kk) == "string" and not kk:match("^_") and type(vv) == "function" then
            out[#out + 1] = prefix .. sep .. k .. "." .. kk
          end
        end
      end
    end
  end
  return out
end

-- Method names defined on a local table of lua/neuromod/ffi.lua (where LuaJIT's cdata metatables hide them).
local function ffi_methods(table_name)
  local names, seen = {}, {}
  local src = read("lua/neuromod/ffi.lua")
  for _, pat in ipairs { "function " .. table_name .. "[.:]([%a_][%w_]*)", table_name .. "%.([%a_][%w_]*)%s*=" } do
    for name in src:gmatch(pat) do
      if not seen[name] and not name:match("^_") then seen[name] = true; names[#names + 1] = name end
    end
  end
  return names
end

-- The method table of agents, rngs or vectors: from the metatable under Lua 5.4 (userdata), from the FFI
-- backend under LuaJIT (cdata share one hidden metatable).
local function methods_of(kind, obj)
  local mt = getmetatable(obj)
  if type(mt) == "table" then
    if kind == "vector" then return mt.methods end
    if type(mt.__index) == "table" then return mt.__index end
  end
  if kind == "agent" then
    local backend = debug.getregistry()["neuromod.ffi backend"]
    return backend and backend.agent_methods
  end
  local t = {}
  for _, name in ipairs(ffi_methods(kind == "rng" and "rng_methods" or "vector_methods")) do t[name] = function() end end
  return t
end

local function list(dir)
  local p = assert(io.popen("ls " .. dir))
  local out = {}
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  return out
end

describe("docs/api.md", function()
  it("documents every public field and function of the neuromod module", function()
    local names = {}
    for k in pairs(nm) do
      if type(k) == "string" and not k:match("^_") then names[#names + 1] = "nm." .. k end
    end
    public_names(nm, "nm", ".", names)
    assert.are.same({}, undocumented(names))
  end)

  it("documents every agent method", function()
    local a = nm.agent{ obs = 2, actions = 2, hidden = { 4 } }
    local methods = methods_of("agent", a)
    assert.is_table(methods, "cannot find the agent's method table")
    local names = public_names(methods, "agent", ":")
    assert.is_true(#names >= 20, "found only " .. #names .. " agent methods")
    assert.are.same({}, undocumented(names))
    a:close()
  end)

  it("documents every option of nm.agent (the keys of agent:config())", function()
    local a = nm.agent{ obs = 2, actions = 2, hidden = { 4 } }
    local names = {}
    for k in pairs(a:config()) do names[#names + 1] = k end
    a:close()
    assert.are.same({}, undocumented(names))
  end)

  it("documents every method of nm.rng and nm.vector objects", function()
    local rng_names = public_names(methods_of("rng", nm.rng(1)), "rng", ":")
    assert.is_true(#rng_names >= 2, "found only " .. #rng_names .. " rng methods")
    assert.are.same({}, undocumented(rng_names))
    local vec = methods_of("vector", nm.vector(2))
    assert.is_table(vec)
    assert.are.same({}, undocumented(public_names(vec, "vector", ":")))
  end)

  it("documents every public Lua module and its functions", function()
    local backends = { init = true, core = true, ffi = true, common = true }
    local modules, names = 0, {}
    for _, file in ipairs(list("lua/neuromod")) do
      local name = file:match("^([%w_]+)%.lua$")
      if name and not backends[name] then
        modules = modules + 1
        local mod = require("neuromod." .. name)
        names[#names + 1] = "neuromod." .. name
        if type(mod) == "table" then public_names(mod, name, ".", names) end
      end
    end
    assert.is_true(modules >= 5, "found only " .. modules .. " public modules")
    assert.are.same({}, undocumented(names))
  end)

  it("finds an undocumented name (the check itself works)", function()
    assert.are.same({ "agent:no_such_method" }, undocumented { "agent:act", "agent:no_such_method" })
    assert.is_false(mentions({ "agent:actually" }, "agent:act"))
    assert.is_false(mentions({ "nm.agent_x" }, "nm.agent"))
  end)
end)

describe("README's task example", function()
  it("passes protocol.check", function()
    local code = read("README.md"):match("```lua\n(%-%- light%.lua.-)\n```")
    assert.is_string(code, "README.md has no ```lua block starting with '-- light.lua'")
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write(code, "\n")
    f:close()
    local ok, res = pcall(require("neuromod.protocol").check, path, nil, "light.lua")
    os.remove(path)
    assert.is_true(ok, tostring(res))
    assert.equal(300, res.steps)
  end)
end)
