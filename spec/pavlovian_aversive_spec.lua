-- pavlovian_aversive: who carries the Pavlovian bias's aversive half (docs/results/valence.md). "scaled" (the
-- default, the behaviour before the option existed): the withheld action's logit takes -pavlovian x V(s), when
-- V < 0 times exp(M[withhold_bias][5HT] level_5HT), whether 5-HT is on or off. "serotonergic": the same while
-- 5-HT is on; with 5-HT switched off the aversive half is gone (the appetitive half stays).
local nm = require "neuromod"

local checks = require "spec.support.agent_checks"

-- the Pavlovian weight k_good when V >= 0 and k_bad when V < 0 (5-HT off: its level is 0)
local function weights(k_good, k_bad)
  return function(v) return v < 0 and k_bad or k_good end
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
    checks.good_then_bad({ obs = 2, actions = 2, hidden = {}, seed = 5, pavlovian = 3, withhold_action = 0,
          modulators = { DA = true, NA = true, ACh = true }, pavlovian_aversive = "serotonergic" },
        function(t, a, x)
          local probs = a:evaluate(x)
          local hand, v = checks.pavlovian_policy(a, x, weights(3, 0))
          for i = 1, 2 do
            assert.is_true(math.abs(probs[i] - hand[i]) < 1e-4, ("t %d action %d: %g vs %g"):format(t, i, probs[i], hand[i]))
          end
          seen[t] = v
        end)
    assert.is_true(seen[300] > 0 and seen[600] < 0, "both halves were visited")
  end)

  it("'serotonergic' with 5-HT on is 'scaled' bit for bit", function()
    local function hash(mode)
      local a = checks.good_then_bad{ obs = 2, actions = 2, hidden = { 4 }, seed = 5, pavlovian = 3, withhold_action = 0,
                     pavlovian_aversive = mode }
      return a:state_hash()
    end
    assert.equal(hash("scaled"), hash("serotonergic"))
  end)
end)
