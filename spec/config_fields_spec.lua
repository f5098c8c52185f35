-- The configuration is described once, in the table NM_CONFIG_FIELDS of c/neuromod.h: every field there is
-- an option of nm.agent on this backend, round-trips through agent:config(), and no binding keeps an option
-- list or a check of its own.
local nm = require "neuromod"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- the field names in the C table, in order
local function header_fields()
  local h = read("c/neuromod.h")
  local block = h:match("#define NM_CONFIG_FIELDS%(X%)(.-)\n\n")
  assert(block, "NM_CONFIG_FIELDS not found in c/neuromod.h")
  local names = {}
  for name in block:gmatch("X%(%s*[%w_]+,%s*([%w_]+),") do names[#names + 1] = name end
  return names
end

-- a valid value other than the default for each option, built from the field's description alone
local function other_value(f, default)
  if f.flags.split then return nil end
  if f.kind == "enum" and f.values[1] == "false" and f.values[2] == "true" then return not default end   -- a boolean
  if f.kind == "enum" then return f.values[#f.values] end
  if f.kind == "mask" then return { [f.values[1]] = true } end
  if f.kind == "u64" then return 12345 end
  if f.kind == "index" then return 1 end
  if f.kind == "count" then return math.max(f.lo, 1) + 1 end
  if f.rows == 1 and f.cols == 1 then
    if f.option == "attention_set" then return 3 end
    return math.min(f.hi, math.max(f.lo, 1) + 0.25)
  end
  if f.cols == 1 then return { [f.row_labels[1]] = math.max(f.lo, 1) + 0.5 } end
  return { [f.row_labels[1]] = { [f.col_labels[2]] = 0.75 } }
end

describe("the config table", function()
  local fields = nm.config_fields()

  it("is what this backend knows: the same fields, in the same order, as c/neuromod.h", function()
    local names = {}
    for i, f in ipairs(fields) do names[i] = f.name end
    assert.same(header_fields(), names)
  end)

  it("makes every field an option that round-trips through agent:config()", function()
    local defaults = nm.defaults()
    local checked = 0
    for _, f in ipairs(fields) do
      if f.flags.split then
        for _, label in ipairs(f.row_labels) do
          local v = defaults[label] + 0.125
          if label == "discount" or label == "trace_decay" then v = 0.5 end
          if label == "consolidation" then v = 0.25 end
          local c = nm.agent{ obs = 2, actions = 2, [label] = v }:config()
          assert.near(v, c[label], 1e-6, label)
          checked = checked + 1
        end
      elseif f.option ~= "" and not f.flags.structural and f.option ~= "obs" and f.option ~= "actions" then
        local v = other_value(f, defaults[f.option])
        local c = nm.agent{ obs = 2, actions = 2, [f.option] = v }:config()
        if type(v) == "table" then
          for k, x in pairs(v) do
            if type(x) == "table" then
              for k2, y in pairs(x) do assert.near(y, c[f.option][k][k2], 1e-6, f.option) end
            elseif type(x) == "number" then assert.near(x, c[f.option][k], 1e-6, f.option)
            else assert.equal(x, c[f.option][k], f.option) end
          end
        elseif type(v) == "number" then assert.near(v, c[f.option], 1e-6, f.option)
        else assert.equal(v, c[f.option], f.option) end
        checked = checked + 1
      end
    end
    assert.is_true(checked >= 25, "options checked: " .. checked)
  end)

  it("rebuilds a twin from agent:config()", function()
    local a = nm.agent{ obs = 3, actions = 2, hidden = { 5, { kind = "dense", n = 4 } }, seed = 7, gain_focus = 2,
                        mapping = "doya", modulators = { DA = true, NA = true } }
    local b = nm.agent(a:config())
    assert.equal(a:state_hash(), b:state_hash())
    assert.same(a:config(), b:config())
    assert.same({ 5, 4 }, b:config().hidden)
  end)

  it("names an unknown layer kind or model", function()
    local ok, e = pcall(nm.agent, { obs = 2, actions = 2, hidden = { { kind = "lstm", n = 4 } } })
    assert.is_false(ok)
    assert.truthy(tostring(e):find("hidden[1].kind: unknown layer kind 'lstm' (known: dense, recurrent, integrator)", 1, true), e)
    ok, e = pcall(nm.agent, { obs = 2, actions = 2, model = "quantum" })
    assert.is_false(ok)
    assert.truthy(tostring(e):find("model: expected 'rate' or 'spiking', got 'quantum'", 1, true), e)
  end)

  it("gives the library's limits", function()
    assert.equal(8, nm.limits.layers)
    assert.equal(65536, nm.limits.units)
  end)

  it("leaves no option list, option check or message in either binding", function()
    -- allowed: names that are also the agent's method names (agent:modulators) or act's argument ("obs"),
    -- and the shape fields (obs, actions, layers), which a binding reads to size its buffers
    local allowed = { obs = true }
    local a = nm.agent{ obs = 2, actions = 2 }
    for _, f in ipairs(fields) do
      local ok, m = pcall(function() return a[f.option] end)
      if f.option ~= "" and ok and type(m) == "function" then allowed[f.option] = true end
      if f.flags.required then allowed[f.name] = true end
    end
    for _, path in ipairs { "c/lua/lneuromod.c", "lua/neuromod/ffi.lua" } do
      local src = read(path)
      for _, f in ipairs(fields) do
        -- a field's option or C name quoted in a binding would be an option list kept by hand
        for _, name in ipairs { f.name, f.option } do
          if name ~= "" and not allowed[name] then
            assert.falsy(src:find('"' .. name .. '"', 1, true), path .. " names the field " .. name)
          end
        end
      end
      assert.falsy(src:find("expected a number >=", 1, true), path .. " keeps a range message")
    end
  end)
end)
