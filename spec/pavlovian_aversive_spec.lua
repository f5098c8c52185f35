-- pavlovian_aversive: who carries the Pavlovian bias's aversive half (docs/results/valence.md). "scaled" (the
-- default, the behaviour before the option existed): the withheld action's logit takes -pavlovian x V(s), when
-- V < 0 times exp(M[withhold_bias][5HT] level_5HT), whether 5-HT is on or off. "serotonergic": the same while
-- 5-HT is on; with 5-HT switched off the aversive half is gone (the appetitive half stays).
local nm = require "neuromod"

local function tensor(a, name)
  for _, t in ipairs(a:tensors()) do if t.name == name then return t end end
end

-- the policy by hand with the Pavlovian weight k_good when V >= 0 and k_bad when V < 0 (5-HT off: level 0)
local function by_hand(a, x, k_good, k_bad)
  local p, m = a:params(), a:modulators()
  local beta, bias = m.params.inverse_temperature, m.params.withhold_bias
  local att = a:attention()
  local pw, pb = tensor(a, "policy.weight"), tensor(a, "policy.bias")
  local vw, vb = tensor(a, "value.weight"), tensor(a, "value.bias")
  local v = p[vb.offset]
  for j = 1, vw.cols do v = v + p[vw.offset + j - 1] * att[j] * x[j] end
  local w = v < 0 and k_bad or k_good
  local z, mx = {}, -math.huge
  for i = 1, pw.rows do
    local logit = p[pb.offset + i - 1]
    for j = 1, pw.cols do logit = logit + p[pw.offset + (i - 1) * pw.cols + j - 1] * att[j] * x[j] end
    z[i] = beta * logit + (i == 1 and (bias - w * v) or 0)
    if z[i] > mx then mx = z[i] end
  end
  local sum = 0
  for i = 1, #z do z[i] = math.exp(z[i] - mx); sum = sum + z[i] end
  for i = 1, #z do z[i] = z[i] / sum end
  return z, v
end

local function run(opts, check)
  local x = { 0.4, -0.7 }
  local a = nm.agent(opts)
  local g = nm.rng(5)
  for t = 1, 600 do
    a:act(x)
    -- a good world, then a punishing one (V falls below 0)
    a:learn(t <= 300 and (g:random() < 0.8 and 1 or 0) or -1, x, true)
    if check and (t == 300 or t == 600) then check(t, a, x) end
  end
  return a
end

describe("pavlovian_aversive", function()
  it("defaults to 'scaled', takes 'serotonergic', refuses anything else naming the option", function()
    assert.equal("scaled", nm.agent{ obs = 1, actions = 2 }:config().pavlovian_aversive)
    assert.equal("serotonergic",
      nm.agent{ obs = 1, actions = 2, pavlovian_aversive = "serotonergic" }:config().pavlovian_aversive)
    local ok, err = pcall(nm.agent, { obs = 1, actions = 2, pavlovian_aversive = "both" })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("pavlovian_aversive", 1, true), err)
  end)

  it("'serotonergic' with 5-HT off keeps the appetitive half and drops the aversive one", function()
    local seen = {}
    run({ obs = 2, actions = 2, hidden = {}, seed = 5, pavlovian = 3, withhold_action = 0,
          modulators = { DA = true, NA = true, ACh = true }, pavlovian_aversive = "serotonergic" },
        function(t, a, x)
          local probs = a:evaluate(x)
          local hand, v = by_hand(a, x, 3, 0)
          for i = 1, 2 do
            assert.is_true(math.abs(probs[i] - hand[i]) < 1e-4, ("t %d action %d: %g vs %g"):format(t, i, probs[i], hand[i]))
          end
          seen[t] = v
        end)
    assert.is_true(seen[300] > 0 and seen[600] < 0, "both halves were visited")
  end)

  it("'serotonergic' with 5-HT on is 'scaled' bit for bit", function()
    local function hash(mode)
      local a = run{ obs = 2, actions = 2, hidden = { 4 }, seed = 5, pavlovian = 3, withhold_action = 0,
                     pavlovian_aversive = mode }
      return a:state_hash()
    end
    assert.equal(hash("scaled"), hash("serotonergic"))
  end)
end)
