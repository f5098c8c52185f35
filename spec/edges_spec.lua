-- Hardened edges under the backend this interpreter loads: numeric refusals carry the binding's prefix once
-- ("agent:learn: the ...", not "agent:learn: learn: ..."), and a seed and a step count a C host can reach beyond
-- 2^53 read back exactly, as a decimal string where a Lua number cannot hold them (the fixtures are written by
-- c/test/make_corpus.c).
local nm = require "neuromod"
local Env = dofile "envs/gonogo.lua"

local function err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return tostring(e)
end

describe("numeric refusals", function()
  it("name the method once, then what is wrong", function()
    local a = nm.agent{ obs = 3, actions = 2, hidden = { 4 } }
    local e = err_of(a.act, a, { 3e38, 3e38, 3e38 })
    assert.truthy(e:find("agent:act: obs[1] = 3e+38 times its attention", 1, true), e)
    a:act{ 1, 0, 0 }
    e = err_of(a.learn, a, 3e38, { 1, 0, 0 })
    assert.truthy(e:find("agent:learn: the modulator state would overflow", 1, true), e)
  end)

  it("from the weight and trace guards too (mapping.gain.NA = 100 on Go/No-Go)", function()
    local env = Env{ seed = 1 }
    local a = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 16 }, seed = 1,
                        mapping = { gain = { NA = 100 } } }
    local obs, seen = env:start(), {}
    for _ = 1, 6000 do
      local ok, act = pcall(a.act, a, obs)
      if not ok then seen[#seen + 1] = tostring(act); a:reset(); obs = env:start()
      else
        local r, nextobs, terminal = env:step(act)
        local lok, e = pcall(a.learn, a, r, nextobs, terminal)
        if not lok then seen[#seen + 1] = tostring(e); a:reset() end
        obs = terminal and env:start() or nextobs
      end
    end
    assert.is_true(#seen > 0, "the gain of 100 is refused at some step")
    for _, e in ipairs(seen) do
      assert.falsy(e:find("agent:act: act:", 1, true) or e:find("agent:learn: learn:", 1, true), e)
      assert.truthy(e:find("agent:act: ", 1, true) or e:find("agent:learn: ", 1, true), e)
    end
  end)
end)

describe("64-bit counts set by a C host", function()
  for _, case in ipairs {
    { file = "c/test/fixtures/big_counts_53.nmck", value = "9007199254740993" },     -- 2^53 + 1
    { file = "c/test/fixtures/big_counts_64.nmck", value = "18446744073709551615" }, -- 2^64 - 1
  } do
    it("read back exactly: seed and steps " .. case.value, function()
      local a = assert(nm.load(case.file))
      local seed, steps = a:config().seed, a:modulators().steps
      assert.are.equal(case.value, tostring(seed))
      assert.are.equal(case.value, tostring(steps))
      local raw = {}
      a:_modstate(raw)
      assert.are.equal(case.value, tostring(raw.steps))
      -- where a number is given it is exact (a Lua 5.4 integer); otherwise the decimal string
      for _, v in ipairs { seed, steps } do
        assert.truthy(type(v) == "string" or (math.type and math.type(v) == "integer"), tostring(v))
      end
    end)
  end
end)
